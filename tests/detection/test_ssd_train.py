"""Training on real tiles: the loss falls; train-ssd checkpoints resume, detect, evaluate and feed the style pipeline."""
import json
import math
import shutil

import numpy as np
import pytest

from style_transfer._models import checkpoint as C
from style_transfer.nst import network as B
from style_transfer.cli.main import main
from style_transfer.detection.checkpoint import load_detector, optimizer_path
from style_transfer.detection.train import TrainConfig, train_ssd
from style_transfer.detection.voc import load_voc
from style_transfer.nst.weights import imagenet_vgg16_weights


@pytest.fixture(scope="module")
def overfit(tree_voc, tmp_path_factory):
    """12 steps on the one tile with the most trees, no augmentation, VGG16 kept fixed (cheap steps)."""
    data = load_voc(tree_voc, "train", ("Tree",))
    sample = max(data.samples, key=lambda s: len(s.labels))
    root = tmp_path_factory.mktemp("one_tile")
    for sub in ("Annotations", "JPEGImages"):
        (root / sub).mkdir()
    shutil.copy(sample.annotation_path, root / "Annotations")
    shutil.copy(sample.image_path, root / "JPEGImages")
    out = root / "overfit.weights.h5"
    config = TrainConfig(str(root), str(out), ("Tree",), epochs=1, batch_size=1, steps_per_epoch=12,
                         augment=False, freeze_stages=5)
    return train_ssd(config, progress=False, log=lambda m: None), out


def test_loss_finite_and_falls_when_overfitting(overfit):
    result, out = overfit
    assert result.steps == 12 and len(result.losses) == 12
    assert all(math.isfinite(v) for v in result.losses + result.cls_losses + result.loc_losses)
    np.testing.assert_allclose(result.losses, np.add(result.cls_losses, result.loc_losses), rtol=1e-5)
    first, last = np.mean(result.losses[:2]), np.mean(result.losses[-2:])
    assert last < 0.75 * first, result.losses
    assert out.exists() and json.loads(out.with_name("overfit.json").read_text())["classes"] == ["Tree"]


@pytest.fixture(scope="module")
def cli_checkpoint(tree_voc, tmp_path_factory):
    """One train-ssd step (all layers trained, with augmentation) through the command line."""
    out = tmp_path_factory.mktemp("train_cli") / "trees.weights.h5"
    code = main(["train-ssd", "--voc-root", str(tree_voc), "-o", str(out), "--classes", "Tree",
                 "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "1", "--quiet"])
    assert code == 0
    return out


def test_train_ssd_checkpoint_records_classes_preprocessing_and_state(cli_checkpoint):
    meta = json.loads(C.metadata_path(cli_checkpoint).read_text())
    assert meta["classes"] == ["Tree"]
    assert C.Preprocessing.from_dict(meta["preprocessing"]) == C.CAFFE
    assert meta["epoch"] == 1 and meta["step"] == 1 and meta["input"]["size"] == [300, 300]
    assert optimizer_path(cli_checkpoint).exists()
    assert not [p for p in cli_checkpoint.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_checkpoint_loads_into_ssd300_and_style_pipeline(cli_checkpoint, tmp_path, capsys):
    ssd, prep, meta, _ = load_detector(cli_checkpoint)
    assert ssd.num_classes == 2 and ssd.class_names == ("Tree",) and prep == C.CAFFE
    ssd2, _, desc = B.load_ssd300(cli_checkpoint)
    assert "trees.weights.h5" in desc and ssd2.class_names == ("Tree",)
    for a, b in zip(ssd.weights, ssd2.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    extractor = B.build_feature_extractor(cli_checkpoint)
    imagenet = imagenet_vgg16_weights()
    for layer in ssd.vgg16_layers():
        if not layer.weights:
            continue
        copied = extractor.vgg.get_layer(layer.name).get_weights()
        for w_ckpt, w_copy in zip(layer.get_weights(), copied):
            np.testing.assert_array_equal(w_copy, w_ckpt)  # the checkpoint's weights …
        assert not np.array_equal(copied[0], imagenet[layer.name][0])  # … which training moved off ImageNet's
    # and the image command runs on that backbone
    out = tmp_path / "styled.png"
    code = main(["image", "imgs/chelsea.jpg", "imgs/GreatWave.png", "-o", str(out), "--ssd-weights",
                 str(cli_checkpoint), "--size", "64", "--steps", "2", "--quiet"])
    assert code == 0 and out.exists()


def test_resume_continues_epochs_and_optimizer(cli_checkpoint, tree_voc, capsys):
    out = cli_checkpoint.with_name("resumed.weights.h5")
    args = ["train-ssd", "--voc-root", str(tree_voc), "-o", str(out), "--resume", str(cli_checkpoint),
            "--steps-per-epoch", "1", "--batch-size", "1", "--quiet"]
    assert main(args + ["--epochs", "1"]) == 2
    assert "already done 1 epochs" in capsys.readouterr().err
    assert main(args[:3] + ["-o", str(cli_checkpoint)] + args[5:] + ["--epochs", "2"]) == 2
    assert "would overwrite" in capsys.readouterr().err
    assert main(args + ["--epochs", "2"]) == 0
    meta = json.loads(C.metadata_path(out).read_text())
    assert meta["classes"] == ["Tree"] and meta["epoch"] == 2 and meta["step"] == 2
    with np.load(optimizer_path(cli_checkpoint)) as before, np.load(optimizer_path(out)) as after:
        assert int(before["v0"]) == 1 and int(after["v0"]) == 2  # optimiser iterations carried on
    a, _, _, _ = load_detector(cli_checkpoint)
    b, _, _, _ = load_detector(out)
    assert not np.array_equal(a.get_layer("conv4_3").get_weights()[0], b.get_layer("conv4_3").get_weights()[0])


def test_detect_and_evaluate_commands(overfit, tree_voc, tmp_path, capsys):
    _, ckpt = overfit
    image = sorted((tree_voc / "JPEGImages").glob("*.jpg"))[0]
    out = tmp_path / "detections.jpg"
    code = main(["detect", str(image), "-o", str(out), "--ssd-weights", str(ckpt), "--score-threshold", "0.05",
                 "--max-detections", "20"])
    captured = capsys.readouterr()
    assert code == 0 and "detection(s)" in captured.err
    lines = captured.out.strip().splitlines()
    assert 1 <= len(lines) <= 20
    for line in lines:
        name, score, *box = line.split()
        assert name == "Tree" and 0.05 <= float(score) <= 1 and len(box) == 4
    from PIL import Image

    drawn, original = Image.open(out), Image.open(image)
    assert drawn.size == original.size
    assert np.abs(np.asarray(drawn, float) - np.asarray(original, float)).mean() > 0.5
    code = main(["evaluate-ssd", "--voc-root", str(tree_voc), "--ssd-weights", str(ckpt), "--quiet"])
    table = capsys.readouterr().out
    assert code == 0
    tree_line = next(line for line in table.splitlines() if line.startswith("Tree"))
    n_objects = sum(len(s.labels) for s in load_voc(tree_voc, "test", ("Tree",)).samples)
    assert int(tree_line.split()[1]) == n_objects
    map_line = next(line for line in table.splitlines() if line.startswith("mAP@0.5"))
    # one class: the mean AP is that class's AP (a bound like 0 ≤ mAP ≤ 1 could never fail)
    assert float(map_line.split()[-1]) == float(tree_line.split()[-1])
    assert int(map_line.split()[1]) == n_objects
