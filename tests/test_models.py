"""SSD300 and truncated VGG16 architecture."""
import numpy as np
import pytest

from style_transfer._models import SSD300, VGG16
from style_transfer._models.ssd300 import NUM_DEFAULT_BOXES


@pytest.fixture(scope="module")
def ssd():
    return SSD300()


def test_ssd300_outputs_8732_boxes(ssd):
    out = ssd(np.random.RandomState(0).uniform(0, 255, (2, 300, 300, 3)).astype("float32"))
    assert NUM_DEFAULT_BOXES == 8732
    assert tuple(out["class_logits"].shape) == (2, 8732, 21)
    assert tuple(out["box_offsets"].shape) == (2, 8732, 4)


def test_ssd300_vgg16_part(ssd):
    names = [layer.name for layer in ssd.vgg16_layers()]
    assert names == ["conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "pool2", "conv3_1", "conv3_2",
                     "conv3_3", "pool3", "conv4_1", "conv4_2", "conv4_3", "pool4", "conv5_1", "conv5_2", "conv5_3"]
    assert ssd.get_layer("fc6").dilation_rate == (6, 6)
    assert ssd.get_layer("fc6").filters == 1024 and ssd.get_layer("fc7").filters == 1024
    for name in ("conv8_2", "conv9_2", "conv10_2", "conv11_2"):
        ssd.get_layer(name)


def test_ssd300_custom_classes():
    m = SSD300(class_names=["tree"])
    assert m.num_classes == 2
    assert tuple(m.output["class_logits"].shape) == (None, 8732, 2)
    with pytest.raises(ValueError):
        SSD300(num_classes=5, class_names=["tree"])


def test_ssd300_weights_roundtrip(ssd, tmp_path):
    path = tmp_path / "ssd.weights.h5"
    ssd.save_weights(str(path))
    other = SSD300()
    other.load_weights(str(path))
    for a, b in zip(ssd.weights, other.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_vgg16_until_stage5_has_17_layers():
    vgg = VGG16(until=5)
    layers = vgg.layers[1:]
    assert len(layers) == 17
    assert layers[0].name == "conv1_1" and layers[-1].name == "conv5_3" and layers[-2].name == "conv5_2"
    assert VGG16(until=2).layers[-1].name == "conv2_2"
    with pytest.raises(ValueError):
        VGG16(until=6)
