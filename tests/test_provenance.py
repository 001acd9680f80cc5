"""Provenance: every image `image` writes carries how it was made (PNG text, EXIF, TIFF tag, an optional
JSON sidecar); --settings-from reruns it, explicit flags winning; --save-every writes step snapshots."""
import json

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from cli_run import run_cli
from paths import IMGS
from style_transfer.cli.main import main
from style_transfer.errors import UserInputError
from style_transfer.media import provenance

ORIGINAL_FLAGS = ("--size", "48", "--seed", "5", "--steps", "2", "--tv-weight", "3", "--preset", "light")


def _small(name, size):
    return np.asarray(Image.open(IMGS / name).convert("RGB").resize(size), np.float32)


@pytest.mark.parametrize("ext", ["png", "jpg", "webp", "tif"])
def test_api_embeds_the_record_in_every_format(tmp_path, extractor, ext):
    from style_transfer import __version__
    from style_transfer.api import stylize_images
    from style_transfer.nst.config import make_config
    from style_transfer.showcase.cache import extractor_fingerprint

    out = tmp_path / f"out.{ext}"
    stylize_images(_small("chelsea.jpg", (48, 32)), _small("GreatWave.png", (48, 34)), network=extractor,
                            progress=False, output=out, steps=2, seed=5, tv_weight=3.0, optimizer="adam",
                            argv=["style-transfer", "image", "x"], save_settings=ext == "png")
    # read from the image itself: read_record would fall back to the PNG's sidecar
    record = provenance.parse_record(provenance.embedded_text(out), out)
    assert record == provenance.read_record(out)
    settings = make_config(steps=2, seed=5, tv_weight=3.0, optimizer="adam").key()
    assert record["settings"] == json.loads(json.dumps(settings))
    assert record["settings"]["steps"] == 2 and record["settings"]["tv_weight"] == 3.0
    assert record["seed"] == 5 and record["version"] == __version__
    assert record["size"] == 48 and record["working_size"] == [48, 32]
    assert record["network"]["fingerprint"] == extractor_fingerprint(extractor)
    assert record["network"]["description"] == extractor.description
    assert record["argv"] == ["style-transfer", "image", "x"]
    sidecar = provenance.sidecar_path(out)
    assert sidecar.is_file() == (ext == "png")
    if ext == "png":
        assert json.loads(sidecar.read_text()) == record


def test_bmp_has_no_embedded_record_but_its_sidecar_is_read(tmp_path):
    from style_transfer.media.images import write_image

    record = provenance.make_record({"steps": 2}, seed=1, working_size=(40, 32), network_fingerprint="f",
                                    network_description="d")
    out = tmp_path / "o.bmp"
    write_image(np.zeros((32, 40, 3), np.uint8), out, metadata=record)
    with pytest.raises(UserInputError, match="no style-transfer record"):
        provenance.read_record(out)
    provenance.sidecar_path(out).write_text(provenance.sidecar_text(record))
    assert provenance.read_record(out) == record


@pytest.mark.parametrize("text, why", [
    ("{not json", "not valid JSON"),
    ('{"tool": "other"}', "not a style-transfer record"),
    ('{"tool": "style-transfer", "record_version": 99, "settings": {}, "size": 4}', "unknown record version"),
    ('{"tool": "style-transfer", "record_version": 1, "settings": [], "size": 4}', "no settings"),
    ('{"tool": "style-transfer", "record_version": 1, "settings": {}, "size": -4}', "size"),
])
def test_damaged_records_are_refused(text, why):
    with pytest.raises(UserInputError, match=why):
        provenance.parse_record(text, "x.png")


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("style-transfer: error:") and err.count("\n") == 1, err
    return err


def test_settings_from_a_file_without_a_record_is_one_line(tmp_path, capsys):
    plain, damaged = tmp_path / "plain.png", tmp_path / "damaged.png"
    Image.new("RGB", (48, 32), (10, 20, 30)).save(plain)
    info = PngInfo()
    info.add_text(provenance.KEY, '{"tool": "style-transfer", "settings": ')
    Image.new("RGB", (48, 32), (10, 20, 30)).save(damaged, pnginfo=info)
    wrong = tmp_path / "wrong.png"  # well-formed JSON, settings that make no configuration
    record = provenance.make_record({"steps": "many"}, seed=0, working_size=(48, 32), network_fingerprint=None,
                                    network_description=None)
    Image.new("RGB", (48, 32)).save(wrong, pnginfo=provenance.save_kwargs("PNG", record)["pnginfo"])
    for source, message in ((plain, "has no style-transfer record"), (damaged, "damaged style-transfer record"),
                            (wrong, "damaged style-transfer record")):
        argv = ["image", str(IMGS / "chelsea.jpg"), str(IMGS / "GreatWave.png"), "-o", str(tmp_path / "o.png"),
                "--settings-from", str(source), "--quiet"]
        assert main(argv) == 2
        assert message in _one_line_error(capsys)
    assert not (tmp_path / "o.png").exists()


def _pixels(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    folder = tmp_path_factory.mktemp("original")
    out = folder / "a.png"
    done = run_cli("image", IMGS / "chelsea.jpg", IMGS / "GreatWave.png", "-o", out, *ORIGINAL_FLAGS,
               "--save-settings", "--quiet")
    assert done.returncode == 0, done.stderr
    return out


def test_save_settings_writes_the_sidecar(original):
    sidecar = provenance.sidecar_path(original)
    assert sidecar.name == "a.png.json"
    record = json.loads(sidecar.read_text())
    assert record == provenance.read_record(original)
    assert record["argv"][:2] == ["style-transfer", "image"] and "--tv-weight" in record["argv"]
    assert record["settings"]["preset"] == "light" and record["settings"]["tv_weight"] == 3.0


def test_settings_from_reproduces_the_run(original):
    again = original.with_name("again.png")
    done = run_cli("image", IMGS / "chelsea.jpg", IMGS / "GreatWave.png", "-o", again, "--settings-from", original,
               "--quiet")
    assert done.returncode == 0, done.stderr
    # the pixels are the same bytes; the files differ only in the recorded command line
    assert _pixels(again).tobytes() == _pixels(original).tobytes()
    first, second = provenance.read_record(original), provenance.read_record(again)
    assert second["settings"] == first["settings"] and second["size"] == first["size"] == 48
    assert "--settings-from" in second["argv"]


@pytest.fixture(scope="module")
def override(original):
    """Through main() in this process: `original` and test_settings_from_reproduces_the_run are processes."""
    out = original.with_name("override.jpg")
    assert main(["image", str(IMGS / "chelsea.jpg"), str(IMGS / "GreatWave.png"), "-o", str(out),
                 "--settings-from", str(original), "--steps", "4", "--seed", "0", "--save-every", "2",
                 "--quiet"]) == 0
    return out


def test_explicit_flags_override_the_record(override):
    record = provenance.read_record(override)
    assert record["settings"]["steps"] == 4 and record["seed"] == 0          # given on the command line
    assert record["settings"]["tv_weight"] == 3.0 and record["settings"]["preset"] == "light"  # recorded
    assert record["size"] == 48


def test_save_every_writes_step_snapshots(override):
    size = Image.open(override).size
    for step in (2, 4):
        still = override.with_name(f"override.step{step:04d}.jpg")
        with Image.open(still) as img:
            img.load()
            assert img.size == size and img.format == "JPEG"
        assert provenance.read_record(still)["step"] == step
    assert sorted(p.name for p in override.parent.glob("override*")) == [
        "override.jpg", "override.step0002.jpg", "override.step0004.jpg"]
