"""How an image was made, carried inside it: one JSON record, embedded when written, read back later.

The record is a JSON object (see `make_record`). It travels as
  PNG   a text chunk named "style-transfer",
  JPEG, WebP   EXIF ImageDescription (tag 0x010E),
  TIFF  the ImageDescription tag (270),
  BMP   nothing (the format has no place for it; use a sidecar),
and optionally as a sidecar `OUT.json` beside the image (`sidecar_path`).

This module knows the record's shape, not what the settings mean: the command that reruns a record
turns its settings back into options and validates them.
"""
from __future__ import annotations

import json
from pathlib import Path

from style_transfer.errors import UserInputError

KEY = "style-transfer"          # PNG text chunk name, and the record's "tool" value
RECORD_VERSION = 1
IMAGE_DESCRIPTION = 0x010E      # EXIF/TIFF ImageDescription
# A record is a few kilobytes; anything far larger is not one of ours (and a JPEG's EXIF segment is
# limited to 64 KiB anyway).
MAX_RECORD_CHARS = 60_000


def make_record(settings: dict, *, seed, working_size, network_fingerprint: str | None,
                network_description: str | None, argv=None, **extra) -> dict:
    """The record of one stylisation: `settings` (StyleConfig.key()), the seed, the working size
    (width, height; its longest side is what --size was), the loss network's weights fingerprint and
    description, the package version and the command line (None when called from Python)."""
    from style_transfer import __version__

    width, height = (int(v) for v in working_size)
    record = {"tool": KEY, "record_version": RECORD_VERSION, "version": __version__,
              "settings": settings, "seed": seed, "size": max(width, height), "working_size": [width, height],
              "network": {"fingerprint": network_fingerprint, "description": network_description},
              "argv": None if argv is None else [str(a) for a in argv]}
    record.update(extra)
    return record


def to_text(record: dict) -> str:
    """The record as compact ASCII JSON (EXIF ImageDescription is an ASCII field)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def save_kwargs(fmt: str, record: dict | None) -> dict:
    """Extra keyword arguments for Pillow's `Image.save` in `fmt` that embed `record` ({} for BMP)."""
    if record is None:
        return {}
    text = to_text(record)
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text(KEY, text)
        return {"pnginfo": info}
    if fmt in ("JPEG", "WEBP"):
        from PIL import Image

        exif = Image.Exif()
        exif[IMAGE_DESCRIPTION] = text
        return {"exif": exif.tobytes()}
    if fmt == "TIFF":
        return {"tiffinfo": {IMAGE_DESCRIPTION: text}}
    return {}


def sidecar_path(image_path) -> Path:
    """Where the JSON sidecar of `image_path` goes: the whole file name plus `.json` (out.png.json), so
    out.png and out.jpg in one folder keep separate records."""
    image_path = Path(image_path)
    return image_path.with_name(image_path.name + ".json")


def sidecar_text(record: dict) -> str:
    return json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"


def embedded_text(path) -> str | None:
    """The record text embedded in the image at `path`, or None when it has none."""
    from style_transfer.media.images import open_image

    with open_image(path, what="image") as img:
        text = img.info.get(KEY)
        if text is None and img.format in ("JPEG", "WEBP", "TIFF", "MPO"):
            text = img.getexif().get(IMAGE_DESCRIPTION)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text


def read_record(path) -> dict:
    """The record of `path`: a sidecar (.json), or an image with an embedded record, or an image whose
    sidecar lies beside it. UserInputError (one line) when there is none or it is damaged."""
    path = Path(path)
    if not path.exists():
        raise UserInputError(f"no such file: {path}")
    if path.suffix.lower() == ".json":
        source, text = path, _read_sidecar(path)
    else:
        source, text = path, embedded_text(path)
        if text is None and sidecar_path(path).is_file():
            source, text = sidecar_path(path), _read_sidecar(sidecar_path(path))
    if text is None:
        raise UserInputError(f"{path} has no style-transfer record (an image written by another tool, "
                             "or a BMP without its .json sidecar)")
    return parse_record(text, source)


def _read_sidecar(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_RECORD_CHARS * 4:
            raise UserInputError(f"damaged style-transfer record in {path}: too large for a record")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserInputError(f"damaged style-transfer record in {path}: not UTF-8 text") from None
    except OSError as exc:
        raise UserInputError(f"cannot read {path}: {exc.strerror or exc}") from None


def parse_record(text: str, source="the record") -> dict:
    """A record from its JSON text, its shape checked; UserInputError naming `source` otherwise."""
    def damaged(why: str) -> UserInputError:
        return UserInputError(f"damaged style-transfer record in {source}: {why}")

    if len(text) > MAX_RECORD_CHARS:
        raise damaged("too large for a record")
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise damaged(f"not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(record, dict) or record.get("tool") != KEY:
        raise damaged("not a style-transfer record")
    if not isinstance(record.get("record_version"), int) or record["record_version"] > RECORD_VERSION:
        raise damaged(f"unknown record version {record.get('record_version')!r} "
                      f"(this style-transfer reads up to {RECORD_VERSION})")
    if not isinstance(record.get("settings"), dict):
        raise damaged("no settings")
    size = record.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise damaged(f"size must be a positive integer, got {size!r}")
    seed = record.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise damaged(f"seed must be an integer, got {seed!r}")
    return record
