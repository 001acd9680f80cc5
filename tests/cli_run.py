"""Running the command line of this checkout, in a subprocess or in-process, and checking what it printed
(importable from any test module: a conftest is not, since tests/detection has one of its own)."""
from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from paths import ROOT


def cli_command(*args):
    """(argv, env) that run `python -m style_transfer ARGS` against this checkout."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    return [sys.executable, "-m", "style_transfer", *map(str, args)], env


def start_cli(*args, cwd=None, **popen_kwargs) -> subprocess.Popen:
    """Start `python -m style_transfer ARGS` in the background (to send it signals, or to run several
    at once)."""
    argv, env = cli_command(*args)
    return subprocess.Popen(argv, cwd=cwd or ROOT, env=env, **popen_kwargs)


def run_cli(*args, cwd=None, timeout=600):
    """Run `python -m style_transfer ARGS` and return the CompletedProcess."""
    argv, env = cli_command(*args)
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=timeout)


def run_main(capsys, *args):
    """Run `main(ARGS)` in this process: (exit status, stdout, stderr). Argument errors raise
    SystemExit; user errors return 2."""
    from style_transfer.cli.main import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err, message):
    """The whole of stderr is one line, `style-transfer…: error: …MESSAGE…`, and nothing else."""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("style-transfer") and ": error: " in err and message in err, err


def read_stderr_until(proc, marker: bytes, timeout: float = 300) -> bytes:
    """What `proc` wrote on its piped stderr up to and including `marker`; fails the test if the
    process ends or `timeout` seconds pass first (reads never block past the deadline)."""
    deadline = time.monotonic() + timeout
    seen = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while marker not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                pytest.fail(f"no {marker!r} on stderr within {timeout} s: {seen[-2000:]!r}")
            if sel.select(timeout=min(left, 1.0)):
                chunk = os.read(proc.stderr.fileno(), 4096)
                if not chunk:
                    proc.wait(timeout=30)
                    pytest.fail(f"exited {proc.returncode} before {marker!r}: {seen[-2000:]!r}")
                seen += chunk
    return seen


def assert_stylised(path, content_path, size, min_change=0.5):
    """The image at `path` is the content at longest side `size` (its aspect kept), changed by the
    stylisation: not a missing, blank or merely resized copy of the content."""
    from style_transfer.media.images import load_array

    content = load_array(content_path, size)
    out = np.asarray(Image.open(path), np.float32)
    assert out.shape == content.shape and max(out.shape[:2]) == size, (out.shape, content.shape)
    change = np.abs(out - content).mean()
    assert change > min_change, change
