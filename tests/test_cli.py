"""`style-transfer image` end to end, and every bad input: exit 2, one line, no file left."""
import signal
import struct
import subprocess
import tomllib
import zlib

import numpy as np
import pytest
from PIL import Image

from cli_run import assert_one_error_line, assert_stylised, cli_command, read_stderr_until, run_main
from paths import IMGS, ROOT
from style_transfer.cli.main import NATIVE_LOG_LINE, main, run_command
from style_transfer.media.images import load_array

CONTENT, STYLE = IMGS / "chelsea.jpg", IMGS / "GreatWave.png"


# The successful runs here call main() in this process; the image command runs as a real process in the
# signal, --quiet, --verbose and bad-input tests below.
def test_image_end_to_end(capsys, tmp_path):
    out, sbs, gif = tmp_path / "out.png", tmp_path / "sbs.jpg", tmp_path / "steps.gif"
    code, _, err = run_main(capsys, "image", CONTENT, STYLE, "-o", out, "--size", 96, "--steps", 3,
                            "--side-by-side", sbs, "--progress-gif", gif, "--quiet")
    assert code == 0, err
    img = Image.open(out)
    assert img.mode == "RGB" and max(img.size) == 96 and img.size == (96, 64)
    assert Image.open(sbs).width > 3 * 96
    anim = Image.open(gif)
    assert anim.n_frames == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "sbs.jpg", "steps.gif"]


def test_until_loss_stops_early_cli(capsys, tmp_path):
    out = tmp_path / "o.png"
    code, _, err = run_main(capsys, "image", CONTENT, STYLE, "-o", out, "--size", 64, "--steps", 30,
                            "--until-loss", "1e12", "--init", "content")
    assert code == 0, err
    assert "(1 steps," in err.splitlines()[-1]  # the first loss is already below 1e12
    # that loss is the start image's, so the start image (the content at --size) is what is written
    np.testing.assert_array_equal(np.asarray(Image.open(out), np.float32), load_array(CONTENT, 64))


def test_help_lists_flags(capsys):
    code, out, _ = run_main(capsys, "image", "--help")
    assert code == 0
    for flag in ("--steps", "--size", "--lr", "--style-weight", "--content-weight", "--seed",
                 "--ssd-weights", "--progress-gif", "--quiet", "--optimizer", "--scales", "--until-loss"):
        assert flag in out


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


def _check_bad_input(tmp_path, case, run):
    """`run(args)` → (status, stderr): exit 2, the whole of stderr one error line, no file touched."""
    args, message = _bad_inputs(tmp_path)[case]
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    code, err = run(args)
    assert code == 2, err
    assert_one_error_line(err, message)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before  # nothing written or changed


# In-process: the same code path as the command line without starting Python and TensorFlow again;
# test_bad_input_from_the_command_line covers the real process once.
@pytest.mark.parametrize("case", ["missing", "directory", "unreadable", "truncated", "too small", "bomb",
                                  "extension", "overwrite input", "steps zero", "size negative",
                                  "gif extension", "bad scales", "bad checkpoint"])
def test_bad_input_exit_2_no_file(capsys, tmp_path, case):
    _check_bad_input(tmp_path, case, lambda args: run_main(capsys, *args)[::2])


def test_bad_input_from_the_command_line(cli, tmp_path):
    def run(args):
        r = cli(*args)
        assert r.stdout == ""
        return r.returncode, r.stderr

    _check_bad_input(tmp_path, "bomb", run)


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
    # Wait for the first finished step (the bar's count reaches 1): a signal while the progress bar is
    # still being set up or the step function is first traced can leave the bar's line unfinished or
    # print TensorFlow's traceback.
    seen = read_stderr_until(proc, b" 1/100000 ")
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    err = (seen + rest).decode()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "style-transfer: interrupted" and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


ARGUMENT_ERRORS = {
    "missing required": (["image", CONTENT, STYLE], "style-transfer image",
                         "the following arguments are required: -o/--output"),
    "bad choice": (["image", CONTENT, STYLE, "-o", "x.png", "--optimizer", "sgd"], "style-transfer image",
                   "argument --optimizer: invalid choice: 'sgd'"),
    "bad type": (["train-ssd", "--voc-root", "v", "-o", "x.weights.h5", "--epochs", "ten"],
                 "style-transfer train-ssd", "argument --epochs"),
    "bad float": (["image", CONTENT, STYLE, "-o", "x.png", "--until-loss", "low"], "style-transfer image",
                  "argument --until-loss: 'low' is not a number"),
    "unknown option": (["image", CONTENT, STYLE, "-o", "x.png", "--colour"], "style-transfer",
                       "unrecognized arguments: --colour"),
    "unknown command": (["stylise"], "style-transfer", "argument COMMAND: invalid choice: 'stylise'"),
    "no command": ([], "style-transfer", "the following arguments are required: COMMAND"),
}


@pytest.mark.parametrize("case", list(ARGUMENT_ERRORS))
def test_argument_error_is_one_line_pointing_to_help(capsys, case):
    argv, prog, message = ARGUMENT_ERRORS[case]
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"{prog}: error: ") and message in err, err
    assert err.endswith(f" (see '{prog} --help')\n"), err


def test_argument_error_from_the_command_line_is_one_line(cli):
    r = cli("grid", "--content", CONTENT, "-o", "x.jpg")
    assert r.returncode == 2
    assert r.stderr == ("style-transfer grid: error: the following arguments are required: --styles "
                        "(see 'style-transfer grid --help')\n")
    assert r.stdout == ""


def test_version_is_the_project_version(capsys):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"style-transfer {version}\n"


@pytest.mark.parametrize("command", ["image", "grid", "concat", "compare-backbones", "video", "flicker",
                                     "train-ssd", "detect", "evaluate-ssd"])
def test_every_command_help_ends_with_examples(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    examples = capsys.readouterr().out.split("\nexamples:\n")[1]
    assert examples.startswith(f"  style-transfer {command} ")


def _run_without_log_level(*args):
    """Run the CLI as a user would: no TF_CPP_MIN_LOG_LEVEL set beforehand."""
    argv, env = cli_command(*args)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_quiet_run_prints_nothing_on_stderr(tmp_path):
    out = tmp_path / "x.png"
    r = _run_without_log_level("image", CONTENT, STYLE, "-o", out, "--size", 48, "--steps", 2, "--quiet")
    assert r.returncode == 0 and r.stderr == "" and r.stdout == ""
    assert_stylised(out, CONTENT, 48)


def test_verbose_lets_tensorflow_log_lines_through(tmp_path):
    r = _run_without_log_level("--verbose", "image", CONTENT, STYLE, "-o", tmp_path / "x.png", "--size", 48,
                               "--steps", 1, "--quiet")
    assert r.returncode == 0, r.stderr
    assert any(NATIVE_LOG_LINE.match(line.encode()) for line in r.stderr.splitlines()), r.stderr


def test_sigterm_while_stylising_exits_143_without_output(cli_process, tmp_path):
    out = tmp_path / "o.png"
    proc = cli_process("image", CONTENT, STYLE, "-o", out, "--size", 64, "--steps", 100000,
                       "--progress-gif", tmp_path / "p.gif", stderr=subprocess.PIPE)
    # Wait for the first finished step (the bar's count reaches 1): a signal while the progress bar is
    # still being set up or the step function is first traced can leave the bar's line unfinished or
    # print TensorFlow's traceback.
    seen = read_stderr_until(proc, b" 1/100000 ")
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=120)
    err = (seen + rest).decode()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "style-transfer: terminated" and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_sigterm_while_a_video_is_being_written_leaves_no_temp_file(cli_process, tmp_path):
    from style_transfer.video.clips import pan_frames, write_clip

    (tmp_path / "in").mkdir()
    clip = write_clip(pan_frames(CONTENT, (64, 48), 4, dx=2), tmp_path / "in" / "clip.gif", fps=8)
    out = tmp_path / "out" / "styled.gif"
    out.parent.mkdir()
    proc = cli_process("video", clip, STYLE, "-o", out, "--first-frame-steps", 1, "--steps-per-frame", 100000,
                       stderr=subprocess.PIPE)
    seen = read_stderr_until(proc, b" 1/4 [")  # the first frame is written; the second is being stylised
    assert list(out.parent.glob(".styled.*")), "the video is written to a temp file beside the output"
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=120)
    err = (seen + rest).decode()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "style-transfer: terminated" and "Traceback" not in err
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("value, message", [("nan", "must be finite"), ("inf", "must be finite"),
                                            ("-1", "must not be negative")])
def test_until_loss_must_be_a_finite_non_negative_number(capsys, tmp_path, value, message):
    out = tmp_path / "o.png"
    code, _, err = run_main(capsys, "image", CONTENT, STYLE, "-o", out, "--until-loss", value)
    assert code == 2
    assert_one_error_line(err, f"--until-loss: {message}")
    assert not out.exists()
