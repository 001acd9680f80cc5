"""`style-transfer concat`: tile N images, GIFs or videos into one montage, frame by frame."""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

from style_transfer.cli.options import positive_int
from style_transfer.errors import UserInputError
from style_transfer.media.formats import IMAGE_EXTENSIONS, VIDEO_OUTPUT_EXTENSIONS
from style_transfer.media.images import check_output_path

OUTPUT_EXTENSIONS = {**IMAGE_EXTENSIONS, **VIDEO_OUTPUT_EXTENSIONS}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "concat", help="tile images, GIFs or videos into one montage",
        description="Tile N inputs in a near-square grid. The default order is the original 2×2 "
                    "montage's (bottom-left, bottom-right, top-right, top-left), continued as a "
                    "serpentine from the bottom row up. Tiles take the first input's size; other sizes "
                    "are resized without stretching. Animated inputs (GIF, MP4) are tiled frame by frame.",
        epilog=(
            "examples:\n"
            "  style-transfer concat a.png b.png c.png d.png -o montage.png\n"
            "  style-transfer concat first.gif second.mp4 -o both.gif --cols 2 --loop\n"))
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="images, animated GIFs or videos")
    p.add_argument("-o", "--output", required=True,
                   help="montage: an image, or .gif/.mp4 when any input is animated")
    p.add_argument("--cols", type=positive_int, help="columns (default: ceil(sqrt(N)))")
    p.add_argument("--order", choices=("original", "rows"), default="original",
                   help="'original': bottom-left, bottom-right, top-right, top-left … (default); "
                        "'rows': reading order")
    p.add_argument("--loop", action="store_true",
                   help="run to the longest animation, looping shorter ones (default: stop at the shortest)")
    p.add_argument("--fit", choices=("crop", "pad"), default="crop",
                   help="how other sizes are brought to the tile size: crop to fill (default) or letterbox")
    p.add_argument("--gutter", type=int, default=0, metavar="PX", help="white space between tiles (default 0)")
    p.add_argument("--fps", type=float, help="frame rate of an animated output (default: the first animation's)")
    p.add_argument("--quiet", action="store_true", help="no summary line")
    p.set_defaults(func=run)


def run(args) -> int:
    inputs = [Path(p) for p in args.inputs]
    output = check_output_path(args.output, inputs, OUTPUT_EXTENSIONS)
    if args.gutter < 0:
        raise UserInputError(f"--gutter must not be negative, got {args.gutter}")
    if args.fps is not None and not 0 < args.fps <= 120:
        raise UserInputError(f"--fps must be in (0, 120], got {args.fps:g}")

    from style_transfer.figures import montage
    from style_transfer.media.images import save_image
    from style_transfer.media.video import write_frames

    from style_transfer.cli.limits import check_canvas_memory

    tiles = [montage.open_input(p) for p in inputs]
    check_canvas_memory(montage.canvas_size(tiles, cols=args.cols, gutter=args.gutter))
    animated_out = output.suffix.lower() in VIDEO_OUTPUT_EXTENSIONS
    if any(t.animated for t in tiles) and not animated_out:
        raise UserInputError(f"animated inputs need a .gif or .mp4 output, not {output.name}")
    frames, fps = montage.concat(tiles, cols=args.cols, order=args.order, loop=args.loop,
                                 gutter=args.gutter, fit=args.fit)
    first = next(frames)
    if animated_out:
        count = write_frames(output, itertools.chain([first], frames), args.fps or fps or 10.0, pad_odd=True)
    else:
        save_image(first, output)
        count = 1
    if not args.quiet:
        print(f"wrote {output} ({len(inputs)} tiles, {first.width}×{first.height} px, "
              f"{count} frame{'s' if count != 1 else ''})", file=sys.stderr)
    return 0
