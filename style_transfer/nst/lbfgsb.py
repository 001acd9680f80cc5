"""L-BFGS-B on a box, driving SciPy's L-BFGS-B routine directly.

`scipy.optimize.minimize(method="L-BFGS-B")` converts the bounds with Python loops
over every variable, which on a large image costs more than several loss evaluations
(README, Speed, has the figures). Here the bounds are arrays from the start; the
algorithm and its iterates are SciPy's own (a test checks they match `minimize`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

try:  # the routine `minimize` itself calls; pinned SciPy (see requirements.txt)
    from scipy.optimize._lbfgsb import setulb
except ImportError:  # another SciPy layout: fall back to minimize (tested directly)
    setulb = None

NEW_X, FG = 1, 3  # setulb's task codes: a new iterate; evaluate f and g at x


def minimize_box(fun: Callable, x0, lower: float, upper: float, max_evals: int, history: int = 10,
                 max_line_search: int = 20, first_step: float | None = None) -> np.ndarray:
    """Minimise over lower ≤ x ≤ upper with L-BFGS-B from x0.

    `fun(x)` returns (value, gradient, stop). The run ends after the evaluation that says stop, or
    after `max_evals` evaluations, and returns that last point evaluated; or it ends when L-BFGS-B
    itself finishes (e.g. its line search fails), and returns its last accepted iterate.
    `first_step` scales the objective (value and gradient alike, by a constant fixed at x0) so that
    the first step L-BFGS-B tries moves no variable by more than that (see `_scaled`).
    """
    if first_step is not None:
        fun = _scaled(fun, first_step)
    x = np.clip(np.asarray(x0, np.float64).ravel(), lower, upper)
    if setulb is None:
        return _minimize_box_scipy(fun, x, lower, upper, max_evals, history)
    n, m = x.size, history
    low, up = np.full(n, float(lower)), np.full(n, float(upper))
    nbd = np.full(n, 2, np.int32)  # 2: bounded below and above
    f, g = np.array(0.0), np.zeros(n)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    iwa = np.zeros(3 * n, np.int32)
    task, ln_task = np.zeros(2, np.int32), np.zeros(2, np.int32)
    lsave, isave, dsave = np.zeros(4, np.int32), np.zeros(44, np.int32), np.zeros(29)
    evals = 0
    while True:
        # factr = pgtol = 0: no convergence test; the caller's budget or stop ends the run
        setulb(m, x, low, up, nbd, f, g, 0.0, 0.0, wa, iwa, task, lsave, isave, dsave, max_line_search, ln_task)
        if task[0] == FG:
            value, grad, stop = fun(x)
            evals += 1
            if stop or evals >= max_evals:
                return x
            f, g = value, np.asarray(grad, np.float64).ravel()
        elif task[0] != NEW_X:
            return x


def _scaled(fun: Callable, first_step: float) -> Callable:
    """`fun` times c = first_step / max|gradient at x0|.

    Without curvature pairs yet, L-BFGS-B's first trial is x − gradient (clipped to the box): a step
    measured in units of the objective, not of x. For a loss in the 1e10s over pixels in [0, 255] it
    sends every pixel to a bound and the line search spends evaluations backtracking. A constant
    factor changes nothing else: from the first curvature pair on, L-BFGS-B scales itself (θ = yᵀy/sᵀy).
    """
    scale = None

    def scaled(x):
        nonlocal scale
        value, grad, stop = fun(x)
        grad = np.asarray(grad, np.float64)
        if scale is None:
            peak = float(np.max(np.abs(grad))) if grad.size else 0.0
            scale = first_step / peak if peak > 0 else 1.0
        return value * scale, grad * scale, stop

    return scaled


def _minimize_box_scipy(fun, x, lower, upper, max_evals, history):
    """The same through scipy.optimize.minimize (slow bounds set-up), if `setulb` is not importable."""
    from scipy.optimize import Bounds, minimize

    last = [x]

    class Stop(Exception):
        pass

    def wrapped(z):
        last[0] = z.copy()
        value, grad, stop = fun(z)
        if stop or wrapped.evals + 1 >= max_evals:
            raise Stop
        wrapped.evals += 1
        return value, grad

    wrapped.evals = 0
    try:
        res = minimize(wrapped, x, jac=True, method="L-BFGS-B", bounds=Bounds(lower, upper),
                       options={"maxfun": max_evals + 1, "maxiter": max_evals, "maxcor": history,
                                "ftol": 0.0, "gtol": 0.0})
        return res.x
    except Stop:
        return last[0]
