"""Seeded mutations of a VOC annotation: the reader either loads it or raises UserInputError, nothing else."""
import random
import re

from tiny_voc import TINY_XML, make_tiny_voc
from style_transfer.detection.voc import load_voc
from style_transfer.errors import UserInputError

TAGS = ("annotation", "filename", "size", "width", "height", "object", "name", "difficult", "bndbox",
        "xmin", "ymin", "xmax", "ymax")
ODD_VALUES = ("nan", "-nan", "inf", "-inf", "1e400", "-1e400", "1e308", "-0", "0x10", "", " ", "1_0", "٣",
              "9" * 400, "../../etc/passwd", "/etc/hostname", "a.tif", "\u00e9", "&amp;", "<![CDATA[7]]>")


def _flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _swap_tags(data: bytes, rng: random.Random) -> bytes:
    a, b = rng.sample(TAGS, 2)
    text = data.decode("latin-1")
    text = re.sub(rf"\b{a}\b", "\0", text, count=rng.randint(1, 3))
    text = re.sub(rf"\b{b}\b", a, text, count=rng.randint(1, 3))
    return text.replace("\0", b).encode("latin-1")


def _odd_value(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("latin-1")
    spans = [m.span(1) for m in re.finditer(r">([^<>]*)</", text)]
    if not spans:
        return data
    start, end = rng.choice(spans)
    return (text[:start] + rng.choice(ODD_VALUES) + text[end:]).encode("utf-8")


def _duplicate_or_drop(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("latin-1")
    tag = rng.choice(TAGS[1:])
    m = re.search(rf"<{tag}>.*?</{tag}>", text, re.S)
    if m is None:
        return data
    piece = m.group(0)
    return (text.replace(piece, piece * 2, 1) if rng.random() < 0.5 else text.replace(piece, "", 1)).encode("latin-1")


MUTATIONS = (_flip_bits, _truncate, _swap_tags, _odd_value, _duplicate_or_drop)


def test_mutated_annotations_load_or_raise_user_input_error(tmp_path):
    root = make_tiny_voc(tmp_path / "voc")
    xml = root / "Annotations" / "a.xml"
    original = TINY_XML.format(filename="a.jpg", width=64, height=48).encode()
    rng = random.Random(1234)
    outcomes = {"loaded": 0, "rejected": 0}
    for trial in range(400):
        data = original
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(MUTATIONS)(data, rng)
        xml.write_bytes(data)
        try:
            dataset = load_voc(root, "train", ["Tree"], warn=lambda msg: None)
        except UserInputError as exc:
            assert "\n" not in str(exc), (trial, data)
            outcomes["rejected"] += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"trial {trial}: {type(exc).__name__}: {exc}\n{data!r}") from exc
        sample = dataset.samples[0]
        assert sample.image_path.parent == root / "JPEGImages", (trial, data)
        boxes = sample.boxes
        assert (boxes[:, 0] < boxes[:, 2]).all() and (boxes[:, 1] < boxes[:, 3]).all(), (trial, data)
        assert (boxes >= 0).all() and (boxes[:, 2] <= 64).all() and (boxes[:, 3] <= 48).all(), (trial, data)
        outcomes["loaded"] += 1
    assert outcomes["loaded"] > 20 and outcomes["rejected"] > 100, outcomes
