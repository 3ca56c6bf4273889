/* memgenLive.datasets: the explorer's training sets, all seeded.
 *
 * - digits(kind, n): the book's 8x8 digits in [-1, 1] minus the mean of all 1797 (the centring of
 *   memgen.views.explorers and chapter 2), from memgenLive.digitsData: kind "separable" takes the first
 *   n of chapter 2's separable subset (pairwise cosines <= 0), kind "centred" the rows
 *   perm[1 .. n] of the embedded seed-0 permutation (memgen.views.explorers' choice), sorted;
 * - gaussianMixture: memgen.data.gaussian_mixture's construction (K low-rank clusters, simplex or
 *   orthogonal means, interleaved labels) with memgenLive.rng draws;
 * - mixedData: memgen.mixed.mixed_data's construction (a shifted separable mixture plus D points
 *   orthogonal to it, to be duplicated), and multiplicityWeights;
 * - the reader's own data: parseCSV (rows of numbers), imageToGray (an ImageData to a small
 *   grayscale square) and prepareOwn (scaled to [-1, 1] and centred like the digits).
 * A dataset is {X (n*d), n, d, labels, weights, imageShape, unseen (d) or null, name, ...}.
 */
function memgenLive_datasets(root) {
  'use strict';
  var checks = root.checks;
  var cache = {};

  function digitsTable() {
    if (cache.digits) return cache.digits;
    var dd = root.digitsData;
    if (!dd) throw new Error('digits data missing: load digits_data.js before datasets.js');
    var N = dd.n, d = dd.d, raw = new Float64Array(N * d), centred = new Float64Array(N * d);
    for (var k = 0; k < N * d; k++) {
      var v = dd.pixels.charCodeAt(k) - 97; // 'a' = 0 .. 'q' = 16
      raw[k] = -1 + 2 * (v / dd.levels); // exact in float32 too
      centred[k] = Math.fround(raw[k] - dd.mean[k % d]);
    }
    var labels = new Int32Array(N);
    for (k = 0; k < N; k++) labels[k] = dd.labels.charCodeAt(k) - 48;
    cache.digits = { N: N, d: d, raw: raw, centred: centred, labels: labels };
    return cache.digits;
  }

  function rowsOf(T, d, idx) {
    var X = new Float64Array(idx.length * d);
    for (var i = 0; i < idx.length; i++) X.set(T.subarray(idx[i] * d, idx[i] * d + d), i * d);
    return X;
  }

  /** The book's digits: kind "separable" (n <= 6) or "centred" (n <= 1796). */
  function digits(kind, n) {
    checks.checkChoice('kind', kind, ['separable', 'centred']);
    var dd = root.digitsData, T = digitsTable(), idx, unseen;
    if (kind === 'separable') {
      checks.checkInt('n', n, 1, dd.separable.length);
      idx = dd.separable.slice(0, n);
      for (var k = 0; k < dd.perm.length; k++) {
        if (dd.separable.indexOf(dd.perm[k]) < 0) { unseen = dd.perm[k]; break; }
      }
    } else {
      checks.checkInt('n', n, 1, T.N - 1);
      idx = Array.from(dd.perm.slice(1, n + 1)).sort(function (a, b) { return a - b; });
      unseen = dd.perm[0];
    }
    return {
      name: 'digits-' + kind, X: rowsOf(T.centred, T.d, idx), n: n, d: T.d, index: idx,
      labels: null, classes: Int32Array.from(idx.map(function (i) { return T.labels[i]; })),
      weights: null, imageShape: dd.imageShape.slice(), unseen: T.centred.slice(unseen * T.d,
        unseen * T.d + T.d), unseenIndex: unseen,
    };
  }

  function gaussianColumns(d, k, rng) {
    var vecs = [];
    for (var j = 0; j < k; j++) vecs.push(rng.fillNormal(new Float64Array(d)));
    return vecs;
  }

  /** k orthonormal vectors in R^d (Gram-Schmidt of Gaussian vectors). */
  function orthonormal(d, k, rng) {
    var basis = root.linalg.orthonormalBasis(gaussianColumns(d, k, rng), d);
    if (basis.length !== k) {
      throw new Error('could not draw ' + k + ' orthonormal vectors in R^' + d);
    }
    return basis;
  }

  /**
   * memgen.data.gaussian_mixture(n, K, d, rank, spread, separation, means, seed) with JS draws.
   * The rows of gaussianMixture(N, ...) start with those of gaussianMixture(n < N, ...).
   */
  function gaussianMixture(n, opts) {
    var o = Object.assign({ K: 2, d: 16, rank: null, spread: 1, separation: 5, means: 'simplex',
      seed: 0 }, opts || {});
    checks.checkInt('n', n, 1);
    var d = checks.checkInt('d', o.d, 1);
    var K = checks.checkInt('K', o.K, 1, d);
    var rank = o.rank === null || o.rank === undefined ? d : checks.checkInt('rank', o.rank, 1, d);
    var spread = checks.checkFloat('spread', o.spread, 0);
    var sep = checks.checkFloat('separation', o.separation, 0);
    checks.checkChoice('means', o.means, ['orthogonal', 'simplex']);
    if (o.means === 'simplex' && K < 2) throw new Error("means='simplex' needs K >= 2 clusters");
    var rng = new root.rng.Rng(checks.checkInt('seed', o.seed, 0), 'data');
    var q = orthonormal(d, K, rng), a, k;
    if (o.means === 'simplex') {
      var mean = new Float64Array(d);
      for (k = 0; k < K; k++) for (a = 0; a < d; a++) mean[a] += q[k][a] / K;
      for (k = 0; k < K; k++) {
        var s = 0;
        for (a = 0; a < d; a++) { q[k][a] -= mean[a]; s += q[k][a] * q[k][a]; }
        for (a = 0; a < d; a++) q[k][a] /= Math.sqrt(s);
      }
    }
    var means = q.map(function (v) { return v.map(function (x) { return sep * x; }); });
    var bases = [];
    for (k = 0; k < K; k++) bases.push(orthonormal(d, rank, rng));
    var X = new Float64Array(n * d), labels = new Int32Array(n), z = new Float64Array(rank);
    for (var i = 0; i < n; i++) {
      k = i % K;
      labels[i] = k;
      rng.fillNormal(z);
      for (a = 0; a < d; a++) {
        var v = means[k][a];
        for (var r = 0; r < rank; r++) v += spread * bases[k][r][a] * z[r];
        X[i * d + a] = v;
      }
    }
    return { name: 'gmm', X: X, n: n, d: d, labels: labels, weights: null, imageShape: null,
      means: means, bases: bases, K: K, rank: rank };
  }

  /**
   * memgen.mixed.mixed_data: nBulk rows of a separable mixture shifted by offset * c, then
   * D = dupSqNorms.length points sqrt(sq_j) (e_j - tilt c) / sqrt(1 + tilt^2) with c, e_j
   * orthonormal to the mixture's span (the e_j centred: pairwise inner products -1/(D-1)).
   * labels: the bulk's clusters, K + j for duplicated point j; isDup marks the D points.
   */
  function mixedData(nBulk, opts) {
    var o = Object.assign({ dupSqNorms: [5, 6, 7, 8, 9, 10, 11, 12], K: 2, d: 32, rank: 4,
      spread: 1, separation: 3, offset: 2, tilt: 0.35, seed: 0 }, opts || {});
    checks.checkInt('n_bulk', nBulk, 1);
    var sq = checks.checkArray('dup_sq_norms', o.dupSqNorms);
    if (sq.length < 1 || sq.some(function (v) { return v <= 0; })) {
      throw new Error('dup_sq_norms must hold at least one number, all > 0');
    }
    var D = sq.length;
    var offset = checks.checkFloat('offset', o.offset, 0);
    var tilt = checks.checkFloat('tilt', o.tilt, 0, D > 1 ? 1 / Math.sqrt(D - 1) : null);
    var bulk = gaussianMixture(nBulk, { K: o.K, d: o.d, rank: o.rank, spread: o.spread,
      separation: o.separation, means: 'simplex', seed: o.seed });
    var d = bulk.d, a, j;
    var spanVecs = bulk.means.slice();
    bulk.bases.forEach(function (b) { spanVecs = spanVecs.concat(b); });
    var span = root.linalg.orthonormalBasis(spanVecs, d, 1e-6);
    var r = span.length;
    if (D + 1 > d - r) {
      throw new Error('dup_sq_norms must have at most ' + (d - r - 1) + ' entries (the ' +
        'complement of the bulk\'s span has dimension ' + (d - r) + ', one of which holds the ' +
        'offset), got ' + D);
    }
    var rng = new root.rng.Rng(o.seed, 'frame');
    var all = root.linalg.orthonormalBasis(span.concat(gaussianColumns(d, D + 1, rng)), d);
    var frame = all.slice(r, r + D + 1);
    var c = frame[0], E = frame.slice(1);
    if (D > 1) {
      var mean = new Float64Array(d);
      E.forEach(function (e) { for (a = 0; a < d; a++) mean[a] += e[a] / D; });
      E = E.map(function (e) {
        var v = e.map(function (x, q) { return x - mean[q]; });
        var s = Math.sqrt(v.reduce(function (t, x) { return t + x * x; }, 0));
        return v.map(function (x) { return x / s; });
      });
    }
    var n = nBulk + D, X = new Float64Array(n * d), labels = new Int32Array(n);
    var isDup = new Uint8Array(n);
    for (var i = 0; i < nBulk; i++) {
      for (a = 0; a < d; a++) X[i * d + a] = bulk.X[i * d + a] + offset * c[a];
      labels[i] = bulk.labels[i];
    }
    for (j = 0; j < D; j++) {
      var sc = Math.sqrt(sq[j]) / Math.sqrt(1 + tilt * tilt);
      for (a = 0; a < d; a++) X[(nBulk + j) * d + a] = sc * (E[j][a] - tilt * c[a]);
      labels[nBulk + j] = o.K + j;
      isDup[nBulk + j] = 1;
    }
    return { name: 'mixed', X: X, n: n, d: d, labels: labels, weights: null, imageShape: null,
      isDup: isDup, nBulk: nBulk, nDup: D, dupSqNorms: sq.slice(), c: c, K: o.K };
  }

  /** Row weights: m for duplicated rows, 1 for the others (memgen.mixed.multiplicity_weights). */
  function multiplicityWeights(isDup, m) {
    checks.checkInt('m', m, 1);
    var w = new Float64Array(isDup.length);
    for (var i = 0; i < isDup.length; i++) w[i] = isDup[i] ? m : 1;
    return w;
  }

  function isNumberCell(cell) {
    return cell !== '' && Number.isFinite(Number(cell));
  }

  /**
   * Rows of numbers from CSV text (separated by commas, semicolons, tabs or spaces; blank lines
   * and lines starting with # skipped; one header row of non-numbers allowed). opts: {minRows
   * (2), maxRows (5000), maxCols (4096)}. Returns {X, n, d, header}; throws an Error naming the
   * argument, the row and column, and the allowed range on bad input.
   */
  function parseCSV(text, opts) {
    var o = Object.assign({ minRows: 2, maxRows: 5000, maxCols: 4096 }, opts || {});
    if (typeof text !== 'string') {
      throw new Error('csv must be text, got ' + (text === null ? 'null' : typeof text));
    }
    var lines = text.split(/\r\n|\n|\r/), rows = [], header = null, d = null, lineNo = 0;
    for (var L = 0; L < lines.length; L++) {
      var line = lines[L].trim();
      lineNo = L + 1;
      if (line === '' || line.charAt(0) === '#') continue;
      var sep = line.indexOf(',') >= 0 ? ',' : line.indexOf(';') >= 0 ? ';'
        : line.indexOf('\t') >= 0 ? '\t' : /\s+/;
      var cells = line.split(sep).map(function (c) { return c.trim().replace(/^"(.*)"$/, '$1'); });
      var noNumbers = cells.every(function (c) { return !isNumberCell(c); });
      if (rows.length === 0 && header === null && noNumbers) {
        header = cells;
        continue;
      }
      if (cells.length > o.maxCols) {
        throw new Error('csv rows must have between 1 and ' + o.maxCols + ' values, got ' +
          cells.length + ' on line ' + lineNo);
      }
      if (d === null) d = cells.length;
      if (cells.length !== d) {
        throw new Error('csv row ' + (rows.length + 1) + ' (line ' + lineNo + ') has ' +
          cells.length +
          ' values; every row must have ' + d + ' values (as many as the first row)');
      }
      var row = new Float64Array(d);
      for (var c = 0; c < d; c++) {
        if (!isNumberCell(cells[c])) {
          throw new Error('csv row ' + (rows.length + 1) + ' (line ' + lineNo + '), column ' +
            (c + 1) +
            ': ' + JSON.stringify(cells[c]) + ' is not a finite number');
        }
        row[c] = Number(cells[c]);
      }
      rows.push(row);
      if (rows.length > o.maxRows) {
        throw new Error('csv must have between ' + o.minRows + ' and ' + o.maxRows +
          ' rows of numbers, got more than ' + o.maxRows);
      }
    }
    if (rows.length < o.minRows) {
      throw new Error('csv must have between ' + o.minRows + ' and ' + o.maxRows +
        ' rows of numbers, got ' + rows.length);
    }
    var X = new Float64Array(rows.length * d);
    rows.forEach(function (r, i) { X.set(r, i * d); });
    return { X: X, n: rows.length, d: d, header: header };
  }

  /**
   * An ImageData-like {width, height, data (RGBA bytes)} to a side x side grayscale image in
   * [0, 1] (centre square crop, box-filter average, alpha composited on white).
   */
  function imageToGray(img, side) {
    checks.checkInt('side', side, 1, 64);
    if (!img || !(img.width >= 1) || !(img.height >= 1) || !img.data ||
        img.data.length !== 4 * img.width * img.height) {
      throw new Error('image must be an ImageData with width, height >= 1 and 4 bytes per pixel');
    }
    var s = Math.min(img.width, img.height);
    var x0 = Math.floor((img.width - s) / 2), y0 = Math.floor((img.height - s) / 2);
    var out = new Float64Array(side * side);
    for (var r = 0; r < side; r++) {
      var ya = y0 + Math.floor(r * s / side);
      var yb = Math.max(ya + 1, y0 + Math.floor((r + 1) * s / side));
      for (var c = 0; c < side; c++) {
        var xa = x0 + Math.floor(c * s / side);
        var xb = Math.max(xa + 1, x0 + Math.floor((c + 1) * s / side));
        var acc = 0, cnt = 0;
        for (var y = ya; y < yb; y++) {
          for (var x = xa; x < xb; x++) {
            var k = 4 * (y * img.width + x), al = img.data[k + 3] / 255;
            var g = (0.299 * img.data[k] + 0.587 * img.data[k + 1] + 0.114 * img.data[k + 2]) / 255;
            acc += g * al + (1 - al);
            cnt++;
          }
        }
        out[r * side + c] = acc / cnt;
      }
    }
    return out;
  }

  /**
   * The reader's rows (rows x d) prepared like the digits: images (values in [0, 1]) mapped to
   * [-1, 1], other data min-max scaled to [-1, 1]; then the mean row is subtracted. n of the rows
   * train (the first n); the last row is the unseen input when rows > n.
   */
  function prepareOwn(raw, rows, d, opts) {
    var o = Object.assign({ kind: 'csv', imageShape: null, n: null, name: 'own' }, opts || {});
    checks.checkInt('rows', rows, 1);
    checks.checkInt('d', d, 1);
    var k, lo = Infinity, hi = -Infinity;
    for (k = 0; k < rows * d; k++) { lo = Math.min(lo, raw[k]); hi = Math.max(hi, raw[k]); }
    var Z = new Float64Array(rows * d);
    if (o.kind === 'image') {
      for (k = 0; k < rows * d; k++) Z[k] = 2 * raw[k] - 1;
    } else {
      if (!(hi > lo)) throw new Error('csv values must not all be equal (got only ' + lo + ')');
      for (k = 0; k < rows * d; k++) Z[k] = -1 + 2 * (raw[k] - lo) / (hi - lo);
    }
    var mean = new Float64Array(d), i, a;
    for (i = 0; i < rows; i++) for (a = 0; a < d; a++) mean[a] += Z[i * d + a] / rows;
    for (i = 0; i < rows; i++) for (a = 0; a < d; a++) Z[i * d + a] -= mean[a];
    var maxN = rows > 2 ? rows - 1 : rows;
    var n = o.n === null || o.n === undefined ? maxN : checks.checkInt('n', o.n, 1, maxN);
    return { name: o.name, X: Z.slice(0, n * d), n: n, d: d, labels: null, weights: null,
      imageShape: o.imageShape, unseen: rows > n ? Z.slice((rows - 1) * d, rows * d) : null,
      rows: rows, maxN: maxN, all: Z };
  }

  root.datasets = {
    digits: digits, digitsTable: digitsTable, gaussianMixture: gaussianMixture,
    mixedData: mixedData, multiplicityWeights: multiplicityWeights, parseCSV: parseCSV,
    imageToGray: imageToGray, prepareOwn: prepareOwn, orthonormal: orthonormal,
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
})(memgenLive_datasets, 'datasets', ['checks', 'rng', 'linalg', 'digits_data']);
