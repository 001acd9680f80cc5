"""Figure layout: pictures in a row or a grid, framed insets, captioned rows, loss plots.

Every figure the project makes is composed here: `Grid` is the one geometry (columns
and rows with gutters around and between), `row` a one-row Grid at one height, `framed_inset`
the one framed thumbnail in a corner.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from style_transfer.figures.labels import caption_strip, fit_text, font
from style_transfer.media.images import atomic_output, to_pil

BACKGROUND = (255, 255, 255)
TEXT = (30, 30, 30)
OUTLINE = (40, 40, 40)
INSET_MODES = ("style", "content", "both", "none")


def label_from_path(path) -> str:
    """A readable label from a file name: 'renoir-moulin_de_la_galette.png' → 'renoir moulin de la galette'."""
    return Path(path).stem.replace("_", " ").replace("-", " ").strip()


@dataclass(frozen=True)
class Grid:
    """Columns of `widths` and rows of `heights`, with `gutter` px around and between them."""

    widths: tuple
    heights: tuple
    gutter: int = 0

    @property
    def size(self) -> tuple:
        """(width, height) of the whole canvas."""
        return (self.gutter + sum(w + self.gutter for w in self.widths),
                self.gutter + sum(h + self.gutter for h in self.heights))

    def origin(self, row: int, col: int) -> tuple:
        """Top-left corner of cell (row, col)."""
        return (self.gutter + sum(w + self.gutter for w in self.widths[:col]),
                self.gutter + sum(h + self.gutter for h in self.heights[:row]))

    def compose(self, cells, background=BACKGROUND) -> Image.Image:
        """A canvas with each (image, (row, col)) of `cells` pasted at its cell's top-left corner."""
        canvas = Image.new("RGB", self.size, background)
        for image, (row, col) in cells:
            canvas.paste(to_pil(image), self.origin(row, col))
        return canvas


def fit_height(image, height: int) -> Image.Image:
    """`image` resized to `height` px tall, aspect ratio kept."""
    pic = to_pil(image)
    if pic.height == height:
        return pic
    return pic.resize((max(1, round(pic.width * height / pic.height)), height), Image.Resampling.LANCZOS)


def row(images, height: int | None = None, gutter: int = 8, background=BACKGROUND) -> Image.Image:
    """Images side by side at one height (the tallest by default; aspect ratios kept), with gutters."""
    pics = [to_pil(img) for img in images]
    height = height or max(p.height for p in pics)
    pics = [fit_height(p, height) for p in pics]
    grid = Grid(tuple(p.width for p in pics), (height,), gutter)
    return grid.compose(((p, (0, k)) for k, p in enumerate(pics)), background)


def fit_tile(image, size: tuple, fit: str = "crop") -> Image.Image:
    """Bring an image to `size` without stretching: crop to fill ("crop") or letterbox ("pad")."""
    img = to_pil(image)
    if img.size == tuple(size):
        return img
    if fit == "pad":
        return ImageOps.pad(img, size, Image.Resampling.LANCZOS, color=BACKGROUND)
    return ImageOps.fit(img, size, Image.Resampling.LANCZOS)


def framed_inset(base, picture, corner: str = "bottom-left", fraction: float = 0.3, *, box: tuple | None = None,
          border: int | None = None, margin: int | None = None, outline=OUTLINE) -> Image.Image:
    """`base` with a small copy of `picture` in a corner, framed white (and a 1 px `outline` unless None).

    The copy keeps its aspect ratio and fits `box` (W, H); by default a square whose side
    is `fraction` of the base's longest side.
    """
    base = to_pil(base).copy()
    border = border if border is not None else max(2, round(min(base.size) / 80))
    margin = margin if margin is not None else max(3, round(min(base.size) / 40))
    if box is None:
        box = (max(8, round(max(base.size) * fraction)),) * 2
    pic = to_pil(picture)
    scale = min(box[0] / pic.width, box[1] / pic.height)
    small = pic.resize((max(1, round(pic.width * scale)), max(1, round(pic.height * scale))),
                       Image.Resampling.LANCZOS)
    framed = ImageOps.expand(small, border, fill=BACKGROUND)
    if outline is not None:
        framed = ImageOps.expand(framed, 1, fill=outline)
    x = margin if corner.endswith("left") else base.width - framed.width - margin
    y = base.height - framed.height - margin if corner.startswith("bottom") else margin
    base.paste(framed, (x, y))
    return base


def add_inset(frame, content=None, style=None, fraction: float = 0.25, border: int = 2) -> np.ndarray:
    """A video frame (uint8 H×W×3) with white-framed thumbnails `fraction` of its height tall:
    content bottom-left, style bottom-right (either may be None)."""
    img = to_pil(frame)
    w, h = img.size
    margin = max(2, h // 40)
    box = (w // 2 - 2 * margin - 2 * border, max(8, round(h * fraction)))  # the two never overlap
    for pic, corner in ((content, "bottom-left"), (style, "bottom-right")):
        if pic is not None:
            img = framed_inset(img, pic, corner, box=box, border=border, margin=margin, outline=None)
    return np.asarray(img)


@dataclass(frozen=True)
class GridLayout:
    """Geometry of a grid figure: column width, header height, row heights, gutter."""

    tile: int
    header: int
    rows: tuple
    columns: int
    gutter: int

    @property
    def grid(self) -> Grid:
        """The figure as a Grid: the originals' column first, the header row on top."""
        return Grid((self.tile,) * (self.columns + 1), (self.header, *self.rows), self.gutter)

    @property
    def size(self) -> tuple:
        """(width, height) of the whole figure."""
        return self.grid.size

    def cell(self, row: int, col: int) -> tuple:
        """Top-left corner of cell (row, col); row -1 is the header, col -1 the originals' column."""
        return self.grid.origin(row + 1, col + 1)


def grid_layout(content_sizes, n_styles: int, tile: int, gutter: int | None = None) -> GridLayout:
    """Layout for contents of (width, height) `content_sizes` × `n_styles`: every column `tile` wide,
    each row as tall as its content at that width, a header row of 3:4 style thumbnails."""
    gutter = max(4, tile // 32) if gutter is None else gutter
    rows = tuple(max(1, round(tile * h / w)) for w, h in content_sizes)
    return GridLayout(tile, round(tile * 3 / 4), rows, n_styles, gutter)


def column_thumbnail(styles, size) -> Image.Image:
    """Several style images (a blend column) as side-by-side vertical slices filling `size` (W, H)."""
    width, height = size
    edges = [round(k * width / len(styles)) for k in range(len(styles) + 1)]
    thumb = Image.new("RGB", (width, height), BACKGROUND)
    for style, left, right in zip(styles, edges, edges[1:]):
        thumb.paste(fit_tile(style, (max(1, right - left), height)), (left, 0))
    return thumb


def grid_figure(contents, styles, results, *, tile: int | None = None, inset: str = "style",
                labels: bool = False, content_labels=None, style_labels=None,
                gutter: int | None = None) -> Image.Image:
    """Rows = contents, columns = styles; header row of style thumbnails, first column the originals.

    `results[i][j]` is content i in style j (same aspect as content i); a style given as a
    list (a blend column) is shown as side-by-side slices of its images. `inset` puts a small
    framed copy of the style ("style"), the content ("content"), both (style bottom-left,
    content bottom-right) or nothing ("none") on each result. `labels` writes names on the
    header thumbnails and the originals.
    """
    if inset not in INSET_MODES:
        raise ValueError(f"inset must be one of {INSET_MODES}")
    contents = [to_pil(c) for c in contents]
    tile = tile or max(r.shape[1] if hasattr(r, "shape") else r.width for row in results for r in row)
    layout = grid_layout([c.size for c in contents], len(styles), tile, gutter)
    styles = [column_thumbnail(s, (layout.tile, layout.header)) if isinstance(s, (list, tuple)) else to_pil(s)
              for s in styles]
    cells = []
    for j, style in enumerate(styles):
        thumb = fit_tile(style, (layout.tile, layout.header))
        if labels and style_labels:
            thumb = caption_strip(thumb, style_labels[j])
        cells.append((thumb, (0, j + 1)))
    for i, content in enumerate(contents):
        size = (layout.tile, layout.rows[i])
        original = content.resize(size, Image.Resampling.LANCZOS)
        if labels and content_labels:
            original = caption_strip(original, content_labels[i])
        cells.append((original, (i + 1, 0)))
        for j, style in enumerate(styles):
            cell = to_pil(results[i][j]).resize(size, Image.Resampling.LANCZOS)
            if inset in ("style", "both"):
                cell = framed_inset(cell, style, "bottom-left")
            if inset in ("content", "both"):
                cell = framed_inset(cell, content, "bottom-left" if inset == "content" else "bottom-right")
            cells.append((cell, (i + 1, j + 1)))
    return layout.grid.compose(cells)


def _text_block(lines, f, width: int, line_gap: int = 3) -> Image.Image:
    """Centred lines of text (each wrapped to `width`) on white."""
    wrapped = []
    for line, colour in lines:
        chars = max(8, int(width / max(1.0, f.getlength("n"))))
        wrapped += [(w, colour) for w in textwrap.wrap(line, chars) or [""]]
    asc, desc = f.getmetrics()
    h = (asc + desc + line_gap) * len(wrapped) + line_gap
    block = Image.new("RGB", (width, h), BACKGROUND)
    d = ImageDraw.Draw(block)
    y = line_gap
    for text, colour in wrapped:
        text = fit_text(text, f, width)
        d.text(((width - f.getlength(text)) / 2, y), text, font=f, fill=colour)
        y += asc + desc + line_gap
    return block


def captioned_row(panels, *, height: int, gutter: int = 10, title: str | None = None,
                  footnote: str | None = None) -> Image.Image:
    """Images side by side at one height (aspect kept), each with caption lines below.

    `panels` is a list of (image, [(text, colour), ...]); an optional title on top and a
    footnote at the bottom.
    """
    pics = [fit_height(img, height) for img, _ in panels]
    f = font(max(11, round(height / 17)))
    blocks = [_text_block(lines, f, p.width) for p, (_, lines) in zip(pics, panels)]
    caption_h = max(b.height for b in blocks)
    columns = []
    for p, b in zip(pics, blocks):
        column = Image.new("RGB", (p.width, height + caption_h), BACKGROUND)
        column.paste(p, (0, 0))
        column.paste(b, (0, height))
        columns.append(column)
    strip = row(columns, gutter=gutter)
    width = strip.width
    title_img = _text_block([(title, TEXT)], font(max(13, round(height / 13))), width - 2 * gutter) if title else None
    foot_img = _text_block([(footnote, (90, 90, 90))], font(max(10, round(height / 20))),
                           width - 2 * gutter) if footnote else None
    top = title_img.height + gutter // 2 if title_img else 0  # the strip carries its own gutters
    canvas = Image.new("RGB", (width, top + strip.height + (foot_img.height + gutter // 2 if foot_img else 0)),
                       BACKGROUND)
    canvas.paste(strip, (0, top))
    if title_img:
        canvas.paste(title_img, (gutter, gutter))
    if foot_img:
        canvas.paste(foot_img, (gutter, top + strip.height - gutter + gutter // 2))
    return canvas


def plot_losses(history: dict, path, settings=None, title: str | None = None) -> Path:
    """Loss curves (total, style, content, and TV when used) on a log scale, saved as PNG (matplotlib).

    With `settings` the terms are drawn weighted (as they enter the total) and the
    weights are named in the legend.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    steps = np.arange(1, len(history["total"]) + 1)
    weights = {"style": getattr(settings, "style_weight", None), "content": getattr(settings, "content_weight", None),
               "tv": getattr(settings, "tv_weight", None), "temporal": getattr(settings, "temporal_weight", None)}
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    ax.plot(steps, history["total"], color="black", linewidth=2.2, label="total")
    colours = {"style": "tab:red", "content": "tab:blue", "tv": "tab:green", "temporal": "tab:purple"}
    names = {"style": "style", "content": "content", "tv": "TV", "temporal": "temporal"}
    for key in ("style", "content", "tv", "temporal"):
        values = np.asarray(history.get(key, []), np.float64)
        w = weights[key]
        if values.size == 0 or not np.any(values > 0) or (w is not None and w == 0):
            continue
        label = names[key] if w is None else f"{names[key]} × {w:.3g}"  # an adapted weight has many digits
        values = values * (w if w is not None else 1.0)
        values[values <= 0] = np.nan  # e.g. the content loss at step 1, starting from the content
        ax.plot(steps, values, color=colours[key], linewidth=1.4, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss" + (" (weighted)" if settings is not None else ""))
    ax.set_title(title or "Style-transfer losses")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(frameon=False)
    fig.tight_layout()
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
