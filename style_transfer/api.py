"""Python API: a few calls from image files to a stylised image."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from style_transfer.backbone import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, FeatureExtractor
from style_transfer import color, images
from style_transfer.controls import Controls, initial_image, make_controls, make_reproducible, scale_style
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
                   preset: str | None = None, controls: Controls | None = None) -> StyleResult:
    """Stylise `content` with `style` (paths, PIL images or H×W×3 arrays, 0–255; `style`
    may be a list of styles, blended by `style_blend` weights, equal by default).

    The content (path or PIL image) is resized so its longest side is `size`; the
    style(s) so their longest side is `style_scale` × the content's (style arrays are
    used as given when `style_scale` is 1). Artistic controls: `preserve_color`
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
    style_arrs = [_as_array(s) if controls.style_scale == 1 and not _is_image_source(s)
                  else scale_style(_as_array(s), content_arr.shape[:2], controls.style_scale) for s in styles]
    init_arr = initial_image(controls.init, content_arr, style_arrs, controls.seed)
    mode = controls.preserve_color
    work_styles = [color.working_style(s, content_arr, mode) for s in style_arrs]

    extractor = extractor or load_feature_extractor(ssd_weights)
    if controls.layers_changed:
        extractor = extractor.with_layers(controls.style_layers, controls.content_layers)
    make_reproducible(controls.seed)
    gif = GifWriter(progress_gif) if progress_gif else None
    on_step = (lambda i, frame: gif.add(color.restore_colors(frame, content_arr, mode))) if gif else None
    result = stylize(color.working_content(content_arr, mode), work_styles, extractor, settings,
                     init=color.working_init(init_arr, mode), style_blend=controls.style_blend,
                     seed=controls.seed, progress=progress, on_step=on_step, frame_every=progress_every,
                     return_frames=return_frames)
    result.image = color.restore_colors(result.image, content_arr, mode)
    if result.frames:
        result.frames = [color.restore_colors(f, content_arr, mode) for f in result.frames]
    if output:
        save_image(result.image, output)
    if side_by_side:
        save_image(images.side_by_side([content_arr, *style_arrs, result.image]), side_by_side)
    if gif:
        gif.close()
    return result


def _is_image_source(image) -> bool:
    """Paths and PIL images are resized to the working size; arrays are taken as they are."""
    return isinstance(image, (str, bytes, Image.Image)) or hasattr(image, "__fspath__")
