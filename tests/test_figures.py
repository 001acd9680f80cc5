"""Rows, grid figure layout, framed insets, labels, loss plot, progress animations with step labels."""
import numpy as np
import pytest
from PIL import Image

from style_transfer.figures.labels import draw_step_label
from style_transfer.figures.layout import add_inset, grid_figure, grid_layout, label_from_path, plot_losses, row
from style_transfer.figures.progress import ProgressWriter

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 30), (30, 30, 220)


def solid(w, h, colour):
    return np.full((h, w, 3), colour, np.uint8)


@pytest.mark.parametrize("inset", ["style", "content", "both", "none"])
def test_grid_size_follows_rows_columns_and_tile(inset):
    contents = [solid(96, 64, (128, 128, 128)), solid(64, 64, (90, 90, 90))]
    styles = [solid(50, 80, RED), solid(80, 50, GREEN), solid(60, 60, BLUE)]
    colours = [(200, 200, 10 + 20 * j) for j in range(3)]  # each column's result: its own colour
    results = [[solid(c.shape[1], c.shape[0], colours[j]) for j in range(3)] for c in contents]
    tile, gutter = 120, 6
    fig = grid_figure(contents, styles, results, tile=tile, inset=inset, gutter=gutter, labels=True,
                      content_labels=["cat", "square"], style_labels=["red", "green", "blue"])
    rows = [round(tile * 64 / 96), tile]
    header = round(tile * 3 / 4)
    assert fig.size == (gutter + 4 * (tile + gutter), gutter + header + gutter + sum(r + gutter for r in rows))
    layout = grid_layout([(96, 64), (64, 64)], 3, tile, gutter)
    assert layout.size == fig.size
    px = np.asarray(fig)
    for i in range(2):
        for j, colour in enumerate(colours):
            x, y = layout.cell(i, j)
            # the cell's top-right area shows the result itself, never stretched into the gutter
            assert tuple(px[y + 5, x + tile - 5]) == colour
            assert tuple(px[y + 5, x + tile + gutter // 2]) == (255, 255, 255)
            bottom_left = px[y + layout.rows[i] - 12, x + 12]
            inset_colour = tuple(styles[j][0, 0]) if inset in ("style", "both") else tuple(contents[i][0, 0])
            if inset == "none":
                assert tuple(bottom_left) == colour
            else:  # the inset (style, or content alone) covers the bottom-left corner
                assert tuple(bottom_left) == inset_colour
            bottom_right = tuple(px[y + layout.rows[i] - 12, x + tile - 12])
            assert bottom_right == (tuple(contents[i][0, 0]) if inset == "both" else colour)
    # header thumbnails sit in the header row, cropped (not stretched) to the header cell
    x, y = layout.cell(-1, 2)
    assert tuple(px[y + 3, x + 3]) == BLUE


def test_inset_is_framed_and_in_bottom_left():
    results = [[solid(128, 96, (0, 0, 0))]]
    fig = grid_figure([solid(128, 96, (0, 0, 0))], [solid(40, 40, RED)], results, tile=128, gutter=4)
    layout = grid_layout([(128, 96)], 1, 128, 4)
    x, y = layout.cell(0, 0)
    cell = np.asarray(fig)[y:y + 96, x:x + 128]
    red = np.all(cell == RED, axis=-1)
    ys, xs = np.nonzero(red)
    assert xs.min() < 20 and ys.max() > 96 - 20  # bottom-left
    assert xs.max() < 64 and ys.min() > 40  # small
    # a white frame around the red square
    assert tuple(cell[ys.min() - 1, xs.min()]) == (255, 255, 255)
    assert tuple(cell[ys.max() + 1, xs.max()]) == (255, 255, 255)


def test_labels_from_file_names():
    assert label_from_path("imgs/renoir-moulin_de_la_galette.png") == "renoir moulin de la galette"
    assert label_from_path("GreatWave.png") == "GreatWave"


def test_loss_plot_is_a_valid_png(tmp_path):
    n = 30
    history = {"total": list(np.geomspace(1e6, 1e3, n)), "style": list(np.geomspace(1e6, 1e3, n)),
               "content": [0.0] + list(np.linspace(1e4, 2e4, n - 1)), "tv": list(np.linspace(50, 10, n)),
               "temporal": [0.0] * n}
    from style_transfer.nst.config import StyleConfig

    out = plot_losses(history, tmp_path / "loss.png", StyleConfig(tv_weight=0.5))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as img:
        img.verify()
    with Image.open(out) as img:
        assert img.format == "PNG" and img.width > 300 and img.height > 200
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]


def test_step_label_drawn_in_top_left_corner():
    frame = solid(96, 64, (0, 120, 0))
    labelled = np.asarray(draw_step_label(frame, 7))
    assert labelled.shape == frame.shape
    corner, rest = labelled[:20, :40], labelled[30:, 50:]
    assert (corner != frame[:20, :40]).any() and (corner.max(axis=-1) > 200).any()  # white text
    assert (rest == frame[30:, 50:]).all()


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_progress_writer_gif_and_mp4(tmp_path, suffix):
    out = tmp_path / f"steps{suffix}"
    w = ProgressWriter(out, size=(65, 43), fps=5)
    for step in range(1, 6):
        w.add(solid(65, 43, (step * 40, 0, 0)), step)  # odd size: MP4 gets padded to even
    w.close()
    import imageio.v2 as imageio

    if suffix == ".gif":
        assert Image.open(out).n_frames == 5
    else:
        reader = imageio.get_reader(str(out), format="FFMPEG")
        assert reader.count_frames() == 5 and tuple(reader.get_meta_data()["size"]) == (66, 44)
        reader.close()
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def _frame_sizes(path):
    """(W, H) of every frame of a GIF or MP4, read back independently of the project's reader."""
    if path.suffix == ".gif":
        with Image.open(path) as img:
            sizes = []
            for k in range(img.n_frames):
                img.seek(k)
                sizes.append(img.convert("RGB").size)
            return sizes
    import imageio.v2 as imageio

    reader = imageio.get_reader(str(path), format="FFMPEG")
    try:
        return [(f.shape[1], f.shape[0]) for f in reader]
    finally:
        reader.close()


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_progress_writer_takes_coarse_to_fine_frames(tmp_path, suffix):
    """Frames at 1/4, 1/2 and full size (as coarse-to-fine hands them over) all come out at the given size."""
    out = tmp_path / f"steps{suffix}"
    size = (96, 64)
    with ProgressWriter(out, size=size, fps=5) as w:
        step = 0
        for scale in (4, 2, 1):
            for _ in range(2):
                step += 1
                w.add(solid(size[0] // scale, size[1] // scale, (0, 40 * step, 0)), step)
    assert _frame_sizes(out) == [size] * 6
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_progress_writer_abort_leaves_nothing(tmp_path):
    w = ProgressWriter(tmp_path / "steps.mp4", size=(32, 32))
    w.add(solid(32, 32, RED), 1)
    w.abort()
    assert list(tmp_path.iterdir()) == []


def test_row_same_height():
    strip = row([np.zeros((50, 100, 3), np.uint8), np.zeros((100, 100, 3), np.uint8)], gutter=4)
    assert strip.size == (4 + 200 + 4 + 100 + 4, 100 + 8)


def test_video_inset_corners():
    frame = add_inset(solid(160, 90, (0, 0, 0)), content=solid(160, 90, RED), style=solid(50, 50, BLUE))
    assert frame.shape == (90, 160, 3)
    assert tuple(frame[80, 20]) == RED and tuple(frame[80, 150]) == BLUE  # content left, style right
    assert tuple(frame[10, 80]) == (0, 0, 0)
