"""The engine's entry point: `stylize(content, styles, config)` → StyleResult, arrays in and out.

Seeding happens here, once per call. Coarse to fine is a loop over the same optimiser: each scale
starts from the previous result upsampled, with the style images scaled alike. Compiled steps are
cached per (loss network, loss settings but the pair's content weight, image shape), so grid cells,
video frames and repeated calls of one shape reuse them without retracing. Progress goes to a
callback; files are the caller's job.
"""
from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from style_transfer.errors import NonFiniteLossError
from style_transfer.nst import balance, device
from style_transfer.nst.config import StyleConfig
from style_transfer.nst.losses import TERMS, StyleLoss
from style_transfer.nst.network import FeatureExtractor
from style_transfer.nst.optimizer import ImageOptimizer, to_uint8
from style_transfer.nst.prepare import finish, prepare

LOSS_NAMES = ("total", *TERMS)
STARTS_FROM_CONTENT = ("content", "recolored")  # inits that are the photo itself, its colours aside
COMPILED_PER_NETWORK = 8  # compiled (loss, optimiser) pairs kept per loss network, least recently used out


@dataclass
class StyleResult:
    """Final image (uint8 H×W×3), per-step loss history by term, the scaled styles as shown, wall time,
    and the config as it ran (the content weight concrete: adapted to the pair when it was the default)."""

    image: np.ndarray | None = None
    history: dict = field(default_factory=lambda: {k: [] for k in LOSS_NAMES})
    shown_styles: list = field(default_factory=list)
    seconds: float = 0.0
    config: StyleConfig | None = None

    @property
    def steps(self) -> int:
        return len(self.history["total"])

    @property
    def final_loss(self) -> float:
        return self.history["total"][-1]


@dataclass
class Progress:
    """What the engine reports after each step: the step (counted over all scales), the loss terms,
    and the image on request (a host copy only when `image()` is called)."""

    step: int
    losses: dict
    scale: int
    scales: int
    _image: object = None

    def image(self) -> np.ndarray:
        """The current image as the user will see it (uint8 H×W×3, at this scale's size)."""
        return self._image()


def make_reproducible(seed: int | None) -> None:
    """Seed Python, NumPy and TensorFlow and ask for deterministic ops (on a GPU only when the seed was
    asked for, as they cost speed there): a seed then gives identical output bytes for identical
    inputs on the same machine."""
    if seed is None:
        return
    keras.utils.set_random_seed(int(seed))
    if device.wants_op_determinism():
        tf.config.experimental.enable_op_determinism()


def begin(config: StyleConfig, network: FeatureExtractor | None = None) -> FeatureExtractor:
    """Start a run: seed once, and return the loss network tapped at the config's layers, in the
    config's precision (the default network when none is given). Every entry point that stylises
    calls this first."""
    make_reproducible(config.seed)
    if network is None:
        from style_transfer.nst.network import default_network

        network = default_network()
    return network.with_layers(config.style_layers, config.content_layers, device.resolve_precision(config.precision))


def compiled(network: FeatureExtractor, config: StyleConfig, height: int, width: int):
    """The (StyleLoss, ImageOptimizer) pair for these loss settings and image shape, built once.
    The content weight must be concrete: a default (None) is resolved for its pair first (`balance.resolve`)."""
    # the content weight is not part of the key: each pair has its own, and the loss holds it in a variable
    key = (config.optimizer, config.lr, config.style_weight, config.tv_weight,
           config.temporal_weight, config.style_layer_weights, config.style_pyramid, height, width)
    cache = network.__dict__.setdefault("_compiled", OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        cache[key][0].set_content_weight(config.content_weight)
        return cache[key]
    loss = StyleLoss(network, config, height, width)
    cache[key] = (loss, ImageOptimizer(loss, loss.shape, config.optimizer, config.lr))
    while len(cache) > COMPILED_PER_NETWORK:
        cache.popitem(last=False)
    return cache[key]


def evaluate(image, content, styles, config: StyleConfig | None = None, network: FeatureExtractor | None = None,
             precision: str = "float32") -> dict:
    """The full objective's terms {"total", "style", …} for `image` (H×W×3, 0–255) against the content
    and styles at the config's settings, computed in `precision` (float32 by default: the yardstick
    for every speed lever)."""
    config = (config or StyleConfig()).replace(precision=precision)
    network = begin(config, network)
    content = np.asarray(content, np.float32)
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    prep = prepare(content, styles, config)
    config = balance.resolve(config, network, prep.content, prep.styles)
    loss = StyleLoss(network, config, *content.shape[:2])
    loss.set_style(prep.styles, config.style_blend)
    loss.set_content(prep.content)
    terms = loss(tf.convert_to_tensor(np.asarray(image, np.float32)[None]))
    return {k: float(v) for k, v in terms.items()}


def resize_image(image, height: int, width: int) -> np.ndarray:
    """Resize an H×W×3 float image (bicubic, clipped to 0–255)."""
    out = tf.image.resize(np.asarray(image, np.float32)[None], (height, width), method="bicubic")
    return np.clip(out.numpy()[0], 0.0, 255.0)


def stylize(content, styles, config: StyleConfig | None = None, network: FeatureExtractor | None = None, *,
            callback=None, progress: bool = True, desc: str = "stylising") -> StyleResult:
    """Stylise `content` (H×W×3, 0–255, at its working size) with `styles` (one image or a list,
    blended by `config.style_blend`). `callback(Progress)` is called after every step; the run
    stops early once the total loss at full size is ≤ `config.until_loss`."""
    config = config or StyleConfig()
    network = begin(config, network)
    content = np.asarray(content, np.float32)
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    prep = prepare(content, styles, config)
    config = balance.resolve(config, network, prep.content, prep.styles)
    height, width = content.shape[:2]
    plan = config.scale_plan(height, width)
    result = StyleResult(shown_styles=prep.shown_styles, config=config)
    image = prep.init
    t0 = time.perf_counter()
    for k, (h, w, steps) in enumerate(plan):
        last = k == len(plan) - 1
        factor = h / height
        loss, optimizer = compiled(network, config, h, w)
        loss.set_style([st if last else resize_image(st, max(16, round(st.shape[0] * factor)),
                                                    max(16, round(st.shape[1] * factor)))
                        for st in map(lambda a: np.asarray(a, np.float32), prep.styles)], config.style_blend)
        loss.set_content(prep.content if last else resize_image(prep.content, h, w))
        start = image if image.shape[:2] == (h, w) else resize_image(image, h, w)
        offset = result.steps
        with tqdm(total=steps, desc=desc if len(plan) == 1 else f"{desc} {w}x{h}", unit="step",
                  disable=not progress, leave=False) as bar:
            def report(i, values) -> bool:
                if not all(math.isfinite(v) for v in values.values()):
                    raise NonFiniteLossError(f"the loss became non-finite at step {offset + i}; "
                                             "lower --lr or the loss weights")
                for name in LOSS_NAMES:
                    result.history[name].append(values[name])
                bar.update(1)
                bar.set_postfix(loss=f"{values['total']:.4g}")
                if callback is not None:
                    callback(Progress(offset + i, values, k, len(plan),
                                      lambda: finish(optimizer.current_image(), resize_image(content, h, w)
                                                     if not last else content, config)))
                return last and config.until_loss is not None and values["total"] <= config.until_loss

            image = optimizer.run(start, steps, report,
                                  start_is_content=k == 0 and isinstance(config.init, str)
                                  and config.init in STARTS_FROM_CONTENT)
    result.seconds = time.perf_counter() - t0
    result.image = finish(to_uint8(image), content, config)
    return result
