"""SSD300 (Liu et al., 2016) in Keras 3: VGG16 backbone, extra feature layers, heads.

Six source feature maps (38, 19, 10, 5, 3, 1 cells for a 300×300 input) carry
4, 6, 6, 6, 4, 4 default boxes per cell: 8732 boxes in all. The model outputs
class logits (batch, 8732, num_classes) and box offsets (batch, 8732, 4).
"""
from __future__ import annotations

import keras
from keras import ops

from .vgg16 import make_vgg16_layer, vgg16_layer_specs

VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)
FEATURE_MAP_SIZES = (38, 19, 10, 5, 3, 1)
BOXES_PER_CELL = (4, 6, 6, 6, 4, 4)
NUM_DEFAULT_BOXES = sum(s * s * b for s, b in zip(FEATURE_MAP_SIZES, BOXES_PER_CELL))  # 8732
INPUT_SIZE = 300


@keras.saving.register_keras_serializable(package="models")
class L2Normalization(keras.layers.Layer):
    """Channel-wise L2 normalisation with a learned per-channel scale (SSD's conv4_3 norm)."""

    def __init__(self, scale: float = 20.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def build(self, input_shape):
        self.gamma = self.add_weight(
            name="gamma", shape=(input_shape[-1],),
            initializer=keras.initializers.Constant(self.scale),
        )

    def call(self, x):
        return self.gamma * x / ops.sqrt(ops.sum(ops.square(x), axis=-1, keepdims=True) + 1e-10)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def _conv(filters, size, name, strides=1, padding="same", dilation=1, activation="relu"):
    return keras.layers.Conv2D(
        filters, size, strides=strides, padding=padding, dilation_rate=dilation,
        activation=activation, name=name,
    )


class SSD300(keras.Model):
    """SSD300 detector with a VGG16 (conv1_1 … conv5_3) backbone.

    `num_classes` counts the background class (21 for PASCAL VOC). `class_names`
    lists the foreground classes in order (class index i + 1).
    """

    def __init__(self, num_classes: int | None = None, class_names=None, name: str = "ssd300", **kwargs):
        class_names = tuple(class_names) if class_names is not None else VOC_CLASSES
        if num_classes is None:
            num_classes = len(class_names) + 1
        if num_classes != len(class_names) + 1:
            raise ValueError(f"num_classes={num_classes} does not match {len(class_names)} class names + background")
        inputs = keras.Input(shape=(INPUT_SIZE, INPUT_SIZE, 3), name="image")
        x = inputs
        for spec in vgg16_layer_specs(5):
            x = make_vgg16_layer(*spec)(x)
            if spec[0] == "conv4_3":
                conv4_3 = x
        sources = [L2Normalization(20.0, name="conv4_3_norm")(conv4_3)]
        x = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="pool5")(x)
        x = _conv(1024, 3, "fc6", dilation=6)(x)
        x = _conv(1024, 1, "fc7")(x)
        sources.append(x)
        for idx, (mid, out, stride, pad) in enumerate(
            ((256, 512, 2, "same"), (128, 256, 2, "same"), (128, 256, 1, "valid"), (128, 256, 1, "valid")),
            start=8,
        ):
            x = _conv(mid, 1, f"conv{idx}_1")(x)
            x = _conv(out, 3, f"conv{idx}_2", strides=stride, padding=pad)(x)
            sources.append(x)
        class_out, box_out = [], []
        for i, (src, n_boxes) in enumerate(zip(sources, BOXES_PER_CELL)):
            c = _conv(n_boxes * num_classes, 3, f"head{i}_class", activation=None)(src)
            b = _conv(n_boxes * 4, 3, f"head{i}_box", activation=None)(src)
            class_out.append(keras.layers.Reshape((-1, num_classes), name=f"head{i}_class_flat")(c))
            box_out.append(keras.layers.Reshape((-1, 4), name=f"head{i}_box_flat")(b))
        outputs = {
            "class_logits": keras.layers.Concatenate(axis=1, name="class_logits")(class_out),
            "box_offsets": keras.layers.Concatenate(axis=1, name="box_offsets")(box_out),
        }
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.num_classes = num_classes
        self.class_names = class_names

    def vgg16_layers(self) -> list:
        """The VGG16 part of SSD300: conv1_1 … conv5_3 with pool1 … pool4, in order."""
        return [self.get_layer(name) for name, _, _ in vgg16_layer_specs(5)]
