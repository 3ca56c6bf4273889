"""Small helpers for chapters that run both in the book build and in Colab/Jupyter."""

from __future__ import annotations

from typing import Any


def glue(name: str, value: Any, *, display: bool = False) -> None:
    """Glue ``value`` under ``name`` for the book's prose (myst-nb), or print it elsewhere.

    In the book build the prose refers to the value with ``{glue:text}`name:.3f```, so every number
    in the text comes from the cell that computed it. Outside the build (Colab, plain Jupyter,
    where myst-nb may be absent) the value is printed instead, so a reader still sees it.
    Returns None, so a glue call that ends a cell adds no output of its own.
    """
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab or a bare kernel: show the number instead
        print(f"{name} = {value}")
        return None
    _glue(name, value, display=display)


def glue_all(prefix: str, source: Any, keys=None) -> None:
    """Glue several values in one call: ``source[key]`` (a dict) or ``source.key`` (a settings
    record) under the name ``f"{prefix}_{key}"``, for each of ``keys`` (default: every key of a
    dict). The chapters' bookkeeping cells use it, so that a visible cell shows the computation
    and not a column of ``glue`` calls."""
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"prefix must be a non-empty string, got {prefix!r}")
    if keys is None:
        if not isinstance(source, dict):
            raise ValueError("keys must be given when source is not a dict")
        keys = list(source)
    for key in keys:
        value = source[key] if isinstance(source, dict) else getattr(source, key)
        glue(f"{prefix}_{key}", value)
