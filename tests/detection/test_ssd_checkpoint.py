"""The one checkpoint format: a malformed JSON sidecar is one clear error through every loader."""
import pytest

from style_transfer._models.checkpoint import CheckpointError, load_checkpoint, read_metadata
from style_transfer.cli.main import main
from style_transfer.errors import UserInputError
from style_transfer.nst.network import build_feature_extractor

MALFORMED = [
    (b"{not json", "Expecting property name"),
    (b"\xff\xfe garbage", "codec can't decode"),
    (b"[1, 2, 3]", "expected a JSON object, found list"),
    (b'"Tree"', "expected a JSON object, found str"),
    (b'{"classes": "Tree"}', "'classes' must be a non-empty list"),
    (b'{"classes": [1, 2]}', "'classes' must be a non-empty list"),
    (b'{"classes": []}', "'classes' must be a non-empty list"),
    (b'{"classes": ["Tree", "Tree"]}', "lists a class twice"),
    (b'{"classes": ["Tree"], "preprocessing": {"bgr": true}}', "'preprocessing' has no 'mean'"),
    (b'{"classes": ["Tree"], "preprocessing": [1, 2, 3]}', "'preprocessing' must be an object"),
    (b'{"preprocessing": {"bgr": "yes", "mean": [1, 2, 3]}}', "'bgr' must be true or false"),
    (b'{"preprocessing": {"bgr": true, "mean": ["a", "b", "c"]}}', "'mean' must be a list of 3 finite"),
    (b'{"preprocessing": {"bgr": true, "mean": [1, 2]}}', "'mean' must be a list of 3 finite"),
    (b'{"preprocessing": {"bgr": true, "mean": 5}}', "'mean' must be a list of 3 finite"),
    (b'{"preprocessing": {"bgr": true, "mean": [1, 2, 3], "scale": "big"}}', "'scale' must be"),
    (b'{"preprocessing": {"bgr": true, "mean": [1, 2, 3], "scale": 0}}', "'scale' must be"),
    (b'{"epoch": "one"}', "'epoch' must be a non-negative integer"),
    (b'{"optimizer": "sgd"}', "'optimizer' must be an object"),
]


@pytest.fixture
def broken(tmp_path):
    """A checkpoint path whose weights file exists: the sidecar is checked before the weights are read."""
    path = tmp_path / "broken.weights.h5"
    path.write_bytes(b"weights")

    def write(sidecar: bytes):
        (tmp_path / "broken.json").write_bytes(sidecar)
        return path
    return write


@pytest.mark.parametrize("sidecar, message", MALFORMED)
def test_malformed_sidecar_in_every_loader(broken, capsys, tmp_path, sidecar, message):
    path = broken(sidecar)
    with pytest.raises(CheckpointError, match="malformed checkpoint metadata") as err:
        read_metadata(path)
    assert message in str(err.value) and "broken.json" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(CheckpointError, match="malformed checkpoint metadata"):
        load_checkpoint(path)
    # the loader behind `image`/`grid`/… (build_feature_extractor(ssd_weights=…))
    with pytest.raises(UserInputError, match="malformed checkpoint metadata") as err:
        build_feature_extractor(ssd_weights=path)
    assert message in str(err.value)
    # and the detect command
    out = tmp_path / "d.jpg"
    code = main(["detect", "imgs/chelsea.jpg", "-o", str(out), "--ssd-weights", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("style-transfer: error: malformed checkpoint metadata") and message in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_checkpoint_error_raised_directly_is_exit_2(capsys):
    from style_transfer.cli.main import run_command

    def command(args):
        raise CheckpointError("bad checkpoint x.weights.h5")

    assert run_command(command, None) == 2
    assert capsys.readouterr().err == "style-transfer: error: bad checkpoint x.weights.h5\n"
