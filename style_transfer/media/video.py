"""Streaming reading and writing of stills, GIFs and videos: one frame at a time, so memory stays flat.

This is the project's one reader and one writer for frames. Reading goes through
imageio: the ffmpeg binary shipped in the imageio-ffmpeg wheel for MP4/AVI/MOV/WebM/MKV,
Pillow for GIF; a still image is read as a one-frame clip. Writers produce H.264 MP4
(yuv420p) or a looping GIF; both write to a temp file beside the target and rename it
on success.
"""
from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
from PIL import Image

from style_transfer.errors import UserInputError
from style_transfer.media.formats import IMAGE_EXTENSIONS, VIDEO_OUTPUT_EXTENSIONS
from style_transfer.media.images import (_one_line, atomic_output, check_output_path, load_image, open_image,
                                         require_memory)

MIN_SIDE = 16
STILL_FPS = 25.0  # what ffmpeg reports for a single image: a still given to `video` gets a usable rate


def parse_size(text: str) -> tuple[int, int]:
    """'WxH' → (W, H), both positive; UserInputError otherwise."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise UserInputError(f"--resize must look like WIDTHxHEIGHT (e.g. 320x180), got '{text}'") from None
    if w < MIN_SIDE or h < MIN_SIDE:
        raise UserInputError(f"--resize sides must be at least {MIN_SIDE} px, got '{text}'")
    return w, h


def working_size(source: tuple[int, int], size: int | None = None, resize: tuple[int, int] | None = None,
                 even: bool = True) -> tuple[int, int]:
    """Frame size (W, H) to work at: `resize` exactly, else longest side `size` keeping the aspect ratio.

    With `even`, sides computed from `size` are rounded to even numbers (H.264 needs them).
    """
    if resize is not None:
        return resize
    w, h = source
    if size is None:
        size = max(w, h)
    scale = size / max(w, h)
    nw, nh = w * scale, h * scale
    if even:
        nw, nh = 2 * max(1, round(nw / 2)), 2 * max(1, round(nh / 2))
    else:
        nw, nh = max(1, round(nw)), max(1, round(nh))
    if min(nw, nh) < MIN_SIDE:
        raise UserInputError(f"frames would be {nw}×{nh}, too small (need at least {MIN_SIDE} px a side)")
    return int(nw), int(nh)


def resize_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 H×W×3 frame → (W, H) given by `size` (area averaging when shrinking)."""
    import cv2

    if (frame.shape[1], frame.shape[0]) == tuple(size):
        return frame
    shrink = size[0] < frame.shape[1] and size[1] < frame.shape[0]
    return cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _raw_frames(path: Path):
    """(fps, (W, H), estimated frame count or None, generator of uint8 H×W×3 frames) of a video file.

    A still image is one frame (EXIF rotation applied, as everywhere else stills are loaded).
    """
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        still = np.asarray(load_image(path))
        return STILL_FPS, (still.shape[1], still.shape[0]), 1, iter([still])
    if path.suffix.lower() == ".gif":
        return _gif_frames(path)

    import imageio_ffmpeg

    # ffmpeg reads a name such as 'concat:a.mp4' or 'http://…' as a protocol URL: give it the
    # local file as a file: URL of its absolute path, and allow no other protocol (a playlist
    # inside the file could name others)
    gen = imageio_ffmpeg.read_frames(ffmpeg_file(path), pix_fmt="rgb24",
                                     input_params=["-protocol_whitelist", "file"])
    try:
        meta = gen.__next__()
    except Exception:
        gen.close()
        raise
    w, h = meta["size"]
    fps = float(meta.get("fps") or 0) or 25.0
    duration = meta.get("duration")
    n = int(round(duration * fps)) if duration and math.isfinite(duration) else None

    def frames():
        try:
            for buf in gen:
                yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
        finally:
            gen.close()

    return fps, (w, h), n, frames()


def ffmpeg_file(path) -> str:
    """A local path as ffmpeg must see it: a file: URL of the absolute path, never a protocol."""
    return "file:" + str(Path(path).absolute())


def _gif_frames(path: Path):
    """(fps, size, frame count, frames) of a GIF read through media.images' checked opener."""
    from PIL import ImageSequence

    img = open_image(path, formats=("GIF",), what="GIF")
    try:
        n = getattr(img, "n_frames", 1)
        duration = float(img.info.get("duration") or 100)  # ms per frame
        img.seek(0)
    except BaseException:
        img.close()
        raise
    fps = 1000.0 / duration if duration > 0 else 10.0

    def frames():
        try:
            for frame in ImageSequence.Iterator(img):
                yield np.ascontiguousarray(np.asarray(frame.convert("RGB")))
        except UserInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged frame, whatever Pillow raises for it
            raise UserInputError(f"cannot read GIF {path}: {_one_line(exc)}") from None
        finally:
            img.close()

    return fps, img.size, n, frames()


class VideoReader:
    """Frames [start, end) every `skip`-th of a video (or a still, as one frame), resized, read one at a time.

    Opening validates the file and reads the first chosen frame, so an unreadable
    video, or one with no frames in the range, fails before any work is done.
    Iterate to get uint8 H×W×3 frames; `fps` is the source fps, `size` the (W, H)
    of the frames yielded, `count` an estimate of how many there will be (or None),
    `still` whether the file is a still image.
    """

    def __init__(self, path, start: int = 0, end: int | None = None, skip: int = 1,
                 size: int | None = None, resize: tuple[int, int] | None = None, even: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            raise UserInputError(f"no such file: {self.path}")
        if self.path.is_dir():
            raise UserInputError(f"is a directory, not a video: {self.path}")
        if self.path.stat().st_size == 0:
            raise UserInputError(f"video file is empty: {self.path}")
        if start < 0:
            raise UserInputError(f"--start must be 0 or more, got {start}")
        if end is not None and start >= end:
            raise UserInputError(f"--start ({start}) must be less than --end ({end})")
        if skip < 1:
            raise UserInputError(f"--skip must be a positive integer, got {skip}")
        self.start, self.end, self.skip = start, end, skip
        try:
            self.fps, self.source_size, total, raw = _raw_frames(self.path)
        except UserInputError:
            raise
        except Exception as exc:  # ffmpeg / Pillow say why in many ways
            raise UserInputError(f"cannot read video {self.path}: {_one_line(exc)}") from None
        self.still = self.path.suffix.lower() in IMAGE_EXTENSIONS
        self._raw = raw
        self._frames = self._select(raw)
        try:
            first = next(self._frames)
        except StopIteration:
            self.close()
            raise UserInputError(self._empty_message(total)) from None
        except Exception as exc:
            self.close()
            raise UserInputError(f"cannot read video {self.path}: {_one_line(exc)}") from None
        self.size = working_size(self.source_size, size, resize, even)
        try:  # a frame, its resized copy and the caller's: refused in one line before OpenCV allocates
            require_memory(3 * self.size[0] * self.size[1] * 3, f"frames of {self.size[0]}×{self.size[1]}")
        except UserInputError:
            self.close()
            raise
        self._first = resize_frame(first, self.size)
        stop = total if end is None else (end if total is None else min(end, total))
        self.count = None if stop is None else max(1, len(range(start, stop, skip)))

    def _empty_message(self, total) -> str:
        where = f"frames {self.start}…{self.end - 1}" if self.end is not None else f"frames from {self.start} on"
        have = f" (it has {total})" if total is not None else ""
        if total == 0 or (self.start == 0 and self.end is None):
            return f"video has no frames: {self.path}"
        return f"no frames in the chosen range ({where}) of {self.path}{have}"

    def _select(self, raw):
        for i, frame in enumerate(raw):
            if self.end is not None and i >= self.end:
                break
            if i >= self.start and (i - self.start) % self.skip == 0:
                yield frame

    def __iter__(self):
        first, self._first = self._first, None
        if first is None:
            raise RuntimeError("a VideoReader can be iterated only once")
        yield first
        try:
            for frame in self._frames:
                yield resize_frame(frame, self.size)
        except UserInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - ffmpeg / Pillow say why in many ways
            raise UserInputError(f"cannot read video {self.path}: {_one_line(exc)}") from None
        finally:
            self.close()

    def close(self) -> None:
        """Stop decoding (ends the ffmpeg process)."""
        for gen in (self._frames, self._raw):
            if hasattr(gen, "close"):  # a still's single frame is a plain iterator
                gen.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def check_video_output(output, inputs=()) -> Path:
    """Validate a video output path (.gif or .mp4, not an input)."""
    return check_output_path(output, inputs, VIDEO_OUTPUT_EXTENSIONS)


class _GifStream:
    """Writes an animated, looping GIF frame by frame (each frame with its own palette)."""

    def __init__(self, path: Path, fps: float):
        self.file = open(path, "wb")
        self.duration = max(20, int(round(1000.0 / fps / 10.0)) * 10)  # GIF delays are in 1/100 s
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        from PIL import GifImagePlugin

        img = Image.fromarray(np.asarray(frame, np.uint8), "RGB").quantize(256, dither=Image.Dither.NONE)
        if self.count == 0:
            header, _ = GifImagePlugin.getheader(img, info={"loop": 0, "duration": self.duration})
            for chunk in header:
                self.file.write(chunk)
        chunks = GifImagePlugin.getdata(img, duration=self.duration, include_color_table=True)
        for chunk in chunks:
            self.file.write(chunk)
        chunks.clear()  # the list lives on a throw-away class that only the cycle collector frees
        self.count += 1

    def close(self) -> None:
        if not self.file.closed:
            self.file.write(b";")  # GIF trailer
            self.file.close()

    def abort(self) -> None:
        self.file.close()


class _Mp4Stream:
    """Pipes frames to ffmpeg's libx264 (yuv420p, near-lossless CRF)."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], quality: float = 9.0):
        import imageio_ffmpeg

        self.gen = imageio_ffmpeg.write_frames(
            ffmpeg_file(path), size, fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            quality=quality, macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-movflags", "+faststart"])
        self.gen.send(None)
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        self.gen.send(np.ascontiguousarray(frame, np.uint8))
        self.count += 1

    def close(self) -> None:
        self.gen.close()

    def abort(self) -> None:
        self.gen.close()


class VideoWriter:
    """Context manager writing frames one at a time to a .gif or .mp4, atomically.

    Frames go to a temp file beside `path`, renamed onto `path` only if the block
    ends without an exception and at least one frame was written; with `atomic=False`
    they go straight to `path`, a temp file the caller's own transaction already owns
    (one temp file fewer for an interruption to strand). `size` is the (W, H)
    of the frames written. H.264 needs even sides: an odd MP4 size is refused, or with
    `pad_odd` every frame gets one more row/column repeating its edge.
    """

    def __init__(self, path, fps: float, size: tuple[int, int], pad_odd: bool = False, atomic: bool = True):
        self.path, self.fps, self.size, self.atomic = Path(path), float(fps), tuple(size), atomic
        kind = VIDEO_OUTPUT_EXTENSIONS.get(self.path.suffix.lower())
        if kind is None:
            raise UserInputError(f"unsupported video output extension '{self.path.suffix}' (use .gif or .mp4)")
        self.pad = (0, 0)
        if kind == "MP4" and (self.size[0] % 2 or self.size[1] % 2):
            if not pad_odd:
                raise UserInputError(f"MP4 (H.264) needs even frame sides, got {self.size[0]}×{self.size[1]}")
            self.pad = (self.size[0] % 2, self.size[1] % 2)
        self.kind = kind
        self.count = 0

    def abort(self) -> None:
        """Give up: close the stream and remove the temp file (for writers not used in a `with`)."""
        if not hasattr(self, "_stream"):
            return
        err = RuntimeError("aborted")
        self.__exit__(type(err), err, None)

    def __enter__(self) -> "VideoWriter":
        self._atomic = atomic_output(self.path) if self.atomic else contextlib.nullcontext(self.path)
        tmp = self._atomic.__enter__()
        try:
            stream_size = (self.size[0] + self.pad[0], self.size[1] + self.pad[1])
            self._stream = _GifStream(tmp, self.fps) if self.kind == "GIF" else _Mp4Stream(tmp, self.fps, stream_size)
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one uint8 H×W×3 frame of the writer's size."""
        frame = np.asarray(frame)
        if (frame.shape[1], frame.shape[0]) != self.size or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"frame of shape {frame.shape} does not match the video size {self.size}")
        if any(self.pad):
            frame = np.pad(frame, ((0, self.pad[1]), (0, self.pad[0]), (0, 0)), mode="edge")
        self._stream.write(frame)
        self.count += 1

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None and self.count == 0:
            exc_type = exc = RuntimeError("no frames written")
        try:
            if exc_type is None:
                self._stream.close()
            else:
                self._stream.abort()
        except BaseException as err:
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise
        self._atomic.__exit__(exc_type, exc, tb)
        return False


def write_frames(path, frames, fps: float, pad_odd: bool = False) -> int:
    """Write an iterable of uint8 H×W×3 frames (all the first one's size) with a VideoWriter; the count."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("no frames to write")
    first = np.asarray(first)
    with VideoWriter(path, fps, (first.shape[1], first.shape[0]), pad_odd) as writer:
        writer.write(first)
        for frame in frames:
            writer.write(frame)
    return writer.count


def read_video(path, **kwargs):
    """All frames of a (short) video as one uint8 array (N, H, W, 3); for tests and checks."""
    with VideoReader(path, **kwargs) as reader:
        return np.stack(list(reader))

