"""Memory a run will need, estimated from its sizes before any work, refused in one line if it cannot fit.

No TensorFlow here: the checks run before the heavy imports.
"""
from __future__ import annotations

from style_transfer.media.images import require_memory

# A lower bound on what stylising needs per pixel of the largest image: VGG16 activations up to
# conv5 (about 270 floats a pixel), kept for the backward pass and matched by their gradients.
# A lower bound, so only runs that certainly cannot fit are refused.
NST_BYTES_PER_PIXEL = 2048
# A montage frame: the RGB canvas, its array copy and the frame handed to the writer.
CANVAS_BYTES_PER_PIXEL = 12


def check_stylise_memory(sizes, what: str = "stylising") -> None:
    """Refuse when the largest of the (W, H) `sizes` cannot be stylised in the memory available."""
    w, h = max(sizes, key=lambda s: s[0] * s[1])
    require_memory(w * h * NST_BYTES_PER_PIXEL, f"{what} at {w}×{h}")


def check_canvas_memory(size: tuple[int, int], what: str = "the montage") -> None:
    w, h = size
    require_memory(w * h * CANVAS_BYTES_PER_PIXEL, f"{what} ({w}×{h} px)")
