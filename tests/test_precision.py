"""bfloat16 loss network, --precision/--device, style-only evaluations and the recoloured start."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

from cli_run import assert_one_error_line, run_cli, start_cli
from paths import IMGS
from style_transfer.nst import color, device, optimizer
from style_transfer.nst.config import make_config
from style_transfer.nst.engine import begin, compiled, evaluate, stylize
from style_transfer.nst.optimizer import CONTENT_EVERY, CONTENT_SHARE_LIMIT, ContentGuard
from style_transfer.nst.prepare import initial_image

ARTICLE = dict(style_weight=1.0, content_weight=1e-3)


def test_bfloat16_features_track_float32(extractor, content_small):
    """The cast network computes the same features as the Keras model, to bfloat16's precision, as float32."""
    x = content_small[None]
    bf16 = extractor.with_layers(precision="bfloat16")
    assert bf16.vgg is extractor.vgg and bf16.precision == "bfloat16"
    ref, low = extractor.features(x), bf16.features(x)
    assert set(low) == set(ref)
    for name in ref:
        assert low[name].dtype.name == "float32"
        err = np.linalg.norm(low[name].numpy() - ref[name].numpy()) / np.linalg.norm(ref[name].numpy())
        assert err < 0.01, (name, err)  # bfloat16 round-off: about 0.5 %
    style_only = bf16.style_features(x)
    assert set(style_only) == set(extractor.style_layers)
    np.testing.assert_array_equal(style_only["conv2_2"].numpy(), low["conv2_2"].numpy())


@pytest.mark.parametrize("weights", [ARTICLE, {}], ids=["article", "defaults"])
def test_bfloat16_reaches_the_float32_loss(extractor, content_small, style_small, weights):
    """Both precisions end at the same float32 loss within a tolerance (different round-off sends
    L-BFGS-B along slightly different paths), far below where they started."""
    finals = {}
    for precision in ("float32", "bfloat16"):
        config = make_config(steps=25, precision=precision, **weights)
        result = stylize(content_small, style_small, config, extractor, progress=False)
        finals[precision] = evaluate(result.image, content_small, style_small, config, extractor)["total"]
    start = evaluate(content_small, content_small, style_small, make_config(**weights), extractor)["total"]
    assert max(finals.values()) < 0.2 * start
    assert finals["bfloat16"] == pytest.approx(finals["float32"], rel=0.15)


def _guard_after(extractor, content, style, **values):
    config = make_config(steps=16, precision="float32", **values)
    result = stylize(content, style, config, extractor, progress=False)
    _, optimizer = compiled(begin(config, extractor), result.config, *content.shape[:2])
    return optimizer.last_guard, result, result.config


def test_style_only_evaluations_at_the_article_weights(extractor, content_small, style_small):
    """From the recoloured photo (the default start) the content term is first measured at the
    CONTENT_EVERY-th evaluation, not at the start where it is smallest."""
    guard, result, config = _guard_after(extractor, content_small, style_small, **ARTICLE)
    assert guard.count == 16 and guard.full_at == [CONTENT_EVERY]
    # a skipped evaluation reports the content term last measured, 0 before the first measurement
    content = result.history["content"]
    assert content[:CONTENT_EVERY] == [0.0] * CONTENT_EVERY
    assert content[CONTENT_EVERY:] == [content[CONTENT_EVERY]] * (16 - CONTENT_EVERY) and content[CONTENT_EVERY] > 0
    true = evaluate(result.image, content_small, style_small, config, extractor)
    assert true["content"] * config.content_weight < CONTENT_SHARE_LIMIT * true["total"]


def test_a_start_away_from_the_photo_measures_the_content_first(extractor, content_small, style_small):
    guard, result, _ = _guard_after(extractor, content_small, style_small, init="noise", **ARTICLE)
    assert guard.full_at[0] == 0 and result.history["content"][0] > 0


@pytest.mark.parametrize("values", [{"preset": "light"}, {}, {"style_weight": 1.0, "content_weight": 0.05}],
                         ids=["light", "defaults", "raised-content-weight"])
def test_content_kept_in_every_evaluation_when_it_matters(extractor, content_small, style_small, values):
    guard, _, _ = _guard_after(extractor, content_small, style_small, **values)
    assert guard.full == guard.count == 16


def test_guard_turns_full_once_the_content_share_grows():
    class Loss:
        weights = {"style": 1.0, "content": 1e-3}
        content_can_be_skipped = True

    guard = ContentGuard(Loss())
    assert guard.full_next()
    guard.record({"total": 100.0, "content": 0.0}, True)
    assert not guard.full_next()
    skipped = guard.record({"total": 90.0, "content": 0.0}, False)
    assert skipped["content"] == 0.0 and skipped["total"] == 90.0
    while not guard.full_next():
        guard.record({"total": 80.0, "content": 0.0}, False)
    guard.record({"total": 80.0, "content": 2e3}, True)  # 1e-3 × 2e3 = 2: 2.5 % of the loss
    assert all(guard.full_next() for _ in range(3))
    filled = ContentGuard(Loss())
    filled.record({"total": 100.0, "content": 50.0}, True)
    assert filled.record({"total": 90.0, "content": 0.0}, False) == {"total": 90.0 + 1e-3 * 50.0, "content": 50.0}


def _adam_run(extractor, content, style, **values):
    config = make_config(optimizer="adam", steps=16, precision="float32", **values)
    result = stylize(content, style, config, extractor, progress=False)
    _, adam = compiled(begin(config, extractor), result.config, *content.shape[:2])
    return result, adam.last_stale_steps, evaluate(result.image, content, style, result.config, extractor)


def test_adam_reuses_the_content_gradient_where_style_outweighs(extractor, content_small, style_small, monkeypatch):
    """At the defaults 3 of every 4 Adam steps reuse the content gradient and end where full steps do,
    the content kept as close (leaving its gradient out of those steps drifts 13% further here)."""
    result, stale, loss = _adam_run(extractor, content_small, style_small)
    assert stale == 16 - 16 // optimizer.ADAM_CONTENT_EVERY
    content = result.history["content"]  # a reusing step reports the content term last measured
    assert all(content[k] == content[k - k % optimizer.ADAM_CONTENT_EVERY] for k in range(16))
    monkeypatch.setattr(optimizer, "ADAM_CONTENT_EVERY", 1)
    exact, none, exact_loss = _adam_run(extractor, content_small, style_small)
    assert none == 0 and not np.array_equal(exact.image, result.image)
    assert loss["total"] == pytest.approx(exact_loss["total"], rel=0.03)
    assert loss["content"] == pytest.approx(exact_loss["content"], rel=0.08)


@pytest.mark.parametrize("values", [{"preset": "light"}, {"preset": "balanced"},
                                    {"style_weight": 1.0, "content_weight": 2.6}],
                         ids=["light", "balanced", "raised-content-weight"])
def test_adam_takes_full_steps_where_the_photo_outweighs(extractor, content_small, style_small, values,
                                                        monkeypatch):
    result, stale, _ = _adam_run(extractor, content_small, style_small, **values)
    monkeypatch.setattr(optimizer, "ADAM_CONTENT_EVERY", 1)
    exact, _, _ = _adam_run(extractor, content_small, style_small, **values)
    assert stale == 0
    np.testing.assert_array_equal(result.image, exact.image)


def test_recolored_start_has_the_style_colours_and_the_content_structure(content_small, style_small):
    start = initial_image("recolored", content_small, [style_small])
    mean_s, cov_s = color.color_stats(style_small)
    mean_r, cov_r = color.color_stats(start)
    np.testing.assert_allclose(mean_r, mean_s, atol=2.0)
    _, cov_c = color.color_stats(content_small)  # clipping to 0–255 trims the spread a little
    assert np.linalg.norm(cov_r - cov_s) < 0.3 * np.linalg.norm(cov_c - cov_s)
    y_c, y_r = color.luminance(content_small).ravel(), color.luminance(start).ravel()
    assert np.corrcoef(y_c, y_r)[0, 1] > 0.8
    assert np.abs(start - content_small).mean() > 10  # not the content itself


def test_precision_and_device_on_the_command_line(tmp_path):
    """--precision float32 repeats its bytes under a seed and differs from bfloat16; the start-up line
    names the device and the precision; the record keeps the choice."""
    from style_transfer.media import provenance

    content, style = IMGS / "chelsea.jpg", IMGS / "GreatWave.png"
    runs = {name: (precision, tmp_path / f"{name}.png") for name, precision in
            (("a", "float32"), ("b", "float32"), ("c", "bfloat16"))}
    procs = {name: start_cli("image", content, style, "-o", out, "--size", "64", "--steps", "4",
                             "--precision", precision, "--seed", "3", stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
             for name, (precision, out) in runs.items()}  # fresh processes, side by side
    outs = {}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=600)
        precision, outs[name] = runs[name]
        assert proc.returncode == 0, err
        assert "style-transfer: device: CPU (" in err or device.gpu_in_use()
        assert f"precision: {precision}" in err
    assert np.array_equal(np.asarray(Image.open(outs["a"])), np.asarray(Image.open(outs["b"])))
    assert not np.array_equal(np.asarray(Image.open(outs["a"])), np.asarray(Image.open(outs["c"])))
    assert provenance.read_record(outs["c"])["settings"]["precision"] == "bfloat16"


def test_device_gpu_needs_a_gpu(tmp_path):
    proc = run_cli("image", IMGS / "chelsea.jpg", IMGS / "GreatWave.png", "-o", tmp_path / "o.png",
                   "--size", "32", "--steps", "1", "--device", "gpu")
    if device.gpu_in_use():
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode == 2 and not (tmp_path / "o.png").exists()
        assert_one_error_line(proc.stderr, "--device gpu: TensorFlow sees no GPU")


def test_auto_precision_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"avx2"}))
    monkeypatch.setattr(device, "gpu_in_use", lambda: False)
    assert device.resolve_precision("auto") == "float32"
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"avx2", "avx512_bf16"}))
    assert device.resolve_precision("auto") == "bfloat16"
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"amx_bf16"}))
    assert device.resolve_precision("auto") == "bfloat16"
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset())
    monkeypatch.setattr(device, "gpu_in_use", lambda: True)
    assert device.resolve_precision("auto") == "bfloat16"
    assert device.resolve_precision("float32") == "float32"


def test_the_default_start_is_the_recolored_content(extractor, content_small, style_small):
    """One Adam step with a vanishing learning rate returns the start: by default the recoloured content."""
    config = make_config(steps=1, lr=1e-6, optimizer="adam")
    result = stylize(content_small, style_small, config, extractor, progress=False)
    expected = initial_image("recolored", content_small, [style_small])
    assert np.abs(result.image.astype(float) - expected).max() <= 1.0
    assert np.abs(result.image.astype(float) - content_small).mean() > 10
