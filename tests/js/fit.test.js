'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { live, close, randn } = require('./helpers.js');

function problem(n, d, K, sigma, seed) {
  const X = randn(n * d, seed);
  const E = randn(K * n * d, seed + 100);
  const Y = new Float64Array(K * n * d);
  for (let q = 0; q < Y.length; q++) Y[q] = X[q % (n * d)] + sigma * E[q];
  return { X, Y };
}

function fdCheck(tied, weights) {
  const n = 5, d = 7, p = 6, K = 3, sigma = 0.8;
  const { X, Y } = problem(n, d, K, sigma, 1);
  const w = live.dae.initColumns(d, p, tied, 2);
  const o = { n, d, p, sigma, lam: 0.05, tied, weights };
  const loss = () => live.fit.lossAndGrads(w.C1, w.C2, X, Y, o).loss;
  const out = live.fit.lossAndGrads(w.C1, w.C2, X, Y, o);
  const grads = [[w.C1, Float64Array.from(out.g1)]];
  if (!tied) grads.push([w.C2, Float64Array.from(out.g2)]);
  let maxErr = 0, maxG = 0;
  for (const [C, g] of grads) {
    for (let k = 0; k < C.length; k++) {
      const c = C[k], h = 1e-6;
      C[k] = c + h;
      const lp = loss();
      C[k] = c - h;
      const lm = loss();
      C[k] = c;
      maxErr = Math.max(maxErr, Math.abs((lp - lm) / (2 * h) - g[k]));
      maxG = Math.max(maxG, Math.abs(g[k]));
    }
  }
  return { maxErr, maxG };
}

test('gradients match central finite differences (untied, tied, weighted)', () => {
  for (const tied of [false, true]) {
    for (const weights of [null, Float64Array.from([0.1, 0.3, 0.2, 0.15, 0.25])]) {
      const { maxErr, maxG } = fdCheck(tied, weights);
      assert.ok(maxG > 0.1);
      assert.ok(maxErr < 1e-6 * Math.max(1, maxG), `tied=${tied}: max error ${maxErr}`);
    }
  }
});

test('the noisy draws flip masks in the finite-difference problem (MC term exercised)', () => {
  const n = 5, d = 7, p = 6, K = 3;
  const { X, Y } = problem(n, d, K, 0.8, 1);
  const w = live.dae.initColumns(d, p, false, 2);
  const Hx = live.dae.representation(w.C1, d, p, X, n);
  const Hy = live.dae.representation(w.C1, d, p, Y, K * n);
  let flips = 0;
  for (let r = 0; r < K * n; r++) {
    for (let j = 0; j < p; j++) if ((Hy[r * p + j] > 0) !== (Hx[(r % n) * p + j] > 0)) flips++;
  }
  assert.ok(flips > 5);
});

test('without flips the loss is the closed form; sigma = 0, lam = 0 gives the MSE', () => {
  const n = 4, d = 3, p = 2;
  const X = randn(n * d, 9);
  const w = live.dae.initColumns(d, p, false, 1);
  const out = live.fit.lossAndGrads(w.C1, w.C2, X, X, { n, d, p, sigma: 0, lam: 0 });
  const F = live.dae.forward(w.C1, w.C2, d, p, X, n);
  let mse = 0;
  for (let q = 0; q < n * d; q++) mse += (F[q] - X[q]) ** 2 / n;
  close(out.loss, mse, 1e-12, 'loss');
});

test('weight decay adds lam (||W1||^2 + ||W2||^2), counted twice for a tied model', () => {
  const n = 3, d = 4, p = 2;
  const X = randn(n * d, 4);
  for (const tied of [false, true]) {
    const w = live.dae.initColumns(d, p, tied, 3);
    const a = live.fit.lossAndGrads(w.C1, w.C2, X, X, { n, d, p, sigma: 0.3, lam: 0, tied }).loss;
    const b = live.fit.lossAndGrads(w.C1, w.C2, X, X, { n, d, p, sigma: 0.3, lam: 0.5, tied }).loss;
    let pen = 0;
    for (const v of w.C1) pen += v * v;
    if (!tied) for (const v of w.C2) pen += v * v;
    else pen *= 2;
    close(b - a, 0.5 * pen, 1e-12, 'penalty');
  }
});

test('row-major wrapper agrees with the column layout', () => {
  const n = 3, d = 4, p = 5;
  const X = randn(n * d, 2);
  const w = live.dae.initColumns(d, p, false, 3);
  const W1 = live.dae.fromColumns(w.C1, d, p), W2 = live.dae.fromColumns(w.C2, d, p);
  const a = live.fit.lossAndGrads(w.C1, w.C2, X, X, { n, d, p, sigma: 0.2, lam: 0.1 });
  const b = live.fit.lossAndGradsRowMajor(W1, W2, X, X, { n, d, p, sigma: 0.2, lam: 0.1 });
  close(a.loss, b.loss, 1e-14);
  assert.deepEqual(Array.from(live.dae.toColumns(b.gW1, d, p)), Array.from(a.g1));
});

test('one Adam step matches the hand computation', () => {
  // t = 1: m = 0.1 g, v = 0.001 g^2, step = lr * sign(g) * |g| / (|g| + eps sqrt(0.001)... )
  const w = Float64Array.from([1, -2]), g = Float64Array.from([0.5, -4]);
  const m = new Float64Array(2), v = new Float64Array(2);
  live.fit.adamStep(w, g, m, v, 1, 0.01);
  close(m[0], 0.05, 1e-15);
  close(v[1], 0.016, 1e-15);
  // a = lr / (1 - 0.9) = 0.1; m / (sqrt(v)/sqrt(0.001) + eps) = 0.05 / (0.5 + 1e-8)
  close(w[0], 1 - 0.1 * 0.05 / (0.5 + 1e-8), 1e-15);
  close(w[1], -2 + 0.1 * 0.4 / (4 + 1e-8), 1e-15);
  // second step with the same gradient
  live.fit.adamStep(w, g, m, v, 2, 0.01);
  const m2 = 0.05 + 0.1 * (0.5 - 0.05), v2 = 0.999 * 0.00025 + 0.001 * 0.25;
  close(m[0], m2, 1e-15);
  close(w[0], 1 - 0.1 * 0.05 / (0.5 + 1e-8) - (0.01 / (1 - 0.81)) * m2 /
    (Math.sqrt(v2) / Math.sqrt(1 - 0.999 ** 2) + 1e-8), 1e-14);
});

test('the cosine schedule is fit_dae\'s', () => {
  close(live.fit.scheduledLr(0.01, 1, 100, 'cosine'), 0.01, 1e-15);
  close(live.fit.scheduledLr(0.01, 51, 100, 'cosine'), 0.005, 1e-15);
  close(live.fit.scheduledLr(0.01, 77, 100, 'constant'), 0.01, 1e-15);
  assert.deepEqual(live.fit.ADAM, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
});

test('fit converges, is deterministic, and a warm start needs fewer steps', () => {
  const data = live.datasets.digits('separable', 4);
  const a = live.fit.fit(data, { p: 8, sigma: 0.2, lam: 0.5, seed: 3 });
  const b = live.fit.fit(data, { p: 8, sigma: 0.2, lam: 0.5, seed: 3 });
  assert.equal(a.converged, true);
  assert.equal(a.reason, 'tol');
  assert.deepEqual(Array.from(a.W1), Array.from(b.W1));
  assert.ok(a.losses[a.losses.length - 1] < 0.5 * a.losses[0]);
  const tr = a.trainer;
  assert.equal(tr.update({ sigma: 0.25 }), 'warm');
  tr.run();
  assert.ok(tr.t < a.steps, `warm restart took ${tr.t} steps, cold ${a.steps}`);
  assert.equal(tr.update({ p: 10 }), 'warm');
  assert.equal(tr.C1.length, 10 * 64);
  assert.equal(tr.update({ seed: 4 }), 'cold');
});

test('Trainer validates its arguments with the allowed range', () => {
  const data = { X: new Float64Array(6), n: 2, d: 3 };
  assert.throws(() => new live.fit.Trainer(data, { p: 0, sigma: 0.1, lam: 0 }),
    /p must be an integer >= 1, got 0/);
  assert.throws(() => new live.fit.Trainer(data, { p: 2, sigma: -1, lam: 0 }),
    /sigma must be >= 0, got -1/);
  assert.throws(() => new live.fit.Trainer({ X: [1, 2], n: 2, d: 3 }, { p: 2, sigma: 1, lam: 0 }),
    /X must hold 6 numbers, got 2/);
  assert.throws(() => live.fit.normalisedWeights([0, 0], 2), /weights must have a positive sum/);
});
