"""How far L-BFGS-B's first trial step may move a pixel (`nst.optimizer.FIRST_STEP`): final losses per choice.

For each first step (grey levels; "none" = the raw gradient step) it reports the final loss after
`--steps` evaluations of the plain defaults and of the article's objective on photo × painting pairs at
320 px, and how many evaluations the article's objective needs to reach the time_to_quality reference's
float32 loss on its 300×300 pair.

    python benchmarks/first_step.py --first-steps none,8,32,64,96,128
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

REFERENCE_LOSS = 1.553e8  # the reference loop's float32 loss on time_to_quality's pair (docs/speed.md)
PAIRS = "astronaut:renoir-moulin_de_la_galette.png,coffee:HokusaiBridge.png,camera:kandinky.png"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--first-steps", default="none,8,32,64,96,128")
    p.add_argument("--pairs", default=PAIRS, help="PHOTO:PAINTING,... from benchmarks/quality_panel.py's photos")
    p.add_argument("--steps", type=int, default=50)
    args = p.parse_args()

    import quality_panel
    import time_to_quality
    from style_transfer.media.images import load_image, resize_longest
    from style_transfer.nst import optimizer
    from style_transfer.nst.config import make_config
    from style_transfer.nst.engine import stylize
    from style_transfer.nst.network import default_network

    network, photos = default_network(), quality_panel.photos()
    article = time_to_quality.ARTICLE
    with tempfile.TemporaryDirectory() as tmp:
        content, style = time_to_quality.make_inputs(Path(tmp))
        bench = (np.asarray(load_image(content), np.float32), np.asarray(load_image(style), np.float32))
    cases = [("time_to_quality pair (300 px)", *bench)]
    for pair in args.pairs.split(","):
        name, _, painting = pair.partition(":")
        cases.append((f"{name} × {Path(painting).stem} (320 px)",
                      np.asarray(resize_longest(photos[name], 320), np.float32),
                      np.asarray(Image.open(ROOT / "imgs" / painting).convert("RGB"), np.float32)))
    print(f"| first step | case | defaults, loss after {args.steps} | article, loss after {args.steps} | "
          "article, evaluations to the reference's loss |\n|---|---|---|---|---|", flush=True)
    for value in args.first_steps.split(","):
        optimizer.FIRST_STEP = None if value == "none" else float(value)
        for k, (case, photo, painting) in enumerate(cases):
            plain = stylize(photo, painting, make_config(precision="float32", steps=args.steps), network,
                            progress=False)
            art = stylize(photo, painting, make_config(precision="float32", steps=args.steps, **article), network,
                          progress=False)
            reach = ""
            if k == 0:
                run = stylize(photo, painting, make_config(precision="float32", steps=200, until_loss=REFERENCE_LOSS,
                                                           **article), network, progress=False)
                reach = str(run.steps)
            print(f"| {value} | {case} | {plain.final_loss:.4g} | {art.final_loss:.4g} | {reach} |", flush=True)


if __name__ == "__main__":
    main()
