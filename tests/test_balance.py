"""The default content weight adapts to each photo–painting pair; explicit weights and other presets do not."""
import numpy as np
import pytest
from PIL import Image

from paths import IMGS
from style_transfer.nst import balance
from style_transfer.nst.config import PRESETS, StyleConfig, make_config
from style_transfer.nst.engine import stylize
from style_transfer.nst.prepare import prepare
from style_transfer.video.stylizer import FrameStylizer


def _picture(name, size):
    img = Image.open(IMGS / name).convert("RGB")
    img.thumbnail((size, size))
    return np.asarray(img, np.float32)


def test_weight_follows_the_pair_ratio_within_the_limits():
    ref, standard = balance.REFERENCE, PRESETS["standard"]
    assert balance.content_weight_for(ref, 1.0) == pytest.approx(standard)
    assert balance.content_weight_for(1.5 * ref, 2.0) == pytest.approx(2.0 * standard * 1.5 ** 2)
    assert balance.content_weight_for(100 * ref, 1.0) == pytest.approx(standard * balance.LIMITS[1])
    assert balance.content_weight_for(0.01 * ref, 1.0) == pytest.approx(standard * balance.LIMITS[0])
    # the limits keep the default above the strong preset and far below the light one on every pair
    assert PRESETS["strong"] < standard * balance.LIMITS[0] < standard < standard * balance.LIMITS[1] < PRESETS["light"]


def test_explicit_weights_and_other_presets_are_kept_as_given():
    assert make_config().content_weight is None
    assert make_config(preset="standard").content_weight is None
    assert make_config(content_weight=0.5).content_weight == 0.5
    assert make_config(preset="light").content_weight == PRESETS["light"]
    notes = []
    assert make_config(preset="standard", content_weight=2.0, notes=notes).content_weight is None
    assert notes == ["--preset standard adapts the content weight to each pair (instead of the 2 given)"]
    # no network needed: nothing to measure; given weights get no style pyramid unless it is asked for
    fixed = StyleConfig(content_weight=0.5)
    assert balance.resolve(fixed, None, None, None) == fixed.replace(style_pyramid=0)
    asked = StyleConfig(content_weight=0.5, style_pyramid=2)
    assert balance.resolve(asked, None, None, None) is asked


def test_pairs_get_their_own_weight_and_the_run_uses_it(extractor):
    """A pair the painting would pull far from the photo (chelsea × Gogh) gets a higher content weight than
    one it barely moves (astronaut × Kandinsky), and the run optimises with the weight it reports."""
    config = StyleConfig(steps=6)
    weights, runs = {}, {}
    for photo, painting in (("chelsea.jpg", "gogh_auvert.png"), ("astronaut.jpg", "kandinky.png")):
        content, style = _picture(photo, 96), _picture(painting, 160)
        prep = prepare(content, [style], config)
        weights[photo] = balance.content_weight_for(balance.pair_ratio(extractor, prep.content, prep.styles), 1.0)
        runs[photo] = stylize(content, style, config, extractor, progress=False)
        assert runs[photo].config.content_weight == pytest.approx(weights[photo])
        history = runs[photo].history
        recombined = np.array(history["style"]) + weights[photo] * np.array(history["content"])
        np.testing.assert_allclose(history["total"], recombined, rtol=1e-4)
    assert weights["chelsea.jpg"] > PRESETS["standard"] > weights["astronaut.jpg"]
    fixed = stylize(_picture("chelsea.jpg", 96), _picture("gogh_auvert.png", 160),
                    config.replace(content_weight=PRESETS["standard"], style_pyramid=balance.PYRAMID), extractor,
                    progress=False)
    assert runs["chelsea.jpg"].history["content"][-1] < fixed.history["content"][-1]


def test_video_frames_use_the_weight_of_the_first_frame(extractor):
    frame, style = _picture("chelsea.jpg", 64), _picture("gogh_auvert.png", 96)
    stylizer = FrameStylizer(extractor, [style], StyleConfig(), *frame.shape[:2], steps_per_frame=1,
                             first_frame_steps=1)
    stylizer(frame)
    stylizer(frame)
    prep = prepare(frame, [style], StyleConfig())
    expected = balance.content_weight_for(balance.pair_ratio(extractor, prep.content, prep.styles), 1.0)
    assert stylizer.first[0].weights["content"] == pytest.approx(expected)
    assert stylizer.later[0].weights["content"] == pytest.approx(expected)
    assert stylizer.later[0].weights["temporal"] > 0


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_new_pair_reuses_the_compiled_steps_with_its_own_weight(extractor, optimizer):
    """Two pairs of one shape with different default weights share one compiled (loss, optimiser): the
    second pair neither retraces nor runs with the first pair's weight."""
    from style_transfer.nst.engine import begin, compiled

    config = StyleConfig(steps=4, optimizer=optimizer)
    style = _picture("gogh_auvert.png", 128)
    chelsea = _picture("chelsea.jpg", 96)
    astronaut = np.asarray(Image.open(IMGS / "astronaut.jpg").convert("RGB").resize(chelsea.shape[1::-1]), np.float32)
    net = begin(config, extractor)
    first = stylize(chelsea, style, config, extractor, progress=False)
    first_steps = compiled(net, first.config, *chelsea.shape[:2])
    second = stylize(astronaut, style, config, extractor, progress=False)
    assert first.config.content_weight != pytest.approx(second.config.content_weight, rel=0.05)
    loss, opt = compiled(net, second.config, *chelsea.shape[:2])
    assert (loss, opt) == first_steps
    steps = (opt._value_and_grad, opt._style_value_and_grad) if optimizer == "lbfgs" else \
        (opt._adam_step, opt._adam_refresh_step, opt._adam_stale_step)
    assert max(step.experimental_get_tracing_count() for step in steps) == 1
    assert loss.weights["content"] == second.config.content_weight
    # the same run with the weight given explicitly, on steps compiled afresh for it
    fresh = type(net)(net.vgg, net.preprocessing, net.style_layers, net.content_layers, net.description, net.precision)
    explicit = stylize(astronaut, style, config.replace(content_weight=second.config.content_weight,
                                                        style_pyramid=second.config.style_pyramid), fresh,
                       progress=False)
    np.testing.assert_allclose(second.history["total"], explicit.history["total"], rtol=1e-5)
