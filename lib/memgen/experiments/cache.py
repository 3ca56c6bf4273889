"""Experiment results cached in memory and, during the book build, on disk.

Every chapter's experiments are seeded functions of their arguments and of the library's code (and
the files under ``data/``). The scorecard appendix recomputes each claim with the same functions the
chapters call, in a kernel of its own; without a shared cache every experiment of the book would run
twice per build. :func:`experiment` is ``functools.lru_cache`` plus, when the environment variable
``MEMGEN_CACHE_DIR`` names a folder (``make book`` sets it to ``_build/.memgen_cache``), a pickle of
the result in that folder, keyed by the function, its arguments and a hash of the sources that
compute
results (the core and the experiments, :func:`hashed_files`) and every file under ``data/``. A
change of the library or of the data gives a new key,
so a stale result is never read back. Without the variable (Colab, Jupyter, the unit tests) only the
in-memory cache is used.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # lib/memgen
_DATA = _PACKAGE.parents[1] / "data"
ENV_VAR = "MEMGEN_CACHE_DIR"


def hashed_files() -> list[Path]:
    """What computes results, and so keys the cache: the science core (``memgen/*.py``), the
    experiments (``memgen/experiments/``) and the repository's ``data/`` files. Not the views, the
    Hub recipes or the book's tooling: a figure colour or a Sphinx change keeps every result."""
    files = sorted(_PACKAGE.glob("*.py")) + sorted((_PACKAGE / "experiments").rglob("*.py"))
    if _DATA.is_dir():
        files += sorted(p for p in _DATA.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


@functools.lru_cache(maxsize=None)
def code_hash() -> str:
    """sha256 over :func:`hashed_files` (their paths and bytes)."""
    h = hashlib.sha256()
    for path in hashed_files():
        h.update(str(path.relative_to(_PACKAGE.parents[1])).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path | None:
    """The on-disk cache folder named by ``MEMGEN_CACHE_DIR``, or None (no disk cache)."""
    folder = os.environ.get(ENV_VAR, "").strip()
    return Path(folder) if folder else None


def _key(fn, args, kwargs) -> str:
    text = repr((fn.__module__, fn.__qualname__, args, sorted(kwargs.items()), code_hash()))
    return f"{fn.__module__}.{fn.__qualname__}-{hashlib.sha256(text.encode()).hexdigest()[:20]}.pkl"


def experiment(fn):
    """Decorator: cache ``fn``'s result in memory, and on disk when :func:`cache_dir` is set.

    Arguments must be hashable with a stable ``repr`` (numbers, strings, tuples). A result that
    cannot be pickled is still cached in memory; an unreadable cache file is recomputed.
    """

    @functools.lru_cache(maxsize=None)
    @functools.wraps(fn)
    def cached(*args, **kwargs):
        folder = cache_dir()
        if folder is None:
            return fn(*args, **kwargs)
        path = folder / _key(fn, args, kwargs)
        if path.is_file():
            try:
                with path.open("rb") as f:
                    return pickle.load(f)
            except Exception:  # a truncated or incompatible file: recompute it
                pass
        result = fn(*args, **kwargs)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            with tmp.open("wb") as f:
                pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)  # atomic: a reader never sees half a file
        except Exception:
            pass
        return result

    return cached
