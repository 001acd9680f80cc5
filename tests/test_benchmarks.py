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


def test_the_quality_panels_recipe_keeps_the_plan_its_rows_were_taken_with():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import quality_panel

    # the defaults' coarse-to-fine plan may change; the reference it is judged against must not
    assert quality_panel.settings(1024)["recipe"].scale_plan(681, 1024) == [(170, 256, 40), (340, 512, 20),
                                                                           (681, 1024, 10)]
    assert quality_panel.settings(320)["recipe"].scale_plan(213, 320) == [(213, 320, 40)]
    assert quality_panel.settings(1024)["defaults"].scale_plan(681, 1024)[-1] == (681, 1024, 25)
