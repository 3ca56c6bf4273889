/* memgenLive.dae: the two-layer ReLU DAE f(x) = W2 [W1^T x]_+ (no biases), as memgen.dae.ReLUDAE.
 *
 * W1, W2 are (d, p). Inside the live explorer the weights are kept by COLUMN ("column layout"):
 * a Float64Array C of length p * d with C[j * d + a] = W[a, j], so the d weights of hidden unit j
 * are contiguous. toColumns / fromColumns convert from / to the row-major (d, p) layout of numpy.
 * A tied model has C2 === C1 (W2 = W1).
 */
function memgenLive_dae(root) {
  'use strict';

  function toColumns(W, d, p) {
    var C = new Float64Array(d * p);
    for (var a = 0; a < d; a++) for (var j = 0; j < p; j++) C[j * d + a] = W[a * p + j];
    return C;
  }

  function fromColumns(C, d, p) {
    var W = new Float64Array(d * p);
    for (var j = 0; j < p; j++) for (var a = 0; a < d; a++) W[a * p + j] = C[j * d + a];
    return W;
  }

  /**
   * Initial weights like memgen.fit_fast._initial_weights / ReLUDAE(d, p, tied, seed): i.i.d.
   * N(0, scale^2) entries, scale = 1 / sqrt(d) by default, W1 drawn first (row-major), then W2.
   * (The draws come from memgenLive.rng, not from torch: same distribution, other numbers.)
   */
  function initColumns(d, p, tied, seed, scale) {
    var checks = root.checks;
    checks.checkInt('d', d, 1);
    checks.checkInt('p', p, 1);
    var sc = scale === undefined ? 1 / Math.sqrt(d) : scale;
    var rng = new root.rng.Rng(seed, 'init');
    var W1 = rng.fillNormal(new Float64Array(d * p), sc);
    var C1 = toColumns(W1, d, p);
    if (tied) return { C1: C1, C2: C1 };
    var W2 = rng.fillNormal(new Float64Array(d * p), sc);
    return { C1: C1, C2: toColumns(W2, d, p) };
  }

  /** h = [W1^T x]_+ for each of the `rows` rows of X (rows x d): returns H (rows x p). */
  function representation(C1, d, p, X, rows) {
    var H = new Float64Array(rows * p);
    for (var i = 0; i < rows; i++) {
      var xo = i * d;
      for (var j = 0; j < p; j++) {
        var s = 0, co = j * d;
        for (var a = 0; a < d; a++) s += X[xo + a] * C1[co + a];
        H[i * p + j] = s > 0 ? s : 0;
      }
    }
    return H;
  }

  /** f(x) = W2 h(x) for each row of X: returns F (rows x d). */
  function forward(C1, C2, d, p, X, rows) {
    var H = representation(C1, d, p, X, rows);
    var F = new Float64Array(rows * d);
    for (var i = 0; i < rows; i++) {
      for (var j = 0; j < p; j++) {
        var h = H[i * p + j];
        if (h === 0) continue;
        for (var a = 0; a < d; a++) F[i * d + a] += h * C2[j * d + a];
      }
    }
    return F;
  }

  /** Norm of each column (p,). */
  function columnNorms(C, d, p) {
    var out = new Float64Array(p);
    for (var j = 0; j < p; j++) {
      var s = 0;
      for (var a = 0; a < d; a++) s += C[j * d + a] * C[j * d + a];
      out[j] = Math.sqrt(s);
    }
    return out;
  }

  /**
   * Resize a model to width pNew for a warm start: keep the columns of largest ||w1_j|| ||w2_j||
   * (in their original order) or append fresh N(0, 1/d) columns drawn with `rng`.
   */
  function resize(C1, C2, d, p, pNew, tied, rng) {
    if (pNew === p) return { C1: C1, C2: C2 };
    var n1 = columnNorms(C1, d, p), n2 = tied ? n1 : columnNorms(C2, d, p);
    var N1 = new Float64Array(d * pNew);
    var N2 = tied ? N1 : new Float64Array(d * pNew);
    var j;
    if (pNew < p) {
      var order = [];
      for (j = 0; j < p; j++) order.push(j);
      order.sort(function (x, y) { return n1[y] * n2[y] - n1[x] * n2[x] || x - y; });
      var keep = order.slice(0, pNew).sort(function (x, y) { return x - y; });
      for (j = 0; j < pNew; j++) {
        N1.set(C1.subarray(keep[j] * d, keep[j] * d + d), j * d);
        if (!tied) N2.set(C2.subarray(keep[j] * d, keep[j] * d + d), j * d);
      }
    } else {
      N1.set(C1);
      if (!tied) N2.set(C2);
      var sc = 1 / Math.sqrt(d);
      rng.fillNormal(N1, sc, p * d, (pNew - p) * d);
      if (!tied) rng.fillNormal(N2, sc, p * d, (pNew - p) * d);
    }
    return { C1: N1, C2: N2 };
  }

  /**
   * Re-draw, in place, the dead units at the initial scale N(0, 1/d). Unit j is dead when its
   * largest output on the training rows of X (n x d), ||w2_j|| max_i [w1_j . x_i]_+, is at most
   * tol (1e-2) times the largest unit's: a ReLU unit silent on all data gets no gradient but the
   * weight decay, so it would never revive. Returns how many were re-drawn.
   */
  function redrawDead(C1, C2, d, p, tied, rng, X, n, tol) {
    var n2 = columnNorms(C2, d, p), out = new Float64Array(p), mx = 0, j, count = 0;
    for (j = 0; j < p; j++) {
      var top = 0;
      for (var i = 0; i < n; i++) {
        var s = 0;
        for (var a = 0; a < d; a++) s += X[i * d + a] * C1[j * d + a];
        top = Math.max(top, s);
      }
      out[j] = top * n2[j];
      mx = Math.max(mx, out[j]);
    }
    var t = (tol === undefined ? 1e-2 : tol) * mx, sc = 1 / Math.sqrt(d);
    for (j = 0; j < p; j++) {
      if (mx > 0 && out[j] > t) continue;
      rng.fillNormal(C1, sc, j * d, d);
      if (!tied) rng.fillNormal(C2, sc, j * d, d);
      count++;
    }
    return count;
  }

  root.dae = {
    redrawDead: redrawDead,
    toColumns: toColumns, fromColumns: fromColumns, initColumns: initColumns,
    representation: representation, forward: forward, columnNorms: columnNorms, resize: resize,
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
})(memgenLive_dae, 'dae', ['checks', 'rng']);
