"""Watching the optimisation: frames streamed to a GIF or MP4, each stamped with its step number.

It lives in figures, not media, because it draws (the step label); it writes through
media's one streaming VideoWriter.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from style_transfer.figures.labels import draw_step_label
from style_transfer.media.images import to_pil
from style_transfer.media.video import VideoWriter


class ProgressWriter:
    """Streams optimisation frames to a GIF or MP4 (by extension) at one fixed `size` (W, H).

    Coarse-to-fine optimisation hands over frames at several sizes (a fraction of the
    image first, then the full size), so every frame is resized to `size` before it is
    labelled and written. With `label` each frame carries its step number in the top-left
    corner. Nothing is held in memory: each frame goes straight to a temp file that
    `close` renames onto `path` (MP4 frames with an odd side get one repeated edge row or
    column, as H.264 needs even sides). `abort` drops the temp file instead. With `atomic=False`
    frames go straight to `path`, a temp file of the caller's own transaction.
    """

    def __init__(self, path, size: tuple[int, int], fps: float = 10.0, label: bool = True, atomic: bool = True):
        self.path, self.size, self.fps, self.label = Path(path), (int(size[0]), int(size[1])), fps, label
        self.atomic = atomic
        self._writer: VideoWriter | None = None

    def add(self, frame, step: int | None = None) -> None:
        pic = to_pil(frame)
        if pic.size != self.size:
            pic = pic.resize(self.size, Image.Resampling.LANCZOS)
        if self.label and step is not None:
            pic = draw_step_label(pic, step)
        if self._writer is None:
            # held before it is entered, so an interruption inside __enter__ still reaches abort()
            self._writer = VideoWriter(self.path, self.fps, self.size, pad_odd=True, atomic=self.atomic)
            self._writer.__enter__()
        self._writer.write(np.asarray(pic))

    def close(self) -> None:
        """Finish the file (nothing is written when no frame was added)."""
        if self._writer is not None:
            self._writer.__exit__(None, None, None)
            self._writer = None

    def abort(self) -> None:
        """Stop without writing `path` (the optimisation failed or was interrupted)."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def __enter__(self) -> "ProgressWriter":
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
