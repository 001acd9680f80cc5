"""Artistic controls: TV, colour preservation, blends, style scale, init, layers, presets, seed, bad values."""
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from cli_run import assert_one_error_line, run_main
from paths import IMGS
from style_transfer.nst import color
from style_transfer.api import stylize_images
from style_transfer.errors import UserInputError
from style_transfer.nst.config import StyleConfig, make_config, parse_blend, parse_layer_spec
from style_transfer.nst.engine import compiled
from style_transfer.nst.losses import StyleLoss, total_variation
from style_transfer.nst.prepare import initial_image, scale_style

CONTENT, STYLE, STYLE2 = IMGS / "chelsea.jpg", IMGS / "GreatWave.png", IMGS / "kandinky.png"


@pytest.fixture
def content_small(content_small):
    """96×64: the optimisation tests here run many short stylisations."""
    return np.asarray(Image.fromarray(content_small.astype(np.uint8)).resize((96, 64)), np.float32)


@pytest.fixture
def style_small(style_small):
    return np.asarray(Image.fromarray(style_small.astype(np.uint8)).resize((96, 68)), np.float32)


def _run(content, style, extractor, steps=8, **kw):
    return stylize_images(content, style, network=extractor, progress=False, steps=steps, optimizer="adam", **kw)


def _chroma_error(a, b) -> float:
    """Mean absolute difference of the Cb and Cr planes (YCbCr, 0–255)."""
    return float(np.abs(color.rgb_to_ycbcr(a)[..., 1:] - color.rgb_to_ycbcr(b)[..., 1:]).mean())


def _tv(image) -> float:
    return float(total_variation(tf.constant(np.asarray(image, np.float32)[None])))


# --- colour --------------------------------------------------------------------------------
def test_ycbcr_round_trip(content_small):
    back = color.ycbcr_to_rgb(color.rgb_to_ycbcr(content_small))
    assert np.abs(back - content_small).max() < 1e-3
    grey = np.full((4, 4, 3), 77.0, np.float32)
    assert np.allclose(color.rgb_to_ycbcr(grey), [77.0, 128.0, 128.0], atol=1e-3)  # grey has no chroma


def test_histogram_matching_moves_style_colour_statistics_to_content(content_small, style_small):
    matched = color.match_color_histogram(style_small, content_small)
    mu_c, cov_c = color.color_stats(content_small)
    mu_s, cov_s = color.color_stats(style_small)
    mu_m, cov_m = color.color_stats(matched)
    assert np.abs(mu_s - mu_c).max() > 20 and np.abs(cov_s - cov_c).max() > 200  # they differ to start with
    assert np.abs(mu_m - mu_c).max() < 3.0  # (clipping to 0–255 costs a little)
    assert np.abs(cov_m - cov_c).max() < 0.1 * np.abs(cov_c).max()
    assert matched.shape == style_small.shape


def test_luminance_mode_works_on_grey_with_style_luminance_matched(content_small, style_small):
    work = color.working_style(style_small, content_small, "luminance")
    assert np.array_equal(work[..., 0], work[..., 1]) and np.array_equal(work[..., 1], work[..., 2])
    assert abs(work[..., 0].mean() - color.luminance(content_small).mean()) < 2.0
    restored = color.restore_colors(color.working_content(content_small, "luminance"), content_small, "luminance")
    assert np.abs(restored.astype(np.float32) - content_small).max() <= 3  # Y + content chroma = the content


# --- parsing and validation ----------------------------------------------------------------
def test_layer_spec_parsing():
    assert parse_layer_spec("conv1_1:1,conv2_1:0.5") == (("conv1_1", "conv2_1"), (1.0, 0.5))
    assert parse_layer_spec("conv1_1, pool1") == (("conv1_1", "pool1"), None)
    assert parse_layer_spec("conv1_1:2,conv2_1") == (("conv1_1", "conv2_1"), (2.0, 1.0))
    for bad, message in [("conv9_9", "unknown layer"), ("conv1_1:x", "not a number"),
                         ("conv1_1:-1", "negative"), ("conv1_1,,conv2_1", "empty"),
                         ("conv1_1,conv1_1", "twice"), ("conv1_1:0", "above 0"), ("conv1_1:inf", "finite")]:
        with pytest.raises(UserInputError, match=message):
            parse_layer_spec(bad)
    with pytest.raises(UserInputError, match="only for style"):
        parse_layer_spec("conv4_2:1", "content", allow_weights=False)


def test_blend_parsing():
    assert parse_blend("0.7,0.3", 2) == (0.7, 0.3)
    assert parse_blend(None, 3) is None
    with pytest.raises(UserInputError, match="2 weights but there are 3"):
        parse_blend("1,1", 3)
    with pytest.raises(UserInputError, match="negative"):
        parse_blend("1,-1", 2)
    with pytest.raises(UserInputError, match="above 0"):
        parse_blend("0,0", 2)
    from style_transfer.cli.commands.grid import blend_columns

    assert blend_columns(["A.jpg+B.jpg", "C.jpg"]) == [[Path("A.jpg"), Path("B.jpg")], [Path("C.jpg")]]
    with pytest.raises(UserInputError, match="empty style name"):
        blend_columns(["A.jpg+"])


def test_presets_change_the_content_style_balance():
    base = dict(content_weight=1e-2, style_weight=2.0)
    notes = []
    light = make_config(preset="light", notes=notes, **base)
    strong = make_config(preset="strong", **base)
    balanced = make_config(preset="balanced", **base)
    assert light.content_weight / light.style_weight > balanced.content_weight / balanced.style_weight
    assert strong.content_weight / strong.style_weight < balanced.content_weight / balanced.style_weight
    assert notes == ["--preset light sets the content weight to 200 (instead of the 0.01 given)"]
    assert make_config(**base) == StyleConfig(**base)  # no controls: settings unchanged
    with_layers = make_config(style_layers="conv1_1:1,conv2_1:0.5", tv_weight=3.0, **base)
    assert with_layers.style_layer_weights == (1.0, 0.5) and with_layers.tv_weight == 3.0


def test_presets_move_the_result_between_photo_and_painting(content_small, style_small, extractor):
    """light stays closest to the photo (lowest content loss); the others take more of the style."""
    runs = {p: stylize_images(content_small, style_small, network=extractor, progress=False, steps=15, preset=p)
            for p in ("light", "balanced", "strong")}  # L-BFGS
    content_loss = {p: r.history["content"][-1] for p, r in runs.items()}
    style_loss = {p: r.history["style"][-1] for p, r in runs.items()}
    assert content_loss["light"] < content_loss["balanced"] < content_loss["strong"]
    assert max(style_loss["strong"], style_loss["balanced"]) < style_loss["light"]
    distance = {p: np.abs(r.image.astype(np.float32) - content_small).mean() for p, r in runs.items()}
    assert distance["light"] < distance["strong"]


def test_init_images(content_small, style_small):
    hw = content_small.shape[:2]
    assert np.array_equal(initial_image("content", content_small), content_small)
    a, b = initial_image("noise", content_small, seed=1), initial_image("noise", content_small, seed=1)
    assert np.array_equal(a, b) and not np.array_equal(a, initial_image("noise", content_small, seed=2))
    assert a.shape == content_small.shape and 0 <= a.min() and a.max() <= 255 and a.std() > 20
    s = initial_image("style", content_small, [style_small])
    assert s.shape[:2] == hw and abs(s.mean() - style_small.mean()) < 10  # cover-cropped, not stretched
    p = initial_image(Image.open(STYLE2), content_small)
    assert p.shape == content_small.shape


# --- behaviour of the stylised image ---------------------------------------------------------
def test_tv_weight_lowers_total_variation(extractor, content_small, style_small):
    plain = _run(content_small, style_small, extractor, steps=6)
    smooth = _run(content_small, style_small, extractor, steps=6, tv_weight=1e4)
    assert smooth.history["tv"][-1] > 0 and plain.history["tv"][-1] == 0
    assert _tv(smooth.image) < 0.8 * _tv(plain.image)


def test_luminance_preservation_keeps_content_chroma(extractor, content_small, style_small):
    plain = _run(content_small, style_small, extractor, steps=6)
    kept = _run(content_small, style_small, extractor, steps=6, preserve_color="luminance")
    assert _chroma_error(kept.image, content_small) < 2.0
    assert _chroma_error(plain.image, content_small) > 2 * _chroma_error(kept.image, content_small)
    assert np.abs(kept.image.astype(np.float32) - content_small).mean() > 3  # it was stylised nonetheless


def test_histogram_preservation_runs_and_stays_closer_to_content_colours(extractor, content_small, style_small):
    plain = _run(content_small, style_small, extractor, steps=6)
    kept = _run(content_small, style_small, extractor, steps=6, preserve_color="histogram")
    mu_c = color.color_stats(content_small)[0]
    assert np.abs(color.color_stats(kept.image)[0] - mu_c).sum() < np.abs(color.color_stats(plain.image)[0] - mu_c).sum()


def test_blend_one_zero_equals_first_style(extractor, content_small, style_small):
    style2 = np.asarray(scale_style(Image.open(STYLE2), content_small.shape[:2]), np.float32)
    single = _run(content_small, style_small, extractor, steps=4)
    blend = _run(content_small, [style_small, style2], extractor, steps=4, style_blend="1,0")
    assert np.array_equal(single.image, blend.image)
    half = _run(content_small, [style_small, style2], extractor, steps=4, style_blend=(0.5, 0.5))
    assert not np.array_equal(single.image, half.image)


def test_style_scale_changes_style_gram_targets(extractor, content_small):
    hw = content_small.shape[:2]
    full, half = scale_style(Image.open(STYLE), hw, 1.0), scale_style(Image.open(STYLE), hw, 0.5)
    assert max(full.shape[:2]) == max(hw) and max(half.shape[:2]) == round(0.5 * max(hw))
    loss, _ = compiled(extractor, StyleConfig(content_weight=0.6), *hw)
    loss.set_style(full)
    g_full = [g.numpy() for g in loss.target_grams[0].values()]
    loss.set_style(half)
    g_half = [g.numpy() for g in loss.target_grams[0].values()]
    for a, b in zip(g_full, g_half):
        assert a.shape == b.shape
        assert float(tf.reduce_mean(tf.abs(a - b))) > 0.05 * float(tf.reduce_mean(tf.abs(a)))


def test_the_same_painting_set_again_keeps_its_grams(extractor, content_small, style_small, monkeypatch):
    """A batch or the web app sets one painting for photo after photo: its Grams are computed once,
    and any other painting, scale or blend computes them anew."""
    loss = StyleLoss(extractor, StyleConfig(content_weight=0.6), *content_small.shape[:2])
    calls = []
    style_features = extractor.style_features
    monkeypatch.setattr(extractor, "style_features", lambda img: calls.append(1) or style_features(img))
    grams = lambda: [g.numpy() for g in loss.target_grams[0].values()]  # noqa: E731
    other = style_small[::-1].copy()
    loss.set_style(style_small)
    first = grams()
    loss.set_style(style_small.copy())
    assert len(calls) == 1
    loss.set_style(other)
    assert len(calls) == 2 and not np.array_equal(grams()[0], first[0])
    loss.set_style(style_small)
    assert len(calls) == 3 and all(np.array_equal(a, b) for a, b in zip(grams(), first))
    loss.set_style([style_small, other], (0.5, 0.5))
    loss.set_style([style_small, other], (0.3, 0.7))
    assert len(calls) == 7


def test_same_seed_identical_arrays(extractor, content_small, style_small):
    a = _run(content_small, style_small, extractor, steps=4, init="noise", seed=7)
    b = _run(content_small, style_small, extractor, steps=4, init="noise", seed=7)
    c = _run(content_small, style_small, extractor, steps=4, init="noise", seed=8)
    assert np.array_equal(a.image, b.image) and a.history == b.history
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("args", [[], ["--optimizer", "adam", "--init", "noise"]], ids=["default", "adam noise"])
def test_seed_gives_the_same_bytes_in_separate_processes(cli_process, tmp_path, args):
    """--seed makes a run repeatable from a fresh process (nothing carried over in memory); with a
    noise start another seed gives another image. Each run writes out.png in its own folder, so the
    command line recorded in the file (its provenance) is the same too. The processes run side by
    side: each is still its own fresh process."""
    seeds = {"a": 7, "b": 7, **({"c": 8} if "noise" in args else {})}
    procs = {}
    for name, seed in seeds.items():
        (tmp_path / name).mkdir()
        procs[name] = cli_process("image", CONTENT, STYLE, "-o", "out.png", "--size", 48, "--steps", 3,
                                  "--seed", seed, "--quiet", *args, cwd=tmp_path / name,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        out[name] = (tmp_path / name / "out.png").read_bytes()

    first = out["a"]
    assert out["b"] == first
    if "noise" in args:
        assert out["c"] != first


def test_style_layers_and_weights_used(extractor, content_small, style_small):
    r = _run(content_small, style_small, extractor, steps=2, style_layers="conv1_1:1,conv3_1:0.5",
             content_layers="conv4_2")
    assert r.steps == 2 and np.isfinite(r.final_loss)
    only_first = _run(content_small, style_small, extractor, steps=2, style_layers="conv1_1:1,conv3_1:0")
    first_layer = _run(content_small, style_small, extractor, steps=2, style_layers="conv1_1")
    assert np.allclose(only_first.history["style"], first_layer.history["style"], rtol=1e-5)


def test_config_object_passes_through(extractor, content_small, style_small):
    config = StyleConfig(steps=2, optimizer="adam", init="noise", seed=3)
    a = stylize_images(content_small, style_small, config, network=extractor, progress=False)
    b = _run(content_small, style_small, extractor, steps=2, init="noise", seed=3)
    assert np.array_equal(a.image, b.image)


# --- command line ----------------------------------------------------------------------------
def test_cli_controls_end_to_end(capsys, tmp_path):
    """Every control flag through main() in this process (the separate-process runs are above)."""
    out, sbs = tmp_path / "out.png", tmp_path / "sbs.png"
    code, _, err = run_main(capsys, "image", CONTENT, STYLE, STYLE2, "-o", out, "--size", 64, "--steps", 2,
                            "--style-blend", "0.7,0.3", "--preserve-color", "histogram", "--tv-weight", 10,
                            "--init", "noise", "--style-scale", 0.75, "--style-pyramid", 2, "--style-layers", "conv1_1:1,conv2_1:0.5",
                            "--content-layers", "conv4_2", "--preset", "strong", "--seed", 3, "--side-by-side", sbs,
                            "--quiet")
    assert code == 0, err
    assert max(Image.open(out).size) == 64
    assert Image.open(sbs).width > 4 * 40  # content, two styles, result


@pytest.mark.parametrize("args, message", [
    (["--tv-weight", "-1"], "negative"),
    (["--style-weight", "-2"], "negative"),
    (["--style-blend", "1"], "1 weight but there are 2"),
    (["--style-blend", "0.5,-0.5"], "negative"),
    (["--style-layers", "conv6_1"], "unknown layer 'conv6_1'"),
    (["--content-layers", "fc7"], "unknown layer 'fc7'"),
    (["--style-layers", "conv1_1:heavy"], "not a number"),
    (["--preset", "wild"], "invalid choice"),
    (["--preserve-color", "sepia"], "invalid choice"),
    (["--init", "nowhere.png"], "neither content, recolored, noise, style nor an existing image"),
    (["--style-scale", "-1"], "--style-scale"),
    (["--seed", "-1"], "--seed"),
    (["--style-pyramid", "4"], "--style-pyramid must be an integer from 0 to 3"),
    (["--style-pyramid", "two"], "invalid int value"),
])
def test_cli_bad_control_values_exit_2(capsys, tmp_path, args, message):
    out = tmp_path / "out.png"
    code, _, err = run_main(capsys, "image", CONTENT, STYLE, STYLE2, "-o", out, "--size", 64, "--steps", 1, *args)
    assert code == 2, err
    assert_one_error_line(err, message)
    assert not any(tmp_path.iterdir())
