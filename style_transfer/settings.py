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
