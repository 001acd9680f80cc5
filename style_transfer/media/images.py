"""Image loading, validation, resizing and atomic saving (Pillow)."""
from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from style_transfer.errors import UserInputError
from style_transfer.media.formats import IMAGE_EXTENSIONS

MIN_SIDE = 32

# The Pillow formats the project reads. Pillow sniffs the format from the bytes, whatever the
# extension, so without this list any of its plugins (DDS, PSD, ICNS …) could parse a file.
READ_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")  # JPEG includes camera MPO files
# An animation is limited in frames × pixels to this many times Pillow's per-image limit.
ANIMATION_PIXEL_FACTOR = 16


def open_image(path, formats=READ_FORMATS, what: str = "image") -> Image.Image:
    """The one checked opener: an opened, first-frame-loaded Pillow image, or UserInputError.

    Only `formats` are tried. The decompression-bomb policy lives here: Pillow's warning
    (between 1× and 2× Image.MAX_IMAGE_PIXELS) is an error, and an animation's frames ×
    pixels may not exceed ANIMATION_PIXEL_FACTOR × that limit. Any exception a decoder
    raises (Pillow plugins raise more than OSError) is reported as one line naming the file.
    The caller closes the image (it is a context manager).
    """
    path = Path(path)
    if not path.exists():
        raise UserInputError(f"no such file: {path}")
    if path.is_dir():
        raise UserInputError(f"is a directory, not an {what}: {path}")
    limit = Image.MAX_IMAGE_PIXELS
    img = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path, formats=list(formats))
            frames = getattr(img, "n_frames", 1)
            if limit and frames > 1 and frames * img.width * img.height > ANIMATION_PIXEL_FACTOR * limit:
                raise UserInputError(
                    f"animation too large ({frames} frames of {img.width}×{img.height}, over "
                    f"{ANIMATION_PIXEL_FACTOR * limit} pixels in all): {path}")
            img.load()
        return img
    except UserInputError:
        if img is not None:
            img.close()
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        if img is not None:
            img.close()
        raise UserInputError(f"{what} too large (over {limit} pixels): {path}") from None
    except MemoryError:
        if img is not None:
            img.close()
        raise UserInputError(f"{what} needs more memory than is available to decode: {path}") from None
    except Exception as exc:  # noqa: BLE001 - a decoder's exception type says nothing the user can act on
        if img is not None:
            img.close()
        raise UserInputError(f"cannot read {what} {path}: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _scale_to_uint8(arr: np.ndarray, mode: str) -> np.ndarray:
    """One band of a mode I/I;16/F image → uint8 by its real range, not by its container's.

    Integers are scaled by their bit depth, read from the data: the bits of the largest
    value, rounded up to an even count (sensors give 10, 12, 14 or 16 bits), at least 8, so a
    12-bit TIFF (0–4095) spans 0–255 and an 8-bit range stays as it is. Floats in [0, 1]
    are scaled by 255, floats in [0, 255] kept, any other range stretched min..max. Integers
    below zero are stretched min..max too. NaN counts as 0.
    """
    arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if mode == "F":
        if lo >= 0.0 and hi <= 1.0:
            scaled = arr * 255.0
        elif lo >= 0.0 and hi <= 255.0:
            scaled = arr
        else:
            scaled = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
    elif lo < 0:
        scaled = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
    else:
        bits = max(8, int(hi).bit_length())
        bits += bits % 2
        scaled = arr / float(2 ** bits - 1) * 255.0
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB: alpha composited on white, 16/32-bit scaled to 8-bit by their range."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        img = Image.fromarray(_scale_to_uint8(np.asarray(img, dtype=np.float64), img.mode), "L")
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
    with open_image(path) as img:
        try:
            img = ImageOps.exif_transpose(img)
            rgb = _to_rgb(img)
        except MemoryError:
            raise UserInputError(f"image needs more memory than is available to convert: {path}") from None
        except Exception as exc:  # noqa: BLE001 - a malformed EXIF block or mode, from any plugin
            raise UserInputError(f"cannot read image {path}: {_one_line(exc)}") from None
    if min(rgb.size) < MIN_SIDE:
        raise UserInputError(f"image too small ({rgb.width}×{rgb.height}, need at least {MIN_SIDE} px a side)"
                             f": {path}")
    return rgb


def scaled_size(size: tuple[int, int], longest: int | None) -> tuple[int, int]:
    """(W, H) of an image of `size` once its longest side is `longest`, aspect kept (None: unchanged)."""
    if longest is None:
        return tuple(size)
    scale = longest / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def resize_longest(img: Image.Image, size: int | None) -> Image.Image:
    """Resize keeping the aspect ratio so the longest side is `size` (None: unchanged)."""
    if size is None or max(img.size) == size:
        return img
    return img.resize(scaled_size(img.size, size), Image.Resampling.LANCZOS)


def load_array(path, size: int | None = None) -> np.ndarray:
    """Load an image as float32 H×W×3 in 0–255, longest side resized to `size`."""
    return np.asarray(resize_longest(load_image(path), size), dtype=np.float32)


def _nearest_existing(folder: Path) -> Path:
    """`folder` or its closest ancestor that exists (the one a new folder would be made in)."""
    folder = Path(os.path.abspath(folder))
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def check_writable_folder(folder, for_path=None) -> None:
    """UserInputError unless files can be created in `folder` (made later if missing).

    Nothing is created but a probe file, removed at once: the folder that exists nearest to
    `folder` must be a directory in which a temp file can be made. So a parent that is a
    file, a read-only folder and a read-only or pseudo file system (/proc) are refused
    before any work is done.
    """
    folder = Path(folder)
    named = for_path if for_path is not None else folder
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise UserInputError(f"cannot write {named}: {base} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".style-transfer-probe.", dir=base)
    except OSError as exc:
        raise UserInputError(f"cannot write {named}: {base} is not writable ({exc.strerror or exc})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def check_output_path(output, inputs=(), extensions=IMAGE_EXTENSIONS) -> Path:
    """Validate an output path: known extension, writable folder, not one of the inputs.

    Creates nothing: a missing folder is made only when the output is written
    (atomic_outputs), so a run that fails before then leaves no folder behind.
    """
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
    check_writable_folder(output.parent, output)
    return output


def check_output_paths(outputs, inputs=()) -> list[Path]:
    """Check several outputs at once: each as check_output_path with its own extension table, and
    all different from one another. `outputs` are (path, extensions) pairs; None paths are skipped."""
    checked = [check_output_path(path, inputs, extensions) for path, extensions in outputs if path]
    if len({os.path.abspath(p) for p in checked}) != len(checked) or \
            len({p.resolve() for p in checked}) != len(checked):
        raise UserInputError("output paths must differ from one another")
    return checked


class atomic_outputs:
    """Several outputs written as one transaction: all renamed into place at the end, or none.

    Entering makes each missing folder (remembering which) and one temp file beside each
    output; `tmp(path)` (or indexing) gives the temp path to write. On success every temp file
    is renamed onto its output; on any failure every temp file is removed, and so are the
    folders this made, so a failed run leaves the disk as it was. An OSError while making
    folders, temp files or renaming is a UserInputError naming the output.
    """

    def __init__(self, paths):
        self.paths = [Path(p) for p in paths if p]
        self._tmp: dict[Path, Path] = {}
        self._made: list[Path] = []

    def __enter__(self) -> "atomic_outputs":
        try:
            for path in self.paths:
                self._make_folder(path)
                try:
                    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
                except OSError as exc:
                    raise UserInputError(f"cannot write {path}: {exc.strerror or exc}") from None
                os.close(fd)
                self._tmp[path] = Path(tmp)
        except BaseException:
            self._rollback()
            raise
        return self

    def _make_folder(self, path: Path) -> None:
        missing = []
        folder = path.parent
        while not folder.exists() and folder.parent != folder:
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise UserInputError(f"cannot create the folder {folder} for {path}: {exc.strerror or exc}") from None
            self._made.append(folder)

    def tmp(self, path) -> Path:
        return self._tmp[Path(path)]

    __getitem__ = tmp

    def _rollback(self) -> None:
        for tmp in self._tmp.values():
            with contextlib.suppress(OSError):
                tmp.unlink()
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._rollback()
            return False
        umask = os.umask(0)
        os.umask(umask)
        try:
            for path, tmp in self._tmp.items():
                os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
            # every temp file is complete and beside its output: the renames are all that is left
            for path, tmp in list(self._tmp.items()):
                os.replace(tmp, path)
                del self._tmp[path]
        except OSError as err:
            self._rollback()
            raise UserInputError(f"cannot write {path}: {err.strerror or err}") from None
        return False


@contextlib.contextmanager
def atomic_output(path):
    """Context manager yielding a temp path beside `path`; renamed onto `path` only on success."""
    with atomic_outputs([path]) as outputs:
        yield outputs.tmp(path)


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
        write_image(img, tmp, fmt)
    return path


def write_image(image, path, fmt: str | None = None, metadata: dict | None = None) -> None:
    """Write straight to `path` (a temp file of atomic_outputs) in `fmt` (default: by its extension).

    `metadata`, a provenance record (media/provenance.py), is embedded where the format has room
    for it: a PNG text chunk, EXIF for JPEG and WebP, a TIFF tag; BMP has none.
    """
    fmt = fmt or IMAGE_EXTENSIONS[Path(path).suffix.lower()]
    extra = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    if metadata is not None:
        from style_transfer.media.provenance import save_kwargs

        extra.update(save_kwargs(fmt, metadata))
    to_pil(image).save(path, format=fmt, **extra)


def require_memory(nbytes: float, what: str) -> None:
    """UserInputError when `what` would need more memory than is available, saying both amounts."""
    import psutil

    available = psutil.virtual_memory().available
    if nbytes > available:
        raise UserInputError(f"{what} would need about {_gib(nbytes)} of memory; {_gib(available)} is available")


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2 ** 30:.1f} GiB"

