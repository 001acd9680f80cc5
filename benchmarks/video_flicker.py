"""Flicker and speed of video stylisation: temporally coherent vs --independent on a pan clip.

Makes a pan across a real picture (default 320×180, 3 px a frame), stylises it in
both modes with the same steps per frame, and prints the warping error of each
(in memory, and read back from the MP4 files), their ratio and seconds per frame.

    python benchmarks/video_flicker.py                      # the README figures
    python benchmarks/video_flicker.py --size 128x72 --frames 6 --steps 3 --first 10   # quick check
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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

    indep = run("independent", independent=True)
    for tw in weights:
        coh = run(f"coherent tw={tw:g}", temporal_weight=tw)
        print(f"{'':>24}  ratio coherent/independent = {coh / indep:.3f}")
    print(f"outputs in {out_dir}")


if __name__ == "__main__":
    main()
