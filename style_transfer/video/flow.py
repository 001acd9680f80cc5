"""Dense optical flow (OpenCV DIS or Farnebäck), backward warping and occlusion masks.

Convention: `flow(a, b)` gives, for every pixel x of frame a, the displacement d(x)
with a(x) ≈ b(x + d(x)). `warp(b, flow(a, b))` then brings b onto a's pixel grid.
The occlusion mask follows Ruder, Dosovitskiy & Brox, "Artistic style transfer for
videos" (2016): a pixel is kept where the a→b flow and the b→a flow, warped onto a,
cancel out, and away from motion boundaries.
"""
from __future__ import annotations

import cv2
import numpy as np

FLOW_METHODS = ("dis", "farneback")


def _gray(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        frame = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame


def flow(a: np.ndarray, b: np.ndarray, method: str = "dis") -> np.ndarray:
    """Dense flow (H×W×2 float32, x then y, in pixels) from frame `a` to frame `b` (RGB, 0–255)."""
    ga, gb = _gray(a), _gray(b)
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return dis.calc(ga, gb, None)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(ga, gb, None, pyr_scale=0.5, levels=4, winsize=15,
                                            iterations=3, poly_n=5, poly_sigma=1.2, flags=0)
    raise ValueError(f"unknown flow method {method!r} (use one of {', '.join(FLOW_METHODS)})")


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


def warp(image: np.ndarray, flow_field: np.ndarray) -> np.ndarray:
    """Backward warp: out(x) = image(x + flow(x)), bilinear, edges replicated. Keeps the dtype."""
    h, w = flow_field.shape[:2]
    xs, ys = _grid(h, w)
    map_x = xs + flow_field[..., 0]
    map_y = ys + flow_field[..., 1]
    src = np.asarray(image)
    out = cv2.remap(src.astype(np.float32), map_x, map_y, interpolation=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    if src.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(src.dtype, copy=False)


def occlusion_mask(flow_ab: np.ndarray, flow_ba: np.ndarray) -> np.ndarray:
    """Float32 H×W mask on a's grid: 1 where a→b flow is reliable, 0 at occlusions and motion boundaries.

    Ruder et al. (2016), eq. 3–4: with w = flow_ab and ŵ = flow_ba warped onto a,
    a pixel is disoccluded if |ŵ + w|² > 0.01 (|w|² + |ŵ|²) + 0.5, on a motion
    boundary if |∇u|² + |∇v|² > 0.01 |w|² + 0.002, and out of view if x + w(x)
    falls outside b.
    """
    h, w = flow_ab.shape[:2]
    back = warp(flow_ba, flow_ab)
    total = back + flow_ab
    consistent = (np.sum(total ** 2, -1)
                  <= 0.01 * (np.sum(flow_ab ** 2, -1) + np.sum(back ** 2, -1)) + 0.5)
    du_y, du_x = np.gradient(flow_ab[..., 0])
    dv_y, dv_x = np.gradient(flow_ab[..., 1])
    boundary = du_x ** 2 + du_y ** 2 + dv_x ** 2 + dv_y ** 2 > 0.01 * np.sum(flow_ab ** 2, -1) + 0.002
    xs, ys = _grid(h, w)
    tx, ty = xs + flow_ab[..., 0], ys + flow_ab[..., 1]
    inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
    return (consistent & ~boundary & inside).astype(np.float32)


def warp_with_mask(target_frame: np.ndarray, other_frame: np.ndarray, other_image: np.ndarray,
                   method: str = "dis") -> tuple[np.ndarray, np.ndarray]:
    """Warp `other_image` (aligned with `other_frame`) onto `target_frame`'s grid.

    Flow is computed on the original frames both ways. Returns (warped image, mask).
    """
    f_ab = flow(target_frame, other_frame, method)
    f_ba = flow(other_frame, target_frame, method)
    return warp(other_image, f_ab), occlusion_mask(f_ab, f_ba)
