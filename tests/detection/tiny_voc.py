"""A tiny synthetic VOC-format data set for tests that need no real images."""
from __future__ import annotations

from pathlib import Path


TINY_XML = """<annotation>
  <folder>JPEGImages</folder>
  <filename>{filename}</filename>
  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>
  <object><name>Tree</name><difficult>0</difficult>
    <bndbox><xmin>4</xmin><ymin>5</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
  <object><name>Tree</name><difficult>1</difficult>
    <bndbox><xmin>10.5</xmin><ymin>2</ymin><xmax>60</xmax><ymax>20</ymax></bndbox></object>
</annotation>
"""


def make_tiny_voc(root: Path, ids=("a",), width: int = 64, height: int = 48, fmt: str = "JPEG",
                  suffix: str = ".jpg") -> Path:
    """A VOC root of small synthetic images (one per id), each with the two Tree boxes of TINY_XML."""
    import numpy as np
    from PIL import Image

    for sub in ("Annotations", "JPEGImages"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for image_id in ids:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "JPEGImages" / f"{image_id}{suffix}", fmt)
        (root / "Annotations" / f"{image_id}.xml").write_text(
            TINY_XML.format(filename=f"{image_id}{suffix}", width=width, height=height))
    return root

