"""What the course materials need to know about the chapters, read from their MyST sources.

:func:`chapters` lists the chapters of ``_toc.yml`` (pages whose file name starts with ``ch``) with
their number, title, estimated time and exercises. The course guide's chapter table (the
``{chapter-table}`` directive of :mod:`memgen_book.sphinxext`) and the convention tests use it, so
both
follow the table of contents: a chapter added there appears in the course guide by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .colab import CHAPTER_PREFIX, toc_docnames

__all__ = ["Exercise", "Chapter", "directives", "chapters"]

_FENCE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<arg>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def directives(text: str) -> list[dict]:
    """Top-level MyST directives of ``text`` in order, as dicts: name, arg, options, body, start."""
    out = []
    for m in _FENCE.finditer(text):
        body = m.group("body")
        options = dict(re.findall(r"^:([\w-]+):[ \t]*(.*)$", body, re.MULTILINE))
        out.append(
            {
                "name": m.group("name"),
                "arg": m.group("arg").strip(),
                "options": options,
                "body": body,
                "start": m.start(),
            }
        )
    return out


@dataclass(frozen=True)
class Exercise:
    label: str
    title: str


@dataclass(frozen=True)
class Chapter:
    number: int
    docname: str
    path: Path
    title: str
    label: str
    estimated_time: str
    exercises: list[Exercise] = field(default_factory=list)


def chapters(root: Path | str = ".") -> list[Chapter]:
    """The chapters listed in ``_toc.yml``, in book order (pages named ``ch*`` with a MyST
    source)."""
    root = Path(root)
    out = []
    for doc in toc_docnames(root):
        path = root / f"{doc}.md"
        if not (Path(doc).name.startswith(CHAPTER_PREFIX) and path.is_file()):
            continue
        text = path.read_text(encoding="utf-8")
        head = re.search(
            r"^\((?P<label>ch(?P<n>\d+))\)=\n# (?P=n)\. (?P<title>.+)$", text, re.MULTILINE
        )
        if head is None:
            raise ValueError(f"{path}: a chapter starts with '(chN)=' and '# N. Title'")
        time = re.search(r"\*\*Estimated time:\*\*\s*(.+?)\.?\s*$", text, re.MULTILINE)
        exercises = [
            Exercise(label=d["options"].get("label", ""), title=d["arg"])
            for d in directives(text)
            if d["name"] == "exercise"
        ]
        out.append(
            Chapter(
                number=int(head.group("n")),
                docname=doc,
                path=path,
                title=head.group("title").strip(),
                label=head.group("label"),
                estimated_time=time.group(1) if time else "",
                exercises=exercises,
            )
        )
    return out
