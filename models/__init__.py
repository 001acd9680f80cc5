"""Keras 3 models: SSD300 (VGG16 backbone + extra layers + heads) and truncated VGG16."""
from .vgg16 import CONV_NAMES, IMAGENET_CONV_NAMES, VGG16, vgg16_layer_specs
from .ssd300 import SSD300, VOC_CLASSES

__all__ = ["CONV_NAMES", "IMAGENET_CONV_NAMES", "SSD300", "VGG16", "VOC_CLASSES", "vgg16_layer_specs"]
