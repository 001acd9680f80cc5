"""`style-transfer image`: stylise one image."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.cli.options import (add_control_options, add_style_options, config_from_args, init_files,
                                        non_negative_float, positive_int)
from style_transfer.cli.limits import check_stylise_memory, scaled_size
from style_transfer.media.formats import GIF_EXTENSIONS, IMAGE_EXTENSIONS, MP4_EXTENSIONS, PNG_EXTENSIONS
from style_transfer.media.images import check_output_paths, load_image, resize_longest


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "image", help="stylise an image",
        description="Stylise CONTENT with the style of STYLE (or a blend of several styles), optimising "
                    "the image through the frozen VGG16 backbone of SSD300.",
        epilog=(
            "examples:\n"
            "  style-transfer image imgs/chelsea.jpg imgs/GreatWave.png -o chelsea_wave.png\n"
            "  style-transfer image imgs/chelsea.jpg imgs/GreatWave.png imgs/kandinky.png --style-blend 2,1 \\\n"
            "      --size 384 --preserve-color luminance -o blend.jpg --side-by-side blend_sbs.jpg\n"))
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
    add_style_options(p)
    add_control_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    content_path, style_paths = Path(args.content), [Path(s) for s in args.style]
    inputs = (content_path, *style_paths, *init_files(args))
    # every output checked (extension, writable folder, not an input, all distinct) before any work
    output, *_ = check_output_paths([(args.output, IMAGE_EXTENSIONS), (args.side_by_side, IMAGE_EXTENSIONS),
                                     (args.progress_gif, GIF_EXTENSIONS), (args.progress_mp4, MP4_EXTENSIONS),
                                     (args.loss_plot, PNG_EXTENSIONS)], inputs)
    config = config_from_args(args, n_styles=len(style_paths))
    content = load_image(content_path)
    styles = [load_image(p) for p in style_paths]
    check_stylise_memory([scaled_size(content.size, args.size)])  # styles are brought to the content's scale
    content = resize_longest(content, args.size)

    from style_transfer.api import stylize_images  # heavy imports only once the input is valid

    result = stylize_images(
        content, styles, config, ssd_weights=args.ssd_weights, progress=not args.quiet, output=output,
        side_by_side_path=args.side_by_side, progress_gif=args.progress_gif, progress_mp4=args.progress_mp4,
        progress_every=args.progress_every, loss_plot=args.loss_plot)
    if not args.quiet:
        print(f"wrote {output} ({result.steps} steps, {result.seconds:.1f} s, final loss {result.final_loss:.4g})",
              file=sys.stderr)
    return 0
