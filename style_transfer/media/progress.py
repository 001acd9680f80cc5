"""Watching the optimisation: GIF/MP4 writers that stamp the step number on each frame."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from style_transfer.media import images

ANIMATION_EXTENSIONS = {".gif": "GIF", ".mp4": "MP4"}


def font(size: int) -> ImageFont.ImageFont:
    """Pillow's built-in scalable font (no font files needed)."""
    return ImageFont.load_default(size=max(6, int(size)))


def draw_step_label(frame, step: int) -> Image.Image:
    """The frame with 'step N' drawn small, white on a dark box, in its top-left corner."""
    img = frame.copy() if isinstance(frame, Image.Image) else Image.fromarray(np.asarray(frame, np.uint8))
    img = img.convert("RGB")
    f = font(max(9, round(min(img.size) / 18)))
    text = f"step {step}"
    pad = max(2, f.size // 4)
    left, top, right, bottom = f.getbbox(text)
    box = (pad, pad, pad + right - left + 2 * pad, pad + bottom - top + 2 * pad)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    d.rectangle(box, fill=(0, 0, 0, 150))
    d.text((box[0] + pad - left, box[1] + pad - top), text, font=f, fill=(255, 255, 255, 255))
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def even_size(frame: np.ndarray) -> np.ndarray:
    """Pad a frame by edge replication to even width and height (H.264 with yuv420p needs them)."""
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge") if (h % 2 or w % 2) else frame


def write_gif(path, frames, fps: float = 10.0) -> Path:
    """Write RGB frames as a looping GIF, atomically."""
    pics = [f if isinstance(f, Image.Image) else Image.fromarray(np.asarray(f, np.uint8)) for f in frames]
    with images.atomic_output(path) as tmp:
        pics[0].save(tmp, format="GIF", save_all=True, append_images=pics[1:],
                     duration=max(20, int(round(1000 / fps))), loop=0, disposal=1)
    return Path(path)


def write_mp4(path, frames, fps: float = 10.0) -> Path:
    """Write RGB frames as an H.264 MP4 (imageio-ffmpeg), atomically; odd sizes are padded to even."""
    import imageio.v2 as imageio

    with images.atomic_output(path) as tmp:
        writer = imageio.get_writer(str(tmp), format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                    pixelformat="yuv420p", quality=8, macro_block_size=1,
                                    ffmpeg_log_level="error")
        try:
            for f in frames:
                writer.append_data(even_size(np.asarray(f, np.uint8)))
        finally:
            writer.close()
    return Path(path)


def write_animation(path, frames, fps: float = 10.0) -> Path:
    """Write frames as GIF or MP4, by the extension of `path`."""
    frames = list(frames)
    if not frames:
        raise ValueError("no frames to write")
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return write_gif(path, frames, fps)
    if suffix == ".mp4":
        return write_mp4(path, [np.asarray(f, np.uint8) for f in frames], fps)
    raise ValueError(f"unsupported animation extension {suffix!r} (use .gif or .mp4)")


class ProgressWriter:
    """Collects optimisation frames and writes them as a GIF or MP4 (by extension) on close.

    With `label` each frame carries its step number in the top-left corner.
    """

    def __init__(self, path, fps: float = 10.0, label: bool = True):
        self.path, self.fps, self.label = Path(path), fps, label
        self.frames: list[Image.Image] = []

    def add(self, frame, step: int | None = None) -> None:
        pic = Image.fromarray(np.asarray(frame, np.uint8))
        self.frames.append(draw_step_label(pic, step) if self.label and step is not None else pic)

    def close(self) -> None:
        if self.frames:
            write_animation(self.path, self.frames, self.fps)


class GifWriter(ProgressWriter):
    """Collects frames and writes a looping GIF atomically on close (no step labels unless asked)."""

    def __init__(self, path, fps: float = 10.0, label: bool = False):
        super().__init__(path, fps, label)
