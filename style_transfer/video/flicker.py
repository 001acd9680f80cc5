"""The flicker metric: warping error between consecutive stylised frames (Lai et al. 2018's measure).

No TensorFlow: the `flicker` command and the benchmarks measure videos without the loss network.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from style_transfer.errors import UserInputError
from style_transfer.media.video import VideoReader
from style_transfer.video.flow import warp_with_mask


def warping_error(stylised_frames, source_frames, flow_method: str = "dis") -> tuple[float, list]:
    """Flicker measure: mean over consecutive pairs of the occlusion-masked squared difference.

    For each pair (t, t+1): stylised frame t+1 is warped back onto frame t by the flow
    of the *source* frames, and the squared difference to stylised frame t (intensities
    scaled to 0–1) is averaged over the pixels the forward–backward check keeps.
    Both arguments are iterables of H×W×3 frames (0–255) of equal length, consumed in
    step. Returns (mean error, per-pair errors).
    """
    return _pairs_warping_error(zip(stylised_frames, source_frames, strict=True), flow_method)


def _pairs_warping_error(pairs, flow_method: str) -> tuple[float, list]:
    errors = []
    prev_s = prev_v = None
    try:
        for s, v in pairs:
            s = np.asarray(s, np.float32) / 255.0
            v = np.asarray(v)
            if s.shape[:2] != v.shape[:2]:
                raise UserInputError(f"frame sizes differ: stylised {s.shape[1]}×{s.shape[0]}, "
                                     f"source {v.shape[1]}×{v.shape[0]}")
            if prev_s is not None:
                errors.append(pair_warping_error(prev_s, s, prev_v, v, flow_method))
            prev_s, prev_v = s, v
    except ValueError as exc:
        if "zip()" in str(exc):
            raise UserInputError("the stylised and source videos have different frame counts "
                                 "(use --start/--end/--skip as for the video)") from None
        raise
    if not errors:
        raise UserInputError("need at least two frames to measure flicker")
    return float(np.mean(errors)), errors


def pair_warping_error(stylised_a, stylised_b, source_a, source_b, flow_method: str = "dis") -> float:
    """Masked mean squared difference between stylised frame a and stylised frame b warped onto a.

    The flow and the occlusion mask come from the source frames; stylised frames are
    H×W×3 on the scale they are given in (the metric uses 0–1).
    """
    warped, mask = warp_with_mask(source_a, source_b, np.asarray(stylised_b, np.float32), flow_method)
    diff = np.sum((np.asarray(stylised_a, np.float32) - warped) ** 2, axis=-1) / 3.0
    return float(np.sum(mask * diff) / max(1.0, float(np.sum(mask))))


def video_warping_error(stylised_path, source_path, *, start: int = 0, end: int | None = None, skip: int = 1,
                        flow_method: str = "dis", progress: bool = False) -> tuple[float, list]:
    """`warping_error` of a stylised video file against its source video file.

    The source's frames [start, end) every `skip`-th are scaled to the stylised video's
    size, frame by frame; both must then have the same number of frames.
    """
    stylised = VideoReader(stylised_path, even=False)
    with stylised:
        source = VideoReader(source_path, start=start, end=end, skip=skip, resize=stylised.size)
        with source:
            pairs = tqdm(zip(stylised, source, strict=True), total=stylised.count, desc="frames", unit="frame",
                         disable=not progress)
            return _pairs_warping_error(pairs, flow_method)


def chunk_report(errors, chunk_frames: int) -> tuple[list, list]:
    """Per-pair errors split into (pairs straddling a chunk boundary, pairs inside a chunk) for a clip
    stylised in chunks of `chunk_frames` frames: pair i is frames (i, i + 1)."""
    if chunk_frames < 1:
        raise UserInputError(f"--chunk-frames must be a positive number of frames, got {chunk_frames}")
    boundary = [e for i, e in enumerate(errors) if (i + 1) % chunk_frames == 0]
    inside = [e for i, e in enumerate(errors) if (i + 1) % chunk_frames != 0]
    if not boundary:
        raise UserInputError(f"no frame pair of the {len(errors) + 1} frames straddles a boundary of chunks "
                             f"of {chunk_frames} frames")
    return boundary, inside
