"""Python API: a few calls from image files to a stylised image."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from style_transfer.nst.network import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, FeatureExtractor
from style_transfer.figures.layout import row
from style_transfer.nst.controls import Controls, finish, make_controls, make_reproducible, prepare
from style_transfer.media.images import is_path, load_image, resize_longest, save_image
from style_transfer.nst.optimizer import StyleResult, StyleSettings, stylize
from style_transfer.figures.progress import ProgressWriter


@lru_cache(maxsize=4)
def load_feature_extractor(ssd_weights=None, style_layers=DEFAULT_STYLE_LAYERS,
                           content_layers=DEFAULT_CONTENT_LAYERS, backbone: str = "ssd300") -> FeatureExtractor:
    """SSD300 → weights → frozen truncated VGG16 feature model (cached per arguments)."""
    from style_transfer.nst.network import build_feature_extractor

    return build_feature_extractor(ssd_weights, tuple(style_layers), tuple(content_layers), backbone)


def _as_array(image, size=None) -> np.ndarray:
    if is_path(image):
        image = load_image(image)
    if isinstance(image, Image.Image):
        image = resize_longest(image.convert("RGB"), size)
    return np.asarray(image, np.float32)


def stylize_images(content, style, settings: StyleSettings | None = None, *, size: int | None = None,
                   extractor: FeatureExtractor | None = None, ssd_weights=None, seed: int = 0,
                   progress: bool = True, output=None, side_by_side=None, progress_gif=None,
                   progress_mp4=None, progress_every: int = 1, loss_plot=None, return_frames: bool = False,
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
    `controls` (see style_transfer.nst.controls). A `seed` makes the result bit-identical
    across runs on one machine. Writes the result to `output`, a content | style(s) |
    result strip to `side_by_side`, the optimisation every `progress_every` steps (step
    number in a corner) as a GIF to `progress_gif` and/or an MP4 to `progress_mp4`, and
    the loss curves as a PNG to `loss_plot`, when given. Stops once the loss is ≤ `until_loss`.
    Returns the StyleResult (final image, loss history, seconds).
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
    writers = [ProgressWriter(p, size=(content_arr.shape[1], content_arr.shape[0]))
               for p in (progress_gif, progress_mp4) if p]

    def on_step(step, frame):
        frame = finish(frame, content_arr, controls)
        for w in writers:
            w.add(frame, step)

    try:
        result = stylize(prep.content, prep.styles, extractor, settings, init=prep.init,
                         style_blend=controls.style_blend, seed=controls.seed, progress=progress,
                         on_step=on_step if writers else None,
                         frame_every=progress_every, return_frames=return_frames, until_loss=until_loss)
    except BaseException:
        for w in writers:
            w.abort()  # frames are streamed to temp files: remove them
        raise
    result.image = finish(result.image, content_arr, controls)
    if result.frames:
        result.frames = [finish(f, content_arr, controls) for f in result.frames]
    if output:
        save_image(result.image, output)
    if side_by_side:
        save_image(row([content_arr, *prep.shown_styles, result.image]), side_by_side)
    for w in writers:
        w.close()
    if loss_plot:
        from style_transfer.figures.layout import plot_losses

        plot_losses(result.history, loss_plot, settings)
    return result
