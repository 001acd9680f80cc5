"""PASCAL VOC-format data sets: ROOT/Annotations/*.xml, ROOT/JPEGImages/, ROOT/ImageSets/Main/*.txt.

Every annotation is validated when read (XML well formed, class known, boxes inside
their image with xmin < xmax and ymin < ymax, image present and readable); problems
are reported naming the file.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from models.ssd300 import VOC_CLASSES
from style_transfer.errors import UserInputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG")


class BadSample(UserInputError):
    """One annotation or image that cannot be used (named in the message)."""


@dataclass
class Sample:
    """One annotated image: boxes in pixels (xmin, ymin, xmax, ymax), 1-based labels (0 is background)."""

    image_path: Path
    annotation_path: Path
    width: int
    height: int
    boxes: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    difficult: np.ndarray = field(repr=False)

    @property
    def image_id(self) -> str:
        return self.annotation_path.stem


@dataclass
class VOCDataset:
    """The samples of one split, with the classes they are labelled with and what was skipped."""

    root: Path
    split: str
    classes: tuple
    samples: list
    skipped: list  # (file, reason) of samples left out

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def num_objects(self) -> int:
        return int(sum(len(s.labels) for s in self.samples))


def parse_classes(values) -> tuple:
    """Class names from --classes values (each may be comma-separated); duplicates are an error."""
    if not values:
        return VOC_CLASSES
    names = [n.strip() for v in values for n in str(v).split(",") if n.strip()]
    if not names:
        raise UserInputError("--classes needs at least one class name")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserInputError(f"duplicate class names in --classes: {', '.join(dupes)}")
    if "background" in names:
        raise UserInputError("'background' is implicit (class 0); do not list it in --classes")
    return tuple(names)


def check_root(root) -> Path:
    """The VOC root as a Path, with an Annotations folder in it."""
    root = Path(root)
    if not root.is_dir():
        raise UserInputError(f"VOC root is not a directory: {root}")
    if not (root / "Annotations").is_dir():
        raise UserInputError(f"no Annotations folder in VOC root {root} (expected {root / 'Annotations'}/*.xml)")
    return root


def split_ids(root: Path, split: str) -> tuple[list[str], str]:
    """Image ids of a split from ImageSets/Main/SPLIT.txt, else all annotations (with a note why)."""
    split_file = root / "ImageSets" / "Main" / f"{split}.txt"
    if split_file.is_file():
        ids = [line.split()[0] for line in split_file.read_text().splitlines() if line.strip()]
        if not ids:
            raise UserInputError(f"split file is empty: {split_file}")
        return ids, ""
    ids = sorted(p.stem for p in (root / "Annotations").glob("*.xml"))
    if not ids:
        raise UserInputError(f"no *.xml annotations in {root / 'Annotations'}")
    return ids, f"no {split_file.relative_to(root)}: using all {len(ids)} annotations"


def _text(node, tag: str, xml_path: Path) -> str:
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise BadSample(f"malformed annotation {xml_path}: missing <{tag}>")
    return child.text.strip()


def _number(node, tag: str, xml_path: Path) -> float:
    text = _text(node, tag, xml_path)
    try:
        return float(text)
    except ValueError:
        raise BadSample(f"malformed annotation {xml_path}: <{tag}> is not a number ('{text}')") from None


def _find_image(root: Path, image_id: str, filename: str | None, xml_path: Path) -> Path:
    folder = root / "JPEGImages"
    candidates = [folder / filename] if filename else []
    candidates += [folder / (image_id + s) for s in IMAGE_SUFFIXES]
    for c in candidates:
        if c.is_file():
            return c
    raise BadSample(f"image file missing for {xml_path}: {candidates[0]}")


def read_annotation(root: Path, image_id: str, classes) -> Sample:
    """Read and validate one annotation (and its image's header)."""
    xml_path = root / "Annotations" / f"{image_id}.xml"
    if not xml_path.is_file():
        raise BadSample(f"annotation file missing: {xml_path}")
    try:
        tree = ET.parse(xml_path).getroot()
    except ET.ParseError as exc:
        raise BadSample(f"malformed XML in {xml_path}: {exc}") from None
    filename = tree.findtext("filename")
    image_path = _find_image(root, image_id, filename.strip() if filename else None, xml_path)
    try:
        with Image.open(image_path) as img:
            width, height = img.size
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadSample(f"cannot read image {image_path} (for {xml_path}): {exc}") from None
    size = tree.find("size")
    if size is not None and size.find("width") is not None:
        xw, xh = int(_number(size, "width", xml_path)), int(_number(size, "height", xml_path))
        if (xw, xh) != (width, height):
            raise BadSample(f"{xml_path} gives the image size as {xw}×{xh} but {image_path} is {width}×{height}")
    index = {name: i + 1 for i, name in enumerate(classes)}
    boxes, labels, difficult = [], [], []
    for n, obj in enumerate(tree.iter("object"), start=1):
        name = _text(obj, "name", xml_path)
        if name not in index:
            raise UserInputError(
                f"unknown class '{name}' in {xml_path} (classes: {', '.join(classes)}; set them with --classes)")
        bb = obj.find("bndbox")
        if bb is None:
            raise BadSample(f"malformed annotation {xml_path}: object {n} has no <bndbox>")
        x0, y0, x1, y1 = (_number(bb, t, xml_path) for t in ("xmin", "ymin", "xmax", "ymax"))
        if x0 >= x1 or y0 >= y1:
            raise BadSample(f"bad box {n} in {xml_path}: xmin={x0:g} ymin={y0:g} xmax={x1:g} ymax={y1:g} "
                            "(need xmin < xmax and ymin < ymax)")
        if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
            raise BadSample(f"box {n} in {xml_path} ({x0:g}, {y0:g}, {x1:g}, {y1:g}) lies outside "
                            f"its {width}×{height} image")
        boxes.append((x0, y0, x1, y1))
        labels.append(index[name])
        flag = obj.findtext("difficult")
        difficult.append(bool(flag and flag.strip() not in ("0", "")))
    return Sample(image_path, xml_path, width, height,
                  np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels, np.int32),
                  np.asarray(difficult, bool))


def load_voc(root, split: str = "train", classes=VOC_CLASSES, strict: bool = True, warn=None) -> VOCDataset:
    """Read a split of a VOC-format data set.

    strict: the first bad sample is an error. Otherwise (training) bad samples are
    skipped, each reported through `warn` (default: a line on stderr). An unknown
    class name is always an error: it means the class list is wrong.
    """
    root = check_root(root)
    classes = tuple(classes)
    warn = warn or (lambda msg: print(f"style-transfer: warning: {msg}", file=sys.stderr))
    ids, note = split_ids(root, split)
    if note:
        warn(note)
    samples, skipped = [], []
    for image_id in ids:
        try:
            samples.append(read_annotation(root, image_id, classes))
        except BadSample as exc:
            if strict:
                raise
            skipped.append((root / "Annotations" / f"{image_id}.xml", str(exc)))
            warn(f"skipping sample: {exc}")
    if not samples:
        raise UserInputError(f"no usable samples in split '{split}' of {root}"
                             + (f" ({len(skipped)} skipped)" if skipped else ""))
    return VOCDataset(root, split, classes, samples, skipped)
