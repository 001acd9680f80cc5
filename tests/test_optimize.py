"""The engine and its optimiser: loss goes down, image stays in range, history, callback, failures."""
import numpy as np
import pytest

from style_transfer.errors import NonFiniteLossError
from style_transfer.nst.config import StyleConfig
from style_transfer.nst.engine import begin, compiled, stylize


def test_20_steps_lower_loss_and_keep_range(extractor, content_small, style_small):
    r = stylize(content_small, style_small, StyleConfig(steps=20), extractor, progress=False)
    assert r.steps == 20
    assert r.history["total"][-1] < 0.5 * r.history["total"][0]
    assert r.image.dtype == np.uint8 and r.image.shape == content_small.shape
    assert set(r.history) == {"total", "style", "content", "tv", "temporal"}
    total = np.array(r.history["total"])
    recombined = np.array(r.history["style"]) + r.config.content_weight * np.array(r.history["content"])
    np.testing.assert_allclose(total, recombined, rtol=1e-4)
    assert not np.array_equal(r.image, content_small.astype(np.uint8))


def test_callback_reports_every_step_with_losses_and_image(extractor, content_small, style_small):
    seen = []
    r = stylize(content_small, style_small, StyleConfig(steps=4, lr=200.0, optimizer="adam"), extractor,
                progress=False, callback=lambda p: seen.append((p.step, p.losses, p.image())))
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert [s[1]["total"] for s in seen] == r.history["total"]
    assert all(s[2].dtype == np.uint8 and s[2].shape == content_small.shape for s in seen)
    np.testing.assert_array_equal(seen[-1][2], r.image)


def test_adam_keeps_the_image_variable_in_the_box(extractor, content_small, style_small):
    """The float image itself (not a rounded copy) stays in [0, 255] after huge Adam steps."""
    h, w = content_small.shape[:2]
    config = StyleConfig(optimizer="adam", lr=200.0, content_weight=0.6)
    loss, optimizer = compiled(extractor, config, h, w)
    loss.set_style(style_small)
    loss.set_content(content_small)
    image = optimizer.run(content_small, 4, lambda i, values: False)
    assert image.dtype == np.float32
    assert image.min() == 0.0 and image.max() == 255.0  # pixels pushed to both bounds, none beyond


def test_lbfgs_is_given_the_0_255_box(extractor, content_small, style_small, monkeypatch):
    from style_transfer.nst import optimizer as opt

    calls = []
    real = opt.minimize_box

    def spy(fun, x0, lower, upper, *args, **kwargs):
        calls.append((lower, upper))
        return real(fun, x0, lower, upper, *args, **kwargs)

    monkeypatch.setattr(opt, "minimize_box", spy)
    stylize(content_small, style_small, StyleConfig(steps=2), extractor, progress=False)
    assert calls == [(0.0, 255.0)]


@pytest.mark.parametrize("weights", [{}, {"style_weight": 1.0, "content_weight": 1e-3}], ids=["defaults", "article"])
def test_lbfgs_first_trial_does_not_leap_to_the_box(extractor, content_small, style_small, weights):
    """The first trial step is scaled to the pixel range: no evaluation of the first few lies above the
    start (the raw gradient step sent every pixel to 0 or 255, a loss hundreds of times the start's)."""
    r = stylize(content_small, style_small, StyleConfig(steps=6, **weights), extractor, progress=False)
    assert max(r.history["total"]) == r.history["total"][0]


def test_starts_from_content(extractor, content_small, style_small):
    r = stylize(content_small, style_small, StyleConfig(steps=1, lr=1e-6, optimizer="adam", init="content"), extractor,
                progress=False)
    assert np.abs(r.image.astype(float) - content_small).max() <= 1.0


def test_non_finite_loss_stops(extractor, content_small, style_small):
    with pytest.raises(NonFiniteLossError, match="non-finite"):
        stylize(content_small, style_small, StyleConfig(steps=3, style_weight=float("inf")), extractor,
                progress=False)


def test_compiled_step_is_reused_across_runs(extractor, content_small, style_small):
    config = StyleConfig(steps=3, optimizer="adam")
    first = stylize(content_small, style_small, config, extractor, progress=False)
    steps = compiled(begin(config, extractor), first.config, *content_small.shape[:2])
    optimizer = steps[1]

    def traced():
        return [step.experimental_get_tracing_count()
                for step in (optimizer._adam_step, optimizer._adam_refresh_step, optimizer._adam_stale_step)]

    # at the defaults Adam alternates a full step (refreshing the content gradient) and reusing steps
    # (other tests of this shape may have traced the plain full step too: the entry is shared)
    before = traced()
    assert before[1:] == [1, 1]
    again = stylize(content_small, style_small, config, extractor, progress=False)
    np.testing.assert_allclose(first.history["total"], again.history["total"], rtol=1e-4)
    assert compiled(begin(config, extractor), again.config, *content_small.shape[:2]) is steps
    assert traced() == before


def test_temporal_term_pulls_towards_target(extractor, content_small, style_small):
    h, w = content_small.shape[:2]
    loss, optimizer = compiled(extractor, StyleConfig(style_weight=0.0, content_weight=0.0, temporal_weight=1.0,
                                                      optimizer="adam"), h, w)
    loss.set_style(style_small)
    loss.set_content(content_small)
    loss.set_temporal(np.full_like(content_small, 128.0), np.ones((h, w)))
    history = []
    optimizer.run(content_small, 10, lambda i, values: history.append(values["temporal"]))
    assert history[-1] < 0.1 * history[0]


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_until_loss_stops_early(extractor, content_small, style_small, optimizer):
    config = StyleConfig(steps=12, optimizer=optimizer)
    full = stylize(content_small, style_small, config, extractor, progress=False)
    threshold = full.history["total"][6]
    expected_steps = next(i + 1 for i, v in enumerate(full.history["total"]) if v <= threshold)
    r = stylize(content_small, style_small, config.replace(until_loss=threshold), extractor, progress=False)
    assert r.steps == expected_steps <= 7
    assert r.final_loss <= threshold


def test_lbfgs_and_multiscale_beat_adam_at_equal_evaluations(extractor, content_small, style_small):
    n = 24
    start = StyleConfig(init="content")  # the optimisers compared from the original's start
    adam = stylize(content_small, style_small, start.replace(steps=n, optimizer="adam", lr=15.0), extractor,
                   progress=False)
    lbfgs = stylize(content_small, style_small, start.replace(steps=n, optimizer="lbfgs"), extractor,
                    progress=False)
    multi = stylize(content_small, style_small,
                    start.replace(steps=n // 2, optimizer="lbfgs", scales=((0.5, n // 2), (1.0, None))), extractor,
                    progress=False)
    assert adam.steps == lbfgs.steps == multi.steps == n
    # the same number of loss evaluations (half of multi-scale's at ¼ of the pixels), lower full-size loss
    assert lbfgs.final_loss < adam.final_loss
    assert multi.final_loss < adam.final_loss
    assert multi.final_loss < multi.history["total"][n // 2]  # the full-size stage improves on the upsampled start
    assert multi.image.shape == content_small.shape


def test_scale_plan():
    plan = StyleConfig(steps=7, scales=((0.25, 30), (0.5, None), (1.0, None))).scale_plan(200, 300)
    assert plan == [(50, 75, 30), (100, 150, 7), (200, 300, 7)]


def test_large_images_default_to_coarse_to_fine():
    config = StyleConfig(steps=40)
    assert config.scale_plan(200, 300) == [(200, 300, 40)]
    assert config.scale_plan(341, 512) == [(341, 512, 40)]
    assert config.scale_plan(681, 1024) == [(170, 256, 40), (340, 512, 20), (681, 1024, 20)]
    given = config.replace(scales=((0.5, 10), (1.0, None)))
    assert given.scale_plan(681, 1024) == [(340, 512, 10), (681, 1024, 40)]  # an explicit plan is kept
