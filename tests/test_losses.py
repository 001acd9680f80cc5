"""Losses against NumPy."""
import numpy as np
import pytest
import tensorflow as tf

from style_transfer.nst.losses import content_loss, gram_matrix, style_loss, total_variation


def np_gram(f):
    b, h, w, c = f.shape
    flat = f.reshape(b, h * w, c)
    return np.einsum("bnc,bnd->bcd", flat, flat) / (h * w)


def test_gram_matches_numpy():
    f = np.random.RandomState(0).normal(size=(2, 5, 7, 4)).astype(np.float32)
    np.testing.assert_allclose(gram_matrix(tf.constant(f)).numpy(), np_gram(f), rtol=1e-5, atol=1e-6)


def test_style_and_content_loss_match_numpy():
    rng = np.random.RandomState(1)
    outs = [rng.normal(size=(1, 6, 6, 3)).astype(np.float32), rng.normal(size=(1, 3, 3, 5)).astype(np.float32)]
    tgts = [np_gram(rng.normal(size=(1, 4, 4, 3))), np_gram(rng.normal(size=(1, 2, 2, 5)))]
    expected = sum(np.mean((np_gram(o) - t) ** 2) for o, t in zip(outs, tgts))
    got = style_loss([tf.constant(o) for o in outs], [tf.constant(t, tf.float32) for t in tgts]).numpy()
    assert got == pytest.approx(expected, rel=1e-5)
    weighted = style_loss([tf.constant(o) for o in outs], [tf.constant(t, tf.float32) for t in tgts], [2.0, 0.0])
    assert weighted.numpy() == pytest.approx(2 * np.mean((np_gram(outs[0]) - tgts[0]) ** 2), rel=1e-5)
    c = rng.normal(size=(1, 3, 3, 5)).astype(np.float32)
    assert content_loss([tf.constant(outs[1])], [tf.constant(c)]).numpy() == pytest.approx(
        0.5 * np.sum((outs[1] - c) ** 2), rel=1e-5)


def test_total_variation():
    img = np.zeros((1, 4, 4, 3), np.float32)
    img[0, :, 2:] = 1.0
    assert total_variation(tf.constant(img)).numpy() == pytest.approx(4 * 3)


@pytest.mark.parametrize("batch", [1, 2])
def test_gram_layer_loss_gradient_matches_automatic_differentiation(batch):
    """The hand-written gradient equals differentiating mean((FᵀF/n − T)²) directly, also for a
    target that is not symmetric and a batch broadcast against one target."""
    from style_transfer.nst.losses import gram_layer_loss

    rng = np.random.RandomState(2)
    f = tf.constant(rng.normal(size=(batch, 7, 5, 4)).astype(np.float32) * 3)
    target = tf.constant(rng.normal(size=(1, 4, 4)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(f)
        ours = 2.5 * gram_layer_loss(f, target)
        plain = 2.5 * tf.reduce_mean(tf.square(tf.einsum("bhwc,bhwd->bcd", f, f) / 35.0 - target))
    assert float(ours) == pytest.approx(float(plain), rel=1e-6)
    g_ours, g_plain = tape.gradient(ours, f).numpy(), tape.gradient(plain, f).numpy()
    np.testing.assert_allclose(g_ours, g_plain, rtol=1e-4, atol=1e-5 * np.abs(g_plain).max())
