"""The example notebook is stored executed, with its figures, and runs top to bottom (tiny sizes, few steps)."""
import sys

import nbformat
import pytest

from paths import ROOT
from style_transfer.cli.main import NATIVE_LOG_LINE

NOTEBOOK = ROOT / "notebooks" / "style_transfer_examples.ipynb"


def test_notebook_is_stored_executed_and_up_to_date():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # run in order, top to bottom
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = [line for o in outputs if o.output_type == "stream" for line in o.text.splitlines()]
    assert not [line for line in stderr if NATIVE_LOG_LINE.match(line.encode()) or "IProgress" in line]
    shown = {kind for o in outputs for kind in o.get("data", {}) if kind.startswith("image/")}
    assert {"image/png", "image/gif"} <= shown  # figures, the progress animation and the clip are visible
    assert sum("image/gif" in o.get("data", {}) for o in outputs) >= 2
    assert NOTEBOOK.stat().st_size < 6 * 2**20  # small enough to read where it is hosted
    assert "parameters" in code[0].metadata.get("tags", [])
    sys.path.insert(0, str(NOTEBOOK.parent))
    try:
        import build_notebook
    finally:
        sys.path.pop(0)
    assert [c.source for c in build_notebook.build().cells] == [c.source for c in nb.cells]


def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    out = tmp_path / "out"
    monkeypatch.setenv("ST_NB_SIZE", "64")
    monkeypatch.setenv("ST_NB_STEPS", "3")
    monkeypatch.setenv("ST_NB_OUT", str(out))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("STYLE_TRANSFER_CACHE", str(tmp_path / "cache"))  # nothing written to the user cache
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    for name in ("chelsea_greatwave.jpg", "progress.gif", "losses.png", "grid.jpg", "clip.gif", "backbones.png"):
        assert (out / name).stat().st_size > 0, name
    images_shown = sum("image/png" in o.get("data", {}) or "image/gif" in o.get("data", {})
                       for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images_shown >= 6
