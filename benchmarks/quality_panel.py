"""Quality panel: do the defaults beat the original recipe on photos and paintings they were not tuned on?

For every photo × painting pair and every setting (the original recipe: Adam lr 15, 40 steps, weights
1 / 1e-3; the plain defaults; each preset) it stylises the photo and measures, with an independent judge
(ImageNet VGG16; style = Gram distance over conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 as a gain over
the unstyled photo; content = mean squared conv4_2 distance to the photo), the structure kept (SSIM of
the luminance's Sobel edges) and the seconds taken. It writes a table (Markdown) and one contact sheet
per size (photo | painting | recipe | defaults | presets), and says on which pairs the defaults
dominate the recipe: at least its style gain and at most 0.75× its content distance. Each row is
written as it finishes; the same command run again reuses the finished results (in OUT/results, keyed by
the pixels, the settings and the engine's source), so a long panel can be stopped and resumed.

    python benchmarks/quality_panel.py                         # 8 photos × 6 paintings at 320 and 1024 px
    python benchmarks/quality_panel.py --photos 4 --paintings 3 --sizes 320 --out outputs/panel
    python benchmarks/quality_panel.py --pairs coffee:HokusaiBridge.png --sizes 1024 --settings recipe,defaults
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if __name__ == "__main__":  # before TensorFlow loads: its C++ log lines go straight to descriptor 2
    from style_transfer.cli.main import quiet_script

    quiet_script()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

PAINTINGS = ("GreatWave.png", "kandinky.png", "gogh_auvert.png", "renoir-moulin_de_la_galette.png",
             "HokusaiBridge.png", "HiroshigeHorsePrawns.png")
DEEPFOREST = ROOT / ".cache" / "wheels" / "deepforest-2.1.0-py3-none-any.whl"


def photos() -> dict:
    """name → PIL image: people, animals, buildings and landscapes from the installed packages' data."""
    import matplotlib.cbook
    import skimage.data

    found = {
        "astronaut": Image.fromarray(skimage.data.astronaut()),
        "grace_hopper": Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")),
        "chelsea": Image.fromarray(skimage.data.chelsea()),
        "coffee": Image.fromarray(skimage.data.coffee()),
        "rocket": Image.fromarray(skimage.data.rocket()),
        "motorcycle": Image.fromarray(skimage.data.stereo_motorcycle()[0]),
        "camera": Image.fromarray(skimage.data.camera()),
    }
    if DEEPFOREST.is_file():  # `make test-data` fetches it: an aerial landscape
        with zipfile.ZipFile(DEEPFOREST) as wheel:
            found["aerial_lake"] = Image.open(BytesIO(wheel.read("deepforest/data/AWPE Pigeon Lake 2020 DJI_0005.JPG")))
    return {k: v.convert("RGB") for k, v in found.items()}


# The recipe above 512 px as its rows in docs/quality.md ran: coarse to fine 40/20/10 Adam steps, the
# project's plan for 40 steps then. Pinned, so the reference stays put when the defaults' plan changes.
RECIPE_LARGE_SCALES = ((0.25, 40), (0.5, 20), (1.0, 10))


def settings(size: int) -> dict:
    from style_transfer.nst.config import AUTO_SCALES_ABOVE, PRESETS, StyleConfig, make_config

    # the original recipe as it ran: Adam from the content itself, in float32; `size` (the working size)
    # is required, since the recipe's plan depends on it
    out = {"recipe": StyleConfig(optimizer="adam", lr=15.0, steps=40, style_weight=1.0, content_weight=1e-3,
                                 init="content", precision="float32",
                                 scales=RECIPE_LARGE_SCALES if size > AUTO_SCALES_ABOVE else None),
           "defaults": StyleConfig()}
    out.update({f"--preset {p}": make_config(preset=p) for p in PRESETS})
    return out


def run_size(size: int, pairs, configs, judge, network, out_dir: Path, rows: list) -> list:
    """Every pair × setting at `size`, judged; its rows are returned, and written to rows.json after
    `rows` (the sizes before) as each finishes, so a run stopped part-way loses nothing finished. A
    result is stored in out_dir/results (showcase/cache.py, keyed by the pixels, the settings, the loss
    network and the engine's source), so the same command run again takes the finished results from
    there and computes only the rest."""
    from style_transfer.figures.layout import Grid, captioned_row
    from style_transfer.media.images import resize_longest, save_image
    from style_transfer.nst.engine import stylize
    from style_transfer.nst.prepare import scale_style
    from style_transfer.showcase.cache import ResultCache, run_fingerprint, run_key

    cache, fingerprints, done, sheet = ResultCache(out_dir / "results"), {}, [], []
    for photo_name, photo_img, painting in pairs:
        photo = np.asarray(resize_longest(photo_img, size), np.float32)
        style_img = Image.open(ROOT / "imgs" / painting).convert("RGB")
        style = scale_style(style_img, photo.shape[:2])
        style_grams = judge.style_grams(style)
        photo_feats = judge.features(photo)
        photo_dist = judge.style_distance(photo_feats, style_grams)
        panels = [(photo, [(photo_name, (30, 30, 30))]), (style, [(Path(painting).stem[:18], (30, 30, 30))])]
        for name, config in configs.items():
            if name not in fingerprints:
                fingerprints[name] = run_fingerprint(network, config)
            key = run_key(photo, np.asarray(style_img, np.float32), config, fingerprints[name])
            hit = cache.get(key)
            if hit is None:
                t0 = time.perf_counter()
                result = stylize(photo, [style_img], config, network, progress=False)
                # the content weight as it ran: the default's is adapted to the pair (nst/balance.py)
                image, ran = result.image, {"seconds": time.perf_counter() - t0,
                                            "content_weight": result.config.content_weight}
                cache.put(key, image, ran)
            else:
                image, ran = hit
            m = judge.measure(image, photo_feats, photo_dist, style_grams, photo)
            done.append({"size": size, "photo": photo_name, "painting": painting, "setting": name,
                         **ran, **m, "cached": hit is not None})
            # written before it is printed: a row seen is a row kept
            write_text(out_dir / "rows.json", json.dumps(rows + done, indent=1))
            print(json.dumps(done[-1]), flush=True)
            panels.append((image, [(name, (30, 30, 30)),
                                   (f"style {m['style_gain']:.2f} content {m['content_distance'] / 1e3:.1f}k",
                                    (90, 90, 90))]))
        sheet.append(captioned_row(panels, height=min(size, 160), gutter=6))
    grid = Grid((max(r.width for r in sheet),), tuple(r.height for r in sheet))
    save_image(grid.compose((r, (k, 0)) for k, r in enumerate(sheet)), out_dir / f"contact_sheet_{size}.jpg")
    return done


def write_text(path: Path, text: str) -> None:
    """`path` replaced whole (temp file, then rename): never a half-written file."""
    from style_transfer.media.images import atomic_output

    with atomic_output(path) as tmp:
        Path(tmp).write_text(text)


def dominates(rows) -> list:
    """[(size, photo, painting, defaults dominate?, gain d, gain r, content d / content r)]."""
    by = {(r["size"], r["photo"], r["painting"], r["setting"]): r for r in rows}
    out = []
    for (size, photo, painting, setting), d in by.items():
        if setting != "defaults":
            continue
        r = by.get((size, photo, painting, "recipe"))
        if r is None:  # run without the recipe: nothing to judge against
            continue
        ratio = d["content_distance"] / r["content_distance"]
        out.append((size, photo, painting, d["style_gain"] >= r["style_gain"] and ratio <= 0.75,
                    d["style_gain"], r["style_gain"], ratio))
    return out


def report(rows, out_dir: Path, command: str) -> str:
    lines = [f"Command: `{command}`", "", "| size | setting | style gain (mean) | content distance (mean) | "
             "edge SSIM (mean) | seconds (mean) |", "|---|---|---|---|---|---|"]
    for size in sorted({r["size"] for r in rows}):
        for setting in dict.fromkeys(r["setting"] for r in rows):
            sel = [r for r in rows if r["size"] == size and r["setting"] == setting]
            lines.append(f"| {size} | {setting} | {np.mean([r['style_gain'] for r in sel]):.3f} | "
                         f"{np.mean([r['content_distance'] for r in sel]) / 1e3:.1f}k | "
                         f"{np.mean([r['edge_ssim'] for r in sel]):.3f} | {np.mean([r['seconds'] for r in sel]):.1f} |")
    dom = dominates(rows)
    if dom:  # only where the recipe ran too
        lines += ["", f"Defaults dominate the recipe (style gain ≥ recipe's, content distance ≤ 0.75× recipe's) "
                  f"on **{sum(d[3] for d in dom)} of {len(dom)}** pairs.", "",
                  "| size | photo | painting | dominates | style gain defaults / recipe | content distance ratio |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {s} | {p} | {Path(q).stem} | {'yes' if ok else '**no**'} | {gd:.3f} / {gr:.3f} | "
                  f"{ratio:.2f} |" for s, p, q, ok, gd, gr, ratio in dom]
    text = "\n".join(lines) + "\n"
    write_text(out_dir / "panel.md", text)
    return text


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=int, default=8, help="how many photos (default all 8)")
    p.add_argument("--paintings", default="6",
                   help="how many paintings (default all 6), or comma-separated file names from imgs/")
    p.add_argument("--pairs", default=None, metavar="PHOTO:PAINTING,...",
                   help="only these pairs, e.g. astronaut:GreatWave.png,coffee:HokusaiBridge.png "
                        "(instead of --photos × --paintings)")
    p.add_argument("--sizes", default="320,1024", help="working sizes, comma-separated (default 320,1024)")
    p.add_argument("--settings", default=None, help="comma-separated subset of: recipe, defaults, --preset NAME")
    p.add_argument("--out", default=str(ROOT / "outputs" / "quality_panel"), help="where the table and sheets go")
    p.add_argument("--variant", action="append", default=[], metavar='NAME={"content_weight": 1, "steps": 80}',
                   help="also run the defaults with these StyleConfig changes (repeatable), to choose new defaults")
    args = p.parse_args()

    from style_transfer.nst.network import default_network
    from style_transfer.showcase.quality import Judge

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    def configs(size: int) -> dict:
        chosen = settings(size)
        variants = {name: chosen["defaults"].replace(**json.loads(changes))
                    for name, _, changes in (v.partition("=") for v in args.variant)}
        if args.settings:
            chosen = {k: v for k, v in chosen.items() if k in args.settings.split(",")}
        return {**chosen, **variants}

    every = photos()
    chosen = list(every.items())[:args.photos]
    paintings = (PAINTINGS[:int(args.paintings)] if args.paintings.isdigit()
                 else tuple(x.strip() for x in args.paintings.split(",")))
    pairs = [(n, img, painting) for n, img in chosen for painting in paintings]
    if args.pairs:
        wanted = [item.strip().partition(":") for item in args.pairs.split(",")]
        unknown = sorted({name for name, _, _ in wanted if name not in every})
        if unknown:
            p.error(f"--pairs: unknown photo {', '.join(unknown)} (choose from {', '.join(every)})")
        pairs = [(name, every[name], painting) for name, _, painting in wanted]
    judge, network = Judge(), default_network()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows += run_size(size, pairs, configs(size), judge, network, out_dir, rows)
    print(report(rows, out_dir, "python benchmarks/quality_panel.py " + " ".join(sys.argv[1:])))


if __name__ == "__main__":
    main()
