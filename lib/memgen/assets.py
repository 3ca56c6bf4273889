"""Where the files the book ships (``data/``) are found, in a checkout and in an installed package.

In a clone of the repository (the book build, the tests, an editable install) the files are read from
the repository's ``data/`` folder. ``pip install`` of the repository (the Colab install cell) puts the
same files into the package ``memgen_data`` (see ``pyproject.toml``), so a chapter run in Colab loads
the very checkpoints the book was built with. Files are checked against their ``SHA256SUMS`` by the
loaders that read them.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

REPO_DATA = Path(__file__).resolve().parents[2] / "data"


def data_dir() -> Path:
    """The folder that holds the shipped files: the repository's ``data/`` or the installed
    ``memgen_data`` package. Falls back to the repository path (which may not exist) when neither is
    there, so callers can test ``is_file()`` and explain what is missing."""
    if REPO_DATA.is_dir():
        return REPO_DATA
    try:
        installed = Path(str(importlib.resources.files("memgen_data")))
    except ModuleNotFoundError:
        return REPO_DATA
    return installed if installed.is_dir() else REPO_DATA


def data_path(*parts: str) -> Path:
    """``data_dir() / parts[0] / parts[1] / ...``, e.g. ``data_path("unets", "SHA256SUMS")``."""
    for part in parts:
        if not isinstance(part, str) or not part or part.startswith("/") or ".." in Path(part).parts:
            raise ValueError(f"parts must be relative path names inside data/, got {part!r}")
    return data_dir().joinpath(*parts)
