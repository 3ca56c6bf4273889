"""Every internal link of the built sites resolves, and every chapter's Colab button opens its
notebook.

Scans every HTML file of the full build (``_build/html``) and of the student build
(``_build/student/_build/html``, made by ``make student``): each relative ``href``/``src`` must name
a
file of the site, and each ``#fragment`` an element id (or anchor name) of the target page. External
links (https://...) are not followed: there is no network here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from site_helpers import HTML_DIR, PAGES, ROOT, STUDENT_HTML_DIR

from memgen_book import colab

_LINK_ATTRS = {
    "a": "href",
    "link": "href",
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        attr = _LINK_ATTRS.get(tag)
        if attr and attrs.get(attr):
            self.links.append((tag, attrs[attr]))


@lru_cache(maxsize=None)
def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def broken_links(site: Path) -> list[str]:
    broken = []
    for page in sorted(site.rglob("*.html")):
        if page.relative_to(site).parts[0] == "_static":
            continue  # the themes' Jinja macro files (webpack-macros.html), not pages
        for tag, url in parse(page).links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue  # http(s), mailto, javascript, data: not a file of the site
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            where = f"{page.relative_to(site)}: <{tag}> {url}"
            if not target.is_relative_to(site.resolve()) and target != page:
                broken.append(f"{where} (points outside the site)")
            elif target.is_dir():
                if not (target / "index.html").is_file():
                    broken.append(f"{where} (a folder without index.html)")
            elif not target.is_file():
                broken.append(f"{where} (no such file)")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and unquote(parts.fragment) not in parse(target).ids
            ):
                broken.append(f"{where} (no element with id {parts.fragment!r})")
    return broken


SITES = {"full": HTML_DIR, "student": STUDENT_HTML_DIR}


@pytest.mark.parametrize("build", SITES)
def test_internal_links_resolve(build: str):
    site = SITES[build]
    if not (site / "index.html").is_file():
        pytest.fail(
            f"{site} is missing: run `make {'book' if build == 'full' else 'student'}` (`make "
            "test` does)",
            pytrace=False,
        )
    broken = broken_links(site)
    assert not broken, (
        f"{len(broken)} broken internal links in the {build} build:\n  " + "\n  ".join(broken[:40])
    )


def test_link_checker_finds_a_broken_link(tmp_path: Path):
    (tmp_path / "index.html").write_text(
        '<a href="a.html#x">a</a> <a href="b.html">b</a> <a href="#top">t</a>'
        '<a href="https://example.org/">e</a><div id="top"></div>'
    )
    (tmp_path / "a.html").write_text('<p id="y"></p>')
    parse.cache_clear()
    found = broken_links(tmp_path)
    assert len(found) == 2 and "id 'x'" in found[0] and "b.html (no such file)" in found[1], found


# --- Colab launch buttons ------------------------------------------------------------------------

REPO = colab.repository(ROOT)
CHAPTER_DOCS = [str(p.relative_to(ROOT).with_suffix("")) for p in colab.chapter_sources(ROOT)]
COLAB_LINK = re.compile(r'href="(https://colab\.research\.google\.com/[^"]+)"')


@pytest.mark.parametrize("doc", CHAPTER_DOCS)
def test_chapter_colab_button_opens_its_notebook(doc: str):
    html = (HTML_DIR / f"{doc}.html").read_text(encoding="utf-8")
    links = COLAB_LINK.findall(html)
    assert links, f"{doc}: no Colab launch button"
    org_repo = urlsplit(REPO.url).path.strip("/")
    prefix = f"{REPO.path_to_book}/" if REPO.path_to_book else ""
    want = f"https://colab.research.google.com/github/{org_repo}/blob/{REPO.branch}/{prefix}{doc}.ipynb"
    assert set(links) == {want}, f"{doc}: Colab links {links}, expected {want}"
    assert (ROOT / f"{prefix}{doc}.ipynb").is_file(), (
        f"the Colab link of {doc} names a file not in the repository"
    )


def test_no_colab_button_opens_a_file_colab_cannot_read():
    bad = []
    for page in sorted(HTML_DIR.rglob("*.html")):
        for url in COLAB_LINK.findall(page.read_text(encoding="utf-8", errors="replace")):
            path = url.split(f"/blob/{REPO.branch}/", 1)[-1]
            if not path.endswith(".ipynb") or not (ROOT / path).is_file():
                bad.append(f"{page.relative_to(HTML_DIR)}: {url}")
    assert not bad, (
        "Colab links to files Colab cannot open or that do not exist:\n  " + "\n  ".join(bad)
    )


def test_every_chapter_page_is_built_with_its_colab_button():
    assert set(CHAPTER_DOCS) <= set(PAGES)
