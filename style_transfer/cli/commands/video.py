"""`style-transfer video`: stylise a video, frame by frame, with temporal coherence."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.cli.options import (add_control_options, add_lr_option, add_run_options, add_weight_options,
                                        announce_device, config_from_args, init_files, loss_network,
                                        non_negative_float, non_negative_int, positive_float, positive_int)
from style_transfer.errors import UserInputError
from style_transfer.nst.config import DEFAULT_SIZE
from style_transfer.video.defaults import INSETS
from style_transfer.video.flow import FLOW_METHODS


def register(subparsers) -> None:
    from style_transfer.video.chunks import DEFAULT_OVERLAP
    from style_transfer.video.defaults import (DEFAULT_FIRST_FRAME_STEPS, DEFAULT_STEPS_PER_FRAME,
                                               DEFAULT_TEMPORAL_WEIGHT, LATER_LR_FACTOR)

    p = subparsers.add_parser(
        "video", help="stylise a video (temporally coherent, streamed)",
        description="Stylise the video IN with the style of STYLE and write OUT (.gif or .mp4). Each frame "
                    "after the first starts from the previous stylised frame warped by the optical flow of "
                    "the original frames, with a temporal loss that keeps it there (Ruder et al. 2016). "
                    "Frames are read, stylised and written one at a time.",
        epilog=(
            "examples:\n"
            "  style-transfer video clip.mp4 imgs/GreatWave.png -o clip_wave.mp4 --size 320\n"
            "  style-transfer video clip.mp4 imgs/kandinky.png -o clip.gif --end 40 --skip 2 --steps-per-frame 50\n"))
    p.add_argument("input", metavar="IN", help="video to stylise (MP4, AVI, MOV, WebM, MKV or GIF)")
    p.add_argument("style", metavar="STYLE", nargs="+",
                   help="style image (e.g. a painting); several are blended (--style-blend)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output video, .gif (looping) or .mp4 (H.264)")
    g = p.add_argument_group("frames")
    g.add_argument("--start", type=non_negative_int, default=0, metavar="N", help="first frame to use (default 0)")
    g.add_argument("--end", type=positive_int, default=None, metavar="N",
                   help="stop before this frame (default: the end of the video)")
    g.add_argument("--skip", type=positive_int, default=1, metavar="K", help="use every K-th frame (default 1)")
    g.add_argument("--resize", metavar="WxH", default=None, help="frame size, exactly (e.g. 320x180)")
    g.add_argument("--size", type=positive_int, default=None, metavar="PX",
                   help=f"longest side of the frames, aspect ratio kept (default {DEFAULT_SIZE}; "
                        "ignored with --resize)")
    g.add_argument("--fps", type=positive_float, default=None,
                   help="output frame rate (default: the source's, divided by --skip)")
    g.add_argument("--inset", choices=INSETS, default="none",
                   help="show a small framed thumbnail of the content frame, the style image or both "
                        "in the corners (default none)")
    g = p.add_argument_group("temporal coherence")
    g.add_argument("--steps-per-frame", type=positive_int, default=DEFAULT_STEPS_PER_FRAME, metavar="N",
                   help=f"optimisation steps for each frame (default {DEFAULT_STEPS_PER_FRAME})")
    g.add_argument("--first-frame-steps", type=positive_int, default=DEFAULT_FIRST_FRAME_STEPS, metavar="N",
                   help=f"steps for the first frame (default {DEFAULT_FIRST_FRAME_STEPS})")
    g.add_argument("--temporal-weight", type=non_negative_float, default=DEFAULT_TEMPORAL_WEIGHT, metavar="W",
                   help=f"weight of the temporal loss (default {DEFAULT_TEMPORAL_WEIGHT:g})")
    g.add_argument("--later-lr", type=positive_float, default=None, metavar="LR",
                   help=f"learning rate for frames after the first (default {LATER_LR_FACTOR:g} × --lr)")
    g.add_argument("--flow", choices=FLOW_METHODS, default="dis",
                   help="optical flow: OpenCV DIS (default) or Farnebäck")
    g.add_argument("--independent", action="store_true",
                   help="stylise every frame from its own content, --steps-per-frame steps, no flow "
                        "(flickers; for comparison)")
    g = p.add_argument_group("on Ray (docs/video.md, docs/scale.md)")
    g.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="stylise chunks of the clip in parallel on Ray: 'local' (the default when no ADDRESS "
                        "is given) starts Ray on this machine; an address (host:port) joins that cluster; "
                        "needs --chunk-frames")
    g.add_argument("--chunk-frames", type=positive_int, default=None, metavar="N",
                   help="with --ray, frames per chunk; each chunk is one task on one worker")
    g.add_argument("--overlap", type=non_negative_int, default=None, metavar="K",
                   help=f"with --chunk-frames, warm-up frames stylised before each chunk after the first "
                        f"and thrown away, so the seam does not jump (default {DEFAULT_OVERLAP})")
    g.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="with --ray, the number of engines (Ray actors) (default: one per node)")
    add_lr_option(p.add_argument_group("optimisation"))
    add_weight_options(p)
    add_run_options(p)
    add_control_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from style_transfer.media.images import load_image
    from style_transfer.media.video import VideoReader, check_video_output, parse_size

    source, style_paths = Path(args.input), [Path(s) for s in args.style]
    output = check_video_output(args.output, (source, *style_paths, *init_files(args)))
    if args.end is not None and args.start >= args.end:
        raise UserInputError(f"--start ({args.start}) must be less than --end ({args.end})")
    # Chunks run only on Ray: in one process they would only add warm-up frames to a plain run.
    if args.ray is not None and args.chunk_frames is None:
        raise UserInputError("--ray needs --chunk-frames N (the clip is cut into chunks of N frames)")
    for flag, value in (("--chunk-frames", args.chunk_frames), ("--workers", args.workers)):
        if value is not None and args.ray is None:
            raise UserInputError(f"{flag} needs --ray")
    if args.overlap is not None and args.chunk_frames is None:
        raise UserInputError("--overlap needs --chunk-frames")
    resize = parse_size(args.resize) if args.resize else None
    size = None if resize else (args.size or DEFAULT_SIZE)
    if resize and output.suffix.lower() == ".mp4" and (resize[0] % 2 or resize[1] % 2):
        raise UserInputError(f"MP4 (H.264) needs even frame sides, got --resize {args.resize}")
    config = config_from_args(args, n_styles=len(style_paths))  # reads the first frame's --init image
    styles = [load_image(p) for p in style_paths]  # fails fast on a bad style image
    # open the video once now, so unreadable files and empty ranges fail before TensorFlow loads
    from style_transfer.cli.limits import check_stylise_memory

    if resize:  # checked before the reader makes a frame of that size
        check_stylise_memory([resize], "stylising frames")
    with VideoReader(source, start=args.start, end=args.end, skip=args.skip, size=size, resize=resize,
                     even=output.suffix.lower() == ".mp4") as reader:
        frame_size = reader.size
    check_stylise_memory([frame_size], "stylising frames")

    frame_options = dict(steps_per_frame=args.steps_per_frame, first_frame_steps=args.first_frame_steps,
                         temporal_weight=args.temporal_weight, later_lr=args.later_lr,
                         independent=args.independent, flow_method=args.flow)
    common = dict(start=args.start, end=args.end, skip=args.skip, size=size, resize=resize, fps=args.fps,
                  inset=args.inset, progress=not args.quiet)
    if args.ray is not None:
        from style_transfer.batch.distributed import connect
        from style_transfer.cli.commands.batch import resolve_weights
        from style_transfer.video.chunks import DEFAULT_OVERLAP, stylize_video_chunks

        ssd_weights = resolve_weights(args.ssd_weights)  # the driver's choice, for every worker
        started = connect(args.ray)
        announce_device(args, config)
        try:
            result = stylize_video_chunks(
                source, styles, output, config, chunk_frames=args.chunk_frames,
                overlap=DEFAULT_OVERLAP if args.overlap is None else args.overlap, workers=args.workers,
                ssd_weights=ssd_weights, **common, **frame_options)
        finally:
            if started:
                import ray

                ray.shutdown()
    else:
        from style_transfer.video.stylizer import stylize_video  # heavy imports only once the input is valid

        result = stylize_video(source, styles, output, config, loss_network(args, config), **common,
                               **frame_options)
    if not args.quiet:
        print(result.summary(), file=sys.stderr)
    return 0
