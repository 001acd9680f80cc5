"""Text on pictures: the step number on progress frames, captions on grid thumbnails."""
from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from style_transfer.media.images import to_pil


def font(size: int) -> ImageFont.ImageFont:
    """Pillow's built-in scalable font (no font files needed)."""
    return ImageFont.load_default(size=max(6, int(size)))


def fit_text(text: str, f, width: int) -> str:
    """`text` shortened with an ellipsis so it fits `width` pixels in font `f`."""
    if f.getlength(text) <= width:
        return text
    while text and f.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _text_on_box(img: Image.Image, text: str, f, box: tuple, origin: tuple, alpha: int) -> Image.Image:
    """`img` with white `text` at `origin` over a black `box` of opacity `alpha` (composited, RGB out)."""
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    d.rectangle(box, fill=(0, 0, 0, alpha))
    d.text(origin, text, font=f, fill=(255, 255, 255, 255))
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def draw_step_label(frame, step: int) -> Image.Image:
    """The frame with 'step N' drawn small, white on a dark box, in its top-left corner."""
    img = to_pil(frame)
    f = font(max(9, round(min(img.size) / 18)))
    text = f"step {step}"
    pad = max(2, f.size // 4)
    left, top, right, bottom = f.getbbox(text)
    box = (pad, pad, pad + right - left + 2 * pad, pad + bottom - top + 2 * pad)
    return _text_on_box(img, text, f, box, (box[0] + pad - left, box[1] + pad - top), 150)


def caption_strip(img: Image.Image, text: str, size: int | None = None) -> Image.Image:
    """`img` with `text` in white on a translucent dark strip along its bottom edge."""
    f = font(size or max(10, round(img.width / 14)))
    pad = max(2, f.size // 3)
    text = fit_text(text, f, img.width - 2 * pad)
    left, top, right, bottom = f.getbbox(text)
    strip_h = bottom - top + 2 * pad
    box = (0, img.height - strip_h, img.width, img.height)
    origin = ((img.width - (right - left)) / 2 - left, img.height - strip_h + pad - top)
    return _text_on_box(img, text, f, box, origin, 140)
