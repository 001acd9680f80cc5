"""Montages: N images, GIFs or MP4s tiled in one picture or one animation, frame by frame.

The default order is the original 2×2 montage's — bottom-left, bottom-right,
top-right, top-left — generalised to any grid as a serpentine from the bottom row up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence

from style_transfer.errors import UserInputError
from style_transfer.media.images import IMAGE_EXTENSIONS, load_image

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")
ORDERS = ("original", "rows")


@dataclass
class Clip:
    """An input as a list of RGB frames (one for a still image) and its frame rate."""

    path: Path
    frames: list = field(default_factory=list)
    fps: float | None = None

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1


def read_clip(path) -> Clip:
    """Read a still image, an animated GIF or a video; UserInputError naming the file if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"no such file: {path}" if not path.exists() else f"not a file: {path}")
    suffix = path.suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return _read_video(path)
    if suffix == ".gif":
        try:
            with Image.open(path) as img:
                frames = [f.convert("RGB") for f in ImageSequence.Iterator(img)]
                duration = img.info.get("duration") or 100
        except (OSError, SyntaxError, ValueError) as exc:
            raise UserInputError(f"cannot read GIF {path}: {exc}") from None
        return Clip(path, frames, 1000.0 / max(10, duration))
    return Clip(path, [load_image(path)])


def _read_video(path: Path) -> Clip:
    import imageio.v2 as imageio

    try:
        reader = imageio.get_reader(str(path), format="FFMPEG")
        try:
            fps = float(reader.get_meta_data().get("fps") or 25.0)
            frames = [Image.fromarray(np.asarray(f)[..., :3]) for f in reader]
        finally:
            reader.close()
    except Exception as exc:  # imageio raises OSError/RuntimeError/IndexError for bad files
        raise UserInputError(f"cannot read video {path}: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    if not frames:
        raise UserInputError(f"video has no frames: {path}")
    return Clip(path, frames, fps)


def grid_shape(n: int, cols: int | None = None) -> tuple:
    """(rows, cols) of a near-square grid for n tiles."""
    cols = cols or math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def tile_positions(n: int, cols: int | None = None, order: str = "original") -> list:
    """(row, col) of each of n tiles, row 0 at the top.

    "original": bottom row left→right, the row above right→left, and so on (for 2×2:
    bottom-left, bottom-right, top-right, top-left). "rows": reading order.
    """
    rows, cols = grid_shape(n, cols)
    positions = []
    for k in range(n):
        r, c = divmod(k, cols)
        if order == "original":
            positions.append((rows - 1 - r, c if r % 2 == 0 else cols - 1 - c))
        elif order == "rows":
            positions.append((r, c))
        else:
            raise ValueError(f"order must be one of {ORDERS}")
    return positions


def fit_tile(img: Image.Image, size: tuple, fit: str = "crop") -> Image.Image:
    """Bring an image to `size` without stretching: crop to fill ("crop") or letterbox ("pad")."""
    if img.size == size:
        return img
    if fit == "pad":
        return ImageOps.pad(img, size, Image.Resampling.LANCZOS, color=(255, 255, 255))
    return ImageOps.fit(img, size, Image.Resampling.LANCZOS)


def tile_frames(frames, tile_size: tuple, cols: int | None = None, order: str = "original",
                gutter: int = 0, fit: str = "crop") -> Image.Image:
    """One montage picture from one frame per input."""
    rows, cols = grid_shape(len(frames), cols)
    w, h = tile_size
    canvas = Image.new("RGB", (cols * w + (cols + 1) * gutter, rows * h + (rows + 1) * gutter), (255, 255, 255))
    for frame, (r, c) in zip(frames, tile_positions(len(frames), cols, order)):
        canvas.paste(fit_tile(frame, tile_size, fit), (gutter + c * (w + gutter), gutter + r * (h + gutter)))
    return canvas


def concat(clips, cols: int | None = None, order: str = "original", loop: bool = False,
           gutter: int = 0, fit: str = "crop", tile_size: tuple | None = None) -> tuple:
    """Tile clips frame by frame. Returns (list of montage frames, fps).

    Tiles take the first input's size (others are resized without stretching). Animated
    inputs are aligned to the shortest, or with `loop` to the longest (shorter ones loop);
    still images repeat on every frame.
    """
    clips = list(clips)
    if not clips:
        raise UserInputError("concat needs at least one input")
    tile_size = tile_size or clips[0].frames[0].size
    animated = [c for c in clips if c.animated]
    if animated:
        lengths = [len(c.frames) for c in animated]
        n_frames = max(lengths) if loop else min(lengths)
        fps = animated[0].fps or 10.0
    else:
        n_frames, fps = 1, None
    out = []
    for t in range(n_frames):
        frames = [c.frames[t % len(c.frames)] if c.animated else c.frames[0] for c in clips]
        out.append(tile_frames(frames, tile_size, cols, order, gutter, fit))
    return out, fps


def is_still_output(path) -> bool:
    """True when `path` names a still image format."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS
