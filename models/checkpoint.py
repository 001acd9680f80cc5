"""The one SSD300 checkpoint format: NAME.weights.h5 (Keras weights) + NAME.json (classes, preprocessing,
training state). Both the style engine and the detector read checkpoints through `load_checkpoint`.

The JSON sidecar is untrusted input: `read_metadata` checks every field that is used
and raises CheckpointError (a ValueError) with one line naming the file otherwise.
"""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import tensorflow as tf

from .ssd300 import SSD300

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SSD_WEIGHTS_DIR = PROJECT_ROOT / "ssd_weights"
SUFFIX = ".weights.h5"


class CheckpointError(ValueError):
    """A checkpoint or its sidecar that cannot be used (the message names the file)."""


@dataclass(frozen=True)
class Preprocessing:
    """How a backbone expects its input: channel order, mean subtracted, scale (from 0–255)."""

    bgr: bool = True
    mean: tuple = (103.939, 116.779, 123.68)
    scale: float = 1.0

    def apply(self, rgb):
        """Map a 0–255 RGB tensor to the backbone's input space."""
        x = rgb[..., ::-1] if self.bgr else rgb
        return (x - tf.constant(self.mean, x.dtype)) * self.scale

    @classmethod
    def from_dict(cls, d, source: str = "preprocessing") -> "Preprocessing":
        """From a sidecar's "preprocessing" object; CheckpointError naming `source` when malformed."""
        def bad(why):
            return CheckpointError(f"malformed checkpoint metadata {source}: 'preprocessing' {why}")

        if not isinstance(d, dict):
            raise bad("must be an object")
        if "mean" not in d:
            raise bad("has no 'mean'")
        mean, bgr, scale = d["mean"], d.get("bgr", True), d.get("scale", 1.0)
        if not isinstance(bgr, bool):
            raise bad("'bgr' must be true or false")
        if not (isinstance(mean, list) and len(mean) == 3 and all(_is_finite_number(v) for v in mean)):
            raise bad("'mean' must be a list of 3 finite numbers")
        if not (_is_finite_number(scale) and scale > 0):
            raise bad("'scale' must be a positive finite number")
        return cls(bgr, tuple(float(v) for v in mean), float(scale))


CAFFE = Preprocessing()  # what ImageNet VGG16 (and so SSD300) expects


def _is_finite_number(value) -> bool:
    # bool is an int subclass, but true/false is no number here
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def metadata_path(weights_path: Path) -> Path:
    """The JSON file beside a checkpoint recording its classes and preprocessing."""
    name = Path(weights_path).name
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else Path(name).stem
    return Path(weights_path).with_name(stem + ".json")


def save_ssd300(ssd: SSD300, path, preprocessing: Preprocessing = CAFFE, extra: dict | None = None) -> None:
    """Save SSD300 weights (.weights.h5) with a JSON sidecar of classes and preprocessing."""
    path = Path(path)
    ssd.save_weights(str(path))
    meta = {"classes": list(ssd.class_names), "preprocessing": asdict(preprocessing), **(extra or {})}
    metadata_path(path).write_text(json.dumps(meta, indent=2))


def find_checkpoint(search_dir: Path = SSD_WEIGHTS_DIR) -> Path | None:
    """The first `*.weights.h5` in `ssd_weights/`, if any."""
    found = sorted(Path(search_dir).glob("*" + SUFFIX)) if Path(search_dir).is_dir() else []
    return found[0] if found else None


def read_metadata(path) -> dict:
    """The checked JSON sidecar of checkpoint `path` ({} when there is none)."""
    meta_file = metadata_path(Path(path))
    if not meta_file.exists():
        return {}

    def bad(why):
        return CheckpointError(f"malformed checkpoint metadata {meta_file}: {why}")

    try:
        meta = json.loads(meta_file.read_bytes().decode("utf-8"))
    except (ValueError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise bad(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if not isinstance(meta, dict):
        raise bad(f"expected a JSON object, found {type(meta).__name__}")
    if "classes" in meta:
        classes = meta["classes"]
        if not (isinstance(classes, list) and classes
                and all(isinstance(c, str) and c.strip() for c in classes)):
            raise bad("'classes' must be a non-empty list of class names (strings)")
        if len(set(classes)) != len(classes):
            raise bad("'classes' lists a class twice")
    if "preprocessing" in meta:
        Preprocessing.from_dict(meta["preprocessing"], str(meta_file))
    for key in ("epoch", "epoch_step", "step"):
        value = meta.get(key, 0)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise bad(f"'{key}' must be a non-negative integer")
    optimizer = meta.get("optimizer", {})
    if not (isinstance(optimizer, dict) and isinstance(optimizer.get("name", ""), str)):
        raise bad("'optimizer' must be an object with a 'name' string")
    return meta


def load_checkpoint(path, classes=None):
    """Load an SSD300 checkpoint → (ssd, preprocessing, metadata); CheckpointError on anything unusable.

    `classes`, when given, must be the checkpoint's own class list (a checkpoint for
    another class count cannot load); without a sidecar they say what the weights are for.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"SSD300 weights not found: {path}")
    meta = read_metadata(path)  # checked before the (slow) model is built
    saved = tuple(meta["classes"]) if "classes" in meta else None
    if classes is not None and saved is not None and tuple(classes) != saved:
        raise CheckpointError(
            f"checkpoint {path} was trained for {len(saved)} classes ({', '.join(saved)}), "
            f"not the {len(classes)} given ({', '.join(classes)})")
    names = saved or (tuple(classes) if classes is not None else None)
    ssd = SSD300(class_names=names) if names else SSD300()
    try:
        with warnings.catch_warnings():  # Keras warns before it raises on a mismatched file
            warnings.simplefilter("ignore")
            ssd.load_weights(str(path))
    except Exception as exc:  # Keras raises ValueError/OSError/KeyError for foreign or mismatched files
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = ("" if saved else f" (no {metadata_path(path).name} beside it: assumed "
                f"{ssd.num_classes - 1} classes; pass the right --classes)")
        raise CheckpointError(f"cannot load SSD300 weights from {path}{hint}: {detail}") from None
    prep = Preprocessing.from_dict(meta["preprocessing"], str(metadata_path(path))) \
        if "preprocessing" in meta else CAFFE
    return ssd, prep, meta
