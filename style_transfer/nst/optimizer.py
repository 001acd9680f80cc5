"""Optimise an image for a loss: L-BFGS-B on the [0, 255] box, or Adam followed by clipping.

The optimiser knows only an image variable and a loss (a callable from a (1, H, W, 3) image to a dict
of named terms with "total"); the engine gives it a `StyleLoss` and runs a pyramid as a loop over it.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from style_transfer.nst.lbfgsb import minimize_box

# L-BFGS-B correction pairs: 10 reaches the reference's loss in as few evaluations as 20 and halves
# the float64 workspace (2·m + 5 image-sized vectors).
LBFGS_HISTORY = 10
# Grey levels the steepest pixel moves in L-BFGS-B's first trial (lbfgsb._scaled); the raw gradient step
# sent every pixel to 0 or 255. Chosen on five pairs among 2–128 (docs/speed.md).
FIRST_STEP = 96.0
SKIP_CONTENT_RATIO = 0.01   # content weight / style weight at or below which evaluations may skip content
CONTENT_SHARE_LIMIT = 0.01  # ... while the content term stays under this share of the loss
CONTENT_EVERY = 8           # a full evaluation, measuring the content term, every this many
ADAM_CONTENT_EVERY = 4      # Adam: the content term's gradient is recomputed every this many steps ...
ADAM_STALE_SHARE_LIMIT = 0.25  # ... while the content term stays under this share of the loss,
ADAM_STALE_CONTENT_RATIO = 2.5  # ... for content weights up to this × the style weight (the default's
# adapted weights reach 2.4; `balanced` is 3, `light` 100)


class ImageOptimizer:
    """One image shape, one loss, one method; its steps compile once and serve every run.

    `run(init, steps, report)` starts from `init` with fresh optimiser state and calls
    `report(step, {name: float})` after every step (L-BFGS-B: every loss evaluation); a True
    return ends the run. `start_is_content` says `init` is the photo itself (as it is or recoloured),
    where the content term is at its smallest (ContentGuard). The image stays in [0, 255]: as
    L-BFGS-B's bounds, or clipped after every Adam update.
    """

    def __init__(self, loss, shape, method: str = "lbfgs", lr: float = 10.0):
        self.loss, self.shape, self.method = loss, tuple(shape), method
        self.image = tf.Variable(tf.zeros(self.shape), name="image")
        self.adam = keras.optimizers.Adam(learning_rate=float(lr))
        self.adam.build([self.image])  # slots created eagerly, outside the compiled step
        self.content_grad = tf.Variable(tf.zeros(self.shape), trainable=False, name="content_grad")
        self._adam_start = [v.numpy() for v in self.adam.variables]  # step 0, lr, zero moments
        # no tensor-dependent Python control flow in the steps: autograph's source conversion is skipped
        self._adam_step = tf.function(self._adam_step_fn, autograph=False)
        self._adam_refresh_step = tf.function(self._adam_refresh_step_fn, autograph=False)
        self._adam_stale_step = tf.function(self._adam_stale_step_fn, autograph=False)
        self._value_and_grad = tf.function(self._value_and_grad_fn, autograph=False)
        self._style_value_and_grad = tf.function(self._style_value_and_grad_fn, autograph=False)
        self.last_guard = None  # the last L-BFGS-B run's ContentGuard: which evaluations were full
        self.last_stale_steps = 0  # the last Adam run's steps that reused the content gradient

    def _value_and_grad_fn(self, with_content=True):
        with tf.GradientTape() as tape:
            terms = self.loss(self.image) if with_content else self.loss(self.image, with_content=False)
        return terms, tape.gradient(terms["total"], self.image)

    def _style_value_and_grad_fn(self):
        return self._value_and_grad_fn(with_content=False)

    def _adam_apply(self, grad) -> None:
        """One Adam update of the image, then back into the [0, 255] box."""
        self.adam.apply_gradients([(grad, self.image)])
        self.image.assign(tf.clip_by_value(self.image, 0.0, 255.0))

    def _adam_step_fn(self):
        terms, grad = self._value_and_grad_fn()
        self._adam_apply(grad)
        return terms

    def _adam_refresh_step_fn(self):
        """A full Adam step that also keeps the weighted content term's gradient for the stale steps."""
        weight = self.loss.content_weight
        with tf.GradientTape(persistent=True) as tape:
            terms = self.loss(self.image)
            rest = terms["total"] - weight * terms["content"]
            content = weight * terms["content"]
        content_grad = tape.gradient(content, self.image)
        grad = tape.gradient(rest, self.image) + content_grad
        self.content_grad.assign(content_grad)
        self._adam_apply(grad)
        return terms

    def _adam_stale_step_fn(self):
        """An Adam step through the style layers only, with the content gradient last computed."""
        terms, grad = self._value_and_grad_fn(with_content=False)
        self._adam_apply(grad + self.content_grad)
        return terms

    def run(self, init, steps: int, report, start_is_content: bool = False) -> np.ndarray:
        """Up to `steps` steps from `init` (H×W×3, 0–255); returns the final float32 image."""
        self.image.assign(np.asarray(init, np.float32)[None])
        if self.method == "lbfgs":
            self._run_lbfgs(steps, report, start_is_content)
        else:
            for v, start in zip(self.adam.variables, self._adam_start):
                v.assign(start)
            self._run_adam(steps, report)
        return self.image.numpy()[0]

    def _run_adam(self, steps: int, report) -> None:
        """Adam steps; while the content term is a small share of the loss, its gradient is recomputed
        only every ADAM_CONTENT_EVERY steps and reused in between (those steps run the network only as
        deep as the style layers). Each step moves a pixel by about lr at most, so a gradient a few
        steps old still points the right way. Where the photo outweighs the painting (presets light,
        balanced) the content term steers every step and stale gradients overshoot (a 40-step light run
        ended at twice the loss): those runs, and any run once the share passes the limit, take full
        steps only."""
        weights = self.loss.weights
        weight, content = weights["content"], 0.0
        stale_ok = (getattr(self.loss, "content_can_be_skipped", False)
                    and weight <= ADAM_STALE_CONTENT_RATIO * weights["style"])
        every = ADAM_CONTENT_EVERY if stale_ok else 1
        self.last_stale_steps = 0
        for i in range(1, steps + 1):
            if every == 1:
                values = _floats(self._adam_step())
            elif (i - 1) % every == 0:
                values = _floats(self._adam_refresh_step())
                content = values["content"]
                if weight * content > ADAM_STALE_SHARE_LIMIT * abs(values["total"]):
                    every = 1
            else:
                values = _floats(self._adam_stale_step())
                self.last_stale_steps += 1
                values = {**values, "content": content, "total": values["total"] + weight * content}
            if report(i, values):
                break

    def _run_lbfgs(self, steps: int, report, start_is_content: bool) -> None:
        count = 0
        guard = self.last_guard = ContentGuard(self.loss, start_is_content)

        def fun(x):
            nonlocal count
            self.image.assign(x.reshape(self.shape).astype(np.float32))
            full = guard.full_next()
            terms, grad = self._value_and_grad() if full else self._style_value_and_grad()
            values = guard.record(_floats(terms), full)
            count += 1
            return values["total"], grad.numpy().ravel(), report(count, values)

        x = minimize_box(fun, self.image.numpy(), 0.0, 255.0, steps, history=LBFGS_HISTORY, first_step=FIRST_STEP)
        self.image.assign(x.reshape(self.shape).astype(np.float32))

    def current_image(self) -> np.ndarray:
        """The image as it is now, rounded to uint8 H×W×3."""
        return to_uint8(self.image.numpy()[0])


class ContentGuard:
    """Which L-BFGS-B evaluations may leave the content term out (the network then stops at the style
    layers, a fraction of the work when the content layer is deeper).

    Only for objectives whose content weight is at most SKIP_CONTENT_RATIO × the style weight (the
    article's 1e-3, not the presets that keep the photo), and only while the content term, measured by
    a full evaluation every CONTENT_EVERY evaluations, stays under CONTENT_SHARE_LIMIT of the loss;
    once above, every later evaluation is full. In between, the last measured content value stands
    in for the term (its gradient is left out), so the reported total stays comparable. A run that
    starts from the photo (as it is or recoloured) starts where the content term is smallest (0 for
    the photo itself): its first measurement there would say nothing about later ones, so the first
    full evaluation is the CONTENT_EVERY-th and until then the term counts as 0.
    """

    def __init__(self, loss, start_is_content: bool = False):
        weights = loss.weights
        self.weight = weights["content"]
        self.skipping = (getattr(loss, "content_can_be_skipped", False)
                         and self.weight <= SKIP_CONTENT_RATIO * weights["style"])
        self.count, self.content = 0, 0.0
        self.first = CONTENT_EVERY if start_is_content else 0  # the first full evaluation while skipping
        self.full_at = []  # which evaluations were full (0-based)

    @property
    def full(self) -> int:
        """How many evaluations were full."""
        return len(self.full_at)

    def full_next(self) -> bool:
        return not self.skipping or (self.count >= self.first and (self.count - self.first) % CONTENT_EVERY == 0)

    def record(self, values: dict, full: bool) -> dict:
        """The evaluation's terms as reported (content filled in when it was left out)."""
        self.count += 1
        if full:
            self.full_at.append(self.count - 1)
            self.content = values["content"]
            total = abs(values["total"])
            if self.skipping and total > 0 and self.weight * self.content > CONTENT_SHARE_LIMIT * total:
                self.skipping = False
            return values
        return {**values, "content": self.content, "total": values["total"] + self.weight * self.content}


def to_uint8(image) -> np.ndarray:
    """A 0–255 float image rounded to uint8."""
    return np.clip(np.rint(np.asarray(image)), 0, 255).astype(np.uint8)


def _floats(terms: dict) -> dict:
    return {k: float(v) for k, v in terms.items()}
