"""The pictures the optimiser works on: style scale, the start image and colour preservation.

Arrays (H×W×3, 0–255) or PIL images in, float32 arrays out; files are read by the caller.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from style_transfer.errors import UserInputError
from style_transfer.media.images import to_pil
from style_transfer.nst import color
from style_transfer.nst.config import StyleConfig

MIN_STYLE_SIDE = 16  # below this the deeper style layers have (next to) nothing to describe


def scale_style(style, content_hw, scale: float = 1.0) -> np.ndarray:
    """The style image resized, aspect kept, so its longest side is `scale` × the content's; float32."""
    img = to_pil(style)
    longest = max(1, round(scale * max(content_hw)))
    ratio = longest / max(img.size)
    size = (max(1, round(img.width * ratio)), max(1, round(img.height * ratio)))
    if min(size) < MIN_STYLE_SIDE:
        raise UserInputError(f"--style-scale {scale:g} makes the style image {size[0]}×{size[1]} px; "
                             f"it needs at least {MIN_STYLE_SIDE} px a side")
    if size != img.size:
        img = img.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(img, np.float32)


def cover_crop(image, hw) -> np.ndarray:
    """An image scaled to cover H×W (aspect kept, no stretching) and centre-cropped to it; float32."""
    img = to_pil(image)
    h, w = hw
    ratio = max(w / img.width, h / img.height)
    size = (max(w, round(img.width * ratio)), max(h, round(img.height * ratio)))
    img = img.resize(size, Image.Resampling.LANCZOS)
    left, top = (size[0] - w) // 2, (size[1] - h) // 2
    return np.asarray(img.crop((left, top, left + w, top + h)), np.float32)


def noise_image(hw, seed: int | None = 0) -> np.ndarray:
    """Seeded noise around mid-grey (H×W×3, 0–255)."""
    rng = np.random.default_rng(seed)
    return np.clip(128.0 + 48.0 * rng.standard_normal((*hw, 3)), 0, 255).astype(np.float32)


def initial_image(init, content, styles=(), seed: int | None = 0) -> np.ndarray:
    """The start at the content's size: 'content', 'recolored' (the content with the first style's
    colour mean and covariance: the optimiser then starts with the palette it would have to find),
    'noise' (seeded), 'style' (the first style, cover-cropped) or an image (cover-cropped)."""
    content = np.asarray(content, np.float32)
    hw = content.shape[:2]
    if not isinstance(init, str):
        return cover_crop(init, hw)
    if init == "content":
        return content
    if init == "recolored":
        if not len(styles):
            raise UserInputError("--init recolored needs a style image")
        return color.match_color_histogram(content, styles[0])
    if init == "noise":
        return noise_image(hw, seed)
    if init == "style":
        if not len(styles):
            raise UserInputError("--init style needs a style image")
        return cover_crop(styles[0], hw)
    raise UserInputError(f"--init: unknown start '{init}'")


@dataclass
class Prepared:
    """What the optimiser works on under a config (see `prepare`)."""

    content: np.ndarray        # the content as the optimiser sees it (its luminance in luminance mode)
    styles: list               # the style images for the Gram targets (scaled, colour-matched or grey)
    init: np.ndarray           # the starting image
    shown_styles: list         # the scaled style images as the user knows them, for side-by-side strips


def prepare(content, styles, config: StyleConfig, color_reference=None) -> Prepared:
    """Apply style scale, start image and colour preservation to one content image and its styles.
    `color_reference` (default: the content) is what histogram and luminance matching aim at; a video
    passes its first frame so the style targets stay fixed over the clip."""
    content = np.asarray(content, np.float32)
    reference = content if color_reference is None else np.asarray(color_reference, np.float32)
    mode = config.preserve_color
    shown = [scale_style(s, content.shape[:2], config.style_scale) for s in styles]
    working = [color.working_style(s, reference, mode) for s in shown]
    # recolouring aims at the colours the style targets have (the content's own under --preserve-color)
    init = initial_image(config.init, content, working if config.init == "recolored" else shown, config.seed)
    return Prepared(content=color.working_content(content, mode), styles=working,
                    init=color.working_init(init, mode), shown_styles=shown)


def finish(image, content, config: StyleConfig) -> np.ndarray:
    """The optimised image as the final uint8 RGB result (content chroma re-attached in luminance mode)."""
    return color.restore_colors(image, content, config.preserve_color)
