"""Batch throughput: images per minute in this process and on local Ray with 1 and 2 workers, and what
starting Ray costs.

    python benchmarks/batch_throughput.py --images 8 --size 64 --steps 5

Every content image has the same working shape (copies of one photo with a little seeded noise), so
each engine compiles once and the steady rate is the one a large batch of one shape would see. Each
run writes into its own temporary folder through the same driver loop as `style-transfer batch`.

Figures printed per run:
  wall        seconds from the start of the run to the last image written (network build included)
  first       seconds to the first image written (network build and compilation included)
  steady      images per minute between the first and the last image written (manifest timestamps)
  ray.init    seconds `ray.init` took (Ray runs only)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()

from style_transfer.batch.jobs import Manifest, list_images, local_executor, pair_up, run_batch  # noqa: E402
from style_transfer.nst.config import make_config  # noqa: E402


def make_inputs(folder: Path, n: int, size: int) -> None:
    base = np.asarray(Image.open(ROOT / "imgs" / "chelsea.jpg").convert("RGB").resize((size, size * 2 // 3)),
                      np.int16)
    rng = np.random.default_rng(0)
    for i in range(n):
        noisy = np.clip(base + rng.integers(-8, 9, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"img{i:03d}.png")


def one_run(label: str, inputs: Path, style: Path, config, size: int, execute) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        pairs = pair_up(list_images([inputs]), [style], out)
        t0 = time.time()
        counts = run_batch(pairs, config, size=size, out_dir=out, execute=execute, progress=False)
        wall = time.time() - t0
        finished = sorted(rec["finished"] for rec in Manifest(out).read())
    assert counts.written == len(pairs) and not counts.failed, counts.summary()
    steady = (len(finished) - 1) / (finished[-1] - finished[0]) * 60 if len(finished) > 1 else float("nan")
    return {"run": label, "images": len(pairs), "wall": wall, "first": finished[0] - t0, "steady": steady}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    config = make_config(steps=args.steps)
    style = ROOT / "imgs" / "GreatWave.png"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp)
        make_inputs(inputs, args.images, args.size)
        rows.append(one_run("in-process", inputs, style, config, args.size, local_executor()))
        try:
            import ray
        except ImportError:
            print("ray is not installed: in-process figures only", file=sys.stderr)
            ray = None
        if ray is not None:
            from style_transfer.batch.distributed import connect, ray_executor

            for n in args.workers:
                t0 = time.time()
                connect("local")
                init = time.time() - t0
                row = one_run(f"ray local, {n} worker{'s' * (n > 1)}", inputs, style, config, args.size,
                              ray_executor(n))
                row["ray.init"] = init
                rows.append(row)
                ray.shutdown()
    print(f"{args.images} images, {args.size} px, {args.steps} steps, {os.cpu_count()} CPUs")
    print(f"{'run':<22}{'wall s':>9}{'first s':>9}{'steady img/min':>16}{'ray.init s':>12}")
    for r in rows:
        init = f"{r['ray.init']:.1f}" if "ray.init" in r else "-"
        print(f"{r['run']:<22}{r['wall']:>9.1f}{r['first']:>9.1f}{r['steady']:>16.1f}{init:>12}")
    local = rows[0]
    for r in rows[1:]:
        print(f"Ray start-up overhead, {r['run']}: {r['ray.init'] + r['first'] - local['first']:.1f} s "
              "(ray.init + time to first image beyond the in-process run's)")


if __name__ == "__main__":
    main()
