"""Style, content and total-variation losses.

Gram matrix G = FᵀF / (H·W); style loss = Σ_layers w_l · mean((G_out − G_style)²);
content loss = 0.5 · Σ (F_out − F_content)²; total = α·style + β·content (+ γ·TV).
"""
from __future__ import annotations

import tensorflow as tf


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Gram matrices (batch, C, C) of features (batch, H, W, C), divided by H·W."""
    shape = tf.shape(features)
    n = tf.cast(shape[1] * shape[2], features.dtype)
    return tf.einsum("bhwc,bhwd->bcd", features, features) / n


def style_loss(outputs, target_grams, layer_weights=None) -> tf.Tensor:
    """Σ over layers of w_l · mean((G(output) − G_target)²)."""
    layer_weights = layer_weights or [1.0] * len(outputs)
    return tf.add_n([
        w * tf.reduce_mean(tf.square(gram_matrix(f) - g))
        for f, g, w in zip(outputs, target_grams, layer_weights)
    ])


def content_loss(outputs, targets) -> tf.Tensor:
    """0.5 · Σ (F_out − F_content)², summed over content layers."""
    return tf.add_n([0.5 * tf.reduce_sum(tf.square(f - t)) for f, t in zip(outputs, targets)])


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """Total variation of a (batch, H, W, C) image, summed over the batch."""
    return tf.reduce_sum(tf.image.total_variation(image))
