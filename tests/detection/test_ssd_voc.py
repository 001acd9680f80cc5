"""VOC-format reading and validation, the tf.data pipeline, and bad input at the command line."""
import shutil

import numpy as np
import pytest
import tensorflow as tf

import deepforest_voc
from style_transfer._models import SSD300
from style_transfer._models.boxes import decode, default_boxes
from style_transfer.cli.main import main
from style_transfer.detection.augment import augment, iou_crop, training_dataset, zoom_out
from style_transfer.detection.checkpoint import save_checkpoint
from style_transfer.detection.voc import load_voc, parse_classes
from style_transfer.errors import UserInputError


def test_reads_real_tiles(tree_voc):
    train = load_voc(tree_voc, "train", ("Tree",))
    test = load_voc(tree_voc, "test", ("Tree",))
    assert len(train) + len(test) == len(list((tree_voc / "Annotations").glob("*.xml")))
    assert not {s.image_id for s in train.samples} & {s.image_id for s in test.samples}
    assert train.num_objects > 300 and not train.skipped
    assert deepforest_voc.tile_sizes_ok(tree_voc)
    for s in train.samples:
        assert 300 <= s.width <= 600 and 300 <= s.height <= 600
        assert (s.boxes[:, :2] >= 0).all() and (s.boxes[:, 2] <= s.width).all() and (s.boxes[:, 3] <= s.height).all()
        assert (s.labels == 1).all() and not s.difficult.any()


def test_split_fallback_classes_and_difficult(tree_voc, tmp_path):
    root = tmp_path / "voc"
    shutil.copytree(tree_voc, root)
    shutil.rmtree(root / "ImageSets")
    notes = []
    data = load_voc(root, "train", ["Tree"], warn=notes.append)
    assert len(data) == len(list((root / "Annotations").glob("*.xml")))
    assert "using all" in notes[0]
    k = next(i for i, s in enumerate(data.samples) if len(s.labels) >= 2)
    xml = root / "Annotations" / f"{data.samples[k].image_id}.xml"
    xml.write_text(xml.read_text().replace("<difficult>0</difficult>", "<difficult>1</difficult>", 1))
    again = load_voc(root, "train", ["Tree"], warn=notes.append)
    assert again.samples[k].difficult[0] and not again.samples[k].difficult[1:].any()
    assert parse_classes(None)[0] == "aeroplane" and len(parse_classes(None)) == 20
    assert parse_classes(["cat,dog", "bird"]) == ("cat", "dog", "bird")
    with pytest.raises(UserInputError, match="duplicate"):
        parse_classes(["cat", "cat"])


def test_pipeline_batches_and_augmentation_keeps_boxes_on_objects(tree_voc):
    data = load_voc(tree_voc, "train", ("Tree",))
    tf.random.set_seed(0)
    images, labels, offsets = next(iter(training_dataset(data.samples[:4], 4, augment_data=True, seed=0)))
    assert images.shape == (4, 300, 300, 3) and labels.shape == (4, 8732) and offsets.shape == (4, 8732, 4)
    assert 0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 255
    assert (labels.numpy() > 0).sum() > 0
    pos = labels.numpy() > 0
    decoded = decode(offsets, default_boxes()).numpy()[pos]
    assert (decoded >= -1e-4).all() and (decoded <= 1 + 1e-4).all()
    # zoom-out and crop move boxes with the image: a white square on black stays under its box
    img = np.zeros((100, 200, 3), np.float32)
    img[20:40, 50:90] = 255.0
    box = np.array([[50 / 200, 20 / 100, 90 / 200, 40 / 100]], np.float32)
    for seed in range(5):
        tf.random.set_seed(seed)
        out, b = zoom_out(tf.constant(img), tf.constant(box))
        out, b, lab = iou_crop(out, b, tf.constant([1]))
        if len(b) == 0:
            continue
        h, w = out.shape[:2]
        x0, y0, x1, y1 = (b.numpy()[0] * [w, h, w, h]).round().astype(int)
        inner = out.numpy()[y0 + 1:y1 - 1, x0 + 1:x1 - 1, 0]
        assert inner.size and inner.mean() > 200
    aug, b, lab = augment(tf.constant(img), tf.constant(box), tf.constant([1]))
    assert b.shape[1] == 4 and lab.shape[0] == b.shape[0]


@pytest.fixture
def bad_root(tree_voc, tmp_path):
    """A small copy of the tree data set to break."""
    root = tmp_path / "bad"
    for sub in ("Annotations", "JPEGImages"):
        (root / sub).mkdir(parents=True)
    ids = sorted(p.stem for p in (tree_voc / "Annotations").glob("*.xml"))[:3]
    for i in ids:
        shutil.copy(tree_voc / "Annotations" / f"{i}.xml", root / "Annotations")
        shutil.copy(tree_voc / "JPEGImages" / f"{i}.jpg", root / "JPEGImages")
    return root, ids


def _run(capsys, *args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("breakage, message", [
    ("xml", "malformed XML in"),
    ("xmin", "need xmin < xmax"),
    ("outside", "lies outside"),
    ("image", "image file missing for"),
    ("class", "unknown class 'Snag'"),
])
def test_bad_samples(bad_root, tmp_path, capsys, breakage, message):
    root, ids = bad_root
    xml = root / "Annotations" / f"{ids[1]}.xml"
    text = xml.read_text()
    if breakage == "xml":
        xml.write_text(text[: len(text) // 2])
    elif breakage == "xmin":
        xml.write_text(text.replace("<xmin>", "<xmin>9999", 1))
    elif breakage == "outside":
        xml.write_text(text.replace("<ymax>", "<ymax>1", 1).replace("<ymax>1", "<ymax>9", 1))
    elif breakage == "image":
        (root / "JPEGImages" / f"{ids[1]}.jpg").unlink()
    else:
        xml.write_text(text.replace("<name>Tree</name>", "<name>Snag</name>", 1))
    # strict reading (evaluation): an error naming the file
    with pytest.raises(UserInputError, match=message) as err:
        load_voc(root, "train", ["Tree"])
    assert ids[1] in str(err.value)
    out = tmp_path / "never.weights.h5"
    code, stderr = _run(capsys, "evaluate-ssd", "--voc-root", root, "--ssd-weights", out, "--split", "train")
    assert code == 2 and "weights not found" in stderr
    if breakage == "class":  # a wrong class list is an error in training too
        code, stderr = _run(capsys, "train-ssd", "--voc-root", root, "-o", out, "--classes", "Tree")
        assert code == 2 and "style-transfer: error: unknown class 'Snag'" in stderr and ids[1] in stderr
        assert not out.exists()
    else:  # training skips the bad sample, says so, and counts it
        notes = []
        data = load_voc(root, "train", ["Tree"], strict=False, warn=notes.append)
        assert len(data) == 2 and len(data.skipped) == 1 and ids[1] in notes[-1]


def test_bad_roots_and_checkpoints(bad_root, tmp_path, capsys):
    root, _ = bad_root
    out = tmp_path / "m.weights.h5"
    code, err = _run(capsys, "train-ssd", "--voc-root", tmp_path / "nowhere", "-o", out)
    assert code == 2 and "not a directory" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = _run(capsys, "train-ssd", "--voc-root", empty, "-o", out)
    assert code == 2 and "no Annotations folder" in err and str(empty) in err
    code, err = _run(capsys, "train-ssd", "--voc-root", root, "-o", tmp_path / "m.h5")
    assert code == 2 and "must end in .weights.h5" in err
    for xml in (root / "Annotations").glob("*.xml"):
        xml.write_text("<annotation>")
    code, err = _run(capsys, "train-ssd", "--voc-root", root, "-o", out, "--classes", "Tree", "--quiet")
    assert code == 2 and "no usable samples" in err and "3 skipped" in err
    # a checkpoint for another class count
    ck = tmp_path / "three.weights.h5"
    save_checkpoint(SSD300(class_names=["a", "b", "c"]), ck)
    code, err = _run(capsys, "evaluate-ssd", "--voc-root", root, "--ssd-weights", ck, "--classes", "Tree")
    assert code == 2 and "trained for 3 classes (a, b, c), not the 1 given (Tree)" in err
    (tmp_path / "three.json").unlink()
    code, err = _run(capsys, "detect", "imgs/chelsea.jpg", "-o", tmp_path / "d.jpg", "--ssd-weights", ck,
                     "--classes", "Tree")
    assert code == 2 and "cannot load SSD300 weights" in err and "three.weights.h5" in err
    assert not (tmp_path / "d.jpg").exists()
