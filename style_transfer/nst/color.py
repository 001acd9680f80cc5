"""Colour preservation (Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer").

Two ways to keep the content's colours:

- luminance-only transfer: stylise the luminance (Y of YCbCr, replicated to three
  channels, the style's luminance matched to the content's mean and spread), then
  put the content's chroma (Cb, Cr) back on the result;
- colour-histogram matching: before transfer, move the style image's colour
  distribution onto the content's with the linear map x ↦ A(x − μ_s) + μ_c,
  A = Σ_c^½ Σ_s^−½, so the style's colour mean and covariance become the content's.

All functions take and return H×W×3 float arrays in 0–255 (RGB).
"""
from __future__ import annotations

import numpy as np

# Full-range ITU-R BT.601 (JPEG) RGB → YCbCr, Cb and Cr centred on 128.
_RGB_TO_YCBCR = np.array([[0.299, 0.587, 0.114],
                          [-0.168736, -0.331264, 0.5],
                          [0.5, -0.418688, -0.081312]], np.float64)
_YCBCR_TO_RGB = np.linalg.inv(_RGB_TO_YCBCR)
_CHROMA_OFFSET = np.array([0.0, 128.0, 128.0])


def rgb_to_ycbcr(rgb) -> np.ndarray:
    """RGB (0–255) → YCbCr (JPEG full range, 0–255), float32."""
    rgb = np.asarray(rgb, np.float64)
    return (rgb @ _RGB_TO_YCBCR.T + _CHROMA_OFFSET).astype(np.float32)


def ycbcr_to_rgb(ycbcr) -> np.ndarray:
    """YCbCr (JPEG full range) → RGB, float32 clipped to 0–255."""
    ycbcr = np.asarray(ycbcr, np.float64)
    return np.clip((ycbcr - _CHROMA_OFFSET) @ _YCBCR_TO_RGB.T, 0, 255).astype(np.float32)


def luminance(rgb) -> np.ndarray:
    """The luminance Y (H×W, 0–255) of an RGB image."""
    return rgb_to_ycbcr(rgb)[..., 0]


def grey(y) -> np.ndarray:
    """A luminance plane (H×W) replicated to three channels, as the loss network wants RGB."""
    return np.repeat(np.asarray(y, np.float32)[..., None], 3, axis=-1)


def match_luminance(style_y, content_y) -> np.ndarray:
    """The style luminance shifted and scaled to the content luminance's mean and standard deviation."""
    style_y, content_y = np.asarray(style_y, np.float64), np.asarray(content_y, np.float64)
    ratio = content_y.std() / max(style_y.std(), 1e-6)
    return np.clip((style_y - style_y.mean()) * ratio + content_y.mean(), 0, 255).astype(np.float32)


def with_chroma_of(result, content) -> np.ndarray:
    """The luminance of `result` with the chroma (Cb, Cr) of `content`, as RGB 0–255."""
    ycc = rgb_to_ycbcr(content)
    ycc[..., 0] = luminance(result)
    return ycbcr_to_rgb(ycc)


def _sqrtm(cov, inverse=False) -> np.ndarray:
    """Symmetric square root (or inverse square root) of a covariance matrix."""
    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals, 1e-5)
    return (vecs * (vals ** (-0.5 if inverse else 0.5))) @ vecs.T


def color_stats(rgb) -> tuple[np.ndarray, np.ndarray]:
    """Mean (3,) and covariance (3, 3) of an image's RGB pixels."""
    pixels = np.asarray(rgb, np.float64).reshape(-1, 3)
    return pixels.mean(axis=0), np.cov(pixels, rowvar=False)


def match_color_histogram(style, content, eps: float = 1e-2) -> np.ndarray:
    """The style image with its RGB mean and covariance moved to the content's.

    Uses the symmetric square-root map A = Σ_c^½ Σ_s^−½ (Gatys et al., colour
    histogram matching). `eps` regularises near-singular covariances (flat images).
    """
    mu_s, cov_s = color_stats(style)
    mu_c, cov_c = color_stats(content)
    eye = np.eye(3) * eps
    a = _sqrtm(cov_c + eye) @ _sqrtm(cov_s + eye, inverse=True)
    pixels = np.asarray(style, np.float64).reshape(-1, 3)
    matched = (pixels - mu_s) @ a.T + mu_c
    return np.clip(matched, 0, 255).reshape(np.shape(style)).astype(np.float32)


def working_content(content, mode: str | None) -> np.ndarray:
    """What the optimiser sees as the content: the content itself, or its luminance in luminance mode."""
    content = np.asarray(content, np.float32)
    return grey(luminance(content)) if mode == "luminance" else content


def working_style(style, content, mode: str | None) -> np.ndarray:
    """The style image as used for its Gram targets under colour-preservation `mode`."""
    style = np.asarray(style, np.float32)
    if mode == "luminance":
        return grey(match_luminance(luminance(style), luminance(content)))
    if mode == "histogram":
        return match_color_histogram(style, content)
    return style


def working_init(init, mode: str | None) -> np.ndarray:
    """The starting image in the optimiser's space (its luminance in luminance mode)."""
    init = np.asarray(init, np.float32)
    return grey(luminance(init)) if mode == "luminance" else init


def restore_colors(result, content, mode: str | None) -> np.ndarray:
    """The optimiser's result as the final uint8 RGB image (content chroma re-attached in luminance mode)."""
    out = with_chroma_of(result, content) if mode == "luminance" else np.asarray(result, np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
