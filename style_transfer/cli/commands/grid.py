"""`style-transfer grid`: contents × styles in one figure, results cached on disk."""
from __future__ import annotations

import sys
from pathlib import Path

from style_transfer.cli.options import (add_control_options, add_style_options, config_from_args, init_files,
                                        loss_network,
                                        positive_int)
from style_transfer.cli.limits import check_stylise_memory
from style_transfer.errors import UserInputError
from style_transfer.media.images import (check_output_path, check_writable_folder, load_image, resize_longest,
                                         scaled_size)

GRID_EXTENSIONS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
INSET_MODES = ("style", "content", "both", "none")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "grid", help="stylise several photos in several styles, side by side",
        description="Rows = content images, columns = styles: a header row of style thumbnails, a first "
                    "column of the originals, each result with a small framed inset of its style. "
                    "Results are cached, so adding a style only computes the new column.",
        epilog=(
            "examples:\n"
            "  style-transfer grid --content imgs/chelsea.jpg imgs/coffee.jpg \\\n"
            "      --styles imgs/GreatWave.png imgs/kandinky.png -o grid.jpg --labels\n"))
    p.add_argument("--content", nargs="+", required=True, metavar="IMAGE", help="content images (rows)")
    p.add_argument("--styles", nargs="+", required=True, metavar="IMAGE",
                   help="style images (columns); A.jpg+B.jpg makes one column of a blend of A and B "
                        "(weights: --style-blend, equal by default)")
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
    add_control_options(p)
    p.set_defaults(func=run)


def blend_columns(specs) -> list[list[Path]]:
    """--styles arguments → one list of style paths per column (A.jpg+B.jpg is a blend column)."""
    columns = []
    for spec in specs:
        parts = spec.split("+")
        if not all(parts):
            raise UserInputError(f"empty style name in '{spec}' (use A.jpg+B.jpg)")
        columns.append([Path(p) for p in parts])
    return columns


def blend_size(columns, style_blend: str | None) -> int:
    """The number of styles --style-blend must weigh: that of every blend column (all alike)."""
    counts = {len(c) for c in columns if len(c) > 1}
    if style_blend is not None and not counts:
        raise UserInputError("--style-blend weighs the styles of a blend column (--styles A.jpg+B.jpg); "
                             "there is none")
    if style_blend is not None and len(counts) > 1:
        raise UserInputError("--style-blend needs every blend column to have the same number of styles, got "
                             + " and ".join(str(n) for n in sorted(counts)))
    return counts.pop() if counts else 1


def run(args) -> int:
    contents, columns = [Path(c) for c in args.content], blend_columns(args.styles)
    styles = [p for column in columns for p in column]
    output = check_output_path(args.output, [*contents, *styles, *init_files(args)], GRID_EXTENSIONS)
    config = config_from_args(args, n_styles=blend_size(columns, args.style_blend))
    originals = [load_image(p) for p in contents]
    check_stylise_memory([scaled_size(img.size, args.size) for img in originals])
    content_imgs = [resize_longest(img, args.size) for img in originals]
    loaded = {p: resize_longest(load_image(p), args.size) for p in styles}
    style_imgs = [[loaded[p] for p in column] for column in columns]
    if args.cache_dir and Path(args.cache_dir).exists() and not Path(args.cache_dir).is_dir():
        raise UserInputError(f"--cache-dir is not a directory: {args.cache_dir}")
    if args.cache_dir and not args.no_cache:
        check_writable_folder(args.cache_dir)

    import numpy as np

    from style_transfer.showcase.cache import ResultCache
    from style_transfer.figures.layout import grid_figure, label_from_path
    from style_transfer.showcase.grid import stylize_grid
    from style_transfer.media.images import save_image

    cache = None if args.no_cache else ResultCache(args.cache_dir)
    c_labels = [label_from_path(p) for p in contents]
    s_labels = [" + ".join(label_from_path(p) for p in column) for column in columns]
    results = stylize_grid([np.asarray(c, np.float32) for c in content_imgs],
                           [[np.asarray(s, np.float32) for s in column] for column in style_imgs],
                           loss_network(args, config), config, cache=cache,
                           progress=not args.quiet, names=(c_labels, s_labels))
    figure = grid_figure(content_imgs, style_imgs, results, tile=args.tile or args.size, inset=args.inset,
                         labels=args.labels, content_labels=c_labels, style_labels=s_labels)
    save_image(figure, output)
    if not args.quiet:
        print(f"wrote {output} ({len(contents)} × {len(columns)} grid, {figure.width}×{figure.height} px)",
              file=sys.stderr)
    return 0
