"""Paths shared by the tests (importable from any test module)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMGS = ROOT / "imgs"
