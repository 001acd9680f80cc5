"""Detection with SSD300: decode the 8732 box offsets, per-class non-max suppression, drawing."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont

from style_transfer._models.boxes import decode, default_boxes
from style_transfer._models.ssd300 import INPUT_SIZE

PALETTE = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
           (170, 110, 40), (255, 250, 200), (128, 0, 0), (170, 255, 195), (128, 128, 0), (255, 215, 180),
           (0, 0, 128), (128, 128, 128))


@dataclass
class Detections:
    """Detections of one image: boxes (K, 4) in pixels (xmin, ymin, xmax, ymax), scores, 0-based class ids."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


class Detector:
    """SSD300 + its preprocessing → detections for batches of 300×300 images."""

    def __init__(self, ssd, preprocessing, score_threshold: float = 0.5, iou_threshold: float = 0.45,
                 max_per_class: int = 100, max_total: int = 200):
        self.ssd, self.preprocessing = ssd, preprocessing
        self.class_names = tuple(ssd.class_names)
        self.score_threshold, self.iou_threshold = score_threshold, iou_threshold
        self.max_per_class, self.max_total = max_per_class, max_total
        self.defaults = tf.constant(default_boxes())
        self._predict = tf.function(self._predict_batch)

    def _predict_batch(self, images):
        out = self.ssd(self.preprocessing.apply(images), training=False)
        scores = tf.nn.softmax(out["class_logits"], axis=-1)[..., 1:]       # drop background
        corners = tf.clip_by_value(decode(out["box_offsets"], self.defaults), 0.0, 1.0)
        yx = tf.gather(corners, [1, 0, 3, 2], axis=-1)[:, :, None, :]       # (B, N, 1, 4) y1 x1 y2 x2
        nms = tf.image.combined_non_max_suppression(
            yx, scores, self.max_per_class, self.max_total, self.iou_threshold, self.score_threshold,
            pad_per_class=False, clip_boxes=True)
        return nms.nmsed_boxes, nms.nmsed_scores, nms.nmsed_classes, nms.valid_detections

    def detect_batch(self, images_300, sizes) -> list[Detections]:
        """Detections for a batch of 300×300 images; boxes scaled to each original (width, height)."""
        boxes, scores, classes, valid = (t.numpy() for t in self._predict(tf.convert_to_tensor(images_300,
                                                                                                tf.float32)))
        out = []
        for b, (w, h) in enumerate(sizes):
            n = int(valid[b])
            yx = boxes[b, :n]
            px = np.stack([yx[:, 1] * w, yx[:, 0] * h, yx[:, 3] * w, yx[:, 2] * h], axis=-1).astype(np.float32)
            out.append(Detections(px, scores[b, :n].astype(np.float32), classes[b, :n].astype(np.int32)))
        return out

    def detect(self, image) -> Detections:
        """Detections on one RGB image (PIL or H×W×3 array, 0–255), boxes in its pixels."""
        arr = np.asarray(image, np.float32)
        resized = tf.image.resize(arr[None], (INPUT_SIZE, INPUT_SIZE), method="bilinear")
        return self.detect_batch(resized, [(arr.shape[1], arr.shape[0])])[0]


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def draw_detections(image, detections: Detections, class_names) -> Image.Image:
    """The image with each detection drawn as a coloured box labelled 'class score'."""
    img = (image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, np.uint8))).convert("RGB")
    img = img.copy()
    draw = ImageDraw.Draw(img)
    line = max(2, round(max(img.size) / 300))
    font = _font(max(11, round(max(img.size) / 45)))
    order = np.argsort(detections.scores)  # strongest drawn last, on top
    for k in order:
        x0, y0, x1, y1 = (float(v) for v in detections.boxes[k])
        colour = PALETTE[int(detections.classes[k]) % len(PALETTE)]
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=line)
        text = f"{class_names[int(detections.classes[k])]} {detections.scores[k]:.2f}"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tw, th = right - left, bottom - top
        ty = y0 - th - 4 if y0 - th - 4 >= 0 else y0
        draw.rectangle((x0, ty, x0 + tw + 4, ty + th + 4), fill=colour)
        luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
        draw.text((x0 + 2 - left, ty + 2 - top), text, fill=(0, 0, 0) if luminance > 140 else (255, 255, 255),
                  font=font)
    return img
