"""`style-transfer batch`: listing, pairing and naming; the command end to end, resumed, on local Ray
byte for byte, and on a Ray cluster that loses a worker process mid-batch."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from cli_run import run_main
from paths import IMGS
from style_transfer.batch.jobs import Manifest, list_images, pair_up
from style_transfer.cli.main import main
from style_transfer.errors import UserInputError

STYLES = (IMGS / "GreatWave.png", IMGS / "kandinky.png")
TINY = ("--size", 48, "--steps", 2)


@pytest.fixture
def photos(tmp_path):
    """Two good images (one in a subfolder), a corrupt image and a text file."""
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    shutil.copy(IMGS / "chelsea.jpg", root / "cat.jpg")
    shutil.copy(IMGS / "coffee.jpg", root / "sub" / "cup.jpg")
    (root / "broken.png").write_bytes((IMGS / "GreatWave.png").read_bytes()[:300])
    (root / "notes.txt").write_text("not an image")
    return root


def expected_outputs(out):
    return sorted(str(out / rel) for rel in (
        "cat__GreatWave.png", "cat__kandinky.png", "sub/cup__GreatWave.png", "sub/cup__kandinky.png"))


def images_under(folder):
    return sorted(str(p) for p in folder.rglob("*") if p.is_file() and p.name != "manifest.jsonl")


def test_listing_mirrors_folders_and_glob_bases(photos, tmp_path):
    found = {s.rel.as_posix() for s in list_images([photos])}
    assert found == {"cat.jpg", "sub/cup.jpg", "broken.png"}  # notes.txt left out silently
    assert {s.rel.as_posix() for s in list_images([str(photos / "**" / "*.jpg")])} == {"cat.jpg", "sub/cup.jpg"}
    assert [s.rel.as_posix() for s in list_images([photos / "sub" / "cup.jpg", photos / "notes.txt"])] == ["cup.jpg"]
    out = photos / "sub"  # an output folder inside an input folder is never read back as input
    assert {s.rel.as_posix() for s in list_images([photos], exclude=out)} == {"cat.jpg", "broken.png"}
    with pytest.raises(UserInputError, match="no such file"):
        list_images([tmp_path / "missing"])
    with pytest.raises(UserInputError, match="no file matches"):
        list_images([str(tmp_path / "*.nothing")])
    with pytest.raises(UserInputError, match="also an input folder"):
        list_images([photos], exclude=photos)


def test_pairing_names_and_random_draw(photos, tmp_path):
    contents = list_images([photos])
    pairs = pair_up(contents, STYLES, tmp_path / "out", "webp")
    assert len(pairs) == 6
    assert tmp_path / "out" / "sub" / "cup__kandinky.webp" in {p.output for p in pairs}
    drawn = [pair_up(contents, STYLES * 2, tmp_path, pairing="random", seed=7) for _ in range(2)]
    assert [p.output for p in drawn[0]] == [p.output for p in drawn[1]] and len(drawn[0]) == 3
    with pytest.raises(UserInputError, match="would both be written"):
        pair_up(contents, [IMGS / "kandinky.png", tmp_path / "kandinky.jpg"], tmp_path)


def test_ray_missing_is_one_line(photos, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main(["batch", str(photos), "--styles", *map(str, STYLES), "-o", str(tmp_path / "o"), "--ray"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["style-transfer: error: --ray needs Ray: pip install 'ssd-style-transfer[ray]'"]


def test_batch_resume_and_local_ray_bytes(cli, photos, tmp_path):
    out = tmp_path / "out"
    t0 = time.perf_counter()
    r = cli("batch", photos, "--styles", *STYLES, "-o", out, *TINY)
    first = time.perf_counter() - t0
    assert r.returncode == 1, r.stderr
    assert images_under(out) == expected_outputs(out)
    named = [line for line in r.stderr.splitlines() if "broken.png" in line]
    assert len(named) == 1 and "skipped" in named[0]
    assert r.stderr.strip().splitlines()[-1] == "4 written, 0 already done, 2 failed"
    records = Manifest(out).read()
    assert sorted(rec["output"] for rec in records) == expected_outputs(out)
    assert len({rec["settings"] for rec in records}) == 1
    assert all(rec["seconds"] > 0 and rec["final_loss"] > 0 for rec in records)

    stamps = {p: os.stat(p).st_mtime_ns for p in expected_outputs(out)}
    t0 = time.perf_counter()
    r = cli("batch", photos, "--styles", *STYLES, "-o", out, *TINY, "--quiet")
    again = time.perf_counter() - t0
    assert r.returncode == 1 and "broken.png" in r.stderr  # the corrupt file is still named and failed
    assert {p: os.stat(p).st_mtime_ns for p in expected_outputs(out)} == stamps
    assert len(Manifest(out).read()) == 4
    assert again < first / 3, (again, first)  # nothing stylised, no network built

    ray_out = tmp_path / "ray"
    r = cli("batch", photos, "--styles", *STYLES, "-o", ray_out, *TINY, "--ray", "local", "--quiet")
    assert r.returncode == 1, r.stderr
    assert images_under(ray_out) == expected_outputs(ray_out)
    for rel in ("cat__GreatWave.png", "cat__kandinky.png", "sub/cup__GreatWave.png", "sub/cup__kandinky.png"):
        assert (ray_out / rel).read_bytes() == (out / rel).read_bytes(), rel


def test_killed_ray_worker_loses_nothing(cli_process, tmp_path):
    ray = pytest.importorskip("ray")
    from style_transfer.batch.distributed import ACTOR_NAME, NAMESPACE

    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, name in enumerate(["chelsea.jpg", "coffee.jpg", "astronaut.jpg"]):
        shutil.copy(IMGS / name, inputs / f"{i}_{name}")
    out = tmp_path / "out"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, namespace=NAMESPACE,
             logging_level="ERROR")
    try:
        address = ray.get_runtime_context().gcs_address
        proc = cli_process("batch", inputs, "--styles", *STYLES, "-o", out, "--size", 64, "--steps", 3,
                           "--ray", address, "--workers", 2, "--quiet", stderr=subprocess.PIPE,
                           text=True)
        try:
            deadline = time.monotonic() + 150
            while not Manifest(out).read():  # wait until work flows, so the kill lands mid-task
                assert proc.poll() is None and time.monotonic() < deadline, "batch ended before any result"
                time.sleep(0.1)
            pid = ray.get(ray.get_actor(ACTOR_NAME.format(0), namespace=NAMESPACE).pid.remote())
            assert proc.poll() is None
            os.kill(pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=240)
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        ray.shutdown()
    assert proc.returncode == 0, err
    assert "a Ray worker died" in err and "retrying" in err
    written = images_under(out)
    assert len(written) == 6 and not [p for p in written if os.path.basename(p).startswith(".")]
    records = Manifest(out).read()
    assert sorted(rec["output"] for rec in records) == written
    assert all(json.dumps(rec) for rec in records)


def test_ctrl_c_leaves_no_partial_file_and_a_rerun_finishes(cli_process, photos, tmp_path, capsys):
    (photos / "broken.png").unlink()
    for i in range(3):
        shutil.copy(IMGS / "chelsea.jpg", photos / f"more{i}.jpg")
    out = tmp_path / "out"
    proc = cli_process("batch", photos, "--styles", *STYLES, "-o", out, *TINY, "--quiet")
    deadline = time.monotonic() + 120
    while not Manifest(out).read():
        assert proc.poll() is None and time.monotonic() < deadline, "batch ended before any result"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    partial = len(images_under(out))
    assert not [p for p in out.rglob(".*")], "a temporary file was left behind"
    assert partial < 10 and len(Manifest(out).read()) == partial
    code, _, err = run_main(capsys, "batch", photos, "--styles", *STYLES, "-o", out, *TINY)  # the rerun in-process
    assert code == 0, err
    assert err.strip().splitlines()[-1] == f"{10 - partial} written, {partial} already done, 0 failed"
    assert len(images_under(out)) == 10 and len(Manifest(out).read()) == 10
