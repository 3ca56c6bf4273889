"""The built site as a reader sees it, on every page, at 1280 px (a laptop) and 390 px (a phone).

For every plotly figure: every frame's data lies inside the axis ranges drawn for that frame; a
slider step changes the pixels inside the plot area; no title, axis title, tick label or slider
label is clipped by the figure or the window; subplot titles do not overlap, nor do panels, nor
does the legend lie on tick labels or titles; every slider gives each step at least 24 px; printed
heat-map values are legible and do not overprint. For every page: it never scrolls sideways,
nothing in the text column runs past the window, and wide tables, equations and code scroll inside
their own box. On a phone the plotly mode bar is hidden, and a slider thinned out to keep its
steps wide has a step bar that reaches every frame. The checks live in ``reader_checks.py``.

The unit tests at the end draw deliberately broken figures and pages (a fixed axis range that a
frame leaves, a title pushed off the figure, overlapping subplot titles, a panel that lost its
domain, a legend on the tick labels, a slider of 40 steps in a third of the width, overprinted
heat-map values, a frame identical to the first, a table wider than a phone) and check that each
check reports its defect, and that a well-made figure passes.
"""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots
from reader_checks import (
    FIGURE_CHECKS,
    JS_FRAMES_IN_VIEW,
    JS_HEATMAP_LABELS,
    JS_LEGEND_COVERS_TEXT,
    JS_LOG_TICKS,
    JS_PAGE_OVERFLOW,
    JS_PANELS_OVERLAP,
    JS_SLIDER_WIDTH,
    JS_TEXT_CLIPPED,
    JS_TITLES_OVERLAP,
    figure_id,
    figure_problems,
    slider_step_changes_plot,
)
from site_helpers import HTML_DIR, ROOT

from memgen.views import render

JS_HAS_FRAMES = """gd => !!((gd._transitionData && gd._transitionData._frames &&
  gd._transitionData._frames.length) || (gd.layout.sliders && gd.layout.sliders.length))"""
JS_HAS_SLIDER = "gd => !!(gd.layout && gd.layout.sliders && gd.layout.sliders.length)"


def _report(v, problems: dict[str, list[str]]) -> str:
    lines = [f"{v.url} at {v.width} px:"]
    for fig, found in problems.items():
        lines += [f"  {fig}: {p}" for p in found[:8]]
        if len(found) > 8:
            lines.append(f"  {fig}: ... and {len(found) - 8} more")
    return "\n".join(lines)


def test_figures_read_well(visit, docname, width):
    v = visit(docname, width)
    problems = {}
    for gd in v.page.query_selector_all(".plotly-graph-div"):
        found = figure_problems(v.page, gd)
        if found:
            problems[figure_id(v.page, gd)] = found
    assert not problems, _report(v, problems)


def test_every_frame_in_view(visit, docname, width):
    v = visit(docname, width)
    problems = {}
    for gd in v.page.query_selector_all(".plotly-graph-div"):
        found = v.page.evaluate(JS_FRAMES_IN_VIEW, gd)
        if found:
            problems[figure_id(v.page, gd)] = found
    assert not problems, _report(v, problems)


def test_slider_step_changes_the_drawn_plot(visit, docname, width):
    v = visit(docname, width)
    problems = {}
    for gd in v.page.query_selector_all(".plotly-graph-div"):
        if not v.page.evaluate(JS_HAS_SLIDER, gd):
            continue
        found = slider_step_changes_plot(v.page, gd)
        if found:
            problems[figure_id(v.page, gd)] = [found]
    assert not problems, _report(v, problems)


JS_STEP_BAR = """gd => {
  const spec = document.querySelector(`script.memgen-figure-data[data-for="${gd.id}"]`);
  const full = JSON.parse(spec.textContent).layout.sliders[0].steps;
  const shown = gd.layout.sliders[0].steps;
  const bar = gd.nextElementSibling;
  const hasBar = !!(bar && bar.classList.contains('memgen-steps'));
  return {frames: full.map(s => s.args[0][0]), shown: shown.length, hasBar: hasBar,
          valueShown: gd.layout.sliders[0].currentvalue ?
            gd.layout.sliders[0].currentvalue.visible !== false : true,
          staleValue: gd.querySelectorAll('.slider-group > text.slider-label').length};
}"""

# The frame drawn is `name` iff animating to `name` again changes no trace (animate is idempotent).
JS_DRAWN_IS_FRAME = """async ([gd, name]) => {
  const snap = () => JSON.stringify(gd.data.map(t => [t.x, t.y, t.z, t.text]));
  const before = snap();
  await Plotly.animate(gd, [name], {mode: 'immediate', frame: {duration: 0, redraw: true},
                                     transition: {duration: 0}});
  return snap() === before;
}"""


def test_every_frame_within_reach(visit, docname, width):
    """A slider thinned out on a phone skips frames: its step bar reaches each one, in order,
    draws it, and names it; a slider with every step needs no bar."""
    v = visit(docname, width)
    problems = {}
    for gd in v.page.query_selector_all(".plotly-graph-div"):
        if not v.page.evaluate(JS_HAS_SLIDER, gd):
            continue
        info = v.page.evaluate(JS_STEP_BAR, gd)
        fid, frames = figure_id(v.page, gd), info["frames"]
        if info["shown"] == len(frames):
            if info["hasBar"]:
                problems[fid] = ["a step bar under a slider that shows every step"]
            continue
        if not info["hasBar"] or info["valueShown"]:
            problems[fid] = [f"{info['shown']} of {len(frames)} steps on the slider, no step bar"]
            continue
        found = []
        if info["staleValue"]:
            found.append("a current value is still drawn on the slider, which names no frame")
        bar = gd.evaluate_handle("gd => gd.nextElementSibling")
        bar.scroll_into_view_if_needed()
        while bar.query_selector('[data-step="-1"]').is_enabled():
            bar.query_selector('[data-step="-1"]').click()
        for k, name in enumerate(frames):
            if k:
                bar.query_selector('[data-step="1"]').click()
                v.page.wait_for_function(
                    "([bar, name]) => bar.dataset.frame === name", arg=[bar, name], timeout=5000
                )
            label = bar.query_selector(".memgen-steps-label").inner_text()
            if not label.startswith(f"{k + 1} of {len(frames)}"):
                found.append(f"frame {name}: the bar reads {label!r}")
            if not v.page.evaluate(JS_DRAWN_IS_FRAME, [gd, name]):
                found.append(f"frame {name}: the drawn traces are not the frame's")
        if bar.query_selector('[data-step="1"]').is_enabled():
            found.append("the next button is still enabled on the last frame")
        if found:
            problems[fid] = found
    assert not problems, _report(v, problems)


def test_page_does_not_scroll_sideways(visit, docname, width):
    v = visit(docname, width)
    found = v.page.evaluate(JS_PAGE_OVERFLOW)
    assert not found, _report(v, {"page": found})


def test_mode_bar_hidden_on_a_phone(visit, docname):
    v = visit(docname, 390)
    shown = []
    for gd in v.page.query_selector_all(".plotly-graph-div")[:3]:
        gd.scroll_into_view_if_needed()
        gd.hover()  # plotly shows its mode bar on hover
        if v.page.evaluate(
            """gd => [...gd.querySelectorAll('.modebar')].some(m => {
                 const r = m.getBoundingClientRect();
                 return r.width > 0 && getComputedStyle(m).display !== 'none' &&
                   getComputedStyle(m.closest('.modebar-container') || m).display !== 'none' &&
                   getComputedStyle(m).opacity !== '0'; })""",
            gd,
        ):
            shown.append(figure_id(v.page, gd))
    assert not shown, f"{v.url} at 390 px: the mode bar shows over {shown}"


# --- the checks find the defects they name ---------------------------------------------------

PLOTLY_JS = HTML_DIR / "_static" / "plotly" / "plotly-cartesian.min.js"
VENDOR_PLOTLY_JS = ROOT / "_vendor" / "plotly" / "plotly-cartesian.min.js"


def _steps(names):
    return render.slider_steps(names)


def _broken_figures() -> dict[str, go.Figure]:
    """One figure per defect, each drawn as plotly draws it (no help from the book's loader)."""
    figs = {}
    # a fixed y range that the second frame leaves (chapter 2's bug: units outside the x-range)
    out = go.Figure(
        data=[go.Scatter(x=[0, 1, 2], y=[0.1, 0.5, 0.9])],
        frames=[
            go.Frame(name="a", data=[go.Scatter(x=[0, 1, 2], y=[0.1, 0.5, 0.9])]),
            go.Frame(name="b", data=[go.Scatter(x=[0, 1, 2], y=[0.2, 3.0, 5.0])]),
        ],
    )
    out.update_layout(
        yaxis_range=[0, 1], sliders=[{"active": 0, "steps": _steps(["a", "b"])}], height=400
    )
    figs["out_of_view"] = out
    # a title that starts near the right edge: most of it is cut off
    clipped = go.Figure(go.Scatter(y=[1, 2, 3]))
    clipped.update_layout(
        title={"text": "A title pushed off the right edge", "x": 0.9, "xanchor": "left"},
        height=300,
    )
    figs["clipped_title"] = clipped
    # two subplot titles drawn on top of each other
    overlap = go.Figure(go.Scatter(y=[1, 2, 3]))
    overlap.update_layout(
        height=300,
        annotations=[
            {
                "text": "Spiky representation",
                "x": x,
                "y": 1.02,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "yanchor": "bottom",
                "font": {"size": 16},
            }
            for x in (0.45, 0.55)
        ],
    )
    figs["overlapping_titles"] = overlap
    # 40 steps in a third of the width
    names = [str(k) for k in range(40)]
    narrow = go.Figure(
        data=[go.Scatter(y=[0, 1])],
        frames=[go.Frame(name=n, data=[go.Scatter(y=[0, 1 + int(n)])]) for n in names],
    )
    narrow.update_layout(
        sliders=[{"active": 0, "len": 0.3, "steps": _steps(names)}],
        yaxis_range=[0, 41],
        height=400,
    )
    figs["narrow_slider"] = narrow
    # 20 x 20 printed values in a phone-width heat map
    z = [[(i * 20 + j) / 7 for j in range(20)] for i in range(20)]
    figs["crowded_heatmap"] = go.Figure(
        go.Heatmap(z=z, texttemplate="%{z:.2f}", textfont={"size": 12}),
        layout={"height": 400},
    )
    # a slider whose second step draws the same picture as its first
    same = go.Figure(
        data=[go.Scatter(y=[1, 2, 3])],
        frames=[go.Frame(name=n, data=[go.Scatter(y=[1, 2, 3])]) for n in ("a", "b")],
    )
    same.update_layout(
        sliders=[{"active": 0, "steps": _steps(["a", "b"])}], yaxis_range=[0, 4], height=400
    )
    figs["inert_slider"] = same
    # a panel whose axes lost their domains (a dict.update that replaced a whole axis): it covers
    # the panel above it
    panels = make_subplots(rows=2, cols=1)
    panels.add_trace(go.Heatmap(z=[[1, 2], [3, 4]]), row=1, col=1)
    panels.add_trace(go.Bar(y=[1, 3]), row=2, col=1)
    panels.update_layout(height=400, yaxis2={"range": [0, 4]})
    panels.layout.yaxis2.domain = None
    figs["overlapping_panels"] = panels
    # a legend put right below the plot, on the x tick labels
    legend = go.Figure([go.Scatter(y=[1, 2], name="first"), go.Scatter(y=[2, 1], name="second")])
    legend.update_layout(height=300, legend={"orientation": "h", "x": 0, "y": 0, "yanchor": "top"})
    figs["legend_on_ticks"] = legend
    # a log axis with plotly's own ticks over 1.5 decades: its minor ticks read "2", "5"; and the
    # same data with render.log_ticks
    minor = go.Figure(go.Scatter(x=[1, 3, 10, 30], y=[1, 2, 3, 4]))
    minor.update_xaxes(type="log")
    minor.update_layout(height=300)
    figs["minor_log_ticks"] = minor
    ticked = go.Figure(go.Scatter(x=[1, 3, 10, 30], y=[1, 2, 3, 4]))
    ticked.update_xaxes(type="log", **render.log_ticks(1, 30))
    ticked.update_layout(height=300)
    figs["labelled_log_ticks"] = ticked
    # well made: slider_figure fits every axis to every frame
    figs["good"] = render.slider_figure(
        [
            {"name": f"k={k}", "traces": [go.Scatter(x=[0, 1, 2], y=[0, k, 2 * k], name="line")]}
            for k in (1, 5, 25)
        ],
        prefix="k: ",
        layout={"title": "A well-made slider figure", "height": 420},
    )
    return figs


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory):
    """A page with every broken figure (ids are their names), a wide bare table and a wide table
    in a scroll box, and the function ``window.drawAll()``."""
    plotly_js = PLOTLY_JS if PLOTLY_JS.is_file() else VENDOR_PLOTLY_JS
    if not plotly_js.is_file():
        pytest.fail(f"{plotly_js} is missing: run `make book` first", pytrace=False)
    figs = {name: json.loads(fig.to_json()) for name, fig in _broken_figures().items()}
    divs = "\n".join(
        f'<div id="{name}" class="plotly-graph-div" style="width:100%"></div>' for name in figs
    )
    cells = "".join(f"<td>column{k}</td>" for k in range(12))
    html = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="{plotly_js.as_uri()}"></script></head>
<body style="margin:0"><article class="bd-article" style="padding:0 20px">
{divs}
<table id="bare"><tr>{cells}</tr></table>
<div style="overflow-x:auto"><table id="boxed"><tr>{cells}</tr></table></div>
</article>
<script>
const FIGS = {json.dumps(figs)};
window.drawAll = async () => {{
  for (const [id, f] of Object.entries(FIGS)) {{
    const gd = document.getElementById(id);
    await Plotly.newPlot(gd, f.data, f.layout, {{responsive: true}});
    if (f.frames && f.frames.length) {{ await Plotly.addFrames(gd, f.frames); }}
  }}
  return true;
}};
</script></body></html>"""
    path = tmp_path_factory.mktemp("broken") / "broken.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=[1280, 390], ids=["1280px", "390px"])
def broken(browser, fixture_page, request):
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.goto(fixture_page.as_uri())
    page.evaluate("() => window.drawAll()")
    yield page, width
    context.close()


def _gd(page, name):
    return page.query_selector(f"#{name}")


def test_check_finds_a_frame_out_of_view(broken):
    page, _ = broken
    found = page.evaluate(JS_FRAMES_IN_VIEW, _gd(page, "out_of_view"))
    assert len(found) == 1 and "step 1 (b)" in found[0] and "2 of 3 y values" in found[0], found
    assert page.evaluate(JS_FRAMES_IN_VIEW, _gd(page, "good")) == []


def test_check_finds_a_clipped_title(broken):
    page, _ = broken
    found = page.evaluate(JS_TEXT_CLIPPED, _gd(page, "clipped_title"))
    assert any(p.startswith('figure title "A title pushed') and "right of" in p for p in found), (
        found
    )


def test_check_finds_overlapping_subplot_titles(broken):
    page, _ = broken
    found = page.evaluate(JS_TITLES_OVERLAP, _gd(page, "overlapping_titles"))
    assert len(found) == 1 and "overlap" in found[0], found


def test_check_finds_overlapping_panels(broken):
    page, _ = broken
    found = page.evaluate(JS_PANELS_OVERLAP, _gd(page, "overlapping_panels"))
    assert len(found) == 1 and "panels xy and x2y2 overlap" in found[0], found


def test_check_finds_a_legend_on_the_tick_labels(broken):
    page, _ = broken
    found = page.evaluate(JS_LEGEND_COVERS_TEXT, _gd(page, "legend_on_ticks"))
    assert found and all("the legend covers" in p for p in found), found


def test_check_finds_a_slider_too_narrow_for_its_steps(broken):
    page, _ = broken
    found = page.evaluate(JS_SLIDER_WIDTH, _gd(page, "narrow_slider"))
    assert len(found) == 1 and "40 steps" in found[0], found


def test_check_finds_overprinted_heatmap_values(broken):
    page, width = broken
    found = page.evaluate(JS_HEATMAP_LABELS, _gd(page, "crowded_heatmap"))
    if width == 390:
        assert found and "overprint" in found[0], found
    else:
        assert found == [], found  # 20 columns of "12.34" fit in 1240 px


def test_check_finds_a_slider_that_changes_nothing(broken):
    page, _ = broken
    found = slider_step_changes_plot(page, _gd(page, "inert_slider"))
    assert found and "unchanged" in found, found
    assert slider_step_changes_plot(page, _gd(page, "narrow_slider")) is None


def test_check_finds_a_table_that_makes_the_page_scroll(broken):
    page, width = broken
    found = page.evaluate(JS_PAGE_OVERFLOW)
    if width == 390:
        assert any("scrolls sideways" in p for p in found), found
        assert any('"column0' in p for p in found), found  # the bare table, not the boxed one
        assert len([p for p in found if "does not scroll in its own box" in p]) == 1, found
    else:
        assert found == [], found


def test_check_finds_bare_minor_digits_on_a_log_axis(broken):
    page, _ = broken
    found = page.evaluate(JS_LOG_TICKS, _gd(page, "minor_log_ticks"))
    assert found and 'reads "2"' in " ".join(found), found
    assert page.evaluate(JS_LOG_TICKS, _gd(page, "labelled_log_ticks")) == []


def test_a_well_made_figure_passes_every_check(broken):
    page, _ = broken
    assert figure_problems(page, _gd(page, "good"), FIGURE_CHECKS) == []
    assert slider_step_changes_plot(page, _gd(page, "good")) is None


# --- one search box, no live-code configuration ------------------------------------------------

JS_SEARCH_FIELDS = """() => [...document.querySelectorAll('.search-button-field, form.bd-search')]
  .filter(el => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; }).length"""


def test_one_search_box(visit, docname, width):
    v = visit(docname, width)
    n = v.page.evaluate(JS_SEARCH_FIELDS)
    assert n <= 1, f"{v.url} at {width} px shows {n} search boxes"


def test_no_thebe_or_binder_configuration_on_the_pages():
    pages = sorted(HTML_DIR.rglob("*.html"))
    assert pages, f"no pages under {HTML_DIR}"
    found = [
        str(p.relative_to(HTML_DIR))
        for p in pages
        if p.relative_to(HTML_DIR).parts[0] != "_static"
        and re.search(r"thebe|binder", p.read_text(encoding="utf-8"), re.I)
    ]
    assert not found, f"pages with a thebe or binder configuration: {found[:10]}"
