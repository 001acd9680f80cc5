"""Stylise every content image in every style, reusing cached results and compiled trainers."""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from style_transfer.cache import ResultCache, extractor_fingerprint, result_key
from style_transfer.optimize import StyleResult, StyleSettings, StyleTrainer


def stylize_cell(trainer: StyleTrainer, content: np.ndarray, style: np.ndarray, settings: StyleSettings,
                 progress: bool = False, desc: str = "stylising") -> StyleResult:
    """One grid cell: optimise `content` towards `style` with an already compiled trainer."""
    trainer.set_style(style)
    trainer.set_content(content)
    trainer.reset(content)
    return trainer.run(settings.steps, progress=progress, desc=desc)


def stylize_grid(contents, styles, extractor, settings: StyleSettings | None = None, *,
                 cache: ResultCache | None = None, seed: int = 0, progress: bool = True,
                 names=None) -> list[list[np.ndarray]]:
    """results[i][j] = content i (H×W×3, 0–255) in style j, as uint8 arrays.

    With a `cache`, a cell whose (content, style, settings, loss network) was computed
    before is read from disk, so adding a style to a grid only computes the new column.
    One trainer is compiled per content shape and reused across styles.
    """
    import keras

    settings = settings or StyleSettings()
    contents = [np.asarray(c, np.float32) for c in contents]
    styles = [np.asarray(s, np.float32) for s in styles]
    names = names or ([f"content {i + 1}" for i in range(len(contents))],
                      [f"style {j + 1}" for j in range(len(styles))])
    fingerprint = extractor_fingerprint(extractor) if cache is not None else None
    trainers: dict[tuple, StyleTrainer] = {}
    results = [[None] * len(styles) for _ in contents]
    cells = [(i, j) for i in range(len(contents)) for j in range(len(styles))]
    with tqdm(cells, desc="grid", unit="cell", disable=not progress) as bar:
        for i, j in bar:
            key = None
            if cache is not None:
                key = result_key(contents[i], styles[j], settings, {"extractor": fingerprint, "seed": seed})
                hit = cache.get(key)
                if hit is not None:
                    results[i][j] = hit[0]
                    continue
            shape = contents[i].shape[:2]
            if shape not in trainers:
                keras.utils.set_random_seed(seed)
                trainers[shape] = StyleTrainer(extractor, settings, *shape)
            bar.set_postfix_str(f"{names[0][i]} × {names[1][j]}")
            result = stylize_cell(trainers[shape], contents[i], styles[j], settings, progress=progress,
                                  desc=f"{names[0][i]} × {names[1][j]}")
            results[i][j] = result.image
            if cache is not None:
                cache.put(key, result.image, {"history": result.history, "seconds": result.seconds,
                                              "content": names[0][i], "style": names[1][j]})
    return results
