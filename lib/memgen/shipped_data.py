"""Where the files the book ships (``data/``) are found, in a checkout and in an installed package.

In a clone of the repository (the book build, the tests, an editable install) the files are read
from
the repository's ``data/`` folder. ``pip install`` of the repository (the Colab install cell) puts
the
same files into the package ``memgen_data`` (see ``pyproject.toml``), so a chapter run in Colab
loads
the very checkpoints the book was built with. Files are checked against their ``SHA256SUMS`` by the
loaders that read them.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

REPO_DATA = Path(__file__).resolve().parents[2] / "data"


def data_dir() -> Path:
    """The folder that holds the shipped files: the repository's ``data/`` or the installed
    ``memgen_data`` package. Falls back to the repository path (which may not exist) when neither is
    there, so callers can test ``is_file()`` and explain what is missing."""
    if REPO_DATA.is_dir():
        return REPO_DATA
    # memgen_data is a namespace package (data/ has no __init__.py): ask for its search locations
    spec = importlib.util.find_spec("memgen_data")
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if Path(location).is_dir():
            return Path(location)
    return REPO_DATA


def data_path(*parts: str) -> Path:
    """``data_dir() / parts[0] / parts[1] / ...``, e.g. ``data_path("unets", "SHA256SUMS")``."""
    for part in parts:
        if (
            not isinstance(part, str)
            or not part
            or part.startswith("/")
            or ".." in Path(part).parts
        ):
            raise ValueError(f"parts must be relative path names inside data/, got {part!r}")
    return data_dir().joinpath(*parts)


class ChecksumError(ValueError):
    """A shipped file's sha256 differs from the one recorded for it (a corrupt or replaced file)."""


def sha256_file(path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_checksums(folder) -> dict:
    """``{file name: sha256}`` from ``folder/SHA256SUMS`` (the format ``sha256sum`` writes)."""
    path = Path(folder) / "SHA256SUMS"
    if not path.is_file():
        raise FileNotFoundError(
            f"no checksum manifest {path}: the shipped data are missing (see data/ in the README)"
        )
    sums = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip()] = digest
    return sums
