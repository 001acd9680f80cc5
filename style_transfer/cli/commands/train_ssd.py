"""`style-transfer train-ssd`: train SSD300 on a VOC-format data set → a checkpoint for ssd_weights/."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.cli.options import non_negative_float, positive_float, positive_int
from style_transfer.errors import UserInputError


def add_classes_option(parser, help_text: str) -> None:
    parser.add_argument("--classes", nargs="+", metavar="NAME", default=None, help=help_text)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train-ssd", help="train the SSD300 detector on PASCAL VOC-format data",
        description="Train SSD300 (VGG16 backbone initialised from ImageNet) on a VOC-format data set: "
                    "ROOT/Annotations/*.xml, ROOT/JPEGImages/, ROOT/ImageSets/Main/SPLIT.txt (all "
                    "annotations when the split file is missing). Writes OUT.weights.h5 with OUT.json "
                    "(classes, preprocessing, training state) and OUT.optimizer.npz (for --resume); "
                    "put it in ssd_weights/ or pass --ssd-weights to use its backbone for style transfer.",
        epilog=(
            "examples:\n"
            "  style-transfer train-ssd --voc-root VOCdevkit/VOC2007 -o ssd_weights/voc.weights.h5 --epochs 20\n"
            "  style-transfer train-ssd --voc-root VOCdevkit/VOC2007 -o ssd_weights/voc.weights.h5 \\\n"
            "      --resume ssd_weights/voc.weights.h5 --epochs 40\n"))
    p.add_argument("--voc-root", required=True, metavar="DIR", help="VOC-format data set root")
    p.add_argument("-o", "--output", required=True, metavar="OUT.weights.h5", help="checkpoint to write")
    add_classes_option(p, "foreground class names, space- or comma-separated (default: the 20 VOC classes, "
                          "or the classes found in the annotations when they are not VOC's)")
    p.add_argument("--split", default="train", help="image set to train on (default train)")
    p.add_argument("--epochs", type=positive_int, default=10, help="epochs (default 10)")
    p.add_argument("--batch-size", type=positive_int, default=8, help="images per step (default 8)")
    p.add_argument("--steps-per-epoch", type=positive_int, default=None,
                   help="steps per epoch (default: one pass over the split)")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="learning rate (default 0.001)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                   help="SGD with momentum 0.9 (default, as in the paper) or Adam")
    p.add_argument("--weight-decay", type=non_negative_float, default=5e-4, help="weight decay (default 0.0005)")
    p.add_argument("--no-augment", action="store_true", help="no data augmentation (resize only)")
    p.add_argument("--freeze-stages", type=int, choices=range(6), default=0, metavar="K",
                   help="keep VGG16 stages 1..K at their ImageNet weights (0-5; default 0: train all)")
    p.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="STEPS",
                   help="also write the checkpoint every STEPS steps (it is always written after each epoch)")
    p.add_argument("--resume", metavar="CKPT", default=None,
                   help="continue from a checkpoint written by train-ssd (weights, optimiser, epoch)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.set_defaults(func=run)


def run(args) -> int:
    from style_transfer.detection.checkpoint import check_checkpoint_name, read_metadata
    from style_transfer._models.ssd300 import VOC_CLASSES
    from style_transfer.detection.voc import check_root, classes_in_annotations, parse_classes

    output = check_checkpoint_name(args.output)
    root = check_root(args.voc_root)
    classes = parse_classes(args.classes)
    classes_from_checkpoint = False
    if args.resume:
        resume = Path(args.resume)
        if not resume.is_file():
            raise UserInputError(f"checkpoint to resume not found: {resume}")
        if resume.resolve() == output.resolve():
            raise UserInputError(f"-o {output} would overwrite the checkpoint being resumed; write to another file")
        saved = read_metadata(resume).get("classes")
        if saved and args.classes is None:
            classes = tuple(saved)  # resuming: the checkpoint's classes unless others are asked for
            classes_from_checkpoint = True
    if args.classes is None and not classes_from_checkpoint:
        found = classes_in_annotations(root, args.split)
        if found and not set(found) <= set(VOC_CLASSES):
            classes = found  # not a VOC data set: train for the classes it is labelled with
            print(f"style-transfer: using the {len(found)} classes found in the annotations "
                  f"(set them with --classes): {', '.join(found)}", file=sys.stderr)
    if not output.parent.exists():
        output.parent.mkdir(parents=True, exist_ok=True)

    from style_transfer.detection.train import TrainConfig, train_ssd

    config = TrainConfig(str(root), str(output), classes, args.epochs, args.batch_size, args.steps_per_epoch,
                         args.lr, args.optimizer, 0.9, args.weight_decay, args.split, not args.no_augment,
                         args.checkpoint_every, args.resume, args.seed, args.freeze_stages)
    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    result = train_ssd(config, progress=not args.quiet, log=log)
    if result.skipped and args.quiet:
        print(f"style-transfer: warning: skipped {result.skipped} bad sample(s)", file=sys.stderr)
    if not args.quiet:
        print(f"wrote {output} ({result.steps} steps, {result.seconds:.1f} s, "
              f"{result.images_per_second:.2f} images/s, last loss {result.losses[-1]:.4g})", file=sys.stderr)
    return 0
