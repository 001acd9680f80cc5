"""Local files reach ffmpeg as files, never as protocol URLs (concat:, http:, tcp: …)."""
import numpy as np

from style_transfer.media.video import ffmpeg_file, read_video, write_frames


def _clip(path, colour, n=2, size=(32, 32)):
    frames = [np.full((size[1], size[0], 3), colour, np.uint8)] * n
    write_frames(path, frames, fps=5)


def test_file_named_like_a_protocol_is_read_as_that_file(tmp_path, monkeypatch):
    # ffmpeg would read 'concat:x.mp4' through its concat protocol, i.e. the file x.mp4
    monkeypatch.chdir(tmp_path)
    _clip(tmp_path / "x.mp4", (0, 0, 255))
    _clip(tmp_path / "concat:x.mp4", (255, 0, 0))
    frames = read_video("concat:x.mp4")
    assert frames.shape[0] == 2
    red, _, blue = frames[0].reshape(-1, 3).mean(axis=0)
    assert red > 200 and blue < 50


def test_writer_writes_a_file_named_like_a_protocol(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _clip("tcp:y.mp4", (0, 255, 0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tcp:y.mp4"]
    assert read_video("tcp:y.mp4").shape[0] == 2


def test_ffmpeg_file_is_an_absolute_file_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ffmpeg_file("http:evil.mp4") == f"file:{tmp_path}/http:evil.mp4"
