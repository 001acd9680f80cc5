"""Optimisation settings (no TensorFlow import, so the command line can validate input fast)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StyleSettings:
    """Optimisation settings. total = style_weight·style + content_weight·content (+ tv, temporal terms)."""

    steps: int = 50
    lr: float = 10.0
    style_weight: float = 1.0
    content_weight: float = 1e-3
    tv_weight: float = 0.0
    temporal_weight: float = 0.0
    style_layer_weights: tuple | None = None  # one weight per style layer; None = all 1
    optimizer: str = "lbfgs"  # "lbfgs" (L-BFGS-B, the [0, 255] box as bounds) or "adam" (lr, then clip)
    scales: tuple = ((1.0, None),)  # coarse-to-fine: (fraction of the size, steps or None = `steps`)


AUTO_SCALES_ABOVE = 512  # px on the long side: larger images are optimised coarse to fine by default


def auto_scales(size: int | None, steps: int) -> tuple:
    """The default coarse-to-fine plan for a working size: one full-size stage up to 512 px; above
    that `steps` at ¼ size, `steps`/2 at ½ and `steps`/4 at full size (a 1024 px image then
    finishes in under 5 minutes on 2 cores instead of about 9; see README, Speed)."""
    if size is None or size <= AUTO_SCALES_ABOVE:
        return ((1.0, None),)
    return ((0.25, steps), (0.5, max(1, steps // 2)), (1.0, max(1, steps // 4)))
