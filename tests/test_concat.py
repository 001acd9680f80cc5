"""concat: N images, GIFs and MP4s tiled in the original order; sizes, frame counts, bad input."""
import numpy as np
import pytest
from PIL import Image

from style_transfer.cli.main import main
from style_transfer.figures.montage import tile_positions
from style_transfer.media.video import write_frames

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]


def _still(path, colour, size=(80, 60)):
    Image.new("RGB", size, colour).save(path)
    return path


def _anim(path, colour, n, size=(48, 32)):
    frames = [np.full((size[1], size[0], 3), [min(255, c + 10 * k) for c in colour], np.uint8) for k in range(n)]
    write_frames(path, frames, fps=5)
    return path


def test_original_order_for_four():
    # bottom-left, bottom-right, top-right, top-left
    assert tile_positions(4) == [(1, 0), (1, 1), (0, 1), (0, 0)]
    assert tile_positions(6, cols=3) == [(1, 0), (1, 1), (1, 2), (0, 2), (0, 1), (0, 0)]
    assert tile_positions(4, order="rows") == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_concat_four_images_mismatched_sizes(tmp_path, capsys):
    sizes = [(80, 60), (100, 100), (64, 48), (120, 50)]
    inputs = [_still(tmp_path / f"in{k}.png", COLOURS[k], sizes[k]) for k in range(4)]
    out = tmp_path / "montage.png"
    assert main(["concat", *map(str, inputs), "-o", str(out), "--quiet"]) == 0
    px = np.asarray(Image.open(out))
    assert px.shape == (120, 160, 3)  # 2 × 2 tiles of the first input's size
    centres = {"bl": px[90, 40], "br": px[90, 120], "tr": px[30, 120], "tl": px[30, 40]}
    for k, where in enumerate(["bl", "br", "tr", "tl"]):
        assert tuple(centres[where]) == COLOURS[k]


def test_concat_five_images_with_gutter(tmp_path):
    inputs = [_still(tmp_path / f"in{k}.jpg", COLOURS[k]) for k in range(5)]
    out = tmp_path / "m.jpg"
    assert main(["concat", *map(str, inputs), "-o", str(out), "--gutter", "4", "--quiet"]) == 0
    assert Image.open(out).size == (3 * 80 + 4 * 4, 2 * 60 + 3 * 4)


@pytest.mark.parametrize("loop, expected", [(False, 3), (True, 6)])
def test_concat_four_gifs_frame_by_frame(tmp_path, loop, expected):
    inputs = [_anim(tmp_path / f"a{k}.gif", COLOURS[k], n) for k, n in enumerate([3, 4, 5, 6])]
    out = tmp_path / "montage.gif"
    assert main(["concat", *map(str, inputs), "-o", str(out), "--quiet"] + (["--loop"] if loop else [])) == 0
    with Image.open(out) as img:
        assert img.size == (96, 64) and img.n_frames == expected
        img.seek(0)
        first = np.asarray(img.convert("RGB"))
    assert np.abs(first[48, 24].astype(int) - COLOURS[0]).max() <= 12  # input 1 bottom-left


def test_concat_mp4s_and_a_still(tmp_path):
    import imageio.v2 as imageio

    inputs = [_anim(tmp_path / f"v{k}.mp4", COLOURS[k], 4) for k in range(3)]
    inputs.append(_still(tmp_path / "still.png", COLOURS[3], (48, 32)))
    out = tmp_path / "montage.mp4"
    assert main(["concat", *map(str, inputs), "-o", str(out), "--quiet"]) == 0
    reader = imageio.get_reader(str(out), format="FFMPEG")
    assert reader.count_frames() == 4 and tuple(reader.get_meta_data()["size"]) == (96, 64)
    reader.close()


def test_concat_bad_input(tmp_path, capsys):
    good = _still(tmp_path / "good.png", COLOURS[0])
    bad = tmp_path / "broken.gif"
    bad.write_text("not a gif")
    out = tmp_path / "m.gif"
    assert main(["concat", str(good), str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("style-transfer: error:") and "broken.gif" in err and err.count("\n") == 1
    assert main(["concat", str(good), str(tmp_path / "missing.png"), "-o", str(out)]) == 2
    assert "missing.png" in capsys.readouterr().err
    anim = _anim(tmp_path / "a.gif", COLOURS[1], 3)
    assert main(["concat", str(good), str(anim), "-o", str(tmp_path / "still.png")]) == 2
    assert ".gif or .mp4" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "broken.gif", "good.png"]


def test_concat_refuses_gif_over_the_pixel_limit(tmp_path, capsys, monkeypatch):
    # Pillow only warns between 1× and 2× its limit; the checked opener makes the warning an error
    good = _still(tmp_path / "good.png", COLOURS[0])
    anim = _anim(tmp_path / "big.gif", COLOURS[1], 3, size=(90, 70))  # 6300 px
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)  # the 4800-px still passes
    assert main(["concat", str(good), str(anim), "-o", str(tmp_path / "m.gif")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("style-transfer: error:") and "big.gif" in err and err.count("\n") == 1
    assert not (tmp_path / "m.gif").exists()


def test_concat_refuses_a_mutated_non_gif(tmp_path, capsys):
    from test_images import _dds_with_unknown_pixel_format

    good = _still(tmp_path / "good.png", COLOURS[0])
    _dds_with_unknown_pixel_format(tmp_path / "clip.gif")
    assert main(["concat", str(good), str(tmp_path / "clip.gif"), "-o", str(tmp_path / "m.gif")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("style-transfer: error:") and "clip.gif" in err and err.count("\n") == 1
