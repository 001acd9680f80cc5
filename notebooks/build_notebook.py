"""Writes notebooks/style_transfer_examples.ipynb, executed so it reads as a showcase where it is hosted.

    python notebooks/build_notebook.py              # build and execute (a few minutes on 2 cores)
    python notebooks/build_notebook.py --no-execute # build only, outputs cleared
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).with_name("style_transfer_examples.ipynb")

CELLS = [
    ("md", """# Style transfer through the VGG16 backbone of an SSD300 detector

Transfer learning, the other way round: the VGG16 feature extractor that an SSD300 object detector
was built on is copied out, frozen, and reused as the *loss network* of neural style transfer.
This notebook loads that model, stylises a photo, plots the losses, builds a grid of one photo in
three styles, makes a 2×2 montage, stylises a short clip and compares loss networks.

The next cell holds the parameters: small values run in a minute on a laptop CPU; raise `SIZE` and
`STEPS` (e.g. 256 and 150) for finished-looking results. The tests run this notebook with tiny values
through the `ST_NB_*` environment variables."""),
    ("code", """# Parameters
import os

SIZE = int(os.environ.get("ST_NB_SIZE", 192))        # longest side of the working images, px
STEPS = int(os.environ.get("ST_NB_STEPS", 60))       # optimisation steps per image
OUT_DIR = os.environ.get("ST_NB_OUT", "notebook_outputs")  # where figures and animations go"""),
    ("code", """import sys
import warnings
from pathlib import Path

ROOT = Path.cwd() if (Path.cwd() / "imgs").is_dir() else Path.cwd().parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", message="IProgress not found")  # without ipywidgets tqdm draws text bars
IMGS = ROOT / "imgs"
OUT = Path(OUT_DIR)
OUT.mkdir(parents=True, exist_ok=True)

import numpy as np
from IPython.display import Image as ShowFile, display

from style_transfer.media.images import load_array, to_pil
from style_transfer.nst.config import StyleConfig

config = StyleConfig(steps=STEPS)"""),
    ("md", """## 1. The model: SSD300 → copied, frozen VGG16

`default_network` instantiates SSD300, loads its weights (a VOC checkpoint from `ssd_weights/`
when one is there; otherwise SSD300's VGG16 part is initialised from ImageNet, as SSD training
starts), copies its VGG16 layers into a truncated VGG16 and freezes them."""),
    ("code", """from style_transfer.nst.network import default_network

extractor = default_network()
print(extractor.description)
print("style layers:  ", ", ".join(extractor.style_layers))
print("content layers:", ", ".join(extractor.content_layers))
print("trainable weights in the loss network:", len(extractor.model.trainable_weights))"""),
    ("md", """## 2. Stylise one photo

The image itself is optimised (L-BFGS-B within the 0–255 box, the default) so its VGG16 features
keep the photo's content (conv5_2) and
take the painting's Gram-matrix statistics (conv1_1 … conv2_2). Every few steps a frame goes to an
animated GIF with the step number in its corner."""),
    ("code", """from style_transfer.api import stylize_images

result = stylize_images(IMGS / "chelsea.jpg", IMGS / "GreatWave.png", config, size=SIZE,
                        network=extractor, output=OUT / "chelsea_greatwave.jpg",
                        progress_gif=OUT / "progress.gif", progress_every=max(1, STEPS // 20))
print(f"{result.steps} steps in {result.seconds:.1f} s, final loss {result.final_loss:.4g}")
display(to_pil(result.image))"""),
    ("code", """display(ShowFile(filename=str(OUT / "progress.gif")))"""),
    ("md", """## 3. The losses

Total, style and content losses per step (weighted as they enter the total), on a log scale."""),
    ("code", """from style_transfer.figures.layout import plot_losses

plot_losses(result.history, OUT / "losses.png", result.config, title="chelsea × GreatWave")
display(ShowFile(filename=str(OUT / "losses.png")))"""),
    ("md", """## 4. One photo in three styles

Rows are photos, columns are styles; each result carries a small framed inset of its style.
Results are cached on disk, so adding a style later only computes the new column."""),
    ("code", """from style_transfer.showcase.cache import ResultCache
from style_transfer.figures.layout import grid_figure
from style_transfer.showcase.grid import stylize_grid

style_files = ["GreatWave.png", "kandinky.png", "gogh_auvert.png"]
photo = load_array(IMGS / "chelsea.jpg", SIZE)
paintings = [load_array(IMGS / f, SIZE) for f in style_files]
cells = stylize_grid([photo], paintings, extractor, config, cache=ResultCache(OUT / "cache"))
grid = grid_figure([photo], paintings, cells, tile=SIZE, labels=True, content_labels=["chelsea"],
                   style_labels=[Path(f).stem for f in style_files])
grid.save(OUT / "grid.jpg", quality=92)
display(grid)"""),
    ("md", """## 5. A 2×2 montage

The original's montage order: bottom-left, bottom-right, top-right, top-left."""),
    ("code", """from style_transfer.figures.montage import tile_frames

tiles = [to_pil(photo)] + [to_pil(c) for c in cells[0]]
display(tile_frames(tiles, tiles[0].size, gutter=4))"""),
    ("md", """## 6. A short clip

A small camera pan across a photo, written to an MP4 and stylised by `stylize_video` in one call:
the first frame gets the full steps; each later frame starts from the previous stylised frame warped
by optical flow, with a temporal loss that keeps it steady (see `docs/video.md`)."""),
    ("code", """from style_transfer.media.images import load_image
from style_transfer.media.video import VideoWriter
from style_transfer.video.stylizer import stylize_video

# An 8-frame pan across the astronaut photo, as a real video file.
wide = load_array(IMGS / "astronaut.jpg", SIZE)
h, w = wide.shape[0], wide.shape[1]
crop_w = int(w * 0.75) // 2 * 2
with VideoWriter(OUT / "pan.mp4", 8.0, (crop_w, h // 2 * 2)) as writer:
    for x in np.linspace(0, w - crop_w, 8).astype(int):
        writer.write(wide[:h // 2 * 2, x:x + crop_w].astype(np.uint8))

video = stylize_video(OUT / "pan.mp4", [load_image(IMGS / "HokusaiBridge.png")], OUT / "clip.gif", config,
                      extractor, first_frame_steps=STEPS, steps_per_frame=max(1, STEPS // 4), size=None,
                      inset="content", progress=False)
print(f"{video.frames} frames of {video.size[0]}x{video.size[1]} at {video.fps:g} fps; "
      f"seconds per frame: {', '.join(f'{s:.1f}' for s in video.seconds_per_frame)}")
display(ShowFile(filename=str(video.path)))"""),
    ("md", """## 7. Which loss network?

The same stylisation through (a) SSD300's backbone as loaded, (b) ImageNet VGG16 and (c) a randomly
initialised VGG16. Without a VOC checkpoint (a) *is* ImageNet VGG16 (SSD300's backbone is initialised
from it), and the figure says so; drop a fine-tuned checkpoint into `ssd_weights/` to see what
detection training changed. A random network still transfers some colour and texture, but not the
painting's strokes."""),
    ("code", """from style_transfer.showcase.compare import compare_backbones, comparison_figure

content = load_array(IMGS / "chelsea.jpg", SIZE)
style = load_array(IMGS / "GreatWave.png", SIZE)
runs = compare_backbones(content, style, config)
for run in runs:
    print(f"{run.label}: final loss {run.result.final_loss:.4g} in {run.seconds:.1f} s")
figure = comparison_figure(content, style, runs)
figure.save(OUT / "backbones.png")
display(figure)"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, outputs cleared, the parameter cell tagged 'parameters'."""
    cells = []
    for kind, text in CELLS:
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        if kind == "code" and text.startswith("# Parameters"):
            cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids so the file does not change on every build
        cell["id"] = f"cell-{i:02d}"
    return nb


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell in notebooks/ (figures go to a throw-away folder) and keep the outputs, without the
    per-run timing metadata, so a rebuild changes the file only where results change, and without the
    native log lines TensorFlow writes to the kernel's stderr (the CLI filters the same lines)."""
    import os
    import tempfile

    from nbclient import NotebookClient

    from style_transfer.cli.main import NATIVE_LOG_LINE

    with tempfile.TemporaryDirectory() as out:
        os.environ["ST_NB_OUT"] = out
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                output.text = "".join(line for line in output.text.splitlines(keepends=True)
                                      if not NATIVE_LOG_LINE.match(line.encode()))
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and not o.text)]
    return nb


if __name__ == "__main__":
    import sys

    notebook = build() if "--no-execute" in sys.argv else execute(build())
    nbformat.write(notebook, NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
