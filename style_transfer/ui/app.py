"""The Gradio app of `style-transfer ui`: a photo in one or several styles with live previews, a grid
of styles for one photo, short videos, and a `/stylize` endpoint for scripts (gradio_client).

Every stylising event shares one queue slot (concurrency id "engine", limit 1) and runs under
jobs.ENGINE_LOCK, so browser tabs wait their turn instead of mixing results. Uploads reach the
functions unprocessed (preprocess=False) and are read by media.images.load_image, so a bad upload
gets the project's one-line message in the page rather than Gradio's own failure.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np

from style_transfer.errors import NonFiniteLossError, UserInputError
from style_transfer.media.images import MIN_SIDE, load_image, resize_longest, save_image
from style_transfer.nst.config import DEFAULT_PRESET, DEFAULT_SIZE, PRESERVE_COLOR_MODES, PRESETS, make_config
from style_transfer.ui.jobs import Job
from style_transfer.video.defaults import DEFAULT_STEPS_PER_FRAME

# The bundled paintings sit in the repository's imgs/ folder (a source checkout or editable install).
PAINTINGS_DIR = Path(__file__).resolve().parents[2] / "imgs"
VIDEO_TYPES = [".mp4", ".gif", ".mov", ".webm", ".avi", ".mkv"]
MAX_SIZE = 1024       # px: the sliders' top; larger runs belong on the command line
MAX_VIDEO_FRAMES = 120
# Flag names in the engine's messages, as the page labels them.
FIELD_NAMES = {"--steps": "Steps", "--seed": "Seed", "--style-blend": "Blend weights", "--preset": "Preset",
               "--preserve-color": "Colour preservation"}
KEEP_OUTPUTS = 3600   # s: a request's files are kept this long for its downloads
ENGINE = {"concurrency_id": "engine", "concurrency_limit": 1}

CSS = """
.status p { margin: 0; font-variant-numeric: tabular-nums; }
"""


def bundled_paintings(folder: Path = PAINTINGS_DIR) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.glob("*.png"))} if folder.is_dir() else {}


def upload_file(payload) -> tuple[str, str] | None:
    """(path on the server, name the user gave it) of an upload as Gradio hands it over unprocessed."""
    if payload is None:
        return None
    if isinstance(payload, (str, Path)):
        return str(payload), Path(payload).name
    data = payload if isinstance(payload, dict) else vars(payload)
    path = data.get("path")
    if not path:
        return None
    return str(path), data.get("orig_name") or Path(path).name


def user_message(exc: Exception, files=()) -> str:
    """The error's one line as the page should say it: upload names instead of server paths, the page's
    labels instead of command-line flags."""
    text = str(exc)
    for path, name in files:
        text = text.replace(path, name)
    for flag, label in FIELD_NAMES.items():
        text = re.sub(re.escape(flag) + r"\b", label, text)
    return text


def whole_number(value, what: str, lo: int, hi: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"{what} must be a whole number, got {value!r}") from None
    if not number.is_integer() or not lo <= number <= hi:
        raise gr.Error(f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    return int(number)


def read_image(payload, what: str, size: int | None = None):
    """An upload as an RGB PIL image (longest side `size`), or gr.Error with a clear line."""
    upload = upload_file(payload)
    if upload is None:
        raise gr.Error(f"Please upload a {what}.")
    try:
        image = load_image(upload[0])
    except UserInputError as exc:
        raise gr.Error(f"{what.capitalize()}: {user_message(exc, [upload])}") from None
    return resize_longest(image, size)


def settings(n_styles: int, **values):
    try:
        return make_config(n_styles=n_styles, **values)
    except UserInputError as exc:
        raise gr.Error(user_message(exc)) from None


def arrays(*images) -> list[np.ndarray]:
    return [np.asarray(im, np.float32) for im in images]


def watch(job: Job, on_items, idle_outputs: tuple):
    """Relay a job's reports to the page as `on_items(items)` yields; always stop the job on exit
    (a cancel closes this generator at a yield). Returns the job's result, None when it was cancelled."""
    try:
        for kind, value in job.events():
            if kind == "items":
                yield on_items(value)
            elif kind == "idle":
                yield idle_outputs
            else:
                return value
    except UserInputError as exc:
        raise gr.Error(user_message(exc)) from None
    except NonFiniteLossError as exc:
        raise gr.Error(str(exc)) from None
    finally:
        job.stop()


class StyleApp:
    """The functions behind the page, holding the loss network (built once by the caller) and a
    folder for the files each request offers for download."""

    def __init__(self, network, paintings: dict[str, Path] | None = None, workdir: Path | None = None):
        self.network = network
        self.paintings = bundled_paintings() if paintings is None else paintings
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="style-transfer-ui-"))
        self.workdir.mkdir(parents=True, exist_ok=True)

    # --- helpers ------------------------------------------------------------------------------
    def request_folder(self) -> Path:
        """A new folder for one request's files, after removing those of requests long finished."""
        now = time.time()
        for old in self.workdir.iterdir():
            if old.is_dir() and now - old.stat().st_mtime > KEEP_OUTPUTS:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self.workdir))

    def styles(self, paintings, uploads) -> list[tuple[str, object]]:
        """(label, PIL image) for each chosen painting, then each uploaded style."""
        chosen = []
        for name in paintings or []:
            if name not in self.paintings:
                raise gr.Error(f"Unknown painting: {name}")
            chosen.append((name, load_image(self.paintings[name])))
        for payload in uploads or []:
            upload = upload_file(payload)
            chosen.append((Path(upload[1]).stem if upload else "style", read_image(payload, "style image")))
        if not chosen:
            raise gr.Error("Choose a painting or upload a style image.")
        return chosen

    # --- the photo tab ------------------------------------------------------------------------
    def stylize_live(self, content, paintings, uploads, blend, preset, steps, size, preserve, seed, every,
                     progress=gr.Progress()):
        """Stream previews every `every` steps, then the result and the downloads (PNG, progress GIF)."""
        from style_transfer.figures.progress import ProgressWriter
        from style_transfer.nst.engine import stylize

        size = whole_number(size, "Size", 64, MAX_SIZE)
        every = whole_number(every, "Preview every", 1, 1000)
        photo = read_image(content, "content image", size)
        styles = self.styles(paintings, uploads)
        config = settings(len(styles), steps=whole_number(steps, "Steps", 1, 2000), preset=preset,
                          preserve_color=None if preserve == "off" else preserve,
                          style_blend=(blend or "").strip() or None, seed=whole_number(seed, "Seed", 0, 2**32 - 1))
        width, height = photo.size
        total = sum(steps for _, _, steps in config.scale_plan(height, width))
        folder = self.request_folder()
        name = Path(upload_file(content)[1]).stem or "photo"
        result_path, gif_path = folder / f"{name}_stylised.png", folder / f"{name}_progress.gif"
        content_arr, *style_arrs = arrays(photo, *(image for _, image in styles))

        def work(report):
            with ProgressWriter(gif_path, size=(width, height)) as writer:
                def on_step(p):
                    frame = None
                    if p.step % every == 0:
                        frame = p.image()
                        writer.add(frame, p.step)
                    report({"step": p.step, "loss": p.losses["total"], "image": frame})

                result = stylize(content_arr, style_arrs, config, self.network, callback=on_step, progress=False)
                if result.steps % every:
                    writer.add(result.image, result.steps)
            save_image(result.image, result_path)
            return result

        def show(items):
            step, loss = items[-1]["step"], items[-1]["loss"]
            progress((step, total), desc="stylising", unit="steps")
            frames = [item["image"] for item in items if item["image"] is not None]
            return (frames[-1] if frames else gr.skip(), f"Step {step} of {total} · loss {loss:.4g}", gr.skip())

        label = " + ".join(n for n, _ in styles)
        yield None, f"Starting: {width}×{height} px in the style of {label}…", None
        result = yield from watch(Job(work), show, (gr.skip(),) * 3)
        if result is not None:
            yield (result.image, f"Done: {result.steps} steps in {result.seconds:.1f} s, {width}×{height} px, "
                                 f"style of {label}.", [str(result_path), str(gif_path)])

    # --- the API endpoint -------------------------------------------------------------------------
    def stylize_api(self, content, style, steps, size):
        """(content image, style image, steps, size) → the stylised image, longest side `size`."""
        from style_transfer.nst.engine import stylize
        from style_transfer.ui.jobs import ENGINE_LOCK

        steps = whole_number(steps, "Steps", 1, 2000)
        size = whole_number(size, "Size", MIN_SIDE, MAX_SIZE)
        photo = read_image(content, "content image", size)
        painting = read_image(style, "style image")
        config = settings(1, steps=steps)
        try:
            with ENGINE_LOCK:
                return stylize(*arrays(photo), arrays(painting), config, self.network, progress=False).image
        except NonFiniteLossError as exc:
            raise gr.Error(str(exc)) from None

    # --- the grid tab -------------------------------------------------------------------------
    def grid_live(self, content, paintings, uploads, preset, steps, size, progress=gr.Progress()):
        """One photo in several styles: a figure with the styles on top and the photo on the left."""
        from style_transfer.figures.layout import grid_figure
        from style_transfer.nst.engine import stylize

        size = whole_number(size, "Size", 64, MAX_SIZE)
        photo = read_image(content, "content image", size)
        styles = self.styles(paintings, uploads)
        config = settings(1, steps=whole_number(steps, "Steps", 1, 2000), preset=preset)
        width, height = photo.size
        per_cell = sum(steps for _, _, steps in config.scale_plan(height, width))
        total = per_cell * len(styles)
        name = Path(upload_file(content)[1]).stem or "photo"
        path = self.request_folder() / f"{name}_grid.png"
        content_arr, *style_arrs = arrays(photo, *(image for _, image in styles))

        def work(report):
            results = []
            for j, style in enumerate(style_arrs):
                result = stylize(content_arr, [style], config, self.network, progress=False,
                                 callback=lambda p, j=j: report({"cell": j, "step": j * per_cell + p.step}))
                results.append(result.image)
                report({"cell": j, "step": (j + 1) * per_cell, "image": result.image})
            figure = grid_figure([photo], [image for _, image in styles], [results], tile=size, labels=True,
                                 content_labels=[name], style_labels=[n for n, _ in styles])
            save_image(figure, path)
            return figure

        def show(items):
            item = items[-1]
            progress((item["step"], total), desc="stylising", unit="steps")
            done = [i["image"] for i in items if "image" in i]
            cell = item["cell"] + (1 if "image" in item else 0)
            text = (f"Style {min(cell + 1, len(styles))} of {len(styles)}: {styles[min(cell, len(styles) - 1)][0]} "
                    f"· step {item['step']} of {total}")
            return (done[-1] if done else gr.skip(), text, gr.skip())

        yield None, f"Starting: {len(styles)} styles at {width}×{height} px…", None
        figure = yield from watch(Job(work, "grid"), show, (gr.skip(),) * 3)
        if figure is not None:
            yield figure, f"Done: {len(styles)} styles, figure {figure.width}×{figure.height} px.", str(path)

    # --- the video tab ------------------------------------------------------------------------
    def video_live(self, video, painting, upload, size, first_steps, steps_per_frame, frames,
                   progress=gr.Progress()):
        """A short clip, frame by frame with temporal coherence, as an MP4."""
        from style_transfer.media.video import VideoReader
        from style_transfer.video.stylizer import stylize_video

        source = upload_file(video)
        if source is None:
            raise gr.Error("Please upload a video (MP4 or GIF).")
        if Path(source[1]).suffix.lower() not in VIDEO_TYPES:
            raise gr.Error(f"Video: {source[1]} is not one of {', '.join(VIDEO_TYPES)}")
        size = whole_number(size, "Size", 64, MAX_SIZE)
        frames = whole_number(frames, "Frames", 1, MAX_VIDEO_FRAMES)
        first_steps = whole_number(first_steps, "First-frame steps", 1, 2000)
        steps_per_frame = whole_number(steps_per_frame, "Steps per frame", 1, 2000)
        if upload is not None:
            style_name, style = Path(upload_file(upload)[1]).stem, read_image(upload, "style image")
        elif painting in self.paintings:
            style_name, style = painting, load_image(self.paintings[painting])
        else:
            raise gr.Error("Choose a painting or upload a style image.")
        config = settings(1)
        try:
            with VideoReader(source[0], end=frames, size=size, even=True) as reader:
                count, (width, height) = reader.count or frames, reader.size
        except UserInputError as exc:
            raise gr.Error(f"Video: {user_message(exc, [source])}") from None
        path = self.request_folder() / f"{Path(source[1]).stem}_stylised.mp4"

        def work(report):
            result = stylize_video(source[0], arrays(style), path, config, self.network, end=frames, size=size,
                                   progress=False, steps_per_frame=steps_per_frame, first_frame_steps=first_steps,
                                   on_frame=lambda i, frame, out: report({"frame": i + 1, "image": out}))
            return result

        def show(items):
            item = items[-1]
            progress((item["frame"], count), desc="frames", unit="frames")
            return (item["image"], f"Frame {item['frame']} of {count}", gr.skip())

        yield None, f"Starting: {count} frames at {width}×{height} px in the style of {style_name}…", None
        result = yield from watch(Job(work, "video"), show, (gr.skip(),) * 3)
        if result is not None:
            yield (gr.skip(), f"Done: {result.frames} frames in {result.seconds:.1f} s.", str(path))


def style_picker(paintings: dict[str, Path], default: list[str], uploads_label: str):
    """The paintings as clickable thumbnails and a checklist, plus uploads: (checklist, uploads)."""
    names = list(paintings)
    gallery = gr.Gallery([(str(p), n) for n, p in paintings.items()], show_label=False, columns=6, height=124, object_fit="cover", allow_preview=False, buttons=[],
                         visible=bool(paintings))
    chosen = gr.CheckboxGroup(names, value=[n for n in default if n in paintings], visible=bool(paintings),
                              label="Paintings", info="Tick them here, or click a picture above to add or remove it.")
    uploads = gr.File(file_count="multiple", file_types=["image"], label=uploads_label, height=110)

    def toggle(current, evt: gr.SelectData):
        name = names[evt.index]
        current = list(current or [])
        return [n for n in current if n != name] if name in current else current + [name]

    gallery.select(toggle, chosen, chosen, queue=False, api_visibility="private")
    return chosen, uploads


def build_app(network, paintings: dict[str, Path] | None = None, workdir: Path | None = None) -> gr.Blocks:
    """The page: Photo, Grid and Video tabs, and the hidden `/stylize` API endpoint."""
    from style_transfer.video.defaults import DEFAULT_FIRST_FRAME_STEPS

    app = StyleApp(network, paintings, workdir)
    presets = list(PRESETS)
    with gr.Blocks(title="Style transfer", delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown("## Neural style transfer\nUpload a photo, pick one or more paintings, and watch it being "
                    "painted. The loss network is the VGG16 backbone of an SSD300 detector.")
        with gr.Tabs():
            with gr.Tab("Photo"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=6):
                        content = gr.Image(type="filepath", image_mode=None, label="Photo", height=300,
                                           sources=["upload", "clipboard"])
                        paintings_in, uploads = style_picker(app.paintings, ["GreatWave"],
                                                             "Your own style images (optional)")
                        blend = gr.Textbox(label="Blend weights", placeholder="e.g. 2,1 — equal when empty",
                                           info="One weight per style: the ticked paintings in order, then uploads.")
                        with gr.Row():
                            preset = gr.Radio(presets, value=DEFAULT_PRESET, label="Preset",
                                              info="light keeps the photo; strong lets the painting take over")
                            preserve = gr.Radio(["off", *PRESERVE_COLOR_MODES], value="off",
                                                label="Keep the photo's colours")
                        with gr.Row():
                            steps = gr.Slider(1, 500, value=50, step=1, label="Steps")
                            size = gr.Slider(64, MAX_SIZE, value=DEFAULT_SIZE, step=16, label="Size (px, longest side)")
                        with gr.Accordion("More settings", open=False):
                            with gr.Row():
                                seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                                every = gr.Slider(1, 50, value=5, step=1, label="Preview every N steps")
                        with gr.Row():
                            run = gr.Button("Stylise", variant="primary")
                            cancel = gr.Button("Cancel", variant="stop")
                    with gr.Column(scale=5):
                        result = gr.Image(label="Result", format="png", interactive=False, height=420,
                                          buttons=["download", "fullscreen"])
                        status = gr.Markdown("Ready.", elem_classes="status")
                        downloads = gr.File(label="Downloads: result (PNG) and progress animation (GIF)",
                                            file_count="multiple", interactive=False)
                event = run.click(app.stylize_live,
                                  [content, paintings_in, uploads, blend, preset, steps, size, preserve, seed, every],
                                  [result, status, downloads], preprocess=False, api_visibility="undocumented",
                                  show_progress="minimal", **ENGINE)
                cancel.click(lambda: "Cancelled.", None, status, cancels=[event], queue=False,
                             api_visibility="private")

            with gr.Tab("Grid"):
                gr.Markdown("One photo in several styles, side by side.")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=4):
                        g_content = gr.Image(type="filepath", image_mode=None, label="Photo", height=260)
                        g_paintings, g_uploads = style_picker(app.paintings, ["GreatWave", "kandinky", "gogh_auvert"],
                                                              "More style images (optional)")
                        g_preset = gr.Radio(presets, value=DEFAULT_PRESET, label="Preset")
                        with gr.Row():
                            g_steps = gr.Slider(1, 300, value=30, step=1, label="Steps per style")
                            g_size = gr.Slider(64, 512, value=192, step=16, label="Size (px, longest side)")
                        with gr.Row():
                            g_run = gr.Button("Make the grid", variant="primary")
                            g_cancel = gr.Button("Cancel", variant="stop")
                    with gr.Column(scale=6):
                        g_result = gr.Image(label="Grid", format="png", interactive=False, height=420)
                        g_status = gr.Markdown("Ready.", elem_classes="status")
                        g_download = gr.File(label="Download the grid (PNG)", interactive=False)
                g_event = g_run.click(app.grid_live, [g_content, g_paintings, g_uploads, g_preset, g_steps, g_size],
                                      [g_result, g_status, g_download], preprocess=False,
                                      api_visibility="undocumented", show_progress="minimal", **ENGINE)
                g_cancel.click(lambda: "Cancelled.", None, g_status, cancels=[g_event], queue=False,
                               api_visibility="private")

            with gr.Tab("Video"):
                gr.Markdown("A short clip (MP4 or GIF), stylised frame by frame; each frame starts from the "
                            "last one so the style does not flicker. Keep clips short: every frame is optimised.")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=5):
                        v_source = gr.File(file_types=VIDEO_TYPES, label="Video (MP4 or GIF)", height=110)
                        v_painting = gr.Dropdown(list(app.paintings), value=next(iter(app.paintings), None),
                                                 label="Painting", visible=bool(app.paintings))
                        v_upload = gr.Image(type="filepath", image_mode=None, height=160,
                                            label="…or your own style image (used instead of the painting)")
                        with gr.Row():
                            v_size = gr.Slider(64, 512, value=128, step=16, label="Size (px, longest side)")
                            v_frames = gr.Slider(1, MAX_VIDEO_FRAMES, value=24, step=1, label="Frames (at most)")
                        with gr.Row():
                            v_first = gr.Slider(1, 300, value=min(20, DEFAULT_FIRST_FRAME_STEPS), step=1,
                                                label="Steps for the first frame")
                            v_steps = gr.Slider(1, 100, value=min(5, DEFAULT_STEPS_PER_FRAME), step=1,
                                                label="Steps per later frame")
                        with gr.Row():
                            v_run = gr.Button("Stylise the video", variant="primary")
                            v_cancel = gr.Button("Cancel", variant="stop")
                    with gr.Column(scale=5):
                        v_preview = gr.Image(label="Latest frame", interactive=False, height=300)
                        v_status = gr.Markdown("Ready.", elem_classes="status")
                        v_result = gr.File(label="Download the video (MP4)", interactive=False)
                v_event = v_run.click(app.video_live,
                                      [v_source, v_painting, v_upload, v_size, v_first, v_steps, v_frames],
                                      [v_preview, v_status, v_result], preprocess=False,
                                      api_visibility="undocumented", show_progress="minimal", **ENGINE)
                v_cancel.click(lambda: "Cancelled.", None, v_status, cancels=[v_event], queue=False,
                               api_visibility="private")

        # The scripting endpoint, on components of its own so its inputs are exactly these four.
        with gr.Row(visible=False):
            api_content = gr.Image(type="filepath", label="content image")
            api_style = gr.Image(type="filepath", label="style image")
            api_steps = gr.Number(50, precision=0, label="steps")
            api_size = gr.Number(DEFAULT_SIZE, precision=0, label="size")
            api_result = gr.Image(format="png", label="stylised image")
            api_button = gr.Button()
        api_button.click(app.stylize_api, [api_content, api_style, api_steps, api_size], api_result,
                         api_name="stylize", preprocess=False,
                         api_description="Stylise a content image with a style image: (content, style, steps, size "
                                         "= longest side in px) → the stylised image.", **ENGINE)
    demo.queue(max_size=32)
    return demo


def serve(network, host: str = "127.0.0.1", port: int = 7860, paintings: dict[str, Path] | None = None) -> None:
    """Build the page around `network` and serve it until interrupted."""
    demo = build_app(network, paintings)
    demo.launch(server_name=host, server_port=port, theme=gr.themes.Soft(), css=CSS, show_error=True,
                footer_links=["api"], max_file_size="50mb")
