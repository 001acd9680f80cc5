"""Before/after strips of one photo for each artistic control → docs/images/controls_*.jpg.

Usage: python docs/make_control_strips.py [--size 160] [--steps 60] [--only tv,color,...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from style_transfer.api import stylize_images  # noqa: E402
from style_transfer.nst.network import default_network  # noqa: E402
from style_transfer.nst.prepare import scale_style  # noqa: E402
from style_transfer.media.images import load_array, save_image  # noqa: E402

IMGS, OUT = ROOT / "imgs", ROOT / "docs" / "images"
CONTENT, STYLE, STYLE2 = IMGS / "chelsea.jpg", IMGS / "GreatWave.png", IMGS / "kandinky.png"
STRIPS = ("tv", "color", "blend", "scale", "pyramid", "init", "layers", "preset")


def wrap_label(label: str, width: float, draw: ImageDraw.ImageDraw, font) -> list[str]:
    """Split a caption into lines that each fit `width` pixels (breaking at spaces and commas)."""
    lines, line = [], ""
    for word in label.replace(",", ", ").split():
        trial = f"{line} {word}".strip()
        if line and draw.textlength(trial, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + [line] if line else lines


def labelled_strip(items, height: int, gutter: int = 6) -> Image.Image:
    """[(image, label), …] in a row at one height with a caption (wrapped to the tile) under each."""
    font = ImageFont.load_default(size=13)
    pics = []
    for img, _ in items:
        pil = Image.fromarray(np.clip(np.rint(np.asarray(img, np.float32)), 0, 255).astype(np.uint8))
        pics.append(pil.resize((round(pil.width * height / pil.height), height), Image.Resampling.LANCZOS))
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    captions = [wrap_label(label, pic.width - 4, measure, font) for pic, (_, label) in zip(pics, items)]
    line_height = 16
    caption = line_height * max(len(c) for c in captions) + 4
    canvas = Image.new("RGB", (sum(p.width for p in pics) + gutter * (len(pics) + 1), height + caption + 2 * gutter),
                       "white")
    draw, x = ImageDraw.Draw(canvas), gutter
    for pic, lines in zip(pics, captions):
        canvas.paste(pic, (x, gutter))
        for k, line in enumerate(lines):
            w = draw.textlength(line, font=font)
            draw.text((x + (pic.width - w) / 2, height + gutter + 3 + k * line_height), line, fill="black", font=font)
        x += pic.width + gutter
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--only", default=",".join(STRIPS))
    args = parser.parse_args()
    only = args.only.split(",")
    extractor = default_network()
    content = load_array(CONTENT, args.size)
    hw = content.shape[:2]
    style, style2 = scale_style(load_array(STYLE), hw), scale_style(load_array(STYLE2), hw)
    cache = {}

    def run(key, styles=STYLE, **kw):
        if key not in cache:
            steps = kw.pop("steps", args.steps)
            r = stylize_images(CONTENT, styles, size=args.size, network=extractor, progress=False, steps=steps,
                               seed=0, **kw)
            print(f"{key}: {r.seconds:.0f} s, style {r.history['style'][-1]:.3g}, "
                  f"content {r.history['content'][-1]:.3g}", flush=True)
            cache[key] = r.image
        return cache[key]

    strips = {
        "tv": lambda: [(content, "content"), (run("default"), "--tv-weight 0"),
                       (run("tv100", tv_weight=100.0), "--tv-weight 100"),
                       (run("tv1000", tv_weight=1000.0), "--tv-weight 1000")],
        "color": lambda: [(content, "content"), (style, "style"), (run("default"), "colours of the style"),
                          (run("lum", preserve_color="luminance"), "--preserve-color luminance"),
                          (run("hist", preserve_color="histogram"), "--preserve-color histogram")],
        "blend": lambda: [(style, "style A"), (style2, "style B"), (run("default"), "A"),
                          (run("blend", [STYLE, STYLE2], style_blend="0.5,0.5"), "A+B, --style-blend 0.5,0.5"),
                          (run("B", STYLE2), "B")],
        "scale": lambda: [(content, "content"), (run("scale0.5", style_scale=0.5), "--style-scale 0.5"),
                          (run("default"), "--style-scale 1"), (run("scale2", style_scale=2.0), "--style-scale 2")],
        "pyramid": lambda: [(content, "content"), (run("pyramid0", style_pyramid=0), "--style-pyramid 0"),
                            (run("default"), "--style-pyramid 1 (default)"),
                            (run("pyramid2", style_pyramid=2), "--style-pyramid 2")],
        "init": lambda: [(run("default"), "--init recolored (default)"), (run("icontent", init="content"),
                                                                           "--init content"),
                         (run("noise", init="noise"), "--init noise"), (run("istyle", init="style"), "--init style")],
        "layers": lambda: [(run("default"), "default (conv1_1…conv2_2)"),
                           (run("shallow", style_layers="conv1_1,conv1_2"), "conv1_1,conv1_2"),
                           (run("deep", style_layers="conv1_1:0.2,conv2_1:0.2,conv3_1:1,conv4_1:1"),
                            "+ conv3_1, conv4_1")],
        "preset": lambda: [(content, "content"), (run("light", preset="light"), "--preset light"),
                           (run("balanced", preset="balanced"), "--preset balanced"),
                           (run("default"), "default (standard, adapted to the pair)"),
                           (run("strong", preset="strong"), "--preset strong"),
                           (run("article", preset="article"), "--preset article")],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name in only:
        path = OUT / f"controls_{name}.jpg"
        save_image(labelled_strip(strips[name](), args.size if hw[0] > hw[1] else round(args.size * hw[0] / hw[1])),
                   path)
        print("wrote", path, flush=True)


if __name__ == "__main__":
    main()
