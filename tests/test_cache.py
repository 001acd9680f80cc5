"""The grid's result cache trusts nothing on disk: a PNG that is not the one stored is a miss."""
import json

import numpy as np
from PIL import Image

from style_transfer.showcase.cache import ResultCache


def _image():
    return np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)


def test_round_trip(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put("k", _image(), {"history": [1.0], "seconds": 2.0})
    arr, meta = cache.get("k")
    np.testing.assert_array_equal(arr, _image())
    assert meta == {"history": [1.0], "seconds": 2.0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json", "k.png"]


def test_planted_or_damaged_png_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put("k", _image(), {})
    Image.new("RGB", (1, 1)).save(tmp_path / "k.png")  # a planted 1×1 image
    assert cache.get("k") is None
    cache.put("k", _image(), {})
    other = _image().copy()
    other[0, 0] ^= 1  # same shape, one pixel changed
    Image.fromarray(other).save(tmp_path / "k.png")
    assert cache.get("k") is None
    (tmp_path / "k.png").write_bytes(b"DDS |" + bytes(200))  # not a PNG at all
    assert cache.get("k") is None


def test_entry_without_digest_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path)
    Image.fromarray(_image()).save(tmp_path / "k.png")
    (tmp_path / "k.json").write_text(json.dumps({"history": [], "seconds": 0}))  # the old format
    assert cache.get("k") is None
    (tmp_path / "k.json").write_text("[1, 2]")
    assert cache.get("k") is None
