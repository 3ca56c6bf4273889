/* memgenLive.closedForms: the book's closed-form predictions, as in memgen.linear,
 * memgen.generalization and memgen.mixed.
 *
 * Memorization (p >= n, separable samples; Corollary 3.2 as derived in chapter 2): the unit that
 * stores x_i alone has gain m_i = max(0, (||x_i||^2 - n lam) / (||x_i||^2 + sigma^2)) along x_i
 * and columns r_i x_i with r_i^2 = m_i / ||x_i||^2; it dies when ||x_i||^2 <= n lam.
 * Generalization (p < n, separable clusters): cluster k acts as M_k = sum_j m_j u_j u_j^T with
 * m_j = max(0, (s_j - n lam / n_k) / (s_j + sigma^2)), s_j, u_j the eigenpairs of the cluster's
 * uncentred second moment. Mixed: a sample of multiplicity m among n_bulk + D m rows is stored
 * iff m > m* = n_bulk lam / (||x||^2 - D lam).
 * With sample weights w_i (summing to 1; 1/n by default) "n lam" generalises to lam / w_i and
 * "n lam / n_k" to lam / W_k, W_k the total weight of cluster k.
 */
function memgenLive_closedForms(root) {
  'use strict';
  var checks = root.checks;

  function checkSq(sq) {
    checks.checkFloat('sq_norm', sq);
    if (sq < 0) throw new Error('sq_norm must be >= 0, got ' + sq);
    return sq;
  }

  /** m_i = max(0, (||x||^2 - n lam) / (||x||^2 + sigma^2)): memgen.linear.memorization_gain. */
  function memorizationGain(sq, n, sigma, lam) {
    checkSq(sq);
    checks.checkInt('n', n, 1);
    checks.checkFloat('sigma', sigma, 0);
    checks.checkFloat('lam', lam, 0);
    var denom = sq + sigma * sigma;
    if (!(denom > 0)) throw new Error('sq_norm + sigma^2 must be > 0');
    return Math.max(0, (sq - n * lam) / denom);
  }

  /** r_i^2 = (||x||^2 - n lam) / (||x||^2 (||x||^2 + sigma^2)), 0 for a dead unit. */
  function memorizationR2(sq, n, sigma, lam) {
    var m = memorizationGain(sq, n, sigma, lam);
    return sq > 0 ? m / sq : 0;
  }

  /** A unit storing x alone dies when ||x||^2 <= n lam. */
  function unitDies(sq, n, lam) {
    return checkSq(sq) <= checks.checkInt('n', n, 1) * checks.checkFloat('lam', lam, 0);
  }

  /** Gain of a sample of multiplicity m among nRows rows: memgen.mixed.duplicate_gain. */
  function duplicateGain(sq, m, nRows, sigma, lam) {
    checks.checkInt('m', m, 1);
    checks.checkInt('n_rows', nRows, m);
    return memorizationGain(sq, nRows, sigma, checks.checkFloat('lam', lam, 0) / m);
  }

  /** m* = n_bulk lam / (||x||^2 - n_dup lam), Infinity where ||x||^2 <= n_dup lam. */
  function thresholdMultiplicity(sq, nBulk, nDup, lam) {
    checkSq(sq);
    checks.checkInt('n_bulk', nBulk, 0);
    checks.checkInt('n_dup', nDup, 1);
    checks.checkFloat('lam', lam, 0);
    var denom = sq - nDup * lam;
    return denom > 0 ? nBulk * lam / denom : Infinity;
  }

  function sqNorms(X, n, d) {
    var out = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var s = 0;
      for (var a = 0; a < d; a++) s += X[i * d + a] * X[i * d + a];
      out[i] = s;
    }
    return out;
  }

  function weightsOrUniform(weights, n) {
    if (weights) return root.fit.normalisedWeights(weights, n);
    var w = new Float64Array(n);
    w.fill(1 / n);
    return w;
  }

  /**
   * Per-sample memorization prediction with sample weights (normalised; default 1/n):
   * {sq, gain, r, dies} arrays (n), the gain (||x||^2 - lam / w_i)_+ / (||x||^2 + sigma^2).
   */
  function memorizationPrediction(X, n, d, sigma, lam, weights) {
    var w = weightsOrUniform(weights, n), sq = sqNorms(X, n, d);
    var gain = new Float64Array(n), r = new Float64Array(n), dies = [];
    for (var i = 0; i < n; i++) {
      var lamEff = w[i] > 0 ? lam / w[i] : Infinity;
      gain[i] = Math.max(0, (sq[i] - lamEff) / (sq[i] + sigma * sigma));
      r[i] = sq[i] > 0 ? Math.sqrt(gain[i] / sq[i]) : 0;
      dies.push(!(sq[i] > lamEff));
    }
    return { sq: sq, gain: gain, r: r, dies: dies };
  }

  /**
   * The per-cluster solutions: memgen.generalization.block_prediction (and, for one cluster with
   * rank p, memgen.linear.optimal_linear_denoiser). labels: n cluster ids (null: one cluster);
   * opts: {weights, rank: a number (every cluster) or an array (per cluster, in sorted-label
   * order)}. Returns {clusters: [{label, size, weight, lam, s, m}] (s, m descending, length d),
   * pairs: [{m, u}] the rank-one terms of M = sum_k M_k, spectrum: eigenvalues of M (length d,
   * descending)}.
   */
  function blockPrediction(X, n, d, labels, sigma, lam, opts) {
    opts = opts || {};
    checks.checkFloat('sigma', sigma, 0);
    checks.checkFloat('lam', lam, 0);
    var w = weightsOrUniform(opts.weights, n);
    var lab = labels || new Int32Array(n);
    var ids = Array.from(new Set(Array.from(lab))).sort(function (a, b) { return a - b; });
    var linalg = root.linalg, s2 = sigma * sigma;
    var clusters = [], pairs = [];
    ids.forEach(function (id, c) {
      var us = [], Wk = 0, size = 0, i, a;
      for (i = 0; i < n; i++) if (lab[i] === id) { Wk += w[i]; size++; }
      for (i = 0; i < n; i++) {
        if (lab[i] !== id || w[i] === 0) continue;
        var u = new Float64Array(d), sc = Math.sqrt(w[i] / Wk);
        for (a = 0; a < d; a++) u[a] = sc * X[i * d + a];
        us.push(u);
      }
      var lamK = Wk > 0 ? lam / Wk : Infinity;
      var e = linalg.lowRankSymEig(us, us, d, { vectors: true });
      var s = new Float64Array(d), m = new Float64Array(d);
      var rank = Array.isArray(opts.rank) ? opts.rank[c] : opts.rank;
      for (var j = 0; j < d; j++) {
        s[j] = j < e.values.length ? Math.max(0, e.values[j]) : 0;
        var denom = s[j] + s2;
        m[j] = denom > 0 ? Math.max(0, (s[j] - lamK) / denom) : 0;
        if (rank !== undefined && rank !== null && j >= rank) m[j] = 0;
        if (j < e.values.length && m[j] > 0) pairs.push({ m: m[j], u: e.vectors[j] });
      }
      clusters.push({ label: id, size: size, weight: Wk, lam: lamK, s: s, m: m });
    });
    var vs = pairs.map(function (q) {
      var v = new Float64Array(d);
      for (var a = 0; a < d; a++) v[a] = q.m * q.u[a];
      return v;
    });
    var e2 = linalg.lowRankSymEig(pairs.map(function (q) { return q.u; }), vs, d);
    var spectrum = new Float64Array(d);
    spectrum.set(e2.values.subarray(0, Math.min(d, e2.values.length)));
    spectrum.sort().reverse();
    return { clusters: clusters, pairs: pairs, spectrum: spectrum };
  }

  /** The minimiser M (d x d, row-major) of memgen.linear.optimal_linear_denoiser. */
  function optimalLinearDenoiser(X, n, d, sigma, lam, rank) {
    var b = blockPrediction(X, n, d, null, sigma, lam, { rank: rank });
    var M = new Float64Array(d * d);
    b.pairs.forEach(function (q) {
      for (var a = 0; a < d; a++) {
        for (var c = 0; c < d; c++) M[a * d + c] += q.m * q.u[a] * q.u[c];
      }
    });
    return { M: M, gains: b.clusters[0].m, s: b.clusters[0].s, spectrum: b.spectrum };
  }

  root.closedForms = {
    memorizationGain: memorizationGain, memorizationR2: memorizationR2, unitDies: unitDies,
    duplicateGain: duplicateGain, thresholdMultiplicity: thresholdMultiplicity,
    memorizationPrediction: memorizationPrediction, blockPrediction: blockPrediction,
    optimalLinearDenoiser: optimalLinearDenoiser, sqNorms: sqNorms,
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
})(memgenLive_closedForms, 'closedForms', ['checks', 'linalg', 'fit']);
