"""Temporal coherence against its ablations (its own module, so the suite's workers can run it beside
the rest of the video tests)."""
from __future__ import annotations

import numpy as np
import pytest

from style_transfer.media.images import load_image
from video_helpers import STYLE, pan_clip, stylise as _stylise  # noqa: F401 (a fixture)


def _mean_style_loss(extractor, seen):
    """Mean style loss of the stylised frames against the style as the stylizer scaled it."""
    import tensorflow as tf

    from style_transfer.nst.config import StyleConfig
    from style_transfer.nst.losses import StyleLoss
    from style_transfer.nst.prepare import prepare

    h, w = seen[0][0].shape[:2]
    loss = StyleLoss(extractor, StyleConfig(content_weight=0.0), h, w)  # the style term alone is read
    loss.set_style(prepare(seen[0][0], [load_image(STYLE)], StyleConfig()).styles)
    return float(np.mean([loss(tf.constant(s[None], tf.float32))["style"] for _, s in seen]))


def test_coherent_mode_flickers_less_than_independent(extractor, pan_clip, tmp_path, monkeypatch):
    """At equal learning rates and equal steps on every frame, warping the previous stylised frame
    and the temporal term are what lower the flicker, at the same strength of style."""
    from style_transfer.nst.config import StyleConfig
    from style_transfer.video import stylizer
    from style_transfer.video.flicker import video_warping_error, warping_error

    steps, lr = 8, StyleConfig().lr
    runs = {"independent": {"independent": True},
            "coherent": {},
            # the coherent loop without flow: start from the previous stylised frame as it is, no temporal term
            "no warp": {"temporal_weight": 0.0}}
    errors, style = {}, {}
    for name, options in runs.items():
        with monkeypatch.context() as m:
            if name == "no warp":
                m.setattr(stylizer, "warp_with_mask", lambda frame, prev_frame, prev_working, method="dis": (
                    prev_working, np.ones(frame.shape[:2], np.float32)))
            result, seen = _stylise(extractor, pan_clip, tmp_path / f"{name}.mp4", end=5, steps_per_frame=steps,
                                    first_frame_steps=steps, later_lr=lr, **options)
        assert result.frames == 5 and result.steps_per_frame == [steps] * 5
        errors[name], pairs = warping_error([s for _, s in seen], [f for f, _ in seen])
        assert len(pairs) == 4
        on_disk, _ = video_warping_error(result.path, pan_clip, end=5)
        assert on_disk == pytest.approx(errors[name], rel=0.5)
        style[name] = _mean_style_loss(extractor, seen)
    unstyled = _mean_style_loss(extractor, [(f, f) for f, _ in seen])
    assert errors["coherent"] < 0.6 * errors["independent"], errors
    assert errors["coherent"] < 0.6 * errors["no warp"], errors
    # equally stylised: the style loss of both modes is within a factor of 2 and far below the content's
    assert 0.5 < style["coherent"] / style["independent"] < 2, style
    assert max(style.values()) < 0.2 * unstyled, (style, unstyled)
