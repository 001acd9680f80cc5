"""Neural style transfer through the frozen VGG16 backbone of an SSD300 detector.

Quick use:
    from style_transfer import stylize_images
    result = stylize_images("imgs/chelsea.jpg", "imgs/GreatWave.png", size=320, output="out.png")

Heavy modules (TensorFlow) load on first use of these names.
"""
import importlib
import importlib.abc
import importlib.util
import sys
from pathlib import Path

_LAZY = {
    "stylize_images": "style_transfer.api",
    "StyleConfig": "style_transfer.nst.config",
    "make_config": "style_transfer.nst.config",
    "StyleResult": "style_transfer.nst.engine",
    "stylize": "style_transfer.nst.engine",
    "default_network": "style_transfer.nst.network",
    "build_feature_extractor": "style_transfer.nst.network",
    "FeatureExtractor": "style_transfer.nst.network",
}
__all__ = list(_LAZY)

DISTRIBUTION = "ssd-style-transfer"
_HERE = Path(__file__).resolve().parent


def models_dir() -> Path:
    """The folder holding the SSD300/VGG16 networks.

    An installed wheel ships them inside this package as `_models` (a generic top-level `models`
    in site-packages would clash with other projects); a source checkout, run directly or
    installed editable, keeps them in the repository's top-level models/ folder.
    """
    installed = _HERE / "_models"
    return installed if (installed / "__init__.py").is_file() else _HERE.parent / "models"


class _ModelsFinder(importlib.abc.MetaPathFinder):
    """Resolve `style_transfer._models`, the one name the code imports the networks by, to the
    repository's models/ folder when running from a source checkout (an installed wheel has the real
    sub-package). No top-level name is claimed, so a user's own `models` package is untouched.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "style_transfer._models":
            return None
        init = models_dir() / "__init__.py"
        if not init.is_file() or init.parent == _HERE / "_models":
            return None
        return importlib.util.spec_from_file_location(
            fullname, init, submodule_search_locations=[str(init.parent)])


if not any(isinstance(f, _ModelsFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _ModelsFinder())


def _version() -> str:
    """The pyproject.toml version in a source checkout, else the installed distribution's.

    The checkout comes first: an editable install's metadata keeps the version it was installed
    with, and a worktree may sit beside an install of another checkout.
    """
    pyproject = _HERE.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            project = {}
        if project.get("name") == DISTRIBUTION and project.get("version"):
            return project["version"]
    import importlib.metadata

    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def __getattr__(name):
    if name == "__version__":
        return _version()
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'style_transfer' has no attribute {name!r}")
