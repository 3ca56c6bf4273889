"""What a reader sees in a plotly figure, measured in the browser (no pytest fixtures here).

Each ``JS_*`` function takes a figure's ``div.plotly-graph-div`` (or, for the page checks, nothing)
and returns a list of problems, each a short sentence; an empty list means the figure reads well.
:func:`figure_problems` runs them all on one figure. They are used on every page of the built site
(``test_reader.py``, at 1280 px and 390 px) and on deliberately broken figures (the same file's unit
tests), so that each check is known to fail on the defect it names.

- :data:`JS_FRAMES_IN_VIEW`: for a figure with frames (or a slider), every frame's data lies inside
  the axis ranges drawn for that frame (steps through every frame, then returns to the first);
- :data:`JS_TEXT_CLIPPED`: no title, axis title, subplot title, tick label, colour-bar or slider
  text leaves the figure or the window;
- :data:`JS_TITLES_OVERLAP`: no two subplot titles (nor the figure title) overlap;
- :data:`JS_PANELS_OVERLAP`: no subplot's plot area lies on another's;
- :data:`JS_LEGEND_COVERS_TEXT`: the legend covers no tick label, title or slider;
- :data:`JS_SLIDER_WIDTH`: every slider gives each step at least :data:`MIN_STEP_PX`;
- :data:`JS_HEATMAP_LABELS`: printed heat-map values are at least :data:`MIN_LABEL_PX` high and
  do not overprint their neighbours;
- :data:`JS_LOG_TICKS`: every labelled tick of a log axis reads its own value (no bare minor
  digits such as "2 5" between the decades);
- :data:`JS_PAGE_OVERFLOW`: the page itself never scrolls sideways; a table, equation or code
  block wider than the text scrolls inside its own box.
"""

from __future__ import annotations

#: Smallest rail length per slider step (px): WCAG 2.2's minimum target size (2.5.8) is 24 px.
MIN_STEP_PX = 24
#: Smallest printed heat-map value (px of font size).
MIN_LABEL_PX = 8

# The values of a trace along one axis, as drawn (decoded typed arrays of gd._fullData), and the
# range the axis was drawn with (log axes: in log10 units, as plotly stores them).
_JS_AXIS_HELPERS = """
  const axisOf = (gd, trace, letter) => {
    const ref = trace[letter + 'axis'] || letter;
    return gd._fullLayout[letter + 'axis' + ref.slice(1)];
  };
  const numeric = (ax) => ax && ['linear', 'log'].includes(ax.type);
  const values = (trace, letter) => {
    const t = trace.type;
    const horizontal = trace.orientation === 'h';
    let key = letter;
    if (t === 'heatmap' || t === 'image' || t === 'histogram' || t === 'histogram2d' ||
        t === 'contour' || t === 'box' || t === 'violin') {
      if (t !== 'heatmap' && t !== 'contour') { return []; }
      // heat-map cells: their centres (given as x / y); implicit indices always fit
      if (!trace[key] || trace[key].length === undefined) { return []; }
    }
    let a = trace[key];
    if (!a || a.length === undefined || typeof a === 'string') { return []; }
    const out = [];
    for (let i = 0; i < a.length; i++) {
      let v = a[i];
      if (v && v.length !== undefined && typeof v !== 'string') {  // 2-D (heat-map z etc.)
        for (let j = 0; j < v.length; j++) { out.push(+v[j]); }
        continue;
      }
      if (t === 'bar' && ((letter === 'y' && !horizontal) || (letter === 'x' && horizontal))) {
        const base = trace.base;
        const b = (base === undefined || base === null) ? 0
          : (base.length !== undefined ? +base[i] : +base);
        out.push(b + (+v));
        continue;
      }
      out.push(+v);
    }
    return out.filter(Number.isFinite);
  };
  const outside = (gd) => {
    const found = [];
    gd._fullData.forEach((trace, index) => {
      if (trace.visible !== true) { return; }
      ['x', 'y'].forEach(letter => {
        const ax = axisOf(gd, trace, letter);
        if (!numeric(ax) || !ax.range) { return; }
        let lo = Math.min(+ax.range[0], +ax.range[1]);
        let hi = Math.max(+ax.range[0], +ax.range[1]);
        const tol = 1e-6 * Math.max(hi - lo, 1e-12);
        let vals = values(trace, letter);
        if (ax.type === 'log') { vals = vals.filter(v => v > 0).map(Math.log10); }
        const bad = vals.filter(v => v < lo - tol || v > hi + tol);
        if (bad.length) {
          found.push(`trace ${index} (${trace.name || trace.type}): ${bad.length} of ${vals.length} ` +
            `${letter} values outside the drawn ${ax._name} range [${lo.toPrecision(3)}, ` +
            `${hi.toPrecision(3)}]` + (ax.type === 'log' ? ' (log10)' : '') +
            ` (e.g. ${bad[0].toPrecision(3)})`);
        }
      });
    });
    return found;
  };
"""

JS_FRAMES_IN_VIEW = (
    """async (gd) => {"""
    + _JS_AXIS_HELPERS
    + """
  const problems = outside(gd).map(p => 'as first drawn: ' + p);
  const frames = (gd._transitionData && gd._transitionData._frames) || [];
  const slider = gd.layout.sliders && gd.layout.sliders[0];
  if (!frames.length && !slider) { return problems; }
  const settle = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const steps = slider ? slider.steps : frames.map(f => ({method: 'animate',
    args: [[f.name], {mode: 'immediate', frame: {duration: 0, redraw: true},
    transition: {duration: 0}}], label: f.name}));
  const start = slider ? (slider.active || 0) : 0;
  const go = async (i) => {
    const s = steps[i];
    if (s.method === 'animate') {
      const opts = Object.assign({}, s.args[1] || {}, {mode: 'immediate',
        transition: {duration: 0}, frame: {duration: 0, redraw: true}});
      await Plotly.animate(gd, s.args[0], opts);
    } else if (s.method && s.method !== 'skip') {
      await Plotly[s.method](gd, ...s.args);
    }
    if (slider) { await Plotly.relayout(gd, {'sliders[0].active': i}); }
    await settle();
  };
  for (let i = 0; i < steps.length; i++) {
    await go(i);
    outside(gd).forEach(p => problems.push(`step ${i} (${steps[i].label}): ${p}`));
  }
  await go(start);
  return problems;
}"""
)

# Every text a reader should be able to read whole: figure title, axis titles, subplot titles
# and other annotations, tick labels, colour-bar titles and ticks, slider labels and the
# slider's current value, legend entries. The figure's own box (its outer svg) and the window.
JS_TEXT_CLIPPED = """(gd) => {
  const svg = gd.querySelector('.main-svg');
  if (!svg) { return ['not drawn']; }
  const fig = svg.getBoundingClientRect();
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const kinds = [
    ['figure title', '.g-gtitle text'],
    ['axis title', '[class*="title"] > text[class$="title"]:not(.gtitle)'],
    ['subplot title or annotation', '.annotation-text-g text'],
    ['tick label', '.xtick text, .ytick text, [class*="tick"] > text'],
    ['colour bar', '.colorbar text'],
    ['slider label', '.slider-container text'],
    ['legend entry', '.legend text'],
  ];
  const seen = new Set();
  for (const [kind, sel] of kinds) {
    for (const el of gd.querySelectorAll(sel)) {
      if (seen.has(el)) { continue; }
      seen.add(el);
      const r = el.getBoundingClientRect();
      if (!(r.width > 0 && r.height > 0)) { continue; }
      if (getComputedStyle(el).display === 'none' || getComputedStyle(el).visibility === 'hidden') {
        continue;
      }
      if (el.closest('.hoverlayer')) { continue; }
      const tol = 1.5;
      const out = [];
      if (r.left < fig.left - tol) { out.push(`${Math.round(fig.left - r.left)} px left of the figure`); }
      if (r.right > fig.right + tol) { out.push(`${Math.round(r.right - fig.right)} px right of the figure`); }
      if (r.top < fig.top - tol) { out.push(`${Math.round(fig.top - r.top)} px above the figure`); }
      if (r.bottom > fig.bottom + tol) { out.push(`${Math.round(r.bottom - fig.bottom)} px below the figure`); }
      if (r.left < -tol || r.right > vw + tol) { out.push('outside the window'); }
      if (out.length) {
        problems.push(`${kind} "${el.textContent.slice(0, 40)}": ${out.join(', ')}`);
      }
    }
  }
  return problems;
}"""

# Subplot titles: the figure's paper-referenced annotations above their plots (make_subplots'),
# and the figure title; their drawn boxes must not intersect.
JS_TITLES_OVERLAP = """(gd) => {
  const boxes = [];
  const anns = (gd._fullLayout && gd._fullLayout.annotations) || [];
  gd.querySelectorAll('.annotation').forEach(g => {
    const i = +g.getAttribute('data-index');
    const a = anns[i];
    if (!a || a.xref !== 'paper' || a.yref !== 'paper' || a.showarrow) { return; }
    const t = g.querySelector('.annotation-text-g text') || g;
    const r = t.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) { boxes.push({name: `subplot title "${t.textContent.slice(0, 30)}"`, r}); }
  });
  const title = gd.querySelector('.g-gtitle text');
  if (title) {
    const r = title.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) { boxes.push({name: `figure title "${title.textContent.slice(0, 30)}"`, r}); }
  }
  const problems = [];
  const tol = 1;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r, b = boxes[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > tol && h > tol) {
        problems.push(`${boxes[i].name} and ${boxes[j].name} overlap (${Math.round(w)} x ${Math.round(h)} px)`);
      }
    }
  }
  return problems;
}"""

JS_SLIDER_WIDTH = f"""(gd) => {{
  const problems = [];
  const sliders = (gd.layout && gd.layout.sliders) || [];
  gd.querySelectorAll('.slider-container').forEach((c, k) => {{
    const rail = c.querySelector('.slider-rail-rect');
    const n = sliders[k] ? sliders[k].steps.length : 0;
    if (!rail || n < 2) {{ return; }}
    const w = rail.getBoundingClientRect().width;
    const per = w / (n - 1);
    if (per < {MIN_STEP_PX}) {{
      problems.push(`slider ${{k}}: ${{Math.round(w)}} px for ${{n}} steps (${{per.toFixed(1)}} px per step, ` +
        `at least {MIN_STEP_PX} needed)`);
    }}
  }});
  return problems;
}}"""

# Printed heat-map values (texttemplate): plotly draws them as <text> in the heat-map layer.
JS_HEATMAP_LABELS = f"""(gd) => {{
  const problems = [];
  gd.querySelectorAll('.heatmaplayer .hm, .heatmaplayer > g').forEach((g, k) => {{
    const texts = [...g.querySelectorAll('text')].filter(t => t.textContent.trim());
    if (!texts.length) {{ return; }}
    const boxes = texts.map(t => ({{t, r: t.getBoundingClientRect(),
      size: parseFloat(getComputedStyle(t).fontSize)}}));
    const small = boxes.filter(b => b.size < {MIN_LABEL_PX});
    if (small.length) {{
      problems.push(`heat map ${{k}}: ${{small.length}} values printed below {MIN_LABEL_PX} px ` +
        `(${{small[0].size}} px)`);
    }}
    const rows = {{}};
    boxes.forEach(b => {{ (rows[Math.round((b.r.top + b.r.bottom) / 2)] ||= []).push(b); }});
    let overlaps = 0, example = '';
    Object.values(rows).forEach(row => {{
      row.sort((a, b) => a.r.left - b.r.left);
      for (let i = 1; i < row.length; i++) {{
        if (row[i].r.left < row[i - 1].r.right - 0.5) {{
          overlaps += 1;
          example = example || `"${{row[i - 1].t.textContent}}" and "${{row[i].t.textContent}}"`;
        }}
      }}
    }});
    if (overlaps) {{
      problems.push(`heat map ${{k}}: ${{overlaps}} printed values overprint their neighbour (${{example}})`);
    }}
  }});
  return problems;
}}"""

# The page: nothing makes the window scroll sideways, and a table, display equation or code block
# wider than the text column sits in a box that scrolls (overflow-x auto or scroll) within it.
JS_PAGE_OVERFLOW = """() => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  const sw = document.scrollingElement.scrollWidth;
  if (sw > vw + 1) {
    problems.push(`the page scrolls sideways: ${sw} px wide in a ${vw} px window`);
  }
  const main = document.querySelector('.bd-main') || document.querySelector('main') || document.body;
  const article = main.querySelector('article') || main;
  const right = Math.min(article.getBoundingClientRect().right, vw);
  const describe = (el) => `${el.tagName.toLowerCase()}${el.classList.length ? '.' + [...el.classList].slice(0, 2).join('.') : ''} ` +
    `"${el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40)}"`;
  // anything in the main column that runs past the window and does not scroll in a box of its own
  // is cut off (the body clips it) or makes the page scroll
  const seen = new Set();
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0) || r.right <= vw + 1) { continue; }
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.position === 'fixed') { continue; }
    // MathJax's copy for screen readers is clipped to 1 px on purpose; a formula counts as one
    // (plotly figures have checks of their own: JS_TEXT_CLIPPED)
    if (el.closest('mjx-assistive-mml') || el.closest('.plotly-graph-div') ||
        (el.parentElement && el.parentElement.closest('mjx-container'))) {
      continue;
    }
    let scrolls = false, cut = null;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if ((o === 'auto' || o === 'scroll') && p.getBoundingClientRect().right <= vw + 1) { scrolls = true; break; }
      if ((o === 'hidden' || o === 'clip') && p.getBoundingClientRect().right <= vw + 1) { cut = p; break; }
    }
    if (scrolls || seen.has(el.parentElement)) { seen.add(el); continue; }
    seen.add(el);
    problems.push(`${describe(el)} runs ${Math.round(r.right - vw)} px past the window` +
      (cut ? ` and is cut off by ${cut.tagName.toLowerCase()}.${[...cut.classList].slice(0, 2).join('.')}` : ''));
    if (problems.length > 8) { break; }
  }
  // a table, display equation or code block wider than the text column scrolls in its own box
  const sel = 'table, mjx-container, div.math, div.highlight pre, .cell_output pre';
  for (const el of article.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0) || r.right <= right + 1) { continue; }
    let box = null;
    const own = getComputedStyle(el).overflowX;
    if (own === 'auto' || own === 'scroll') { box = el; }
    for (let p = el.parentElement; !box && p && p !== article.parentElement; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') { box = p; }
    }
    if (!box || box.getBoundingClientRect().right > right + 1) {
      problems.push(`${describe(el)} runs ${Math.round(r.right - right)} px past the text column and ` +
        'does not scroll in its own box');
    }
  }
  return problems;
}"""

# Panels: the plot areas of a figure's subplots (overlaid axes share one) must not intersect, or
# one panel's background hides the other (chapter 2's bar panel once covered its image tiles).
JS_PANELS_OVERLAP = """(gd) => {
  const plots = (gd._fullLayout && gd._fullLayout._plots) || {};
  const rects = Object.entries(plots).filter(([id, p]) => p.xaxis && p.yaxis &&
      !p.xaxis.overlaying && !p.yaxis.overlaying)
    .map(([id, p]) => ({id, l: p.xaxis._offset, r: p.xaxis._offset + p.xaxis._length,
      t: p.yaxis._offset, b: p.yaxis._offset + p.yaxis._length}))
    .filter(q => q.r - q.l > 0 && q.b - q.t > 0);
  const problems = [];
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i], b = rects[j];
      const w = Math.min(a.r, b.r) - Math.max(a.l, b.l);
      const h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
      if (w > 1 && h > 1) {
        problems.push(`panels ${a.id} and ${b.id} overlap (${Math.round(w)} x ${Math.round(h)} px)`);
      }
    }
  }
  return problems;
}"""

# The legend must not sit on axis labels, titles or the slider (on a phone it moves below the
# plots, where rotated tick labels are).
JS_LEGEND_COVERS_TEXT = """(gd) => {
  const legend = gd.querySelector('.legend .bg') || gd.querySelector('.legend');
  if (!legend) { return []; }
  const L = legend.getBoundingClientRect();
  if (!(L.width > 0 && L.height > 0)) { return []; }
  const sel = '.xtick text, .ytick text, .g-gtitle text, [class*="title"] > text[class$="title"], ' +
    '.annotation-text-g text, .slider-container';
  const problems = [];
  for (const el of gd.querySelectorAll(sel)) {
    if (el.closest('.legend')) { continue; }
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0) || getComputedStyle(el).display === 'none') { continue; }
    const w = Math.min(L.right, r.right) - Math.max(L.left, r.left);
    const h = Math.min(L.bottom, r.bottom) - Math.max(L.top, r.top);
    if (w > 1 && h > 1) {
      const name = el.classList.contains('slider-container') ? 'the slider'
        : `"${el.textContent.slice(0, 30)}"`;
      problems.push(`the legend covers ${name} (${Math.round(w)} x ${Math.round(h)} px)`);
    }
  }
  return problems.slice(0, 6);
}"""

JS_LOG_TICKS = r"""(gd) => {
  const problems = [];
  const fl = gd._fullLayout || {};
  Object.keys(fl).filter(k => /^[xy]axis\d*$/.test(k) && fl[k] && fl[k].type === 'log')
    .forEach(k => {
      (fl[k]._vals || []).forEach(t => {
        const text = String(t.text || '').replace(/<[^>]*>/g, '').replace('\u2212', '-').trim();
        if (!text) { return; }
        const v = parseFloat(text), at = Math.pow(10, t.x);
        if (!(Math.abs(v / at - 1) < 0.02)) {
          problems.push(`${k}: the tick at ${at.toPrecision(3)} reads "${text}"`);
        }
      });
    });
  return problems.slice(0, 6);
}"""

FIGURE_CHECKS = {
    "text clipped": JS_TEXT_CLIPPED,
    "titles overlap": JS_TITLES_OVERLAP,
    "panels overlap": JS_PANELS_OVERLAP,
    "legend covers text": JS_LEGEND_COVERS_TEXT,
    "slider too narrow": JS_SLIDER_WIDTH,
    "heat-map labels": JS_HEATMAP_LABELS,
    "log tick labels": JS_LOG_TICKS,
}


def figure_id(page, gd) -> str:
    return page.evaluate("gd => gd.id || '(no id)'", gd)


def figure_problems(page, gd, checks=FIGURE_CHECKS) -> list[str]:
    """Every problem the static checks find in one drawn figure, each prefixed with its check."""
    out = []
    for name, js in checks.items():
        out += [f"{name}: {p}" for p in page.evaluate(js, gd)]
    return out


JS_PLOT_AREA = """gd => {
  const s = gd._fullLayout._size, r = gd.getBoundingClientRect();
  return {x: r.left + s.l, y: r.top + s.t, width: s.w, height: s.h};
}"""

# A fingerprint of what the plot area draws: the markup of the traces' layers (heat maps are
# <image> elements whose data URL changes with the picture).
JS_PLOT_MARKUP = """gd => [...gd.querySelectorAll('.cartesianlayer .plot, .imagelayer, .heatmaplayer')]
  .map(el => el.innerHTML).join('|')"""


def slider_step_changes_plot(page, gd) -> str | None:
    """Click the far end of the figure's first slider; None if the drawn plot area changed (the
    pixels inside it, screenshotted before and after), else what went wrong. The figure is put
    back on its first step afterwards."""
    n_steps = page.evaluate("gd => gd.layout.sliders[0].steps.length", gd)
    start = page.evaluate("gd => gd.layout.sliders[0].active || 0", gd)
    rail = gd.query_selector(".slider-container .slider-rail-touch-rect")
    if rail is None:
        return "the slider has no rail"
    gd.scroll_into_view_if_needed()
    rail.scroll_into_view_if_needed()  # a figure taller than the window: its slider in view
    area = page.evaluate(JS_PLOT_AREA, gd)
    vp = page.viewport_size
    clip = {
        "x": max(0.0, area["x"]),
        "y": max(0.0, area["y"]),
        "width": min(area["width"], vp["width"] - max(0.0, area["x"])),
        "height": min(area["height"], vp["height"] - max(0.0, area["y"])),
    }
    if clip["width"] < 10 or clip["height"] < 10:
        return f"the plot area is not on screen ({area})"
    before_px = page.screenshot(clip=clip)
    before_markup = page.evaluate(JS_PLOT_MARKUP, gd)
    target = n_steps - 1 if start != n_steps - 1 else 0
    box = rail.bounding_box()
    x = box["x"] + (box["width"] - 2 if target else 2)
    page.mouse.click(x, box["y"] + box["height"] / 2)
    try:
        page.wait_for_function(
            "([gd, t]) => gd.layout.sliders[0].active === t", arg=[gd, target], timeout=10_000
        )
    except Exception:  # noqa: BLE001 - reported below
        return f"clicking the end of the slider did not move it to step {target}"
    try:
        page.wait_for_function(
            f"([gd, prev]) => ({JS_PLOT_MARKUP})(gd) !== prev",
            arg=[gd, before_markup],
            timeout=10_000,
        )
    except Exception:  # noqa: BLE001 - the pixels decide below
        pass
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    after_px = page.screenshot(clip=clip)
    # back to the first step, so that the other checks see the figure as a reader first does
    page.evaluate(
        """async ([gd, i]) => { const s = gd.layout.sliders[0].steps[i];
          await Plotly.animate(gd, s.args[0], {mode: 'immediate', frame: {duration: 0,
            redraw: true}, transition: {duration: 0}});
          await Plotly.relayout(gd, {'sliders[0].active': i}); }""",
        [gd, start],
    )
    if before_px == after_px:
        return f"moving the slider to step {target} left the plot area's pixels unchanged"
    return None
