"""Seeded mutations of a PNG, a JPEG and a GIF through every reader: a loaded image, a UserInputError or
a cache miss, never another exception."""
import io
import json
import random

import numpy as np
import pytest
from PIL import Image

from style_transfer.errors import UserInputError
from style_transfer.figures.montage import open_input
from style_transfer.media.images import load_image
from style_transfer.showcase.cache import ResultCache

N_MUTATIONS = 120  # per format
HEADERS = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff\xe0", "GIF": b"GIF89a", "DDS": b"DDS |\x00\x00\x00",
           "PSD": b"8BPS\x00\x01", "ICNS": b"icns\x00\x00\x10\x00", "TIFF": b"II*\x00"}


def _seed(fmt: str) -> bytes:
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8))
    buf = io.BytesIO()
    if fmt == "GIF":
        frames = [img.quantize(16), Image.fromarray(255 - np.asarray(img)).quantize(16)]
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    else:
        img.save(buf, format=fmt)
    return buf.getvalue()


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    kind = rng.choice(("flip", "flip", "truncate", "header", "splice"))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        data = data[:rng.randrange(len(data))]
    elif kind == "header":
        header = rng.choice(list(HEADERS.values()))
        data[:len(header)] = header
    else:
        i, j = sorted(rng.randrange(len(data)) for _ in range(2))
        data[i:i] = data[i:j] * rng.randint(1, 3)
    return bytes(data)


@pytest.mark.parametrize("fmt,ext", [("PNG", ".png"), ("JPEG", ".jpg"), ("GIF", ".gif")])
def test_readers_survive_mutations(tmp_path, fmt, ext):
    seed = _seed(fmt)
    rng = random.Random(f"fuzz-{fmt}")
    cache = ResultCache(tmp_path / "cache")
    original = np.asarray(Image.open(io.BytesIO(seed)).convert("RGB"))
    cache.put("k", original, {"history": []})
    outcomes = {"loaded": 0, "refused": 0}
    for n in range(N_MUTATIONS):
        data = _mutate(seed, rng)
        path = tmp_path / f"m{n % 4}{ext}"
        path.write_bytes(data)
        for reader in (load_image, open_input):
            try:
                reader(path)
                outcomes["loaded"] += 1
            except UserInputError:
                outcomes["refused"] += 1
        (tmp_path / "cache" / "k.png").write_bytes(data)
        hit = cache.get("k")
        assert hit is None or np.array_equal(hit[0], original)
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == 2 * N_MUTATIONS


def test_cache_metadata_mutations_are_misses(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put("k", np.zeros((8, 8, 3), np.uint8), {"history": []})
    text = (tmp_path / "k.json").read_text()
    rng = random.Random("fuzz-json")
    for _ in range(50):
        mutated = bytearray(text.encode())
        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        (tmp_path / "k.json").write_bytes(bytes(mutated))
        hit = cache.get("k")
        assert hit is None or hit[0].shape == (8, 8, 3)
    (tmp_path / "k.json").write_text(json.dumps({"shape": [1, 1, 3]}))
    assert cache.get("k") is None
