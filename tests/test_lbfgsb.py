"""The L-BFGS-B driver: SciPy's iterates, its own stopping rules."""
import numpy as np
import pytest
from scipy.optimize import Bounds, minimize

from style_transfer.nst import lbfgsb
from style_transfer.nst.lbfgsb import _minimize_box_scipy, minimize_box


def bounded_rosenbrock(x):
    """A non-quadratic problem whose minimum (all ones) lies outside the box [0, 0.8]."""
    a, b = x[:-1], x[1:]
    value = np.sum(100.0 * (b - a ** 2) ** 2 + (1 - a) ** 2)
    grad = np.zeros_like(x)
    grad[:-1] += -400.0 * a * (b - a ** 2) - 2 * (1 - a)
    grad[1:] += 200.0 * (b - a ** 2)
    return value, grad


def recording(seen, stop_at=None):
    """bounded_rosenbrock for minimize_box, keeping every point in `seen`; says stop at evaluation `stop_at`."""
    def fun(x):
        seen.append(x.copy())
        return (*bounded_rosenbrock(x), len(seen) == stop_at)

    return fun


def test_same_points_as_scipy_minimize():
    x0 = np.random.RandomState(0).uniform(0, 0.8, size=40)
    theirs, ours = [], []

    def f_theirs(x):
        theirs.append(x.copy())
        return bounded_rosenbrock(x)

    minimize(f_theirs, x0, jac=True, method="L-BFGS-B", bounds=Bounds(0.0, 0.8),
             options={"maxfun": 31, "maxiter": 30, "maxcor": 10, "ftol": 0.0, "gtol": 0.0})
    minimize_box(recording(ours), x0, 0.0, 0.8, max_evals=30, history=10)
    assert len(ours) == 30 and len(theirs) >= 30
    for a, b in zip(theirs[:30], ours):
        np.testing.assert_array_equal(a, b)
    assert all(x.min() >= 0.0 and x.max() <= 0.8 for x in ours)


def test_stops_when_told_and_returns_that_point():
    seen = []
    x = minimize_box(recording(seen, stop_at=4), np.full(10, 0.5), 0.0, 0.8, max_evals=100)
    assert len(seen) == 4
    np.testing.assert_array_equal(x, seen[-1])


def test_budget_of_evaluations():
    seen = []
    minimize_box(recording(seen), np.full(10, 0.5), 0.0, 0.8, max_evals=7)
    assert len(seen) == 7


def test_fallback_through_minimize_takes_the_same_points():
    """Without SciPy's routine importable, minimize_box goes through scipy.optimize.minimize."""
    x0 = np.random.RandomState(1).uniform(0, 0.8, size=20)
    direct, fallback = [], []
    x_direct = minimize_box(recording(direct), x0, 0.0, 0.8, 12)
    x_fallback = _minimize_box_scipy(recording(fallback), x0.copy(), 0.0, 0.8, 12, 10)
    assert len(direct) == len(fallback) == 12
    for a, b in zip(direct, fallback):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x_direct, x_fallback)


def steep_quadratic(seen):
    """1e6 · ||x − 100||² on [0, 255]: a raw gradient step from 50 would leap to the bounds."""
    def fun(x):
        seen.append(x.copy())
        return 1e6 * float(np.sum((x - 100.0) ** 2)), 2e6 * (x - 100.0), False

    return fun


@pytest.mark.parametrize("driver", ["setulb", "minimize"])
def test_first_step_bounds_the_first_trial_and_keeps_converging(driver, monkeypatch):
    if driver == "minimize":
        monkeypatch.setattr(lbfgsb, "setulb", None)
    x0 = np.linspace(40.0, 60.0, 30)
    raw, scaled = [], []
    minimize_box(steep_quadratic(raw), x0, 0.0, 255.0, max_evals=12)
    x = minimize_box(steep_quadratic(scaled), x0, 0.0, 255.0, max_evals=12, first_step=8.0)
    assert np.abs(raw[1] - x0).max() > 150  # unscaled: straight to the upper bound
    np.testing.assert_allclose(np.abs(scaled[1] - x0).max(), 8.0)  # the steepest pixel moves 8
    np.testing.assert_allclose(x, 100.0, atol=1e-3)
