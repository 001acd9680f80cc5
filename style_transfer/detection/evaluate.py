"""PASCAL VOC detection metric: per-class AP (all-point interpolation, VOC2010+) at IoU ≥ 0.5, and mAP.

Boxes are compared in continuous pixel coordinates (no VOC "+1" pixel convention).
Ground-truth objects marked difficult neither count as positives nor make a detection
that matches them a false positive.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from style_transfer._models.boxes import iou_np


@dataclass
class EvalResult:
    """AP per class (nan for a class with no ground truth), numbers of objects, and their mAP."""

    classes: tuple
    ap: np.ndarray
    num_gt: np.ndarray
    num_det: np.ndarray

    @property
    def map(self) -> float:
        valid = ~np.isnan(self.ap)
        return float(np.mean(self.ap[valid])) if valid.any() else float("nan")

    def table(self) -> str:
        """A plain-text table: class, objects, detections, AP; then mAP."""
        width = max(12, *(len(c) for c in self.classes))
        lines = [f"{'class':<{width}}  {'objects':>7}  {'detections':>10}  {'AP':>6}"]
        for name, ap, n, d in zip(self.classes, self.ap, self.num_gt, self.num_det):
            lines.append(f"{name:<{width}}  {n:>7d}  {d:>10d}  {'n/a' if np.isnan(ap) else f'{ap:.4f}':>6}")
        lines.append(f"{'mAP@0.5':<{width}}  {int(self.num_gt.sum()):>7d}  {int(self.num_det.sum()):>10d}  "
                     f"{self.map:.4f}")
        return "\n".join(lines)


def average_precision(recall, precision) -> float:
    """Area under the precision envelope (all-point interpolation), recall sorted ascending."""
    mrec = np.concatenate([[0.0], np.asarray(recall, float), [1.0]])
    mpre = np.concatenate([[0.0], np.asarray(precision, float), [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    changes = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[changes + 1] - mrec[changes]) * mpre[changes + 1]))


def class_ap(detections, ground_truth, iou_threshold: float = 0.5) -> tuple[float, int, int]:
    """AP of one class.

    detections: list of (image_key, score, box (4,)); ground_truth: {image_key: (boxes (G, 4),
    difficult (G,) bool)}. Returns (AP, number of non-difficult objects, number of detections).
    """
    npos = int(sum((~np.asarray(d, bool)).sum() for _, d in ground_truth.values()))
    if npos == 0:
        return float("nan"), 0, len(detections)
    used = {k: np.zeros(len(b), bool) for k, (b, _) in ground_truth.items()}
    order = sorted(range(len(detections)), key=lambda i: -detections[i][1])
    tp, fp = [], []
    for i in order:
        key, _, box = detections[i]
        boxes, difficult = ground_truth.get(key, (np.zeros((0, 4)), np.zeros(0, bool)))
        if len(boxes) == 0:
            tp.append(0), fp.append(1)
            continue
        overlaps = iou_np(box, boxes)[0]
        j = int(np.argmax(overlaps))
        if overlaps[j] >= iou_threshold:
            if difficult[j]:
                continue  # ignored
            if not used[key][j]:
                used[key][j] = True
                tp.append(1), fp.append(0)
            else:
                tp.append(0), fp.append(1)
        else:
            tp.append(0), fp.append(1)
    if not tp:
        return 0.0, npos, len(detections)
    tp, fp = np.cumsum(tp), np.cumsum(fp)
    recall = tp / npos
    precision = tp / np.maximum(tp + fp, np.finfo(float).eps)
    return average_precision(recall, precision), npos, len(detections)


def evaluate(all_detections, all_ground_truth, classes, iou_threshold: float = 0.5) -> EvalResult:
    """VOC AP per class and mAP.

    all_detections: per image, (boxes (K, 4), scores (K,), class ids (K,) 0-based);
    all_ground_truth: per image, (boxes (G, 4), class ids (G,) 0-based, difficult (G,)).
    """
    aps, ngt, ndet = [], [], []
    for c in range(len(classes)):
        dets, gts = [], {}
        for i, ((db, ds, dc), (gb, gc, gd)) in enumerate(zip(all_detections, all_ground_truth, strict=True)):
            sel = np.asarray(dc) == c
            dets += [(i, float(s), b) for s, b in zip(np.asarray(ds)[sel], np.asarray(db)[sel])]
            gsel = np.asarray(gc) == c
            gts[i] = (np.asarray(gb, float).reshape(-1, 4)[gsel], np.asarray(gd, bool)[gsel])
        ap, n, d = class_ap(dets, gts, iou_threshold)
        aps.append(ap), ngt.append(n), ndet.append(d)
    return EvalResult(tuple(classes), np.asarray(aps, float), np.asarray(ngt, int), np.asarray(ndet, int))


def evaluate_detector(detector, dataset, batch_size: int = 8, progress: bool = True) -> EvalResult:
    """Run `detector` over a VOCDataset's images and score it against their annotations."""
    from tqdm.auto import tqdm

    from style_transfer.detection.augment import image_dataset

    samples = dataset.samples
    dets = []
    bar = tqdm(total=len(samples), desc="detecting", unit="img", disable=not progress)
    for start, batch in zip(range(0, len(samples), batch_size), image_dataset(samples, batch_size)):
        chunk = samples[start:start + batch_size]
        for d in detector.detect_batch(batch, [(s.width, s.height) for s in chunk]):
            dets.append((d.boxes, d.scores, d.classes))
        bar.update(len(chunk))
    bar.close()
    gts = [(s.boxes, s.labels - 1, s.difficult) for s in samples]
    return evaluate(dets, gts, dataset.classes)
