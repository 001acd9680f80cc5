"""`style-transfer evaluate-ssd`: VOC mAP@0.5 of an SSD300 checkpoint on a VOC-format split."""
from __future__ import annotations

from pathlib import Path

from style_transfer.cli.options import positive_int
from style_transfer.errors import UserInputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate-ssd", help="mAP@0.5 of an SSD300 checkpoint on VOC-format data",
        description="Detect on every image of a VOC-format split and print the per-class average precision "
                    "(VOC all-point interpolation, IoU ≥ 0.5, difficult objects ignored) and the mAP.",
        epilog=(
            "examples:\n"
            "  style-transfer evaluate-ssd --voc-root VOCdevkit/VOC2007 --ssd-weights ssd_weights/voc.weights.h5\n"))
    p.add_argument("--voc-root", required=True, metavar="DIR", help="VOC-format data set root")
    p.add_argument("--ssd-weights", metavar="PATH", default=None,
                   help="SSD300 checkpoint (default: the first in ssd_weights/)")
    p.add_argument("--split", default="test", help="image set to evaluate (default test)")
    p.add_argument("--classes", nargs="+", metavar="NAME", default=None,
                   help="class names (default: the checkpoint's; must match it)")
    p.add_argument("--batch-size", type=positive_int, default=8, help="images per batch (default 8)")
    p.add_argument("--score-threshold", type=float, default=0.01, help="minimum score kept (default 0.01)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from style_transfer.detection.voc import check_root, parse_classes

    root = check_root(args.voc_root)
    if args.ssd_weights and not Path(args.ssd_weights).is_file():
        raise UserInputError(f"SSD300 weights not found: {args.ssd_weights}")
    if not 0.0 <= args.score_threshold < 1.0:
        raise UserInputError(f"--score-threshold must be in [0, 1), got {args.score_threshold}")
    given = parse_classes(args.classes) if args.classes else None

    from style_transfer.detection.checkpoint import load_detector
    from style_transfer.detection.detect import Detector
    from style_transfer.detection.evaluate import evaluate_detector
    from style_transfer.detection.voc import load_voc

    ssd, prep, _, path = load_detector(args.ssd_weights, given)
    data = load_voc(root, args.split, ssd.class_names, strict=True)
    detector = Detector(ssd, prep, score_threshold=args.score_threshold, iou_threshold=0.45)
    result = evaluate_detector(detector, data, args.batch_size, progress=not args.quiet)
    print(f"{path.name} on {root} split '{data.split}' ({len(data)} images)")
    print(result.table())
    return 0
