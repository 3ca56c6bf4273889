/* memgenLive.stats: representation statistics and read-outs of the trained weights, as defined by
 * memgen.stats, memgen.memorization, memgen.mixed and memgen.phase.
 *
 * - unitStd: population std of h across units (memgen.stats.unit_std, the paper's detector);
 * - top1Share: max_j h_j^2 / sum_j h_j^2 (memgen.stats.top1_share; 0 for h = 0);
 * - cv: coefficient of variation std / mean of h across units (0 for h = 0);
 * - unitOwners: each unit's best-cosine training sample, alive = column norm > 1e-2 x the largest
 *   (memgen.memorization.unit_owners);
 * - storedCosine / storedFraction: best cosine of each sample with an alive decoder column, and the
 *   fraction of samples with cosine >= 0.95 (memgen.mixed.stored_cosine,
 *   memgen.phase.memorized_fraction: the book's "memorized / stored fraction");
 * - ownerTop1: top-1 share of h on noisy training inputs with every alive unit's activation added
 *   to its owner (best-cosine training sample of its encoder column), dead units dropped: the
 *   scorecard's "units storing the same sample counted as one" (claim mem.top1_share_mean, from
 *   chapter 2's memgen.memorization.unit_owners + grouped_representation);
 * - groupedTop1: the same with only co-aligned units merged, those whose decoder column stores a
 *   sample at cosine >= 0.95, the others counting alone (memgen.phase.grouped_top1, chapter 4);
 * - gainsAlongSamples: u_i^T (sum over units active on x_i of w2_j w1_j^T) u_i
 *   (memgen.memorization.gains_along_samples);
 * - symSpectrum: eigenvalues of sym(W2 W1^T), descending.
 * Weights are in column layout (memgenLive.dae); rows of X, Y are samples.
 */
function memgenLive_stats(root) {
  'use strict';
  var THRESHOLD = 0.95, ALIVE_TOL = 1e-2;

  function unitStd(h, off, p) {
    var o = off || 0, m = 0, j;
    for (j = 0; j < p; j++) m += h[o + j];
    m /= p;
    var s = 0;
    for (j = 0; j < p; j++) s += (h[o + j] - m) * (h[o + j] - m);
    return Math.sqrt(s / p);
  }

  function top1Share(h, off, p) {
    var o = off || 0, mx = 0, j;
    for (j = 0; j < p; j++) mx = Math.max(mx, Math.abs(h[o + j]));
    if (!(mx > 0)) return 0;
    var s = 0, top = 0;
    for (j = 0; j < p; j++) {
      var g = h[o + j] / mx;
      s += g * g;
      top = Math.max(top, g * g);
    }
    return top / s;
  }

  function cv(h, off, p) {
    var o = off || 0, m = 0;
    for (var j = 0; j < p; j++) m += h[o + j];
    m /= p;
    return m > 0 ? unitStd(h, o, p) / m : 0;
  }

  /** Mean over the rows of H (rows x p) of fn(H, offset, p). */
  function rowMean(H, rows, p, fn) {
    var s = 0;
    for (var i = 0; i < rows; i++) s += fn(H, i * p, p);
    return rows > 0 ? s / rows : 0;
  }

  function rowNorms(X, n, d) {
    var out = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var s = 0;
      for (var a = 0; a < d; a++) s += X[i * d + a] * X[i * d + a];
      out[i] = Math.sqrt(s);
    }
    return out;
  }

  /** cos[j * n + i]: cosine of column j of C with row i of X (column norm clamped at 1e-12). */
  function columnCosines(C, X, n, d, p) {
    var cn = root.dae.columnNorms(C, d, p), xn = rowNorms(X, n, d);
    var cos = new Float64Array(p * n);
    for (var j = 0; j < p; j++) {
      for (var i = 0; i < n; i++) {
        var s = 0;
        for (var a = 0; a < d; a++) s += C[j * d + a] * X[i * d + a];
        cos[j * n + i] = s / (Math.max(cn[j], 1e-12) * (xn[i] > 0 ? xn[i] : 1));
      }
    }
    return { cos: cos, norm: cn };
  }

  function alive(norm, p, tol) {
    var mx = 0, j;
    for (j = 0; j < p; j++) mx = Math.max(mx, norm[j]);
    var out = new Uint8Array(p);
    for (j = 0; j < p; j++) out[j] = mx > 0 && norm[j] > (tol === undefined ? ALIVE_TOL : tol) * mx;
    return out;
  }

  /** memgen.memorization.unit_owners: {owner, cosine, alive, norm} per unit. */
  function unitOwners(C, X, n, d, p, aliveTol) {
    var cc = columnCosines(C, X, n, d, p);
    var owner = new Int32Array(p), cosine = new Float64Array(p);
    for (var j = 0; j < p; j++) {
      var best = -Infinity, bi = 0;
      for (var i = 0; i < n; i++) {
        if (cc.cos[j * n + i] > best) { best = cc.cos[j * n + i]; bi = i; }
      }
      owner[j] = bi;
      cosine[j] = best;
    }
    return { owner: owner, cosine: cosine, alive: alive(cc.norm, p, aliveTol), norm: cc.norm };
  }

  /** memgen.mixed.stored_cosine: per sample, the best cosine with an alive column (-1 if none). */
  function storedCosine(C, X, n, d, p, aliveTol) {
    var cc = columnCosines(C, X, n, d, p), al = alive(cc.norm, p, aliveTol);
    var out = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var best = -1, any = false;
      for (var j = 0; j < p; j++) {
        if (!al[j]) continue;
        if (!any || cc.cos[j * n + i] > best) best = cc.cos[j * n + i];
        any = true;
      }
      out[i] = any ? best : -1;
    }
    return out;
  }

  /** memgen.phase.memorized_fraction: fraction of rows with a decoder column at cosine >= 0.95. */
  function storedFraction(C2, X, n, d, p, threshold) {
    var th = threshold === undefined ? THRESHOLD : threshold;
    var sc = storedCosine(C2, X, n, d, p), k = 0;
    for (var i = 0; i < n; i++) if (sc[i] >= th) k++;
    return k / n;
  }

  /** Group of each unit: the sample its decoder column stores (cosine >= threshold), else n + j. */
  function unitGroups(C2, X, n, d, p, threshold) {
    var th = threshold === undefined ? THRESHOLD : threshold;
    var cc = columnCosines(C2, X, n, d, p), group = new Int32Array(p);
    for (var j = 0; j < p; j++) {
      var best = -Infinity, bi = 0;
      for (var i = 0; i < n; i++) {
        if (cc.cos[j * n + i] > best) { best = cc.cos[j * n + i]; bi = i; }
      }
      group[j] = best >= th ? bi : n + j;
    }
    return group;
  }

  /** h summed over units of the same group: (rows x (n + p)). */
  function groupRepresentation(H, rows, p, group, size) {
    var out = new Float64Array(rows * size);
    for (var r = 0; r < rows; r++) {
      for (var j = 0; j < p; j++) out[r * size + group[j]] += H[r * p + j];
    }
    return out;
  }

  /**
   * memgen.phase.grouped_top1 on given noisy copies Y (rows x d, typically draws x n rows):
   * {mean, perRow (rows), H (rows x p)}.
   */
  function groupedTop1(C1, C2, X, n, d, p, Y, rows, threshold) {
    var H = root.dae.representation(C1, d, p, Y, rows);
    var group = unitGroups(C2, X, n, d, p, threshold);
    var G = groupRepresentation(H, rows, p, group, n + p);
    var perRow = new Float64Array(rows);
    var s = 0;
    for (var r = 0; r < rows; r++) {
      perRow[r] = top1Share(G, r * (n + p), n + p);
      s += perRow[r];
    }
    return { mean: rows > 0 ? s / rows : 0, perRow: perRow, H: H, group: group };
  }

  /**
   * The scorecard's grouped top-1 share (chapter 2): h (rows x p) of the noisy copies, the alive
   * units' activations summed per owner (memgen.memorization.grouped_representation of
   * unit_owners(W1, X)), top-1 share per row, mean over rows. own: unitOwners(C1, X, ...).
   */
  function ownerTop1(H, rows, p, own, n) {
    var G = new Float64Array(n), s = 0;
    for (var r = 0; r < rows; r++) {
      G.fill(0);
      for (var j = 0; j < p; j++) if (own.alive[j]) G[own.owner[j]] += H[r * p + j];
      s += top1Share(G, 0, n);
    }
    return rows > 0 ? s / rows : 0;
  }

  /** memgen.memorization.gains_along_samples (n). */
  function gainsAlongSamples(C1, C2, X, n, d, p) {
    var xn = rowNorms(X, n, d), out = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var g = 0;
      for (var j = 0; j < p; j++) {
        var s1 = 0, s2 = 0;
        for (var a = 0; a < d; a++) {
          s1 += X[i * d + a] * C1[j * d + a];
          s2 += X[i * d + a] * C2[j * d + a];
        }
        if (s1 > 0) g += s1 * s2 / (xn[i] * xn[i]);
      }
      out[i] = g;
    }
    return out;
  }

  /** Eigenvalues of sym(W2 W1^T) (length d, descending). */
  function symSpectrum(C1, C2, d, p) {
    var us = [], vs = [];
    for (var j = 0; j < p; j++) {
      us.push(C2.subarray(j * d, j * d + d));
      vs.push(C1.subarray(j * d, j * d + d));
    }
    var out = new Float64Array(d);
    if (2 * p < d) {
      var e = root.linalg.lowRankSymEig(us, vs, d);
      var vals = Array.from(e.values);
      while (vals.length < d) vals.push(0);
      vals.sort(function (a, b) { return b - a; });
      out.set(vals.slice(0, d));
      return out;
    }
    var M = new Float64Array(d * d);
    for (j = 0; j < p; j++) {
      for (var a = 0; a < d; a++) {
        var c = C2[j * d + a];
        if (c === 0) continue;
        for (var b = 0; b < d; b++) M[a * d + b] += c * C1[j * d + b];
      }
    }
    out.set(root.linalg.eigh(M, d).values);
    return out;
  }

  function activeUnits(C1, d, p, aliveTol) {
    var al = alive(root.dae.columnNorms(C1, d, p), p, aliveTol), k = 0;
    for (var j = 0; j < p; j++) k += al[j];
    return k;
  }

  /**
   * Everything the explorer reports about a model on its training rows X (n x d) and noisy
   * copies Y (rows x d): top1_share (the scorecard's grouping), top1_aligned (memgen.phase's),
   * top1_raw (no grouping), stored_fraction, std, cv,
   * active_units, col_cos_mean / col_cos_min (best cosine of the alive encoder columns to a
   * training sample), gains (n), stored_cos (n).
   */
  function summary(C1, C2, X, n, d, p, Y, rows) {
    var gt = groupedTop1(C1, C2, X, n, d, p, Y, rows);
    var own = unitOwners(C1, X, n, d, p);
    var cs = 0, cmin = Infinity, na = 0;
    for (var j = 0; j < p; j++) {
      if (!own.alive[j]) continue;
      cs += own.cosine[j];
      cmin = Math.min(cmin, own.cosine[j]);
      na++;
    }
    var sc = storedCosine(C2, X, n, d, p), k = 0;
    for (var i = 0; i < n; i++) if (sc[i] >= THRESHOLD) k++;
    return {
      top1_share: ownerTop1(gt.H, rows, p, own, n),
      top1_aligned: gt.mean,
      top1_raw: rowMean(gt.H, rows, p, top1Share),
      stored_fraction: k / n,
      std: rowMean(gt.H, rows, p, unitStd),
      cv: rowMean(gt.H, rows, p, cv),
      active_units: na,
      col_cos_mean: na ? cs / na : 0,
      col_cos_min: na ? cmin : 0,
      gains: gainsAlongSamples(C1, C2, X, n, d, p),
      stored_cos: sc,
      owners: own,
      H: gt.H,
    };
  }

  root.stats = {
    THRESHOLD: THRESHOLD, ALIVE_TOL: ALIVE_TOL, unitStd: unitStd, top1Share: top1Share, cv: cv,
    rowMean: rowMean, columnCosines: columnCosines, unitOwners: unitOwners,
    storedCosine: storedCosine, storedFraction: storedFraction, unitGroups: unitGroups,
    groupRepresentation: groupRepresentation, groupedTop1: groupedTop1, ownerTop1: ownerTop1,
    gainsAlongSamples: gainsAlongSamples, symSpectrum: symSpectrum, activeUnits: activeUnits,
    summary: summary,
  };
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
})(memgenLive_stats, 'stats', ['dae', 'linalg']);
