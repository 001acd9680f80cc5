"""Time to quality against the plain loop a user would otherwise run, target by target.

The reference is benchmarks/reference_loop.py: Keras' own VGG16 with the ImageNet weights, eager
TensorFlow, Adam lr 15, 40 steps, a PIL copy a step, on a 300×300 crop of chelsea with the Great Wave.
Both runs' final images are measured with one yardstick: the article's objective (style 1, content 1e-3,
the project's loss network) recomputed in float32 (`nst.engine.evaluate`). Our runs stop once their own
loss reaches the reference's and are then checked with that yardstick.

Targets (each printed with seconds, evaluations, final float32 loss, ratio, peak RSS):
  cold     whole process, reference vs `style-transfer image … --until-loss`, alternating, --repeats times
  warm     a second image in one process (start-up excluded) vs the reference's loop alone
  start-up process start → imports → loss network built → first evaluation done
  1024     `style-transfer image` at 1024 px with the plain defaults: whole process, peak RSS
  video    benchmarks/video_flicker.py at 320×180, 20 frames: s per later frame, warping-error ratio
  step     s per evaluation and GFLOP/s, float32 and bfloat16, full and style-only
Every target but step runs --repeats times and prints the median with its range.

    python benchmarks/time_to_quality.py                  # everything, about 40 minutes on 2 cores (float32)
    python benchmarks/time_to_quality.py --only cold warm startup --repeats 3
    python benchmarks/time_to_quality.py --ours-flags "--precision float32"
    python benchmarks/time_to_quality.py --only 1024 video --repeats 3
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()

# The reference optimises the article's objective; ours must reach its loss on the same objective.
ARTICLE = {"style_weight": 1.0, "content_weight": 1e-3}
ARTICLE_FLAGS = ("--style-weight", "1", "--content-weight", "1e-3")
TARGETS = ("cold", "warm", "startup", "1024", "video", "step")


def make_inputs(folder: Path, side: int = 300) -> tuple[Path, Path]:
    """The benchmark's content and style: centre-cropped squares of `side` px."""
    from PIL import Image, ImageOps

    paths = []
    for name in ("chelsea.jpg", "GreatWave.png"):
        img = ImageOps.fit(Image.open(ROOT / "imgs" / name).convert("RGB"), (side, side), Image.Resampling.LANCZOS)
        path = folder / f"{Path(name).stem}_{side}.png"
        img.save(path)
        paths.append(path)
    return paths[0], paths[1]


def timed_process(cmd: list[str]) -> tuple[float, int, str]:
    """Run `cmd`; return (wall seconds, peak RSS in bytes, stdout + stderr). Exits on failure."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {shlex.join(cmd)}\n{out[-2000:]}")
    return seconds, usage.ru_maxrss * 1024, out


class Yardstick:
    """The article's objective in float32 on the benchmark pair, for any image file or array."""

    def __init__(self, content: Path, style: Path):
        import numpy as np

        from style_transfer.media.images import load_image
        from style_transfer.nst.config import make_config

        self.content = np.asarray(load_image(content), np.float32)
        self.style = np.asarray(load_image(style), np.float32)
        self.config = make_config(**ARTICLE)

    def __call__(self, image) -> float:
        import numpy as np

        from style_transfer.media.images import load_image
        from style_transfer.nst.engine import evaluate

        if isinstance(image, (str, Path)):
            image = load_image(image)
        return evaluate(np.asarray(image, np.float32), self.content, self.style, self.config)["total"]


def spread(values, digits: int = 1) -> str:
    """The median of repeated measurements with their range."""
    return f"{statistics.median(values):.{digits}f} (min {min(values):.{digits}f}, max {max(values):.{digits}f})"


def cold(content, style, tmp: Path, repeats: int, ref_steps: int, ours_flags: str, yardstick) -> dict:
    """Reference and ours as whole processes, alternating; ours stops at the reference's float32 loss."""
    py = sys.executable
    ref_rows, our_rows, target = [], [], None
    for r in range(repeats):
        ref_out = tmp / f"reference_{r}.png"
        seconds, rss, out = timed_process([py, str(ROOT / "benchmarks" / "reference_loop.py"), str(content),
                                           str(style), "--steps", str(ref_steps), "--output", str(ref_out)])
        loop = float(re.search(r"loop_seconds=(\S+)", out).group(1))
        loss = yardstick(ref_out)
        target = loss if target is None else target  # the reference is deterministic up to thread order
        ref_rows.append((seconds, loop, loss, rss))
        ours_out = tmp / f"ours_{r}.png"
        seconds, rss, out = timed_process([py, "-m", "style_transfer", "image", str(content), str(style), "-o",
                                           str(ours_out), "--size", "300", "--steps", "200", "--until-loss",
                                           repr(target), *ARTICLE_FLAGS, *shlex.split(ours_flags)])
        m = re.search(r"\((\d+) steps, ([\d.]+) s, final loss (\S+)\)", out)
        our_rows.append((seconds, int(m.group(1)), float(m.group(2)), yardstick(ours_out), rss))
    ref_s = [r[0] for r in ref_rows]
    ours_s = [r[0] for r in our_rows]
    print(f"reference (Keras VGG16, eager Adam lr 15, {ref_steps} steps): whole process {spread(ref_s)} s, "
          f"loop {spread([r[1] for r in ref_rows])} s, float32 loss {ref_rows[0][2]:.4g}, "
          f"peak RSS {max(r[3] for r in ref_rows) / 2**20:.0f} MiB", flush=True)
    for seconds, evals, opt_s, loss, rss in our_rows:
        print(f"  ours [{ours_flags or 'defaults'}] cold: {seconds:.1f} s whole process ({opt_s:.1f} s optimising), "
              f"{evals} evaluations, float32 loss {loss:.4g} ({'reached' if loss <= target else 'NOT reached'}), "
              f"peak RSS {rss / 2**20:.0f} MiB", flush=True)
    ratio = statistics.median(ref_s) / statistics.median(ours_s)
    print(f"cold: ours {spread(ours_s)} s vs reference {spread(ref_s)} s → {ratio:.1f}× (target ≥ 6×)", flush=True)
    return {"target": target, "ref_loop": statistics.median(r[1] for r in ref_rows)}


def warm(content, style, target: float, ref_loop: float, repeats: int, precision: str, yardstick) -> None:
    """A second image in one process: the loss network built and the step compiled by a first image."""
    import numpy as np

    from style_transfer.media.images import load_image, resize_longest
    from style_transfer.nst.config import make_config
    from style_transfer.nst.engine import stylize

    c = np.asarray(load_image(content), np.float32)
    s = np.asarray(load_image(style), np.float32)
    other = np.asarray(resize_longest(load_image(ROOT / "imgs" / "coffee.jpg"), 300), np.float32)[:300, :300]
    config = make_config(steps=200, until_loss=target, precision=precision, **ARTICLE)
    stylize(other if other.shape == c.shape else c[::-1].copy(), s, config.replace(steps=5), progress=False)
    rows = []
    for _ in range(repeats):
        result = stylize(c, s, config, progress=False)
        rows.append((result.seconds, result.steps, yardstick(result.image)))
    secs = [r[0] for r in rows]
    print(f"warm: ours {spread(secs)} s ({', '.join(f'{r[1]} evaluations, float32 loss {r[2]:.4g}' for r in rows)}) "
          f"vs reference loop {ref_loop:.1f} s → {ref_loop / statistics.median(secs):.1f}× (target ≥ 12×)", flush=True)


STARTUP_PROBE = r"""
import sys, time
t = [time.time()]
import tensorflow
t.append(time.time())
from style_transfer.nst.config import make_config
from style_transfer.nst.engine import begin, stylize
import numpy as np
config = make_config(steps=1, precision=sys.argv[2], style_weight=1, content_weight=1e-3)
network = begin(config)
t.append(time.time())
img = np.full((300, 300, 3), 128.0, np.float32)
stylize(img, img, config, network, progress=False)
t.append(time.time())
print("stamps", float(sys.argv[1]), *t)
"""


def startup(repeats: int, precision: str) -> None:
    """Process start → `import tensorflow` → loss network (SSD300 built, backbone copied) → first evaluation."""
    rows = []
    for _ in range(repeats):
        launched = time.time()
        _, _, out = timed_process([sys.executable, "-c", STARTUP_PROBE, repr(launched), precision])
        s = [float(x) for x in re.search(r"stamps (.*)", out).group(1).split()]
        rows.append((s[2] - s[0], s[3] - s[2], s[4] - s[3], s[4] - s[0]))
    cols = list(zip(*rows))
    print(f"start-up: interpreter + import tensorflow {spread(cols[0])} s, loss network {spread(cols[1])} s, "
          f"first evaluation (tracing) {spread(cols[2])} s; process start → first evaluation done "
          f"{spread(cols[3])} s (target ≤ 3 s)", flush=True)


def large(flags: str, repeats: int) -> None:
    """chelsea at 1024 px (long side) with the Great Wave, plain defaults, as a process, `repeats` times."""
    out = ROOT / "outputs" / "large_1024.jpg"
    out.parent.mkdir(exist_ok=True)
    seconds, rss, evaluations = [], [], set()
    for _ in range(repeats):
        s, r, log = timed_process([sys.executable, "-m", "style_transfer", "image",
                                   str(ROOT / "imgs" / "chelsea.jpg"), str(ROOT / "imgs" / "GreatWave.png"),
                                   "-o", str(out), "--size", "1024", *shlex.split(flags)])
        seconds.append(s)
        rss.append(r / 2**30)
        evaluations.add(re.search(r"\((\d+) steps, [\d.]+ s, final loss \S+\)", log).group(1))
    print(f"1024 px [{flags or 'defaults'}]: {spread(seconds)} s whole process (target ≤ 45 s), "
          f"{'/'.join(sorted(evaluations))} evaluations, peak RSS {spread(rss, 2)} GiB (target ≤ 2.5 GiB); "
          f"wrote {out}", flush=True)


def video(flags: str, repeats: int) -> None:
    """benchmarks/video_flicker.py at its defaults (320×180, 10 steps a later frame, 60 the first), 20 frames,
    `repeats` times."""
    later, ratio, rss = [], [], []
    for _ in range(repeats):
        _, r, out = timed_process([sys.executable, str(ROOT / "benchmarks" / "video_flicker.py"), "--frames", "20",
                                   *shlex.split(flags)])
        later.append(float(re.search(r"coherent.*?([\d.]+) s/frame after the first", out).group(1)))
        ratio.append(float(re.search(r"ratio coherent/independent = ([\d.]+)", out).group(1)))
        rss.append(r / 2**20)
    print(f"video 320×180: {spread(later, 2)} s per later frame (target ≤ 2 s), warping-error ratio to "
          f"--independent {spread(ratio, 3)} (target ≤ 0.5), peak RSS {spread(rss, 0)} MiB", flush=True)


def forward_flops(network, layers, height: int, width: int) -> float:
    """Multiply-adds × 2 of the conv layers up to the deepest of `layers`, for one H×W image."""
    import keras

    deepest = max(network.vgg.layers.index(network.vgg.get_layer(n)) for n in layers)
    h, w, flops = height, width, 0.0
    for layer in network.vgg.layers[:deepest + 1]:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            flops += 2.0 * kh * kw * cin * cout * h * w
        elif isinstance(layer, keras.layers.MaxPooling2D):
            h, w = -(-h // 2), -(-w // 2)
    return flops


def seconds_per_evaluation(step, repeats: int) -> float:
    """Mean seconds of one call of a compiled (value, gradient) step, traced and warmed first; the
    gradient is brought to the host once, after the last call, as the optimiser's loop does."""
    step()[1].numpy()
    t0 = time.perf_counter()
    for _ in range(repeats):
        grad = step()[1]
    grad.numpy()
    return (time.perf_counter() - t0) / repeats


def step_rates(content, style) -> None:
    """s per evaluation and GFLOP/s of the compiled step at 300×300, per precision, full and style-only."""
    import numpy as np

    from style_transfer.media.images import load_image
    from style_transfer.nst.config import make_config
    from style_transfer.nst.engine import begin, compiled

    c = np.asarray(load_image(content), np.float32)
    s = np.asarray(load_image(style), np.float32)
    for precision in ("float32", "bfloat16"):
        config = make_config(precision=precision, **ARTICLE)
        network = begin(config)
        loss, optimizer = compiled(network, config, *c.shape[:2])
        loss.set_style([s])
        loss.set_content(c)
        optimizer.image.assign(c[None])
        for name, step, layers in (("full", optimizer._value_and_grad, network.style_layers + network.content_layers),
                                   ("style-only", optimizer._style_value_and_grad, network.style_layers)):
            sec = seconds_per_evaluation(step, 5)
            flops = forward_flops(network, layers, *c.shape[:2])
            # an evaluation is the forward pass and the input gradient (no weight gradients): ≈ 2 × forward
            print(f"step {precision} {name}: {sec:.3f} s per evaluation, forward {flops / 1e9:.1f} GFLOP, "
                  f"{2 * flops / sec / 1e9:.0f} GFLOP/s", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=TARGETS, default=list(TARGETS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--reference-steps", type=int, default=40)
    p.add_argument("--ours-flags", default="", help="extra flags for our cold run (e.g. --precision float32)")
    p.add_argument("--large-flags", default="", help="flags for the 1024 px run (default: the defaults)")
    p.add_argument("--video-flags", default="", help="extra flags for benchmarks/video_flicker.py")
    args = p.parse_args()
    precision = re.search(r"--precision\s+(\S+)", args.ours_flags)
    precision = precision.group(1) if precision else "auto"
    with tempfile.TemporaryDirectory() as tmp:
        content, style = make_inputs(Path(tmp))
        yardstick = None
        if {"cold", "warm"} & set(args.only):
            yardstick = Yardstick(content, style)
            ref = cold(content, style, Path(tmp), args.repeats if "cold" in args.only else 1,
                       args.reference_steps, args.ours_flags, yardstick)
            if "warm" in args.only:
                warm(content, style, ref["target"], ref["ref_loop"], args.repeats, precision, yardstick)
        if "startup" in args.only:
            startup(args.repeats, precision)
        if "1024" in args.only:
            large(args.large_flags, args.repeats)
        if "video" in args.only:
            video(args.video_flags, args.repeats)
        if "step" in args.only:
            step_rates(content, style)


if __name__ == "__main__":
    main()
