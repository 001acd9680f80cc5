"""On-disk cache of stylised images keyed by (content, style, settings, loss network)."""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

import style_transfer.nst
from style_transfer.media import images
from style_transfer.nst.config import array_digest

FORMAT_VERSION = 1
ENTRY_VERSION = 2  # entries carry the digest and shape of their PNG's pixels


def default_cache_dir() -> Path:
    """`<style_transfer cache>/results` (the cache honours $STYLE_TRANSFER_CACHE)."""
    from style_transfer.nst.weights import cache_dir

    return cache_dir() / "results"


def extractor_fingerprint(extractor) -> str:
    """What identifies a loss network: its layers, preprocessing and a digest of its weights."""
    h = hashlib.sha256()
    h.update(repr((extractor.style_layers, extractor.content_layers, extractor.preprocessing)).encode())
    for layer in extractor.vgg.layers:
        for w in layer.get_weights():
            # first and last values plus the sum: cheap and changes with any checkpoint
            flat = np.asarray(w).ravel()
            h.update(np.array([flat[0], flat[-1], flat.sum(dtype=np.float64)], np.float64).tobytes())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def engine_fingerprint(root: Path = Path(style_transfer.nst.__file__).parent) -> str:
    """A digest of the engine's source files (style_transfer/nst): the default balance, the optimiser
    and the losses decide the pixels as much as the settings do, so a result another version of them
    made is not served as this one's."""
    h = hashlib.sha256()
    for path in sorted(Path(root).glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def result_key(content, style, config, extra: dict | None = None) -> str:
    """Hex key of content pixels, style pixels (one image, or a list of images blended), the
    StyleConfig and anything else in `extra`."""
    h = hashlib.sha256()
    h.update(f"v{FORMAT_VERSION}".encode())
    for one in [content, *(style if isinstance(style, list) else [style])]:
        h.update(array_digest(one).encode())
    h.update(json.dumps(config.key(), sort_keys=True, default=str).encode())
    h.update(json.dumps(extra or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:32]


def run_fingerprint(network, config) -> str:
    """extractor_fingerprint of `network` tapped at `config`'s layers: the loss network a run sees."""
    return extractor_fingerprint(network.with_layers(config.style_layers, config.content_layers))


def run_key(content, style, config, network_fingerprint: str) -> str:
    """result_key of one stylisation: the pixels, the settings, the loss network (`run_fingerprint`)
    and the engine's source, so no other version of either is served as this one."""
    return result_key(content, style, config, {"extractor": network_fingerprint, "engine": engine_fingerprint()})


def _pixel_digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr, np.uint8).tobytes()).hexdigest()


class ResultCache:
    """Stylised images as `KEY.png` with their loss history in `KEY.json`."""

    def __init__(self, root=None):
        self.root = Path(root) if root else default_cache_dir()

    def _paths(self, key: str):
        return self.root / f"{key}.png", self.root / f"{key}.json"

    def get(self, key: str):
        """(uint8 image, metadata dict) or None when absent, unreadable or not what was stored.

        The PNG is read through media's checked opener, and its pixels must match the digest
        and shape stored in the JSON: a replaced, damaged or planted PNG is a miss.
        """
        png, meta = self._paths(key)
        if not (png.is_file() and meta.is_file()):
            return None
        try:
            record = json.loads(meta.read_text())
            if not isinstance(record, dict) or record.get("entry_version") != ENTRY_VERSION:
                return None
            with images.open_image(png, formats=("PNG",)) as img:
                arr = np.ascontiguousarray(np.asarray(img.convert("RGB"), np.uint8))
        except (images.UserInputError, OSError, ValueError):
            return None
        if list(arr.shape) != record.get("shape") or _pixel_digest(arr) != record.get("digest"):
            return None
        return arr, record.get("metadata", {})

    def put(self, key: str, image, metadata: dict) -> None:
        """Store an image (H×W×3, 0–255) and its metadata with the pixels' digest and shape."""
        self.root.mkdir(parents=True, exist_ok=True)
        png, meta = self._paths(key)
        arr = np.asarray(images.to_pil(image), np.uint8)
        record = {"entry_version": ENTRY_VERSION, "shape": list(arr.shape), "digest": _pixel_digest(arr),
                  "metadata": metadata}
        with images.atomic_outputs([png, meta]) as files:
            images.write_image(arr, files[png], "PNG")
            files[meta].write_text(json.dumps(record))

    def __contains__(self, key: str) -> bool:
        return all(p.is_file() for p in self._paths(key))
