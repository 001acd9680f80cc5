"""Python API: image files (or arrays) in, a stylised image and the files asked for out."""
from __future__ import annotations

import numpy as np
from PIL import Image

from style_transfer.figures.layout import row
from style_transfer.media.images import atomic_outputs, is_path, load_image, resize_longest, write_image
from style_transfer.nst.config import StyleConfig, make_config


def _as_array(image, size=None) -> np.ndarray:
    if is_path(image):
        image = load_image(image)
    if isinstance(image, Image.Image):
        image = resize_longest(image.convert("RGB"), size)
    return np.asarray(image, np.float32)


def stylize_images(content, style, config: StyleConfig | None = None, *, size: int | None = None,
                   network=None, ssd_weights=None, progress: bool = True, output=None, side_by_side_path=None,
                   progress_gif=None, progress_mp4=None, progress_every: int = 1, loss_plot=None,
                   **settings):
    """Stylise `content` with `style` (paths, PIL images or H×W×3 arrays, 0–255; `style` may be a
    list of styles, blended by the `style_blend` weights, equal by default).

    Settings come as a `config` (style_transfer.nst.config.StyleConfig) or as its fields by keyword
    (`steps=`, `preset=`, `preserve_color=`, `style_layers="conv1_1:1,conv2_1:0.5"`, `seed=` …). The
    content (a path or PIL image) is resized so its longest side is `size`. Writes the result to
    `output`, a content | style(s) | result strip to `side_by_side_path`, the optimisation every
    `progress_every` steps (step number in a corner) as a GIF and/or MP4, and the loss curves as a PNG
    to `loss_plot`, when given. Returns the engine's StyleResult (image, history, seconds).
    """
    from style_transfer.figures.progress import ProgressWriter
    from style_transfer.nst.engine import stylize
    from style_transfer.nst.network import default_network

    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    if settings:
        config = make_config(n_styles=len(styles), **{**(config.__dict__ if config else {}), **settings})
    config = config or StyleConfig()
    content_arr = _as_array(content, size)
    style_arrs = [_as_array(s) for s in styles]
    height, width = content_arr.shape[:2]
    # every output is one transaction: folders and temp files made now (an unwritable output
    # fails before the optimisation), all renamed into place at the end, none on failure
    with atomic_outputs([output, side_by_side_path, progress_gif, progress_mp4, loss_plot]) as files:
        writers = [ProgressWriter(files[p], size=(width, height)) for p in (progress_gif, progress_mp4) if p]
        last_written = 0

        def on_step(p) -> None:
            nonlocal last_written
            if p.step % progress_every == 0:
                frame = p.image()
                for w in writers:
                    w.add(frame, p.step)
                last_written = p.step

        network = network or default_network(ssd_weights)
        try:
            result = stylize(content_arr, style_arrs, config, network, callback=on_step if writers else None,
                             progress=progress)
            if writers and last_written != result.steps:
                for w in writers:
                    w.add(result.image, result.steps)
        except BaseException:
            for w in writers:
                w.abort()
            raise
        for w in writers:
            w.close()
        if output:
            write_image(result.image, files[output])
        if side_by_side_path:
            write_image(row([content_arr, *result.shown_styles, result.image]), files[side_by_side_path])
        if loss_plot:
            from style_transfer.figures.layout import plot_losses

            plot_losses(result.history, files[loss_plot], config)
    return result
