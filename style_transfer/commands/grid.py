"""`style-transfer grid`: contents × styles in one figure, results cached on disk."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.cli_common import add_style_options, positive_int, settings_from_args
from style_transfer.errors import UserInputError
from style_transfer.images import check_output_path, load_image, resize_longest

GRID_EXTENSIONS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
INSET_MODES = ("style", "content", "both", "none")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "grid", help="stylise several photos in several styles, side by side",
        description="Rows = content images, columns = styles: a header row of style thumbnails, a first "
                    "column of the originals, each result with a small framed inset of its style. "
                    "Results are cached, so adding a style only computes the new column.")
    p.add_argument("--content", nargs="+", required=True, metavar="IMAGE", help="content images (rows)")
    p.add_argument("--styles", nargs="+", required=True, metavar="IMAGE", help="style images (columns)")
    p.add_argument("-o", "--output", required=True, help="grid figure (.jpg or .png)")
    p.add_argument("--inset", choices=INSET_MODES, default="style",
                   help="small framed inset on each result: its style (bottom-left, default), its content, "
                        "both, or none")
    p.add_argument("--labels", action="store_true", help="write file names on the style thumbnails and originals")
    p.add_argument("--tile", type=positive_int, metavar="PX",
                   help="width of each column in the figure (default: --size)")
    p.add_argument("--cache-dir", metavar="DIR", help="where results are cached (default: the user cache)")
    p.add_argument("--no-cache", action="store_true", help="recompute every cell, store nothing")
    add_style_options(p, steps=150)
    p.set_defaults(func=run)


def run(args) -> int:
    contents, styles = [Path(c) for c in args.content], [Path(s) for s in args.styles]
    output = check_output_path(args.output, contents + styles, GRID_EXTENSIONS)
    content_imgs = [resize_longest(load_image(p), args.size) for p in contents]
    style_imgs = [resize_longest(load_image(p), args.size) for p in styles]
    if args.cache_dir and Path(args.cache_dir).exists() and not Path(args.cache_dir).is_dir():
        raise UserInputError(f"--cache-dir is not a directory: {args.cache_dir}")

    import numpy as np

    from style_transfer.api import load_feature_extractor
    from style_transfer.cache import ResultCache
    from style_transfer.figures import grid_figure, label_from_path
    from style_transfer.grid import stylize_grid
    from style_transfer.images import save_image

    cache = None if args.no_cache else ResultCache(args.cache_dir)
    c_labels, s_labels = [label_from_path(p) for p in contents], [label_from_path(p) for p in styles]
    results = stylize_grid([np.asarray(c, np.float32) for c in content_imgs],
                           [np.asarray(s, np.float32) for s in style_imgs],
                           load_feature_extractor(args.ssd_weights), settings_from_args(args), cache=cache,
                           seed=args.seed, progress=not args.quiet, names=(c_labels, s_labels))
    figure = grid_figure(content_imgs, style_imgs, results, tile=args.tile or args.size, inset=args.inset,
                         labels=args.labels, content_labels=c_labels, style_labels=s_labels)
    save_image(figure, output)
    if not args.quiet:
        print(f"wrote {output} ({len(contents)} × {len(styles)} grid, {figure.width}×{figure.height} px)",
              file=sys.stderr)
    return 0
