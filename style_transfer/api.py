"""Python API: a few calls from image files to a stylised image."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from style_transfer.backbone import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, FeatureExtractor
from style_transfer import images
from style_transfer.images import load_image, resize_longest, save_image
from style_transfer.optimize import StyleResult, StyleSettings, stylize


@lru_cache(maxsize=4)
def load_feature_extractor(ssd_weights=None, style_layers=DEFAULT_STYLE_LAYERS,
                           content_layers=DEFAULT_CONTENT_LAYERS, backbone: str = "ssd300") -> FeatureExtractor:
    """SSD300 → weights → frozen truncated VGG16 feature model (cached per arguments)."""
    from style_transfer.backbone import build_feature_extractor

    return build_feature_extractor(ssd_weights, tuple(style_layers), tuple(content_layers), backbone)


class GifWriter:
    """Collects frames and writes a looping GIF atomically on close."""

    def __init__(self, path, fps: float = 10.0):
        self.path, self.fps, self.frames = path, fps, []

    def add(self, frame) -> None:
        self.frames.append(Image.fromarray(np.asarray(frame, np.uint8)))

    def close(self) -> None:
        if not self.frames:
            return
        with images.atomic_output(self.path) as tmp:
            self.frames[0].save(tmp, format="GIF", save_all=True, append_images=self.frames[1:],
                                duration=int(1000 / self.fps), loop=0)


def _as_array(image, size=None) -> np.ndarray:
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        image = load_image(image)
    if isinstance(image, Image.Image):
        image = resize_longest(image.convert("RGB"), size)
    return np.asarray(image, np.float32)


def stylize_images(content, style, settings: StyleSettings | None = None, *, size: int | None = None,
                   extractor: FeatureExtractor | None = None, ssd_weights=None, seed: int = 0,
                   progress: bool = True, output=None, side_by_side=None, progress_gif=None,
                   progress_every: int = 1, return_frames: bool = False,
                   until_loss: float | None = None) -> StyleResult:
    """Stylise `content` with `style` (paths, PIL images or H×W×3 arrays, 0–255).

    Paths and PIL images are resized so their longest side is `size`. Writes the
    result to `output`, a content | style | result strip to `side_by_side` and the
    optimisation as an animated GIF to `progress_gif`, when given. Returns the
    StyleResult (final image, loss history, seconds).
    """
    content_arr, style_arr = _as_array(content, size), _as_array(style, size)
    extractor = extractor or load_feature_extractor(ssd_weights)
    gif = GifWriter(progress_gif) if progress_gif else None
    result = stylize(content_arr, style_arr, extractor, settings, seed=seed, progress=progress,
                     on_step=(lambda i, frame: gif.add(frame)) if gif else None,
                     frame_every=progress_every, return_frames=return_frames, until_loss=until_loss)
    if output:
        save_image(result.image, output)
    if side_by_side:
        save_image(images.side_by_side([content_arr, style_arr, result.image]), side_by_side)
    if gif:
        gif.close()
    return result
