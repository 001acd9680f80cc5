"""VGG16 convolutional stack with a truncated `until stage N` variant.

Layer names follow the Caffe/SSD convention: conv1_1 … conv5_3 and pool1 … pool4.
Pools use 'same' padding (ceil mode), as SSD300 does, so a 300×300 input gives
feature maps of 300, 150, 75, 38 and 19 cells for stages 1–5.
"""
from __future__ import annotations

import keras

# (stage, number of conv layers, filters) for VGG16's five stages.
VGG16_STAGES = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))

# ImageNet (Keras application) names of the 13 conv layers, in order.
IMAGENET_CONV_NAMES = tuple(
    f"block{stage}_conv{i}" for stage, n, _ in VGG16_STAGES for i in range(1, n + 1)
)
CONV_NAMES = tuple(f"conv{stage}_{i}" for stage, n, _ in VGG16_STAGES for i in range(1, n + 1))


def vgg16_layer_specs(until: int = 5):
    """Yield (name, kind, filters) for conv1_1 … conv{until}_3 with pools between stages."""
    if not 1 <= until <= 5:
        raise ValueError(f"until must be a stage between 1 and 5, got {until}")
    for stage, n_convs, filters in VGG16_STAGES[:until]:
        if stage > 1:
            yield f"pool{stage - 1}", "pool", None
        for i in range(1, n_convs + 1):
            yield f"conv{stage}_{i}", "conv", filters


def make_vgg16_layer(name: str, kind: str, filters: int | None) -> keras.layers.Layer:
    """Create one VGG16 layer (3×3 ReLU conv or 2×2/2 max pool with ceil mode)."""
    if kind == "conv":
        return keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)
    return keras.layers.MaxPooling2D(2, strides=2, padding="same", name=name)


def VGG16(until: int = 5, input_shape=(None, None, 3), name: str = "vgg16") -> keras.Model:
    """VGG16 up to and including stage `until` (default 5: conv1_1 … conv5_3, 17 layers).

    The model is fully convolutional: any input height and width works. Weights are
    freshly initialised; copy trained ones in with `set_weights`.
    """
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for spec in vgg16_layer_specs(until):
        x = make_vgg16_layer(*spec)(x)
    return keras.Model(inputs, x, name=name)
