"""SSD300 → frozen truncated VGG16: copy, freezing, outputs, checkpoints."""
import json

import numpy as np
import pytest

from style_transfer._models import SSD300
from style_transfer._models import checkpoint as C
from style_transfer.nst import network as B
from style_transfer.errors import UserInputError
from style_transfer.nst.weights import imagenet_vgg16_weights


@pytest.fixture(scope="module")
def ssd_and_vgg():
    ssd, prep, _ = B.load_ssd300(search_dir="/nonexistent")
    return ssd, B.copy_vgg16_backbone(ssd)


def test_copy_equals_ssd_backbone_and_is_frozen(ssd_and_vgg):
    ssd, vgg = ssd_and_vgg
    copied = vgg.layers[1:]
    assert len(copied) == 17
    for src, dst in zip(ssd.vgg16_layers(), copied):
        assert src.name == dst.name
        assert B.layer_weights_equal(src, dst)
        assert not dst.trainable
    assert vgg.trainable_weights == []


def test_default_backbone_is_imagenet(ssd_and_vgg):
    _, vgg = ssd_and_vgg
    ref = imagenet_vgg16_weights()
    np.testing.assert_array_equal(vgg.get_layer("conv5_3").get_weights()[0], ref["conv5_3"][0])


def test_output_names_and_shapes_300(extractor):
    assert extractor.style_layers + extractor.content_layers == (
        "conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "conv5_2")
    feats = extractor.features(np.zeros((1, 300, 300, 3), np.float32))
    shapes = [tuple(feats[n].shape[1:]) for n in extractor.style_layers + extractor.content_layers]
    assert shapes == [(300, 300, 64), (300, 300, 64), (150, 150, 64), (150, 150, 128), (150, 150, 128),
                      (19, 19, 512)]
    assert extractor.model.trainable_weights == []


def test_output_shapes_non_square(extractor):
    feats = extractor.features(np.zeros((1, 200, 320, 3), np.float32))
    assert tuple(feats["conv1_1"].shape) == (1, 200, 320, 64)
    assert tuple(feats["pool1"].shape) == (1, 100, 160, 64)
    assert tuple(feats["conv5_2"].shape) == (1, 13, 20, 512)


def test_shapes_without_running_and_targets_alone(extractor):
    """output_shapes matches a real run; style_features equal the full call's style layers."""
    x = np.random.RandomState(0).uniform(0, 255, (1, 61, 97, 3)).astype(np.float32)
    feats = extractor.features(x)
    assert extractor.output_shapes(61, 97) == {n: tuple(t.shape) for n, t in feats.items()}
    style = extractor.style_features(x)
    assert list(style) == list(extractor.style_layers)
    for n in extractor.style_layers:
        np.testing.assert_array_equal(feats[n].numpy(), style[n].numpy())


def test_frozen_convs_input_gradient_equals_tensorflows(extractor, monkeypatch):
    """The frozen copy's convs compute their input gradient as a forward conv; it equals
    TensorFlow's own (Conv2DBackpropInput) through the whole loss network."""
    import tensorflow as tf

    x = tf.constant(np.random.RandomState(1).uniform(0, 255, (1, 40, 56, 3)).astype(np.float32))

    def gradient():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.add_n([tf.reduce_mean(tf.square(f)) for f in extractor.features(x).values()])
        return tape.gradient(loss, x).numpy()

    import style_transfer._models.vgg16 as vgg16_module

    calls = []
    real = vgg16_module.conv_with_forward_input_gradient
    monkeypatch.setattr(vgg16_module, "conv_with_forward_input_gradient",
                        lambda *a: calls.append(1) or real(*a))
    convs = [layer for layer in extractor.vgg.layers if hasattr(layer, "forward_input_gradient")]
    assert len(convs) == 13
    lean = gradient()
    assert len(calls) == 12  # every conv up to conv5_2 (the deepest output) took the lean path
    try:
        for layer in convs:
            layer.forward_input_gradient = False
        plain = gradient()
    finally:
        for layer in convs:
            layer.forward_input_gradient = True
    np.testing.assert_allclose(lean, plain, rtol=1e-3, atol=1e-4 * np.abs(plain).max())
    assert np.abs(plain).max() > 0


def test_layers_by_name(extractor):
    other = extractor.with_layers(["conv3_1", "conv4_1"], ["conv4_2"])
    feats = other.features(np.zeros((1, 64, 64, 3), np.float32))
    assert [(n, tuple(t.shape[1:])) for n, t in feats.items()] == [
        ("conv3_1", (16, 16, 256)), ("conv4_1", (8, 8, 512)), ("conv4_2", (8, 8, 512))]
    assert extractor.with_layers(["conv3_1", "conv4_1"], ["conv4_2"]) is other  # built once per choice
    with pytest.raises(UserInputError, match="unknown style layer 'conv9_9'"):
        extractor.with_layers(["conv9_9"])


def test_content_features_are_conv5_2s_activation(extractor):
    """The content layer's features equal conv5_2's output computed layer by layer, independently of
    the tapped model (same shape as conv5_1's and conv5_3's, so compare values, not names)."""
    x = np.random.RandomState(2).uniform(0, 255, (1, 48, 64, 3)).astype(np.float32)
    h = np.asarray(C.CAFFE.apply(x))
    for layer in extractor.vgg.layers[1:]:
        h = layer(h)
        if layer.name == "conv5_2":
            break
    content = extractor.features(x)["conv5_2"].numpy()
    assert extractor.content_layers == ("conv5_2",)
    np.testing.assert_allclose(content, np.asarray(h), rtol=1e-4, atol=1e-3)
    for other in ("conv5_1", "conv5_3"):
        assert not np.allclose(content, extractor.with_layers(content_layers=[other]).features(x)[other].numpy())


def test_caffe_preprocessing(extractor):
    rgb = np.array([[[[10.0, 20.0, 30.0]]]], np.float32)
    out = np.asarray(C.CAFFE.apply(rgb))
    np.testing.assert_allclose(out[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)


def test_checkpoint_backbone_replaces_imagenet(tmp_path):
    ssd = SSD300(class_names=["tree"])
    rng = np.random.RandomState(1)
    for layer in ssd.vgg16_layers():
        if layer.weights:
            layer.set_weights([rng.normal(0, 0.01, w.shape).astype("float32") for w in layer.get_weights()])
    path = tmp_path / "trees.weights.h5"
    C.save_ssd300(ssd, path, C.Preprocessing(bgr=False, mean=(1.0, 2.0, 3.0)))
    meta = json.loads((tmp_path / "trees.json").read_text())
    assert meta["classes"] == ["tree"] and meta["preprocessing"]["bgr"] is False
    ex = B.build_feature_extractor(path)
    assert ex.preprocessing == C.Preprocessing(bgr=False, mean=(1.0, 2.0, 3.0))
    np.testing.assert_array_equal(ex.vgg.get_layer("conv2_1").get_weights()[0],
                                  ssd.get_layer("conv2_1").get_weights()[0])
    # and the search directory picks it up by itself
    ssd2, _, desc = B.load_ssd300(search_dir=tmp_path)
    assert "trees.weights.h5" in desc and ssd2.num_classes == 2


def test_missing_or_bad_checkpoint(tmp_path):
    with pytest.raises(UserInputError, match="not found"):
        B.load_ssd300(tmp_path / "none.weights.h5")
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(UserInputError, match="cannot load"):
        B.load_ssd300(bad)
