"""Video: streaming I/O, flow and warp against a known pan, coherent vs independent, CLI errors."""
from __future__ import annotations

import gc
import signal
import subprocess
import tracemalloc

import numpy as np
import pytest

from cli_run import assert_one_error_line, read_stderr_until, run_main
from paths import IMGS
from video_helpers import PAINTING, STYLE, pan_clip, stylise as _stylise  # noqa: F401 (a fixture)
from style_transfer.video.clips import pan_frames, write_clip, zoom_frames
from style_transfer.errors import UserInputError
from style_transfer.video.flow import flow, occlusion_mask, warp, warp_with_mask
from style_transfer.media.images import load_image
from style_transfer.media.video import VideoReader, VideoWriter, read_video



@pytest.fixture(scope="module")
def zoom_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clips") / "zoom.mp4"
    return write_clip(zoom_frames(IMGS / "coffee.jpg", (96, 64), 6), path, fps=10)


def _no_temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


# --- reading and writing ----------------------------------------------------------------------
def test_reader_range_skip_and_resize(pan_clip):
    truth = np.stack(list(pan_frames(PAINTING, (96, 64), 8, dx=3)))
    frames = read_video(pan_clip)
    assert frames.shape == (8, 64, 96, 3)
    assert np.abs(frames.astype(int) - truth).mean() < 6  # H.264 at high quality
    picked = read_video(pan_clip, start=1, end=7, skip=2)
    assert len(picked) == 3
    np.testing.assert_array_equal(picked, frames[[1, 3, 5]])
    assert read_video(pan_clip, resize=(48, 32)).shape == (8, 32, 48, 3)
    assert read_video(pan_clip, size=48).shape == (8, 32, 48, 3)
    with VideoReader(pan_clip) as r:
        assert r.fps == pytest.approx(12) and r.size == (96, 64) and r.count == 8


def test_gif_and_mp4_round_trip(tmp_path):
    frames = list(zoom_frames(IMGS / "coffee.jpg", (80, 48), 5))
    for ext, tol in ((".gif", 8), (".mp4", 8)):
        path = write_clip(frames, tmp_path / f"clip{ext}", fps=10)
        back = read_video(path)
        assert back.shape == (5, 48, 80, 3)
        assert np.abs(back.astype(int) - np.stack(frames)).mean() < tol
        with VideoReader(path) as r:
            assert r.fps == pytest.approx(10, rel=0.05)
    assert _no_temp_files(tmp_path)


def test_writer_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "x.mp4"
    with pytest.raises(RuntimeError, match="boom"):
        with VideoWriter(out, 10, (32, 32)) as w:
            w.write(np.zeros((32, 32, 3), np.uint8))
            raise RuntimeError("boom")
    assert not out.exists() and _no_temp_files(tmp_path)
    with pytest.raises(UserInputError, match="extension"):
        VideoWriter(tmp_path / "x.avi", 10, (32, 32))


def test_reader_bad_input(tmp_path, pan_clip):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    for path, message in ((empty, "empty"), (junk, "cannot read video"), (tmp_path / "none.mp4", "no such file")):
        with pytest.raises(UserInputError, match=message):
            VideoReader(path)
    with pytest.raises(UserInputError, match="no frames in the chosen range"):
        VideoReader(pan_clip, start=20)
    with pytest.raises(UserInputError, match="less than"):
        VideoReader(pan_clip, start=3, end=3)


# --- flow and warp ----------------------------------------------------------------------------
def test_flow_and_warp_of_known_pan():
    a, b = pan_frames(PAINTING, (128, 80), 2, dx=3, dy=1)
    f_ab, f_ba = flow(a, b), flow(b, a)
    # the scene moves by (-3, -1) from a to b
    inner = (slice(8, -8), slice(8, -8))
    np.testing.assert_allclose(np.median(f_ab[inner], axis=(0, 1)), [-3, -1], atol=0.05)
    np.testing.assert_allclose(np.median(f_ba[inner], axis=(0, 1)), [3, 1], atol=0.05)
    # warping b by the true flow gives a exactly, wherever the pixel stays in view
    true = np.broadcast_to(np.float32([-3, -1]), f_ab.shape).copy()
    np.testing.assert_array_equal(warp(b, true)[1:, 3:], a[1:, 3:])
    # warping by the estimated flow comes close; the mask drops the strip that left the view
    warped = warp(b, f_ab).astype(float)
    mask = occlusion_mask(f_ab, f_ba)
    assert np.abs(warped - a)[mask > 0].mean() < 2.0
    assert mask[:, :3].max() == 0 and mask[1:, 3:].mean() > 0.9
    assert warp(a.astype(np.float32), true).dtype == np.float32


def test_occlusion_mask_flags_disagreement():
    h, w = 40, 60
    f = np.zeros((h, w, 2), np.float32)
    f[..., 0] = 2
    back = -f.copy()
    back[10:20, 20:30] = 5  # backward flow disagrees here
    mask = occlusion_mask(f, back)
    assert mask[12:18, 20:26].max() == 0  # a→b lands on the disagreeing block (shifted by 2)
    assert mask[30:, :40].min() == 1


# --- stylisation --------------------------------------------------------------------------------
def test_output_frames_and_size_follow_request(extractor, pan_clip, tmp_path):
    result, _ = _stylise(extractor, pan_clip, tmp_path / "out.gif", start=1, end=8, skip=3, resize=(64, 40),
                         steps_per_frame=1, first_frame_steps=2, inset="both")
    assert result.frames == 3 and result.size == (64, 40)
    assert len(result.seconds_per_frame) == 3 and result.steps_per_frame == [2, 1, 1]
    assert result.fps == pytest.approx(4)  # 12 fps source, every 3rd frame: real-time playback
    back = read_video(result.path)
    assert back.shape == (3, 40, 64, 3)
    assert "3 frames 64×40" in result.summary() and "s/frame" in result.summary()
    assert _no_temp_files(tmp_path)


def test_artistic_controls_apply_to_every_frame(extractor, pan_clip, tmp_path):
    """Blend 1,0 of two styles is the first style alone; luminance mode keeps each frame's chroma."""
    from style_transfer.nst import color
    from style_transfer.nst.config import make_config
    from style_transfer.video.stylizer import stylize_video

    def run(name, style, **controls):
        seen = []
        styles = [load_image(s) for s in (style if isinstance(style, list) else [style])]
        stylize_video(pan_clip, styles, tmp_path / f"{name}.gif", make_config(n_styles=len(styles), **controls),
                      extractor, progress=False, end=3, steps_per_frame=2, first_frame_steps=4, size=64,
                      on_frame=lambda i, f, s: seen.append((f, s)))
        return seen

    plain = run("plain", STYLE)
    blend = run("blend", [STYLE, IMGS / "kandinky.png"], style_blend="1,0")
    for (_, a), (_, b) in zip(plain, blend):
        np.testing.assert_array_equal(a, b)
    even = run("even", [STYLE, IMGS / "kandinky.png"])
    assert np.abs(even[0][1].astype(float) - plain[0][1]).mean() > 1

    def chroma_error(frames):
        return np.mean([np.abs(color.rgb_to_ycbcr(s.astype(np.float32))[..., 1:]
                               - color.rgb_to_ycbcr(f.astype(np.float32))[..., 1:]).mean() for f, s in frames])

    kept = run("luminance", STYLE, preserve_color="luminance", tv_weight=10.0)
    assert len(kept) == 3 and chroma_error(kept) < 0.5 * chroma_error(plain)


def test_pixels_entering_the_view_take_the_stylised_palette(extractor, pan_clip, tmp_path):
    """In a pan, the strip that enters the view (no flow from the previous frame) starts from the
    content recoloured to the stylised frame's palette, so it matches the rest of the frame."""
    result, seen = _stylise(extractor, pan_clip, tmp_path / "pan.gif", end=8, steps_per_frame=2,
                            first_frame_steps=8, size=None)  # the clip's own 96×64: the pan is 3 px a frame
    source, out = (np.asarray(a, np.float64) for a in seen[-1])
    assert source.shape == (64, 96, 3)
    strip = 3 * (len(seen) - 1)  # the pan moves 3 px a frame: the last frame's right columns are new
    rest = out[:, :-strip - 4].reshape(-1, 3).mean(0)
    out_gap = np.abs(out[:, -strip:].reshape(-1, 3).mean(0) - rest).mean()
    raw_gap = np.abs(source[:, -strip:].reshape(-1, 3).mean(0) - rest).mean()
    assert out_gap < 0.5 * raw_gap, (out_gap, raw_gap)


def test_warp_uses_previous_stylised_frame(zoom_clip):
    frames = read_video(zoom_clip)
    stylised_prev = np.full(frames[0].shape, 100, np.float32)
    warped, mask = warp_with_mask(frames[1], frames[0], stylised_prev)
    assert warped.shape == frames[0].shape and mask.shape == frames[0].shape[:2]
    np.testing.assert_allclose(warped, 100, atol=1e-3)  # a flat image warps to itself
    assert 0.5 < mask.mean() <= 1.0


def test_frames_stream_one_at_a_time(extractor, tmp_path, monkeypatch):
    """The writer gets frame k before the reader yields frame k+2, and nothing grows with clip length."""
    from style_transfer.video import stylizer as video
    from style_transfer.media import video as video_io

    events = []
    original_iter, original_write = video_io.VideoReader.__iter__, video_io.VideoWriter.write

    def spy_iter(self):
        for frame in original_iter(self):
            events.append("read")
            yield frame

    def spy_write(self, frame):
        events.append("write")
        return original_write(self, frame)

    monkeypatch.setattr(video.VideoReader, "__iter__", spy_iter)
    monkeypatch.setattr(video.VideoWriter, "write", spy_write)
    short = write_clip(pan_frames(PAINTING, (160, 120), 4, dx=2), tmp_path / "short.mp4")
    long = write_clip(pan_frames(PAINTING, (160, 120), 12, dx=2), tmp_path / "long.mp4")

    peaks = {}
    tracemalloc.start()
    try:
        for name, clip in (("warm-up", short), ("short", short), ("long", long)):
            events.clear()
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            # no on_frame: a callback keeping the frames would itself grow with the clip
            # size=None: frames stay at the clip's 160×120, the size frame_bytes counts
            video.stylize_video(clip, [load_image(STYLE)], tmp_path / f"{name}.gif", network=extractor,
                                progress=False, steps_per_frame=1, first_frame_steps=1, independent=True,
                                size=None)
            peaks[name] = tracemalloc.get_traced_memory()[1] - before  # the most the run held at once
            ahead = np.cumsum([1 if e == "read" else -1 for e in events])
            assert ahead.max() <= 1 and events.count("write") == events.count("read")
    finally:
        tracemalloc.stop()
    frame_bytes = 160 * 120 * 3  # one uint8 frame
    # the 8 more frames of the long clip, if kept in a list, would add ≥ 8 frames' worth
    assert peaks["long"] - peaks["short"] < 3 * frame_bytes, peaks


# --- command line -------------------------------------------------------------------------------
def test_cli_video_and_flicker(cli, pan_clip, tmp_path):
    from style_transfer.video.flicker import video_warping_error

    out = tmp_path / "styled.mp4"
    r = cli("video", pan_clip, STYLE, "-o", out, "--end", "4", "--steps-per-frame", "1",
            "--first-frame-steps", "2", "--size", "64")
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr and "4 frames 64×42" in r.stderr and "s/frame" in r.stderr
    assert read_video(out).shape == (4, 42, 64, 3)
    r = cli("flicker", out, "--source", pan_clip, "--end", "4", "--quiet")
    assert r.returncode == 0, r.stderr
    value = float(r.stdout.split()[2])
    assert value == pytest.approx(video_warping_error(out, pan_clip, end=4)[0], rel=1e-3, abs=1e-6)  # printed to 3 significant digits
    assert 0 < value < 0.02 and "3 frame pairs" in r.stdout  # measured 2e-4 to 5e-3


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/o.avi"], "unsupported output extension"),
    (["-o", "{tmp}/o.gif", "--start", "5", "--end", "3"], "must be less than --end"),
    (["-o", "{tmp}/o.gif", "--start", "50"], "no frames in the chosen range"),
    (["-o", "{tmp}/o.mp4", "--resize", "65x40"], "even frame sides"),
    (["-o", "{tmp}/o.gif", "--resize", "big"], "WIDTHxHEIGHT"),
])
def test_cli_bad_input_one_line_exit_2(capsys, pan_clip, tmp_path, args, message):
    code, _, err = run_main(capsys, "video", pan_clip, STYLE, *[a.format(tmp=tmp_path) for a in args])
    assert code == 2
    assert_one_error_line(err, message)
    assert list(tmp_path.iterdir()) == []


def test_cli_video_with_controls(capsys, pan_clip, tmp_path):
    """Through main() in this process; test_cli_video_and_flicker runs the video command as a process."""
    out = tmp_path / "blend.gif"
    code, _, err = run_main(capsys, "video", pan_clip, STYLE, IMGS / "kandinky.png", "-o", out, "--end", "3",
                            "--steps-per-frame", "1", "--first-frame-steps", "2", "--size", "48",
                            "--style-blend", "0.7,0.3", "--preserve-color", "histogram", "--tv-weight", "5",
                            "--preset", "light", "--init", "noise", "--style-scale", "0.5", "--quiet")
    assert code == 0, err
    assert read_video(out).shape[0] == 3
    for args, message in ((["--style-blend", "1,2,3"], "--style-blend has 3 weights"),
                          (["--style-layers", "conv9_9"], "unknown layer"),
                          (["--init", str(tmp_path / "missing.png")], "--init")):
        code, _, err = run_main(capsys, "video", pan_clip, STYLE, IMGS / "kandinky.png", "-o", tmp_path / "bad.gif",
                                *args)
        assert code == 2
        assert_one_error_line(err, message)
        assert not (tmp_path / "bad.gif").exists()


def test_cli_unreadable_and_empty_video(cli, capsys, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    r = cli("video", bad, STYLE, "-o", tmp_path / "o.gif")  # the video command's one bad-input subprocess
    assert r.returncode == 2 and r.stdout == ""
    assert_one_error_line(r.stderr, "bad.mp4")
    code, _, err = run_main(capsys, "video", empty, STYLE, "-o", tmp_path / "o.gif")
    assert code == 2
    assert_one_error_line(err, "empty.webm")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4", "empty.webm"]


def test_ctrl_c_leaves_no_output(cli_process, tmp_path):
    (tmp_path / "in").mkdir()
    clip = write_clip(pan_frames(PAINTING, (96, 64), LONG_CLIP_FRAMES, dx=1), tmp_path / "in" / "long.gif", fps=10)
    out = tmp_path / "out" / "o.mp4"
    out.parent.mkdir()
    proc = cli_process("video", clip, STYLE, "-o", out, "--first-frame-steps", 1, "--steps-per-frame", 3,
                       stderr=subprocess.PIPE)
    seen = read_stderr_until(proc, FOURTH_FRAME_DONE)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    err = (seen + rest).decode()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "style-transfer: interrupted" and "Traceback" not in err
    assert list(out.parent.iterdir()) == []


# A long clip, and the bar's count after the fourth frame: by then the first and the later frames'
# steps have been traced and run, and most frames are still to come when the signal arrives (a signal
# during the first trace can print TensorFlow's traceback).
LONG_CLIP_FRAMES = 40
FOURTH_FRAME_DONE = f" 3/{LONG_CLIP_FRAMES} [".encode()
