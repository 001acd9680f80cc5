"""An independent judge of stylised images: how much style they took, how much content they kept.

ImageNet VGG16 tapped at fixed layers, whatever layers the loss network uses: style = Gram distance
to the painting over conv1_1, conv2_1, conv3_1, conv4_1 and conv5_1, reported as a gain over the
unstyled photo (1 = the painting's statistics reached, 0 = no closer than the photo); content = mean
squared conv4_2 distance to the photo; structure = SSIM of the luminance's Sobel edges.
"""
from __future__ import annotations

import numpy as np

JUDGE_STYLE = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
JUDGE_CONTENT = "conv4_2"


class Judge:
    """Measures of a stylised image against its photo and painting (H×W×3 arrays, 0–255)."""

    def __init__(self):
        from style_transfer.nst.network import build_feature_extractor

        self.net = build_feature_extractor(backbone="imagenet").with_layers(JUDGE_STYLE, (JUDGE_CONTENT,))

    def features(self, image) -> dict:
        return {k: v.numpy()[0] for k, v in self.net.features(np.asarray(image, np.float32)[None]).items()}

    @staticmethod
    def gram(features) -> np.ndarray:
        flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
        return flat.T @ flat / flat.shape[0]

    def style_grams(self, style) -> dict:
        feats = self.features(style)
        return {n: self.gram(feats[n]) for n in JUDGE_STYLE}

    def style_distance(self, feats, style_grams) -> float:
        return float(sum(np.mean((self.gram(feats[n]) - style_grams[n]) ** 2) for n in JUDGE_STYLE))

    def measure(self, out, photo_feats, photo_style_dist, style_grams, photo) -> dict:
        """{"style_gain", "content_distance", "edge_ssim"} of `out`."""
        from skimage.filters import sobel
        from skimage.metrics import structural_similarity

        from style_transfer.nst.color import luminance

        feats = self.features(out)
        edges = [sobel(luminance(np.asarray(x, np.float32)) / 255.0) for x in (out, photo)]
        return {"style_gain": 1.0 - self.style_distance(feats, style_grams) / photo_style_dist,
                "content_distance": float(np.mean((feats[JUDGE_CONTENT] - photo_feats[JUDGE_CONTENT]) ** 2)),
                "edge_ssim": float(structural_similarity(edges[0], edges[1], data_range=1.0))}

    def compare(self, out, photo, style) -> dict:
        """The measures of one result, computing the photo's and painting's references here."""
        grams = self.style_grams(style)
        photo_feats = self.features(photo)
        return self.measure(out, photo_feats, self.style_distance(photo_feats, grams), grams, photo)
