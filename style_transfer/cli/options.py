"""Every argparse type and option group of the command line, once; and parsed options → StyleConfig."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from style_transfer.errors import UserInputError
from style_transfer.nst.config import (AUTO_SCALES_ABOVE, DEFAULT_PRESET, DEFAULT_SIZE, INIT_KINDS,
                                       MAX_STYLE_PYRAMID, MAX_STYLE_SCALE, OPTIMIZERS, PRECISIONS,
                                       PRESERVE_COLOR_MODES, PRESETS, StyleConfig, make_config, number,
                                       parse_scales)
from style_transfer.nst import device
from style_transfer.nst.device import DEVICES

DEFAULTS = StyleConfig()


def _argparse_type(parse):
    """An argparse type from a parser that raises UserInputError (argparse then names the flag)."""
    def convert(text):
        try:
            return parse(text)
        except UserInputError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None
    convert.__name__ = parse.__name__
    return convert


def _int(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UserInputError(f"value: '{text}' is not an integer") from None
    if value < minimum:
        raise UserInputError(f"value: must be {'a positive integer' if minimum else 'not be negative'}, got {value}")
    return value


positive_int = _argparse_type(lambda text: _int(text, 1))
non_negative_int = _argparse_type(lambda text: _int(text, 0))
positive_float = _argparse_type(lambda text: number(text, "value", positive=True))
non_negative_float = _argparse_type(lambda text: number(text, "value"))
scales_spec = _argparse_type(parse_scales)


def add_optimiser_options(parser, steps: int = DEFAULTS.steps, size: int | None = DEFAULT_SIZE) -> None:
    """--size, --steps, --optimizer, --lr and --scales (commands that stylise whole images)."""
    g = parser.add_argument_group("optimisation")
    if size is not None:
        g.add_argument("--size", type=positive_int, default=size,
                       help=f"longest side of the working image in pixels, any aspect ratio (default {size})")
    g.add_argument("--steps", type=positive_int, default=steps, help=f"optimisation steps (default {steps})")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULTS.optimizer,
                   help="lbfgs: L-BFGS-B with the [0, 255] box as bounds, a step is one loss evaluation; "
                        f"adam: Adam then clipping to [0, 255] (default {DEFAULTS.optimizer})")
    add_lr_option(g)
    g.add_argument("--scales", type=scales_spec, default=None, metavar="S[:N],...",
                   help="coarse-to-fine: optimise at these fractions of --size in turn, each starting from "
                        "the last result upsampled, N steps each (default: --steps); e.g. 0.5:40,1. "
                        f"Default: 1 (full size only) up to {AUTO_SCALES_ABOVE} px; above, "
                        "0.25:STEPS,0.5:STEPS/2,1:STEPS/2")


def add_lr_option(group) -> None:
    group.add_argument("--lr", type=positive_float, default=DEFAULTS.lr,
                       help=f"Adam learning rate on the 0-255 image (default {DEFAULTS.lr:g})")


def add_weight_options(parser) -> None:
    """--style-weight and --content-weight."""
    g = parser.add_argument_group("loss weights")
    g.add_argument("--style-weight", type=non_negative_float, default=None,
                   help=f"weight of the style (Gram) loss (default {DEFAULTS.style_weight:g})")
    g.add_argument("--content-weight", type=non_negative_float, default=None,
                   help=f"weight of the content (conv5_2) loss (default: {PRESETS[DEFAULT_PRESET]:g} × the style "
                        "weight, scaled for each photo and painting; docs/quality.md)")


def add_run_options(parser) -> None:
    """--seed, --ssd-weights and --quiet."""
    g = parser.add_argument_group("run")
    g.add_argument("--seed", type=non_negative_int, default=None,
                   help="random seed (default 0); given explicitly it also asks for deterministic ops on a GPU")
    g.add_argument("--precision", choices=PRECISIONS, default=None,
                   help="precision of the loss network's convolutions: bfloat16 is about twice as fast where the "
                        "hardware supports it (a GPU, a CPU with AVX-512 BF16 or AMX); losses and the optimiser "
                        "stay float32/float64. auto picks bfloat16 there, else float32 (default auto)")
    g.add_argument("--device", choices=DEVICES, default="auto",
                   help="where the loss network runs: auto (a GPU when TensorFlow sees one), cpu or gpu (default auto)")
    g.add_argument("--ssd-weights", metavar="PATH", default=None,
                   help="SSD300 checkpoint (.weights.h5) whose VGG16 backbone to use "
                        "(default: the first in ssd_weights/, else ImageNet VGG16)")
    g.add_argument("--quiet", action="store_true", help="no progress bars or summary")


def add_control_options(parser) -> None:
    """The artistic controls: TV, colour preservation, blends, style scale, start image, layers, presets."""
    g = parser.add_argument_group("artistic controls")
    g.add_argument("--tv-weight", type=non_negative_float, default=None, metavar="W",
                   help="total-variation weight: smoother, less noisy results (visible from about 100, strong at 1000; default 0)")
    g.add_argument("--preserve-color", choices=PRESERVE_COLOR_MODES, default=None,
                   help="keep the content's colours: 'luminance' stylises the luminance only and keeps the "
                        "content's chroma; 'histogram' matches the style's colours to the content's first")
    g.add_argument("--style-blend", metavar="W1,W2,...",
                   help="weights of several style images' Gram matrices (default: equal)")
    g.add_argument("--style-scale", type=float, default=None, metavar="S",
                   help="style image size relative to the content's working size: smaller gives finer "
                        f"brush strokes, larger coarser ones (0 < S ≤ {MAX_STYLE_SCALE:g}, default 1)")
    g.add_argument("--style-pyramid", type=int, default=None, metavar="N",
                   help="also match the painting's statistics on the image averaged down 2×, …, 2^N×: the "
                        f"painting's larger strokes and patches (0 ≤ N ≤ {MAX_STYLE_PYRAMID}; default: the default "
                        "balance's choice, 0 with given weights or another preset)")
    g.add_argument("--init", default=DEFAULTS.init, metavar="recolored|content|noise|style|PATH",
                   help="starting image: the content recoloured to the style's colour mean and covariance "
                        "(default: fewer steps to the same loss, and the content kept closer), the content "
                        "itself, seeded noise, the style, or an image file")
    g.add_argument("--style-layers", metavar="SPEC",
                   help="style layers with optional weights, e.g. conv1_1:1,conv2_1:0.5 "
                        "(default conv1_1,conv1_2,pool1,conv2_1,conv2_2)")
    g.add_argument("--content-layers", metavar="SPEC", help="content layers, e.g. conv4_2 (default conv5_2)")
    g.add_argument("--preset", choices=tuple(PRESETS),
                   help="content/style balance without tuning weights: light (the photo with the painting's "
                        "texture), balanced, standard (the default), strong (the painting takes over), article (the "
                        "original article's objective); sets the content weight to " +
                        ", ".join(f"{v:g} ({k})" for k, v in PRESETS.items()) + " × the style weight (standard's "
                        "scaled for each photo and painting)")


def add_style_options(parser, steps: int = DEFAULTS.steps) -> None:
    """Everything a command that stylises whole images takes."""
    add_optimiser_options(parser, steps)
    add_weight_options(parser)
    add_run_options(parser)


def init_files(args) -> tuple[Path, ...]:
    """The --init image file as a one-element tuple (an input no output may overwrite), else ()."""
    init = getattr(args, "init", DEFAULTS.init)
    if init in INIT_KINDS:
        return ()
    if not Path(init).is_file():
        raise UserInputError(f"--init: '{init}' is neither {', '.join(INIT_KINDS)} nor an existing image file")
    return (Path(init),)


def config_from_args(args, n_styles: int = 1, **overrides) -> StyleConfig:
    """A validated StyleConfig from parsed options (UserInputError with one clear line on bad values).
    The --init file is read here; a preset overriding a given weight says so on stderr."""
    from style_transfer.media.images import load_image

    files = init_files(args)
    values = {name: getattr(args, name, None) for name in (
        "steps", "optimizer", "lr", "style_weight", "content_weight", "tv_weight", "scales", "style_layers",
        "content_layers", "style_blend", "style_scale", "style_pyramid", "preserve_color", "preset", "until_loss")}
    values["init"] = load_image(files[0]) if files else getattr(args, "init", None)
    values["seed"] = seed_of(args)
    if hasattr(args, "precision"):  # recorded as resolved, so --settings-from repeats it on any machine
        values["precision"] = device.resolve_precision(args.precision or "auto")
    notes = []
    config = make_config(n_styles=n_styles, notes=notes, **{**values, **overrides})
    if not getattr(args, "quiet", False):
        for note in notes:
            print(f"style-transfer: note: {note}", file=sys.stderr)
    device.check_device()
    return config


def announce_device(args, config: StyleConfig) -> None:
    """The start-up line naming the device and the precision (not with --quiet). Printed once the run
    is under way, so that bad input still gets its one line alone."""
    if not getattr(args, "quiet", False):
        print(f"style-transfer: {device.describe(config.precision)}", file=sys.stderr)


def loss_network(args, config: StyleConfig):
    """The loss network for --ssd-weights (a bad checkpoint fails here), then the start-up line."""
    from style_transfer.nst.network import default_network

    network = default_network(args.ssd_weights)
    announce_device(args, config)
    return network


def seed_of(args) -> int:
    """The run's seed: --seed, or 0 when none was given."""
    seed = getattr(args, "seed", None)
    return 0 if seed is None else seed


def start_device(args) -> None:
    """Apply --device before TensorFlow starts; an explicit --seed also asks for deterministic GPU ops."""
    if hasattr(args, "device"):
        device.select_device(args.device, deterministic=getattr(args, "seed", None) is not None)
