"""Figures: style-comparison grids with framed insets, backbone comparisons, loss plots."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from style_transfer.media import images
from style_transfer.media.progress import font

BACKGROUND = (255, 255, 255)
TEXT = (30, 30, 30)
INSET_MODES = ("style", "content", "both", "none")


def as_pil(image) -> Image.Image:
    """PIL image or H×W×3 array (0–255) → RGB PIL image."""
    return image.convert("RGB") if isinstance(image, Image.Image) else images.to_pil(image)


def label_from_path(path) -> str:
    """A readable label from a file name: 'renoir-moulin_de_la_galette.png' → 'renoir moulin de la galette'."""
    return Path(path).stem.replace("_", " ").replace("-", " ").strip()


def fit_text(text: str, f, width: int) -> str:
    """`text` shortened with an ellipsis so it fits `width` pixels in font `f`."""
    if f.getlength(text) <= width:
        return text
    while text and f.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def resize_to_width(img: Image.Image, width: int) -> Image.Image:
    """Resize keeping the aspect ratio so the width is `width`."""
    if img.width == width:
        return img
    return img.resize((width, max(1, round(img.height * width / img.width))), Image.Resampling.LANCZOS)


def framed_inset(base: Image.Image, inset: Image.Image, corner: str = "bottom-left",
                 fraction: float = 0.3, border: int | None = None) -> Image.Image:
    """`base` with a small copy of `inset` (aspect kept) in a corner, framed white with a dark outline."""
    base = base.copy()
    border = border if border is not None else max(2, round(min(base.size) / 80))
    margin = max(3, round(min(base.size) / 40))
    longest = max(8, round(max(base.size) * fraction))
    small = inset.copy()
    small.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    framed = ImageOps.expand(ImageOps.expand(small, border, fill=(255, 255, 255)), 1, fill=(40, 40, 40))
    x = margin if corner.endswith("left") else base.width - framed.width - margin
    y = base.height - framed.height - margin if corner.startswith("bottom") else margin
    base.paste(framed, (x, y))
    return base


def caption_strip(img: Image.Image, text: str, size: int | None = None) -> Image.Image:
    """`img` with `text` in white on a translucent dark strip along its bottom edge."""
    f = font(size or max(10, round(img.width / 14)))
    pad = max(2, f.size // 3)
    text = fit_text(text, f, img.width - 2 * pad)
    left, top, right, bottom = f.getbbox(text)
    strip_h = bottom - top + 2 * pad
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    d.rectangle((0, img.height - strip_h, img.width, img.height), fill=(0, 0, 0, 140))
    d.text(((img.width - (right - left)) / 2 - left, img.height - strip_h + pad - top), text, font=f,
           fill=(255, 255, 255, 255))
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


@dataclass(frozen=True)
class GridLayout:
    """Geometry of a grid figure: column width, header height, row heights, gutter."""

    tile: int
    header: int
    rows: tuple
    columns: int
    gutter: int

    @property
    def size(self) -> tuple:
        """(width, height) of the whole figure."""
        width = self.gutter + (self.columns + 1) * (self.tile + self.gutter)
        height = self.gutter + self.header + self.gutter + sum(h + self.gutter for h in self.rows)
        return width, height

    def cell(self, row: int, col: int) -> tuple:
        """Top-left corner of cell (row, col); row -1 is the header, col -1 the originals' column."""
        x = self.gutter + (col + 1) * (self.tile + self.gutter)
        y = self.gutter if row < 0 else 2 * self.gutter + self.header + sum(
            h + self.gutter for h in self.rows[:row])
        return x, y


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
        thumb.paste(ImageOps.fit(as_pil(style), (max(1, right - left), height), Image.Resampling.LANCZOS), (left, 0))
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
    contents = [as_pil(c) for c in contents]
    tile = tile or max(r.shape[1] if hasattr(r, "shape") else r.width for row in results for r in row)
    layout = grid_layout([c.size for c in contents], len(styles), tile, gutter)
    styles = [column_thumbnail(s, (layout.tile, layout.header)) if isinstance(s, (list, tuple)) else as_pil(s)
              for s in styles]
    canvas = Image.new("RGB", layout.size, BACKGROUND)
    for j, style in enumerate(styles):
        thumb = ImageOps.fit(style, (layout.tile, layout.header), Image.Resampling.LANCZOS)
        if labels and style_labels:
            thumb = caption_strip(thumb, style_labels[j])
        canvas.paste(thumb, layout.cell(-1, j))
    for i, content in enumerate(contents):
        size = (layout.tile, layout.rows[i])
        original = content.resize(size, Image.Resampling.LANCZOS)
        if labels and content_labels:
            original = caption_strip(original, content_labels[i])
        canvas.paste(original, layout.cell(i, -1))
        for j, style in enumerate(styles):
            cell = as_pil(results[i][j]).resize(size, Image.Resampling.LANCZOS)
            if inset in ("style", "both"):
                cell = framed_inset(cell, style, "bottom-left")
            if inset in ("content", "both"):
                cell = framed_inset(cell, content, "bottom-left" if inset == "content" else "bottom-right")
            canvas.paste(cell, layout.cell(i, j))
    return canvas


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
    pics = [as_pil(img) for img, _ in panels]
    pics = [p.resize((max(1, round(p.width * height / p.height)), height), Image.Resampling.LANCZOS)
            for p in pics]
    f = font(max(11, round(height / 17)))
    blocks = [_text_block(lines, f, p.width) for p, (_, lines) in zip(pics, panels)]
    caption_h = max(b.height for b in blocks)
    width = sum(p.width for p in pics) + gutter * (len(pics) + 1)
    title_img = _text_block([(title, TEXT)], font(max(13, round(height / 13))), width - 2 * gutter) if title else None
    foot_img = _text_block([(footnote, (90, 90, 90))], font(max(10, round(height / 20))),
                           width - 2 * gutter) if footnote else None
    top = gutter + (title_img.height + gutter // 2 if title_img else 0)
    total_h = top + height + caption_h + gutter + (foot_img.height + gutter // 2 if foot_img else 0)
    canvas = Image.new("RGB", (width, total_h), BACKGROUND)
    if title_img:
        canvas.paste(title_img, (gutter, gutter))
    x = gutter
    for p, b in zip(pics, blocks):
        canvas.paste(p, (x, top))
        canvas.paste(b, (x, top + height))
        x += p.width + gutter
    if foot_img:
        canvas.paste(foot_img, (gutter, top + height + caption_h + gutter // 2))
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
        label = names[key] if w is None else f"{names[key]} × {w:g}"
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
    with images.atomic_output(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
