"""The student build of the book: the same site with every exercise's solution removed.

``make student`` writes the configuration below to ``_build/student.yml`` and builds the book with
it
into ``_build/student/_build/html``. The configuration is ``_config.yml`` with four changes:

- ``hide_solutions: true`` (sphinx-exercise drops every ``{solution}`` block from the output);
- ``memgen_student_edition: true``: :mod:`memgen_book.sphinxext` then points every chapter's Colab
  button at its *student notebook* and, when the build finishes, replaces the page sources the
  site serves (``_sources/<page>.md``, the download button's ``.md``) by the sources with the
  solutions removed (:func:`strip_solutions`) and the notebooks (``_sources/<page>.ipynb``, the
  download button's ``.ipynb``) by the student notebooks;
- the execution cache of the full build (``_build/.jupyter_cache``) is reused, so chapters are not
  executed again when the full build is up to date;
- a banner at the top of every page says that this is the student edition.

The student notebooks, ``student/<chapter>.ipynb`` (for example
``student/chapters/ch01_denoising.ipynb``), are the Colab copies with every solution removed. They
are generated and committed like the Colab copies (``make notebooks``, :mod:`memgen_book.colab`),
and ``make book`` fails when they are stale.

Command line::

    python -m memgen_book.student [ROOT]   # writes ROOT/_build/student.yml and prints its path
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import yaml

__all__ = [
    "BANNER",
    "STUDENT_DIR",
    "STUDENT_HTML",
    "solution_blocks",
    "strip_solutions",
    "student_config",
    "student_notebook_path",
    "write_student_config",
]

BANNER = "Student edition: the solutions to the exercises are not included."
#: Where ``make student`` puts the student site, relative to the book's root.
STUDENT_HTML = Path("_build/student/_build/html")
#: Folder of the student notebooks, relative to the book's root (it mirrors the chapters' paths).
STUDENT_DIR = Path("student")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<name>[\w-]+)\}")


def solution_blocks(text: str) -> list[tuple[int, int]]:
    """``(first line, line after the last)`` of every solution in a MyST source (0-based lines).

    A solution is a ``{solution}`` directive (its fence of backticks, tildes or colons, closed by
    the
    same fence, however many fences it nests), or a gated ``{solution-start}`` ...
    ``{solution-end}``
    pair with everything between them, code cells included.
    """
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m and m.group("name") in ("solution", "solution-start"):
            end = _closing(lines, i, m.group("fence"))
            if m.group("name") == "solution-start":
                j = end
                while j < len(lines):
                    mm = _FENCE.match(lines[j])
                    if mm and mm.group("name") == "solution-end":
                        end = _closing(lines, j, mm.group("fence"))
                        break
                    j += 1
                else:
                    raise ValueError(f"line {i + 1}: solution-start without solution-end")
            blocks.append((i, end))
            i = end
        else:
            i += 1
    return blocks


def _closing(lines: list[str], start: int, fence: str) -> int:
    """The line after the fence that closes the directive opened on line ``start``."""
    char, n = fence[0], len(fence)
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped and set(stripped) == {char} and len(stripped) >= n:
            return j + 1
    raise ValueError(f"line {start + 1}: the {fence} directive is never closed")


def strip_solutions(text: str) -> str:
    """A MyST source with every solution (see :func:`solution_blocks`) removed; the blank line
    after a removed block goes with it, so no run of blank lines is left. Nothing else changes."""
    lines = text.splitlines(keepends=True)
    drop = set()
    for a, b in solution_blocks(text):
        drop.update(range(a, b))
        if a > 0 and not lines[a - 1].strip() and b < len(lines) and not lines[b].strip():
            drop.add(b)
    return "".join(ln for i, ln in enumerate(lines) if i not in drop)


def student_notebook_path(docname: str) -> Path:
    """Where the student notebook of a chapter lives, relative to the book's root."""
    return STUDENT_DIR / f"{docname}.ipynb"


def student_config(root: Path | str = ".") -> dict:
    """``_config.yml`` of the book at ``root`` with solutions hidden and the execution cache
    shared."""
    root = Path(root).resolve()
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    config = copy.deepcopy(config)
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["hide_solutions"] = True
    sphinx_config["memgen_student_edition"] = True
    config.setdefault("execute", {})["cache"] = str(root / "_build" / ".jupyter_cache")
    config.setdefault("html", {})["announcement"] = BANNER
    config["title"] = f"{config.get('title', 'The book')} (student edition)"
    return config


def write_student_config(root: Path | str = ".") -> Path:
    root = Path(root)
    path = root / "_build" / "student.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Generated by python -m memgen_book.student from _config.yml (make student); "
        "do not edit.\n"
    )
    path.write_text(
        text + yaml.safe_dump(student_config(root), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


if __name__ == "__main__":
    print(write_student_config(sys.argv[1] if len(sys.argv) > 1 else "."))
