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

from style_transfer.nst.network import FeatureExtractor
from style_transfer.errors import NonFiniteLossError
from style_transfer.nst.lbfgsb import minimize_box
from style_transfer.nst.losses import content_loss, gram_matrix, style_loss, total_variation
from style_transfer.nst.config import StyleSettings

LOSS_NAMES = ("total", "style", "content", "tv", "temporal")
# L-BFGS-B correction pairs. 10 converges as fast as 20 here (same evaluations to the reference's loss at
# 300 px) and bounds the float64 workspace at 2·m + 5 image-sized vectors: 0.4 GB at 1024 px, not 0.75 GB
# (its pages are touched as pairs are stored, so short runs use less either way).
LBFGS_HISTORY = 10


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
        feats = extractor.style_features(to_batch(img))
        g = [gram_matrix(f) * (w / total) for f in feats]
        grams = g if grams is None else [a + b for a, b in zip(grams, g)]
    return grams


def content_targets(extractor: FeatureExtractor, content) -> list:
    """Content-layer features of the content image."""
    return extractor.content_features(to_batch(content))


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
        style_shapes, content_shapes = extractor.output_shapes(height, width)
        self.target_grams = [tf.Variable(tf.zeros((1, s[-1], s[-1])), trainable=False) for s in style_shapes]
        self.target_content = [tf.Variable(tf.zeros(s), trainable=False) for s in content_shapes]
        self.temporal_target = tf.Variable(tf.zeros(self.shape), trainable=False)
        self.temporal_mask = tf.Variable(tf.zeros(self.shape[:3] + (1,)), trainable=False)
        self.optimizer = keras.optimizers.Adam(learning_rate=float(settings.lr))
        self.optimizer.build([self.image])  # slots created eagerly, outside the compiled step
        self._optimizer_start = [v.numpy() for v in self.optimizer.variables]  # step 0, lr, zero moments
        self._step = tf.function(self._step_fn)
        self._value_and_grad = tf.function(self._value_and_grad_fn)

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

    def _value_and_grad_fn(self):
        with tf.GradientTape() as tape:
            losses = self.losses(self.image)
            total = losses[0]
        return losses, tape.gradient(total, self.image)

    def run(self, steps: int, *, progress: bool = True, on_step=None, frame_every: int = 1,
            return_frames: bool = False, until_loss: float | None = None, desc: str = "stylising",
            step_offset: int = 0) -> StyleResult:
        """Run up to `steps` steps (L-BFGS: loss evaluations) from the current image.

        See `stylize` for the options; `step_offset` numbers the steps of a later scale.
        """
        result = StyleResult(frames=[] if return_frames else None)
        t0 = time.perf_counter()
        with tqdm(total=steps, desc=desc, unit="step", disable=not progress, leave=False) as bar:
            def record(i, values, image) -> bool:
                """Log one step; True when the run should stop."""
                if not all(math.isfinite(v) for v in values):
                    raise NonFiniteLossError(
                        f"the loss became non-finite at step {i}; lower --lr or the loss weights")
                for name, v in zip(LOSS_NAMES, values):
                    result.history[name].append(float(v))
                bar.update(1)
                bar.set_postfix(loss=f"{values[0]:.4g}")
                if (on_step or return_frames) and (i % frame_every == 0 or i == steps):
                    frame = to_uint8(image)
                    if on_step:
                        on_step(step_offset + i, frame)
                    if return_frames:
                        result.frames.append(frame)
                return until_loss is not None and values[0] <= until_loss

            if self.settings.optimizer == "lbfgs":
                self._run_lbfgs(steps, record)
            else:
                for i in range(1, steps + 1):
                    if record(i, self._step().numpy(), self.image):
                        break
        result.seconds = time.perf_counter() - t0
        result.image = to_uint8(self.image)
        return result

    def _run_lbfgs(self, steps: int, record) -> None:
        """L-BFGS-B on the flattened image with [0, 255] bounds; one step = one loss evaluation."""
        count = 0

        def fun(x):
            nonlocal count
            self.image.assign(x.reshape(self.shape).astype(np.float32))
            losses, grad = self._value_and_grad()
            values = losses.numpy()
            count += 1
            return float(values[0]), grad.numpy().ravel(), record(count, values, self.image)

        x = minimize_box(fun, self.image.numpy(), 0.0, 255.0, steps, history=LBFGS_HISTORY)
        self.image.assign(x.reshape(self.shape).astype(np.float32))


def resize_image(image, height: int, width: int) -> np.ndarray:
    """Resize an H×W×3 float image (bicubic, clipped to 0–255)."""
    out = tf.image.resize(np.asarray(image, np.float32)[None], (height, width), method="bicubic")
    return np.clip(out.numpy()[0], 0.0, 255.0)


def scale_plan(settings: StyleSettings, height: int, width: int) -> list:
    """[(h, w, steps)] for each coarse-to-fine scale (the last one at full size)."""
    plan = []
    for frac, steps in settings.scales:
        h, w = max(16, round(height * frac)), max(16, round(width * frac))
        plan.append((h, w, int(steps) if steps else settings.steps))
    return plan


def stylize(content, style, extractor: FeatureExtractor, settings: StyleSettings | None = None, *,
            init=None, style_blend=None, progress: bool = True, return_frames: bool = False,
            on_step=None, frame_every: int = 1, until_loss: float | None = None,
            seed: int | None = 0) -> StyleResult:
    """Stylise `content` (H×W×3, 0–255) with `style` (one image, or a list blended by `style_blend`).

    The image starts as `init` (default: the content). With several `settings.scales`
    it is optimised coarse to fine, each scale starting from the previous result
    upsampled, style images scaled alike. `on_step(step, uint8_image)` is called
    every `frame_every` steps; `return_frames` keeps those images. Stops early once
    the total loss at full size is ≤ `until_loss`.
    """
    settings = settings or StyleSettings()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    content = np.asarray(content, np.float32)
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    height, width = content.shape[:2]
    plan = scale_plan(settings, height, width)
    image = content if init is None else np.asarray(init, np.float32)
    total = StyleResult(frames=[] if return_frames else None)
    for k, (h, w, steps) in enumerate(plan):
        last = k == len(plan) - 1
        factor = h / height
        trainer = StyleTrainer(extractor, settings, h, w)
        trainer.set_style([resize_image(st, max(16, round(st.shape[0] * factor)),
                                        max(16, round(st.shape[1] * factor))) if not last else st
                           for st in map(lambda a: np.asarray(a, np.float32), styles)], style_blend)
        trainer.set_content(resize_image(content, h, w) if not last else content)
        trainer.reset(resize_image(image, h, w) if image.shape[:2] != (h, w) else image)
        desc = "stylising" if len(plan) == 1 else f"stylising {w}x{h}"
        part = trainer.run(steps, progress=progress, on_step=on_step, frame_every=frame_every,
                           return_frames=return_frames, until_loss=until_loss if last else None,
                           desc=desc, step_offset=total.steps)
        image = trainer.image.numpy()[0]
        for name in LOSS_NAMES:
            total.history[name].extend(part.history[name])
        if return_frames:
            total.frames.extend(part.frames)
        total.seconds += part.seconds
        total.image = part.image
    return total
