"""Backbone comparison: (a) SSD300 as loaded, (b) ImageNet VGG16, (c) random VGG16, honestly labelled."""
import numpy as np
import pytest

from cli_run import assert_one_error_line
from paths import IMGS
from style_transfer._models import SSD300
from style_transfer._models import checkpoint as C
from style_transfer.nst import network as B
from style_transfer.showcase.compare import compare_backbones, comparison_extractors, comparison_figure
from style_transfer.nst.config import StyleConfig


@pytest.fixture(scope="module")
def no_checkpoint_extractors():
    mp = pytest.MonkeyPatch()
    mp.setattr(B, "find_checkpoint", lambda *a, **k: None)  # whatever ssd_weights/ holds
    try:
        yield comparison_extractors()
    finally:
        mp.undo()


def test_without_checkpoint_a_and_b_are_said_to_be_the_same(no_checkpoint_extractors):
    (a, la, ea), (b, lb, eb), (c, lc, ec) = no_checkpoint_extractors
    assert (a, b, c) == ("ssd300", "imagenet", "random")
    assert "ImageNet init, no VOC checkpoint" in la and "same weights as (b)" in la
    assert lb == "(b) ImageNet VGG16" and "random" in lc
    k_a, k_b, k_c = (e.vgg.get_layer("conv1_1").get_weights()[0] for e in (ea, eb, ec))
    np.testing.assert_array_equal(k_a, k_b)
    assert not np.allclose(k_c, k_b)


def test_with_checkpoint_a_uses_its_weights(tmp_path):
    ssd = SSD300(class_names=["boat"])
    B.init_vgg16_from_imagenet(ssd.vgg16_layers())
    conv = ssd.get_layer("conv1_1")
    kernel, bias = conv.get_weights()
    conv.set_weights([kernel * 1.5, bias + 0.25])  # a "fine-tuned" backbone
    path = tmp_path / "voc.weights.h5"
    C.save_ssd300(ssd, path)
    (_, la, ea), (_, _, eb), _ = comparison_extractors(path)
    assert "checkpoint voc.weights.h5" in la and "same weights" not in la
    got = ea.vgg.get_layer("conv1_1").get_weights()
    np.testing.assert_array_equal(got[0], kernel * 1.5)
    np.testing.assert_array_equal(got[1], bias + 0.25)
    assert not np.array_equal(got[0], eb.vgg.get_layer("conv1_1").get_weights()[0])


def test_compare_runs_and_figure(no_checkpoint_extractors, content_small, style_small, tmp_path):
    runs = compare_backbones(content_small, style_small, StyleConfig(steps=2), progress=False,
                             extractors=no_checkpoint_extractors)
    assert [r.backbone for r in runs] == ["ssd300", "imagenet", "random"]
    for r in runs:
        assert r.result.steps == 2 and r.seconds > 0 and np.isfinite(r.result.final_loss)
        assert r.result.image.shape == content_small.shape
    # (a) and (b) share weights, so they give the same image
    np.testing.assert_array_equal(runs[0].result.image, runs[1].result.image)
    fig = comparison_figure(content_small, style_small, runs, title="test")
    h = content_small.shape[0]
    assert fig.height > h + 40  # title and captions
    assert fig.width >= 5 * content_small.shape[1] - 2  # content, style, three results at one height


def test_compare_cli_bad_input(cli, tmp_path):
    r = cli("compare-backbones", IMGS / "chelsea.jpg", tmp_path / "nope.png", "-o", tmp_path / "f.png")
    assert r.returncode == 2 and r.stdout == ""
    assert_one_error_line(r.stderr, "nope.png")
    assert list(tmp_path.iterdir()) == []
