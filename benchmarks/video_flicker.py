"""Flicker and speed of video stylisation: temporally coherent vs --independent on a pan clip.

Makes a pan across a real picture (default 320×180, 3 px a frame), stylises it in
both modes with the same steps per frame, and prints the warping error of each
(in memory, and read back from the MP4 files), their ratio and seconds per frame.

    python benchmarks/video_flicker.py                      # the README figures
    python benchmarks/video_flicker.py --size 128x72 --frames 6 --steps 3 --first 10   # quick check
    python benchmarks/video_flicker.py --chunk-frames 8 --overlap 4 --workers 2 1   # chunks on local Ray

With --chunk-frames, only the coherent mode runs, in chunks on a local Ray instance (once per
--workers count), and each run also prints the warping error of the pairs straddling a chunk boundary
against that of the pairs inside a chunk, and the wall time.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", default=str(ROOT / "imgs" / "coffee.jpg"), help="picture the camera pans across")
    p.add_argument("--style", default=str(ROOT / "imgs" / "GreatWave.png"))
    p.add_argument("--size", default="320x180", help="frame size WxH (default 320x180)")
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--dx", type=int, default=3, help="pan speed in pixels a frame")
    p.add_argument("--steps", type=int, default=10, help="steps per frame (both modes)")
    p.add_argument("--first", type=int, default=60, help="steps for the first frame (coherent mode)")
    p.add_argument("--temporal-weight", type=float, nargs="+", default=None,
                   help="temporal weight(s) to try (default: the library default)")
    p.add_argument("--keep", metavar="DIR", help="keep the clip and the stylised videos in DIR")
    p.add_argument("--chunk-frames", type=int, default=None, help="stylise in chunks of N frames on Ray")
    p.add_argument("--overlap", type=int, default=4, help="warm-up frames before each chunk (default 4)")
    p.add_argument("--workers", type=int, nargs="+", default=[2, 1], help="Ray worker counts to run")
    p.add_argument("--warm-start", default="content", help="content or style-palette")
    args = p.parse_args()

    import tensorflow as tf

    from style_transfer.nst.network import default_network
    from style_transfer.video.clips import pan_frames, write_clip
    from style_transfer.video.defaults import DEFAULT_TEMPORAL_WEIGHT
    from style_transfer.video.flicker import video_warping_error, warping_error
    from style_transfer.video.stylizer import stylize_video
    from style_transfer.media.images import load_image
    from style_transfer.media.video import parse_size

    w, h = parse_size(args.size)
    weights = args.temporal_weight or [DEFAULT_TEMPORAL_WEIGHT]
    out_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="video_flicker."))
    out_dir.mkdir(parents=True, exist_ok=True)
    clip = write_clip(pan_frames(args.image, (w, h), args.frames, dx=args.dx), out_dir / "pan.mp4", fps=12)
    extractor = default_network()
    style = load_image(args.style)
    print(f"clip: {args.frames} frames {w}×{h}, pan {args.dx} px/frame across {Path(args.image).name}; "
          f"style {Path(args.style).name}; {args.steps} steps/frame, first frame {args.first} steps; "
          f"TF threads intra={tf.config.threading.get_intra_op_parallelism_threads()} cpus={os.cpu_count()}")
    source_err, _ = video_warping_error(clip, clip)
    print(f"source clip's own warping error (flow/codec floor): {source_err:.5f}")

    def run(name, **kw):
        stylised, source = [], []
        t0 = time.perf_counter()
        res = stylize_video(clip, [style], out_dir / f"{name}.mp4", network=extractor, steps_per_frame=args.steps,
                            first_frame_steps=args.first, size=None, progress=False,
                            on_frame=lambda i, f, s: (source.append(f), stylised.append(s)), **kw)
        wall = time.perf_counter() - t0
        mem, _ = warping_error(stylised, source)
        disk, _ = video_warping_error(res.path, clip)
        later = res.seconds_per_frame[1:]
        print(f"{name:>24}: warping error {mem:.5f} (from MP4 {disk:.5f}); "
              f"{sum(later) / max(1, len(later)):.2f} s/frame after the first "
              f"({res.seconds_per_frame[0]:.1f} s first), {wall:.1f} s in all")
        return mem

    if args.chunk_frames:
        from style_transfer.video.chunks import stylize_video_chunks
        from style_transfer.video.flicker import chunk_report

        for n in args.workers:
            stylised, source = [], []
            res = stylize_video_chunks(clip, [style], out_dir / f"chunks_{n}.mp4", chunk_frames=args.chunk_frames,
                                       overlap=args.overlap, workers=n, steps_per_frame=args.steps,
                                       first_frame_steps=args.first, size=None, progress=False,
                                       warm_start=args.warm_start,
                                       on_frame=lambda i, f, s: (source.append(f), stylised.append(s)))
            for where, (_, errors) in (("in memory", warping_error(stylised, source)),
                                       ("from MP4", video_warping_error(res.path, clip))):
                b, o = chunk_report(errors, args.chunk_frames)
                print(f"{n} worker(s), {where}: warping error boundary {sum(b) / len(b):.5f} ({len(b)} pairs), "
                      f"in-chunk {sum(o) / len(o):.5f} ({len(o)} pairs), ratio {sum(b) / len(b) / (sum(o) / len(o)):.2f}; "
                      f"all {(sum(b) + sum(o)) / (len(b) + len(o)):.5f}")
            print(f"  {res.summary()}", flush=True)
        print(f"outputs in {out_dir}")
        return
    indep = run("independent", independent=True)
    for tw in weights:
        coh = run(f"coherent tw={tw:g}", temporal_weight=tw)
        print(f"{'':>24}  ratio coherent/independent = {coh / indep:.3f}")
    print(f"outputs in {out_dir}")


if __name__ == "__main__":
    main()
