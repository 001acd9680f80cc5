"""The style pyramid: the style term also taken on the image and the painting averaged down 2×, 4×, …"""
import numpy as np
import pytest
import tensorflow as tf

from style_transfer.nst import balance
from style_transfer.nst.config import StyleConfig
from style_transfer.nst.engine import stylize
from style_transfer.nst.losses import StyleLoss


def _halved(image, levels):
    """2×2 means, `levels` times, in NumPy (odd rows and columns dropped)."""
    for _ in range(levels):
        h, w = image.shape[1] // 2 * 2, image.shape[2] // 2 * 2
        image = image[:, :h, :w].reshape(image.shape[0], h // 2, 2, w // 2, 2, -1).mean(axis=(2, 4))
    return image


def _gram(f):
    b, h, w, c = f.shape
    flat = f.reshape(b, h * w, c)
    return np.einsum("bnc,bnd->bcd", flat, flat) / (h * w)


def _style_distance(network, image, style, level):
    """Σ over the style layers of mean((G(image) − G(style))²), both averaged down `level` times."""
    a = network.style_features(tf.constant(_halved(image[None].astype(np.float64), level), tf.float32))
    b = network.style_features(tf.constant(_halved(style[None].astype(np.float64), level), tf.float32))
    return sum(np.mean((_gram(a[n].numpy()) - _gram(b[n].numpy())) ** 2) for n in network.style_layers)


def test_the_style_term_sums_the_levels(extractor, content_small, style_small):
    image = np.clip(content_small + 20.0 * np.random.RandomState(0).normal(size=content_small.shape), 0, 255)
    terms = {}
    for levels in (0, 2):
        loss = StyleLoss(extractor, StyleConfig(content_weight=0.0, style_pyramid=levels), *content_small.shape[:2])
        loss.set_style(style_small)
        loss.set_content(content_small)
        terms[levels] = float(loss(tf.constant(image[None], tf.float32))["style"])
    expected = [_style_distance(extractor, image, style_small, level) for level in range(3)]
    assert terms[0] == pytest.approx(expected[0], rel=1e-3)
    assert terms[2] == pytest.approx(sum(expected), rel=1e-3)
    assert min(expected[1:]) > 0.05 * expected[0]  # the coarser levels weigh in, not a rounding error


def test_the_pyramid_brings_the_coarse_statistics_closer(extractor, content_small, style_small):
    """The same run with one level more ends nearer the painting a level down, where the plain loss does not look."""
    config = StyleConfig(steps=10, content_weight=0.3, seed=0)
    plain = stylize(content_small, style_small, config.replace(style_pyramid=0), extractor, progress=False)
    pyramid = stylize(content_small, style_small, config.replace(style_pyramid=1), extractor, progress=False)
    style = np.asarray(plain.shown_styles[0], np.float32)
    coarse = {name: _style_distance(extractor, np.asarray(r.image, np.float32), style, 1)
              for name, r in (("plain", plain), ("pyramid", pyramid))}
    assert coarse["pyramid"] < 0.8 * coarse["plain"]


def test_the_default_balance_sets_the_pyramid_and_given_settings_win(extractor, content_small, style_small):
    default = stylize(content_small, style_small, StyleConfig(steps=1), extractor, progress=False)
    assert default.config.style_pyramid == balance.PYRAMID
    given = stylize(content_small, style_small, StyleConfig(steps=1, style_pyramid=2), extractor, progress=False)
    assert given.config.style_pyramid == 2
    article = stylize(content_small, style_small, StyleConfig(steps=1, content_weight=1e-3), extractor,
                      progress=False)
    assert article.config.style_pyramid == 0
