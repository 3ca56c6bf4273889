"""The student build (``make student``) and the offline archive of the site (``make archive``).

Student build: every page of _toc.yml is built, exercises are there, and no solution is (its HTML
element and its text are both gone), while the full build has them. Every student page loads in
headless Chromium with no errors and no request off the machine; screenshots go to
``_build/screenshots/student/``.

Archive: the zip holds the whole site in one folder; unzipped anywhere it has index.html and every
page, references nothing on another machine, and its pages open from ``file://`` with no request
leaving the machine.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import JS_READY
from site_helpers import (
    ARCHIVE,
    HTML_DIR,
    PAGES,
    SCREENSHOT_DIR,
    STUDENT_HTML_DIR,
    VIEWPORT,
    is_off_machine,
)
from test_site import JS_FIGURES, _ResourceScanner

CHAPTERS = [d for d in PAGES if Path(d).name.startswith("ch")]


def _require(path: Path, command: str) -> None:
    if not path.exists():
        pytest.fail(
            f"{path} is missing: run `{command}` first (`make test` does it)", pytrace=False
        )


class _Solutions(HTMLParser):
    """Texts of the solution blocks (div.solution) and the number of exercise blocks of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.solutions: list[str] = []
        self.exercises = 0
        self._depth = 0  # >0 while inside a solution div

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and self._depth:
            self._depth += 1
        elif tag == "div" and "solution" in classes:
            self._depth = 1
            self.solutions.append("")
        if tag == "div" and "exercise" in classes:
            self.exercises += 1

    def handle_endtag(self, tag):
        if tag == "div" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.solutions[-1] += data


def _solutions(path: Path) -> _Solutions:
    parser = _Solutions()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _plain(html_path: Path) -> str:
    text = re.sub(r"<[^>]+>", " ", html_path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", text)


# --- student build
# ---------------------------------------------------------------------------------


def test_student_build_has_every_page():
    _require(STUDENT_HTML_DIR / "index.html", "make student")
    missing = [d for d in PAGES if not (STUDENT_HTML_DIR / f"{d}.html").is_file()]
    assert not missing, f"pages missing from the student build: {missing}"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_student_build_has_exercises_but_no_solutions(doc: str):
    _require(STUDENT_HTML_DIR / "index.html", "make student")
    full, student = (
        _solutions(HTML_DIR / f"{doc}.html"),
        _solutions(STUDENT_HTML_DIR / f"{doc}.html"),
    )
    assert len(full.solutions) >= 3 and full.exercises >= 3, (
        f"{doc}: the full build lacks solutions"
    )
    assert student.exercises == full.exercises, f"{doc}: the student build lost exercises"
    assert student.solutions == [], (
        f"{doc}: the student build still has {len(student.solutions)} solutions"
    )
    text = _plain(STUDENT_HTML_DIR / f"{doc}.html")
    for solution in full.solutions:
        words = re.sub(r"\s+", " ", solution).strip()
        # drop the header "Solution to Exercise N (title)": the exercise's own title is in both
        # builds
        words = re.sub(r"^Solution to\s+Exercise\s+[\d.]+\s*(\([^)]*\))?", "", words).strip()
        snippet = max(re.split(r"[$\\{}]", words), key=len).strip()[:60]  # a stretch of plain prose
        assert snippet and snippet not in text, (
            f"{doc}: solution text {snippet!r} is in the student build"
        )


def test_student_build_says_it_is_the_student_edition():
    _require(STUDENT_HTML_DIR / "index.html", "make student")
    for doc in PAGES:
        assert "Student edition" in (STUDENT_HTML_DIR / f"{doc}.html").read_text(
            encoding="utf-8"
        ), doc
        assert "Student edition" not in (HTML_DIR / f"{doc}.html").read_text(encoding="utf-8"), doc


@pytest.fixture(scope="module")
def student_url():
    _require(STUDENT_HTML_DIR / "index.html", "make student")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(STUDENT_HTML_DIR))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _open(browser, url: str, screenshot: Path | None) -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    seen = {"errors": [], "external": []}

    def route(r):
        if is_off_machine(r.request.url):
            seen["external"].append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(url, wait_until="load")
    page.evaluate(JS_READY)  # MathJax typeset, plotly figures drawn, widgets rendered
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except Exception:  # noqa: BLE001 - a page that keeps polling is reported by other checks
        pass
    seen["figures"] = page.evaluate(JS_FIGURES)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    context.close()
    return seen


@pytest.mark.parametrize("doc", PAGES)
def test_student_page_loads(browser, student_url, doc: str):
    shot = SCREENSHOT_DIR / "student" / f"{doc.rsplit('/', 1)[-1]}.png"
    seen = _open(browser, f"{student_url}/{doc}.html", shot)
    assert not seen["errors"], f"{doc} (student): {seen['errors']}"
    assert not seen["external"], f"{doc} (student) fetched from other hosts: {seen['external']}"
    assert shot.stat().st_size > 10_000


# --- offline archive ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unzipped(tmp_path_factory) -> Path:
    _require(ARCHIVE, "make archive")
    out = tmp_path_factory.mktemp("archive")
    with zipfile.ZipFile(ARCHIVE) as zf:
        names = zf.namelist()
        assert all(n.split("/", 1)[0] == "spiky-or-balanced-site" for n in names), "one top folder"
        zf.extractall(out)
    return out / "spiky-or-balanced-site"


def test_archive_holds_every_page(unzipped: Path):
    assert (unzipped / "index.html").is_file()
    missing = [d for d in PAGES if not (unzipped / f"{d}.html").is_file()]
    assert not missing, f"pages missing from the archive: {missing}"
    assert (unzipped / "_static" / "plotly" / "plotly-cartesian.min.js").is_file()


def test_archive_is_the_current_build(unzipped: Path):
    for d in PAGES:
        assert (unzipped / f"{d}.html").read_bytes() == (HTML_DIR / f"{d}.html").read_bytes(), (
            f"{d}: the archive is older than _build/html: run `make archive`"
        )


def test_archive_references_nothing_off_machine(unzipped: Path):
    offenders = []
    for path in sorted(unzipped.rglob("*.html")):
        scanner = _ResourceScanner()
        scanner.feed(path.read_text(encoding="utf-8", errors="replace"))
        offenders += [
            f"{path.relative_to(unzipped)}: {u}" for u in scanner.urls if is_off_machine(u)
        ]
    assert not offenders, "archived pages load resources from other machines:\n  " + "\n  ".join(
        offenders
    )


@pytest.mark.parametrize(
    "doc", CHAPTERS[:1] + ["chapters/preface"] if CHAPTERS else ["chapters/preface"]
)
def test_archive_opens_from_file_urls(browser, unzipped: Path, doc: str):
    seen = _open(browser, (unzipped / f"{doc}.html").as_uri(), None)
    assert not seen["external"], (
        f"{doc} (archive, file://) fetched from other hosts: {seen['external']}"
    )
    bad = [f for f in seen["figures"] if not f["drawn"]]
    assert not bad, f"{doc} (archive, file://): figures not drawn: {bad}"
