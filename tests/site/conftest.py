"""Fixtures for the browser tests of the built website (``_build/html``).

The site is served from a local HTTP server on 127.0.0.1 (a free port) and opened in Debian's
``/usr/bin/chromium`` through Playwright (never ``playwright install``). Every request to any other
host is recorded and aborted: the site must work with no network at all.

``make test`` builds the book before running these tests; if ``_build/html`` is missing they fail
with instructions instead of skipping.
"""

from __future__ import annotations

import functools
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from site_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HTML_DIR,
    PAGES,
    PHONE_HEIGHT,
    SCREENSHOT_DIR,
    VIEWPORT,
    WIDTHS,
    is_off_machine,
)


def pytest_generate_tests(metafunc):
    # session-scoped parameters: pytest runs every test of one page (and width) before the next
    # page, so only a few pages are open at a time
    if "docname" in metafunc.fixturenames:
        metafunc.parametrize("docname", PAGES, scope="session")
    if "width" in metafunc.fixturenames:
        metafunc.parametrize("width", WIDTHS, scope="session")


@pytest.fixture(scope="session")
def html_dir() -> Path:
    if not (HTML_DIR / "index.html").is_file():
        pytest.fail(
            f"{HTML_DIR} does not exist: build the book first (`make book`; `make test` does it "
            "for you).",
            pytrace=False,
        )
    return HTML_DIR


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@pytest.fixture(scope="session")
def site_url(html_dir: Path):
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get update && apt-get "
            "install -y chromium`;"
            " `make test` does it when run as root).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One page, loaded once per session, with what happened while it loaded."""

    docname: str
    url: str
    page: object
    width: int = VIEWPORT["width"]
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)
    screenshot: Path | None = None


# JavaScript run in the page -------------------------------------------------------------------

JS_READY = """async () => {
  const until = (cond, ms) => new Promise(resolve => {
    const t0 = performance.now();
    (function poll() {
      if (cond() || performance.now() - t0 > ms) { resolve(); } else { setTimeout(poll, 50); }
    })();
  });
  // MathJax 3: wait for its startup typesetting (the script is deferred).
  if (document.querySelector('script[src*="mathjax"]')) {
    await until(() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise,
    15000);
    if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
      await window.MathJax.startup.promise;
    }
  }
  // plotly: every figure has drawn (or we give up and let the test report it).
  await until(() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(gd => gd._fullData && gd.querySelector('.main-svg')), 15000);
  // the book's loader (memgen-figures.js) marks a figure once its frames, slider and labels are
  // in place
  await until(() => [...document.querySelectorAll('.memgen-figure')]
    .every(gd => gd.hasAttribute('data-memgen-drawn')), 15000);
  // ipywidgets: the embed manager replaces each view <script> with rendered widgets.
  const views =
  document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  if (views) {
    await until(() => document.querySelectorAll('.jupyter-widgets').length > 0, 15000);
  }
  return true;
}"""


#: Pages kept open at once: the tests run page by page (docname and width are session-scoped
#: parameters), so a small number is enough, and a page evicted early is loaded again if needed.
MAX_OPEN_PAGES = 3

JS_STATS = """() => ({
  figures: document.querySelectorAll('.plotly-graph-div').length,
  sliders: [...document.querySelectorAll('.plotly-graph-div')]
    .filter(gd => gd.layout && gd.layout.sliders && gd.layout.sliders.length).length,
  math: document.querySelectorAll('mjx-container').length,
  live: document.querySelectorAll('.memgen-live').length,
})"""


@pytest.fixture(scope="session")
def visit(browser, site_url):
    """``visit(docname, width=1280)`` -> :class:`Visit`, the page loaded (and screenshotted) at
    that width. Screenshots: ``_build/screenshots/<page>.png`` at 1280 px,
    ``_build/screenshots/<width>/<page>.png`` at any other width (390: a phone). At most
    :data:`MAX_OPEN_PAGES` pages stay open; ``visit.stats`` keeps what every loaded page held."""
    cache: dict[tuple[str, int], Visit] = {}
    contexts: dict[int, object] = {}
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def context_for(width: int):
        if width not in contexts:
            height = VIEWPORT["height"] if width == VIEWPORT["width"] else PHONE_HEIGHT
            contexts[width] = browser.new_context(viewport={"width": width, "height": height})
        return contexts[width]

    def load(docname: str, width: int = VIEWPORT["width"]) -> Visit:
        key = (docname, width)
        if key in cache:
            cache[key] = cache.pop(key)  # most recently used last
            return cache[key]
        while len(cache) >= MAX_OPEN_PAGES:
            oldest = next(iter(cache))
            cache.pop(oldest).page.close()
        url = f"{site_url}/{docname}.html"
        page = context_for(width).new_page()
        v = Visit(docname=docname, url=url, page=page, width=width)

        def route(r):
            if is_off_machine(r.request.url):
                v.external_requests.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        page.route("**/*", route)
        page.on(
            "console",
            lambda m: (
                v.console_errors.append(f"{m.text} ({m.location.get('url', '')})")
                if m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda e: v.page_errors.append(str(e)))
        page.on(
            "response",
            lambda r: v.failed_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.goto(url, wait_until="load")
        page.evaluate(JS_READY)
        try:
            page.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:  # noqa: BLE001 - a page that keeps polling is reported by other checks
            pass
        folder = SCREENSHOT_DIR if width == VIEWPORT["width"] else SCREENSHOT_DIR / str(width)
        folder.mkdir(parents=True, exist_ok=True)
        v.screenshot = folder / f"{docname.rsplit('/', 1)[-1]}.png"
        page.screenshot(path=str(v.screenshot), full_page=True)
        stats[key] = page.evaluate(JS_STATS)
        cache[key] = v
        return v

    stats: dict[tuple[str, int], dict] = {}

    def page_stats(docname: str, width: int = VIEWPORT["width"]) -> dict:
        """What the page held when it loaded (figures, sliders, typeset math, live explorers)."""
        if (docname, width) not in stats:
            load(docname, width)
        return stats[docname, width]

    load.stats = page_stats
    yield load
    for v in cache.values():
        v.page.close()
    for context in contexts.values():
        context.close()
