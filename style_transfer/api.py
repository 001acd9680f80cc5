"""Python API: a few calls from image files to a stylised image."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from style_transfer.backbone import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, FeatureExtractor
from style_transfer import images
from style_transfer.controls import Controls, finish, make_controls, make_reproducible, prepare
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
                   style_blend=None, style_scale: float = 1.0, preserve_color: str | None = None,
                   init="content", tv_weight: float | None = None, style_layers=None, content_layers=None,
                   preset: str | None = None, controls: Controls | None = None,
                   until_loss: float | None = None) -> StyleResult:
    """Stylise `content` with `style` (paths, PIL images or H×W×3 arrays, 0–255; `style`
    may be a list of styles, blended by `style_blend` weights, equal by default).

    The content (path or PIL image) is resized so its longest side is `size`; the
    style(s) so their longest side is `style_scale` × the content's. Artistic controls: `preserve_color`
    ("luminance" or "histogram"), `init` ("content", "noise", "style", a path or an
    array), `tv_weight`, `style_layers` ("conv1_1:1,conv2_1:0.5" or names),
    `content_layers`, `preset` ("light", "balanced", "strong"); or pass them all as
    `controls` (see style_transfer.controls). A `seed` makes the result bit-identical
    across runs on one machine. Writes the result to `output`, a content | style(s) |
    result strip to `side_by_side` and the optimisation as an animated GIF to
    `progress_gif`, when given. Returns the StyleResult (final image, loss history, seconds).
    """
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    if controls is None:
        controls = make_controls(tv_weight=(settings or StyleSettings()).tv_weight if tv_weight is None
                                 else tv_weight, preserve_color=preserve_color, style_blend=style_blend,
                                 style_scale=style_scale, init=init, style_layers=style_layers,
                                 content_layers=content_layers, preset=preset, seed=seed,
                                 n_styles=len(styles))
    settings = controls.settings(settings or StyleSettings())
    content_arr = _as_array(content, size)
    prep = prepare(content_arr, styles, controls)

    extractor = extractor or load_feature_extractor(ssd_weights)
    if controls.layers_changed:
        extractor = extractor.with_layers(controls.style_layers, controls.content_layers)
    make_reproducible(controls.seed)
    gif = GifWriter(progress_gif) if progress_gif else None
    on_step = (lambda i, frame: gif.add(finish(frame, content_arr, controls))) if gif else None
    result = stylize(prep.content, prep.styles, extractor, settings, init=prep.init,
                     style_blend=controls.style_blend, seed=controls.seed, progress=progress, on_step=on_step,
                     frame_every=progress_every, return_frames=return_frames, until_loss=until_loss)
    result.image = finish(result.image, content_arr, controls)
    if result.frames:
        result.frames = [finish(f, content_arr, controls) for f in result.frames]
    if output:
        save_image(result.image, output)
    if side_by_side:
        save_image(images.side_by_side([content_arr, *prep.shown_styles, result.image]), side_by_side)
    if gif:
        gif.close()
    return result
