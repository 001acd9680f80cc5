"""The default balance of photo and painting, adapted to each pair.

One fixed content/style ratio was right for some pairs and erased the subject of others: on the quality
panel (docs/quality.md) how far the converged image drifts from the photo grows with r = d0 / c0, where
d0 is the style loss of the photo itself (how far its statistics are from the painting's) and c0 the
mean square of the photo's content features (how strongly the content term holds it). The default
content weight therefore scales the standard ratio with the pair:

    content weight = 0.6 × style weight × clip((r / REFERENCE)², 0.15, 8)

with a one-level style pyramid (nst/losses.py): the default style layers stop at conv2_2, and without
the pyramid the converged image matched the painting's fine statistics but lagged on its larger
strokes (Renoir's Moulin de la Galette on every photo); the pyramid pulls those in, and the
weight's wider range gives back to each pair the content the stronger style term takes. REFERENCE, the
exponent and the limits were chosen on the panel. r is measured on the loss network's default layers
(full size, no pyramid) with both pictures brought to a 320 px working size, whatever the run's size
and layers, so a pair gets about the same balance at every size. Explicit weights and the other
presets are used as given, without the pyramid unless it is asked for.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from style_transfer.nst.config import DEFAULT_PRESET, DEFAULT_SIZE, PRESETS, StyleConfig

PYRAMID = 1              # style pyramid levels of the default balance (nst/losses.py)
REFERENCE = 4.8e6        # r at which the standard ratio is used unchanged
EXPONENT = 2.0
LIMITS = (0.15, 8.0)     # × the standard ratio: 0.09 … 4.8, above `strong` (0.03)


def _at_balance_size(image, longest: int) -> tf.Tensor:
    image = np.asarray(image, np.float32)
    h, w = image.shape[:2]
    scale = DEFAULT_SIZE / max(longest, 1)
    size = (max(16, round(h * scale)), max(16, round(w * scale)))
    out = tf.convert_to_tensor(image[None])
    return out if size == (h, w) else tf.clip_by_value(tf.image.resize(out, size, method="area"), 0.0, 255.0)


def pair_ratio(network, content, styles, blend=None) -> float:
    """r = d0 / c0 for a content (H×W×3, 0–255) and its style images as the optimiser sees them."""
    from style_transfer.nst.losses import blended_grams, gram_matrix
    from style_transfer.nst.network import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS

    net = network.with_layers(DEFAULT_STYLE_LAYERS, DEFAULT_CONTENT_LAYERS)
    longest = max(np.asarray(content).shape[:2])  # styles keep their scale relative to the content
    feats = net.features(_at_balance_size(content, longest))
    targets = blended_grams(net, [_at_balance_size(style, longest) for style in styles], blend)
    d0 = sum(float(tf.reduce_mean(tf.square(gram_matrix(feats[n]) - targets[n]))) for n in net.style_layers)
    c0 = sum(float(tf.reduce_mean(tf.square(feats[n]))) for n in net.content_layers)
    return d0 / max(c0, 1e-12)


def content_weight_for(ratio: float, style_weight: float) -> float:
    """The adapted content weight for a pair with r = `ratio`."""
    factor = float(np.clip((ratio / REFERENCE) ** EXPONENT, *LIMITS))
    return PRESETS[DEFAULT_PRESET] * style_weight * factor


def resolve(config: StyleConfig, network, content, styles) -> StyleConfig:
    """`config` with a concrete content weight and style pyramid: as given, or (None: the default)
    adapted to this pair, with the default balance's pyramid; given weights get no pyramid unless asked."""
    if config.content_weight is not None:
        return config if config.style_pyramid is not None else config.replace(style_pyramid=0)
    ratio = pair_ratio(network, content, styles, config.style_blend)
    return config.replace(content_weight=content_weight_for(ratio, config.style_weight),
                          style_pyramid=PYRAMID if config.style_pyramid is None else config.style_pyramid)
