"""SSD's MultiBox loss: softmax cross-entropy with hard-negative mining + smooth-L1 on positives."""
from __future__ import annotations

import tensorflow as tf


def smooth_l1(x):
    """Elementwise smooth-L1 (Huber with delta 1)."""
    ax = tf.abs(x)
    return tf.where(ax < 1.0, 0.5 * tf.square(x), ax - 0.5)


def multibox_loss(class_logits, box_offsets, gt_labels, gt_offsets, neg_pos_ratio: float = 3.0,
                  alpha: float = 1.0):
    """MultiBox loss of a batch → (total, classification, localisation), each a scalar.

    class_logits (B, N, C), box_offsets (B, N, 4), gt_labels (B, N) with 0 = background,
    gt_offsets (B, N, 4) encoded targets. Per image, the background boxes with the
    highest cross-entropy are kept, `neg_pos_ratio` of them per positive. Both terms
    are summed and divided by the number of positives in the batch (at least 1).
    """
    class_logits = tf.cast(class_logits, tf.float32)
    box_offsets = tf.cast(box_offsets, tf.float32)
    gt_labels = tf.cast(gt_labels, tf.int32)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=gt_labels, logits=class_logits)  # (B, N)
    positive = gt_labels > 0
    num_pos = tf.reduce_sum(tf.cast(positive, tf.int32), axis=1)                               # (B,)
    n_boxes = tf.shape(gt_labels)[1]
    num_neg = tf.minimum(tf.cast(tf.cast(num_pos, tf.float32) * neg_pos_ratio, tf.int32), n_boxes - num_pos)
    # Rank background boxes by their loss (positives pushed to the end) and keep the top num_neg.
    neg_loss = tf.where(positive, -1.0, tf.stop_gradient(ce))
    order = tf.argsort(neg_loss, axis=1, direction="DESCENDING")
    rank = tf.argsort(order, axis=1)
    negative = rank < num_neg[:, None]
    chosen = tf.cast(positive | negative, tf.float32)
    cls_loss = tf.reduce_sum(ce * chosen)
    loc = tf.reduce_sum(smooth_l1(box_offsets - tf.cast(gt_offsets, tf.float32)), axis=-1)
    loc_loss = tf.reduce_sum(loc * tf.cast(positive, tf.float32))
    denom = tf.maximum(tf.cast(tf.reduce_sum(num_pos), tf.float32), 1.0)
    cls_loss, loc_loss = cls_loss / denom, loc_loss / denom
    return cls_loss + alpha * loc_loss, cls_loss, loc_loss
