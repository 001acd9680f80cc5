"""Shared pieces of the command line: value types and the style options common to commands."""
from __future__ import annotations

import argparse

from style_transfer.nst.config import AUTO_SCALES_ABOVE, StyleSettings, auto_scales

DEFAULT_SIZE = 320
DEFAULTS = StyleSettings()


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def scales_spec(text: str) -> tuple:
    """argparse type: coarse-to-fine scales '0.5,1' or with steps '0.5:40,1' (last scale must be 1)."""
    plan = []
    for part in text.split(","):
        frac, _, steps = part.strip().partition(":")
        try:
            f = float(frac)
            n = int(steps) if steps else None
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{part}' is not SCALE or SCALE:STEPS") from None
        if not 0 < f <= 1 or (n is not None and n <= 0):
            raise argparse.ArgumentTypeError(f"scale '{part}' must be in (0, 1] with positive steps")
        plan.append((f, n))
    if not plan or plan[-1][0] != 1.0:
        raise argparse.ArgumentTypeError("the last scale must be 1 (the full working size)")
    return tuple(plan)


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite number ≥ 0."""
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"must be finite, got {text}")
    return value


def add_style_options(parser: argparse.ArgumentParser, steps: int = DEFAULTS.steps) -> None:
    """Options shared by every command that stylises: size, steps, optimiser, weights, backbone."""
    g = parser.add_argument_group("style options")
    g.add_argument("--size", type=positive_int, default=DEFAULT_SIZE,
                   help=f"longest side of the working image in pixels, any aspect ratio (default {DEFAULT_SIZE})")
    g.add_argument("--steps", type=positive_int, default=steps,
                   help=f"optimisation steps (default {steps})")
    g.add_argument("--optimizer", choices=("lbfgs", "adam"), default=DEFAULTS.optimizer,
                   help="lbfgs: L-BFGS-B with the [0, 255] box as bounds, a step is one loss evaluation; "
                        f"adam: Adam then clipping to [0, 255] (default {DEFAULTS.optimizer})")
    g.add_argument("--lr", type=positive_float, default=DEFAULTS.lr,
                   help=f"Adam learning rate on the 0-255 image (default {DEFAULTS.lr:g})")
    g.add_argument("--scales", type=scales_spec, default=None, metavar="S[:N],...",
                   help="coarse-to-fine: optimise at these fractions of --size in turn, each starting from "
                        "the last result upsampled, N steps each (default: --steps); e.g. 0.5:40,1. "
                        f"Default: 1 (full size only) up to {AUTO_SCALES_ABOVE} px; above, "
                        "0.25:STEPS,0.5:STEPS/2,1:STEPS/4")
    add_loss_options(g)


def add_loss_options(g) -> None:
    """Options every stylising command shares: loss weights, seed, backbone checkpoint, --quiet."""
    g.add_argument("--style-weight", type=non_negative_float, default=DEFAULTS.style_weight,
                   help=f"weight of the style (Gram) loss (default {DEFAULTS.style_weight:g})")
    g.add_argument("--content-weight", type=non_negative_float, default=DEFAULTS.content_weight,
                   help=f"weight of the content (conv5_2) loss (default {DEFAULTS.content_weight:g})")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--ssd-weights", metavar="PATH", default=None,
                   help="SSD300 checkpoint (.weights.h5) whose VGG16 backbone to use "
                        "(default: the first in ssd_weights/, else ImageNet VGG16)")
    g.add_argument("--quiet", action="store_true", help="no progress bars or summary")


def settings_from_args(args) -> StyleSettings:
    """StyleSettings from parsed style options."""
    scales = args.scales if args.scales is not None else auto_scales(getattr(args, "size", None), args.steps)
    return StyleSettings(steps=args.steps, lr=args.lr, style_weight=args.style_weight,
                         content_weight=args.content_weight, optimizer=args.optimizer, scales=scales)
