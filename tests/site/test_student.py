"""The student edition (``make student``) serves no solution in any file: pages, page sources,
notebooks, the search index, anything else under ``_build/student/_build/html``.

The solutions' text is taken from the chapters' own ``{solution}`` blocks (the MyST sources, through
``memgen_book.student.solution_blocks``): every stretch of plain prose or code of 30 characters or
more that appears in no page outside a solution. Every text file of the student build is searched
for every stretch; the same search must find most of them in the full build's pages (so a change in
how the text is rendered cannot make the test pass vacuously), and must find a solution sentence
planted in a copy of a student page's notebook and in a script. The search index holds stemmed
words, not text: the words that only the solutions use must be in the full build's index and in
none of the student build's.

The student pages' Colab buttons open the student notebooks ``student/chapters/<chapter>.ipynb``,
and their download buttons serve the same notebook and the source without its solutions.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_helpers import HTML_DIR, PAGES, ROOT, STUDENT_HTML_DIR

from memgen_book import colab, student

CHAPTERS = [str(p.relative_to(ROOT).with_suffix("")) for p in colab.chapter_sources(ROOT)]
MIN_STRETCH = 30
_OPTION = re.compile(r"^\s*:[\w-]+:")
_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2026": "..."}
)


def normalise(text: str) -> str:
    """Text as the search compares it: entities decoded, typographic quotes and dashes as ASCII
    (Sphinx's smartquotes), whitespace collapsed."""
    text = html.unescape(text).translate(_QUOTES)
    text = text.replace("\u2014", "-").replace("\u2013", "-").replace("---", "-").replace("--", "-")
    return re.sub(r"\s+", " ", text)


def _source(doc: str) -> str:
    return (ROOT / f"{doc}.md").read_text(encoding="utf-8")


def _solution_texts(doc: str) -> list[str]:
    """The body of every solution of a chapter (fences and directive options dropped)."""
    lines = _source(doc).splitlines()
    out = []
    for a, b in student.solution_blocks(_source(doc)):
        body = [ln for ln in lines[a:b] if not student._FENCE.match(ln) and not _OPTION.match(ln)]
        body = [ln for ln in body if not re.fullmatch(r"\s*(`{3,}|~{3,}|:{3,})\s*", ln)]
        out.append("\n".join(body))
    return out


def _stretches(text: str) -> list[str]:
    """Stretches of a solution a reader would see as they are: prose between markup (math, roles,
    emphasis, links) and whole code lines."""
    found = []
    for line in text.splitlines():
        if line.startswith(("    ", "\t")) or re.match(
            r"\s*[\w.]+\s*=|\s*(import|from|print)\b", line
        ):
            code = line.strip()
            if len(code) >= MIN_STRETCH:
                found.append(code)
    prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "|", text, flags=re.S)  # math renders otherwise
    prose = re.sub(r"\{[\w:-]+\}`[^`]*`", "|", prose)  # roles: {eq}`label`, {ref}`...`
    for piece in re.split(r"[`*_\[\](){}|\\<>#]|\n\s*\n", prose):
        piece = normalise(piece).strip(" .,;:")
        if len(piece) >= MIN_STRETCH and len(piece.split()) >= 5:
            found.append(piece)
    return [normalise(s) for s in found]


@lru_cache(maxsize=None)
def _outside_solutions() -> str:
    """Every page's source with its solutions removed, normalised (a stretch found here is not
    solution text: an exercise may quote it)."""
    return normalise(
        "\n".join(
            student.strip_solutions(_source(d)) for d in PAGES if (ROOT / f"{d}.md").is_file()
        )
    )


@lru_cache(maxsize=None)
def solution_stretches() -> dict[str, list[str]]:
    rest = _outside_solutions()
    out = {}
    for doc in CHAPTERS:
        seen = []
        for text in _solution_texts(doc):
            seen += [s for s in _stretches(text) if s not in rest and s not in seen]
        out[doc] = seen
    return out


def _text_of(path: Path) -> str | None:
    """A served file as text a reader (or a search engine) would get from it; None for binaries."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, ValueError):
        return None
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(raw)
        except json.JSONDecodeError:
            return normalise(raw)
        parts = []
        for cell in nb.get("cells", []):
            src = cell.get("source", "")
            parts.append("".join(src) if isinstance(src, list) else src)
            for output in cell.get("outputs", []):
                parts.append(json.dumps(output))
        return normalise("\n".join(parts))
    if path.suffix in (".html", ".htm", ".xml", ".svg"):
        raw = re.sub(r"<[^>]+>", "", raw)
    return normalise(raw)


def _require(path: Path, command: str) -> None:
    if not path.exists():
        pytest.fail(
            f"{path} is missing: run `{command}` first (`make test` does it)", pytrace=False
        )


def test_solution_text_is_taken_from_every_chapter():
    stretches = solution_stretches()
    thin = {doc: len(s) for doc, s in stretches.items() if len(s) < 3}
    assert not thin, f"chapters whose solutions gave fewer than 3 stretches to search for: {thin}"


def test_search_finds_the_solutions_in_the_full_build():
    _require(HTML_DIR / "index.html", "make book")
    missed = {}
    for doc, stretches in solution_stretches().items():
        text = _text_of(HTML_DIR / f"{doc}.html")
        found = [s for s in stretches if s in text]
        if len(found) < 0.6 * len(stretches):
            missed[doc] = [s for s in stretches if s not in text][:5]
    assert not missed, (
        "the search does not find the solutions' text in the full build's pages (it would then "
        f"find no leak either): {missed}"
    )


def leaks_in(site: Path) -> tuple[list[str], int]:
    """Every (file, solution stretch) found in the text files under ``site``, and how many text
    files were searched."""
    stretches = {s: doc for doc, ss in solution_stretches().items() for s in ss}
    leaks, searched = [], 0
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        text = _text_of(path)
        if text is None:
            continue
        searched += 1
        for s, doc in stretches.items():
            if s in text:
                leaks.append(f"{path.relative_to(site)}: {s[:70]!r} ({doc})")
    return leaks, searched


def test_no_file_of_the_student_build_holds_solution_text():
    _require(STUDENT_HTML_DIR / "index.html", "make student")
    leaks, searched = leaks_in(STUDENT_HTML_DIR)
    assert searched > 50, f"only {searched} text files in the student build"
    assert not leaks, f"{len(leaks)} solution texts in the student build:\n  " + "\n  ".join(
        leaks[:30]
    )


def test_search_finds_a_planted_leak(tmp_path: Path):
    # a student page and its notebook download, then the same with one solution sentence planted
    # in a notebook cell and one in a script: the search must report both, and nothing else
    _require(STUDENT_HTML_DIR / "index.html", "make student")
    doc = CHAPTERS[0]
    for rel in (f"{doc}.html", f"_sources/{doc}.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((STUDENT_HTML_DIR / rel).read_bytes())
    assert leaks_in(tmp_path)[0] == []
    planted = solution_stretches()[doc][-1]
    nb_path = tmp_path / f"_sources/{doc}.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": [planted]})
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    (tmp_path / "extra.js").write_text(f"var s = {json.dumps(planted)};", encoding="utf-8")
    found, _ = leaks_in(tmp_path)
    assert sorted(f.split(":")[0] for f in found) == [f"_sources/{doc}.ipynb", "extra.js"], found


# --- the search index ---------------------------------------------------------------------------


def _search_index(site: Path) -> dict:
    raw = (site / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])


def _doc_terms(index: dict, doc: str) -> set[str]:
    i = index["docnames"].index(doc)
    terms = set()
    for key in ("terms", "titleterms"):
        for term, docs in index[key].items():
            if docs == i or (isinstance(docs, list) and i in docs):
                terms.add(term)
    return terms


class _Split(HTMLParser):
    """A page's text inside and outside its solution blocks (div.solution)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside: list[str] = []
        self.outside: list[str] = []
        self._depth = 0
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "div" and self._depth:
            self._depth += 1
        elif tag == "div" and "solution" in classes:
            self._depth = 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "div" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if not self._skip:
            (self.inside if self._depth else self.outside).append(data)


def _stems(text: str) -> set[str]:
    from sphinx.search.en import SearchEnglish

    lang = SearchEnglish({})
    words = re.findall(r"[^\W\d_]{3,}", text)  # Sphinx indexes words, not numbers or symbols
    return {lang.stem(w) for w in words if w.lower() not in lang.stopwords}


@pytest.mark.parametrize("doc", CHAPTERS)
def test_search_index_has_no_word_only_a_solution_uses(doc: str):
    _require(STUDENT_HTML_DIR / "searchindex.js", "make student")
    split = _Split()
    split.feed((HTML_DIR / f"{doc}.html").read_text(encoding="utf-8"))
    only_solutions = _stems(" ".join(split.inside)) - _stems(" ".join(split.outside))
    full = _doc_terms(_search_index(HTML_DIR), doc) & only_solutions
    assert full, f"{doc}: no word of its solutions is in the full build's search index"
    leaked = _doc_terms(_search_index(STUDENT_HTML_DIR), doc) & only_solutions
    assert not leaked, (
        f"{doc}: the student build's search index has words only its solutions use: "
        f"{sorted(leaked)[:20]} (the full build's index has {len(full)} such words)"
    )


# --- launch and download buttons ------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def _hrefs(path: Path) -> list[str]:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p.hrefs


@pytest.mark.parametrize("doc", CHAPTERS)
def test_student_buttons_open_the_student_notebook(doc: str):
    _require(STUDENT_HTML_DIR / "index.html", "make student")
    page = STUDENT_HTML_DIR / f"{doc}.html"
    hrefs = _hrefs(page)
    colab_links = [h for h in hrefs if urlsplit(h).hostname == "colab.research.google.com"]
    notebook = student.student_notebook_path(doc).as_posix()  # student/chapters/<stem>.ipynb
    assert colab_links and all(h.endswith("/" + notebook) for h in colab_links), (
        f"{doc} (student): Colab buttons {colab_links}, expected links to {notebook}"
    )
    assert (ROOT / notebook).is_file(), f"{notebook} is not in the repository"
    downloads = [h for h in hrefs if "_sources/" in h]
    assert downloads, f"{doc} (student): no download button"
    for href in downloads:
        served = (page.parent / urlsplit(href).path).resolve()
        assert served.is_file(), f"{doc} (student): the download {href} is missing"
        if served.suffix == ".ipynb":
            assert json.loads(served.read_text(encoding="utf-8")) == json.loads(
                (ROOT / notebook).read_text(encoding="utf-8")
            ), f"{doc} (student): the .ipynb download is not {notebook}"
        else:
            assert served.read_text(encoding="utf-8") == student.strip_solutions(_source(doc)), (
                f"{doc} (student): the {served.suffix} download is not the source without solutions"
            )


def test_student_notebooks_have_no_solution_text():
    leaks = []
    for doc, stretches in solution_stretches().items():
        text = _text_of(ROOT / student.student_notebook_path(doc))
        leaks += [f"{doc}: {s[:70]!r}" for s in stretches if s in text]
    assert not leaks, "solution text in the committed student notebooks:\n  " + "\n  ".join(leaks)
