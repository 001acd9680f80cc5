"""A real SSD300 training run on the deepforest aerial tree tiles, then mAP@0.5 on held-out tiles.

Builds the VOC tree of tiles (see tests/deepforest_voc.py; needs `make test-data`),
measures the test-split mAP of the untrained detector (ImageNet VGG16, random heads),
trains with train-ssd's loop, measures the mAP again and draws the detections on a
held-out tile. Prints every figure with the settings used.

    python benchmarks/ssd_deepforest_run.py          # the docs/detection.md run: 60 epochs, Adam 1e-4, VGG16 frozen
    python benchmarks/ssd_deepforest_run.py --epochs 1 --steps-per-epoch 1 --batch-size 1   # smoke check
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()

import deepforest_voc  # noqa: E402
import tensorflow as tf  # noqa: E402

from style_transfer._models import SSD300  # noqa: E402
from style_transfer._models.checkpoint import CAFFE  # noqa: E402
from style_transfer.nst.network import init_vgg16_from_imagenet  # noqa: E402
from style_transfer.detection.checkpoint import load_detector  # noqa: E402
from style_transfer.detection.detect import Detector, draw_detections  # noqa: E402
from style_transfer.detection.evaluate import evaluate_detector  # noqa: E402
from style_transfer.detection.train import TrainConfig, train_ssd  # noqa: E402
from style_transfer.detection.voc import load_voc  # noqa: E402
from style_transfer.media.images import load_image, save_image  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=ROOT / ".cache" / "deepforest_voc", help="VOC tree to (re)build")
    p.add_argument("--output", type=Path, default=ROOT / "outputs" / "trees.weights.h5")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps-per-epoch", type=int, default=None)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="adam")
    p.add_argument("--freeze-stages", type=int, default=5)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--figure", type=Path, default=ROOT / "outputs" / "ssd_trees_detections.jpg")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()

    info = deepforest_voc.build_voc_tree(args.data)
    classes = ("Tree",)
    test = load_voc(args.data, "test", classes)
    gpus = tf.config.list_physical_devices("GPU")
    print(f"data: {len(info['train'])} train + {len(info['test'])} held-out tiles, {info['boxes']} boxes; "
          f"device: {gpus[0].name if gpus else f'CPU ({os.cpu_count()} cores)'}")

    untrained = SSD300(class_names=classes)
    init_vgg16_from_imagenet(untrained.vgg16_layers())
    before = evaluate_detector(Detector(untrained, CAFFE, score_threshold=0.01), test, progress=not args.quiet)
    print(f"mAP@0.5 on held-out tiles before training: {before.map:.4f}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    config = TrainConfig(str(args.data), str(args.output), classes, epochs=args.epochs, batch_size=args.batch_size,
                         steps_per_epoch=args.steps_per_epoch, lr=args.lr, optimizer=args.optimizer,
                         augment=not args.no_augment, freeze_stages=args.freeze_stages)
    started = time.perf_counter()
    result = train_ssd(config, progress=not args.quiet)
    print(f"trained {result.steps} steps x {args.batch_size} images in {time.perf_counter() - started:.0f} s "
          f"({result.images_per_second:.2f} images/s incl. input pipeline); loss {result.losses[0]:.3f} -> "
          f"{sum(result.losses[-10:]) / len(result.losses[-10:]):.3f} (mean of last 10 steps)")

    ssd, prep, _, _ = load_detector(args.output)
    detector = Detector(ssd, prep, score_threshold=0.01)
    after = evaluate_detector(detector, test, progress=not args.quiet)
    print(after.table())
    print(f"mAP@0.5 on held-out tiles: {before.map:.4f} before, {after.map:.4f} after training "
          f"({args.epochs} epochs, batch {args.batch_size}, {args.optimizer} lr {args.lr:g}, "
          f"augmentation {'off' if args.no_augment else 'on'}, frozen VGG16 stages {args.freeze_stages})")

    sample = max(test.samples, key=lambda s: len(s.labels))
    image = load_image(sample.image_path)
    found = Detector(ssd, prep, score_threshold=0.4).detect(image)
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    save_image(draw_detections(image, found, ssd.class_names), args.figure)
    print(f"wrote {args.figure}: {len(found)} detections (score >= 0.4) on {sample.image_id}, "
          f"{len(sample.labels)} trees annotated")


if __name__ == "__main__":
    main()
