"""Artistic controls: TV smoothing, colour preservation, style blends, style scale, init, layers, presets, seed.

`add_control_options(parser)` adds the flags to any command; `controls_from_args(args,
n_styles)` validates them (one clear UserInputError on bad values) into a `Controls`,
whose `.settings(base)` folds them into StyleSettings. The image helpers
(`scale_style`, `initial_image`) and `style_transfer.nst.color` do the rest.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from style_transfer.nst.color import PRESERVE_COLOR_MODES
from style_transfer.errors import UserInputError

# Content/style weight ratios (content_weight = ratio × style_weight), chosen by looking at L-BFGS
# results at 200–300 px (docs/controls.md): light keeps the photo and adds the painting's texture,
# balanced keeps the subject's natural look under the painting's colours and strokes, strong is the
# spine's default balance (1e-3: the style takes over; only the content start keeps the layout).
PRESETS = {"light": 100.0, "balanced": 3.0, "strong": 1e-3}
INIT_KINDS = ("content", "noise", "style")
MAX_STYLE_SCALE = 4.0
MIN_STYLE_SIDE = 16  # below this the deeper style layers have (next to) nothing to describe


@dataclass(frozen=True)
class Controls:
    """Validated artistic controls (defaults = plain style transfer)."""

    tv_weight: float = 0.0
    preserve_color: str | None = None          # None, "luminance" or "histogram"
    style_blend: tuple | None = None            # one weight per style; None = equal
    style_scale: float = 1.0                    # style size relative to the content's working size
    init: object = "content"                    # content | noise | style | a path, PIL image or array
    style_layers: tuple | None = None           # None = the extractor's defaults
    style_layer_weights: tuple | None = None    # one per style layer; None = all 1
    content_layers: tuple | None = None
    preset: str | None = None                   # light | balanced | strong
    seed: int | None = 0

    def settings(self, base):
        """`base` StyleSettings with the TV weight, layer weights and preset balance applied."""
        content_weight = PRESETS[self.preset] * base.style_weight if self.preset else base.content_weight
        layer_weights = base.style_layer_weights if self.style_layers is None else self.style_layer_weights
        return dataclasses.replace(base, tv_weight=self.tv_weight, content_weight=content_weight,
                                   style_layer_weights=layer_weights)

    @property
    def layers_changed(self) -> bool:
        return self.style_layers is not None or self.content_layers is not None


# --- parsing and validation ---------------------------------------------------------------
def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(f"{what}: '{text}' is not a number") from None
    if not math.isfinite(value):
        raise UserInputError(f"{what}: must be finite, got '{text}'")
    if value < 0:
        raise UserInputError(f"{what}: must not be negative, got '{text}'")
    return value


def _layer_names():
    from style_transfer.nst.network import VGG16_LAYER_NAMES

    return VGG16_LAYER_NAMES


def parse_layer_spec(text: str, kind: str = "style", allow_weights: bool = True) -> tuple[tuple, tuple | None]:
    """'conv1_1:1,conv2_1:0.5' (or 'conv1_1,conv2_1') → (names, weights or None when none were given)."""
    flag = f"--{kind}-layers"
    names, weights, any_weight = [], [], False
    for item in (p.strip() for p in text.split(",")):
        if not item:
            raise UserInputError(f"{flag}: empty layer name in '{text}' (use e.g. conv1_1:1,conv2_1:0.5)")
        name, sep, weight = item.partition(":")
        name = name.strip()
        if sep and not allow_weights:
            raise UserInputError(f"{flag}: per-layer weights are only for style layers, got '{item}'")
        if name not in _layer_names():
            raise UserInputError(f"{flag}: unknown layer '{name}' (choose from {', '.join(_layer_names())})")
        if name in names:
            raise UserInputError(f"{flag}: layer '{name}' given twice")
        if sep:
            any_weight = True
            weights.append(_number(weight.strip(), f"{flag} weight of {name}"))
        else:
            weights.append(1.0)
        names.append(name)
    if any_weight and not any(weights):
        raise UserInputError(f"{flag}: at least one layer weight must be above 0")
    return tuple(names), (tuple(weights) if any_weight else None)


def parse_blend(text: str | None, n_styles: int) -> tuple | None:
    """'0.7,0.3' → (0.7, 0.3), checked against the number of styles; None → None (equal weights)."""
    if text is None:
        return None
    weights = tuple(_number(p.strip(), "--style-blend") for p in text.split(","))
    if len(weights) != n_styles:
        raise UserInputError(f"--style-blend has {len(weights)} weight{'s' * (len(weights) != 1)} "
                             f"but there {'is' if n_styles == 1 else 'are'} {n_styles} style image"
                             f"{'s' * (n_styles != 1)}")
    if not any(weights):
        raise UserInputError("--style-blend: at least one weight must be above 0")
    return weights


def split_style_group(text: str) -> list[str]:
    """'A.jpg+B.jpg' → ['A.jpg', 'B.jpg'] (a blend of styles given as one argument, e.g. a grid column)."""
    parts = [p for p in text.split("+")]
    if any(not p for p in parts):
        raise UserInputError(f"empty style name in '{text}' (use A.jpg+B.jpg)")
    return parts


def check_init(init: str) -> str:
    """content | noise | style, or an existing image path (loaded and checked later)."""
    if init in INIT_KINDS or Path(init).is_file():
        return init
    raise UserInputError(f"--init: '{init}' is neither {', '.join(INIT_KINDS)} nor an existing image file")


def check_style_scale(scale: float) -> float:
    if not (math.isfinite(scale) and 0 < scale <= MAX_STYLE_SCALE):
        raise UserInputError(f"--style-scale must be above 0 and at most {MAX_STYLE_SCALE:g}, got {scale:g}")
    return float(scale)


def make_controls(*, tv_weight=0.0, preserve_color=None, style_blend=None, style_scale=1.0, init="content",
                  style_layers=None, content_layers=None, preset=None, seed=0, n_styles=1) -> Controls:
    """Validated Controls from Python values; layer specs may be strings ('conv1_1:1,conv2_1:0.5')
    or sequences of names; a blend may be a string or a sequence of weights."""
    tv_weight = _number(str(tv_weight), "--tv-weight")
    if preserve_color not in (None, *PRESERVE_COLOR_MODES):
        raise UserInputError(f"--preserve-color: unknown mode '{preserve_color}' "
                             f"(choose from {', '.join(PRESERVE_COLOR_MODES)})")
    if preset is not None and preset not in PRESETS:
        raise UserInputError(f"--preset: unknown preset '{preset}' (choose from {', '.join(PRESETS)})")
    if n_styles < 1:
        raise UserInputError("at least one style image is needed")
    if seed is not None and not (isinstance(seed, (int, np.integer)) and 0 <= seed < 2**32):
        raise UserInputError(f"--seed must be an integer from 0 to {2**32 - 1}, got {seed}")
    if style_blend is not None and not isinstance(style_blend, str):
        style_blend = ",".join(str(w) for w in style_blend)
    blend = parse_blend(style_blend, n_styles)
    s_names = s_weights = c_names = None
    if style_layers is not None:
        s_names, s_weights = parse_layer_spec(style_layers if isinstance(style_layers, str)
                                              else ",".join(style_layers), "style")
    if content_layers is not None:
        c_names, _ = parse_layer_spec(content_layers if isinstance(content_layers, str)
                                      else ",".join(content_layers), "content", allow_weights=False)
    init = init if isinstance(init, (np.ndarray, Image.Image)) else check_init(str(init))
    return Controls(tv_weight=tv_weight, preserve_color=preserve_color, style_blend=blend,
                    style_scale=check_style_scale(float(style_scale)), init=init, style_layers=s_names,
                    style_layer_weights=s_weights, content_layers=c_names, preset=preset, seed=seed)


# --- command line -------------------------------------------------------------------------
def _non_negative(text: str) -> float:
    try:
        return _number(text, "value")
    except UserInputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None


def add_control_options(parser: argparse.ArgumentParser) -> None:
    """Add the artistic-control flags (--tv-weight, --preserve-color, --style-blend, --style-scale,
    --init, --style-layers, --content-layers, --preset) to a command's parser."""
    g = parser.add_argument_group("artistic controls")
    g.add_argument("--tv-weight", type=_non_negative, default=0.0, metavar="W",
                   help="total-variation weight: smoother, less noisy results (visible from about 100, strong at 1000; default 0)")
    g.add_argument("--preserve-color", choices=PRESERVE_COLOR_MODES, default=None,
                   help="keep the content's colours: 'luminance' stylises the luminance only and keeps the "
                        "content's chroma; 'histogram' matches the style's colours to the content's first")
    g.add_argument("--style-blend", metavar="W1,W2,...",
                   help="weights of several style images' Gram matrices (default: equal)")
    g.add_argument("--style-scale", type=float, default=1.0, metavar="S",
                   help="style image size relative to the content's working size: smaller gives finer "
                        f"brush strokes, larger coarser ones (0 < S ≤ {MAX_STYLE_SCALE:g}, default 1)")
    g.add_argument("--init", default="content", metavar="content|noise|style|PATH",
                   help="starting image: the content (default), seeded noise, the style, or an image file")
    g.add_argument("--style-layers", metavar="SPEC",
                   help="style layers with optional weights, e.g. conv1_1:1,conv2_1:0.5 "
                        "(default conv1_1,conv1_2,pool1,conv2_1,conv2_2)")
    g.add_argument("--content-layers", metavar="SPEC", help="content layers, e.g. conv4_2 (default conv5_2)")
    g.add_argument("--preset", choices=tuple(PRESETS),
                   help="content/style balance without tuning weights: light (the photo with the painting's "
                        "texture), balanced, strong (the painting takes over); sets the content weight to " +
                        ", ".join(f"{v:g} ({k})" for k, v in PRESETS.items()) + " × the style weight")


def init_files(controls: Controls) -> tuple[Path, ...]:
    """The --init image file as a one-element tuple (an input no output may overwrite), else ()."""
    return (Path(controls.init),) if isinstance(controls.init, str) and controls.init not in INIT_KINDS else ()


def with_init_loaded(controls: Controls) -> Controls:
    """`controls` with an --init image file read (and checked) now, before the model loads."""
    from style_transfer.media.images import load_image

    files = init_files(controls)
    return dataclasses.replace(controls, init=load_image(files[0])) if files else controls


def controls_from_args(args, n_styles: int = 1) -> Controls:
    """Validated Controls from parsed options (UserInputError with one clear line on bad values)."""
    return make_controls(tv_weight=args.tv_weight, preserve_color=args.preserve_color,
                         style_blend=args.style_blend, style_scale=args.style_scale, init=args.init,
                         style_layers=args.style_layers, content_layers=args.content_layers,
                         preset=args.preset, seed=getattr(args, "seed", 0), n_styles=n_styles)


# --- images ---------------------------------------------------------------------------------
def _pil(image) -> Image.Image:
    """A path, PIL image or H×W×3 array (0–255) as an RGB PIL image."""
    from style_transfer.media.images import is_path, load_image

    if is_path(image):
        return load_image(image)
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    return Image.fromarray(np.clip(np.rint(np.asarray(image, np.float32)), 0, 255).astype(np.uint8), "RGB")


def scale_style(style, content_hw, scale: float = 1.0) -> np.ndarray:
    """The style image (path, PIL image or array) resized, aspect kept, so its longest side is
    `scale` × the content's longest side; float32 H×W×3."""
    img = _pil(style)
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
    img = _pil(image)
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
    """The starting image at the content's size: 'content', 'noise' (seeded), 'style' (the first
    style, cover-cropped), an image path, or an array."""
    content = np.asarray(content, np.float32)
    hw = content.shape[:2]
    if isinstance(init, np.ndarray) or isinstance(init, Image.Image):
        return cover_crop(init, hw)
    if init == "content":
        return content
    if init == "noise":
        return noise_image(hw, seed)
    if init == "style":
        if not len(styles):
            raise UserInputError("--init style needs a style image")
        return cover_crop(styles[0], hw)
    from style_transfer.media.images import load_image

    return cover_crop(load_image(init), hw)


@dataclass
class Prepared:
    """What the optimiser works on under a set of controls (see `prepare`)."""

    content: np.ndarray        # the content as the optimiser sees it (its luminance in luminance mode)
    styles: list               # the style images for the Gram targets (scaled, colour-matched or grey)
    init: np.ndarray           # the starting image
    shown_styles: list         # the scaled style images as the user knows them, for side-by-side strips


def prepare(content, styles, controls: Controls, color_reference=None) -> Prepared:
    """Apply style scale, init and colour preservation to one content image (H×W×3) and its styles
    (paths, PIL images or arrays). Feed the result to StyleTrainer / stylize with
    `controls.style_blend`, then map the optimised image back with `finish`.
    `color_reference` (default: the content) is what histogram matching and luminance
    matching aim at; pass a video's first frame to keep the style targets fixed over a clip."""
    from style_transfer.nst import color

    content = np.asarray(content, np.float32)
    reference = content if color_reference is None else np.asarray(color_reference, np.float32)
    mode = controls.preserve_color
    shown = [scale_style(s, content.shape[:2], controls.style_scale) for s in styles]
    init = initial_image(controls.init, content, shown, controls.seed)
    return Prepared(content=color.working_content(content, mode),
                    styles=[color.working_style(s, reference, mode) for s in shown],
                    init=color.working_init(init, mode), shown_styles=shown)


def finish(image, content, controls: Controls) -> np.ndarray:
    """The optimised image as the final uint8 RGB result (content chroma re-attached in luminance mode)."""
    from style_transfer.nst import color

    return color.restore_colors(image, content, controls.preserve_color)


def make_reproducible(seed: int | None) -> None:
    """Seed Python, NumPy and TensorFlow, and ask TensorFlow for deterministic ops, so a
    seed gives identical output bytes for identical inputs on the same machine."""
    if seed is None:
        return
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()
