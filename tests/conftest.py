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
from cli_run import run_cli, start_cli  # noqa: E402
from paths import IMGS  # noqa: E402


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


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def cli_process():
    return start_cli
