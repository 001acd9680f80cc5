"""Camera moves over a still picture: pan and zoom clips with known motion, for tests and benchmarks."""
from __future__ import annotations

import numpy as np
from PIL import Image

from style_transfer.media.images import is_path, load_image, to_pil


def _picture(image) -> Image.Image:
    return load_image(image) if is_path(image) else to_pil(image)


def pan_frames(image, size: tuple[int, int], frames: int, dx: int = 2, dy: int = 0, height: int | None = None):
    """Yield `frames` uint8 crops of `size` (W, H) moving by (dx, dy) whole pixels a frame.

    The picture is first scaled to `height` px tall (default: just tall enough). Between
    frame t and t+1 the scene moves by (−dx, −dy): the true flow from t to t+1 is (−dx, −dy)
    wherever the pixel stays in view.
    """
    pic = _picture(image)
    w, h = size
    need_w, need_h = w + abs(dx) * (frames - 1), h + abs(dy) * (frames - 1)
    scale = max(need_w / pic.width, need_h / pic.height, (height or 0) / pic.height)
    if scale != 1:
        pic = pic.resize((max(need_w, round(pic.width * scale)), max(need_h, round(pic.height * scale))),
                         Image.Resampling.LANCZOS)
    arr = np.asarray(pic)
    x0 = (arr.shape[1] - need_w) // 2 + (abs(dx) * (frames - 1) if dx < 0 else 0)
    y0 = (arr.shape[0] - need_h) // 2 + (abs(dy) * (frames - 1) if dy < 0 else 0)
    for t in range(frames):
        x, y = x0 + t * dx, y0 + t * dy
        yield np.ascontiguousarray(arr[y:y + h, x:x + w])


def zoom_frames(image, size: tuple[int, int], frames: int, zoom_per_frame: float = 1.02):
    """Yield `frames` uint8 frames of `size` (W, H) zooming into the centre of the picture."""
    pic = _picture(image)
    w, h = size
    aspect = w / h
    cw, ch = (pic.width, pic.width / aspect) if pic.width / pic.height < aspect else (pic.height * aspect, pic.height)
    cx, cy = pic.width / 2, pic.height / 2
    for t in range(frames):
        s = zoom_per_frame ** t
        box = (cx - cw / 2 / s, cy - ch / 2 / s, cx + cw / 2 / s, cy + ch / 2 / s)
        yield np.asarray(pic.resize((w, h), Image.Resampling.LANCZOS, box=box))


def write_clip(frames, path, fps: float = 12.0):
    """Write frames to a video (.mp4 or .gif) with the project's streaming writer; returns the path."""
    from style_transfer.media.video import write_frames

    write_frames(path, frames, fps)
    return path
