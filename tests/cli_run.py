"""Running the command line of this checkout in a subprocess (importable from any test module)."""
from __future__ import annotations

import os
import subprocess
import sys

from paths import ROOT


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
