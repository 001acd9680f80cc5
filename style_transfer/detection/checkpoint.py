"""SSD300 detector checkpoints: NAME.weights.h5 + NAME.json (classes, preprocessing, training state)
and, for resuming, NAME.optimizer.npz (the optimiser's variables).

Saving is atomic per file: everything is written in a temporary folder beside the
target and renamed into place.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from style_transfer.nst.network import (CAFFE, Preprocessing, find_checkpoint, metadata_path, save_ssd300)
from style_transfer.errors import UserInputError

SUFFIX = ".weights.h5"


def optimizer_path(weights_path) -> Path:
    """Where the optimiser state of a checkpoint is kept."""
    meta = metadata_path(Path(weights_path))
    return meta.with_name(meta.stem + ".optimizer.npz")


def check_checkpoint_name(path) -> Path:
    """A checkpoint path must end in .weights.h5 (Keras' weights format)."""
    path = Path(path)
    if not path.name.endswith(SUFFIX) or path.name == SUFFIX:
        raise UserInputError(f"checkpoint name must end in {SUFFIX}: {path}")
    if path.is_dir():
        raise UserInputError(f"checkpoint path is a directory: {path}")
    return path


def save_checkpoint(ssd, path, extra: dict | None = None, optimizer=None,
                    preprocessing: Preprocessing = CAFFE) -> Path:
    """Write the weights, the JSON sidecar and (when given) the optimiser state of `ssd`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tmp = tmp_dir / path.name
        save_ssd300(ssd, tmp, preprocessing, extra)
        files = [(tmp, path), (metadata_path(tmp), metadata_path(path))]
        if optimizer is not None:
            arrays = {f"v{i}": np.asarray(v) for i, v in enumerate(optimizer.variables)}
            np.savez(optimizer_path(tmp), **arrays)
            files.append((optimizer_path(tmp), optimizer_path(path)))
        for src, dst in files:
            os.replace(src, dst)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return path


def read_metadata(path) -> dict:
    """The JSON sidecar of a checkpoint ({} when there is none)."""
    meta_file = metadata_path(Path(path))
    if not meta_file.exists():
        return {}
    try:
        meta = json.loads(meta_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserInputError(f"malformed checkpoint metadata {meta_file}: {exc}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("classes", []), list):
        raise UserInputError(f"malformed checkpoint metadata {meta_file}: expected an object with a 'classes' list")
    return meta


def load_detector(path=None, classes=None):
    """Load an SSD300 checkpoint → (ssd, preprocessing, metadata, path).

    `path` None: the first checkpoint in ssd_weights/. `classes`, when given, must be
    the checkpoint's own class list (a checkpoint for another class count cannot load).
    """
    from models import SSD300

    if path is None:
        path = find_checkpoint()
        if path is None:
            raise UserInputError("no SSD300 checkpoint given (--ssd-weights) and none in ssd_weights/")
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"SSD300 weights not found: {path}")
    meta = read_metadata(path)
    saved = tuple(meta["classes"]) if meta.get("classes") else None
    if classes is not None and saved is not None and tuple(classes) != saved:
        raise UserInputError(
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
        raise UserInputError(f"cannot load SSD300 weights from {path}{hint}: {detail}") from None
    prep = Preprocessing.from_dict(meta["preprocessing"]) if "preprocessing" in meta else CAFFE
    return ssd, prep, meta, path


def restore_optimizer(optimizer, variables, path) -> bool:
    """Load the optimiser state saved beside checkpoint `path` (False when there is none)."""
    opt_file = optimizer_path(path)
    if not opt_file.exists():
        return False
    optimizer.build(variables)
    with np.load(opt_file) as data:
        arrays = [data[f"v{i}"] for i in range(len(data.files))]
    if len(arrays) != len(optimizer.variables) or any(
            a.shape != tuple(v.shape) for a, v in zip(arrays, optimizer.variables)):
        raise UserInputError(f"optimiser state {opt_file} does not match this model and optimiser")
    for v, a in zip(optimizer.variables, arrays):
        v.assign(a)
    return True
