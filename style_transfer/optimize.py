"""The trainer: optimise the image itself so its features match content and style targets.

`StyleTrainer` compiles one optimisation step for an image shape and keeps its
targets in variables, so the same compiled step serves many images of that shape
(video frames, grid cells) without retracing. `stylize` is the one-call version.
"""
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

LOSS_NAMES = ("total", "style", "content", "tv", "temporal")


@dataclass
class StyleSettings:
    """Optimisation settings. total = style_weight·style + content_weight·content (+ tv, temporal terms)."""

    steps: int = 200
    lr: float = 10.0
    style_weight: float = 1.0
    content_weight: float = 1e-3
    tv_weight: float = 0.0
    temporal_weight: float = 0.0
    style_layer_weights: tuple | None = None  # one weight per style layer; None = all 1


@dataclass
class StyleResult:
    """Final image (uint8 H×W×3), per-step loss history, optional frames, wall time."""

    image: np.ndarray | None = None
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
    blend = list(blend) if blend is not None else [1.0] * len(styles)
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


class StyleTrainer:
    """Adam on the image for one image shape; targets live in variables so the step compiles once.

    Each step: loss and its gradient with respect to the image, an Adam update,
    then the image is clipped to [0, 255].
    """

    def __init__(self, extractor: FeatureExtractor, settings: StyleSettings, height: int, width: int):
        self.extractor, self.settings = extractor, settings
        self.shape = (1, height, width, 3)
        weights = settings.style_layer_weights
        if weights is not None and len(weights) != len(extractor.style_layers):
            raise ValueError("style_layer_weights needs one weight per style layer")
        self.layer_weights = [float(w) for w in weights] if weights is not None else None
        self.image = tf.Variable(tf.zeros(self.shape), name="image")
        style_probe, content_probe = extractor(self.image)
        self.target_grams = [tf.Variable(tf.zeros_like(gram_matrix(f)), trainable=False) for f in style_probe]
        self.target_content = [tf.Variable(tf.zeros_like(f), trainable=False) for f in content_probe]
        self.temporal_target = tf.Variable(tf.zeros(self.shape), trainable=False)
        self.temporal_mask = tf.Variable(tf.zeros(self.shape[:3] + (1,)), trainable=False)
        self.optimizer = keras.optimizers.Adam(learning_rate=float(settings.lr))
        self.optimizer.build([self.image])  # slots created eagerly, outside the compiled step
        self._optimizer_start = [v.numpy() for v in self.optimizer.variables]  # step 0, lr, zero moments
        self._step = tf.function(self._step_fn)

    # --- targets -------------------------------------------------------------------------
    def set_style(self, styles, blend=None) -> None:
        """Style target: Gram matrices of one style image, or a weighted blend of several."""
        for var, g in zip(self.target_grams, style_targets(self.extractor, styles, blend)):
            var.assign(g)

    def set_style_grams(self, grams) -> None:
        """Style target given directly as Gram matrices."""
        for var, g in zip(self.target_grams, grams):
            var.assign(g)

    def set_content(self, content) -> None:
        """Content target: content-layer features of `content` (H×W×3, 0–255)."""
        for var, f in zip(self.target_content, content_targets(self.extractor, content)):
            var.assign(f)

    def set_temporal(self, target, mask) -> None:
        """Temporal target (H×W×3) and per-pixel weights in [0, 1] (H×W) for the temporal term."""
        self.temporal_target.assign(to_batch(target))
        self.temporal_mask.assign(tf.convert_to_tensor(np.asarray(mask, np.float32)[None, :, :, None]))

    def reset(self, init) -> None:
        """Start from `init` (H×W×3, 0–255) with fresh Adam state."""
        self.image.assign(to_batch(init))
        for v, start in zip(self.optimizer.variables, self._optimizer_start):
            v.assign(start)

    # --- optimisation --------------------------------------------------------------------
    def losses(self, image) -> tf.Tensor:
        """[total, style, content, tv, temporal] for a (1, H, W, 3) 0–255 image."""
        s = self.settings
        style_feats, content_feats = self.extractor(image)
        ls = style_loss(style_feats, self.target_grams, self.layer_weights)
        lc = content_loss(content_feats, self.target_content)
        ltv = total_variation(image) if s.tv_weight else tf.constant(0.0)
        lt = (tf.reduce_sum(self.temporal_mask * tf.square(image - self.temporal_target)) / float(np.prod(self.shape))
              if s.temporal_weight else tf.constant(0.0))
        total = s.style_weight * ls + s.content_weight * lc + s.tv_weight * ltv + s.temporal_weight * lt
        return tf.stack([total, ls, lc, ltv, lt])

    def _step_fn(self):
        with tf.GradientTape() as tape:
            losses = self.losses(self.image)
            total = losses[0]
        grad = tape.gradient(total, self.image)
        self.optimizer.apply_gradients([(grad, self.image)])
        self.image.assign(tf.clip_by_value(self.image, 0.0, 255.0))
        return losses

    def run(self, steps: int, *, progress: bool = True, on_step=None, frame_every: int = 1,
            return_frames: bool = False, until_loss: float | None = None, desc: str = "stylising") -> StyleResult:
        """Run up to `steps` steps from the current image; see `stylize` for the options."""
        result = StyleResult(frames=[] if return_frames else None)
        t0 = time.perf_counter()
        with tqdm(range(1, steps + 1), desc=desc, unit="step", disable=not progress, leave=False) as bar:
            for i in bar:
                values = self._step().numpy()
                if not all(math.isfinite(v) for v in values):
                    raise NonFiniteLossError(
                        f"the loss became non-finite at step {i}; lower --lr or the loss weights")
                for name, v in zip(LOSS_NAMES, values):
                    result.history[name].append(float(v))
                bar.set_postfix(loss=f"{values[0]:.4g}")
                if (on_step or return_frames) and (i % frame_every == 0 or i == steps):
                    frame = to_uint8(self.image)
                    if on_step:
                        on_step(i, frame)
                    if return_frames:
                        result.frames.append(frame)
                if until_loss is not None and values[0] <= until_loss:
                    break
        result.seconds = time.perf_counter() - t0
        result.image = to_uint8(self.image)
        return result


def stylize(content, style, extractor: FeatureExtractor, settings: StyleSettings | None = None, *,
            init=None, style_blend=None, progress: bool = True, return_frames: bool = False,
            on_step=None, frame_every: int = 1, until_loss: float | None = None,
            seed: int | None = 0) -> StyleResult:
    """Stylise `content` (H×W×3, 0–255) with `style` (one image, or a list blended by `style_blend`).

    The image starts as `init` (default: the content). `on_step(step, uint8_image)`
    is called every `frame_every` steps; `return_frames` keeps those images. Stops
    early once the total loss is ≤ `until_loss`.
    """
    settings = settings or StyleSettings()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    content = np.asarray(content, np.float32)
    trainer = StyleTrainer(extractor, settings, *content.shape[:2])
    trainer.set_style(style, style_blend)
    trainer.set_content(content)
    trainer.reset(content if init is None else init)
    return trainer.run(settings.steps, progress=progress, on_step=on_step, frame_every=frame_every,
                       return_frames=return_frames, until_loss=until_loss)
