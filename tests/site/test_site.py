"""Browser tests of the built website: it must work with no network at all.

For every page listed in ``_toc.yml``: no console errors or page errors, no request leaves the
machine, every plotly figure has drawn, plotly sliders switch the drawn data, math is typeset, and
ipywidgets render. A full-page screenshot of every page is saved to ``_build/screenshots/``.
A static scan checks that no built HTML file references a script, stylesheet, image or frame on
another machine.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from site_helpers import PAGES, is_off_machine

# --- page load --------------------------------------------------------------------------------


def test_page_loads_without_errors(visit, docname):
    v = visit(docname)
    problems = (
        [f"console error: {m}" for m in v.console_errors]
        + [f"page error: {m}" for m in v.page_errors]
        + [f"HTTP {m}" for m in v.failed_responses]
    )
    assert not problems, f"{v.url}:\n  " + "\n  ".join(problems)


def test_no_request_leaves_the_machine(visit, docname):
    v = visit(docname)
    assert not v.external_requests, f"{v.url} tried to fetch from other hosts:\n  " + "\n  ".join(
        v.external_requests
    )


def test_screenshot_saved(visit, docname):
    v = visit(docname)
    assert v.screenshot is not None and v.screenshot.stat().st_size > 10_000, v.screenshot


# --- tables -----------------------------------------------------------------------------------

JS_WIDE_TABLES = """() => {
  const article = document.querySelector('article') || document.body;
  const right = article.getBoundingClientRect().right;
  return [...article.querySelectorAll('table')].filter(t => t.getBoundingClientRect().right > right + 2)
    .map(t => (t.className || 'table') + ': ' + Math.round(t.getBoundingClientRect().right - right) + ' px too wide');
}"""


def test_tables_fit_the_page(visit, docname):
    # a table wider than the text column scrolls sideways, and a reader misses its last columns (the
    # scorecard's "holds" did)
    v = visit(docname)
    wide = v.page.evaluate(JS_WIDE_TABLES)
    assert not wide, f"{v.url}: " + "; ".join(wide)


# --- plotly -----------------------------------------------------------------------------------

JS_FIGURES = """() => [...document.querySelectorAll('.plotly-graph-div')].map(gd => ({
  id: gd.id,
  drawn: !!gd.querySelector('.main-svg'),
  traces: gd._fullData ? gd._fullData.length : 0,
  sliders: (gd.layout && gd.layout.sliders) ? gd.layout.sliders.length : 0,
}))"""

# Decoded trace data: plotly.py 7 sends arrays base64-encoded, so gd.data holds {bdata, dtype}
# objects; gd._fullData holds the decoded (typed) arrays that were drawn.
JS_SNAPSHOT = """gd => JSON.stringify({
  active: gd.layout.sliders[0].active,
  data: gd._fullData.map(t => ['x', 'y', 'z'].map(k => {
    const a = t[k];
    if (a === undefined || a === null) { return null; }
    return Array.from(a, row => (row && row.length !== undefined && typeof row !== 'string') ? Array.from(row) : row);
  })),
})"""


def test_plotly_figures_drawn(visit, docname):
    v = visit(docname)
    figures = v.page.evaluate(JS_FIGURES)
    bad = [f for f in figures if not (f["drawn"] and f["traces"] > 0)]
    assert not bad, f"{v.url}: plotly figures that did not draw: {bad}"


JS_DATA = f"(gd => JSON.stringify(JSON.parse(({JS_SNAPSHOT})(gd)).data))"


def test_plotly_sliders_switch_frames(visit, docname):
    v = visit(docname)
    page = v.page
    for gd in page.query_selector_all(".plotly-graph-div"):
        if not page.evaluate(
            "gd => !!(gd.layout && gd.layout.sliders && gd.layout.sliders.length)", gd
        ):
            continue
        n_steps = page.evaluate("gd => gd.layout.sliders[0].steps.length", gd)
        before = json.loads(page.evaluate(JS_SNAPSHOT, gd))
        before_data = page.evaluate(JS_DATA, gd)
        rail = gd.query_selector(".slider-container .slider-rail-touch-rect")
        assert rail is not None, f"{v.url}: slider of {gd.get_attribute('id')} has no rail"
        rail.scroll_into_view_if_needed()
        box = rail.bounding_box()
        # click the far end of the rail: the last step (the figure starts on another one)
        target = n_steps - 1 if before["active"] != n_steps - 1 else 0
        x = box["x"] + (box["width"] - 2 if target else 2)
        page.mouse.click(x, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "([gd, target]) => gd.layout.sliders[0].active === target",
            arg=[gd, target],
            timeout=10_000,
        )
        # the frame is applied right after the slider moves; a figure with many heatmaps can take a
        # while to redraw on a loaded machine, so wait for the drawn data (up to 10 s), not a fixed
        # time
        try:
            page.wait_for_function(
                f"([gd, prev]) => {JS_DATA}(gd) !== prev", arg=[gd, before_data], timeout=10_000
            )
        except PlaywrightTimeoutError:
            pass  # the assertion below reports it
        after = json.loads(page.evaluate(JS_SNAPSHOT, gd))
        assert after["active"] == target
        assert after["data"] != before["data"], (
            f"{v.url}: moving the slider of {gd.get_attribute('id')} to step {target} did not "
            "change the drawn data"
        )


# --- math -------------------------------------------------------------------------------------

JS_MATH = """() => {
  const math = [...document.querySelectorAll('.math')];
  const article = document.querySelector('article') || document.body;
  const clone = article.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, .highlight, .cell_input, mjx-container, textarea')
    .forEach(el => el.remove());
  const text = clone.textContent;
  return {
    math: math.length,
    untypeset: math.filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 80)),
    containers: document.querySelectorAll('mjx-container').length,
    errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')].map(el => el.textContent.slice(0, 80)),
    undefined: [...document.querySelectorAll('mjx-assistive-mml [mathcolor="red"]')].map(el => el.textContent),
    raw: (text.match(/\\$\\$|\\\\\\(|\\\\\\[/g) || []).length,
  };
}"""


def test_math_typeset(visit, docname):
    v = visit(docname)
    m = v.page.evaluate(JS_MATH)
    if m["math"]:
        assert m["containers"] > 0, f"{v.url}: {m['math']} math elements but MathJax typeset none"
    assert not m["untypeset"], f"{v.url}: math left as raw TeX: {m['untypeset'][:5]}"
    assert not m["errors"], f"{v.url}: MathJax errors: {m['errors'][:5]}"
    assert not m["undefined"], f"{v.url}: undefined TeX macros: {sorted(set(m['undefined']))}"
    assert m["raw"] == 0, f"{v.url}: raw TeX delimiters ($$, \\(, \\[) left in the article text"


# --- ipywidgets -------------------------------------------------------------------------------

JS_WIDGETS = """() => ({
  views: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
  state: document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]').length,
  rendered: [...document.querySelectorAll('.jupyter-widgets')].filter(el => {
    const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0;
  }).length,
  controls: document.querySelectorAll('.widget-slider, .widget-dropdown, .widget-button, .widget-toggle-buttons, .widget-checkbox, .widget-text').length,
  errors: [...document.querySelectorAll('.jupyter-widgets .widget-error, .jupyter-widgets-error-widget')].length,
})"""


def test_widgets_rendered(visit, docname):
    v = visit(docname)
    w = v.page.evaluate(JS_WIDGETS)
    if not w["views"]:
        return
    assert w["state"] == 1, (
        f"{v.url}: widget views but no saved widget state (was the notebook executed?)"
    )
    assert w["rendered"] >= w["views"], (
        f"{v.url}: {w['views']} widget views, {w['rendered']} rendered: {w}"
    )
    assert w["controls"] > 0, f"{v.url}: widgets rendered without any control: {w}"
    assert not w["errors"], f"{v.url}: widgets failed to render: {w}"


# --- the live explorers (the DAE trained in the reader's browser) ---------------------------------

LIVE_PAGES = [
    "chapters/ch01_denoising",
    "chapters/ch02_memorization",
    "chapters/ch03_generalization",
    "chapters/ch04_mixed",
]

JS_LIVE_STATE = "el => JSON.parse(el.getAttribute('data-state') || '{}')"


def _live_state(page, index=0, *, want=None, timeout=60000):
    """Wait until explorer ``index`` has converged (and ``want(state)`` holds); return its state."""
    page.wait_for_function(
        """([i]) => { const el = document.querySelectorAll('.memgen-live')[i];
             if (!el) return false; const s = JSON.parse(el.getAttribute('data-state') || '{}');
             return s.converged === true; }""",
        arg=[index],
        timeout=timeout,
    )
    el = page.query_selector_all(".memgen-live")[index]
    return el.evaluate(JS_LIVE_STATE)


@pytest.mark.parametrize("live_doc", LIVE_PAGES)
def test_live_explorer_trains_on_the_built_page(visit, live_doc):
    v = visit(live_doc)
    roots = v.page.query_selector_all(".memgen-live")
    assert roots, f"{v.url}: no live explorer"
    state = _live_state(v.page)
    for key in (
        "n",
        "p",
        "sigma",
        "lam",
        "dataset",
        "step",
        "loss",
        "converged",
        "top1_share",
        "stored_fraction",
    ):
        assert key in state, (v.url, key, state)
    assert state["step"] > 0 and state["loss"] > 0, state
    for name in ("n", "p", "sigma", "lam"):
        assert roots[0].query_selector(f'input[type=range][name="{name}"]'), (v.url, name)
    assert roots[0].query_selector('select[name="dataset"]'), v.url


def test_live_explorer_recomputes_after_a_move_and_shows_both_regimes(visit):
    v = visit("chapters/ch02_memorization")
    page, root = v.page, v.page.query_selector_all(".memgen-live")[0]
    state = _live_state(page)
    assert state["dataset"] == "digits-separable" and state["p"] >= state["n"], state
    assert state["top1_share"] > 0.9 and state["stored_fraction"] > 0.9, state  # spiky, stored
    run = state["run"]
    root.query_selector('select[name="dataset"]').select_option("gmm")
    page.wait_for_function(
        """([r]) => { const s = JSON.parse(document.querySelector('.memgen-live')
             .getAttribute('data-state') || '{}');
             return s.run !== r && s.dataset === 'gmm' && s.converged === true; }""",
        arg=[run],
        timeout=90000,
    )
    state = root.evaluate(JS_LIVE_STATE)
    assert state["p"] < state["n"] / 4, state
    assert state["top1_share"] < 0.6 and state["stored_fraction"] < 0.1, state  # balanced


# --- the checks above must not pass vacuously ----------------------------------------------------


def test_book_exercises_every_check(visit):
    totals = {"figures": 0, "sliders": 0, "math": 0, "live explorers": 0}
    for docname in PAGES:
        stats = visit.stats(docname)  # recorded when the page loaded
        totals["figures"] += stats["figures"]
        totals["sliders"] += stats["sliders"]
        totals["math"] += stats["math"]
        totals["live explorers"] += stats["live"]
    assert all(totals.values()), f"the book has no page that exercises some check: {totals}"


# --- static scan of every built HTML file ---------------------------------------------------------

_URL_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")


class _ResourceScanner(HTMLParser):
    """Collects every URL the browser would fetch by itself while loading the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in _URL_ATTRS.get(tag, ()):
            value = attrs.get(name)
            if not value:
                continue
            if name == "srcset":
                self.urls += [part.strip().split()[0] for part in value.split(",") if part.strip()]
            else:
                self.urls.append(value)
        if attrs.get("style"):
            self.urls += _CSS_URL.findall(attrs["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += _CSS_URL.findall(data)


def test_no_offmachine_resources_in_built_html(html_dir: Path):
    offenders = []
    files = sorted(html_dir.rglob("*.html"))
    assert files, f"no HTML files under {html_dir}"
    for path in files:
        scanner = _ResourceScanner()
        scanner.feed(path.read_text(encoding="utf-8", errors="replace"))
        offenders += [
            f"{path.relative_to(html_dir)}: {u}" for u in scanner.urls if is_off_machine(u)
        ]
    assert not offenders, "built pages load resources from other machines:\n  " + "\n  ".join(
        offenders
    )


def test_every_toc_page_was_built(html_dir: Path):
    missing = [d for d in PAGES if not (html_dir / f"{d}.html").is_file()]
    assert not missing, f"pages in _toc.yml that were not built: {missing}"


@pytest.mark.parametrize(
    "asset",
    [
        "mathjax/tex-chtml.js",
        "plotly/plotly-cartesian.min.js",
        "requirejs/require.js",
        "jupyter-widgets/html-manager/embed-amd.js",
    ],
)
def test_local_assets_shipped(html_dir: Path, asset: str):
    assert (html_dir / "_static" / asset).is_file(), f"_static/{asset} missing from the built site"
