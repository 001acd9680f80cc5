"""VGG16 convolutional stack with a truncated `until stage N` variant.

Layer names follow the Caffe/SSD convention: conv1_1 … conv5_3 and pool1 … pool4.
Pools use 'same' padding (ceil mode), as SSD300 does, so a 300×300 input gives
feature maps of 300, 150, 75, 38 and 19 cells for stages 1–5.
"""
from __future__ import annotations

import keras
import tensorflow as tf

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


def flipped_kernel(kernel):
    """The kernel whose 'same' stride-1 convolution is the transpose of `kernel`'s: rotated 180°,
    input and output channels swapped."""
    return tf.transpose(tf.reverse(kernel, axis=[0, 1]), perm=[0, 1, 3, 2])


def conv_with_forward_input_gradient(inputs, kernel):
    """'same' stride-1 conv of `inputs` whose gradient with respect to `inputs` is itself computed
    as a forward convolution (with `flipped_kernel`); no gradient flows to `kernel`.

    On CPU, TensorFlow's Conv2DBackpropInput on a large image needs a large scratch buffer per
    64-channel layer and runs at half the speed of a forward conv; this form needs neither.
    """
    kernel = tf.convert_to_tensor(kernel)

    @tf.custom_gradient
    def conv(x):
        def grad(upstream):
            return tf.nn.conv2d(upstream, flipped_kernel(kernel), strides=1, padding="SAME")

        return tf.nn.conv2d(x, kernel, strides=1, padding="SAME"), grad

    return conv(inputs)


@keras.saving.register_keras_serializable(package="models")
class VGGConv2D(keras.layers.Conv2D):
    """VGG16's 3×3 'same' conv. Once frozen (trainable False) it computes its input gradient as a
    forward conv (`conv_with_forward_input_gradient`): the same values, less memory, faster on CPU.
    Trainable, or with `forward_input_gradient` set to False, it is a plain Conv2D."""

    forward_input_gradient = True

    def convolution_op(self, inputs, kernel):
        lean = (self.forward_input_gradient and not self.trainable
                and keras.backend.backend() == "tensorflow" and self.data_format == "channels_last"
                and tuple(self.strides) == (1, 1) and tuple(self.dilation_rate) == (1, 1)
                and self.padding == "same" and all(k % 2 == 1 for k in self.kernel_size))
        if lean:
            return conv_with_forward_input_gradient(inputs, kernel)
        return super().convolution_op(inputs, kernel)


def make_vgg16_layer(name: str, kind: str, filters: int | None) -> keras.layers.Layer:
    """Create one VGG16 layer (3×3 ReLU conv or 2×2/2 max pool with ceil mode)."""
    if kind == "conv":
        return VGGConv2D(filters, 3, padding="same", activation="relu", name=name)
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
