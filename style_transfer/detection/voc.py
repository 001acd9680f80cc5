"""PASCAL VOC-format data sets: ROOT/Annotations/*.xml, ROOT/JPEGImages/, ROOT/ImageSets/Main/*.txt.

Every annotation is validated when read (XML well formed, class known, boxes inside
their image with xmin < xmax and ymin < ymax, image present and readable); problems
are reported naming the file.
"""
from __future__ import annotations

import math
import sys
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from style_transfer._models.ssd300 import VOC_CLASSES
from style_transfer.errors import UserInputError
from style_transfer.media.images import load_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG")
# Pillow format names of what tf.io.decode_image (the training and detection pipelines) decodes.
TF_IMAGE_FORMATS = ("JPEG", "PNG", "BMP", "GIF")


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
        try:
            ids = [line.split()[0] for line in split_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise UserInputError(f"cannot read split file {split_file}: {exc}") from None
        if not ids:
            raise UserInputError(f"split file is empty: {split_file}")
        for image_id in ids:
            # an id names a file inside Annotations/: it must not reach outside the data set
            if "/" in image_id or "\\" in image_id or ".." in image_id or "\0" in image_id:
                raise UserInputError(f"bad image id '{image_id}' in {split_file} (ids may not contain / or ..)")
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
    """A finite number (NaN would pass every box comparison; infinity breaks int())."""
    text = _text(node, tag, xml_path)
    try:
        value = float(text)
    except ValueError:
        raise BadSample(f"malformed annotation {xml_path}: <{tag}> is not a number ('{text[:40]}')") from None
    if not math.isfinite(value):
        raise BadSample(f"malformed annotation {xml_path}: <{tag}> is not a finite number ('{text[:40]}')")
    return value


def _basename(filename: str | None) -> str | None:
    """The last component of an annotation's <filename>: images are only looked up in JPEGImages/."""
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name if name not in ("", ".", "..") and "\0" not in name else None


def _find_image(root: Path, image_id: str, filename: str | None, xml_path: Path) -> Path:
    folder = root / "JPEGImages"
    name = _basename(filename)
    candidates = [folder / name] if name else []
    candidates += [folder / (image_id + s) for s in IMAGE_SUFFIXES]
    for c in candidates:
        try:
            if c.is_file():
                return c
        except (OSError, ValueError):  # e.g. a name too long for the file system
            continue
    raise BadSample(f"image file missing for {xml_path}: {str(candidates[0])[:300]}")


def check_image(image_path: Path, xml_path: Path) -> tuple[int, int]:
    """(width, height) of an image that the tf.data pipelines will decode; BadSample naming it otherwise.

    Opened as the style commands open images (a decompression bomb is refused, the file
    is decoded in full, so a truncated one fails here), and then decoded by TensorFlow,
    which will read it during training: a format it cannot decode would otherwise stop
    an epoch halfway.
    """
    try:
        load_image(image_path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(image_path) as img:
                fmt, (width, height) = img.format, img.size
    except UserInputError as exc:
        raise BadSample(f"{exc} (for {xml_path})") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadSample(f"cannot read image {image_path} (for {xml_path}): {exc}") from None
    if fmt not in TF_IMAGE_FORMATS:
        raise BadSample(f"image {image_path} (for {xml_path}) is {fmt}, which TensorFlow cannot decode "
                        f"(use {', '.join(TF_IMAGE_FORMATS)})")
    import tensorflow as tf

    try:
        shape = tf.io.decode_image(tf.io.read_file(str(image_path)), channels=3, expand_animations=False).shape
    except (tf.errors.OpError, ValueError) as exc:
        detail = (exc.message if isinstance(exc, tf.errors.OpError) else str(exc)).splitlines()[0]
        raise BadSample(f"TensorFlow cannot decode image {image_path} (for {xml_path}): {detail}") from None
    if (shape[1], shape[0]) != (width, height):
        raise BadSample(f"image {image_path} (for {xml_path}) decodes as {shape[1]}×{shape[0]}, "
                        f"not the {width}×{height} its header gives")
    return width, height


def read_annotation(root: Path, image_id: str, classes) -> Sample:
    """Read and validate one annotation (and its image's header)."""
    xml_path = root / "Annotations" / f"{image_id}.xml"
    if not xml_path.is_file():
        raise BadSample(f"annotation file missing: {xml_path}")
    try:
        tree = ET.parse(xml_path).getroot()
    except (ET.ParseError, ValueError, LookupError, OSError) as exc:  # bad encodings raise the latter
        raise BadSample(f"malformed XML in {xml_path}: {str(exc)[:200]}") from None
    filename = tree.findtext("filename")
    image_path = _find_image(root, image_id, filename, xml_path)
    width, height = check_image(image_path, xml_path)
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
                f"unknown class '{name[:60]}' in {xml_path} (classes: {', '.join(classes)}; set them with --classes)")
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


def classes_in_annotations(root, split: str = "train") -> tuple:
    """The sorted class names used by the objects of a split (unreadable annotations are passed over:
    reading the split reports them)."""
    root = check_root(root)
    ids, _ = split_ids(root, split)
    names = set()
    for image_id in ids:
        try:
            tree = ET.parse(root / "Annotations" / f"{image_id}.xml").getroot()
        except (ET.ParseError, ValueError, LookupError, OSError):
            continue
        names.update(t.strip() for t in (obj.findtext("name") for obj in tree.iter("object")) if t and t.strip())
    return tuple(sorted(names))


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
