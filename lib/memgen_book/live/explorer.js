/* memgenLive.explorer: the live DAE explorer, mounted into every element with class
 * "memgen-live".
 *
 * Controls: a dataset menu and range inputs named n, p, sigma, lam, K, separation, m, seed, a
 * "tied" checkbox, and a file input for the reader's own data (images or a CSV, read in the page
 * and never sent anywhere). Training runs in a Web Worker (memgenLive.worker); each control move
 * warm-starts it. Per-page configuration through data attributes on the root element:
 *   data-dataset, data-n, data-p, data-sigma, data-lam, data-k, data-separation, data-m,
 *   data-seed, data-tied ("true"), data-datasets (comma-separated allowed values),
 *   data-{n,p,sigma,lam,k,separation,m,seed}-{min,max,step} (ranges), data-max-steps, data-tol,
 *   data-own-side (side of the reader's images after resizing, default 8), data-main-thread
 *   ("true": no Worker), data-title.
 * The root's data-state attribute holds a JSON summary of the latest result (see stateOf):
 * the parameters, step, loss, converged, top1_share (units storing the same sample merged, as
 * the scorecard's mem.top1_share_mean), top1_aligned (memgen.phase.grouped_top1),
 * stored_fraction (a decoder column at cosine >= 0.95, as memgen.phase.memorized_fraction),
 * stored_gain_fraction (gain > 0.05, chapter 2's count), std, cv, active_units, regime, the
 * theory's predicted_stored_fraction, m_star, spectra, timings.
 */
function memgenLive_explorer(root) {
  'use strict';

  var DATASETS = [
    { value: 'digits-separable', label: 'digits (separable subset)' },
    { value: 'digits-centred', label: 'digits (centred)' },
    { value: 'gmm', label: 'gaussian mixture' },
    { value: 'gmm-dup', label: 'mixture with duplicates' },
    { value: 'own', label: 'your own data' },
  ];

  // defaults per dataset: chapter 2 (separable digits), memgen.views.explorers (centred digits),
  // chapter 3 (mixture, d = 32, rank 4), chapter 4 (duplicates: memgen.experiments.ch04_mixed.MIXED)
  var PRESETS = {
    'digits-separable': { n: 6, p: 12, sigma: 0.2, lam: 0.5,
      ranges: { n: [1, 6, 1], p: [1, 64, 1], sigma: [0.01, 1, 0.01], lam: [0, 6, 0.05] } },
    'digits-centred': { n: 8, p: 16, sigma: 0.2, lam: 0.1,
      ranges: { n: [1, 400, 1], p: [1, 128, 1], sigma: [0.01, 1, 0.01], lam: [0, 2, 0.01] } },
    gmm: { n: 200, p: 16, sigma: 0.2, lam: 0.001, K: 2, separation: 5,
      ranges: { n: [2, 800, 1], p: [1, 64, 1], sigma: [0.01, 1, 0.01], lam: [0, 0.05, 0.0005],
        K: [1, 4, 1], separation: [0, 8, 0.1] } },
    'gmm-dup': { n: 200, p: 40, sigma: 0.2, lam: 0.15, K: 2, separation: 3, m: 8,
      ranges: { n: [10, 400, 1], p: [1, 64, 1], sigma: [0.01, 1, 0.01], lam: [0, 0.5, 0.005],
        K: [2, 4, 1], separation: [0, 6, 0.1], m: [1, 16, 1] } },
    own: { n: 0, p: 16, sigma: 0.2, lam: 0.01,
      ranges: { n: [1, 1, 1], p: [1, 128, 1], sigma: [0.01, 1, 0.01], lam: [0, 1, 0.005] } },
  };
  var GMM = { d: 32, rank: 4, spread: 1 };
  var MIXED = { d: 32, rank: 4, spread: 1, offset: 2, tilt: 0.35,
    dupSqNorms: [5, 6, 7, 8, 9, 10, 11, 12] };
  var CONTROLS = [
    { name: 'n', label: 'n samples' }, { name: 'p', label: 'p units' },
    { name: 'sigma', label: 'σ noise' }, { name: 'lam', label: 'λ decay' },
    { name: 'K', label: 'K clusters', only: ['gmm', 'gmm-dup'] },
    { name: 'separation', label: 'separation', only: ['gmm', 'gmm-dup'] },
    { name: 'm', label: 'm copies', only: ['gmm-dup'] },
    { name: 'seed', label: 'seed' },
  ];
  var SEED_RANGE = [0, 9, 1];

  var TRY = {
    'digits-separable': 'These are chapter 2\'s digits, pairwise cosine ≤ 0. With p ≥ n the ' +
      'network memorizes: each surviving unit stores one digit (the columns are the digits, ' +
      'cosine ≈ 1) and h of a training input is one spike. Raise λ past ‖x_i‖²/n and watch ' +
      'units die one by one, as the theory bars predict; lower p below n and digits compete ' +
      'for units. A unit that died is re-drawn at random when a control moves, but a unit that ' +
      'shares a digit with another stays there: lowering λ again may not store every digit ' +
      '(change the seed for a fresh start).',
    'digits-centred': 'Centred digits that are not separable. The regime boundary: p ≥ n ' +
      'memorizes (spiky h, columns that look like training digits), p ≪ n generalizes (balanced ' +
      'h, columns like eigen-digits, the spectrum of W2 W1ᵀ close to the rank-p Wiener filter). ' +
      'Try n = 8, p = 16, then n = 200, p = 16.',
    gmm: 'A separable Gaussian mixture with p ≪ n: each block of units learns its cluster\'s ' +
      'principal directions, h is balanced (low top-1 share), and the learned spectrum of ' +
      'sym(W2 W1ᵀ) follows the per-cluster Wiener filter with threshold nλ/n_k. Shrink n below p ' +
      'to cross into memorization; lower the separation to break the block structure.',
    'gmm-dup': 'The mixed regime of chapter 4: a few points repeated m times among many distinct ' +
      'ones. A duplicated point is stored (a rank-one block, spiky h) once m > m* = n_bulk λ / ' +
      '(‖x‖² − Dλ); the bulk stays balanced. Move m across the m* marks.',
    own: 'Your own images (resized to a small grayscale square) or a CSV of numbers, scaled to ' +
      '[-1, 1] and centred like the digits. The regime boundary is the same: p ≥ n memorizes, ' +
      'p ≪ n generalizes.',
  };

  var STYLE = [
    '.memgen-live{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;',
    'border:1px solid #c8cbd6;border-radius:6px;padding:10px;max-width:100%;',
    'box-sizing:border-box;overflow:hidden;background:#fff}',
    '.memgen-live *{box-sizing:border-box}',
    '.memgen-live .ml-title{font-weight:600;margin:0 0 6px}',
    '.memgen-live .ml-controls{display:grid;gap:6px 16px;',
    'grid-template-columns:repeat(auto-fill,minmax(min(100%,230px),1fr))}',
    '.memgen-live .ml-control{display:grid;grid-template-columns:6.5em minmax(0,1fr) 4em;',
    'align-items:center;gap:6px}',
    '.memgen-live .ml-control[hidden]{display:none}',
    '.memgen-live .ml-control input[type=range]{width:100%;min-width:0;margin:0}',
    '.memgen-live .ml-control select{width:100%;min-width:0}',
    '.memgen-live .ml-control.ml-ds{grid-column:1/-1;grid-template-columns:6.5em minmax(0,22em)}',
    '.memgen-live .ml-wide{grid-column:1/-1;display:flex;flex-wrap:wrap;gap:6px 14px;',
    'align-items:center}',
    '.memgen-live .ml-wide input[type=file]{max-width:100%}',
    '.memgen-live .ml-val{font-variant-numeric:tabular-nums;text-align:right}',
    '.memgen-live .ml-progress{font-variant-numeric:tabular-nums;margin:8px 0 2px;color:#335}',
    '.memgen-live .ml-summary{margin:2px 0 8px}',
    '.memgen-live .ml-error{color:#a11;margin:4px 0}',
    '.memgen-live .ml-note{color:#555;font-size:12.5px}',
    '.memgen-live .ml-panels{display:grid;gap:10px;',
    'grid-template-columns:repeat(auto-fit,minmax(min(100%,300px),1fr))}',
    '.memgen-live .ml-panel{border:1px solid #e3e5ec;border-radius:4px;padding:6px;min-width:0}',
    '.memgen-live .ml-panel h4{font-size:13px;margin:0 0 4px;font-weight:600}',
    '.memgen-live canvas{display:block;width:100%;height:150px}',
    '.memgen-live .ml-try{margin:8px 0 0;font-size:13.5px}',
  ].join('');

  function injectStyle(doc) {
    if (doc.getElementById('memgen-live-style')) return;
    var el = doc.createElement('style');
    el.id = 'memgen-live-style';
    el.textContent = STYLE;
    (doc.head || doc.documentElement).appendChild(el);
  }

  function el(doc, tag, attrs, text) {
    var e = doc.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) {
      return v.toExponential(digits === undefined ? 2 : digits);
    }
    return String(Number(v.toPrecision(digits === undefined ? 3 : digits)));
  }

  function round6(v) {
    return typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
  }

  // ------------------------------------------------------------------ drawing (plain canvas)

  function setupCanvas(canvas, height) {
    var dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
    var w = Math.max(50, canvas.clientWidth || 300), h = height || 150;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    return { ctx: ctx, w: w, h: h };
  }

  function diverging(v) { // v in [-1, 1] -> blue (neg) / white / red (pos)
    var t = Math.max(-1, Math.min(1, v));
    var r = t > 0 ? 255 : Math.round(255 * (1 + t));
    var b = t < 0 ? 255 : Math.round(255 * (1 - t));
    var g = Math.round(255 * (1 - Math.abs(t)));
    return 'rgb(' + r + ',' + g + ',' + b + ')';
  }

  function drawColumns(canvas, cols, imageShape, captions) {
    var c = setupCanvas(canvas, 150), ctx = c.ctx, k = cols.length;
    if (!k) return;
    var perRow = Math.min(k, 4), rows = Math.ceil(k / perRow);
    var cellW = c.w / perRow, cellH = (c.h - 4) / rows;
    for (var q = 0; q < k; q++) {
      var col = cols[q], x0 = (q % perRow) * cellW, y0 = Math.floor(q / perRow) * cellH;
      var mx = 0;
      for (var a = 0; a < col.length; a++) mx = Math.max(mx, Math.abs(col[a]));
      mx = mx || 1;
      var box = Math.min(cellW - 8, cellH - 16);
      if (imageShape) {
        var ih = imageShape[0], iw = imageShape[1], px = box / Math.max(ih, iw);
        var bx = x0 + (cellW - px * iw) / 2;
        for (var r = 0; r < ih; r++) {
          for (var s = 0; s < iw; s++) {
            ctx.fillStyle = diverging(col[r * iw + s] / mx);
            ctx.fillRect(bx + s * px, y0 + 2 + r * px, Math.ceil(px), Math.ceil(px));
          }
        }
      } else { // bar glyph
        var bw = (cellW - 8) / col.length, mid = y0 + 2 + box / 2;
        for (var b = 0; b < col.length; b++) {
          var hgt = (col[b] / mx) * (box / 2);
          ctx.fillStyle = col[b] >= 0 ? '#c0392b' : '#2e6db5';
          ctx.fillRect(x0 + 4 + b * bw, Math.min(mid, mid - hgt), Math.max(1, bw - 0.5),
            Math.abs(hgt));
        }
        ctx.strokeStyle = '#bbb';
        ctx.strokeRect(x0 + 4, y0 + 2, cellW - 8, box);
      }
      ctx.fillStyle = '#333';
      ctx.textAlign = 'center';
      ctx.fillText(captions[q], x0 + cellW / 2, y0 + box + 14);
    }
  }

  function axes(ctx, w, h, pad) {
    ctx.strokeStyle = '#999';
    ctx.beginPath();
    ctx.moveTo(pad.l, pad.t);
    ctx.lineTo(pad.l, h - pad.b);
    ctx.lineTo(w - pad.r, h - pad.b);
    ctx.stroke();
  }

  /** Bars of `values`; optional `marks` (same length) drawn as black ticks (theory). */
  function drawBars(canvas, values, opts) {
    opts = opts || {};
    var c = setupCanvas(canvas, opts.height || 150), ctx = c.ctx;
    var pad = { l: 38, r: 6, t: 14, b: 16 }, n = values.length;
    if (!n) return;
    var hi = opts.max;
    if (hi === undefined) {
      hi = 0;
      for (var i = 0; i < n; i++) hi = Math.max(hi, values[i], opts.marks ? opts.marks[i] || 0 : 0);
      hi = hi || 1;
    }
    var pw = c.w - pad.l - pad.r, ph = c.h - pad.t - pad.b, bw = pw / n;
    axes(ctx, c.w, c.h, pad);
    ctx.fillStyle = '#555';
    ctx.textAlign = 'right';
    ctx.fillText(fmt(hi, 2), pad.l - 3, pad.t + 8);
    ctx.fillText('0', pad.l - 3, c.h - pad.b);
    ctx.textAlign = 'left';
    if (opts.title) ctx.fillText(opts.title, pad.l + 2, 10);
    for (i = 0; i < n; i++) {
      var v = Math.max(0, values[i]), bh = (v / hi) * ph;
      ctx.fillStyle = opts.colors ? opts.colors[i] : opts.color || '#4455aa';
      ctx.fillRect(pad.l + i * bw + bw * 0.1, c.h - pad.b - bh, Math.max(1, bw * 0.8), bh);
      if (opts.marks && opts.marks[i] !== null && opts.marks[i] !== undefined) {
        var my = c.h - pad.b - (Math.max(0, opts.marks[i]) / hi) * ph;
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(pad.l + i * bw, my);
        ctx.lineTo(pad.l + (i + 1) * bw, my);
        ctx.stroke();
        ctx.lineWidth = 1;
      }
      if (opts.crosses && opts.crosses[i]) {
        ctx.fillStyle = '#a11';
        ctx.textAlign = 'center';
        ctx.fillText('×', pad.l + (i + 0.5) * bw, c.h - pad.b - 3);
        ctx.textAlign = 'left';
      }
    }
    if (opts.xlabel) {
      ctx.fillStyle = '#555';
      ctx.textAlign = 'right';
      ctx.fillText(opts.xlabel, c.w - pad.r, c.h - 3);
    }
  }

  /** Lines: series [{y, color, dash, label}] over x = 1..len; opts {logy, vline, title}. */
  function drawLines(canvas, series, opts) {
    opts = opts || {};
    var c = setupCanvas(canvas, opts.height || 150), ctx = c.ctx;
    var pad = { l: 38, r: 8, t: 14, b: 16 };
    var len = 0, lo = Infinity, hi = -Infinity;
    var tr = function (v) { return opts.logy ? Math.log10(Math.max(v, 1e-12)) : v; };
    series.forEach(function (s) {
      len = Math.max(len, s.y.length);
      for (var i = 0; i < s.y.length; i++) {
        if (!Number.isFinite(s.y[i])) continue;
        lo = Math.min(lo, tr(s.y[i]));
        hi = Math.max(hi, tr(s.y[i]));
      }
    });
    axes(ctx, c.w, c.h, pad);
    if (!len || !Number.isFinite(lo)) return;
    if (!opts.logy) {
      lo = Math.min(lo, 0);
      if (lo > -0.02 * Math.abs(hi)) lo = 0; // round-off below zero: draw from 0
    }
    if (hi - lo < 1e-9) hi = lo + 1;
    var pw = c.w - pad.l - pad.r, ph = c.h - pad.t - pad.b;
    var X = function (i) { return pad.l + (len > 1 ? i / (len - 1) : 0.5) * pw; };
    var Y = function (v) {
      return c.h - pad.b - ((Math.max(lo, tr(v)) - lo) / (hi - lo)) * ph;
    };
    ctx.fillStyle = '#555';
    ctx.textAlign = 'right';
    ctx.fillText(opts.logy ? fmt(Math.pow(10, hi), 2) : fmt(hi, 2), pad.l - 3, pad.t + 8);
    ctx.fillText(opts.logy ? fmt(Math.pow(10, lo), 2) : fmt(lo, 2), pad.l - 3, c.h - pad.b);
    ctx.textAlign = 'left';
    if (opts.title) ctx.fillText(opts.title, pad.l + 2, 10);
    (opts.vlines || []).forEach(function (v) {
      ctx.strokeStyle = '#ccc';
      ctx.beginPath();
      ctx.moveTo(X(v), pad.t);
      ctx.lineTo(X(v), c.h - pad.b);
      ctx.stroke();
    });
    var lx = c.w - pad.r - 4;
    series.forEach(function (s, q) {
      ctx.strokeStyle = s.color || '#228833';
      ctx.setLineDash(s.dash || []);
      ctx.beginPath();
      var started = false;
      for (var i = 0; i < s.y.length; i++) {
        if (!Number.isFinite(s.y[i])) continue;
        if (!started) ctx.moveTo(X(i), Y(s.y[i]));
        else ctx.lineTo(X(i), Y(s.y[i]));
        started = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
      if (s.dots) {
        ctx.fillStyle = s.color || '#228833';
        for (i = 0; i < s.y.length; i++) {
          if (Number.isFinite(s.y[i])) ctx.fillRect(X(i) - 2, Y(s.y[i]) - 2, 4, 4);
        }
      }
      if (s.rings) {
        ctx.strokeStyle = s.color || '#000';
        for (i = 0; i < s.y.length; i++) {
          if (!Number.isFinite(s.y[i])) continue;
          ctx.beginPath();
          ctx.arc(X(i), Y(s.y[i]), 4, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
      if (s.label) {
        ctx.fillStyle = s.color || '#228833';
        ctx.textAlign = 'right';
        ctx.fillText(s.label, lx, pad.t + 10 + 12 * q);
        ctx.textAlign = 'left';
      }
    });
  }

  // ------------------------------------------------------------------ the explorer

  function attrNumber(node, name, fallback) {
    var v = node.getAttribute('data-' + name);
    if (v === null || v === '') return fallback;
    var x = Number(v);
    return Number.isFinite(x) ? x : fallback;
  }

  function Explorer(node, options) {
    this.root = node;
    this.doc = node.ownerDocument;
    this.options = options || {};
    this.runId = 0;
    this.updates = 0;
    this.losses = [];
    this.restarts = [];
    this.own = null;
    this.last = null;
    this.error = null;
    this.drawPending = false;
    injectStyle(this.doc);
    var allowed = (node.getAttribute('data-datasets') || '').split(',').map(function (s) {
      return s.trim();
    }).filter(Boolean);
    this.datasets = DATASETS.filter(function (d) {
      return !allowed.length || allowed.indexOf(d.value) >= 0;
    });
    if (!this.datasets.length) this.datasets = DATASETS.slice();
    var first = node.getAttribute('data-dataset');
    if (!this.datasets.some(function (d) { return d.value === first; })) {
      first = this.datasets[0].value;
    }
    this.build();
    this.applyPreset(first, true);
    var self = this;
    this.trainer = root.worker.createTrainer(function (msg) { self.onMessage(msg); }, {
      mainThread: node.getAttribute('data-main-thread') === 'true' || this.options.mainThread,
    });
    this.coldStart();
    if (typeof ResizeObserver !== 'undefined') {
      var width = 0;
      this.resizeObserver = new ResizeObserver(function () {
        if (node.clientWidth !== width) {
          width = node.clientWidth;
          self.scheduleDraw();
        }
      });
      this.resizeObserver.observe(node);
    }
  }

  Explorer.prototype.build = function () {
    var doc = this.doc, node = this.root, self = this;
    node.textContent = '';
    if (node.getAttribute('data-title')) {
      node.appendChild(el(doc, 'div', { class: 'ml-title' }, node.getAttribute('data-title')));
    }
    var controls = el(doc, 'div', { class: 'ml-controls' });
    var dsRow = el(doc, 'label', { class: 'ml-control ml-ds' });
    dsRow.appendChild(el(doc, 'span', {}, 'dataset'));
    var select = el(doc, 'select', { name: 'dataset' });
    this.datasets.forEach(function (d) {
      select.appendChild(el(doc, 'option', { value: d.value }, d.label));
    });
    dsRow.appendChild(select);
    controls.appendChild(dsRow);
    this.select = select;
    select.addEventListener('change', function () {
      self.applyPreset(select.value, false);
      self.coldStart();
    });
    this.inputs = {};
    this.rows = {};
    CONTROLS.forEach(function (c) {
      var row = el(doc, 'label', { class: 'ml-control' });
      row.appendChild(el(doc, 'span', {}, c.label));
      var input = el(doc, 'input', { type: 'range', name: c.name });
      var val = el(doc, 'span', { class: 'ml-val' });
      row.appendChild(input);
      row.appendChild(val);
      controls.appendChild(row);
      self.inputs[c.name] = input;
      self.rows[c.name] = { row: row, val: val, spec: c };
      input.addEventListener('input', function () { self.onControl(c.name); });
      input.addEventListener('change', function () { self.onControl(c.name, true); });
    });
    var wide = el(doc, 'div', { class: 'ml-wide' });
    var tiedLabel = el(doc, 'label', {});
    this.tied = el(doc, 'input', { type: 'checkbox', name: 'tied' });
    tiedLabel.appendChild(this.tied);
    tiedLabel.appendChild(doc.createTextNode(' tied decoder (W2 = W1)'));
    this.tied.addEventListener('change', function () { self.onControl('tied', true); });
    wide.appendChild(tiedLabel);
    this.fileBox = el(doc, 'span', {});
    this.file = el(doc, 'input', { type: 'file', name: 'file', multiple: 'multiple',
      accept: 'image/*,.csv,.txt,text/csv,text/plain' });
    this.file.addEventListener('change', function () { self.readFiles(self.file.files); });
    this.fileBox.appendChild(this.file);
    this.fileBox.appendChild(el(doc, 'span', { class: 'ml-note' }, ' Images or a CSV of numbers: ' +
      'processed in this page only, never uploaded or sent anywhere.'));
    wide.appendChild(this.fileBox);
    controls.appendChild(wide);
    node.appendChild(controls);
    this.progress = el(doc, 'div', { class: 'ml-progress', 'aria-live': 'polite' }, 'starting…');
    this.summary = el(doc, 'div', { class: 'ml-summary' });
    this.errorBox = el(doc, 'div', { class: 'ml-error', role: 'alert' });
    node.appendChild(this.progress);
    node.appendChild(this.summary);
    node.appendChild(this.errorBox);
    var panels = el(doc, 'div', { class: 'ml-panels' });
    var mk = function (key, title) {
      var p = el(doc, 'div', { class: 'ml-panel' });
      var h = el(doc, 'h4', {}, title);
      var cv = el(doc, 'canvas', { 'data-panel': key });
      p.appendChild(h);
      p.appendChild(cv);
      panels.appendChild(p);
      return { box: p, title: h, canvas: cv };
    };
    this.panels = {
      columns: mk('columns', 'Encoder columns (largest norm), best cosine to a training sample'),
      hTrain: mk('hTrain', 'h of a noisy training input'),
      hUnseen: mk('hUnseen', 'h of a noisy unseen input'),
      theory: mk('theory', 'Theory'),
      loss: mk('loss', 'Loss'),
    };
    this.theoryNote = el(doc, 'div', { class: 'ml-note' });
    this.panels.theory.box.appendChild(this.theoryNote);
    node.appendChild(panels);
    this.tryBox = el(doc, 'p', { class: 'ml-try' });
    node.appendChild(this.tryBox);
  };

  /** Set the controls to the dataset's defaults (initial: the page's data attributes win). */
  Explorer.prototype.applyPreset = function (dataset, initial) {
    var node = this.root, preset = PRESETS[dataset], self = this;
    this.dataset = dataset;
    this.select.value = dataset;
    CONTROLS.forEach(function (c) {
      var r = self.rows[c.name], input = self.inputs[c.name];
      var show = !c.only || c.only.indexOf(dataset) >= 0;
      r.row.hidden = !show;
      var range = c.name === 'seed' ? SEED_RANGE : preset.ranges[c.name] || [0, 1, 1];
      var key = c.name.toLowerCase();
      var mn = initial ? attrNumber(node, key + '-min', range[0]) : range[0];
      var mx = initial ? attrNumber(node, key + '-max', range[1]) : range[1];
      var st = initial ? attrNumber(node, key + '-step', range[2]) : range[2];
      if (c.name === 'n' && dataset === 'own') {
        mx = self.own ? self.own.maxN : 1;
        mn = 1;
      }
      input.min = mn;
      input.max = mx;
      input.step = st;
      var def = c.name === 'seed' ? 0 : preset[c.name];
      if (c.name === 'n' && dataset === 'own') def = mx;
      var v = initial ? attrNumber(node, key, def) : def;
      if (c.name === 'seed' && !initial) v = Number(self.inputs.seed.value) || 0;
      input.value = v;
      r.val.textContent = fmt(Number(input.value));
    });
    if (initial) this.tied.checked = node.getAttribute('data-tied') === 'true';
    this.fileBox.hidden = dataset !== 'own';
    this.fileBox.style.display = dataset === 'own' ? '' : 'none';
    this.tryBox.textContent = 'What to try: ' + TRY[dataset];
  };

  Explorer.prototype.params = function () {
    var v = {}, self = this;
    CONTROLS.forEach(function (c) { v[c.name] = Number(self.inputs[c.name].value); });
    v.tied = this.tied.checked;
    v.dataset = this.dataset;
    return v;
  };

  /** The training set for the current controls (null for "own" before a file is chosen). */
  Explorer.prototype.makeData = function (v) {
    var ds = root.datasets, data;
    if (v.dataset === 'digits-separable') data = ds.digits('separable', v.n);
    else if (v.dataset === 'digits-centred') data = ds.digits('centred', v.n);
    else if (v.dataset === 'gmm') {
      var pool = ds.gaussianMixture(v.n + 1, { K: v.K, d: GMM.d, rank: GMM.rank, spread: GMM.spread,
        separation: v.separation, means: v.K >= 2 ? 'simplex' : 'orthogonal', seed: v.seed });
      data = { name: 'gmm', X: pool.X.slice(0, v.n * pool.d), n: v.n, d: pool.d,
        labels: pool.labels.slice(0, v.n), weights: null, imageShape: null,
        unseen: pool.X.slice(v.n * pool.d, (v.n + 1) * pool.d) };
    } else if (v.dataset === 'gmm-dup') {
      var mixed = ds.mixedData(v.n + 1, { K: v.K, d: MIXED.d, rank: MIXED.rank,
        spread: MIXED.spread, separation: v.separation, offset: MIXED.offset, tilt: MIXED.tilt,
        dupSqNorms: MIXED.dupSqNorms, seed: v.seed });
      var d = mixed.d, nb = v.n, D = mixed.nDup, n = nb + D;
      var X = new Float64Array(n * d), labels = new Int32Array(n), isDup = new Uint8Array(n);
      X.set(mixed.X.subarray(0, nb * d));
      X.set(mixed.X.subarray((nb + 1) * d), nb * d);
      labels.set(mixed.labels.subarray(0, nb));
      labels.set(mixed.labels.subarray(nb + 1), nb);
      isDup.set(mixed.isDup.subarray(nb + 1), nb);
      data = { name: 'mixed', X: X, n: n, d: d, labels: labels, isDup: isDup, nBulk: nb, nDup: D,
        m: v.m, weights: ds.multiplicityWeights(isDup, v.m), imageShape: null, showIndex: n - 1,
        unseen: mixed.X.slice(nb * d, (nb + 1) * d) };
    } else {
      if (!this.own) return null;
      data = ds.prepareOwn(this.own.raw, this.own.rows, this.own.d, { kind: this.own.kind,
        imageShape: this.own.imageShape, n: Math.min(v.n, this.own.maxN) });
    }
    return data;
  };

  function wireData(data) { // the fields the engine needs
    return { X: data.X, n: data.n, d: data.d, weights: data.weights || null,
      labels: data.labels || null, imageShape: data.imageShape || null, unseen: data.unseen || null,
      showIndex: data.showIndex || 0, isDup: data.isDup || null, nBulk: data.nBulk, nDup: data.nDup,
      m: data.m };
  }

  Explorer.prototype.setError = function (err) {
    this.error = err ? String(err.message || err) : null;
    this.errorBox.textContent = this.error || '';
    if (this.error) this.writeState({ error: this.error });
  };

  Explorer.prototype.trainerOptions = function () {
    var node = this.root;
    return {
      maxSteps: attrNumber(node, 'max-steps', root.fit.DEFAULTS.maxSteps),
      tol: attrNumber(node, 'tol', root.fit.DEFAULTS.tol),
    };
  };

  /** Start from fresh weights (a new dataset). */
  Explorer.prototype.coldStart = function () {
    var v = this.params(), data;
    this.setError(null);
    try {
      data = this.makeData(v);
    } catch (err) {
      this.setError(err);
      return;
    }
    if (!data) {
      this.progress.textContent = 'Choose images or a CSV file to train on.';
      this.data = null;
      this.last = null;
      this.runId += 1;
      this.trainer.post({ type: 'stop' });
      this.writeState();
      return;
    }
    this.data = data;
    this.sentParams = v;
    this.runId += 1;
    this.moveTime = now();
    var o = this.trainerOptions();
    this.trainer.post({ type: 'init', id: this.runId, data: wireData(data), p: v.p, sigma: v.sigma,
      lam: v.lam, seed: v.seed, tied: v.tied, maxSteps: o.maxSteps, tol: o.tol });
  };

  function now() {
    return typeof performance !== 'undefined' ? performance.now() : Date.now();
  }

  /** A control moved: warm start (data controls rebuild the data; the engine decides cold/warm). */
  Explorer.prototype.onControl = function (name) {
    var r = this.rows[name];
    if (r) r.val.textContent = fmt(Number(this.inputs[name].value));
    var v = this.params(), old = this.sentParams;
    if (!old || !this.data) {
      this.coldStart();
      return;
    }
    var changed = {}, any = false, dataKeys = ['n', 'K', 'separation', 'm', 'seed'];
    ['p', 'sigma', 'lam', 'seed', 'tied'].forEach(function (k) {
      if (v[k] !== old[k]) { changed[k] = v[k]; any = true; }
    });
    var needData = dataKeys.some(function (k) { return v[k] !== old[k]; });
    if (needData) {
      var data;
      try {
        data = this.makeData(v);
      } catch (err) {
        this.setError(err);
        return;
      }
      if (!data) return;
      this.data = data;
      changed.data = wireData(data);
      any = true;
    }
    if (!any) return;
    this.setError(null);
    this.sentParams = v;
    this.runId += 1;
    this.moveTime = now();
    this.trainer.post({ type: 'update', id: this.runId, changed: changed });
  };

  Explorer.prototype.readFiles = function (files) {
    var self = this, ds = root.datasets;
    if (!files || !files.length) return;
    var list = Array.prototype.slice.call(files);
    var isText = function (f) { return /\.(csv|txt)$/i.test(f.name) || /^text\//.test(f.type); };
    var done = function (own) {
      self.own = own;
      self.applyPreset('own', false);
      self.coldStart();
    };
    var fail = function (err) { self.setError(err); };
    if (list.length === 1 && isText(list[0])) {
      list[0].text().then(function (text) {
        var parsed = ds.parseCSV(text);
        done({ kind: 'csv', raw: parsed.X, rows: parsed.n, d: parsed.d, imageShape: null,
          maxN: parsed.n > 2 ? parsed.n - 1 : parsed.n });
      }).catch(fail);
      return;
    }
    var side = attrNumber(this.root, 'own-side', 8);
    var images = list.filter(function (f) { return /^image\//.test(f.type); });
    if (!images.length) {
      fail(new Error('file must be images (any format the browser reads) or one .csv/.txt file'));
      return;
    }
    if (typeof createImageBitmap !== 'function') {
      fail(new Error('this browser cannot decode images here (no createImageBitmap)'));
      return;
    }
    Promise.all(images.map(function (f) { return createImageBitmap(f); })).then(function (bms) {
      var d = side * side, raw = new Float64Array(bms.length * d);
      bms.forEach(function (bm, i) {
        var scale = Math.min(1, 256 / Math.max(bm.width, bm.height));
        var w = Math.max(1, Math.round(bm.width * scale));
        var h = Math.max(1, Math.round(bm.height * scale));
        var canvas = self.doc.createElement('canvas');
        canvas.width = w;
        canvas.height = h;
        var ctx = canvas.getContext('2d');
        ctx.drawImage(bm, 0, 0, w, h);
        raw.set(ds.imageToGray(ctx.getImageData(0, 0, w, h), side), i * d);
        if (bm.close) bm.close();
      });
      if (bms.length < 2) throw new Error('choose at least 2 images (got ' + bms.length + ')');
      done({ kind: 'image', raw: raw, rows: bms.length, d: d, imageShape: [side, side],
        maxN: bms.length > 2 ? bms.length - 1 : bms.length });
    }).catch(fail);
  };

  Explorer.prototype.onMessage = function (msg) {
    if (msg.type === 'ready') return;
    if (msg.type === 'error') {
      if (msg.id === this.runId) this.setError(msg.message);
      return;
    }
    if (msg.type !== 'progress' || msg.id !== this.runId) return; // a stale run
    if (msg.light) { // step and loss only: keep the last statistics of this run
      if (!this.last || this.last.id !== msg.id) return;
      var full = this.last;
      msg = Object.assign({}, full, msg, { light: false, params: full.params, stats: full.stats });
    }
    if (msg.start === 'cold' && msg.lossOffset === 0 && this.lastRun !== msg.id) {
      this.losses = [];
      this.restarts = [];
    } else if (this.lastRun !== msg.id) {
      this.restarts.push(msg.lossOffset);
    }
    if (this.lastRun !== msg.id) this.firstUpdateMs = now() - this.moveTime;
    this.lastRun = msg.id;
    this.losses.length = msg.lossOffset;
    for (var i = 0; i < msg.losses.length; i++) this.losses.push(msg.losses[i]);
    this.last = msg;
    this.writeState();
    this.renderText();
    this.scheduleDraw();
  };

  /** The JSON written to data-state. */
  Explorer.prototype.stateOf = function () {
    var m = this.last, v = this.sentParams || this.params();
    if (!m) return { dataset: v.dataset, error: this.error, step: 0, converged: false };
    var th = m.theory || {}, st = m.stats;
    var predictedStored = null;
    if (th.dies) {
      predictedStored = th.dies.filter(function (x) { return !x; }).length / th.dies.length;
    }
    var s = {
      dataset: v.dataset, n: m.params.n, p: m.params.p, d: m.params.d, sigma: m.params.sigma,
      lam: m.params.lam, seed: m.params.seed, tied: m.params.tied, run: m.id, start: m.start,
      step: m.step, total_steps: m.totalSteps, loss: round6(m.loss), converged: m.converged,
      reason: m.reason, top1_share: round6(st.top1_share),
      top1_aligned: round6(st.top1_aligned), top1_raw: round6(st.top1_raw),
      stored_fraction: round6(st.stored_fraction),
      stored_gain_fraction: round6(m.samples.gains.filter(function (g) {
        return g > 0.05;
      }).length / m.samples.gains.length),
      std: round6(st.std), cv: round6(st.cv),
      active_units: st.active_units, col_cos_mean: round6(st.col_cos_mean), regime: m.regime,
      theory: th.kind, predicted_stored_fraction: round6(predictedStored),
      ms_per_step: round6(m.msPerStep), elapsed_ms: round6(m.elapsedMs),
      first_update_ms: round6(this.firstUpdateMs), mode: this.trainer.mode, updates: this.updates,
      kernel: m.kernel || null, error: this.error,
    };
    if (v.dataset === 'gmm' || v.dataset === 'gmm-dup') {
      s.K = v.K;
      s.separation = v.separation;
    }
    if (th.mStar) {
      s.m = th.m;
      s.n_rows = th.nRows;
      s.m_star = th.mStar.map(round6);
      var gains = m.samples.gains;
      s.dup_stored = th.dupIndex.map(function (i) { return gains[i] > 0.05; });
      s.dup_predicted = th.mStar.map(function (x) { return x !== null && th.m > x; });
    }
    if (m.spectrum) {
      s.spectrum = m.spectrum.map(round6);
      s.spectrum_theory = th.spectrum.map(round6);
    }
    return s;
  };

  Explorer.prototype.writeState = function (extra) {
    var s = this.stateOf();
    for (var k in extra || {}) s[k] = extra[k];
    this.updates += 1;
    s.updates = this.updates;
    this.state = s;
    this.root.setAttribute('data-state', JSON.stringify(s));
  };

  Explorer.prototype.renderText = function () {
    var m = this.last, st = m.stats;
    var status = !m.converged ? 'training…'
      : m.reason === 'tol' ? 'converged (loss flat)' : 'stopped at max steps';
    this.progress.textContent = 'step ' + m.step + ' · loss ' + fmt(m.loss, 5) + ' · ' +
      fmt(m.msPerStep, 2) + ' ms/step · ' + status + ' · ' +
      (this.trainer.mode === 'worker' ? 'Web Worker' : 'main thread') +
      (m.kernel === 'wasm-simd' ? ' (WebAssembly SIMD)' : m.kernel ? ' (JavaScript)' : '');
    var regime = m.regime === 'memorization' ? 'p ≥ n: memorization regime'
      : m.regime === 'mixed' ? 'mixed regime (duplicates)' : 'p < n: generalization regime';
    this.summary.textContent = regime + '. Top-1 share ' + fmt(st.top1_share, 3) +
      ' (units storing the same sample as one; 1 = one spike) · stored fraction ' +
      fmt(st.stored_fraction, 3) +
      ' · std of h ' + fmt(st.std, 3) + ' · cv ' + fmt(st.cv, 3) + ' · active units ' +
      st.active_units + '/' + m.params.p + '.';
  };

  Explorer.prototype.scheduleDraw = function () {
    if (this.drawPending) return;
    this.drawPending = true;
    var self = this;
    var raf = typeof requestAnimationFrame !== 'undefined' ? requestAnimationFrame
      : function (cb) { return setTimeout(cb, 16); };
    raf(function () {
      self.drawPending = false;
      try {
        self.draw();
      } catch (err) {
        self.setError(err);
      }
    });
  };

  Explorer.prototype.draw = function () {
    var m = this.last, P = this.panels;
    if (!m) return;
    var img = this.data && this.data.imageShape;
    drawColumns(P.columns.canvas, m.columns.data, img, m.columns.cosine.map(function (c, q) {
      return 'u' + m.columns.index[q] + ' cos ' + c.toFixed(2);
    }));
    var stats = root.stats, p = m.params.p;
    P.hTrain.title.textContent = (m.theory.regime === 'mixed' ? 'h of a noisy duplicated input'
      : 'h of a noisy training input') + ' (top-1 ' + fmt(stats.top1Share(m.hTrain, 0, p), 2) +
      ', std ' + fmt(stats.unitStd(m.hTrain, 0, p), 2) + ')';
    drawBars(P.hTrain.canvas, m.hTrain, { color: '#4455aa', xlabel: 'unit' });
    if (m.hUnseen) {
      P.hUnseen.box.hidden = false;
      P.hUnseen.title.textContent = 'h of a noisy unseen input (top-1 ' +
        fmt(stats.top1Share(m.hUnseen, 0, p), 2) + ', std ' +
        fmt(stats.unitStd(m.hUnseen, 0, p), 2) + ')';
      drawBars(P.hUnseen.canvas, m.hUnseen, { color: '#aa5544', xlabel: 'unit' });
    } else {
      P.hUnseen.box.hidden = true;
    }
    this.drawTheory();
    drawLines(P.loss.canvas, [{ y: this.losses, color: '#335' }], { logy: true,
      vlines: this.restarts, title: 'loss per step (log); grey: warm restarts' });
  };

  Explorer.prototype.drawTheory = function () {
    var m = this.last, th = m.theory, P = this.panels.theory;
    if (th.kind === 'memorization') {
      var n = th.gain.length, show = Math.min(n, 40);
      P.title.textContent = 'p ≥ n: gain along each sample, learned (bars) vs predicted m_i ' +
        '(ticks)';
      drawBars(P.canvas, m.samples.gains.slice(0, show), { marks: th.gain.slice(0, show),
        crosses: th.dies.slice(0, show), xlabel: 'sample i (× = predicted dead)',
        colors: m.samples.stored_cos.slice(0, show).map(function (c) {
          return c >= 0.95 ? '#228833' : '#bbbbbb';
        }) });
      var rows = [];
      for (var i = 0; i < Math.min(n, 8); i++) {
        rows.push('x' + i + ': r ' + fmt(th.r[i], 3) + ' vs ' + fmt(m.samples.r[i], 3) +
          (th.dies[i] ? ' (dies: ‖x‖² ≤ nλ)' : m.samples.stored_cos[i] >= 0.95 ? ' stored' : ''));
      }
      this.theoryNote.textContent = 'Predicted r_i vs learned; green = stored (a decoder column ' +
        'with cosine ≥ 0.95): ' + rows.join(' · ') + (n > 8 ? ' …' : '');
    } else if (th.mStar) {
      var idx = th.dupIndex;
      P.title.textContent = 'Duplicated samples: learned gain (bars) vs predicted (ticks), ' +
        'm = ' + th.m;
      drawBars(P.canvas, idx.map(function (i) { return m.samples.gains[i]; }), {
        marks: th.dupGain, xlabel: 'duplicated sample j',
        colors: idx.map(function (i) { return m.samples.gains[i] > 0.05 ? '#228833' : '#bbbbbb'; }),
      });
      this.theoryNote.textContent = 'Stored iff m > m* = n_bulk λ / (‖x‖² − Dλ): m* = ' +
        th.mStar.map(function (x) { return fmt(x, 3); }).join(', ') +
        ' (green bars: stored by the ' +
        'network, gain > 0.05; ticks: predicted gain). ' +
        'Spectrum of sym(W2 W1ᵀ): ' + (m.spectrum || []).slice(0, 6).map(function (x) {
        return fmt(x, 2); }).join(', ') + ' vs theory ' + th.spectrum.slice(0, 6).map(function (x) {
        return fmt(x, 2); }).join(', ') + '.';
    } else {
      P.title.textContent = 'p < n: eigenvalues of sym(W2 W1ᵀ), learned vs predicted blocks';
      drawLines(P.canvas, [
        { y: m.spectrum, color: '#228833', dots: true, label: 'learned' },
        { y: th.spectrum, color: '#000', dash: [4, 3], rings: true, label: 'theory (rings)' },
      ], { vlines: [Math.min(m.params.p, th.spectrum.length - 1)],
        title: 'index j = 1 … p + 4 (grey line: p)' });
      this.theoryNote.textContent = (th.clusters > 1 ? th.clusters + ' clusters: per-cluster ' +
        'Wiener filter with threshold nλ/n_k' : 'one cluster: the rank-p Wiener filter with ' +
        'threshold nλ') + ', m_j = (s_j − nλ/n_k)₊ / (s_j + σ²).';
    }
  };

  Explorer.prototype.destroy = function () {
    if (this.trainer) this.trainer.terminate();
    if (this.resizeObserver) this.resizeObserver.disconnect();
  };

  /** Mount an explorer into `node` (once); returns it (also as node.memgenLive). */
  function mount(node, options) {
    if (node.memgenLive) return node.memgenLive;
    var ex = new Explorer(node, options);
    node.memgenLive = ex;
    return ex;
  }

  /** Mount into every element with class memgen-live under `scope` (default: the document). */
  function mountAll(scope) {
    var doc = scope || document;
    return Array.prototype.map.call(doc.querySelectorAll('.memgen-live'), function (n) {
      return mount(n);
    });
  }

  root.explorer = { Explorer: Explorer, mount: mount, mountAll: mountAll, PRESETS: PRESETS,
    DATASETS: DATASETS, drawBars: drawBars, drawLines: drawLines, drawColumns: drawColumns };

  if (typeof document !== 'undefined' && !root.noAutoMount) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', function () { mountAll(document); });
    } else {
      mountAll(document);
    }
  }
}

(function (fn, name, deps) {
  var g = typeof globalThis !== 'undefined' ? globalThis : self;
  var root = g.memgenLive = g.memgenLive || {};
  var node = typeof module !== 'undefined' && module.exports && typeof require === 'function';
  if (node) deps.forEach(function (d) { require('./' + d + '.js'); });
  root.sources = root.sources || {};
  root.sources[name] = fn;
  fn(root);
  if (node) module.exports = root;
})(memgenLive_explorer, 'explorer', ['datasets', 'worker']);
