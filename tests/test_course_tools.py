"""The course tooling of the Sphinx extension and memgen_book.student (no Sphinx build needed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import yaml
from docutils import nodes
from sphinx import addnodes

from memgen_book import course, sphinxext, student

ROOT = Path(__file__).resolve().parents[1]


def _ref(target: str, text: str, explicit: bool = True):
    node = addnodes.pending_xref(
        "", refdomain="std", reftype="ref", reftarget=target, refexplicit=explicit
    )
    return node, nodes.inline("", text)


def _resolve(target: str, text: str = "chapter N", explicit: bool = True, srcdir: Path = ROOT):
    node, contnode = _ref(target, text, explicit)
    return sphinxext._planned_chapter_refs(
        SimpleNamespace(srcdir=str(srcdir)), None, node, contnode
    )


def test_a_planned_chapter_renders_as_text():
    result = _resolve("ch99", "chapter 99")
    assert isinstance(result, nodes.inline) and result.astext() == "chapter 99"


def test_a_chapter_in_the_toc_must_resolve_normally():
    first = course.chapters(ROOT)[0]
    assert _resolve(first.label) is None  # Sphinx then warns about the missing label: -W fails


def test_other_missing_labels_are_left_to_sphinx():
    assert _resolve("ex-ch99-foo") is None
    assert _resolve("ch99", explicit=False) is None


def test_student_config_hides_solutions_and_shares_the_cache():
    cfg = student.student_config(ROOT)
    full = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cfg["sphinx"]["config"]["hide_solutions"] is True
    assert Path(cfg["execute"]["cache"]) == (ROOT / "_build" / ".jupyter_cache").resolve()
    assert cfg["html"]["announcement"] == student.BANNER
    # everything else is the full book's configuration
    assert cfg["sphinx"]["extra_extensions"] == full["sphinx"]["extra_extensions"]
    assert cfg["repository"] == full["repository"]
    assert "hide_solutions" not in full["sphinx"]["config"]
