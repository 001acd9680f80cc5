"""Grid: every content × style, cached so one more style only computes the new column; the CLI."""
import numpy as np
import pytest
from PIL import Image

from cli_run import assert_one_error_line, run_main
from paths import IMGS
from style_transfer.showcase import grid
from style_transfer.showcase.cache import ResultCache
from style_transfer.figures.layout import grid_layout
from style_transfer.nst.config import StyleConfig, make_config


@pytest.fixture
def calls(monkeypatch):
    """Counts optimiser runs (one per computed grid cell)."""
    seen = []
    real = grid.stylize

    def spy(content, styles, config, network, **kw):
        seen.append((content.shape, float(np.mean([np.mean(s) for s in styles]))))
        return real(content, styles, config, network, **kw)

    monkeypatch.setattr(grid, "stylize", spy)
    return seen


def _load(name, size=64):
    img = Image.open(IMGS / name).convert("RGB")
    img.thumbnail((size, size))
    return np.asarray(img, np.float32)


def test_cache_hit_skips_computation(extractor, tmp_path, calls):
    contents = [_load("chelsea.jpg"), _load("astronaut.jpg")]
    styles = [_load("GreatWave.png"), _load("kandinky.png")]
    settings = StyleConfig(steps=2)
    cache = ResultCache(tmp_path / "cache")
    first = grid.stylize_grid(contents, styles, extractor, settings, cache=cache, progress=False)
    assert len(calls) == 4
    assert [[r.shape for r in row] for row in first] == [[c.shape[:2] + (3,)] * 2 for c in contents]
    assert all(r.dtype == np.uint8 for row in first for r in row)

    calls.clear()
    more = styles + [_load("gogh_auvert.png")]
    second = grid.stylize_grid(contents, more, extractor, settings, cache=cache, progress=False)
    assert len(calls) == 2  # only the new column
    assert {c[1] for c in calls} == {float(more[2].mean())}
    for i in range(2):
        for j in range(2):
            np.testing.assert_array_equal(second[i][j], first[i][j])

    calls.clear()
    grid.stylize_grid(contents, more, extractor, StyleConfig(steps=3), cache=cache, progress=False)
    assert len(calls) == 6  # other settings: a different key for every cell


def test_cached_cells_of_another_engine_are_computed_again(extractor, tmp_path, calls, monkeypatch):
    """The default balance and the optimiser live in the engine's code, not in the settings: a cell cached
    by another version of the engine (other default weights, another first step) is not served."""
    from style_transfer.showcase import cache as cache_module

    fingerprint = cache_module.engine_fingerprint.__wrapped__  # the digest itself, not the process's memo
    contents, styles = [_load("chelsea.jpg", 48)], [_load("GreatWave.png", 48)]
    cache = ResultCache(tmp_path / "cache")
    for _ in range(2):
        grid.stylize_grid(contents, styles, extractor, StyleConfig(steps=1), cache=cache, progress=False)
    assert len(calls) == 1
    monkeypatch.setattr(cache_module, "engine_fingerprint", lambda: "another engine")
    grid.stylize_grid(contents, styles, extractor, StyleConfig(steps=1), cache=cache, progress=False)
    assert len(calls) == 2

    (tmp_path / "engine").mkdir()
    source = tmp_path / "engine" / "balance.py"
    source.write_text("REFERENCE = 4.8e6\n")
    before = fingerprint(tmp_path / "engine")
    (tmp_path / "engine" / "notes.txt").write_text("not code")
    assert fingerprint(tmp_path / "engine") == before
    source.write_text("REFERENCE = 5.0e6\n")
    assert fingerprint(tmp_path / "engine") != before


def test_without_cache_every_cell_is_computed(extractor, calls):
    grid.stylize_grid([_load("chelsea.jpg", 48)], [_load("GreatWave.png", 48)] * 2, extractor,
                      StyleConfig(steps=1), cache=None, progress=False)
    assert len(calls) == 2


def test_grid_cli(cli, tmp_path):
    out, cache = tmp_path / "grid.jpg", tmp_path / "cache"
    r = cli("grid", "--content", IMGS / "chelsea.jpg", "--styles", IMGS / "GreatWave.png", IMGS / "kandinky.png",
            "-o", out, "--size", 64, "--steps", 2, "--labels", "--inset", "both", "--cache-dir", cache, "--quiet")
    assert r.returncode == 0, r.stderr
    w, h = Image.open(IMGS / "chelsea.jpg").size
    content_size = (64, round(h * 64 / w))
    assert Image.open(out).size == grid_layout([content_size], 2, 64).size
    assert len(list(cache.glob("*.png"))) == 2


def test_blend_column_and_controls(extractor, tmp_path, calls):
    """A column A+B blends the styles' Gram matrices: weights 1,0 give exactly the column of A alone;
    controls reach every cell (luminance mode keeps the content's chroma) and are part of the cache key."""
    from style_transfer.nst import color

    content, a, b = _load("chelsea.jpg", 48), _load("GreatWave.png", 48), _load("kandinky.png", 48)
    settings = StyleConfig(steps=3, optimizer="adam")
    one = grid.stylize_grid([content], [a], extractor, settings, progress=False)
    blended = grid.stylize_grid([content], [[a, b]], extractor, settings.replace(style_blend=(1.0, 0.0)),
                                progress=False)
    np.testing.assert_array_equal(one[0][0], blended[0][0])
    even = grid.stylize_grid([content], [[a, b]], extractor, settings, progress=False)
    assert np.abs(even[0][0].astype(float) - one[0][0]).mean() > 1

    cache = ResultCache(tmp_path / "cache")
    lum = make_config(steps=3, optimizer="adam", preserve_color="luminance")
    plain = grid.stylize_grid([content], [a], extractor, settings, cache=cache, progress=False)
    kept = grid.stylize_grid([content], [a], extractor, lum, cache=cache, progress=False)
    chroma = lambda img: color.rgb_to_ycbcr(np.asarray(img, np.float32))[..., 1:]  # noqa: E731
    assert np.abs(chroma(kept[0][0]) - chroma(content)).mean() < np.abs(chroma(plain[0][0]) - chroma(content)).mean()
    assert len(calls) == 5  # the luminance grid is not served the plain grid's cached cell


def test_grid_cli_with_blend_column_and_controls(capsys, tmp_path):
    """Through main() in this process; test_grid_cli runs the grid command as a process."""
    out = tmp_path / "grid.png"
    code, _, err = run_main(capsys, "grid", "--content", IMGS / "chelsea.jpg", "--styles", IMGS / "GreatWave.png",
                            f"{IMGS / 'GreatWave.png'}+{IMGS / 'kandinky.png'}", "--style-blend", "0.7,0.3",
                            "--tv-weight", "10", "--preserve-color", "histogram", "--preset", "balanced",
                            "--scales", "0.5:2,1", "-o", out, "--size", 48, "--steps", 2, "--labels", "--no-cache",
                            "--quiet")
    assert code == 0, err
    w, h = Image.open(IMGS / "chelsea.jpg").size
    assert Image.open(out).size == grid_layout([(48, round(h * 48 / w))], 2, 48).size


def test_grid_bad_controls(capsys, tmp_path):
    out = tmp_path / "x.png"
    for styles, args, message in (
            ([IMGS / "GreatWave.png"], ["--style-blend", "1,1"], "blend column"),
            ([f"{IMGS / 'GreatWave.png'}+{IMGS / 'kandinky.png'}"], ["--style-blend", "1,1,1"],
             "--style-blend has 3 weights"),
            ([IMGS / "GreatWave.png"], ["--tv-weight", "-1"], "--tv-weight")):
        code, _, err = run_main(capsys, "grid", "--content", IMGS / "chelsea.jpg", "--styles", *styles, *args,
                                "-o", out, "--quiet")
        assert code == 2
        assert_one_error_line(err, message)
    assert list(tmp_path.iterdir()) == []


def test_grid_bad_input(cli, capsys, tmp_path):
    out = tmp_path / "grid.png"
    code, _, err = run_main(capsys, "grid", "--content", IMGS / "chelsea.jpg", "--styles", "-o", out)
    assert code == 2
    assert_one_error_line(err, "(see 'style-transfer grid --help')")
    assert "--styles" in err
    bad = tmp_path / "broken.png"
    bad.write_text("not an image")
    r = cli("grid", "--content", IMGS / "chelsea.jpg", "--styles", bad, "-o", out, "--size", 64)
    assert r.returncode == 2 and r.stdout == ""
    assert_one_error_line(r.stderr, "broken.png")
    assert list(tmp_path.iterdir()) == [bad]
