"""SSD300 → frozen truncated VGG16: the loss network of the style transfer.

SSD300 is instantiated and its weights loaded (a VOC-format checkpoint when one is
given or found in `ssd_weights/`, else its VGG16 part initialised from ImageNet, as
SSD training itself starts). Its VGG16 layers are then copied one by one into a
truncated VGG16 (conv1_1 … conv5_3) whose layers are all frozen.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from style_transfer._models import SSD300, VGG16, vgg16_layer_specs
from style_transfer._models.vgg16 import conv_with_forward_input_gradient
from style_transfer._models.checkpoint import (CAFFE, SSD_WEIGHTS_DIR, CheckpointError, Preprocessing,
                                               find_checkpoint, load_checkpoint)
from style_transfer.errors import UserInputError
from style_transfer.nst.weights import imagenet_vgg16_weights

VGG16_LAYER_NAMES = tuple(name for name, _, _ in vgg16_layer_specs(5))
# The first five layers feed the style loss; layer -2 (conv5_2) feeds the content loss.
DEFAULT_STYLE_LAYERS = VGG16_LAYER_NAMES[:5]
DEFAULT_CONTENT_LAYERS = (VGG16_LAYER_NAMES[-2],)


def init_vgg16_from_imagenet(layers) -> None:
    """Set the conv layers among `layers` (named conv1_1 …) to ImageNet VGG16's weights."""
    weights = imagenet_vgg16_weights()
    for layer in layers:
        if layer.name in weights:
            layer.set_weights(weights[layer.name])


def load_ssd300(ssd_weights=None, search_dir: Path = SSD_WEIGHTS_DIR):
    """Instantiate SSD300 and load its weights.

    Returns (ssd, preprocessing, description). With no checkpoint given or found in
    `search_dir`, the VGG16 part is initialised from ImageNet VGG16. The checkpoint is
    read by models.checkpoint.load_checkpoint, which checks its JSON sidecar.
    """
    path = Path(ssd_weights) if ssd_weights else find_checkpoint(search_dir)
    if path is None:
        ssd = SSD300()
        init_vgg16_from_imagenet(ssd.vgg16_layers())
        return ssd, CAFFE, "SSD300 with ImageNet VGG16 backbone (no VOC checkpoint)"
    try:
        ssd, prep, _ = load_checkpoint(path)
    except CheckpointError as exc:
        raise UserInputError(str(exc)) from None
    return ssd, prep, f"SSD300 checkpoint {path.name}"


def copy_vgg16_backbone(ssd: SSD300) -> keras.Model:
    """A frozen truncated VGG16 (conv1_1 … conv5_3) with SSD300's VGG16 weights copied in."""
    vgg = VGG16(until=5, name="vgg16_from_ssd300")
    targets = vgg.layers[1:]
    for src, dst in zip(ssd.vgg16_layers(), targets, strict=True):
        if src.name != dst.name:
            raise AssertionError(f"layer mismatch {src.name} vs {dst.name}")
        dst.set_weights(src.get_weights())
        dst.trainable = False
    vgg.trainable = False
    return vgg


def _check_layers(names, kind):
    for n in names:
        if n not in VGG16_LAYER_NAMES:
            raise UserInputError(f"unknown {kind} layer '{n}' (choose from {', '.join(VGG16_LAYER_NAMES)})")
    if not names:
        raise UserInputError(f"at least one {kind} layer is needed")


COMPUTE_DTYPES = ("float32", "bfloat16")


class FeatureExtractor:
    """Frozen VGG16 features of a 0–255 RGB image, as dicts keyed by layer name.

    `features(rgb)` runs the network to the deepest layer tapped; `style_features(rgb)` stops at the
    deepest style layer (the style image's targets need no more). In bfloat16 the convolutions and
    pools run in bfloat16 with explicit casts (features come out as float32 for Grams and losses);
    in float32 the Keras model itself runs.
    """

    def __init__(self, vgg: keras.Model, preprocessing: Preprocessing = CAFFE,
                 style_layers=DEFAULT_STYLE_LAYERS, content_layers=DEFAULT_CONTENT_LAYERS,
                 description: str = "", precision: str = "float32"):
        style_layers, content_layers = tuple(style_layers), tuple(content_layers)
        _check_layers(style_layers, "style")
        _check_layers(content_layers, "content")
        if precision not in COMPUTE_DTYPES:
            raise ValueError(f"precision must be one of {COMPUTE_DTYPES}, got {precision!r}")
        self.vgg = vgg
        self.preprocessing = preprocessing
        self.style_layers = style_layers
        self.content_layers = content_layers
        self.description = description
        self.precision = precision
        tapped = dict.fromkeys(style_layers + content_layers)
        self.model = keras.Model(vgg.input, {n: vgg.get_layer(n).output for n in tapped},
                                 name="style_content_features")
        self.model.trainable = False
        self.style_model = keras.Model(vgg.input, {n: vgg.get_layer(n).output for n in style_layers},
                                       name="style_features")
        self._variants = {}
        self._cast_layers = None

    def features(self, rgb) -> dict:
        """{layer name: features} for every style and content layer."""
        if self.precision != "float32":
            return self._cast_forward(rgb, self.style_layers + self.content_layers)
        return self.model(self.preprocessing.apply(rgb), training=False)

    def style_features(self, rgb) -> dict:
        """{layer name: features} for the style layers alone (the network runs only as deep as they need)."""
        if self.precision != "float32":
            return self._cast_forward(rgb, self.style_layers)
        return self.style_model(self.preprocessing.apply(rgb), training=False)

    def deeper_content(self) -> bool:
        """True when a content layer lies deeper than every style layer: the content term then costs
        network depth that the style term does not need."""
        order = {layer.name: i for i, layer in enumerate(self.vgg.layers)}
        return max(order[n] for n in self.content_layers) > max(order[n] for n in self.style_layers)

    def _cast_forward(self, rgb, names) -> dict:
        """The frozen VGG16 run in this precision up to the deepest of `names`, with its own
        copies of the kernels and biases (cast once), and its input gradient as forward convs."""
        if self._cast_layers is None:
            with tf.init_scope():  # eager copies, captured by every compiled step, even when first built in one
                dtype = tf.as_dtype(self.precision)
                self._cast_layers = [(layer.name, [tf.constant(w, dtype) for w in layer.get_weights()])
                                     for layer in self.vgg.layers[1:]]
        wanted, out = set(names), {}
        x = tf.cast(self.preprocessing.apply(tf.convert_to_tensor(rgb, tf.float32)), self.precision)
        for name, weights in self._cast_layers:
            if weights:
                kernel, bias = weights
                x = tf.nn.relu(tf.nn.bias_add(conv_with_forward_input_gradient(x, kernel), bias))
            else:
                x = tf.nn.max_pool2d(x, 2, 2, "SAME")
            if name in wanted:
                out[name] = tf.cast(x, tf.float32)
                wanted.discard(name)
                if not wanted:
                    break
        return out

    def output_shapes(self, height: int, width: int) -> dict:
        """{layer name: shape} for one H×W image, without running the network."""
        shapes = self.model.compute_output_shape((1, height, width, 3))
        return {n: tuple(s) for n, s in shapes.items()}

    def with_layers(self, style_layers=None, content_layers=None, precision=None) -> "FeatureExtractor":
        """The same frozen network tapped at other layers or run in another precision (built once per choice)."""
        key = (tuple(style_layers or self.style_layers), tuple(content_layers or self.content_layers),
               precision or self.precision)
        if key == (self.style_layers, self.content_layers, self.precision):
            return self
        if key not in self._variants:
            self._variants[key] = FeatureExtractor(self.vgg, self.preprocessing, *key[:2], self.description, key[2])
        return self._variants[key]


def build_feature_extractor(ssd_weights=None, style_layers=DEFAULT_STYLE_LAYERS,
                            content_layers=DEFAULT_CONTENT_LAYERS, backbone: str = "ssd300",
                            seed: int = 0) -> FeatureExtractor:
    """The style-transfer loss network.

    backbone: "ssd300" (SSD300 as loaded → copied VGG16, the default), "imagenet"
    (ImageNet VGG16 directly) or "random" (randomly initialised VGG16, for comparison).
    """
    if backbone == "ssd300":
        ssd, prep, desc = load_ssd300(ssd_weights)
        vgg = copy_vgg16_backbone(ssd)
        del ssd
    elif backbone in ("imagenet", "random"):
        if backbone == "random":
            keras.utils.set_random_seed(seed)
        vgg = VGG16(until=5, name=f"vgg16_{backbone}")
        if backbone == "imagenet":
            init_vgg16_from_imagenet(vgg.layers[1:])
        for layer in vgg.layers:
            layer.trainable = False
        prep, desc = CAFFE, ("ImageNet VGG16" if backbone == "imagenet" else "randomly initialised VGG16")
    else:
        raise UserInputError(f"unknown backbone '{backbone}' (ssd300, imagenet or random)")
    return FeatureExtractor(vgg, prep, style_layers, content_layers, desc)


@lru_cache(maxsize=4)
def default_network(ssd_weights=None, backbone: str = "ssd300") -> FeatureExtractor:
    """The loss network with the default layers, built once per process for each checkpoint."""
    return build_feature_extractor(ssd_weights, backbone=backbone)


def layer_weights_equal(a, b) -> bool:
    """True when two layers hold identical weights."""
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))
