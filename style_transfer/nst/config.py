"""One frozen `StyleConfig`: every setting of a stylisation, validated, with presets resolved.

No TensorFlow import here, so commands can validate their input before the slow start.
total = style_weight·style + content_weight·content + tv_weight·TV + temporal_weight·temporal.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass

import numpy as np

from style_transfer.errors import UserInputError

DEFAULT_SIZE = 320          # px on the long side of the working image
AUTO_SCALES_ABOVE = 512     # px: larger images are optimised coarse to fine by default
OPTIMIZERS = ("lbfgs", "adam")
PRESERVE_COLOR_MODES = ("luminance", "histogram")
INIT_KINDS = ("content", "recolored", "noise", "style")
PRECISIONS = ("auto", "float32", "bfloat16")  # auto: bfloat16 where the hardware runs it fast (nst.device)
MAX_STYLE_SCALE = 4.0
MAX_STYLE_PYRAMID = 3       # levels: the style term down to ⅛ of the image
# Content/style weight ratios (content_weight = ratio × style_weight), from the photo to the painting.
# light keeps the photo and adds the painting's texture; balanced keeps the subject's natural look;
# standard, the default, takes at least as much style as the article's recipe while keeping faces (the
# quality panel, docs/quality.md, chose it: 0.6 dominated the recipe on 19 of 24 pairs, 0.3 on 13);
# strong lets the painting take over; article is the original article's objective (1e-3), where a
# converged optimiser erases faces: the article kept its content only because it stopped after 40 small
# Adam steps. The standard ratio is scaled for each photo–painting pair (nst/balance.py); the other
# presets are used as they are.
PRESETS = {"light": 100.0, "balanced": 3.0, "standard": 0.6, "strong": 0.03, "article": 1e-3}
DEFAULT_PRESET = "standard"


@dataclass(frozen=True)
class StyleConfig:
    """Everything that decides a stylised image besides the pictures and the loss network.

    `content_weight` None (the default) is the standard preset's ratio × the style weight, scaled for
    each photo–painting pair by the engine (nst/balance.py); a number is used as given.
    `scales` is a coarse-to-fine plan of (fraction of the working size, steps or None = `steps`);
    None picks it from the image size (`auto_scales`). Layer tuples of None mean the network's
    defaults (conv1_1 … conv2_2 for style, conv5_2 for content). `init` is recolored (the default: the
    content with the style's colour mean and covariance; the quality panel, docs/quality.md, chose it)
    | content | noise | style or an H×W×3 array (a file is read by the caller: the engine never opens paths).
    `style_pyramid` is how many levels down (2×, 4×, …) the style term is also taken (nst/losses.py);
    None: the default balance's choice when the content weight is the default, else 0 (nst/balance.py).
    """

    steps: int = 50
    optimizer: str = "lbfgs"
    lr: float = 10.0
    style_weight: float = 1.0
    content_weight: float | None = None  # None: the standard ratio adapted to the pair (nst/balance.py)
    tv_weight: float = 0.0
    temporal_weight: float = 0.0
    scales: tuple | None = None
    style_layers: tuple | None = None
    style_layer_weights: tuple | None = None
    content_layers: tuple | None = None
    style_blend: tuple | None = None
    style_scale: float = 1.0
    style_pyramid: int | None = None
    preserve_color: str | None = None
    init: object = "recolored"
    preset: str | None = None
    seed: int | None = 0
    until_loss: float | None = None
    precision: str = "auto"

    def replace(self, **changes) -> "StyleConfig":
        return dataclasses.replace(self, **changes)

    def scale_plan(self, height: int, width: int) -> list:
        """[(h, w, steps)] for each coarse-to-fine scale of an H×W image (the last at full size)."""
        scales = self.scales if self.scales is not None else auto_scales(max(height, width), self.steps)
        return [(max(16, round(height * frac)), max(16, round(width * frac)), int(steps) if steps else self.steps)
                for frac, steps in scales]

    def key(self) -> dict:
        """The settings as JSON-able values (an init image by its pixels' digest), for caches and records."""
        values = dataclasses.asdict(self)
        if not isinstance(self.init, str):
            values["init"] = array_digest(self.init)
        return values


def array_digest(image) -> str:
    """Hex digest of an image's shape and float32 pixels."""
    arr = np.ascontiguousarray(np.asarray(image, np.float32))
    return hashlib.sha256(repr(arr.shape).encode() + arr.tobytes()).hexdigest()


def auto_scales(size: int | None, steps: int) -> tuple:
    """The default coarse-to-fine plan: one full-size stage up to 512 px; above that `steps` at ¼
    size, `steps`/2 at ½ and `steps`/2 at full size. The full-size stage is the costly one, but with a
    quarter of `steps` it stopped far from converged: the quality panel at 1024 px (docs/quality.md) had
    both less style and more content distance than with half."""
    if size is None or size <= AUTO_SCALES_ABOVE:
        return ((1.0, None),)
    return ((0.25, steps), (0.5, max(1, steps // 2)), (1.0, max(1, steps // 2)))


# --- validation: one clear UserInputError per bad value ---------------------------------------
def number(value, what: str, *, positive: bool = False) -> float:
    """A finite number ≥ 0 (> 0 with `positive`) from a number or its text."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise UserInputError(f"{what}: '{value}' is not a number") from None
    if not math.isfinite(x):
        raise UserInputError(f"{what}: must be finite, got '{value}'")
    if positive and x <= 0:
        raise UserInputError(f"{what}: must be positive, got '{value}'")
    if x < 0:
        raise UserInputError(f"{what}: must not be negative, got '{value}'")
    return x


def _layer_names():
    from style_transfer._models.vgg16 import vgg16_layer_specs  # TensorFlow loads only when layers are chosen

    return tuple(name for name, _, _ in vgg16_layer_specs(5))


def parse_layer_spec(text, kind: str = "style", allow_weights: bool = True) -> tuple[tuple, tuple | None]:
    """'conv1_1:1,conv2_1:0.5' (or names) → (names, weights or None when none were given)."""
    if not isinstance(text, str):
        text = ",".join(text)
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
            weights.append(number(weight.strip(), f"{flag} weight of {name}"))
        else:
            weights.append(1.0)
        names.append(name)
    if any_weight and not any(weights):
        raise UserInputError(f"{flag}: at least one layer weight must be above 0")
    return tuple(names), (tuple(weights) if any_weight else None)


def parse_blend(text, n_styles: int) -> tuple | None:
    """'0.7,0.3' (or a sequence) → (0.7, 0.3), checked against the number of styles; None → None."""
    if text is None:
        return None
    parts = text.split(",") if isinstance(text, str) else list(text)
    weights = tuple(number(str(p).strip(), "--style-blend") for p in parts)
    if len(weights) != n_styles:
        raise UserInputError(f"--style-blend has {len(weights)} weight{'s' * (len(weights) != 1)} "
                             f"but there {'is' if n_styles == 1 else 'are'} {n_styles} style image"
                             f"{'s' * (n_styles != 1)}")
    if not any(weights):
        raise UserInputError("--style-blend: at least one weight must be above 0")
    return weights


def parse_scales(text: str) -> tuple:
    """'0.5,1' or with steps '0.5:40,1' → ((0.5, 40), (1.0, None)); the last scale must be 1."""
    plan = []
    for part in text.split(","):
        frac, _, steps = part.strip().partition(":")
        try:
            f = float(frac)
            n = int(steps) if steps else None
        except ValueError:
            raise UserInputError(f"--scales: '{part}' is not SCALE or SCALE:STEPS") from None
        if not 0 < f <= 1 or (n is not None and n <= 0):
            raise UserInputError(f"--scales: scale '{part}' must be in (0, 1] with positive steps")
        plan.append((f, n))
    if not plan or plan[-1][0] != 1.0:
        raise UserInputError("--scales: the last scale must be 1 (the full working size)")
    return tuple(plan)


def make_config(*, n_styles: int = 1, notes: list | None = None, **values) -> StyleConfig:
    """A validated StyleConfig from Python values (strings as the command line gives them, or numbers
    and sequences). A preset sets the content weight to its ratio × the style weight; when it overrides
    a content weight that was given too, a line saying so is appended to `notes`."""
    unknown = set(values) - {f.name for f in dataclasses.fields(StyleConfig)}
    if unknown:
        raise TypeError(f"unknown StyleConfig settings: {', '.join(sorted(unknown))}")
    v = {k: x for k, x in values.items() if x is not None or k in ("seed",)}
    steps = v.get("steps", StyleConfig.steps)
    if not (isinstance(steps, (int, np.integer)) and steps > 0):
        raise UserInputError(f"--steps must be a positive integer, got {steps}")
    if v.get("optimizer", "lbfgs") not in OPTIMIZERS:
        raise UserInputError(f"--optimizer: unknown optimiser '{v['optimizer']}' (choose from {', '.join(OPTIMIZERS)})")
    for name in ("style_weight", "content_weight", "tv_weight", "temporal_weight"):
        if name in v:
            v[name] = number(v[name], "--" + name.replace("_", "-"))
    if "lr" in v:
        v["lr"] = number(v["lr"], "--lr", positive=True)
    if "until_loss" in v:
        v["until_loss"] = number(v["until_loss"], "--until-loss")
    if isinstance(v.get("scales"), str):
        v["scales"] = parse_scales(v["scales"])
    if v.get("preserve_color") not in (None, *PRESERVE_COLOR_MODES):
        raise UserInputError(f"--preserve-color: unknown mode '{v['preserve_color']}' "
                             f"(choose from {', '.join(PRESERVE_COLOR_MODES)})")
    preset = v.get("preset")
    if preset is not None:
        if preset not in PRESETS:
            raise UserInputError(f"--preset: unknown preset '{preset}' (choose from {', '.join(PRESETS)})")
        if preset == DEFAULT_PRESET:  # adapted to each pair by the engine
            content_weight, says = None, "adapts the content weight to each pair"
        else:
            content_weight = PRESETS[preset] * v.get("style_weight", StyleConfig.style_weight)
            says = f"sets the content weight to {content_weight:g}"
        if "content_weight" in v and v["content_weight"] != content_weight and notes is not None:
            notes.append(f"--preset {preset} {says} (instead of the {v['content_weight']:g} given)")
        v["content_weight"] = content_weight
    if n_styles < 1:
        raise UserInputError("at least one style image is needed")
    seed = v.get("seed", 0)
    if seed is not None and not (isinstance(seed, (int, np.integer)) and 0 <= seed < 2**32):
        raise UserInputError(f"--seed must be an integer from 0 to {2**32 - 1}, got {seed}")
    if "style_blend" in v:
        v["style_blend"] = parse_blend(v["style_blend"], n_styles)
    if "style_layers" in v:
        names, weights = parse_layer_spec(v["style_layers"], "style")
        v["style_layers"] = names
        v["style_layer_weights"] = weights if weights is not None else v.get("style_layer_weights")
    elif v.get("style_layer_weights") is not None:
        v["style_layer_weights"] = tuple(number(w, "style layer weight") for w in v["style_layer_weights"])
    if "content_layers" in v:
        v["content_layers"], _ = parse_layer_spec(v["content_layers"], "content", allow_weights=False)
    if "style_scale" in v:
        scale = number(v["style_scale"], "--style-scale", positive=True)
        if scale > MAX_STYLE_SCALE:
            raise UserInputError(f"--style-scale must be above 0 and at most {MAX_STYLE_SCALE:g}, got {scale:g}")
        v["style_scale"] = scale
    if "style_pyramid" in v:
        levels = v["style_pyramid"]
        if isinstance(levels, str) and levels.strip().isdigit():
            levels = int(levels)
        if not (isinstance(levels, (int, np.integer)) and not isinstance(levels, bool)
                and 0 <= levels <= MAX_STYLE_PYRAMID):
            raise UserInputError(f"--style-pyramid must be an integer from 0 to {MAX_STYLE_PYRAMID}, got {levels}")
        v["style_pyramid"] = int(levels)
    if v.get("precision", "auto") not in PRECISIONS:
        raise UserInputError(f"--precision: unknown precision '{v['precision']}' (choose from {', '.join(PRECISIONS)})")
    init = v.get("init", StyleConfig.init)
    if isinstance(init, str) and init not in INIT_KINDS:
        raise UserInputError(f"--init: '{init}' is neither {', '.join(INIT_KINDS)} nor an image")
    return StyleConfig(**v)
