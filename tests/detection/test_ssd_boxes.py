"""Default boxes, encoding/decoding, matching and the MultiBox loss."""
import numpy as np
import pytest
import tensorflow as tf

from style_transfer._models import SSD300
from style_transfer._models.boxes import decode, default_boxes, default_scales, encode, iou, match, to_centres, to_corners
from style_transfer._models.multibox_loss import multibox_loss, smooth_l1
from style_transfer._models.ssd300 import BOXES_PER_CELL, FEATURE_MAP_SIZES


def test_8732_default_boxes_with_per_map_counts():
    boxes = default_boxes()
    assert boxes.shape == (8732, 4)
    counts = [s * s * b for s, b in zip(FEATURE_MAP_SIZES, BOXES_PER_CELL)]
    assert counts == [5776, 2166, 600, 150, 36, 4]
    assert boxes.min() >= 0 and boxes.max() <= 1
    # first cell of the 38×38 map: centre (0.5/38, 0.5/38), scale 0.1 square, then sqrt(0.1 * 0.2) square
    np.testing.assert_allclose(boxes[0], [0.5 / 38, 0.5 / 38, 0.1, 0.1], rtol=1e-6)
    np.testing.assert_allclose(boxes[1, 2:], [np.sqrt(0.02)] * 2, rtol=1e-6)
    np.testing.assert_allclose(boxes[2, 2:], [0.1 * np.sqrt(2), 0.1 / np.sqrt(2)], rtol=1e-6)
    # second cell is one step right (x varies fastest), same row
    np.testing.assert_allclose(boxes[4, :2], [1.5 / 38, 0.5 / 38], rtol=1e-6)
    # the single 1×1 cell: centred, 4 boxes (1, 1', 2, 1/2) of scale 0.9, the extra one sqrt(0.9)
    last = boxes[-4:]
    np.testing.assert_allclose(last[:, :2], 0.5)
    np.testing.assert_allclose(last[0, 2:], [0.9, 0.9], rtol=1e-6)
    np.testing.assert_allclose(last[1, 2:], [np.sqrt(0.9)] * 2, rtol=1e-6)
    # a 6-box map has aspect ratios 3 and 1/3 in slots 4, 5
    start = 5776
    np.testing.assert_allclose(boxes[start + 4, 2] / boxes[start + 4, 3], 3.0, rtol=1e-5)
    np.testing.assert_allclose(default_scales()[:6], [0.1, 0.2, 0.375, 0.55, 0.725, 0.9], rtol=1e-6)


def test_default_boxes_match_model_outputs():
    ssd = SSD300(class_names=["a", "b"])
    out = ssd(np.zeros((1, 300, 300, 3), np.float32))
    assert out["class_logits"].shape == (1, 8732, 3) and out["box_offsets"].shape == (1, 8732, 4)


def test_encode_decode_round_trip():
    rng = np.random.default_rng(0)
    defaults = default_boxes()[rng.choice(8732, 50, replace=False)]
    xy = rng.uniform(0, 0.6, (50, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0.02, 0.4, (50, 2))], 1).astype(np.float32)
    offsets = encode(boxes, defaults)
    np.testing.assert_allclose(decode(offsets, defaults).numpy(), boxes, atol=1e-5)
    np.testing.assert_allclose(to_corners(to_centres(boxes)).numpy(), boxes, atol=1e-6)
    # a box equal to its default box encodes to zero; variances scale the offsets
    np.testing.assert_allclose(encode(to_corners(defaults), defaults).numpy(), 0, atol=1e-5)
    d = np.array([[0.5, 0.5, 0.2, 0.2]], np.float32)
    shifted = np.array([[0.42, 0.4, 0.62, 0.6]], np.float32)  # centre +0.02 in x, same size
    np.testing.assert_allclose(encode(shifted, d).numpy(), [[0.02 / (0.1 * 0.2), 0, 0, 0]], atol=1e-5)


def test_iou_by_hand():
    a = np.array([[0, 0, 2, 2]], np.float32)
    b = np.array([[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]], np.float32)
    np.testing.assert_allclose(iou(a, b).numpy(), [[1 / 7, 1.0, 0.0]], rtol=1e-6)


def test_matching_hand_made_example():
    defaults = np.array([
        [0.25, 0.25, 0.5, 0.5],   # 0: top-left quarter
        [0.75, 0.75, 0.5, 0.5],   # 1: bottom-right quarter
        [0.30, 0.30, 0.5, 0.5],   # 2: overlaps box A by IoU ≈ 0.68
        [0.50, 0.50, 0.1, 0.1],   # 3: small centre box, overlaps nothing much
        [0.75, 0.75, 0.2, 0.2],   # 4: inside box B, IoU 0.16 → background
    ], np.float32)
    gt = np.array([[0.0, 0.0, 0.5, 0.5],       # A: exactly default 0
                   [0.5, 0.5, 1.0, 1.0]], np.float32)  # B: exactly default 1
    labels, offsets = match(gt, [3, 7], defaults)
    assert labels.numpy().tolist() == [3, 7, 3, 0, 0]
    np.testing.assert_allclose(offsets.numpy()[:2], 0, atol=1e-5)
    # a small object overlapping no default by 0.5 still gets its best default box
    labels, _ = match(np.array([[0.46, 0.46, 0.54, 0.54]], np.float32), [2], defaults)
    assert labels.numpy().tolist() == [0, 0, 0, 2, 0]
    # no objects: all background
    labels, offsets = match(np.zeros((0, 4), np.float32), np.zeros(0, np.int32), defaults)
    assert labels.numpy().tolist() == [0] * 5 and offsets.shape == (5, 4)


def test_multibox_loss_by_hand():
    # 1 image, 5 boxes, 2 classes; box 0 positive, 4 negatives of which 3 (the hardest) count
    logits = np.zeros((1, 5, 2), np.float32)
    logits[0, 1:, 1] = [0.0, 1.0, 2.0, 3.0]      # background boxes: larger logit for class 1 = harder
    labels = np.array([[1, 0, 0, 0, 0]], np.int32)
    pred = np.zeros((1, 5, 4), np.float32)
    target = np.zeros((1, 5, 4), np.float32)
    target[0, 0] = [0.5, -2.0, 0, 0]
    target[0, 1] = [9, 9, 9, 9]  # ignored: not a positive
    total, cls, loc = (float(v) for v in multibox_loss(logits, pred, labels, target))

    def ce(z, k):
        return float(np.log(np.exp(z).sum()) - z[k])

    expected_cls = ce(np.array([0, 0.0]), 1) + sum(ce(np.array([0, z]), 0) for z in (1.0, 2.0, 3.0))
    expected_loc = 0.5 * 0.5 ** 2 + (2.0 - 0.5)
    assert cls == pytest.approx(expected_cls, rel=1e-5)
    assert loc == pytest.approx(expected_loc, rel=1e-5)
    assert total == pytest.approx(expected_cls + expected_loc, rel=1e-5)
    np.testing.assert_allclose(smooth_l1(tf.constant([-3.0, 0.5])).numpy(), [2.5, 0.125])


def test_multibox_loss_no_positives_is_finite():
    logits = tf.random.normal((2, 8732, 3))
    total, cls, loc = multibox_loss(logits, tf.zeros((2, 8732, 4)), tf.zeros((2, 8732), tf.int32),
                                    tf.zeros((2, 8732, 4)))
    assert float(total) == 0.0 and np.isfinite(float(cls)) and float(loc) == 0.0
