"""SSD300 detector checkpoints: NAME.weights.h5 + NAME.json (classes, preprocessing, training state)
and, for resuming, NAME.optimizer.npz (the optimiser's variables).

Saving is atomic per file: everything is written in a temporary folder beside the
target and renamed into place.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from style_transfer._models.checkpoint import (CAFFE, SUFFIX, CheckpointError, Preprocessing, find_checkpoint,  # noqa: F401
                               load_checkpoint, metadata_path, save_ssd300)
from style_transfer._models.checkpoint import read_metadata as _read_metadata
from style_transfer.errors import UserInputError


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
    """The checked JSON sidecar of a checkpoint ({} when there is none)."""
    try:
        return _read_metadata(path)
    except CheckpointError as exc:
        raise UserInputError(str(exc)) from None


def load_detector(path=None, classes=None):
    """Load an SSD300 checkpoint → (ssd, preprocessing, metadata, path).

    `path` None: the first checkpoint in ssd_weights/. `classes`, when given, must be
    the checkpoint's own class list (a checkpoint for another class count cannot load).
    """
    if path is None:
        path = find_checkpoint()
        if path is None:
            raise UserInputError("no SSD300 checkpoint given (--ssd-weights) and none in ssd_weights/")
    path = Path(path)
    try:
        ssd, prep, meta = load_checkpoint(path, classes)
    except CheckpointError as exc:
        raise UserInputError(str(exc)) from None
    return ssd, prep, meta, path


def restore_optimizer(optimizer, variables, path) -> bool:
    """Load the optimiser state saved beside checkpoint `path` (False when there is none)."""
    opt_file = optimizer_path(path)
    if not opt_file.exists():
        return False
    optimizer.build(variables)
    if not zipfile.is_zipfile(opt_file):  # np.load would try it as a pickle and say so
        raise UserInputError(f"cannot read optimiser state {opt_file}: not an .npz file")
    try:
        with np.load(opt_file, allow_pickle=False) as data:
            arrays = [np.asarray(data[f"v{i}"]) for i in range(len(data.files))]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserInputError(f"cannot read optimiser state {opt_file}: {detail}") from None
    if len(arrays) != len(optimizer.variables) or any(
            a.shape != tuple(v.shape) or not np.issubdtype(a.dtype, np.number)
            for a, v in zip(arrays, optimizer.variables)):
        raise UserInputError(f"optimiser state {opt_file} does not match this model and optimiser")
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise UserInputError(f"optimiser state {opt_file} holds NaN or infinite values")
    for v, a in zip(optimizer.variables, arrays):
        v.assign(a)
    return True
