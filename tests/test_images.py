"""Image loading: modes, EXIF rotation, limits, atomic saving."""
import numpy as np
import pytest
from PIL import Image

from style_transfer.errors import UserInputError
from style_transfer.media.images import atomic_output, check_output_path, load_image, resize_longest, save_image


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16", "1", "I", "F"])
def test_non_rgb_modes_become_rgb(tmp_path, mode):
    base = Image.new("RGB", (40, 36), (200, 100, 50))
    if mode == "I;16":
        img = Image.fromarray(np.full((36, 40), 40000, np.uint16))
        ext = ".png"
    elif mode in ("I", "F"):
        img = base.convert(mode)
        ext = ".tif"
    else:
        img = base.convert(mode)
        ext = ".tif" if mode == "CMYK" else ".png"
    path = tmp_path / f"x{ext}"
    img.save(path)
    out = load_image(path)
    assert out.mode == "RGB" and out.size == (40, 36)
    if mode == "I;16":
        assert abs(int(np.asarray(out)[0, 0, 0]) - round(40000 / 65535 * 255)) <= 1


def test_transparent_pixels_on_white(tmp_path):
    img = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    img.save(tmp_path / "t.png")
    assert np.asarray(load_image(tmp_path / "t.png"))[0, 0].tolist() == [255, 255, 255]


def test_exif_rotation_applied(tmp_path):
    img = Image.new("RGB", (60, 40), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    img.save(tmp_path / "r.jpg", exif=exif)
    assert load_image(tmp_path / "r.jpg").size == (40, 60)


def test_resize_longest_keeps_aspect():
    img = Image.new("RGB", (400, 100))
    assert resize_longest(img, 200).size == (200, 50)
    assert resize_longest(Image.new("RGB", (100, 400)), 120).size == (30, 120)


def test_bad_paths(tmp_path):
    with pytest.raises(UserInputError, match="no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(UserInputError, match="directory"):
        load_image(tmp_path)
    (tmp_path / "text.jpg").write_text("hello")
    with pytest.raises(UserInputError, match="cannot read"):
        load_image(tmp_path / "text.jpg")
    Image.new("RGB", (20, 50)).save(tmp_path / "small.png")
    with pytest.raises(UserInputError, match="too small"):
        load_image(tmp_path / "small.png")


def test_output_checks(tmp_path):
    src = tmp_path / "a.png"
    Image.new("RGB", (40, 40)).save(src)
    with pytest.raises(UserInputError, match="extension"):
        check_output_path(tmp_path / "out.xyz")
    with pytest.raises(UserInputError, match="overwrite"):
        check_output_path(src, [src])
    # A new folder is accepted; it is made when the output is written, not by the check
    # (a run that fails before writing leaves no folder behind).
    out = check_output_path(tmp_path / "new" / "o.jpg", [src])
    assert not out.parent.exists()
    save_image(np.zeros((40, 40, 3), np.uint8), out)
    assert out.parent.is_dir()


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "o.png"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    save_image(np.zeros((40, 50, 3), np.uint8), target)
    assert Image.open(target).size == (50, 40) and len(list(tmp_path.iterdir())) == 1



def _dds_with_unknown_pixel_format(path):
    import io

    buf = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buf, format="DDS")
    data = bytearray(buf.getvalue())
    data[80:84] = (4).to_bytes(4, "little")  # DDPF_FOURCC …
    data[84:88] = b"ZZZZ"  # … of a pixel format Pillow's DDS plugin raises NotImplementedError for
    path.write_bytes(bytes(data))


def test_only_supported_formats_are_opened(tmp_path):
    # Pillow sniffs the format from the bytes, whatever the extension: a DDS named .png
    path = tmp_path / "mutated.png"
    _dds_with_unknown_pixel_format(path)
    with pytest.raises(UserInputError, match="cannot read image"):
        load_image(path)


def test_float_tiff_in_unit_range_keeps_its_brightness(tmp_path):
    arr = np.linspace(0.0, 1.0, 40 * 36, dtype=np.float32).reshape(36, 40)
    Image.fromarray(arr, "F").save(tmp_path / "f.tif")
    out = np.asarray(load_image(tmp_path / "f.tif"))[..., 0]
    assert out.min() == 0 and out.max() == 255
    assert abs(int(out[18, 20]) - round(float(arr[18, 20]) * 255)) <= 1


def test_twelve_bit_tiff_spans_the_8_bit_range(tmp_path):
    arr = np.linspace(0, 4095, 40 * 36).astype(np.uint16).reshape(36, 40)
    Image.fromarray(arr).save(tmp_path / "twelve.tif")
    out = np.asarray(load_image(tmp_path / "twelve.tif"))[..., 0]
    assert out.max() == 255 and abs(int(out[18, 20]) - round(int(arr[18, 20]) / 4095 * 255)) <= 1


def test_decompression_bomb_warning_is_an_error(tmp_path, monkeypatch):
    Image.new("RGB", (40, 40)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1600 px: between 1× and 2× the limit
    with pytest.raises(UserInputError, match="too large"):
        load_image(tmp_path / "big.png")
