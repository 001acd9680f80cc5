"""SSD300 default boxes, IoU, box encoding/decoding and ground-truth matching.

Boxes are normalised to [0, 1]. "Corners" are (xmin, ymin, xmax, ymax); "centres"
are (cx, cy, w, h). Default boxes are ordered as SSD300's heads emit them: feature
map by feature map, cells row by row, then the boxes of one cell.
"""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from .ssd300 import BOXES_PER_CELL, FEATURE_MAP_SIZES

VARIANCES = (0.1, 0.2)
MIN_SCALE, MAX_SCALE, FIRST_SCALE = 0.2, 0.9, 0.1


def default_scales(n_maps: int = len(FEATURE_MAP_SIZES)) -> list[float]:
    """Box scale of each feature map: 0.1 for conv4_3, then 0.2 … 0.9 evenly spaced, and 1.0 after the last."""
    step = (MAX_SCALE - MIN_SCALE) / (n_maps - 2)
    return [FIRST_SCALE] + [MIN_SCALE + step * k for k in range(n_maps - 1)] + [1.0]


def default_boxes(feature_map_sizes=FEATURE_MAP_SIZES, boxes_per_cell=BOXES_PER_CELL) -> np.ndarray:
    """The (8732, 4) SSD300 default boxes as (cx, cy, w, h), clipped to [0, 1].

    Each cell holds a square box of scale s_k, a square box of scale sqrt(s_k s_k+1),
    and boxes of aspect ratio 2 and 1/2 (plus 3 and 1/3 where the map has 6 per cell).
    """
    scales = default_scales(len(feature_map_sizes))
    out = []
    for k, (size, n_boxes) in enumerate(zip(feature_map_sizes, boxes_per_cell)):
        s, s_next = scales[k], math.sqrt(scales[k] * scales[k + 1])
        ratios = (2.0, 3.0)[: (n_boxes - 2) // 2]
        shapes = [(s, s), (s_next, s_next)]
        for r in ratios:
            shapes += [(s * math.sqrt(r), s / math.sqrt(r)), (s / math.sqrt(r), s * math.sqrt(r))]
        centres = (np.arange(size) + 0.5) / size
        cy, cx = np.meshgrid(centres, centres, indexing="ij")
        cells = np.stack([cx.ravel(), cy.ravel()], axis=-1)  # row-major: y outer, x inner
        wh = np.asarray(shapes)
        boxes = np.concatenate([np.repeat(cells, len(shapes), axis=0), np.tile(wh, (len(cells), 1))], axis=1)
        out.append(boxes)
    return np.clip(np.concatenate(out).astype(np.float32), 0.0, 1.0)


def to_corners(centres):
    """(cx, cy, w, h) → (xmin, ymin, xmax, ymax)."""
    centres = tf.convert_to_tensor(centres, tf.float32)
    half = centres[..., 2:] / 2
    return tf.concat([centres[..., :2] - half, centres[..., :2] + half], axis=-1)


def to_centres(corners):
    """(xmin, ymin, xmax, ymax) → (cx, cy, w, h)."""
    corners = tf.convert_to_tensor(corners, tf.float32)
    return tf.concat([(corners[..., :2] + corners[..., 2:]) / 2, corners[..., 2:] - corners[..., :2]], axis=-1)


def _pairwise_iou(a, b, maximum, minimum):
    """IoU of corner boxes a (N, 1, 4) and b (1, M, 4) → (N, M), with the array library's maximum/minimum."""
    wh = maximum(minimum(a[..., 2:], b[..., 2:]) - maximum(a[..., :2], b[..., :2]), 0.0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / maximum(area_a + area_b - inter, 1e-12)


def iou(a, b):
    """Pairwise IoU of corner boxes a (N, 4) and b (M, 4) → (N, M), as a float32 tensor.

    Usable inside tf.function and tf.data (matching, random crops).
    """
    a = tf.convert_to_tensor(a, tf.float32)[:, None, :]
    b = tf.convert_to_tensor(b, tf.float32)[None, :, :]
    return _pairwise_iou(a, b, tf.maximum, tf.minimum)


def iou_np(a, b) -> np.ndarray:
    """`iou` in float64 NumPy, for evaluation: the same formula without TensorFlow's per-call
    overhead, and in double precision so that IoU ≥ 0.5 is decided as the VOC metric does."""
    a = np.asarray(a, np.float64).reshape(-1, 4)[:, None, :]
    b = np.asarray(b, np.float64).reshape(-1, 4)[None, :, :]
    return _pairwise_iou(a, b, np.maximum, np.minimum)


def encode(corners, defaults, variances=VARIANCES):
    """Offsets of corner boxes relative to default boxes (cx, cy, w, h), scaled by the variances."""
    g = to_centres(corners)
    d = tf.convert_to_tensor(defaults, tf.float32)
    cxcy = (g[..., :2] - d[..., :2]) / (variances[0] * d[..., 2:])
    wh = tf.math.log(tf.maximum(g[..., 2:], 1e-8) / d[..., 2:]) / variances[1]
    return tf.concat([cxcy, wh], axis=-1)


def decode(offsets, defaults, variances=VARIANCES):
    """Corner boxes from offsets relative to default boxes (cx, cy, w, h): the inverse of `encode`."""
    o = tf.convert_to_tensor(offsets, tf.float32)
    d = tf.convert_to_tensor(defaults, tf.float32)
    cxcy = d[..., :2] + o[..., :2] * variances[0] * d[..., 2:]
    wh = d[..., 2:] * tf.exp(o[..., 2:] * variances[1])
    return to_corners(tf.concat([cxcy, wh], axis=-1))


def match(gt_corners, gt_labels, defaults, threshold: float = 0.5, variances=VARIANCES):
    """Assign ground truth to default boxes.

    Every object gets its best-overlapping default box; every other default box
    takes the object it overlaps most if that IoU is ≥ `threshold`, else background.
    gt_labels are 1-based class indices (0 is background). Returns (labels (N,) int32,
    offsets (N, 4) float32) for the N default boxes.
    """
    gt_corners = tf.reshape(tf.convert_to_tensor(gt_corners, tf.float32), (-1, 4))
    gt_labels = tf.reshape(tf.cast(gt_labels, tf.int32), (-1,))
    defaults = tf.convert_to_tensor(defaults, tf.float32)
    n_defaults = tf.shape(defaults)[0]

    def assign():
        n_gt = tf.shape(gt_corners)[0]
        overlaps = iou(gt_corners, to_corners(defaults))                 # (G, N)
        best_gt = tf.argmax(overlaps, axis=0, output_type=tf.int32)       # (N,)
        best_gt_iou = tf.reduce_max(overlaps, axis=0)
        best_default = tf.argmax(overlaps, axis=1, output_type=tf.int32)  # (G,)
        idx = best_default[:, None]
        best_gt = tf.tensor_scatter_nd_update(best_gt, idx, tf.range(n_gt))
        best_gt_iou = tf.tensor_scatter_nd_update(best_gt_iou, idx, tf.fill([n_gt], 2.0))
        labels = tf.where(best_gt_iou >= threshold, tf.gather(gt_labels, best_gt), 0)
        offsets = encode(tf.gather(gt_corners, best_gt), defaults, variances)
        return labels, offsets

    def background():
        return tf.zeros([n_defaults], tf.int32), tf.zeros([n_defaults, 4], tf.float32)

    return tf.cond(tf.shape(gt_corners)[0] > 0, assign, background)
