'use strict';
const test = require('node:test');
const { live, close, randn } = require('./helpers.js');
const la = live.linalg;

test('eigh recovers a known spectrum and orthonormal eigenvectors', () => {
  const A = Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]);
  const e = la.eigh(A, 3, { vectors: true });
  close(e.values[0], 5, 1e-12);
  close(e.values[1], 3, 1e-12);
  close(e.values[2], 1, 1e-12);
  close(Math.abs(e.vectors[3] * e.vectors[4]), 0.5, 1e-12); // (1, 1, 0) / sqrt(2)
});

test('eigh of a random symmetric matrix: A v = lambda v', () => {
  const n = 12, R = randn(n * n, 3), A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i * n + j] = R[i * n + j] + R[j * n + i];
  }
  const e = la.eigh(A, n, { vectors: true });
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * e.vectors[k * n + j];
      close(s, e.values[k] * e.vectors[k * n + i], 1e-9);
    }
  }
});

test('lowRankSymEig matches the dense eigenvalues of sym(U V^T)', () => {
  const d = 10, r = 3, us = [], vs = [];
  for (let i = 0; i < r; i++) { us.push(randn(d, 10 + i)); vs.push(randn(d, 20 + i)); }
  const M = new Float64Array(d * d);
  for (let i = 0; i < r; i++) {
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) M[a * d + b] += us[i][a] * vs[i][b];
  }
  const dense = la.eigh(M, d).values, low = la.lowRankSymEig(us, vs, d).values;
  const sorted = Array.from(low).concat(new Array(d - low.length).fill(0)).sort((a, b) => b - a);
  for (let k = 0; k < d; k++) close(sorted[k], dense[k], 1e-9);
});
