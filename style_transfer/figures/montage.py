"""Montages: N images, GIFs or MP4s tiled in one picture or one animation, frame by frame.

The default order is the original 2×2 montage's — bottom-left, bottom-right,
top-right, top-left — generalised to any grid as a serpentine from the bottom row up.
Inputs are read through media's streaming VideoReader (a still image is a one-frame
clip) and montage frames are produced one at a time, so long clips never sit in memory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from style_transfer.errors import UserInputError
from style_transfer.figures.layout import Grid, fit_tile
from style_transfer.media.video import VideoReader

ORDERS = ("original", "rows")


@dataclass
class MontageInput:
    """One tile's source: its path, frame size, frame rate, and whether it is animated.

    A still image's single frame is kept (it repeats on every montage frame); an
    animation is re-opened whenever its frames are needed again.
    """

    path: Path
    size: tuple
    fps: float | None = None
    still_frame: Image.Image | None = None

    @property
    def animated(self) -> bool:
        return self.still_frame is None

    def open(self) -> VideoReader:
        """A fresh reader over the animation's frames, at their own size."""
        return VideoReader(self.path, even=False)


def open_input(path) -> MontageInput:
    """Check a still image, animated GIF or video (reading its first frame); UserInputError naming it if unreadable."""
    with VideoReader(path, even=False) as reader:
        first = next(iter(reader))
        animated = not reader.still and reader.count != 1
        return MontageInput(Path(path), reader.size, reader.fps if animated else None,
                            None if animated else Image.fromarray(first))


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


def canvas_size(inputs, cols: int | None = None, gutter: int = 0, tile_size: tuple | None = None) -> tuple:
    """(W, H) of the montage `concat` would make of `inputs`: to check before any frame is made."""
    tile_size = tile_size or inputs[0].size
    rows, cols = grid_shape(len(inputs), cols)
    return Grid((tile_size[0],) * cols, (tile_size[1],) * rows, gutter).size


def tile_frames(frames, tile_size: tuple, cols: int | None = None, order: str = "original",
                gutter: int = 0, fit: str = "crop") -> Image.Image:
    """One montage picture from one frame per input."""
    rows, cols = grid_shape(len(frames), cols)
    grid = Grid((tile_size[0],) * cols, (tile_size[1],) * rows, gutter)
    tiles = (fit_tile(frame, tile_size, fit) for frame in frames)
    return grid.compose(zip(tiles, tile_positions(len(frames), cols, order)))


def _lockstep(inputs, loop: bool):
    """Lists of one frame per input, advancing the animations together.

    Stops when the shortest animation ends, or with `loop` when the longest does
    (shorter ones start again); stills give their one frame every time.
    """
    readers = {}
    try:
        for k, inp in enumerate(inputs):
            if inp.animated:
                readers[k] = inp.open()
        streams = {k: iter(r) for k, r in readers.items()}
        finished = set()
        while True:
            frames = {k: next(s, None) for k, s in streams.items()}
            ended = [k for k, f in frames.items() if f is None]
            finished.update(ended)
            if ended and (not loop or len(finished) == len(streams)):
                return
            for k in ended:
                readers[k] = inputs[k].open()
                streams[k] = iter(readers[k])
                frames[k] = next(streams[k])
            yield [frames[k] if inp.animated else inp.still_frame for k, inp in enumerate(inputs)]
    finally:
        for reader in readers.values():
            reader.close()  # ends ffmpeg processes of animations not read to their end


def concat(inputs, cols: int | None = None, order: str = "original", loop: bool = False,
           gutter: int = 0, fit: str = "crop", tile_size: tuple | None = None) -> tuple:
    """Tile inputs frame by frame. Returns (iterator of montage frames, fps or None when all are still).

    Tiles take the first input's size (others are resized without stretching). Animated
    inputs are aligned to the shortest, or with `loop` to the longest (shorter ones loop);
    still images repeat on every frame.
    """
    inputs = list(inputs)
    if not inputs:
        raise UserInputError("concat needs at least one input")
    tile_size = tile_size or inputs[0].size
    animated = [inp for inp in inputs if inp.animated]
    fps = (animated[0].fps or 10.0) if animated else None
    stills = [[inp.still_frame for inp in inputs]]
    frames = (tile_frames(f, tile_size, cols, order, gutter, fit)
              for f in (_lockstep(inputs, loop) if animated else stills))
    return frames, fps
