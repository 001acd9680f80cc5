"""Image loading, validation, resizing and atomic saving (Pillow)."""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from style_transfer.errors import UserInputError
from style_transfer.media.formats import IMAGE_EXTENSIONS

MIN_SIDE = 32


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB: alpha composited on white, 16/32-bit scaled to 8-bit."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img.convert("RGB")


def is_path(value) -> bool:
    """True for a file name (str, bytes or os.PathLike) rather than an image or array."""
    return isinstance(value, (str, bytes)) or hasattr(value, "__fspath__")


def load_image(path) -> Image.Image:
    """Open an image as RGB, applying its EXIF rotation; UserInputError on anything unusable."""
    path = Path(path)
    if not path.exists():
        raise UserInputError(f"no such file: {path}")
    if path.is_dir():
        raise UserInputError(f"is a directory, not an image: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
                img = ImageOps.exif_transpose(img)
                rgb = _to_rgb(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserInputError(f"image too large (over {Image.MAX_IMAGE_PIXELS} pixels): {path}") from None
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError) as exc:
        raise UserInputError(f"cannot read image {path}: {exc}") from None
    if min(rgb.size) < MIN_SIDE:
        raise UserInputError(f"image too small ({rgb.width}×{rgb.height}, need at least {MIN_SIDE} px a side): {path}")
    return rgb


def resize_longest(img: Image.Image, size: int | None) -> Image.Image:
    """Resize keeping the aspect ratio so the longest side is `size` (None: unchanged)."""
    if size is None or max(img.size) == size:
        return img
    scale = size / max(img.size)
    new = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(new, Image.Resampling.LANCZOS)


def load_array(path, size: int | None = None) -> np.ndarray:
    """Load an image as float32 H×W×3 in 0–255, longest side resized to `size`."""
    return np.asarray(resize_longest(load_image(path), size), dtype=np.float32)


def check_output_path(output, inputs=(), extensions=IMAGE_EXTENSIONS) -> Path:
    """Validate an output path: known extension, existing folder, not one of the inputs."""
    output = Path(output)
    if output.suffix.lower() not in extensions:
        raise UserInputError(
            f"unsupported output extension '{output.suffix}' for {output} (use {', '.join(sorted(extensions))})")
    if output.is_dir():
        raise UserInputError(f"output is a directory: {output}")
    for inp in inputs:
        inp = Path(inp)
        if output.resolve() == inp.resolve() or (output.exists() and inp.exists() and os.path.samefile(output, inp)):
            raise UserInputError(f"output {output} would overwrite the input {inp}")
    if not output.parent.exists():
        output.parent.mkdir(parents=True, exist_ok=True)
    return output


class atomic_output:
    """Context manager yielding a temp path beside `path`; renamed onto `path` only on success."""

    def __init__(self, path):
        self.path = Path(path)

    def __enter__(self) -> Path:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


def to_pil(image) -> Image.Image:
    """PIL image (any mode) or uint8/float (0–255) H×W×3 array → RGB PIL image."""
    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else image.convert("RGB")
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def save_image(array_or_image, path) -> Path:
    """Save atomically (temp file, then rename) in the format the extension names."""
    path = Path(path)
    img = to_pil(array_or_image)
    fmt = IMAGE_EXTENSIONS[path.suffix.lower()]
    with atomic_output(path) as tmp:
        img.save(tmp, format=fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    return path

