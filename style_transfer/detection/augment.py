"""tf.data input pipeline for SSD300: decoding, SSD augmentation, resizing, target encoding.

Augmentation (Liu et al., 2016): photometric distortion, zoom-out onto a canvas of
the mean colour, a random crop whose IoU with some object is at least a randomly
chosen minimum, and a horizontal flip. Boxes are normalised (xmin, ymin, xmax, ymax).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from style_transfer._models.boxes import default_boxes, iou, match
from style_transfer._models.ssd300 import INPUT_SIZE

MEAN_RGB = (123.68, 116.779, 103.939)
MIN_IOUS = (-1.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.0)  # -1: keep the whole image; 0: any crop


def normalised_boxes(sample, keep_difficult: bool = False):
    """A sample's boxes as normalised corners and its labels (difficult objects dropped unless kept)."""
    keep = np.ones(len(sample.labels), bool) if keep_difficult else ~sample.difficult
    scale = np.array([sample.width, sample.height] * 2, np.float32)
    return sample.boxes[keep] / scale, sample.labels[keep]


def decode_image(path):
    """Read an image file as float32 RGB, 0–255."""
    img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return tf.cast(img, tf.float32)


def _coin():
    return tf.random.uniform([]) < 0.5


def photometric(image):
    """Random brightness, contrast, saturation and hue (each with probability 1/2), on 0–255 RGB."""
    x = image / 255.0
    x = tf.cond(_coin(), lambda: x + tf.random.uniform([], -32 / 255, 32 / 255), lambda: x)
    contrast_first = _coin()
    x = tf.cond(contrast_first & _coin(), lambda: tf.image.adjust_contrast(x, tf.random.uniform([], 0.5, 1.5)),
                lambda: x)
    x = tf.clip_by_value(x, 0.0, 1.0)
    x = tf.cond(_coin(), lambda: tf.image.adjust_saturation(x, tf.random.uniform([], 0.5, 1.5)), lambda: x)
    x = tf.cond(_coin(), lambda: tf.image.adjust_hue(x, tf.random.uniform([], -18 / 360, 18 / 360)), lambda: x)
    x = tf.cond(~contrast_first & _coin(),
                lambda: tf.image.adjust_contrast(x, tf.random.uniform([], 0.5, 1.5)), lambda: x)
    return tf.clip_by_value(x, 0.0, 1.0) * 255.0


def zoom_out(image, boxes, max_ratio: float = 4.0):
    """Place the image at a random spot on a canvas up to `max_ratio` times larger, filled with the mean."""
    shape = tf.shape(image)
    h, w = shape[0], shape[1]
    ratio = tf.random.uniform([], 1.0, max_ratio)
    ch = tf.cast(tf.cast(h, tf.float32) * ratio, tf.int32)
    cw = tf.cast(tf.cast(w, tf.float32) * ratio, tf.int32)
    top = tf.random.uniform([], 0, ch - h + 1, tf.int32)
    left = tf.random.uniform([], 0, cw - w + 1, tf.int32)
    mean = tf.constant(MEAN_RGB, tf.float32)
    canvas = tf.image.pad_to_bounding_box(image - mean, top, left, ch, cw) + mean
    scale = tf.cast(tf.stack([w, h, w, h]), tf.float32) / tf.cast(tf.stack([cw, ch, cw, ch]), tf.float32)
    offset = tf.cast(tf.stack([left, top, left, top]), tf.float32) / tf.cast(tf.stack([cw, ch, cw, ch]), tf.float32)
    return canvas, boxes * scale + offset


def iou_crop(image, boxes, labels, trials: int = 50):
    """SSD's random crop: a minimum IoU is drawn from {keep, 0.1, 0.3, 0.5, 0.7, 0.9, any};
    of `trials` random crops (sides 0.3–1 of the image, aspect 1/2–2) the first whose IoU
    with some object reaches it and that contains an object's centre is taken. Objects
    whose centre falls outside the crop are dropped, the others clipped to it.
    """
    shape = tf.shape(image)
    h, w = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
    min_iou = tf.gather(tf.constant(MIN_IOUS), tf.random.uniform([], 0, len(MIN_IOUS), tf.int32))
    cw = tf.random.uniform([trials], 0.3, 1.0)
    chh = tf.random.uniform([trials], 0.3, 1.0)
    aspect = (chh * h) / (cw * w)
    x0 = tf.random.uniform([trials]) * (1.0 - cw)
    y0 = tf.random.uniform([trials]) * (1.0 - chh)
    crops = tf.stack([x0, y0, x0 + cw, y0 + chh], axis=-1)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    inside = ((centres[None, :, 0] > crops[:, None, 0]) & (centres[None, :, 0] < crops[:, None, 2])
              & (centres[None, :, 1] > crops[:, None, 1]) & (centres[None, :, 1] < crops[:, None, 3]))
    best_iou = tf.reduce_max(tf.concat([iou(crops, boxes), tf.fill([trials, 1], -1.0)], 1), axis=1)
    ok = (aspect >= 0.5) & (aspect <= 2.0) & tf.reduce_any(inside, axis=1) & (best_iou >= min_iou)
    ok = ok & (min_iou >= 0.0)
    found = tf.reduce_any(ok)
    pick = tf.argmax(tf.cast(ok, tf.int32), output_type=tf.int32)
    crop = tf.where(found, crops[pick], tf.constant([0.0, 0.0, 1.0, 1.0]))
    keep = tf.where(found, inside[pick], tf.ones_like(inside[0]))
    top, left = tf.cast(crop[1] * h, tf.int32), tf.cast(crop[0] * w, tf.int32)
    ch_px = tf.maximum(tf.cast((crop[3] - crop[1]) * h, tf.int32), 1)
    cw_px = tf.maximum(tf.cast((crop[2] - crop[0]) * w, tf.int32), 1)
    image = tf.image.crop_to_bounding_box(image, top, left, ch_px, cw_px)
    boxes, labels = tf.boolean_mask(boxes, keep), tf.boolean_mask(labels, keep)
    size = crop[2:] - crop[:2]
    boxes = tf.clip_by_value((boxes - tf.tile(crop[:2], [2])) / tf.tile(size, [2]), 0.0, 1.0)
    return image, boxes, labels


def hflip(image, boxes):
    """Mirror the image and its boxes left–right."""
    flipped = tf.stack([1.0 - boxes[:, 2], boxes[:, 1], 1.0 - boxes[:, 0], boxes[:, 3]], axis=-1)
    return tf.image.flip_left_right(image), flipped


def augment(image, boxes, labels):
    """The full SSD augmentation of one image (0–255 RGB) and its normalised boxes."""
    image = photometric(image)
    image, boxes = tf.cond(_coin(), lambda: zoom_out(image, boxes), lambda: (image, boxes))
    image, boxes, labels = iou_crop(image, boxes, labels)
    image, boxes = tf.cond(_coin(), lambda: hflip(image, boxes), lambda: (image, boxes))
    # Drop boxes that clipping made degenerate.
    keep = (boxes[:, 2] - boxes[:, 0] > 1e-3) & (boxes[:, 3] - boxes[:, 1] > 1e-3)
    return image, tf.boolean_mask(boxes, keep), tf.boolean_mask(labels, keep)


def resize(image):
    """Resize to SSD300's 300×300 input (bilinear, aspect ratio not kept, as SSD does)."""
    return tf.image.resize(image, (INPUT_SIZE, INPUT_SIZE), method="bilinear")


def _ragged(rows, inner, dtype):
    lengths = [len(r) for r in rows]
    flat = np.concatenate([np.asarray(r, dtype).reshape((-1, *inner)) for r in rows]) if rows else \
        np.zeros((0, *inner), dtype)
    return tf.RaggedTensor.from_row_lengths(flat, np.asarray(lengths, np.int64))


def training_dataset(samples, batch_size: int, augment_data: bool = True, shuffle: bool = True,
                     repeat: bool = True, seed: int | None = None, keep_difficult: bool = False,
                     parallel_calls=tf.data.AUTOTUNE) -> tf.data.Dataset:
    """Batches of (images (B, 300, 300, 3) 0–255 RGB, labels (B, 8732), offsets (B, 8732, 4))."""
    pairs = [normalised_boxes(s, keep_difficult) for s in samples]
    paths = tf.constant([str(s.image_path) for s in samples])
    boxes = _ragged([p[0] for p in pairs], (4,), np.float32)
    labels = _ragged([p[1] for p in pairs], (), np.int32)
    defaults = tf.constant(default_boxes())

    def load(path, b, lab):
        image = decode_image(path)
        if augment_data:
            image, b, lab = augment(image, b, lab)
        gt_labels, gt_offsets = match(b, lab, defaults)
        return resize(image), gt_labels, gt_offsets

    ds = tf.data.Dataset.from_tensor_slices((paths, boxes, labels))
    if shuffle:
        ds = ds.shuffle(len(samples), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(load, num_parallel_calls=parallel_calls, deterministic=not shuffle)
    return ds.batch(batch_size, drop_remainder=repeat).prefetch(2)


def image_dataset(samples, batch_size: int) -> tf.data.Dataset:
    """Batches of images resized to 300×300 (0–255 RGB), in sample order, for detection and evaluation."""
    paths = tf.constant([str(s.image_path) for s in samples])
    ds = tf.data.Dataset.from_tensor_slices(paths).map(lambda p: resize(decode_image(p)),
                                                       num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(2)
