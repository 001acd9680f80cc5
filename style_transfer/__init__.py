"""Neural style transfer through the frozen VGG16 backbone of an SSD300 detector.

Quick use:
    from style_transfer import stylize_images
    result = stylize_images("imgs/chelsea.jpg", "imgs/GreatWave.png", size=320, output="out.png")

Heavy modules (TensorFlow) load on first use of these names.
"""
import importlib

_LAZY = {
    "stylize_images": "style_transfer.api",
    "StyleConfig": "style_transfer.nst.config",
    "make_config": "style_transfer.nst.config",
    "StyleResult": "style_transfer.nst.engine",
    "stylize": "style_transfer.nst.engine",
    "default_network": "style_transfer.nst.network",
    "build_feature_extractor": "style_transfer.nst.network",
    "FeatureExtractor": "style_transfer.nst.network",
}
__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'style_transfer' has no attribute {name!r}")
