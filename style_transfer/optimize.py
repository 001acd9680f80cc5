"""The trainer: optimise the image itself so its features match content and style targets."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from style_transfer.backbone import FeatureExtractor
from style_transfer.errors import NonFiniteLossError
from style_transfer.losses import content_loss, gram_matrix, style_loss, total_variation

LOSS_NAMES = ("total", "style", "content", "tv")


@dataclass
class StyleSettings:
    """Optimisation settings. Weights follow the spine: total = style_weight·style + content_weight·content."""

    steps: int = 200
    lr: float = 10.0
    style_weight: float = 1.0
    content_weight: float = 1e-3
    tv_weight: float = 0.0
    style_layer_weights: tuple | None = None  # one weight per style layer; None = all 1


@dataclass
class StyleResult:
    """Final image (uint8 H×W×3), per-step loss history, optional frames, wall time."""

    image: np.ndarray
    history: dict = field(default_factory=lambda: {k: [] for k in LOSS_NAMES})
    frames: list | None = None
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.history["total"])

    @property
    def final_loss(self) -> float:
        return self.history["total"][-1]


def to_batch(image) -> tf.Tensor:
    """(H, W, 3) array, 0–255 → float32 (1, H, W, 3) tensor."""
    return tf.convert_to_tensor(np.asarray(image, np.float32)[None])


def to_uint8(batch) -> np.ndarray:
    """(1, H, W, 3) tensor → uint8 (H, W, 3) array, rounded."""
    return np.clip(np.rint(np.asarray(batch)[0]), 0, 255).astype(np.uint8)


def style_targets(extractor: FeatureExtractor, styles, blend=None) -> list:
    """Gram-matrix targets of one or several style images (weighted blend of their Grams)."""
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    blend = list(blend) if blend is not None else [1.0 / len(styles)] * len(styles)
    total = float(sum(blend))
    grams = None
    for img, w in zip(styles, blend):
        feats, _ = extractor(to_batch(img))
        g = [gram_matrix(f) * (w / total) for f in feats]
        grams = g if grams is None else [a + b for a, b in zip(grams, g)]
    return grams


def content_targets(extractor: FeatureExtractor, content) -> list:
    """Content-layer features of the content image."""
    _, feats = extractor(to_batch(content))
    return feats


class Objective:
    """The loss of the spine, with an optional TV term, as a compiled function of the image."""

    def __init__(self, extractor: FeatureExtractor, target_grams, target_content, settings: StyleSettings):
        self.extractor = extractor
        self.target_grams = [tf.constant(g) for g in target_grams]
        self.target_content = [tf.constant(c) for c in target_content]
        self.settings = settings
        weights = settings.style_layer_weights
        if weights is not None and len(weights) != len(extractor.style_layers):
            raise ValueError("style_layer_weights needs one weight per style layer")
        self.layer_weights = list(weights) if weights is not None else None

    def losses(self, image) -> tf.Tensor:
        """[total, style, content, tv] for a (1, H, W, 3) 0–255 image."""
        s = self.settings
        style_feats, content_feats = self.extractor(image)
        ls = style_loss(style_feats, self.target_grams, self.layer_weights)
        lc = content_loss(content_feats, self.target_content)
        ltv = total_variation(image) if s.tv_weight else tf.constant(0.0)
        total = s.style_weight * ls + s.content_weight * lc + s.tv_weight * ltv
        return tf.stack([total, ls, lc, ltv])


def stylize(content, style, extractor: FeatureExtractor, settings: StyleSettings | None = None, *,
            init=None, style_blend=None, progress: bool = True, return_frames: bool = False,
            on_step=None, frame_every: int = 1, until_loss: float | None = None,
            seed: int | None = 0) -> StyleResult:
    """Stylise `content` (H×W×3, 0–255) with `style` (one image or a list to blend).

    The image starts as `init` (default: the content), is updated with Adam on the
    total loss and clipped to [0, 255] after every step. `on_step(step, uint8_image)`
    is called every `frame_every` steps; `return_frames` keeps those images.
    Stops early once the total loss is ≤ `until_loss`.
    """
    settings = settings or StyleSettings()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    objective = Objective(extractor, style_targets(extractor, style, style_blend),
                          content_targets(extractor, content), settings)
    start = to_batch(content if init is None else init)
    image = tf.Variable(start, name="image")
    optimizer = keras.optimizers.Adam(learning_rate=float(settings.lr))
    optimizer.build([image])  # create the slots eagerly, outside the compiled step

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            losses = objective.losses(image)
            total = losses[0]
        grad = tape.gradient(total, image)
        optimizer.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 255.0))
        return losses

    result = StyleResult(image=None, frames=[] if return_frames else None)
    t0 = time.perf_counter()
    with tqdm(range(1, settings.steps + 1), desc="stylising", unit="step", disable=not progress,
              leave=False) as bar:
        for i in bar:
            values = step().numpy()
            if not all(math.isfinite(v) for v in values):
                raise NonFiniteLossError(
                    f"the loss became non-finite at step {i}; lower --lr or the loss weights")
            for name, v in zip(LOSS_NAMES, values):
                result.history[name].append(float(v))
            bar.set_postfix(loss=f"{values[0]:.4g}")
            if (on_step or return_frames) and (i % frame_every == 0 or i == settings.steps):
                frame = to_uint8(image)
                if on_step:
                    on_step(i, frame)
                if return_frames:
                    result.frames.append(frame)
            if until_loss is not None and values[0] <= until_loss:
                break
    result.seconds = time.perf_counter() - t0
    result.image = to_uint8(image)
    return result
