"""SSD300 training throughput: images/s of the compiled train step (forward + backward + SGD update).

Random 300×300 images with matched random boxes, so only the model is timed (the data
pipeline is measured separately with --pipeline). Prints one line per configuration.

    python benchmarks/ssd_train_throughput.py                 # batch 8, 10 timed steps
    python benchmarks/ssd_train_throughput.py --steps 3 --warmup 1 --batch-size 2 --freeze-stages 0 2
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from style_transfer._models import SSD300  # noqa: E402
from style_transfer._models.boxes import default_boxes, match  # noqa: E402
from style_transfer.nst.network import init_vgg16_from_imagenet  # noqa: E402
from style_transfer.detection.train import freeze_vgg16_stages, make_optimizer, make_train_step  # noqa: E402


def fake_batch(batch: int, num_classes: int, rng) -> tuple:
    defaults = default_boxes()
    images = rng.uniform(0, 255, (batch, 300, 300, 3)).astype(np.float32)
    labels, offsets = [], []
    for _ in range(batch):
        xy = rng.uniform(0, 0.7, (5, 2))
        wh = rng.uniform(0.05, 0.3, (5, 2))
        lab, off = match(np.concatenate([xy, xy + wh], 1), rng.integers(1, num_classes, 5), defaults)
        labels.append(lab), offsets.append(off)
    return tf.constant(images), tf.stack(labels), tf.stack(offsets)


def time_steps(batch: int, steps: int, warmup: int, freeze: int, num_classes: int) -> float:
    ssd = SSD300(class_names=[f"c{i}" for i in range(num_classes - 1)])
    init_vgg16_from_imagenet(ssd.vgg16_layers())
    freeze_vgg16_stages(ssd, freeze)
    step = make_train_step(ssd, make_optimizer("sgd", 1e-3))
    data = fake_batch(batch, num_classes, np.random.default_rng(0))
    for _ in range(warmup):
        float(step(*data)[0])
    start = time.perf_counter()
    for _ in range(steps):
        loss = step(*data)[0]
    float(loss)
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps", type=int, default=10, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (tracing, allocation)")
    p.add_argument("--freeze-stages", type=int, nargs="+", default=[0], help="VGG16 stages kept fixed")
    p.add_argument("--classes", type=int, default=21, help="classes including background (default 21, VOC)")
    args = p.parse_args()
    gpus = tf.config.list_physical_devices("GPU")
    device = gpus[0].name if gpus else f"CPU ({os.cpu_count()} cores, {platform.processor() or platform.machine()})"
    print(f"SSD300 train step, 300x300, batch {args.batch_size}, {args.classes} classes, on {device}, "
          f"TF {tf.__version__}")
    for freeze in args.freeze_stages:
        ips = time_steps(args.batch_size, args.steps, args.warmup, freeze, args.classes)
        print(f"  frozen VGG16 stages {freeze}: {ips:.2f} images/s "
              f"({args.batch_size / ips:.2f} s/step, {args.steps} steps)")


if __name__ == "__main__":
    main()
