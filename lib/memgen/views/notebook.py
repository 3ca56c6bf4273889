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
