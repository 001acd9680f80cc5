"""`style-transfer flicker`: warping error of a stylised video against its source."""
from __future__ import annotations

from pathlib import Path

from style_transfer.cli.options import non_negative_int, positive_int
from style_transfer.video.flow import FLOW_METHODS
from style_transfer.errors import UserInputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "flicker", help="measure the flicker (warping error) of a stylised video",
        description="Print the warping error of STYLISED_VIDEO: the mean over consecutive frame pairs of "
                    "the squared difference (intensities 0-1) between stylised frame t and stylised frame "
                    "t+1 warped back by the optical flow of the SOURCE video, over the pixels where the "
                    "forward and backward flow agree. Lower is steadier.",
        epilog=(
            "examples:\n"
            "  style-transfer flicker clip_wave.mp4 --source clip.mp4\n"
            "  style-transfer flicker clip.gif --source clip.mp4 --end 40 --skip 2 --per-pair\n"))
    p.add_argument("stylised", metavar="STYLISED_VIDEO", help="the stylised video (.mp4, .gif, ...)")
    p.add_argument("--source", required=True, metavar="SOURCE_VIDEO", help="the video it was made from")
    p.add_argument("--start", type=non_negative_int, default=0, metavar="N",
                   help="first source frame used for the stylised video (default 0)")
    p.add_argument("--end", type=positive_int, default=None, metavar="N", help="source frame it stopped before")
    p.add_argument("--skip", type=positive_int, default=1, metavar="K", help="every K-th source frame (default 1)")
    p.add_argument("--flow", choices=FLOW_METHODS, default="dis", help="optical flow method (default dis)")
    p.add_argument("--per-pair", action="store_true", help="also print the error of every frame pair")
    p.add_argument("--chunk-frames", type=positive_int, default=None, metavar="N",
                   help="also report the error of the pairs that straddle a boundary of chunks of N frames "
                        "(video --ray --chunk-frames N) against that of all other pairs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from style_transfer.video.flicker import chunk_report, video_warping_error

    if args.end is not None and args.start >= args.end:
        raise UserInputError(f"--start ({args.start}) must be less than --end ({args.end})")
    mean, errors = video_warping_error(Path(args.stylised), Path(args.source), start=args.start, end=args.end,
                                       skip=args.skip, flow_method=args.flow, progress=not args.quiet)
    split = chunk_report(errors, args.chunk_frames) if args.chunk_frames else None
    if args.per_pair:
        for i, e in enumerate(errors):
            print(f"{i}->{i + 1}\t{e:.6f}")
    print(f"warping error {mean:.6f} over {len(errors)} frame pairs of {args.stylised}")
    if split:
        boundary, inside = split
        b = sum(boundary) / len(boundary)
        line = f"chunk boundaries {b:.6f} over {len(boundary)} pairs"
        if inside:
            i = sum(inside) / len(inside)
            line += f", inside chunks {i:.6f} over {len(inside)} pairs, ratio {b / max(i, 1e-12):.2f}"
        print(line)
    return 0
