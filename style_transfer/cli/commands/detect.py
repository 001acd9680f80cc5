"""`style-transfer detect`: run a trained SSD300 on an image and draw its detections."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.cli.options import positive_int
from style_transfer.errors import UserInputError
from style_transfer.media.images import check_output_path, load_image


def unit_interval(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "detect", help="detect objects with a trained SSD300",
        description="Detect objects in IMAGE with an SSD300 checkpoint (from train-ssd) and draw the boxes "
                    "with class names and scores. Detections are also listed on stdout as "
                    "'class score xmin ymin xmax ymax'.",
        epilog=(
            "examples:\n"
            "  style-transfer detect street.jpg -o street_boxes.jpg --ssd-weights ssd_weights/voc.weights.h5\n"
            "  style-transfer detect street.jpg -o boxes.jpg --score-threshold 0.3 --classes person car\n"))
    p.add_argument("image", help="input image")
    p.add_argument("-o", "--output", required=True, help="image with the detections drawn")
    p.add_argument("--ssd-weights", metavar="PATH", default=None,
                   help="SSD300 checkpoint (default: the first in ssd_weights/)")
    p.add_argument("--score-threshold", type=unit_interval, default=0.5, help="minimum score (default 0.5)")
    p.add_argument("--iou-threshold", type=unit_interval, default=0.45,
                   help="non-max suppression IoU per class (default 0.45)")
    p.add_argument("--max-detections", type=positive_int, default=200, help="at most this many boxes (default 200)")
    p.add_argument("--classes", nargs="+", metavar="NAME", default=None,
                   help="the checkpoint's class names (checked against it; needed only without its .json)")
    p.add_argument("--quiet", action="store_true", help="no summary on stderr")
    p.set_defaults(func=run)


def run(args) -> int:
    image_path = Path(args.image)
    output = check_output_path(args.output, [image_path])
    if args.ssd_weights and not Path(args.ssd_weights).is_file():
        raise UserInputError(f"SSD300 weights not found: {args.ssd_weights}")
    image = load_image(image_path)

    # detection.voc imports TensorFlow (through models): only once the files are known good
    from style_transfer.detection.voc import parse_classes

    classes = parse_classes(args.classes) if args.classes else None

    from style_transfer.detection.checkpoint import load_detector
    from style_transfer.detection.detect import Detector, draw_detections
    from style_transfer.media.images import save_image

    ssd, prep, _, path = load_detector(args.ssd_weights, classes)
    detector = Detector(ssd, prep, args.score_threshold, args.iou_threshold,
                        max_per_class=args.max_detections, max_total=args.max_detections)
    found = detector.detect(image)
    save_image(draw_detections(image, found, detector.class_names), output)
    for box, score, cls in zip(found.boxes, found.scores, found.classes):
        print(f"{detector.class_names[cls]} {score:.4f} " + " ".join(f"{v:.1f}" for v in box))
    if not args.quiet:
        print(f"wrote {output}: {len(found)} detection(s) with score ≥ {args.score_threshold:g} "
              f"({path.name})", file=sys.stderr)
    return 0
