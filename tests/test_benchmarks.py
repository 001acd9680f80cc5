"""The benchmarks run as scripts: their figures on stdout, no TensorFlow log lines on stderr."""
import json
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


def test_a_quality_panel_stopped_part_way_keeps_its_finished_rows_and_resumes_from_them(tmp_path):
    command = [sys.executable, str(ROOT / "benchmarks" / "quality_panel.py"), "--pairs",
               "astronaut:GreatWave.png,chelsea:kandinky.png", "--sizes", "64", "--settings", "defaults",
               "--out", str(tmp_path)]
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = json.loads(run.stdout.readline())
    finally:
        run.kill()  # as a killed worker or a lost machine would stop it
        run.wait()
    assert first["cached"] is False
    assert json.loads((tmp_path / "rows.json").read_text())[0] == first

    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    rows = [json.loads(line) for line in again.stdout.splitlines() if line.startswith("{")]
    assert [(r["photo"], r["cached"]) for r in rows] == [("astronaut", True), ("chelsea", False)]
    assert all(r["content_weight"] > 0 for r in rows)  # the default's, adapted to each pair, as it ran
    assert {k: v for k, v in rows[0].items() if k != "cached"} == {k: v for k, v in first.items() if k != "cached"}
    assert [r["photo"] for r in json.loads((tmp_path / "rows.json").read_text())] == ["astronaut", "chelsea"]
