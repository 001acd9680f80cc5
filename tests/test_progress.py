"""`image` extras: progress GIF and MP4 every k-th step with step labels, loss plot PNG."""
import numpy as np
from PIL import Image

from cli_run import assert_one_error_line, run_main
from style_transfer.api import stylize_images
from style_transfer.nst.config import StyleConfig


def test_progress_gif_mp4_and_loss_plot(extractor, content_small, style_small, tmp_path):
    import imageio.v2 as imageio

    gif, mp4, plot = tmp_path / "p.gif", tmp_path / "p.mp4", tmp_path / "loss.png"
    result = stylize_images(content_small, style_small, StyleConfig(steps=5), network=extractor,
                            progress=False, progress_gif=gif, progress_mp4=mp4, progress_every=2,
                            loss_plot=plot)
    assert result.steps == 5
    with Image.open(gif) as anim:
        assert anim.n_frames == 3  # steps 2, 4 and the last
        anim.seek(2)
        last = np.asarray(anim.convert("RGB"), np.int16)
    h, w = content_small.shape[:2]
    assert last.shape == (h, w, 3)
    # the step number is drawn in the top-left corner; the rest is the image itself
    assert np.abs(last[:12, :30] - result.image[:12, :30]).max() > 60
    assert np.abs(last[h // 2:, w // 2:] - result.image[h // 2:, w // 2:]).mean() < 8
    reader = imageio.get_reader(str(mp4), format="FFMPEG")
    assert reader.count_frames() == 3
    reader.close()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(plot) as img:
        img.verify()


def test_image_help_lists_new_flags(capsys):
    code, out, _ = run_main(capsys, "image", "--help")
    assert code == 0
    for flag in ("--progress-mp4", "--progress-every", "--loss-plot"):
        assert flag in out


def test_bad_extensions(capsys, tmp_path):
    from paths import IMGS

    code, _, err = run_main(capsys, "image", IMGS / "chelsea.jpg", IMGS / "GreatWave.png", "-o", tmp_path / "o.png",
                            "--loss-plot", tmp_path / "loss.jpg")
    assert code == 2
    assert_one_error_line(err, "extension")
    assert list(tmp_path.iterdir()) == []


def test_progress_animations_under_coarse_to_fine(extractor, content_small, style_small, tmp_path):
    """Frames from the 1/4-, 1/2- and full-size scales all land at the content's size."""
    from style_transfer.media.video import read_video

    gif, mp4 = tmp_path / "p.gif", tmp_path / "p.mp4"
    settings = StyleConfig(steps=2, scales=((0.25, 1), (0.5, 1), (1.0, None)))
    stylize_images(content_small, style_small, settings, network=extractor, progress=False,
                   progress_gif=gif, progress_mp4=mp4)
    h, w = content_small.shape[:2]
    assert read_video(gif, even=False).shape == (4, h, w, 3)
    assert read_video(mp4, even=False).shape == (4, h + h % 2, w + w % 2, 3)  # H.264: odd sides padded


def test_interrupt_as_the_progress_writer_opens_leaves_nothing(extractor, content_small, style_small, tmp_path,
                                                                monkeypatch):
    """Ctrl-C or SIGTERM landing just as the first frame's writer opens (its file made, not yet held by
    the caller) still leaves no file behind: the run's own transaction owns every temp file."""
    import pytest

    from style_transfer.media.video import VideoWriter

    enter, opened = VideoWriter.__enter__, []

    def enter_then_interrupt(self):
        enter(self)
        opened.append(self)  # alive to the end, as at a process exit: no finaliser tidies up for it
        raise KeyboardInterrupt

    monkeypatch.setattr(VideoWriter, "__enter__", enter_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        stylize_images(content_small, style_small, StyleConfig(steps=3), network=extractor, progress=False,
                       output=tmp_path / "o.png", progress_gif=tmp_path / "p.gif")
    assert opened and list(tmp_path.iterdir()) == []
