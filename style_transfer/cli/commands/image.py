"""`style-transfer image`: stylise one image."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from style_transfer.cli.options import (add_control_options, add_style_options, config_from_args, init_files,
                                        loss_network,
                                        non_negative_float, positive_int)
from style_transfer.cli.limits import check_stylise_memory
from style_transfer.media.formats import GIF_EXTENSIONS, IMAGE_EXTENSIONS, MP4_EXTENSIONS, PNG_EXTENSIONS
from style_transfer.errors import UserInputError
from style_transfer.media import provenance
from style_transfer.media.images import check_output_paths, load_image, resize_longest, scaled_size
from style_transfer.nst.config import INIT_KINDS, make_config

JSON_EXTENSIONS = {".json": "JSON"}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "image", help="stylise an image",
        description="Stylise CONTENT with the style of STYLE (or a blend of several styles), optimising "
                    "the image through the frozen VGG16 backbone of SSD300.",
        epilog=(
            "examples:\n"
            "  style-transfer image imgs/chelsea.jpg imgs/GreatWave.png -o chelsea_wave.png\n"
            "  style-transfer image imgs/chelsea.jpg imgs/GreatWave.png imgs/kandinky.png --style-blend 2,1 \\\n"
            "      --size 384 --preserve-color luminance -o blend.jpg --side-by-side blend_sbs.jpg\n"
            "  style-transfer image imgs/chelsea.jpg imgs/GreatWave.png -o again.png --settings-from out.png\n"))
    p.add_argument("content", help="content image (any format Pillow reads)")
    p.add_argument("style", nargs="+", help="style image (e.g. a painting); several are blended (--style-blend)")
    p.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .webp, .bmp, .tif)")
    p.add_argument("--side-by-side", metavar="PATH", help="also write content | style | result side by side")
    p.add_argument("--progress-gif", metavar="PATH",
                   help="write the optimisation as an animated GIF, step number in a corner")
    p.add_argument("--progress-mp4", metavar="PATH", help="write the optimisation as an MP4 video")
    p.add_argument("--progress-every", type=positive_int, default=1, metavar="K",
                   help="with --progress-gif/--progress-mp4, keep every K-th step (default 1)")
    p.add_argument("--loss-plot", metavar="PATH",
                   help="save the loss curves (total, style, content; log scale) as a PNG")
    p.add_argument("--until-loss", type=non_negative_float, metavar="X",
                   help="stop as soon as the total loss (style_weight·style + content_weight·content) is <= X")
    g = p.add_argument_group("provenance and snapshots")
    g.add_argument("--settings-from", metavar="FILE",
                   help="rerun with the settings recorded in FILE (an image this command wrote, or its .json "
                        "sidecar): size, steps, optimiser, weights, layers, scales, seed …; flags given here win")
    g.add_argument("--save-settings", action="store_true",
                   help="also write the settings record as OUTPUT.json beside the output (it is always "
                        "embedded in PNG, JPEG, WebP and TIFF outputs)")
    g.add_argument("--save-every", type=positive_int, metavar="K",
                   help="save the image every K steps beside the output as STEM.stepNNNN.EXT")
    add_style_options(p)
    add_control_options(p)
    p.set_defaults(func=run, image_parser=p)
    _remember_arguments(p)


def _remember_arguments(parser) -> None:
    """Make `parser` keep the argument strings it parsed as `args.image_argv`.

    The record embedded in every output holds the command line, and --settings-from must tell the
    flags given explicitly (which win) from the defaults; argparse keeps neither, and main() may be
    called with an argv list rather than sys.argv, so the sub-command's own strings are kept here.
    """
    class RememberingParser(type(parser)):
        def parse_known_args(self, args=None, namespace=None):
            strings = list(sys.argv[1:] if args is None else args)
            namespace, extras = super().parse_known_args(strings, namespace)
            namespace.image_argv = strings
            return namespace, extras

    parser.__class__ = RememberingParser


# What --settings-from restores: option dest → the StyleConfig field it comes from (size and seed
# come from the record itself).
RECORDED_OPTIONS = ("steps", "optimizer", "lr", "style_weight", "content_weight", "tv_weight", "scales",
                    "style_layers", "content_layers", "style_blend", "style_scale", "style_pyramid",
                    "preserve_color", "init", "preset", "until_loss", "precision")


def options_from_record(record: dict, source) -> dict:
    """The record's settings as option values (dest → value), validated as make_config validates the
    command line; UserInputError naming `source` when they do not make a valid configuration."""
    settings = record["settings"]
    try:
        values = {name: settings.get(name) for name in RECORDED_OPTIONS}
        if values["scales"] is not None:
            values["scales"] = tuple((float(frac), None if steps is None else int(steps))
                                     for frac, steps in values["scales"])
        if values["style_layers"] is not None:
            weights = settings.get("style_layer_weights")
            names = list(values["style_layers"])
            values["style_layers"] = ",".join(names if weights is None else
                                              (f"{n}:{float(w)!r}" for n, w in zip(names, weights, strict=True)))
        if values["content_layers"] is not None:
            values["content_layers"] = ",".join(values["content_layers"])
        if values["style_blend"] is not None:
            values["style_blend"] = tuple(values["style_blend"])
        blend = values["style_blend"]
        # an init image is recorded by its digest only: validated as 'content', asked for in run()
        checked = {**values, "init": values["init"] if values["init"] in INIT_KINDS else None}
        make_config(n_styles=len(blend) if blend else 1, seed=record["seed"], **checked)
    except (UserInputError, TypeError, ValueError) as exc:
        raise UserInputError(f"damaged style-transfer record in {source}: {exc}") from None
    return {"size": record["size"], "seed": record["seed"], **values}


def apply_settings_from(args):
    """`args` with every option not given on the command line taken from the --settings-from record.

    The arguments are parsed again into a namespace where every recorded option holds a marker:
    argparse fills in a default only where the namespace has no value, so what comes out unmarked
    was given explicitly, and keeps its value.
    """
    source = Path(args.settings_from)
    record = provenance.read_record(source)
    recorded = options_from_record(record, source)
    unset = object()
    probe = args.image_parser.parse_args(args.image_argv, argparse.Namespace(**dict.fromkeys(recorded, unset)))
    explicit = {dest for dest in recorded if getattr(probe, dest) is not unset}
    for dest, value in recorded.items():
        if dest not in explicit:
            setattr(args, dest, value)
    if "content_weight" in explicit and "preset" not in explicit:
        args.preset = None  # the recorded preset fixed the recorded content weight, which is now replaced
    if args.init not in INIT_KINDS and "init" not in explicit:
        raise UserInputError(f"{source} was made from a start image (--init FILE); give that file with --init")
    return args


def snapshot_names(output: Path) -> re.Pattern:
    """The names --save-every gives its snapshots of `output` (api.snapshot_path)."""
    return re.compile(re.escape(output.stem) + r"\.step\d{4,}" + re.escape(output.suffix) + "$")


def run(args) -> int:
    if args.settings_from:
        args = apply_settings_from(args)
    content_path, style_paths = Path(args.content), [Path(s) for s in args.style]
    inputs = (content_path, *style_paths, *init_files(args), *([Path(args.settings_from)] if args.settings_from else []))
    sidecar = provenance.sidecar_path(args.output) if args.save_settings else None
    # every output checked (extension, writable folder, not an input, all distinct) before any work
    output, *_ = check_output_paths([(args.output, IMAGE_EXTENSIONS), (args.side_by_side, IMAGE_EXTENSIONS),
                                     (args.progress_gif, GIF_EXTENSIONS), (args.progress_mp4, MP4_EXTENSIONS),
                                     (args.loss_plot, PNG_EXTENSIONS), (sidecar, JSON_EXTENSIONS)], inputs)
    if args.save_every:
        # snapshots are named after the output as the run goes; none may land on an input
        names = snapshot_names(output)
        for inp in inputs:
            if names.match(inp.name) and inp.resolve().parent == output.resolve().parent:
                raise UserInputError(f"--save-every would overwrite the input {inp}")
    config = config_from_args(args, n_styles=len(style_paths))
    content = load_image(content_path)
    styles = [load_image(p) for p in style_paths]
    check_stylise_memory([scaled_size(content.size, args.size)])  # styles are brought to the content's scale
    content = resize_longest(content, args.size)

    from style_transfer.api import stylize_images  # heavy imports only once the input is valid

    result = stylize_images(
        content, styles, config, network=loss_network(args, config), progress=not args.quiet, output=output,
        side_by_side_path=args.side_by_side, progress_gif=args.progress_gif, progress_mp4=args.progress_mp4,
        progress_every=args.progress_every, loss_plot=args.loss_plot, save_settings=args.save_settings,
        save_every=args.save_every, argv=["style-transfer", "image", *args.image_argv])
    if not args.quiet:
        print(f"wrote {output} ({result.steps} steps, {result.seconds:.1f} s, final loss {result.final_loss:.4g})",
              file=sys.stderr)
    return 0
