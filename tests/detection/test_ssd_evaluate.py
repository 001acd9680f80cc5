"""VOC AP/mAP on a hand-computed example; detections drawn on an image."""
import numpy as np
import pytest
from PIL import Image

from style_transfer.detection.detect import PALETTE, Detections, draw_detections
from style_transfer.detection.evaluate import average_precision, evaluate


def test_map_hand_computed():
    classes = ("a", "b", "c")
    ground_truth = [
        # image 0: two "a"
        (np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float), np.array([0, 0]), np.array([False, False])),
        # image 1: one "a", one difficult "a", one "b"
        (np.array([[0, 0, 10, 10], [50, 50, 60, 60], [0, 0, 4, 4]], float), np.array([0, 0, 1]),
         np.array([False, True, False])),
    ]
    detections = [
        (np.array([[0, 0, 10, 10], [0, 0, 10, 9]], float), np.array([0.9, 0.8]), np.array([0, 0])),
        (np.array([[50, 50, 60, 60], [100, 100, 110, 110], [0, 0, 10, 10], [0, 0, 4, 2], [5, 5, 9, 9]], float),
         np.array([0.7, 0.6, 0.5, 0.95, 0.3]), np.array([0, 0, 0, 1, 2])),
    ]
    # class a, by score: TP (0.9), FP duplicate (0.8), difficult ignored (0.7), FP (0.6), TP (0.5); 3 objects.
    # recall 1/3 1/3 1/3 2/3, precision 1 1/2 1/3 1/2 → AP = 1/3·1 + 1/3·1/2 = 0.5
    # class b: one detection with IoU exactly 0.5 → TP → AP 1; class c: no objects → n/a
    result = evaluate(detections, ground_truth, classes)
    np.testing.assert_allclose(result.ap[:2], [0.5, 1.0])
    assert np.isnan(result.ap[2])
    assert result.map == pytest.approx(0.75)
    assert result.num_gt.tolist() == [3, 1, 0] and result.num_det.tolist() == [5, 1, 1]
    table = result.table()
    assert "mAP@0.5" in table and "0.7500" in table and "n/a" in table


def test_average_precision_all_point():
    # the envelope takes the best precision at any higher recall
    assert average_precision([0.25, 0.5, 0.5, 1.0], [1.0, 0.5, 0.4, 0.8]) == pytest.approx(0.25 + 0.75 * 0.8)
    assert average_precision([1.0], [1.0]) == pytest.approx(1.0)
    # no true positives in one class → AP 0
    res = evaluate([(np.array([[0, 0, 1, 1]]), np.array([0.9]), np.array([0]))],
                   [(np.array([[5, 5, 9, 9]]), np.array([0]), np.array([False]))], ("x",))
    assert res.ap.tolist() == [0.0]


def test_detections_drawn_on_image():
    img = Image.new("RGB", (200, 150), (128, 128, 128))
    dets = Detections(np.array([[20, 40, 120, 140], [150, 10, 190, 60]], np.float32),
                      np.array([0.91, 0.55], np.float32), np.array([0, 1]))
    out = draw_detections(img, dets, ["Tree", "Snag"])
    assert out.size == img.size and img.getpixel((20, 100)) == (128, 128, 128)  # input untouched
    arr = np.asarray(out)
    assert tuple(arr[100, 20]) == PALETTE[0]   # left edge of box 0
    assert tuple(arr[139, 70]) == PALETTE[0]   # bottom edge of box 0
    assert tuple(arr[40, 189]) == PALETTE[1]   # right edge of box 1
    assert tuple(arr[100, 70]) == (128, 128, 128)  # inside a box: unchanged
    # the label sits above box 0 on a filled band of its colour, with text pixels in it
    band = arr[25:39, 22:60].reshape(-1, 3)
    assert (band == PALETTE[0]).all(axis=1).mean() > 0.4
    assert (band != PALETTE[0]).any(axis=1).mean() > 0.05
