"""Shared fixtures: the loss network built once, small images, a CLI runner."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from cli_run import run_cli, start_cli  # noqa: E402
from paths import IMGS  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def weights_cache(tmp_path_factory):
    """Converted ImageNet weights live in a session folder, so no test reads or writes the user's cache
    (the CLI subprocesses inherit the variable): the ONNX file is converted once per session."""
    folder = tmp_path_factory.mktemp("weights_cache")
    saved = os.environ.get("STYLE_TRANSFER_CACHE")
    os.environ["STYLE_TRANSFER_CACHE"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("STYLE_TRANSFER_CACHE", None)
    else:
        os.environ["STYLE_TRANSFER_CACHE"] = saved


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
