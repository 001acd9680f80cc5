"""`style-transfer image` end to end, and every bad input: exit 2, one line, no file left."""
import os
import signal
import struct
import subprocess
import zlib

import pytest
from PIL import Image

from paths import IMGS
from style_transfer.cli.main import run_command

CONTENT, STYLE = IMGS / "chelsea.jpg", IMGS / "GreatWave.png"


def test_image_end_to_end(cli, tmp_path):
    out, sbs, gif = tmp_path / "out.png", tmp_path / "sbs.jpg", tmp_path / "steps.gif"
    r = cli("image", CONTENT, STYLE, "-o", out, "--size", 96, "--steps", 3, "--side-by-side", sbs,
            "--progress-gif", gif, "--quiet")
    assert r.returncode == 0, r.stderr
    img = Image.open(out)
    assert img.mode == "RGB" and max(img.size) == 96 and img.size == (96, 64)
    assert Image.open(sbs).width > 3 * 96
    anim = Image.open(gif)
    assert anim.n_frames == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "sbs.jpg", "steps.gif"]


def test_until_loss_stops_early_cli(cli, tmp_path):
    out = tmp_path / "o.png"
    r = cli("image", CONTENT, STYLE, "-o", out, "--size", 64, "--steps", 30, "--until-loss", "1e12")
    assert r.returncode == 0, r.stderr
    assert "(1 steps," in r.stderr.splitlines()[-1]  # the first loss is already below 1e12
    assert out.exists()


def test_help_lists_flags(cli):
    r = cli("image", "--help")
    assert r.returncode == 0
    for flag in ("--steps", "--size", "--lr", "--style-weight", "--content-weight", "--seed",
                 "--ssd-weights", "--progress-gif", "--quiet", "--optimizer", "--scales", "--until-loss"):
        assert flag in r.stdout


def _png_claiming_size(path, width, height):
    """A tiny valid PNG whose header claims width × height (decompression-bomb probe)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) +
                     chunk(b"IEND", b""))


def _bad_inputs(tmp):
    (tmp / "dir").mkdir()
    (tmp / "text.png").write_text("not an image")
    full = tmp / "full.png"
    Image.effect_noise((200, 200), 50).convert("RGB").save(full)
    (tmp / "trunc.png").write_bytes(full.read_bytes()[:2000])
    Image.new("RGB", (31, 100)).save(tmp / "tiny.png")
    _png_claiming_size(tmp / "bomb.png", 20000, 20000)
    out = tmp / "out.png"
    return {
        "missing": (["image", tmp / "nope.jpg", STYLE, "-o", out], "no such file"),
        "directory": (["image", tmp / "dir", STYLE, "-o", out], "directory"),
        "unreadable": (["image", CONTENT, tmp / "text.png", "-o", out], "cannot read"),
        "truncated": (["image", tmp / "trunc.png", STYLE, "-o", out], "cannot read"),
        "too small": (["image", tmp / "tiny.png", STYLE, "-o", out], "too small"),
        "bomb": (["image", tmp / "bomb.png", STYLE, "-o", out], "too large"),
        "extension": (["image", CONTENT, STYLE, "-o", tmp / "out.xyz"], "extension"),
        "overwrite input": (["image", full, STYLE, "-o", full], "overwrite"),
        "steps zero": (["image", CONTENT, STYLE, "-o", out, "--steps", "0"], "positive"),
        "size negative": (["image", CONTENT, STYLE, "-o", out, "--size", "-5"], "positive"),
        "gif extension": (["image", CONTENT, STYLE, "-o", out, "--progress-gif", tmp / "p.png"], "extension"),
        "bad scales": (["image", CONTENT, STYLE, "-o", out, "--scales", "0.5,0.8"], "last scale"),
        "bad checkpoint": (["image", CONTENT, STYLE, "-o", out, "--ssd-weights", tmp / "none.weights.h5",
                            "--steps", "1", "--size", "64"], "not found"),
    }


@pytest.mark.parametrize("case", ["missing", "directory", "unreadable", "truncated", "too small", "bomb",
                                  "extension", "overwrite input", "steps zero", "size negative",
                                  "gif extension", "bad scales", "bad checkpoint"])
def test_bad_input_exit_2_no_file(cli, tmp_path, case):
    args, message = _bad_inputs(tmp_path)[case]
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    r = cli(*args)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert message in r.stderr.strip().splitlines()[-1]
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before  # nothing written or changed


def _ctrl_c_comes_out_wrapped(args):
    try:
        signal.raise_signal(signal.SIGINT)  # Ctrl-C while TensorFlow traces: it re-raises another type
    except KeyboardInterrupt as exc:
        raise SystemError("returned a result with an exception set") from exc


def _plain_bug(args):
    raise SystemError("a real bug")


def test_ctrl_c_wrapped_in_another_exception_is_an_interruption(capsys):
    before = signal.getsignal(signal.SIGINT)
    assert run_command(_ctrl_c_comes_out_wrapped, None) == 130
    assert capsys.readouterr().err.strip() == "style-transfer: interrupted"
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back
    with pytest.raises(SystemError, match="a real bug"):  # without Ctrl-C a bug stays a bug
        run_command(_plain_bug, None)


def test_ctrl_c_during_image_stylising_exits_130_without_output(cli_process, tmp_path):
    out = tmp_path / "o.png"
    proc = cli_process("image", CONTENT, STYLE, "-o", out, "--size", 64, "--steps", 100000, stderr=subprocess.PIPE)
    seen = b""
    while b"step/s" not in seen and proc.poll() is None:  # wait until steps are being taken
        seen += os.read(proc.stderr.fileno(), 4096)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    err = (seen + rest).decode()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "style-transfer: interrupted" and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
