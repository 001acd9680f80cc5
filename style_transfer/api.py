"""Python API: image files (or arrays) in, a stylised image and the files asked for out."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from style_transfer.figures.layout import row
from style_transfer.media import provenance
from style_transfer.media.images import (atomic_output, atomic_outputs, is_path, load_image, resize_longest,
                                         write_image)
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
                   save_settings: bool = False, save_every: int | None = None, argv=None, **settings):
    """Stylise `content` with `style` (paths, PIL images or H×W×3 arrays, 0–255; `style` may be a
    list of styles, blended by the `style_blend` weights, equal by default).

    Settings come as a `config` (style_transfer.nst.config.StyleConfig) or as its fields by keyword
    (`steps=`, `preset=`, `preserve_color=`, `style_layers="conv1_1:1,conv2_1:0.5"`, `seed=` …). The
    content (a path or PIL image) is resized so its longest side is `size`. Writes the result to
    `output`, a content | style(s) | result strip to `side_by_side_path`, the optimisation every
    `progress_every` steps (step number in a corner) as a GIF and/or MP4, and the loss curves as a PNG
    to `loss_plot`, when given. Returns the engine's StyleResult (image, history, seconds).

    Every image written carries its provenance record (media/provenance.py: the settings, seed,
    working size, loss network fingerprint, version and `argv`, the command line when there is
    one); `save_settings` also writes it as `OUTPUT.json` beside `output`, in the same transaction.
    `save_every` K writes the image every K steps beside `output` as `<stem>.step<NNNN><ext>`,
    each file on its own (snapshots as the run goes, not part of the final transaction).
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
    if save_every and not output:
        raise ValueError("save_every needs an output path to name the snapshots after")
    sidecar = provenance.sidecar_path(output) if save_settings and output else None
    # every output is one transaction: folders and temp files made now (an unwritable output
    # fails before the optimisation), all renamed into place at the end, none on failure
    with atomic_outputs([output, side_by_side_path, progress_gif, progress_mp4, loss_plot, sidecar]) as files:
        # the writers fill this transaction's temp files: its rollback removes them however a run ends
        writers = [ProgressWriter(files[p], size=(width, height), atomic=False)
                   for p in (progress_gif, progress_mp4) if p]
        last_written = 0
        network = network or default_network(ssd_weights)
        record = _record(config, network, (width, height), argv)

        def on_step(p) -> None:
            nonlocal last_written
            frame = None
            if writers and p.step % progress_every == 0:
                frame = p.image()
                for w in writers:
                    w.add(frame, p.step)
                last_written = p.step
            if save_every and p.step % save_every == 0:
                frame = p.image() if frame is None else frame
                save_snapshot(frame, snapshot_path(output, p.step), (width, height), {**record, "step": p.step})

        try:
            result = stylize(content_arr, style_arrs, config, network,
                             callback=on_step if writers or save_every else None, progress=progress)
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
            write_image(result.image, files[output], metadata=record)
        if side_by_side_path:
            write_image(row([content_arr, *result.shown_styles, result.image]), files[side_by_side_path],
                        metadata=record)
        if sidecar:
            files[sidecar].write_text(provenance.sidecar_text(record), encoding="utf-8")
        if loss_plot:
            from style_transfer.figures.layout import plot_losses

            plot_losses(result.history, files[loss_plot], result.config)
    return result


def _record(config: StyleConfig, network, working_size, argv) -> dict:
    """The provenance record of this run (media/provenance.py)."""
    from style_transfer.showcase.cache import extractor_fingerprint

    # a stand-in network (a test's) has no weights to fingerprint: the record then says None
    return provenance.make_record(
        config.key(), seed=config.seed, working_size=working_size,
        network_fingerprint=extractor_fingerprint(network) if hasattr(network, "vgg") else None,
        network_description=getattr(network, "description", None), argv=argv)


def snapshot_path(output, step: int) -> Path:
    """`<stem>.step<NNNN><ext>` beside `output`: where the image after `step` is saved (--save-every)."""
    output = Path(output)
    return output.with_name(f"{output.stem}.step{step:04d}{output.suffix}")


def save_snapshot(image, path, size: tuple[int, int], record: dict) -> None:
    """One complete snapshot file, written atomically, at the output's size (W, H): coarse-to-fine
    scales hand over smaller images, and snapshots that differ in size would not line up."""
    pic = Image.fromarray(np.asarray(image, np.uint8), "RGB")
    if pic.size != size:
        pic = pic.resize(size, Image.Resampling.LANCZOS)
    with atomic_output(path) as tmp:
        write_image(pic, tmp, metadata=record)
