"""What a style pyramid level costs: seconds per evaluation of the compiled steps, by `--style-pyramid`.

For each image size and level count it times the full evaluation (style and content, loss and
gradient) and the style-only one that the content guard uses between full ones, on chelsea × the
Great Wave, with the default layers and precision. What the levels do to the image is the quality
panel's job: `python benchmarks/quality_panel.py ... --variant 'pyramid_1={"style_pyramid": 1}'`.

    python benchmarks/style_pyramid.py --sizes 320 --levels 0,1,2 --repeats 5
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="320", help="long sides in px, comma-separated")
    p.add_argument("--levels", default="0,1,2")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()

    import numpy as np
    from time_to_quality import seconds_per_evaluation

    from style_transfer.media.images import load_array
    from style_transfer.nst.config import make_config
    from style_transfer.nst.engine import begin, compiled
    from style_transfer.nst.prepare import scale_style

    for size in map(int, args.sizes.split(",")):
        content = np.asarray(load_array(ROOT / "imgs" / "chelsea.jpg", size), np.float32)
        style = np.asarray(scale_style(load_array(ROOT / "imgs" / "GreatWave.png"), content.shape[:2]), np.float32)
        base = None
        for levels in map(int, args.levels.split(",")):
            config = make_config(content_weight=0.6, style_pyramid=levels)
            network = begin(config)
            loss, optimizer = compiled(network, config, *content.shape[:2])
            loss.set_style([style])
            loss.set_content(content)
            optimizer.image.assign(content[None])
            rates = {name: seconds_per_evaluation(step, args.repeats) for name, step in (
                ("full", optimizer._value_and_grad), ("style-only", optimizer._style_value_and_grad))}
            base = base or rates
            print(f"{content.shape[1]}x{content.shape[0]} px, {network.precision}, --style-pyramid {levels}: "
                  f"full {rates['full']:.3f} s ({rates['full'] / base['full']:.2f}×), style-only "
                  f"{rates['style-only']:.3f} s ({rates['style-only'] / base['style-only']:.2f}×) per evaluation",
                  flush=True)


if __name__ == "__main__":
    main()
