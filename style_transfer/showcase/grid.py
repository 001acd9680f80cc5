"""Stylise every content image in every style (or blend of styles), reusing cached results and trainers."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
from tqdm.auto import tqdm

from style_transfer.showcase.cache import ResultCache, array_digest, extractor_fingerprint, result_key
from style_transfer.nst.controls import Controls, finish, make_reproducible, prepare
from style_transfer.nst.optimizer import StyleResult, StyleSettings, StyleTrainer, stylize


def stylize_cell(trainer: StyleTrainer | None, content: np.ndarray, style, settings: StyleSettings, *,
                 init=None, blend=None, extractor=None, progress: bool = False,
                 desc: str = "stylising") -> StyleResult:
    """One grid cell: optimise `content` towards `style` (one image or a list to blend by `blend`),
    starting from `init` (default: the content), with an already compiled trainer; with several
    coarse-to-fine `settings.scales` (no single trainer fits) through `stylize` and `extractor`."""
    init = content if init is None else init
    if len(settings.scales) > 1:
        return stylize(content, style, extractor, settings, init=init, style_blend=blend, progress=progress,
                       seed=None)
    trainer.set_style(style, blend)
    trainer.set_content(content)
    trainer.reset(init)
    return trainer.run(settings.steps, progress=progress, desc=desc)


def _controls_key(controls: Controls) -> dict:
    """What of the controls changes a result, as JSON-able values (an init image by its pixels' digest)."""
    values = asdict(controls)
    if not isinstance(controls.init, str):
        values["init"] = array_digest(controls.init)
    return values


def stylize_grid(contents, styles, extractor, settings: StyleSettings | None = None, *,
                 cache: ResultCache | None = None, seed: int = 0, progress: bool = True,
                 names=None, controls: Controls | None = None) -> list[list[np.ndarray]]:
    """results[i][j] = content i (H×W×3, 0–255) in style column j, as uint8 arrays.

    A column is one style image or a list of style images blended by `controls.style_blend`
    (equal weights by default). `controls` (TV, colour preservation, style scale, init,
    layers, preset) apply to every cell. With a `cache`, a cell whose (content, style,
    settings, controls, loss network) was computed before is read from disk, so adding a
    style to a grid only computes the new column. One trainer is compiled per content
    shape and reused across styles.
    """
    controls = controls or Controls(seed=seed)
    settings = controls.settings(settings or StyleSettings())
    if controls.layers_changed:
        extractor = extractor.with_layers(controls.style_layers, controls.content_layers)
    contents = [np.asarray(c, np.float32) for c in contents]
    columns = [[np.asarray(s, np.float32) for s in (col if isinstance(col, (list, tuple)) else [col])]
               for col in styles]
    names = names or ([f"content {i + 1}" for i in range(len(contents))],
                      [f"style {j + 1}" for j in range(len(columns))])
    fingerprint = extractor_fingerprint(extractor) if cache is not None else None
    trainers: dict[tuple, StyleTrainer] = {}
    results = [[None] * len(columns) for _ in contents]
    cells = [(i, j) for i in range(len(contents)) for j in range(len(columns))]
    with tqdm(cells, desc="grid", unit="cell", disable=not progress) as bar:
        for i, j in bar:
            column = columns[j]
            blend = controls.style_blend if len(column) > 1 else None
            key = None
            if cache is not None:
                key = result_key(contents[i], column[0] if len(column) == 1 else column, settings,
                                 {"extractor": fingerprint, "seed": seed, "controls": _controls_key(controls)})
                hit = cache.get(key)
                if hit is not None:
                    results[i][j] = hit[0]
                    continue
            prep = prepare(contents[i], column, controls)
            shape = contents[i].shape[:2]
            if shape not in trainers and len(settings.scales) == 1:
                make_reproducible(seed)
                trainers[shape] = StyleTrainer(extractor, settings, *shape)
            bar.set_postfix_str(f"{names[0][i]} × {names[1][j]}")
            result = stylize_cell(trainers.get(shape), prep.content,
                                  prep.styles if len(column) > 1 else prep.styles[0], settings,
                                  init=prep.init, blend=blend, extractor=extractor, progress=progress,
                                  desc=f"{names[0][i]} × {names[1][j]}")
            results[i][j] = finish(result.image, contents[i], controls)
            if cache is not None:
                cache.put(key, results[i][j], {"history": result.history, "seconds": result.seconds,
                                               "content": names[0][i], "style": names[1][j]})
    return results
