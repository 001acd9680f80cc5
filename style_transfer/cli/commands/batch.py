"""`style-transfer batch`: stylise many images, resumably, in this process or on Ray."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.batch.jobs import OUTPUT_FORMATS, PAIRINGS, list_images, pair_up, run_batch, settings_digest
from style_transfer.cli.options import (add_control_options, add_style_options, announce_device, config_from_args,
                                        positive_int, seed_of)
from style_transfer.errors import UserInputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="stylise many images with many styles into a folder (resumable, optionally on Ray)",
        description="Stylise every INPUT image with every style (or one random style each). Outputs go to "
                    "OUT_DIR mirroring the folders below each input folder (or below a glob's fixed "
                    "part), as <content stem>__<style stem>.<format>; outputs that exist are skipped, so "
                    "a rerun finishes an interrupted batch. OUT_DIR/manifest.jsonl gets one line per image.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="content images, folders (searched recursively) or globs (quote them, e.g. 'photos/**/*.jpg'); "
                        "files that are not images by extension are left out")
    p.add_argument("--styles", nargs="+", required=True, metavar="STYLE", help="style images (files, folders or globs)")
    p.add_argument("-o", "--output-dir", required=True, metavar="OUT_DIR", help="folder for the results")
    p.add_argument("--pairing", choices=PAIRINGS, default="all",
                   help="all: every content with every style (default); random: one style per content, "
                        "drawn with --seed")
    p.add_argument("--format", choices=OUTPUT_FORMATS, default="png", help="output format (default png)")
    p.add_argument("--overwrite", action="store_true", help="redo outputs that already exist")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run on Ray: 'local' (the default when no ADDRESS is given) starts Ray on this machine; "
                        "an address (host:port) joins that cluster")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="with --ray, the number of engines (Ray actors) (default: one per node)")
    add_style_options(p)
    add_control_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    out_dir = Path(args.output_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(f"-o: {out_dir} exists and is not a folder")
    if args.workers is not None and args.ray is None:
        raise UserInputError("--workers needs --ray")
    config = config_from_args(args, n_styles=1)
    contents = list_images(args.inputs, exclude=out_dir)
    styles = [s.path for s in list_images(args.styles)]
    if not contents:
        raise UserInputError("no content images among the inputs")
    if not styles:
        raise UserInputError("no style images among --styles")
    pairs = pair_up(contents, styles, out_dir, args.format, args.pairing, seed_of(args))
    ssd_weights = resolve_weights(args.ssd_weights)
    digest = settings_digest(config, args.size, str(ssd_weights) if ssd_weights else None)

    started = False
    if args.ray is not None:
        from style_transfer.batch.distributed import connect, ray_executor

        started = connect(args.ray)
        execute = ray_executor(args.workers, ssd_weights)
    else:
        from style_transfer.batch.jobs import local_executor

        execute = local_executor(ssd_weights)
    announce_device(args, config)
    try:
        counts = run_batch(pairs, config, size=args.size, out_dir=out_dir, execute=execute, digest=digest,
                           overwrite=args.overwrite, progress=not args.quiet)
    finally:
        if started:
            import ray

            ray.shutdown()
    if not args.quiet:
        print(counts.summary(), file=sys.stderr)
    return 1 if counts.failed else 0


def resolve_weights(ssd_weights):
    """The checkpoint every engine must load: the one given, else the first in ssd_weights/, else None
    (ImageNet VGG16). Found here so that Ray workers load the driver's choice, not their own.

    models/checkpoint.py's find_checkpoint search is repeated from the networks' folder rather than
    imported: importing the networks loads TensorFlow, which a Ray driver never needs.
    """
    from style_transfer import models_dir

    if ssd_weights:
        path = Path(ssd_weights)
        if not path.is_file():
            raise UserInputError(f"--ssd-weights: no such file: {path}")
        return path.resolve()
    search_dir = models_dir().resolve().parent / "ssd_weights"
    found = sorted(search_dir.glob("*.weights.h5")) if search_dir.is_dir() else []
    return found[0].resolve() if found else None
