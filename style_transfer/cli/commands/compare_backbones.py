"""`style-transfer compare-backbones`: one stylisation through three loss networks, side by side."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.cli.limits import check_stylise_memory
from style_transfer.cli.options import add_style_options, announce_device, config_from_args
from style_transfer.media.images import check_output_path, load_image, resize_longest, scaled_size


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare-backbones", help="stylise through SSD300's VGG16, ImageNet VGG16 and a random VGG16",
        description="Stylise CONTENT with STYLE with the same settings through (a) the VGG16 backbone of "
                    "SSD300 as loaded (a VOC checkpoint when present), (b) ImageNet VGG16 and (c) a "
                    "randomly initialised VGG16; lay the results out side by side with their final "
                    "losses and the time each took.",
        epilog=(
            "examples:\n"
            "  style-transfer compare-backbones imgs/chelsea.jpg imgs/GreatWave.png -o backbones.png --size 256\n"))
    p.add_argument("content", help="content image")
    p.add_argument("style", help="style image")
    p.add_argument("-o", "--output", required=True, help="figure (.png, .jpg, …)")
    add_style_options(p, steps=150)
    p.set_defaults(func=run)


def run(args) -> int:
    content_path, style_path = Path(args.content), Path(args.style)
    output = check_output_path(args.output, (content_path, style_path))
    config = config_from_args(args)
    content = load_image(content_path)
    check_stylise_memory([scaled_size(content.size, args.size)])
    content = resize_longest(content, args.size)
    style = resize_longest(load_image(style_path), args.size)

    import numpy as np

    from style_transfer.showcase.compare import compare_backbones, comparison_figure
    from style_transfer.media.images import save_image

    announce_device(args, config)
    runs = compare_backbones(np.asarray(content, np.float32), np.asarray(style, np.float32),
                             config, ssd_weights=args.ssd_weights, progress=not args.quiet)
    figure = comparison_figure(content, style, runs,
                               title=f"{content_path.stem} in the style of {style_path.stem}: "
                                     f"which loss network?")
    save_image(figure, output)
    if not args.quiet:
        for run in runs:
            print(f"{run.label}: final loss {run.result.final_loss:.4g}, {run.seconds:.1f} s", file=sys.stderr)
        print(f"wrote {output}", file=sys.stderr)
    return 0
