'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { live, close } = require('./helpers.js');
const cf = live.closedForms;

test('memorization gain and r^2 on hand-computed cases', () => {
  // ||x||^2 = 4, n = 2, lam = 1, sigma = 1: m = (4 - 2) / (4 + 1) = 0.4, r^2 = 0.4 / 4 = 0.1
  close(cf.memorizationGain(4, 2, 1, 1), 0.4, 1e-15);
  close(cf.memorizationR2(4, 2, 1, 1), 0.1, 1e-15);
  // sigma = 0, lam = 0: m = 1 (the identity on x), r^2 = 1 / ||x||^2
  close(cf.memorizationGain(9, 5, 0, 0), 1, 1e-15);
  close(cf.memorizationR2(9, 5, 0, 0), 1 / 9, 1e-15);
  // r^2 = (||x||^2 - n lam) / (||x||^2 (||x||^2 + sigma^2)): 10, n 3, lam 2, sigma 0.5
  close(cf.memorizationR2(10, 3, 0.5, 2), (10 - 6) / (10 * 10.25), 1e-15);
});

test('a unit dies exactly when ||x||^2 <= n lam', () => {
  assert.equal(cf.unitDies(6, 3, 2), true);
  assert.equal(cf.unitDies(6.0001, 3, 2), false);
  assert.equal(cf.memorizationGain(6, 3, 0.2, 2), 0);
  assert.equal(cf.memorizationGain(5, 3, 0.2, 2), 0);
});

test('duplicate gain and the threshold multiplicity m*', () => {
  // m* = n_bulk lam / (||x||^2 - D lam) = 200 * 0.15 / (10 - 8 * 0.15) = 30 / 8.8
  close(cf.thresholdMultiplicity(10, 200, 8, 0.15), 30 / 8.8, 1e-12);
  assert.equal(cf.thresholdMultiplicity(1, 200, 8, 0.15), Infinity);
  // stored iff m > m*: the gain changes sign there (n_rows = n_bulk + D m)
  const mStar = cf.thresholdMultiplicity(10, 200, 8, 0.15);
  const gain = (m) => cf.duplicateGain(10, m, 200 + 8 * m, 0.2, 0.15);
  assert.equal(gain(Math.floor(mStar)), 0);
  assert.ok(gain(Math.ceil(mStar)) > 0);
  // (||x||^2 - n lam / m) / (||x||^2 + sigma^2) with n = 232, m = 4
  close(gain(4), (10 - 232 * 0.15 / 4) / (10 + 0.04), 1e-12);
});

test('the block prediction is the Wiener filter with threshold, per cluster', () => {
  // cluster 0: points +-e0 * 2 (s = 4 along e0); cluster 1: 3 e1 (s = 9 along e1), n = 3, d = 3
  const X = Float64Array.from([2, 0, 0, -2, 0, 0, 0, 3, 0]);
  const labels = Int32Array.from([0, 0, 1]);
  const b = cf.blockPrediction(X, 3, 3, labels, 1, 0.1);
  // cluster 0: n_k = 2, lam_k = 3 * 0.1 / 2 = 0.15, m = (4 - 0.15) / 5; cluster 1: lam_k = 0.3
  close(b.clusters[0].s[0], 4, 1e-12);
  close(b.clusters[0].m[0], 3.85 / 5, 1e-12);
  close(b.clusters[1].m[0], 8.7 / 10, 1e-12);
  close(b.spectrum[0], 0.87, 1e-12);
  close(b.spectrum[1], 0.77, 1e-12);
  close(b.spectrum[2], 0, 1e-12);
});

test('the optimal linear denoiser keeps the top `rank` gains', () => {
  const X = Float64Array.from([3, 0, 0, 1, -3, 0, 0, -1]); // n = 4, d = 2: s = (4.5, 0.5)
  const full = cf.optimalLinearDenoiser(X, 4, 2, 0.5, 0, null);
  close(full.M[0], 4.5 / 4.75, 1e-12);
  close(full.M[3], 0.5 / 0.75, 1e-12);
  close(full.M[1], 0, 1e-12);
  const r1 = cf.optimalLinearDenoiser(X, 4, 2, 0.5, 0, 1);
  close(r1.M[3], 0, 1e-12);
  close(r1.M[0], 4.5 / 4.75, 1e-12);
});

test('weighted memorization prediction: weight m / n_rows is m copies', () => {
  const X = Float64Array.from([2, 0, 0, 3]);
  const w = Float64Array.from([1, 3]); // sample 1 counts 3 times: n_rows = 4
  const mp = cf.memorizationPrediction(X, 2, 2, 0.5, 0.2, w);
  close(mp.gain[0], (4 - 0.2 * 4) / (4.25), 1e-12);
  close(mp.gain[1], (9 - 0.2 * 4 / 3) / 9.25, 1e-12);
});

test('bad arguments are named with the allowed range', () => {
  assert.throws(() => cf.memorizationGain(-1, 2, 1, 1), /sq_norm must be >= 0, got -1/);
  assert.throws(() => cf.memorizationGain(1, 0, 1, 1), /n must be an integer >= 1, got 0/);
  assert.throws(() => cf.memorizationGain(1, 2, -1, 1), /sigma must be >= 0, got -1/);
  assert.throws(() => cf.memorizationGain(0, 2, 0, 1), /sq_norm \+ sigma\^2 must be > 0/);
  assert.throws(() => cf.thresholdMultiplicity(1, 2, 0, 1), /n_dup must be an integer >= 1/);
});
