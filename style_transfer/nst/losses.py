"""Style, content and total-variation losses.

Gram matrix G = FᵀF / (H·W); style loss = Σ_layers w_l · mean((G_out − G_style)²);
content loss = 0.5 · Σ (F_out − F_content)²; total = α·style + β·content (+ γ·TV).

Unlike Gatys et al., the style loss may also be taken over a pyramid (as in Snelgrove's multi-scale
Gram loss): the same style layers on the image and the painting averaged down 2×, 4×, … and summed
with the full-size term. The default style layers stop at conv2_2, whose receptive field is 16 px; a
level down they see the painting's strokes at twice that span, which the deeper layers would see.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from style_transfer.nst.config import array_digest


def _flat_gram(features: tf.Tensor):
    """(features flattened to (batch, H·W, C), H·W, Gram matrices (batch, C, C) divided by H·W).

    A matmul on the flattened features: no transposed copy of the (large) feature map, unlike einsum.
    """
    shape = tf.shape(features)
    flat = tf.reshape(features, (shape[0], shape[1] * shape[2], shape[3]))
    n = tf.cast(shape[1] * shape[2], features.dtype)
    return flat, n, tf.linalg.matmul(flat, flat, transpose_a=True) / n


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Gram matrices (batch, C, C) of features (batch, H, W, C), divided by H·W."""
    return _flat_gram(features)[2]


def gram_layer_loss(features: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """mean((G(features) − target)²) with a hand-written gradient.

    The gradient is dL/dF = F · 2(D + Dᵀ) / (b·C²·H·W), D = G − target: one matmul and one feature-sized
    tensor, where automatic differentiation of the Gram matmul makes two and adds them. At
    large image that lowers the peak memory of a step (README, Speed, has the figures).
    """

    @tf.custom_gradient
    def loss(f, t):
        flat, n, gram = _flat_gram(f)
        diff = gram - t
        value = tf.reduce_mean(tf.square(diff))

        def grad(upstream):
            count = tf.cast(tf.size(diff), f.dtype)  # b·C² entries averaged
            sym = diff + tf.linalg.matrix_transpose(diff)  # C×C: tiny; exact for any target
            d_flat = tf.linalg.matmul(flat, sym * (2.0 * upstream / (count * n)))
            return tf.reshape(d_flat, tf.shape(f)), None

        return value, grad

    return loss(features, tf.convert_to_tensor(target, features.dtype))


def style_loss(outputs, target_grams, layer_weights=None) -> tf.Tensor:
    """Σ over layers of w_l · mean((G(output) − G_target)²)."""
    layer_weights = layer_weights or [1.0] * len(outputs)
    return tf.add_n([w * gram_layer_loss(f, g) for f, g, w in zip(outputs, target_grams, layer_weights)])


def content_loss(outputs, targets) -> tf.Tensor:
    """0.5 · Σ (F_out − F_content)², summed over content layers."""
    return tf.add_n([0.5 * tf.reduce_sum(tf.square(f - t)) for f, t in zip(outputs, targets)])


def downsample(image, levels: int):
    """`image` (batch, H, W, C) averaged down 2× `levels` times (an odd row or column is dropped)."""
    for _ in range(levels):
        image = tf.nn.avg_pool2d(image, 2, 2, "VALID")
    return image


def pyramid_shape(height: int, width: int, level: int) -> tuple:
    """(H, W) of the pyramid's `level` for an H×W image."""
    return height >> level, width >> level


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """Total variation of a (batch, H, W, C) image, summed over the batch."""
    return tf.reduce_sum(tf.image.total_variation(image))


def temporal_loss(image: tf.Tensor, target: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Mean over pixels and channels of mask·(image − target)² (Ruder et al.'s short-term term)."""
    return tf.reduce_sum(mask * tf.square(image - target)) / tf.cast(tf.size(image), image.dtype)


def blended_grams(network, images, blend=None, level: int = 0) -> dict:
    """{style layer: Gram matrix} of style images ((1, H, W, 3) tensors, 0–255) blended by `blend`
    (equal by default), at the pyramid's `level` (0: as given)."""
    blend = list(blend) if blend is not None else [1.0] * len(images)
    total = float(sum(blend))
    grams = {}
    for img, w in zip(images, blend):
        feats = network.style_features(downsample(img, level))
        for n in network.style_layers:
            g = gram_matrix(feats[n]) * (w / total)
            grams[n] = g if n not in grams else grams[n] + g
    return grams


TERMS = ("style", "content", "tv", "temporal")


class StyleLoss:
    """The weighted objective for one image shape; it owns its targets.

    Targets live in variables (Gram matrices per style layer and pyramid level, features per content layer, the
    temporal target and mask), and so does the content weight, so a compiled step serves every image
    and pair of this shape: setting new targets or a new content weight does not retrace. Calling it
    returns the named terms and the weighted total; terms whose weight is 0 are not computed.
    """

    def __init__(self, network, config, height: int, width: int):
        if config.content_weight is None:
            raise ValueError("the default content weight depends on the pair: resolve it with nst.balance.resolve")
        self.network, self.shape = network, (1, height, width, 3)
        self.weights = {"style": config.style_weight, "content": config.content_weight,
                        "tv": config.tv_weight, "temporal": config.temporal_weight}
        # the content weight differs from pair to pair (nst/balance.py): a variable, so a new pair
        # reuses the compiled steps instead of tracing them again
        self.content_weight = tf.Variable(float(config.content_weight), trainable=False, name="content_weight")
        layer_weights = config.style_layer_weights
        if layer_weights is not None and len(layer_weights) != len(network.style_layers):
            raise ValueError("style_layer_weights needs one weight per style layer")
        self.layer_weights = [float(w) for w in layer_weights] if layer_weights is not None else None
        shapes = network.output_shapes(height, width)
        levels = int(config.style_pyramid or 0)
        if min(pyramid_shape(height, width, levels)) < 1:
            raise ValueError(f"a {width}×{height} image has no style pyramid level {levels}")
        # one Gram target per style layer and pyramid level (level 0: the image itself)
        self.target_grams = [{n: tf.Variable(tf.zeros((1, shapes[n][-1], shapes[n][-1])), trainable=False)
                              for n in network.style_layers} for _ in range(levels + 1)]
        self.target_content = {n: tf.Variable(tf.zeros(shapes[n]), trainable=False) for n in network.content_layers}
        self.temporal_target = tf.Variable(tf.zeros(self.shape), trainable=False)
        self.temporal_mask = tf.Variable(tf.zeros(self.shape[:3] + (1,)), trainable=False)
        self._style_digest = None  # of the styles and blend the target Grams were computed from

    def set_content_weight(self, weight: float) -> None:
        """The content term's weight from now on (compiled steps read it as a variable)."""
        self.weights["content"] = float(weight)
        self.content_weight.assign(float(weight))

    def set_style(self, styles, blend=None) -> None:
        """Style target: the Gram matrices of one style image (H×W×3, 0–255), or a weighted blend of several."""
        styles = [np.asarray(img, np.float32) for img in (styles if isinstance(styles, (list, tuple)) else [styles])]
        # a batch, the web app and a grid's rows set the same painting again and again: its Grams stand
        digest = (tuple(array_digest(img) for img in styles), None if blend is None else tuple(blend))
        if digest == self._style_digest:
            return
        tensors = [tf.convert_to_tensor(img[None]) for img in styles]
        for level, targets in enumerate(self.target_grams):
            grams = blended_grams(self.network, tensors, blend, level)
            for n, var in targets.items():
                var.assign(grams[n])
        self._style_digest = digest

    def set_content(self, content) -> None:
        """Content target: the content layers' features of `content` (H×W×3, 0–255)."""
        feats = self.network.features(tf.convert_to_tensor(np.asarray(content, np.float32)[None]))
        for n, var in self.target_content.items():
            var.assign(feats[n])

    def set_temporal(self, target, mask) -> None:
        """Temporal target (H×W×3) and per-pixel weights in [0, 1] (H×W)."""
        self.temporal_target.assign(np.asarray(target, np.float32)[None])
        self.temporal_mask.assign(np.asarray(mask, np.float32)[None, :, :, None])

    @property
    def content_can_be_skipped(self) -> bool:
        """True when leaving the content term out of an evaluation saves work: it has a weight and its
        layer lies deeper than every style layer."""
        return bool(self.weights["content"]) and self.network.deeper_content()

    def __call__(self, image, with_content: bool = True) -> dict:
        """{"total": weighted sum, "style", "content", "tv", "temporal"} for a (1, H, W, 3) 0–255 image.
        Without content the network runs only as deep as the style layers and "content" is 0."""
        feats = self.network.features(image) if with_content else self.network.style_features(image)
        zero = tf.constant(0.0)
        style, level_image, level_feats = zero, image, feats
        for level, targets in enumerate(self.target_grams):
            if level:  # each level pools the one above it once
                level_image = downsample(level_image, 1)
                level_feats = self.network.style_features(level_image)
            style = style + style_loss([level_feats[n] for n in self.network.style_layers], list(targets.values()),
                                       self.layer_weights)
        terms = {
            "style": style,
            "content": content_loss([feats[n] for n in self.network.content_layers],
                                    list(self.target_content.values())) if with_content else zero,
            "tv": total_variation(image) if self.weights["tv"] else zero,
            "temporal": temporal_loss(image, self.temporal_target, self.temporal_mask)
            if self.weights["temporal"] else zero,
        }
        # summed left to right in TERMS order, as the single expression it replaces
        total = self.weights["style"] * terms["style"]
        for k in TERMS[1:]:
            total = total + (self.content_weight if k == "content" else self.weights[k]) * terms[k]
        return {"total": total, **terms}

