"""Backbone comparison: the same stylisation through SSD300's VGG16, ImageNet VGG16 and a random VGG16."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from style_transfer.nst.config import StyleConfig
from style_transfer.nst.engine import StyleResult, stylize

BACKBONES = ("ssd300", "imagenet", "random")


@dataclass
class BackboneRun:
    """One backbone's stylisation: its label, the result and the seconds it took."""

    backbone: str
    label: str
    result: StyleResult
    seconds: float


def comparison_extractors(ssd_weights=None, seed: int = 0) -> list:
    """[(backbone, label, extractor)] for (a) SSD300 as loaded, (b) ImageNet VGG16, (c) random VGG16.

    Without a VOC checkpoint, SSD300's backbone is ImageNet VGG16 itself (as SSD training
    starts); the label says so rather than presenting (a) and (b) as different networks.
    """
    from style_transfer.nst.network import build_feature_extractor, layer_weights_equal

    built = [(b, build_feature_extractor(ssd_weights, backbone=b, seed=seed)) for b in BACKBONES]
    ssd_ex, imagenet_ex = built[0][1], built[1][1]
    same = all(layer_weights_equal(a, b) for a, b in zip(ssd_ex.vgg.layers[1:], imagenet_ex.vgg.layers[1:]))
    desc = ssd_ex.description
    if desc.startswith("SSD300 checkpoint "):
        ssd_label = f"(a) SSD300 backbone, checkpoint {desc[len('SSD300 checkpoint '):]}"
    else:
        ssd_label = "(a) SSD300 backbone (ImageNet init, no VOC checkpoint)"
    if same:
        ssd_label += " - same weights as (b)"
    labels = {"ssd300": ssd_label, "imagenet": "(b) ImageNet VGG16", "random": "(c) randomly initialised VGG16"}
    return [(b, labels[b], ex) for b, ex in built]


def compare_backbones(content, style, config: StyleConfig | None = None, *, ssd_weights=None,
                      progress: bool = True, extractors=None) -> list[BackboneRun]:
    """Stylise `content` with `style` (H×W×3, 0–255) once per backbone, same config and seed."""
    config = config or StyleConfig()
    content, style = np.asarray(content, np.float32), np.asarray(style, np.float32)
    runs = []
    for backbone, label, extractor in extractors or comparison_extractors(ssd_weights, config.seed or 0):
        t0 = time.perf_counter()
        result = stylize(content, style, config, extractor, progress=progress)
        runs.append(BackboneRun(backbone, label, result, time.perf_counter() - t0))
    return runs


def comparison_figure(content, style, runs, height: int | None = None, title: str | None = None):
    """Content | style | one result per backbone, each captioned with final losses and time."""
    from style_transfer.figures.layout import TEXT, captioned_row

    height = height or int(np.asarray(content).shape[0])
    grey = (90, 90, 90)
    panels = [(content, [("content", TEXT)]), (style, [("style", TEXT)])]
    for run in runs:
        h = run.result.history
        panels.append((run.result.image, [
            (run.label, TEXT),
            (f"final loss {run.result.final_loss:.3g} (style {h['style'][-1]:.3g}, content {h['content'][-1]:.3g})",
             grey),
            (f"{run.result.steps} steps in {run.seconds:.1f} s", grey),
        ]))
    footnote = ("Same settings, seed and starting image for every backbone. Losses are measured "
                "by each backbone's own features, so they compare convergence, not quality across columns.")
    return captioned_row(panels, height=height, title=title, footnote=footnote)
