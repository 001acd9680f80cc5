"""The original article's loop, as the reference to beat (issue: time-to-quality).

Eager TensorFlow (no tf.function), Adam with learning rate 15 on a 0–255 image,
the spine's loss (style on the first five layers, content on conv5_2, weights 1
and 1e-3), the image converted to a PIL image after every step. Prints the final
loss. Run as a whole process:  python benchmarks/reference_loop.py CONTENT STYLE --steps 40
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    t0 = time.perf_counter()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("content")
    p.add_argument("style")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--lr", type=float, default=15.0)
    p.add_argument("--output")
    args = p.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    from style_transfer._models.vgg16 import VGGConv2D
    from style_transfer.nst.network import build_feature_extractor
    from style_transfer.nst.losses import content_loss

    def gram_matrix(f):  # the original's Gram matrix and style loss, plain automatic differentiation
        return tf.einsum("bhwc,bhwd->bcd", f, f) / tf.cast(tf.shape(f)[1] * tf.shape(f)[2], f.dtype)

    def style_loss(outputs, grams):
        return tf.add_n([tf.reduce_mean(tf.square(gram_matrix(f) - g)) for f, g in zip(outputs, grams)])

    extractor = build_feature_extractor()
    for layer in extractor.vgg.layers:  # the original's convolutions: TensorFlow's own input gradient
        if isinstance(layer, VGGConv2D):
            layer.forward_input_gradient = False
    content = np.asarray(Image.open(args.content).convert("RGB"), np.float32)[None]
    style = np.asarray(Image.open(args.style).convert("RGB"), np.float32)[None]
    style_grams = [gram_matrix(f) for f in extractor(style)[0]]
    content_feats = extractor(content)[1]
    image = tf.Variable(content)
    opt = keras.optimizers.Adam(learning_rate=args.lr)
    loss = None
    for _ in range(args.steps):
        with tf.GradientTape() as tape:
            s, c = extractor(image)
            loss = 1.0 * style_loss(s, style_grams) + 1e-3 * content_loss(c, content_feats)
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 255.0))
        pil = Image.fromarray(np.clip(image.numpy()[0], 0, 255).astype(np.uint8))
    # the loss of the final image, computed exactly as the spine defines it
    s, c = extractor(image)
    final = float(1.0 * style_loss(s, style_grams) + 1e-3 * content_loss(c, content_feats))
    if args.output:
        pil.save(args.output)
    print(f"reference: steps={args.steps} last_step_loss={float(loss):.6g} final_loss={final:.6g} "
          f"seconds={time.perf_counter() - t0:.2f}")


if __name__ == "__main__":
    main()
