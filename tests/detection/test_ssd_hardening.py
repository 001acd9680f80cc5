"""Untrusted VOC data, checkpoints and settings: each problem is one line naming the file, never a traceback."""
import shutil

import numpy as np
import pytest
from PIL import Image

from style_transfer._models import SSD300
from style_transfer.cli.main import main
from style_transfer.detection import train as train_module
from style_transfer.detection.checkpoint import optimizer_path, save_checkpoint
from style_transfer.detection.train import TrainConfig, TrainResult, train_ssd
from style_transfer.detection.voc import load_voc
from style_transfer.errors import NonFiniteLossError, UserInputError


def _run(capsys, *args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def _edit(xml, old, new):
    text = xml.read_text()
    assert old in text
    xml.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("old, new", [
    ("<width>64</width>", "<width>nan</width>"),
    ("<width>64</width>", "<width>1e400</width>"),
    ("<height>48</height>", "<height>-inf</height>"),
    ("<xmax>30</xmax>", "<xmax>nan</xmax>"),
    ("<ymin>5</ymin>", "<ymin>NaN</ymin>"),
    ("<xmin>4</xmin>", "<xmin>-1e400</xmin>"),
])
def test_non_finite_numbers_are_rejected_naming_the_file(tiny_voc, old, new):
    xml = tiny_voc / "Annotations" / "a.xml"
    _edit(xml, old, new)
    with pytest.raises(UserInputError, match="not a finite number") as err:
        load_voc(tiny_voc, "train", ["Tree"], warn=lambda m: None)
    assert str(xml) in str(err.value) and "\n" not in str(err.value)
    notes = []
    with pytest.raises(UserInputError, match="no usable samples"):  # training skips it, saying why
        load_voc(tiny_voc, "train", ["Tree"], strict=False, warn=notes.append)
    assert str(xml) in notes[-1]


def test_truncated_jpeg_is_rejected_at_load_time(tiny_voc):
    image = tiny_voc / "JPEGImages" / "a.jpg"
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2])  # the header (and so the size) is intact
    with Image.open(image) as img:
        assert img.size == (64, 48)
    with pytest.raises(UserInputError, match="a.jpg") as err:
        load_voc(tiny_voc, "train", ["Tree"], warn=lambda m: None)
    assert "a.xml" in str(err.value)


def test_image_format_tensorflow_cannot_decode_is_rejected(tmp_path):
    from tiny_voc import make_tiny_voc

    root = make_tiny_voc(tmp_path / "tiff", fmt="TIFF", suffix=".tif")
    with pytest.raises(UserInputError, match="is TIFF, which TensorFlow cannot decode") as err:
        load_voc(root, "train", ["Tree"], warn=lambda m: None)
    assert "a.tif" in str(err.value)
    for fmt, suffix in (("PNG", ".png"), ("BMP", ".bmp"), ("GIF", ".gif")):
        root = make_tiny_voc(tmp_path / fmt, fmt=fmt, suffix=suffix)
        sample = load_voc(root, "train", ["Tree"], warn=lambda m: None).samples[0]
        assert sample.image_path.suffix == suffix and (sample.width, sample.height) == (64, 48)


@pytest.mark.parametrize("limit", [1000, 2000])  # above twice the limit Pillow raises, above it it warns
def test_decompression_bomb_is_one_line(tiny_voc, monkeypatch, limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)  # the 64×48 image is then "too large"
    with pytest.raises(UserInputError, match="image too large") as err:
        load_voc(tiny_voc, "train", ["Tree"], warn=lambda m: None)
    assert "a.jpg" in str(err.value) and "a.xml" in str(err.value)


def test_paths_stay_inside_the_data_set(tiny_voc, tmp_path):
    outside = tmp_path / "outside.jpg"
    Image.new("RGB", (64, 48)).save(outside)
    xml = tiny_voc / "Annotations" / "a.xml"
    for filename in (str(outside), "../../outside.jpg", "..", "/"):
        _edit(xml, xml.read_text().split("<filename>")[1].split("</filename>")[0], filename)
        sample = load_voc(tiny_voc, "train", ["Tree"], warn=lambda m: None).samples[0]
        assert sample.image_path == tiny_voc / "JPEGImages" / "a.jpg", filename
    split = tiny_voc / "ImageSets" / "Main" / "train.txt"
    split.parent.mkdir(parents=True)
    shutil.copy(xml, tmp_path / "escape.xml")
    for bad_id in ("../../escape", "sub/a", "..", str(tmp_path / "escape")):
        split.write_text(f"a\n{bad_id}\n")
        with pytest.raises(UserInputError, match="bad image id") as err:
            load_voc(tiny_voc, "train", ["Tree"], strict=False, warn=lambda m: None)
        assert str(split) in str(err.value)


def test_non_finite_cli_numbers_are_refused(tiny_voc, tmp_path, capsys):
    out = tmp_path / "m.weights.h5"
    for value in ("nan", "inf", "-1"):
        with pytest.raises(SystemExit) as exit_:  # argparse's usage error: status 2, one line
            main(["train-ssd", "--voc-root", str(tiny_voc), "-o", str(out), "--weight-decay", value])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and "argument --weight-decay: must" in err and not out.exists()
    with pytest.raises(UserInputError, match="weight decay must be a finite number"):
        train_ssd(TrainConfig(str(tiny_voc), str(out), ("Tree",), weight_decay=float("nan")), progress=False)


def _poisoned_step(what):
    """A train step standing in for one that diverged: NaN loss, or a finite loss with NaN weights after it."""
    import tensorflow as tf

    def make(ssd, optimizer, preprocessing):
        def step(images, labels, offsets):
            if what == "weights":
                kernel = ssd.get_layer("conv4_3").kernel
                kernel.assign(tf.fill(kernel.shape, float("nan")))
                return tf.constant(1.0), tf.constant(0.5), tf.constant(0.5)
            nan = tf.constant(float("nan"))
            return nan, nan, nan
        return step
    return make


@pytest.mark.parametrize("what", ["loss", "weights"])
def test_training_stops_when_loss_or_weights_become_non_finite(tiny_voc, tmp_path, monkeypatch, what):
    out = tmp_path / "m.weights.h5"
    out.write_bytes(b"the last good checkpoint")
    monkeypatch.setattr(train_module, "make_train_step", _poisoned_step(what))
    config = TrainConfig(str(tiny_voc), str(out), ("Tree",), epochs=1, batch_size=1, steps_per_epoch=2,
                         augment=False, freeze_stages=5)
    with pytest.raises(NonFiniteLossError, match="NaN|nan") as err:
        train_ssd(config, progress=False, log=lambda m: None)
    assert f"the last good checkpoint {out} is kept" in str(err.value)
    assert out.read_bytes() == b"the last good checkpoint"
    assert not (tmp_path / "m.json").exists()


def test_resume_with_corrupt_optimizer_state_is_one_line(tiny_voc, tmp_path, capsys):
    ck = tmp_path / "ck.weights.h5"
    save_checkpoint(SSD300(class_names=["Tree"]), ck, {"epoch": 0, "epoch_step": 0, "step": 0,
                                                       "optimizer": {"name": "sgd", "lr": 1e-3}})
    out = tmp_path / "next.weights.h5"
    args = ["train-ssd", "--voc-root", tiny_voc, "-o", out, "--resume", ck, "--epochs", "1", "--quiet"]
    for damage in (b"not a zip file", b"PK\x03\x04 truncated"):
        optimizer_path(ck).write_bytes(damage)
        code, err = _run(capsys, *args)
        assert code == 2 and "cannot read optimiser state" in err and "ck.optimizer.npz" in err
        assert len([line for line in err.splitlines() if "error" in line]) == 1 and not out.exists()
    np.savez(optimizer_path(ck), v0=np.array(["text"]))
    code, err = _run(capsys, *args)
    assert code == 2 and "does not match" in err


def test_classes_default_to_those_in_the_annotations(tiny_voc, tmp_path, capsys, monkeypatch):
    seen = {}

    def fake_train(config, progress=True, log=None):
        seen["classes"] = config.classes
        result = TrainResult(config.output, losses=[1.0], steps=1)
        return result

    monkeypatch.setattr(train_module, "train_ssd", fake_train)
    out = tmp_path / "m.weights.h5"
    code, err = _run(capsys, "train-ssd", "--voc-root", tiny_voc, "-o", out)
    assert code == 0, err
    assert seen["classes"] == ("Tree",) and "using the 1 classes found in the annotations" in err and ": Tree\n" in err
    _edit(tiny_voc / "Annotations" / "a.xml", "<name>Tree</name>", "<name>Oak</name>")
    code, err = _run(capsys, "train-ssd", "--voc-root", tiny_voc, "-o", out)
    assert code == 0 and seen["classes"] == ("Oak", "Tree") and "Oak, Tree" in err
    # VOC's own classes keep VOC's list (and its order)
    for name in ("Oak", "Tree"):
        _edit(tiny_voc / "Annotations" / "a.xml", f"<name>{name}</name>", "<name>dog</name>")
    code, err = _run(capsys, "train-ssd", "--voc-root", tiny_voc, "-o", out)
    assert code == 0 and len(seen["classes"]) == 20 and "found in the annotations" not in err
