"""Video in chunks on a local Ray instance: same frames and fps as the plain run, seams within 2× the
in-chunk flicker, bad flags refused in one line. Runs the real command line, no mocks: the Ray run in its
own process, the plain run, flicker and the bad flags through `main()` in this one (test_video.py runs
the video and flicker commands as processes)."""
from __future__ import annotations

import pytest

from cli_run import run_cli, run_main
from paths import IMGS
from style_transfer.media.video import VideoReader
from style_transfer.video.chunks import Chunk, _chunk_tasks, cross_fade, plan_chunks
from style_transfer.video.clips import pan_frames, write_clip
from style_transfer.video.flicker import chunk_report, video_warping_error

STYLE = IMGS / "GreatWave.png"
TINY = ("--resize", "64x40", "--steps-per-frame", "2", "--first-frame-steps", "6", "--quiet")


@pytest.fixture(scope="module")
def pan_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clips") / "pan.mp4"
    return write_clip(pan_frames(IMGS / "coffee.jpg", (64, 40), 12, dx=2), path, fps=12)


def test_plan_and_warm_up_frames():
    assert plan_chunks(10, 4, 2) == [Chunk(0, 0, 0, 4), Chunk(1, 2, 4, 8), Chunk(2, 6, 8, 10)]
    sources = {}
    tasks = list(_chunk_tasks(range(10), 4, 2, sources))
    assert [c for c, _ in tasks] == plan_chunks(10, 4, 2)
    assert [f for _, f in tasks] == [[0, 1, 2, 3], [2, 3, 4, 5, 6, 7], [6, 7, 8, 9]]
    assert sources == {0: [0, 1, 2, 3], 1: [4, 5, 6, 7], 2: [8, 9]}


def test_cross_fade_weights():
    import numpy as np

    frames = [np.full((1, 1, 3), 0, np.uint8) for _ in range(4)]
    warm = [np.full((1, 1, 3), 90, np.uint8) for _ in range(2)]
    assert [int(f[0, 0, 0]) for f in cross_fade(frames, warm)] == [0, 0, 30, 60]


def test_chunks_on_ray_match_the_plain_run(pan_clip, tmp_path, capsys):
    pytest.importorskip("ray")
    plain, chunked = tmp_path / "plain.mp4", tmp_path / "chunks.mp4"
    code, _, err = run_main(capsys, "video", pan_clip, STYLE, "-o", plain, *TINY)
    assert code == 0, err
    r = run_cli("video", pan_clip, STYLE, "-o", chunked, *TINY, "--ray", "--chunk-frames", 4, "--overlap", 2,
                "--workers", 2)
    assert r.returncode == 0, r.stderr
    with VideoReader(plain) as a, VideoReader(chunked) as b:
        assert (b.count, b.fps, b.size) == (a.count, a.fps, a.size) == (12, pytest.approx(12), (64, 40))
    _, errors = video_warping_error(chunked, pan_clip)
    boundary, inside = chunk_report(errors, 4)
    assert len(boundary) == 2 and len(inside) == 9
    assert sum(boundary) / len(boundary) <= 2 * sum(inside) / len(inside), (boundary, inside)
    code, out, _ = run_main(capsys, "flicker", chunked, "--source", pan_clip, "--chunk-frames", 4, "--quiet")
    assert code == 0 and "chunk boundaries" in out and "inside chunks" in out


@pytest.mark.parametrize("flags, message", [
    (("--ray", "--chunk-frames", "0"), "--chunk-frames"),
    (("--ray", "--chunk-frames", "x"), "--chunk-frames"),
    (("--chunk-frames", "4"), "--chunk-frames needs --ray"),
    (("--ray",), "--ray needs --chunk-frames"),
    (("--ray", "--chunk-frames", "4", "--overlap", "-1"), "--overlap"),
])
def test_bad_chunk_flags_are_one_line(capsys, pan_clip, tmp_path, flags, message):
    code, _, err = run_main(capsys, "video", pan_clip, STYLE, "-o", tmp_path / "o.mp4", *TINY, *flags)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "o.mp4").exists()
