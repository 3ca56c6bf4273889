"""The book's conventions, checked on the sources of every page listed in _toc.yml.

Every chapter (a page whose file name starts with ``ch``): a ``(chN)=`` label and a ``# N. ...``
title,
a ``Learning goals`` admonition (class tip) ending with ``**Estimated time:** ...``, the Colab
install
cell as its first code cell, at least three ``{exercise}`` blocks each followed by its
``{solution}``
(a dropdown), one exercise that asks to predict before running, ``## Summary`` and ``##
References``.
Every page: every ``{cite...}`` key exists in references.bib; the glossary and the course guide are
in the table of contents; the course guide maps every chapter to a lecture.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from memgen_book import colab, course

ROOT = Path(__file__).resolve().parents[1]
DOCS = colab.toc_docnames(ROOT)
PAGES = [ROOT / f"{d}.md" for d in DOCS if (ROOT / f"{d}.md").is_file()]
CHAPTERS = [p for p in PAGES if p.name.startswith(colab.CHAPTER_PREFIX)]
IDS = [p.stem for p in CHAPTERS]

directives = course.directives


def chapter_number(path: Path) -> int:
    return int(re.match(r"ch(\d+)", path.stem).group(1))


def test_the_toc_has_chapters():
    assert len(CHAPTERS) >= 3, CHAPTERS


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_label_and_title(path: Path):
    n = chapter_number(path)
    text = path.read_text(encoding="utf-8")
    assert re.search(rf"^\(ch{n}\)=\n# {n}\. \S", text, re.MULTILINE), (
        f"{path.name}: needs '(ch{n})=' then '# {n}. ...'"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_learning_goals_with_estimated_time(path: Path):
    ds = directives(path.read_text(encoding="utf-8"))
    goals = [d for d in ds if d["name"] == "admonition" and d["arg"].lower() == "learning goals"]
    assert goals, f"{path.name}: no 'Learning goals' admonition"
    assert goals[0]["options"].get("class") == "tip"
    assert ds.index(goals[0]) == 0, f"{path.name}: the learning goals come first"
    last = goals[0]["body"].strip().splitlines()[-1]
    assert re.fullmatch(r"\*\*Estimated time:\*\* \d+( to \d+)? minutes\.", last), (
        f"{path.name}: the learning goals must end with '**Estimated time:** NN minutes.', got "
        f"{last!r}"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_install_cell_first(path: Path):
    ds = directives(path.read_text(encoding="utf-8"))
    code = [d for d in ds if d["name"] == "code-cell"]
    assert code, f"{path.name}: no code cell"
    assert "remove-cell" in code[0]["options"].get("tags", ""), (
        f"{path.name}: the install cell must be tagged remove-cell"
    )
    assert colab.install_cell_source(colab.repository(ROOT)) in code[0]["body"], (
        f"{path.name}: the first code cell is not the configured Colab install cell (run `make "
        "notebooks`)"
    )
    assert "render.setup()" in code[1]["body"], (
        f"{path.name}: the imports cell must set up the renderer (render.setup())"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_exercises_with_hidden_solutions(path: Path):
    text = path.read_text(encoding="utf-8")
    ds = directives(text)
    exercises = [d for d in ds if d["name"] == "exercise"]
    assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises, at least 3 needed"
    for ex in exercises:
        label = ex["options"].get("label")
        assert label, f"{path.name}: exercise {ex['arg']!r} has no :label:"
        # its solution comes next; only code cells (the "run" of a predict-then-run exercise) may
        # sit between
        rest = ds[ds.index(ex) + 1 :]
        following = next((d for d in rest if d["name"] != "code-cell"), None)
        assert following and following["name"] == "solution" and following["arg"] == label, (
            f"{path.name}: exercise {label} must be followed by its {{solution}} {label} (code "
            "cells may sit between)"
        )
        assert "dropdown" in following["options"].get("class", ""), (
            f"{path.name}: solution of {label} must be a dropdown"
        )
        assert following["body"].replace(":class: dropdown", "").strip(), (
            f"{path.name}: empty solution of {label}"
        )
    assert any(re.search(r"\bpredict", (e["arg"] + e["body"]).lower()) for e in exercises), (
        f"{path.name}: one exercise must ask the reader to predict a result before running"
    )
    section = text.split("## Exercises", 1)
    # a predict-before-running exercise may stand before the result it predicts
    late = [e for e in exercises if not re.search(r"\bpredict", (e["arg"] + e["body"]).lower())]
    assert len(section) == 2 and all(e["start"] > text.index("## Exercises") for e in late), (
        f"{path.name}: exercises belong under '## Exercises'"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_summary_and_references(path: Path):
    text = path.read_text(encoding="utf-8")
    heads = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert "Summary" in heads and "References" in heads, (
        f"{path.name}: needs '## Summary' and '## References'"
    )
    assert heads.index("Exercises") < heads.index("Summary") < heads.index("References")
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^- ", summary, re.MULTILINE), f"{path.name}: the summary is a bullet list"
    refs = text.split("## References", 1)[1]
    assert re.search(r"\{cite:t\}`[^`]+`", refs), (
        f"{path.name}: the references cite with {{cite:t}}"
    )


# --- citations ---------------------------------------------------------------------------------


def bib_keys() -> set[str]:
    return set(
        re.findall(
            r"^@\w+\{\s*([^,\s]+)\s*,",
            (ROOT / "references.bib").read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    )


def test_bibliography_keys_unique():
    keys = re.findall(
        r"^@\w+\{\s*([^,\s]+)\s*,",
        (ROOT / "references.bib").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_every_cited_key_is_in_the_bibliography(path: Path):
    text = path.read_text(encoding="utf-8")
    cited = set()
    for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text):
        cited |= {k.strip() for k in group.split(",") if k.strip()}
    missing = cited - bib_keys()
    assert not missing, f"{path.name} cites keys missing from references.bib: {sorted(missing)}"


# --- course materials ----------------------------------------------------------------------------


def test_glossary_and_course_guide_are_in_the_book():
    assert "chapters/glossary" in DOCS and "chapters/course_guide" in DOCS, DOCS


def test_course_guide_maps_every_chapter_to_a_lecture():
    guide = (ROOT / "chapters" / "course_guide.md").read_text(encoding="utf-8")
    plan = guide.split("## The two-week module", 1)[1].split("\n## ", 1)[0]
    missing = [ch.label for ch in course.chapters(ROOT) if f"<{ch.label}>`" not in plan]
    assert not missing, f"chapters that no lecture of the course guide covers: {missing}"
    assert "{chapter-table}" in guide, "the course guide shows the generated chapter table"
    for key in ("## Prerequisites", "## Assignments", "## Project ideas"):
        assert key in guide, f"the course guide needs a section {key!r}"


def test_chapter_info_is_read_from_the_sources():
    info = course.chapters(ROOT)
    assert [c.number for c in info] == sorted(c.number for c in info)
    for c in info:
        assert c.estimated_time and all(e.label and e.title for e in c.exercises), c


def test_glossary_links_every_chapter():
    glossary = (ROOT / "chapters" / "glossary.md").read_text(encoding="utf-8")
    for c in course.chapters(ROOT):
        assert f"<{c.label}>`" in glossary, f"the glossary links no term to {c.label}"


ALIASES = {"experiments": "ex", "views": "vw"}


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_code_cells_are_short_lines_without_statement_chains(path: Path):
    """Chapter code lines are at most 88 characters (QuantEcon's convention) and no line chains
    statements with ``;`` (checked on the parsed code, so a ``;`` inside a string does not
    count)."""
    import ast

    long, chains = [], []
    for d in directives(path.read_text(encoding="utf-8")):
        if d["name"] != "code-cell":
            continue
        lines = d["body"].splitlines()
        while lines and lines[0].startswith(":"):  # the cell's options
            lines.pop(0)
        body = "\n".join(lines)
        long += [ln for ln in lines if len(ln) > 88]
        tree = ast.parse(body)
        rows = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.stmt)]
        chains += sorted({r for r in rows if rows.count(r) > 1 and not _compound_on(tree, r)})
    assert not long, f"{path.name}: {len(long)} code lines over 88 characters, e.g. {long[0]!r}"
    assert not chains, f"{path.name}: statements chained with ';' on cell lines {chains}"


def _compound_on(tree, row) -> bool:
    """True if the statements sharing ``row`` are a compound statement and its one-line body."""
    import ast

    return any(
        isinstance(n, (ast.If, ast.For, ast.While, ast.With, ast.FunctionDef, ast.Try))
        and n.lineno == row
        for n in ast.walk(tree)
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_one_alias_per_module(path: Path):
    """Chapters import a chapter module as exN / vwN (N its chapter number), the same everywhere."""
    text = path.read_text(encoding="utf-8")
    for floor, letter in ALIASES.items():
        for stem, alias in re.findall(rf"from memgen\.{floor} import (ch\d\d_\w+) as (\w+)", text):
            assert alias == f"{letter}{int(stem[2:4])}", (path.name, stem, alias)
