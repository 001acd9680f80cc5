"""Python API: a few calls from image files to a stylised image."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from style_transfer.backbone import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, FeatureExtractor
from style_transfer import images
from style_transfer.images import load_image, resize_longest, save_image
from style_transfer.optimize import StyleResult, StyleSettings, stylize
from style_transfer.progress import GifWriter, ProgressWriter  # noqa: F401  (GifWriter re-exported)


@lru_cache(maxsize=4)
def load_feature_extractor(ssd_weights=None, style_layers=DEFAULT_STYLE_LAYERS,
                           content_layers=DEFAULT_CONTENT_LAYERS, backbone: str = "ssd300") -> FeatureExtractor:
    """SSD300 → weights → frozen truncated VGG16 feature model (cached per arguments)."""
    from style_transfer.backbone import build_feature_extractor

    return build_feature_extractor(ssd_weights, tuple(style_layers), tuple(content_layers), backbone)


def _as_array(image, size=None) -> np.ndarray:
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        image = load_image(image)
    if isinstance(image, Image.Image):
        image = resize_longest(image.convert("RGB"), size)
    return np.asarray(image, np.float32)


def stylize_images(content, style, settings: StyleSettings | None = None, *, size: int | None = None,
                   extractor: FeatureExtractor | None = None, ssd_weights=None, seed: int = 0,
                   progress: bool = True, output=None, side_by_side=None, progress_gif=None,
                   progress_mp4=None, progress_every: int = 1, loss_plot=None,
                   return_frames: bool = False) -> StyleResult:
    """Stylise `content` with `style` (paths, PIL images or H×W×3 arrays, 0–255).

    Paths and PIL images are resized so their longest side is `size`. Writes the
    result to `output`, a content | style | result strip to `side_by_side`, the
    optimisation every `progress_every` steps (step number in a corner) as an animated
    GIF to `progress_gif` and/or an MP4 to `progress_mp4`, and the loss curves as a PNG
    to `loss_plot`, when given. Returns the StyleResult (final image, loss history, seconds).
    """
    content_arr, style_arr = _as_array(content, size), _as_array(style, size)
    extractor = extractor or load_feature_extractor(ssd_weights)
    writers = [ProgressWriter(p) for p in (progress_gif, progress_mp4) if p]

    def on_step(step, frame):
        for w in writers:
            w.add(frame, step)

    result = stylize(content_arr, style_arr, extractor, settings, seed=seed, progress=progress,
                     on_step=on_step if writers else None,
                     frame_every=progress_every, return_frames=return_frames)
    if output:
        save_image(result.image, output)
    if side_by_side:
        save_image(images.side_by_side([content_arr, style_arr, result.image]), side_by_side)
    for w in writers:
        w.close()
    if loss_plot:
        from style_transfer.figures import plot_losses

        plot_losses(result.history, loss_plot, settings or StyleSettings())
    return result
