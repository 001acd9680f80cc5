"""Shared fixtures: the loss network built once, small images, a CLI runner."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from paths import IMGS, ROOT  # noqa: E402


@pytest.fixture(scope="session")
def extractor():
    """The default loss network: SSD300 → copied, frozen truncated VGG16."""
    from style_transfer.nst.network import build_feature_extractor

    return build_feature_extractor()


@pytest.fixture
def content_small():
    return np.asarray(Image.open(IMGS / "chelsea.jpg").convert("RGB").resize((128, 85)), np.float32)


@pytest.fixture
def style_small():
    return np.asarray(Image.open(IMGS / "GreatWave.png").convert("RGB").resize((128, 90)), np.float32)


def cli_command(*args):
    """(argv, env) that run `python -m style_transfer ARGS` against this checkout."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    return [sys.executable, "-m", "style_transfer", *map(str, args)], env


def start_cli(*args, **popen_kwargs) -> subprocess.Popen:
    """Start `python -m style_transfer ARGS` in the background (to send it signals)."""
    argv, env = cli_command(*args)
    return subprocess.Popen(argv, cwd=ROOT, env=env, **popen_kwargs)


def run_cli(*args, cwd=None, timeout=600):
    """Run `python -m style_transfer ARGS` and return the CompletedProcess."""
    argv, env = cli_command(*args)
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def cli_process():
    return start_cli
