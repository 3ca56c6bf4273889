// memgen-figures.js: draws the book's plotly figures (memgen.views.render.BookHtmlRenderer).
//
// Every figure is an empty <div class="memgen-figure"> followed by its JSON in
// <script type="application/json" class="memgen-figure-data" data-for="DIV-ID">:
// {data, layout, frames, config, narrow}. This script and plotly.js are loaded deferred (the
// text paints first); figures are drawn one per task, those on screen first. A figure narrower
// than BREAKPOINT is drawn with its narrow patch (memgen.views.responsive: panels stacked, image
// grids reflowed, heat-map labels that would not fit dropped), its slider across the full width
// and no mode bar. At every width, figure, subplot and axis titles too long for their space are
// wrapped onto more lines, and slider step labels that would overprint are thinned out. After the
// first drawing, faults that only show once plotly has laid the figure out (a title that overlaps
// a subplot title or sticks out of the figure, a legend on the tick labels, heat-map values shrunk
// below 8 px, a slider with less than 24 px per step) are measured and the figure is drawn once
// more without them (see measure()). Frames never autoplay. Everything is deterministic and needs no network.
(function () {
  "use strict";

  var BREAKPOINT = 640; // px of figure width below which a figure is drawn narrow
  var RESIZE_MS = 250;
  var specs = {}; // div id -> {spec, state}

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  function get(obj, path) {
    var parts = path.split(".");
    for (var i = 0; i < parts.length; i++) {
      if (obj === undefined || obj === null) { return undefined; }
      obj = obj[parts[i]];
    }
    return obj;
  }

  // Set a Plotly.relayout-style path ("xaxis2.domain", "annotations[3].y") in a plain object.
  function setPath(obj, path, value) {
    var parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    for (var i = 0; i < parts.length - 1; i++) {
      var key = parts[i];
      if (obj[key] === undefined || obj[key] === null) {
        obj[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
      }
      obj = obj[key];
    }
    obj[parts[parts.length - 1]] = value;
  }

  // --- text measurement and wrapping --------------------------------------------------------

  var canvas = null;
  function textWidth(text, size, family) {
    canvas = canvas || document.createElement("canvas");
    var ctx = canvas.getContext("2d");
    ctx.font = size + "px " + (family || "Arial, Helvetica, sans-serif");
    return ctx.measureText(String(text).replace(/<[^>]+>/g, "")).width;
  }

  function wrap(text, maxPx, size, family) {
    if (typeof text !== "string" || !text) { return text; }
    var out = [];
    text.split(/<br\s*\/?>/i).forEach(function (line) {
      if (textWidth(line, size, family) <= maxPx) { out.push(line); return; }
      var words = line.split(" ");
      var cur = "";
      words.forEach(function (w) {
        var next = cur ? cur + " " + w : w;
        if (cur && textWidth(next, size, family) > maxPx) { out.push(cur); cur = w; } else { cur = next; }
      });
      if (cur) { out.push(cur); }
    });
    return out.join("<br>");
  }

  function lines(text) {
    return typeof text === "string" && text ? text.split(/<br\s*\/?>/i).length : 0;
  }

  function titleText(t) { return (t && typeof t === "object") ? t.text : t; }

  function fontOf(layout, path, fallback) {
    var size = get(layout, path + ".font.size") || get(layout, "template.layout." + path + ".font.size");
    var family = get(layout, path + ".font.family") || get(layout, "font.family") ||
      get(layout, "template.layout.font.family");
    return { size: size || fallback, family: family };
  }

  // --- the variant drawn at a given width ------------------------------------------------

  function plotArea(layout, width) {
    var m = layout.margin || {};
    var tm = get(layout, "template.layout.margin") || {};
    var l = m.l !== undefined ? m.l : (tm.l !== undefined ? tm.l : 80);
    var r = m.r !== undefined ? m.r : (tm.r !== undefined ? tm.r : 80);
    var t = m.t !== undefined ? m.t : (tm.t !== undefined ? tm.t : 100);
    var b = m.b !== undefined ? m.b : (tm.b !== undefined ? tm.b : 80);
    return { l: l, r: r, t: t, b: b, w: Math.max(50, width - l - r) };
  }

  function applyPatch(v, patch) {
    Object.keys(patch.layout || {}).forEach(function (k) { setPath(v.layout, k, clone(patch.layout[k])); });
    var traces = patch.traces || {};
    Object.keys(traces).forEach(function (i) {
      var targets = [v.data[+i]].concat(v.frames.map(function (f) { return (f.data || [])[+i]; }));
      targets.forEach(function (t) {
        if (!t) { return; }
        Object.keys(traces[i]).forEach(function (k) { setPath(t, k, clone(traces[i][k])); });
      });
    });
    // frames that carry annotations (per-frame subplot titles) get the same positions
    Object.keys(patch.layout || {}).forEach(function (k) {
      if (k.indexOf("annotations[") !== 0) { return; }
      v.frames.forEach(function (f) {
        if (f.layout && Array.isArray(f.layout.annotations)) { setPath(f.layout, k, patch.layout[k]); }
      });
    });
  }

  function wrapTitles(v, width) {
    var layout = v.layout;
    var area = plotArea(layout, width);
    // the figure title (and every frame's): wrapped to the figure, the top margin grown to fit
    var tf = fontOf(layout, "title", 17);
    var texts = [titleText(layout.title)].concat(v.frames.map(function (f) {
      return f.layout ? titleText(f.layout.title) : undefined;
    }));
    var before = Math.max.apply(null, texts.map(lines));
    var wrapped = texts.map(function (t) { return wrap(t, width - 24, tf.size, tf.family); });
    var after = Math.max.apply(null, wrapped.map(lines));
    if (after > before && before > 0) {
      var lineH = tf.size * 1.3;
      var extra = Math.ceil((after - before) * lineH);
      var topPx = Math.max(4, area.t / 2 - before * lineH / 2);
      layout.margin = layout.margin || {};
      layout.margin.t = area.t + extra;
      layout.height = (layout.height || 480) + extra;
      v.titleTopPx = topPx;
      var setTitle = function (holder, text) {
        var t = holder.title;
        holder.title = Object.assign({}, (t && typeof t === "object") ? t : {}, { text: text });
      };
      if (texts[0] !== undefined) { setTitle(layout, wrapped[0]); }
      v.frames.forEach(function (f, i) {
        if (f.layout && texts[i + 1] !== undefined) { setTitle(f.layout, wrapped[i + 1]); }
      });
      area.t = layout.margin.t;
    }
    var plotH = layout.height - area.t - area.b;
    // axis titles: wrapped to their axis' length
    Object.keys(layout).forEach(function (k) {
      var m = /^([xy])axis\d*$/.exec(k);
      if (!m || !layout[k] || !layout[k].title) { return; }
      var ax = layout[k];
      var text = titleText(ax.title);
      if (!text) { return; }
      var d = ax.domain || [0, 1];
      var len = (d[1] - d[0]) * (m[1] === "x" ? area.w : plotH);
      var f = fontOf(layout, k + ".title", 14);
      var w = wrap(text, Math.max(60, len - 8), f.size, f.family);
      if (w !== text) {
        ax.title = Object.assign({}, typeof ax.title === "object" ? ax.title : {}, { text: w });
      }
    });
    // subplot titles (make_subplots' annotations, centred above a plot): wrapped to the plot
    var wrapAnnotations = function (anns) {
      (anns || []).forEach(function (a) {
        if (!a || a.xref !== "paper" || a.yref !== "paper" || a.showarrow !== false || !a.text) { return; }
        var spaceFrac = 1;
        Object.keys(layout).forEach(function (k) {
          if (!/^xaxis\d*$/.test(k) || !layout[k]) { return; }
          var d = layout[k].domain || [0, 1];
          if (Math.abs((d[0] + d[1]) / 2 - a.x) < 1e-6) { spaceFrac = d[1] - d[0]; }
        });
        var size = get(a, "font.size") || 16;
        a.text = wrap(a.text, Math.max(40, 0.92 * spaceFrac * area.w), size, get(a, "font.family"));
      });
    };
    wrapAnnotations(layout.annotations);
    v.frames.forEach(function (f) { if (f.layout) { wrapAnnotations(f.layout.annotations); } });
  }

  // Narrow: the plot area takes the whole width (tick labels and axis titles still push the
  // margins out as far as they need: plotly's automargin), so sliders, which span the plot area,
  // keep a usable length per step.
  function narrowMargins(v) {
    var area = plotArea(v.layout, 0);
    v.layout.margin = Object.assign({}, v.layout.margin || {}, { l: Math.min(area.l, 12), r: Math.min(area.r, 12) });
    // a legend beside the plots would take a third of a phone's width: put it in rows, at the
    // figure's foot (above the plot area when a slider holds the foot)
    var legend = v.layout.legend || {};
    var shown = v.layout.showlegend !== false && v.data.filter(function (t) {
      return t.showlegend !== false && t.type !== "heatmap";
    }).length > 1;
    if (legend.orientation === "h" && (legend.x || 0) > 0) {
      v.layout.legend = Object.assign({}, legend, { x: 0, xanchor: "left" });  // rows use the width
    } else if (shown && legend.orientation !== "h") {
      v.layout.legend = Object.assign({}, legend, (v.layout.sliders || []).length ?
        { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" } :
        { orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom" });
    }
    (v.layout.sliders || []).forEach(function (s) {
      s.lenmode = "fraction";
      s.x = 0;
      s.len = 1;
      s.xanchor = "left";
    });
  }

  // A legend in rows above the plots (y >= 1, anchored at its bottom) grows upwards when a narrow
  // figure wraps it onto more rows: the top margin grows with it, so it never covers the title.
  function roomForTopLegend(v, width) {
    var legend = v.layout.legend || {};
    if (legend.orientation !== "h" || !(legend.y >= 1) || legend.yanchor !== "bottom") { return; }
    var f = fontOf(v.layout, "legend", 13);
    var entries = v.data.filter(function (t) { return t.showlegend !== false && t.name; });
    var rows = 1, used = 0, avail = width - 20;
    entries.forEach(function (t) {
      var w = 46 + textWidth(t.name, f.size, f.family);
      if (used && used + w > avail) { rows += 1; used = 0; }
      used += w;
    });
    if (rows > 1) {
      var extra = Math.ceil((rows - 1) * f.size * 1.6);
      var area = plotArea(v.layout, width);
      if (v.titleTopPx === undefined && titleText(v.layout.title)) {
        var tf = fontOf(v.layout, "title", 17);
        v.titleTopPx = Math.max(4, area.t / 2 - lines(titleText(v.layout.title)) * tf.size * 0.65);
      }
      v.layout.margin = Object.assign({}, v.layout.margin || {}, { t: area.t + extra });
      v.layout.height = (v.layout.height || 480) + extra;
    }
  }

  // A title that must not move when the top margin grows: anchored at its top, a fixed distance
  // (px) from the top of the figure, on the layout and on every frame that sets a title.
  function pinTitles(v) {
    if (v.titleTopPx === undefined) { return; }
    var pos = { y: 1 - v.titleTopPx / (v.layout.height || 480), yanchor: "top", yref: "container" };
    [v.layout].concat(v.frames.map(function (f) { return f.layout; })).forEach(function (holder) {
      if (!holder || holder.title === undefined) { return; }
      var t = holder.title;
      holder.title = Object.assign({}, (t && typeof t === "object") ? t : { text: t }, pos);
    });
  }

  // --- what the first drawing showed: fixes measured on the drawn figure ---------------------
  //
  // Some faults only show once plotly has laid a figure out (tick labels push the margins, text
  // is measured by the browser). After each drawing, measure() looks for them and returns the
  // adjustments below; the figure is drawn once more with them (never more than once per width):
  // - titleShift: the figure title sticks out above the figure: move it down, grow the top margin;
  // - topExtra: the figure title overlaps a subplot title or the legend: grow the top margin;
  // - bottomExtra, legendDy: a legend below the plots covers tick labels or axis titles: grow the
  //   bottom margin, and move a legend placed in plot fractions down by as much;
  // - dropText: heat maps whose printed values plotly had to shrink below MIN_LABEL_PX (the
  //   values stay in the hover text);
  // - stride: a slider gives each step less than MIN_STEP_PX: keep every stride-th step (the first,
  //   the last and the starting one always), so that each kept step is wide enough for a finger.
  var MIN_STEP_PX = 24;
  var MIN_LABEL_PX = 8;

  function overlap(a, b) {
    var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return (w > 1 && h > 1) ? h : 0;
  }

  function shown(el) {
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).display !== "none";
  }

  function measure(gd) {
    var adj = {};
    var svg = gd.querySelector(".main-svg");
    if (!svg) { return adj; }
    var fig = svg.getBoundingClientRect();
    var title = gd.querySelector(".g-gtitle text");
    var tbox = title && shown(title) ? title.getBoundingClientRect() : null;
    if (tbox && tbox.top < fig.top - 1) { adj.titleShift = Math.ceil(fig.top - tbox.top) + 4; }
    if (tbox) {
      var anns = (gd._fullLayout && gd._fullLayout.annotations) || [];
      var worst = 0;
      gd.querySelectorAll(".annotation").forEach(function (g) {
        var a = anns[+g.getAttribute("data-index")];
        var t = g.querySelector(".annotation-text-g text");
        if (!a || !t || a.showarrow || a.yref !== "paper" || !shown(t)) { return; }
        worst = Math.max(worst, overlap(tbox, t.getBoundingClientRect()));
      });
      var top = gd.querySelector(".legend .bg");
      if (top && shown(top)) { worst = Math.max(worst, overlap(tbox, top.getBoundingClientRect())); }
      if (worst) { adj.topExtra = Math.ceil(worst) + 6; }
    }
    var legend = gd.querySelector(".legend .bg");
    var size = gd._fullLayout && gd._fullLayout._size;
    if (legend && shown(legend) && size) {
      var L = legend.getBoundingClientRect();
      var plotBottom = gd.getBoundingClientRect().top + size.t + size.h;
      if (L.top >= plotBottom - 1) {
        var cover = 0;
        gd.querySelectorAll('.xtick text, [class*="xtitle"] > text').forEach(function (t) {
          if (!shown(t)) { return; }
          var r = t.getBoundingClientRect();
          if (overlap(L, r)) { cover = Math.max(cover, r.bottom - L.top); }
        });
        if (cover > 0) {
          var fl = gd._fullLayout.legend || {};
          if (fl.yref === "container") {
            adj.bottomExtra = Math.ceil(cover) + 6;  // the legend sits at the figure's foot
          } else {
            adj.legendDy = (Math.ceil(cover) + 6) / size.h;  // placed in plot fractions: move it
            adj.bottomExtra = Math.ceil(cover) + 6;
          }
        }
      }
    }
    var drop = [];
    gd.querySelectorAll(".heatmaplayer .hm").forEach(function (g, i) {
      var t = g.querySelector("text");
      if (t && t.textContent.trim() && parseFloat(getComputedStyle(t).fontSize) < MIN_LABEL_PX) {
        var trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
        drop.push(trace ? trace.index : i);
      }
    });
    if (drop.length) { adj.dropText = drop; }
    var slider = gd.layout.sliders && gd.layout.sliders[0];
    var rail = gd.querySelector(".slider-container .slider-rail-rect");
    if (slider && rail && slider.steps.length > 2) {
      var per = rail.getBoundingClientRect().width / (slider.steps.length - 1);
      if (per < MIN_STEP_PX) { adj.stride = Math.ceil(MIN_STEP_PX / per); }
    }
    return adj;
  }

  function keptSteps(n, stride, active) {
    var keep = [];
    for (var i = 0; i < n; i++) {
      if (i % stride === 0 || i === n - 1 || i === active) { keep.push(i); }
    }
    // a kept step right next to the last or the starting one would crowd it: drop the neighbour
    return keep.filter(function (i, k) {
      var next = keep[k + 1];
      return next === undefined || next - i >= Math.ceil(stride / 2) || i === active || i === 0;
    });
  }

  function applyAdjustments(v, adj, spec) {
    if (!adj) { return; }
    var layout = v.layout;
    var area = plotArea(layout, 0);
    var grow = function (side, px) {
      layout.margin = Object.assign({}, layout.margin || {});
      layout.margin[side] = (side === "t" ? area.t : area.b) + px;
      if (side === "t") { area.t += px; } else { area.b += px; }
      layout.height = (layout.height || 480) + px;
    };
    if (adj.titleShift || adj.topExtra) {
      if (v.titleTopPx === undefined && titleText(layout.title)) {
        var tf = fontOf(layout, "title", 17);
        v.titleTopPx = Math.max(4, area.t / 2 - lines(titleText(layout.title)) * tf.size * 0.65);
      }
      if (adj.titleShift && v.titleTopPx !== undefined) { v.titleTopPx += adj.titleShift; }
      grow("t", (adj.titleShift || 0) + (adj.topExtra || 0));
    }
    if (adj.bottomExtra) { grow("b", adj.bottomExtra); }
    if (adj.legendDy && layout.legend && typeof layout.legend.y === "number") {
      layout.legend = Object.assign({}, layout.legend, { y: layout.legend.y - adj.legendDy });
    }
    (adj.dropText || []).forEach(function (i) {
      [v.data[i]].concat(v.frames.map(function (f) { return (f.data || [])[i]; })).forEach(function (t) {
        if (t) { t.texttemplate = ""; }
      });
    });
    var slider = layout.sliders && layout.sliders[0];
    if (adj.stride > 1 && slider && slider.steps) {
      var active = slider.active || 0;
      var keep = keptSteps(slider.steps.length, adj.stride, active);
      slider.steps = keep.map(function (i) { return slider.steps[i]; });
      slider.active = keep.indexOf(active);
      // the step bar below the figure names the frame shown, which may lie between kept steps
      slider.currentvalue = Object.assign({}, slider.currentvalue || {}, { visible: false });
    }
  }

  function variant(spec, width, adj) {
    var narrow = width < BREAKPOINT;
    var v = { data: clone(spec.data), layout: clone(spec.layout), frames: clone(spec.frames || []),
      config: clone(spec.config || {}) };
    if (narrow && spec.narrow) { applyPatch(v, spec.narrow); }
    if (narrow) {
      v.config.displayModeBar = false;
      narrowMargins(v);
    }
    wrapTitles(v, width);
    roomForTopLegend(v, width);
    applyAdjustments(v, adj, spec);
    pinTitles(v);
    v.narrow = narrow;
    v.key = (narrow ? "n" : "w") + JSON.stringify([v.layout.title, v.layout.annotations,
      v.layout.height, v.frames.map(function (f) { return f.layout && f.layout.title; }),
      adj || null]);
    return v;
  }

  // --- slider labels: never overprint, never leave the figure ----------------------------

  function thinSliderLabels(gd) {
    var svgBox = gd.querySelector(".main-svg");
    if (!svgBox) { return; }
    var right = svgBox.getBoundingClientRect().right;
    var left = svgBox.getBoundingClientRect().left;
    var full = gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders[0];
    if (full && full.currentvalue && full.currentvalue.visible === false) {
      // plotly leaves the current value drawn before it was hidden (a thinned slider): remove it
      gd.querySelectorAll(".slider-group > text.slider-label").forEach(function (t) { t.remove(); });
    }
    gd.querySelectorAll(".slider-container").forEach(function (container) {
      var labels = Array.prototype.slice.call(container.querySelectorAll(".slider-label-group .slider-label"));
      labels.forEach(function (el, i) {
        el.style.display = "";
        el.setAttribute("text-anchor", "middle");
        var box = el.getBoundingClientRect();
        if (i === 0 && box.left < left) { el.setAttribute("text-anchor", "start"); }
        if (i === labels.length - 1 && box.right > right) { el.setAttribute("text-anchor", "end"); }
      });
      var boxes = labels.map(function (el) { return el.getBoundingClientRect(); });
      var last = labels.length - 1;
      var gap = 6;
      var prev = null;
      labels.forEach(function (el, i) {
        var box = boxes[i];
        var hitsPrev = prev && box.left < prev.right + gap;
        var hitsLast = i < last && boxes[last].left < box.right + gap;
        if (i !== 0 && (hitsPrev || (i < last && hitsLast))) { el.style.display = "none"; return; }
        prev = box;
      });
    });
  }

  // --- every frame within reach ------------------------------------------------------------
  // A slider thinned out on a narrow screen (see keptSteps) skips frames; a bar below the figure
  // then steps through every frame, one at a time, and names the frame shown ("3 of 18: p = 16").

  function fullSteps(entry) {
    var s = entry.spec.layout.sliders && entry.spec.layout.sliders[0];
    return (s && s.steps) || [];
  }

  function frameIndex(gd, entry) {
    var names = fullSteps(entry).map(stepFrame);
    var i = names.indexOf(entry.frame || activeFrame(gd));
    return i < 0 ? 0 : i;
  }

  function stepLabel(entry, i) {
    var full = entry.spec.layout.sliders[0], step = full.steps[i];
    var prefix = (full.currentvalue && full.currentvalue.prefix) || "";
    return (i + 1) + " of " + full.steps.length + ": " + prefix + (step.label || stepFrame(step));
  }

  function goToFrame(gd, entry, i) {
    var full = fullSteps(entry), shown = gd.layout.sliders[0];
    var name = stepFrame(full[i]);
    entry.frame = name;
    var names = full.map(stepFrame), best = 0;
    shown.steps.forEach(function (s, k) {
      var d = Math.abs(names.indexOf(stepFrame(s)) - i);
      if (d < Math.abs(names.indexOf(stepFrame(shown.steps[best])) - i)) { best = k; }
    });
    return window.Plotly.animate(gd, [name], { mode: "immediate", frame: { duration: 0, redraw: true },
      transition: { duration: 0 } }).then(function () {
      return window.Plotly.relayout(gd, { "sliders[0].active": best });
    }).then(function () {
      entry.frame = name;
      stepBar(gd, entry);
    });
  }

  function stepBar(gd, entry) {
    var full = fullSteps(entry), shown = gd.layout.sliders && gd.layout.sliders[0];
    var bar = gd.nextElementSibling;
    if (bar && !bar.classList.contains("memgen-steps")) { bar = null; }
    if (!shown || !full.length || shown.steps.length >= full.length) {
      if (bar) { bar.remove(); }
      return;
    }
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "memgen-steps";
      var prev = document.createElement("button"), next = document.createElement("button");
      var label = document.createElement("span");
      prev.type = next.type = "button";
      prev.textContent = "\u25C0";
      next.textContent = "\u25B6";
      prev.setAttribute("aria-label", "previous frame");
      next.setAttribute("aria-label", "next frame");
      prev.setAttribute("data-step", "-1");
      next.setAttribute("data-step", "1");
      label.className = "memgen-steps-label";
      label.setAttribute("aria-live", "polite");
      bar.appendChild(prev);
      bar.appendChild(label);
      bar.appendChild(next);
      gd.parentNode.insertBefore(bar, gd.nextSibling);
      bar.addEventListener("click", function (e) {
        var b = e.target.closest("button");
        if (!b || b.disabled) { return; }
        var i = frameIndex(gd, entry) + parseInt(b.getAttribute("data-step"), 10);
        if (i >= 0 && i < fullSteps(entry).length) { goToFrame(gd, entry, i); }
      });
    }
    var i = frameIndex(gd, entry);
    bar.querySelector(".memgen-steps-label").textContent = stepLabel(entry, i);
    bar.querySelector('[data-step="-1"]').disabled = i === 0;
    bar.querySelector('[data-step="1"]').disabled = i === full.length - 1;
    bar.setAttribute("data-frame", stepFrame(full[i]));
  }

  // --- drawing ----------------------------------------------------------------------------

  function activeFrame(gd) {
    var s = gd.layout && gd.layout.sliders && gd.layout.sliders[0];
    if (!s || s.active === undefined || !s.steps || !s.steps[s.active]) { return null; }
    var args = s.steps[s.active].args;
    return args && args[0] && args[0][0];
  }

  function stepFrame(step) { return step && step.args && step.args[0] && step.args[0][0]; }

  function draw(gd) {
    var entry = specs[gd.id];
    if (!entry || !window.Plotly) { return Promise.resolve(); }
    var width = gd.clientWidth || (gd.parentNode && gd.parentNode.clientWidth) || 700;
    var adj = (entry.adjust && entry.adjust.width === width) ? entry.adjust : null;
    var v = variant(entry.spec, width, adj);
    if (entry.drawn && entry.key === v.key) { return Promise.resolve(); }
    // a redraw (resize, adjustments) keeps the reader's slider position: the same frame, or the
    // nearest step left when steps were thinned out
    var active = entry.drawn ? (entry.frame || activeFrame(gd)) : null;
    var slider = v.layout.sliders && v.layout.sliders[0];
    if (active !== null && slider) {
      var names = entry.spec.layout.sliders[0].steps.map(stepFrame);
      var want = names.indexOf(active);
      var best = 0;
      slider.steps.forEach(function (s, i) {
        var d = Math.abs(names.indexOf(stepFrame(s)) - want);
        if (d < Math.abs(names.indexOf(stepFrame(slider.steps[best])) - want)) { best = i; }
      });
      slider.active = best;
      active = stepFrame(slider.steps[best]);
    }
    var startFrame = slider ? stepFrame(slider.steps[slider.active || 0]) : null;
    gd.style.height = v.layout.height + "px";
    gd.classList.toggle("memgen-narrow", v.narrow);
    var first = !entry.drawn;
    entry.drawn = true;
    entry.key = v.key;
    var done = first ? window.Plotly.newPlot(gd, v.data, v.layout, v.config).then(function () {
      return v.frames.length ? window.Plotly.addFrames(gd, v.frames) : null;
    }) : window.Plotly.react(gd, { data: v.data, layout: v.layout, frames: v.frames, config: v.config });
    return done.then(function () {
      // plotly sizes a slider on its first pass, before tick labels and legends have pushed the
      // margins: relaying out the sliders once sizes them to the final plot area
      var sliders = (gd.layout.sliders || []).length;
      if (!sliders) { return null; }
      var update = {};
      for (var i = 0; i < sliders; i++) { update["sliders[" + i + "].len"] = gd.layout.sliders[i].len || 1; }
      return window.Plotly.relayout(gd, update);
    }).then(function () {
      // the layout's traces are the starting frame's; after a redraw, show the reader's frame
      if (active !== null && active !== undefined && active !== startFrame) {
        return window.Plotly.animate(gd, [active], { mode: "immediate", frame: { duration: 0, redraw: true },
          transition: { duration: 0 } });
      }
    }).then(function () {
      if (first) {
        gd.on("plotly_afterplot", function () { thinSliderLabels(gd); });
        gd.on("plotly_sliderchange", function (e) {
          entry.frame = stepFrame(e && e.step);
          stepBar(gd, entry);
        });
      }
      thinSliderLabels(gd);
      stepBar(gd, entry);
      if (!adj) {
        var found = measure(gd);
        if (Object.keys(found).length) {
          found.width = width;
          entry.adjust = found;
          return draw(gd);
        }
      }
      gd.setAttribute("data-memgen-drawn", v.narrow ? "narrow" : "wide");
    });
  }

  function onScreen(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < (window.innerHeight || 800);
  }

  function drawAll() {
    var divs = [];
    document.querySelectorAll("script." + "memgen-figure-data").forEach(function (script) {
      var id = script.getAttribute("data-for");
      var gd = document.getElementById(id);
      if (!gd || specs[id]) { return; }
      try {
        specs[id] = { spec: JSON.parse(script.textContent), drawn: false, key: null };
      } catch (err) {
        console.warn("memgen-figures: cannot read the figure " + id, err);
        return;
      }
      divs.push(gd);
    });
    // those on screen first, then the others in document order, one per task
    divs.sort(function (a, b) { return (onScreen(b) ? 1 : 0) - (onScreen(a) ? 1 : 0); });
    var i = 0;
    (function next() {
      if (i >= divs.length) { return; }
      var gd = divs[i++];
      draw(gd).catch(function (err) { console.error("memgen-figures: " + gd.id, err); })
        .then(function () { setTimeout(next, 0); });
    })();
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(specs).forEach(function (id) {
        var gd = document.getElementById(id);
        if (gd && specs[id].drawn) { draw(gd); }
      });
    }, RESIZE_MS);
  });

  // Draw after the first paint: the text shows before any figure work starts.
  function start() {
    if (!window.Plotly) {
      console.error("memgen-figures: plotly.js is not loaded");
      return;
    }
    requestAnimationFrame(function () { setTimeout(drawAll, 0); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
