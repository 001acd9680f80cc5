"""The plain loop a user would otherwise run: the reference every speed figure is measured against.

Keras' own VGG16 architecture (`keras.applications.VGG16`, include_top=False) with the ImageNet
weights set from the project's converted copy (the same numbers; nothing is downloaded), eager
TensorFlow with its own gradients, Adam with learning rate 15 on the 0–255 image, the article's
objective (style: Gram matrices of block1_conv1 … block2_conv2, the first five outputs; content:
block5_conv2; weights 1 and 1e-3), the image copied to a PIL image after every step.

    python benchmarks/reference_loop.py CONTENT STYLE --steps 40 --output ref.png

Prints the loop's seconds (start-up excluded) and the whole process's; the caller measures both
runs' final images with one yardstick (the project's objective in float32).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STYLE = ("block1_conv1", "block1_conv2", "block1_pool", "block2_conv1", "block2_conv2")
CONTENT = "block5_conv2"


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

    from style_transfer._models.vgg16 import CONV_NAMES, IMAGENET_CONV_NAMES
    from style_transfer.nst.weights import imagenet_vgg16_weights

    vgg = keras.applications.VGG16(include_top=False, weights=None)
    weights = imagenet_vgg16_weights()
    for ours, theirs in zip(CONV_NAMES, IMAGENET_CONV_NAMES):
        vgg.get_layer(theirs).set_weights(weights[ours])
    vgg.trainable = False
    model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in STYLE + (CONTENT,)])

    def features(rgb):
        out = model(keras.applications.vgg16.preprocess_input(rgb))
        return out[:-1], out[-1]

    def gram(f):
        return tf.einsum("bhwc,bhwd->bcd", f, f) / tf.cast(tf.shape(f)[1] * tf.shape(f)[2], f.dtype)

    content = np.asarray(Image.open(args.content).convert("RGB"), np.float32)[None]
    style = np.asarray(Image.open(args.style).convert("RGB"), np.float32)[None]
    style_grams = [gram(f) for f in features(tf.constant(style))[0]]
    content_target = features(tf.constant(content))[1]
    image = tf.Variable(content)
    opt = keras.optimizers.Adam(learning_rate=args.lr)
    loop_start = time.perf_counter()
    loss = None
    for _ in range(args.steps):
        with tf.GradientTape() as tape:
            s, c = features(image)
            style_loss = tf.add_n([tf.reduce_mean(tf.square(gram(f) - g)) for f, g in zip(s, style_grams)])
            loss = 1.0 * style_loss + 1e-3 * 0.5 * tf.reduce_sum(tf.square(c - content_target))
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 255.0))
        pil = Image.fromarray(np.clip(image.numpy()[0], 0, 255).astype(np.uint8))
    loop_seconds = time.perf_counter() - loop_start
    if args.output:
        pil.save(args.output)
    print(f"reference: steps={args.steps} last_step_loss={float(loss):.6g} loop_seconds={loop_seconds:.2f} "
          f"start_up_seconds={loop_start - t0:.2f} seconds={time.perf_counter() - t0:.2f}")


if __name__ == "__main__":
    main()
