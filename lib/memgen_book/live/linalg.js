/* memgenLive.linalg: the little dense linear algebra the explorer needs.
 *
 * Matrices are flat Float64Arrays in row-major order. eigh: cyclic Jacobi for a symmetric
 * matrix; lowRankSymEig: eigenpairs of sym(sum_i u_i v_i^T) through an orthonormal basis of the
 * span of the u_i and v_i (cheap when there are fewer vectors than dimensions).
 */
function memgenLive_linalg(root) {
  'use strict';

  function dot(a, ao, b, bo, len) {
    var s = 0;
    for (var i = 0; i < len; i++) s += a[ao + i] * b[bo + i];
    return s;
  }

  /** Transpose of a (rows x cols) row-major matrix. */
  function transpose(A, rows, cols) {
    var T = new Float64Array(rows * cols);
    for (var i = 0; i < rows; i++) {
      for (var j = 0; j < cols; j++) T[j * rows + i] = A[i * cols + j];
    }
    return T;
  }

  /**
   * Eigen-decomposition of the symmetric (n x n) matrix A (only its symmetric part is used).
   * Returns {values (descending), vectors}: vectors[k * n + i] is entry i of eigenvector k
   * (null unless opts.vectors).
   */
  function eigh(A, n, opts) {
    var wantV = !!(opts && opts.vectors);
    var a = new Float64Array(n * n);
    var i, j, k;
    for (i = 0; i < n; i++) {
      for (j = 0; j < n; j++) a[i * n + j] = 0.5 * (A[i * n + j] + A[j * n + i]);
    }
    var v = null;
    if (wantV) {
      v = new Float64Array(n * n);
      for (i = 0; i < n; i++) v[i * n + i] = 1;
    }
    var total = 0;
    for (i = 0; i < n * n; i++) total += a[i] * a[i];
    for (var sweep = 0; sweep < 60; sweep++) {
      var off = 0;
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
      if (off <= 1e-30 * total || off === 0) break;
      for (var p = 0; p < n; p++) {
        for (var q = p + 1; q < n; q++) {
          var apq = a[p * n + q];
          if (apq === 0 || Math.abs(apq) < 1e-300) continue;
          var theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
          var t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          var c = 1 / Math.sqrt(t * t + 1);
          var s = t * c;
          for (k = 0; k < n; k++) { // columns p, q
            var akp = a[k * n + p], akq = a[k * n + q];
            a[k * n + p] = c * akp - s * akq;
            a[k * n + q] = s * akp + c * akq;
          }
          for (k = 0; k < n; k++) { // rows p, q
            var apk = a[p * n + k], aqk = a[q * n + k];
            a[p * n + k] = c * apk - s * aqk;
            a[q * n + k] = s * apk + c * aqk;
          }
          if (wantV) {
            for (k = 0; k < n; k++) {
              var vkp = v[k * n + p], vkq = v[k * n + q];
              v[k * n + p] = c * vkp - s * vkq;
              v[k * n + q] = s * vkp + c * vkq;
            }
          }
        }
      }
    }
    var order = [];
    for (i = 0; i < n; i++) order.push(i);
    order.sort(function (x, y) { return a[y * n + y] - a[x * n + x]; });
    var values = new Float64Array(n);
    var vectors = wantV ? new Float64Array(n * n) : null;
    for (k = 0; k < n; k++) {
      var col = order[k];
      values[k] = a[col * n + col];
      if (wantV) for (i = 0; i < n; i++) vectors[k * n + i] = v[i * n + col];
    }
    return { values: values, vectors: vectors };
  }

  /**
   * An orthonormal basis (array of Float64Array(d)) of the span of the given vectors
   * (modified Gram-Schmidt, twice; a vector whose remainder is below tol times its norm is
   * dropped).
   */
  function orthonormalBasis(vecs, d, tol) {
    var eps = tol === undefined ? 1e-9 : tol;
    var basis = [];
    for (var v = 0; v < vecs.length; v++) {
      var x = Float64Array.from(vecs[v]);
      var n0 = Math.sqrt(dot(x, 0, x, 0, d));
      if (!(n0 > 0)) continue;
      for (var pass = 0; pass < 2; pass++) {
        for (var b = 0; b < basis.length; b++) {
          var c = dot(basis[b], 0, x, 0, d);
          for (var i = 0; i < d; i++) x[i] -= c * basis[b][i];
        }
      }
      var n1 = Math.sqrt(dot(x, 0, x, 0, d));
      if (n1 <= eps * n0) continue;
      for (var k = 0; k < d; k++) x[k] /= n1;
      basis.push(x);
    }
    return basis;
  }

  /**
   * Eigenpairs of S = sym(sum_i u_i v_i^T) (u_i, v_i: Float64Array(d)), descending, restricted to
   * the span of the u_i and v_i (S is zero on its complement, so these are all its nonzero
   * eigenvalues).
   * Returns {values, vectors: array of Float64Array(d) or null, dim}.
   */
  function lowRankSymEig(us, vs, d, opts) {
    var wantV = !!(opts && opts.vectors);
    var Q = orthonormalBasis(us.concat(vs), d);
    var r = Q.length;
    var T = new Float64Array(r * r);
    var qu = new Float64Array(r), qv = new Float64Array(r);
    for (var i = 0; i < us.length; i++) {
      for (var a = 0; a < r; a++) {
        qu[a] = dot(Q[a], 0, us[i], 0, d);
        qv[a] = dot(Q[a], 0, vs[i], 0, d);
      }
      for (a = 0; a < r; a++) {
        for (var b = 0; b < r; b++) T[a * r + b] += 0.5 * (qu[a] * qv[b] + qv[a] * qu[b]);
      }
    }
    var e = eigh(T, r, { vectors: wantV });
    var vectors = null;
    if (wantV) {
      vectors = [];
      for (var k = 0; k < r; k++) {
        var x = new Float64Array(d);
        for (var c = 0; c < r; c++) {
          var w = e.vectors[k * r + c];
          for (var j = 0; j < d; j++) x[j] += w * Q[c][j];
        }
        vectors.push(x);
      }
    }
    return { values: e.values, vectors: vectors, dim: r };
  }

  root.linalg = {
    dot: dot, transpose: transpose, eigh: eigh, orthonormalBasis: orthonormalBasis,
    lowRankSymEig: lowRankSymEig,
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
})(memgenLive_linalg, 'linalg', []);
