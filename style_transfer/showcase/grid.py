"""Stylise every content image in every style (or blend of styles), reusing cached results."""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from style_transfer.nst.config import StyleConfig
from style_transfer.nst.engine import stylize
from style_transfer.showcase.cache import ResultCache, run_fingerprint, run_key


def stylize_grid(contents, styles, network, config: StyleConfig | None = None, *,
                 cache: ResultCache | None = None, progress: bool = True, names=None) -> list[list[np.ndarray]]:
    """results[i][j] = content i (H×W×3, 0–255) in style column j, as uint8 arrays.

    A column is one style image or a list of style images blended by `config.style_blend` (equal
    weights by default). With a `cache`, a cell whose (content, style, config, loss network) was
    computed before by the same engine is read from disk, so adding a style to a grid only computes the
    new column.
    Cells of one shape share the engine's compiled step.
    """
    config = config or StyleConfig()
    contents = [np.asarray(c, np.float32) for c in contents]
    columns = [[np.asarray(s, np.float32) for s in (col if isinstance(col, (list, tuple)) else [col])]
               for col in styles]
    names = names or ([f"content {i + 1}" for i in range(len(contents))],
                      [f"style {j + 1}" for j in range(len(columns))])
    fingerprint = run_fingerprint(network, config) if cache is not None else None
    results = [[None] * len(columns) for _ in contents]
    cells = [(i, j) for i in range(len(contents)) for j in range(len(columns))]
    with tqdm(cells, desc="grid", unit="cell", disable=not progress) as bar:
        for i, j in bar:
            column = columns[j]
            cell_config = config if len(column) > 1 else config.replace(style_blend=None)
            key = None
            if cache is not None:
                key = run_key(contents[i], column[0] if len(column) == 1 else column, cell_config, fingerprint)
                hit = cache.get(key)
                if hit is not None:
                    results[i][j] = hit[0]
                    continue
            bar.set_postfix_str(f"{names[0][i]} × {names[1][j]}")
            result = stylize(contents[i], column, cell_config, network, progress=progress,
                             desc=f"{names[0][i]} × {names[1][j]}")
            results[i][j] = result.image
            if cache is not None:
                cache.put(key, result.image, {"history": result.history, "seconds": result.seconds,
                                              "content": names[0][i], "style": names[1][j]})
    return results
