"""The trainer: loss goes down, image stays in range, history, frames, failures."""
import numpy as np
import pytest

from style_transfer.errors import NonFiniteLossError
from style_transfer.nst.optimizer import StyleSettings, stylize


def test_20_steps_lower_loss_and_keep_range(extractor, content_small, style_small):
    r = stylize(content_small, style_small, extractor, StyleSettings(steps=20), progress=False)
    assert r.steps == 20
    assert r.history["total"][-1] < 0.5 * r.history["total"][0]
    assert r.image.dtype == np.uint8 and r.image.shape == content_small.shape
    assert set(r.history) == {"total", "style", "content", "tv", "temporal"}
    total = np.array(r.history["total"])
    recombined = np.array(r.history["style"]) + 1e-3 * np.array(r.history["content"])
    np.testing.assert_allclose(total, recombined, rtol=1e-4)
    assert not np.array_equal(r.image, content_small.astype(np.uint8))


def test_image_clipped_every_step(extractor, content_small, style_small):
    seen = []
    r = stylize(content_small, style_small, extractor, StyleSettings(steps=4, lr=200.0, optimizer="adam"),
                progress=False,
                on_step=lambda i, img: seen.append((i, img.min(), img.max())), return_frames=True)
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert len(r.frames) == 4
    # with a huge learning rate many pixels hit the bounds, and none leave them
    assert min(s[1] for s in seen) == 0 and max(s[2] for s in seen) == 255


def test_starts_from_content(extractor, content_small, style_small):
    r = stylize(content_small, style_small, extractor, StyleSettings(steps=1, lr=1e-6), progress=False)
    assert np.abs(r.image.astype(float) - content_small).max() <= 1.0


def test_non_finite_loss_stops(extractor, content_small, style_small):
    with pytest.raises(NonFiniteLossError, match="non-finite"):
        stylize(content_small, style_small, extractor, StyleSettings(steps=3, style_weight=float("inf")),
                progress=False)


def test_trainer_reuses_compiled_step_and_resets(extractor, content_small, style_small):
    from style_transfer.nst.optimizer import StyleTrainer

    h, w = content_small.shape[:2]
    trainer = StyleTrainer(extractor, StyleSettings(steps=3, optimizer="adam"), h, w)
    trainer.set_style(style_small)
    trainer.set_content(content_small)
    trainer.reset(content_small)
    first = trainer.run(3, progress=False)
    trainer.reset(content_small)
    again = trainer.run(3, progress=False)
    np.testing.assert_allclose(first.history["total"], again.history["total"], rtol=1e-4)
    assert trainer._step.experimental_get_tracing_count() == 1


def test_temporal_term_pulls_towards_target(extractor, content_small, style_small):
    from style_transfer.nst.optimizer import StyleTrainer

    h, w = content_small.shape[:2]
    trainer = StyleTrainer(extractor, StyleSettings(style_weight=0.0, content_weight=0.0, temporal_weight=1.0,
                                                    optimizer="adam"), h, w)
    trainer.set_style(style_small)
    trainer.set_content(content_small)
    target = np.full_like(content_small, 128.0)
    trainer.set_temporal(target, np.ones((h, w)))
    trainer.reset(content_small)
    r = trainer.run(10, progress=False)
    assert r.history["temporal"][-1] < 0.1 * r.history["temporal"][0]


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_until_loss_stops_early(extractor, content_small, style_small, optimizer):
    settings = StyleSettings(steps=12, optimizer=optimizer)
    full = stylize(content_small, style_small, extractor, settings, progress=False)
    threshold = full.history["total"][6]
    expected_steps = next(i + 1 for i, v in enumerate(full.history["total"]) if v <= threshold)
    r = stylize(content_small, style_small, extractor, settings, progress=False, until_loss=threshold)
    assert r.steps == expected_steps <= 7
    assert r.final_loss <= threshold


def test_lbfgs_and_multiscale_beat_adam_at_equal_evaluations(extractor, content_small, style_small):
    n = 24
    adam = stylize(content_small, style_small, extractor, StyleSettings(steps=n, optimizer="adam", lr=15.0),
                   progress=False)
    lbfgs = stylize(content_small, style_small, extractor, StyleSettings(steps=n, optimizer="lbfgs"),
                    progress=False)
    multi = stylize(content_small, style_small, extractor,
                    StyleSettings(steps=n // 2, optimizer="lbfgs", scales=((0.5, n // 2), (1.0, None))),
                    progress=False)
    assert adam.steps == lbfgs.steps == multi.steps == n
    # the same number of loss evaluations (half of multi-scale's at ¼ of the pixels), lower full-size loss
    assert lbfgs.final_loss < adam.final_loss
    assert multi.final_loss < adam.final_loss
    assert multi.final_loss < multi.history["total"][n // 2]  # the full-size stage improves on the upsampled start
    assert multi.image.shape == content_small.shape
    assert 0 <= lbfgs.image.min() and lbfgs.image.max() <= 255


def test_scale_plan():
    from style_transfer.nst.optimizer import scale_plan

    plan = scale_plan(StyleSettings(steps=7, scales=((0.25, 30), (0.5, None), (1.0, None))), 200, 300)
    assert plan == [(50, 75, 30), (100, 150, 7), (200, 300, 7)]


def test_large_images_default_to_coarse_to_fine():
    import argparse

    from style_transfer.cli.options import add_style_options, settings_from_args

    parser = argparse.ArgumentParser()
    add_style_options(parser)
    assert settings_from_args(parser.parse_args(["--size", "300"])).scales == ((1.0, None),)
    assert settings_from_args(parser.parse_args(["--size", "512"])).scales == ((1.0, None),)
    assert settings_from_args(parser.parse_args(["--size", "1024", "--steps", "40"])).scales == \
        ((0.25, 40), (0.5, 20), (1.0, 10))
    given = settings_from_args(parser.parse_args(["--size", "1024", "--scales", "0.5:10,1"]))
    assert given.scales == ((0.5, 10), (1.0, None))  # an explicit plan is kept
