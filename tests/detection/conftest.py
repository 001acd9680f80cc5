"""Detection fixtures: a VOC-format tree of real aerial tree tiles (from the deepforest wheel)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import deepforest_voc  # noqa: E402
from tiny_voc import make_tiny_voc  # noqa: E402


@pytest.fixture(scope="session")
def tree_voc(tmp_path_factory):
    """ROOT of a VOC tree (class 'Tree') of ~37 tiles of 300–600 px: train and test splits."""
    try:
        wheel = deepforest_voc.find_wheel()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    root = tmp_path_factory.mktemp("trees_voc")
    info = deepforest_voc.build_voc_tree(root, wheel)
    assert info["boxes"] > 300 and len(info["test"]) >= 5
    return root



@pytest.fixture
def tiny_voc(tmp_path):
    """A VOC root with one 64×48 JPEG 'a.jpg' and its annotation (two Tree boxes)."""
    return make_tiny_voc(tmp_path / "tiny")
