"""The benchmarks run as scripts: their figures on stdout, no TensorFlow log lines on stderr."""
import os
import subprocess
import sys

from paths import ROOT
from style_transfer.cli.main import NATIVE_LOG_LINE


def test_a_benchmark_prints_its_figures_without_tensorflow_log_lines():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user runs it
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "style_pyramid.py"), "--sizes", "32",
                        "--levels", "0", "--repeats", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert "--style-pyramid 0: full" in r.stdout, r.stdout
    assert not [line for line in r.stderr.splitlines() if NATIVE_LOG_LINE.match(line.encode())], r.stderr
