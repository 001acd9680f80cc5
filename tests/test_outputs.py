"""Outputs and limits: every output checked before any work, written as one transaction, folders
made only when writing; sizes that cannot fit refused in one line; a missing file fails fast."""
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from paths import ROOT
from style_transfer.cli.main import main
from style_transfer.errors import UserInputError
from style_transfer.media.images import atomic_outputs, check_output_path


@pytest.fixture
def pics(tmp_path):
    content, style = tmp_path / "c.png", tmp_path / "s.png"
    Image.new("RGB", (64, 48), (200, 100, 50)).save(content)
    Image.new("RGB", (64, 64), (20, 40, 200)).save(style)
    return content, style


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("style-transfer: error:") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("bad", ["file_parent", "proc"])
def test_unwritable_output_is_refused_up_front(tmp_path, pics, capsys, bad):
    # a parent that is a file, or a pseudo file system, stands in for a read-only folder (tests run as root)
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "out.png" if bad == "file_parent" else "/proc/out.png"
    with pytest.raises(UserInputError, match="cannot write"):
        check_output_path(out)
    content, style = pics
    assert main(["image", str(content), str(style), "-o", str(out), "--steps", "1", "--quiet"]) == 2
    _one_line_error(capsys)


def test_unwritable_side_output_leaves_existing_output_untouched(tmp_path, pics, capsys):
    content, style = pics
    out = tmp_path / "out.png"
    out.write_bytes(b"previous result")
    assert main(["image", str(content), str(style), "-o", str(out), "--side-by-side", "/proc/s.png",
                 "--steps", "1", "--quiet"]) == 2
    _one_line_error(capsys)
    assert out.read_bytes() == b"previous result"


def test_atomic_outputs_all_or_nothing(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "new" / "deeper" / "b.png"
    a.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_outputs([a, b]) as files:
            files[a].write_bytes(b"new a")
            raise RuntimeError("the second output failed")
    assert a.read_bytes() == b"old" and not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
    with atomic_outputs([a, b]) as files:
        files[a].write_bytes(b"new a")
        files[b].write_bytes(b"new b")
    assert a.read_bytes() == b"new a" and b.read_bytes() == b"new b"
    assert sorted(p.name for p in b.parent.iterdir()) == ["b.png"]


def test_atomic_outputs_maps_os_errors(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UserInputError, match="afile"):
        with atomic_outputs([tmp_path / "ok.png", tmp_path / "afile" / "sub" / "o.png"]):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_api_writes_every_output_or_none(tmp_path, pics, monkeypatch):
    import style_transfer.nst.engine as engine
    from style_transfer.api import stylize_images

    image = np.full((48, 64, 3), 128, np.float32)
    fake = SimpleNamespace(image=image, shown_styles=[image], steps=1, history=[], seconds=0.0, config=None)
    monkeypatch.setattr(engine, "stylize", lambda *a, **k: fake)
    out, side = tmp_path / "out.png", tmp_path / "new" / "side.png"
    out.write_bytes(b"previous result")
    broken = tmp_path / "plot.png"

    def failing_plot(history, path, config):
        raise RuntimeError("plot failed")

    import style_transfer.figures.layout as layout
    monkeypatch.setattr(layout, "plot_losses", failing_plot)
    with pytest.raises(RuntimeError):
        stylize_images(pics[0], pics[1], network=object(), progress=False, output=out,
                       side_by_side_path=side, loss_plot=broken)
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "out.png", "s.png"]
    monkeypatch.undo()
    monkeypatch.setattr(engine, "stylize", lambda *a, **k: fake)
    stylize_images(pics[0], pics[1], network=object(), progress=False, output=out, side_by_side_path=side)
    assert Image.open(out).size == (64, 48) and side.is_file()


def test_failed_run_leaves_no_new_folder(tmp_path, pics, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["image", "missing.png", str(pics[1]), "-o", "new/deeper/out.png", "--quiet"]) == 2
    _one_line_error(capsys)
    assert not (tmp_path / "new").exists()
    assert main(["concat", str(pics[0]), "missing.png", "-o", "new/deeper/m.png", "--quiet"]) == 2
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("argv", [
    ["image", "{c}", "{s}", "-o", "{t}/o.png", "--size", "100000"],
    ["video", "{s}", "{s}", "-o", "{t}/o.gif", "--resize", "100000x100000"],
    ["concat", "{c}", "{s}", "-o", "{t}/m.png", "--gutter", "1000000"],
    ["concat", "{c}", "{s}", "{c}", "{s}", "-o", "{t}/m.png", "--cols", "100000000"],
])
def test_sizes_that_cannot_fit_are_refused(tmp_path, pics, capsys, argv):
    names = {"c": pics[0], "s": pics[1], "t": tmp_path}
    assert main([a.format(**names) for a in argv] + ["--quiet"]) == 2
    err = _one_line_error(capsys)
    assert "memory" in err and "available" in err and "GiB" in err


def test_memory_error_is_one_line(capsys):
    from style_transfer.cli.main import run_command

    def exhausted(args):
        raise MemoryError

    assert run_command(exhausted, None) == 1
    _one_line_error(capsys)


@pytest.mark.parametrize("command", [["video", "missing.mp4", "s.png", "-o", "o.gif"],
                                     ["detect", "missing.png", "-o", "o.png"]])
def test_missing_input_fails_fast_without_tensorflow(tmp_path, command):
    Image.new("RGB", (64, 64)).save(tmp_path / "s.png")
    code = ("import sys\nfrom style_transfer.cli.main import main\n"
            f"rc = main({command!r})\nprint(rc, 'tensorflow' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.stdout.split() == ["2", "False"], proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "missing" in proc.stderr
