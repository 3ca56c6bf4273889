'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { live, close } = require('./helpers.js');
const ds = live.datasets;

function dot(X, d, i, j) {
  let s = 0;
  for (let a = 0; a < d; a++) s += X[i * d + a] * X[j * d + a];
  return s;
}

test('digits: 1797 images in [-1, 1], centred, and chapter 2\'s separable subset', () => {
  const T = ds.digitsTable();
  assert.equal(T.N, 1797);
  assert.equal(T.d, 64);
  for (const v of T.raw) assert.ok(v >= -1 && v <= 1);
  for (let a = 0; a < 64; a++) {
    let m = 0;
    for (let i = 0; i < T.N; i++) m += T.centred[i * 64 + a];
    close(m / T.N, 0, 1e-6, 'mean of column ' + a);
  }
  const sep = ds.digits('separable', 6);
  assert.deepEqual(sep.index, live.digitsData.separable);
  for (let i = 0; i < 6; i++) for (let j = 0; j < i; j++) assert.ok(dot(sep.X, 64, i, j) <= 0);
  assert.equal(sep.index.indexOf(sep.unseenIndex), -1);
  const c = ds.digits('centred', 10);
  assert.deepEqual(c.index, Array.from(live.digitsData.perm.slice(1, 11)).sort((a, b) => a - b));
  assert.equal(c.unseenIndex, live.digitsData.perm[0]);
  assert.throws(() => ds.digits('separable', 7), /n must be an integer >= 1 and <= 6, got 7/);
  assert.throws(() => ds.digits('blurry', 3), /unknown kind "blurry"; choose one of: separable/);
});

test('gaussian mixture: interleaved labels, simplex means, seeded, prefix-consistent', () => {
  const g = ds.gaussianMixture(9, { K: 3, d: 8, rank: 2, separation: 4, spread: 0, seed: 1 });
  assert.deepEqual(Array.from(g.labels), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
  // spread 0: every row is its mean, norm = separation, pairwise cosine -1/(K-1)
  for (let i = 0; i < 3; i++) close(Math.sqrt(dot(g.X, 8, i, i)), 4, 1e-12);
  close(dot(g.X, 8, 0, 1) / 16, -0.5, 1e-12);
  const a = ds.gaussianMixture(50, { K: 2, d: 6, rank: 3, seed: 4 });
  const b = ds.gaussianMixture(80, { K: 2, d: 6, rank: 3, seed: 4 });
  assert.deepEqual(Array.from(a.X), Array.from(b.X.slice(0, 50 * 6)));
  assert.notDeepEqual(Array.from(ds.gaussianMixture(50, { K: 2, d: 6, rank: 3, seed: 5 }).X),
    Array.from(a.X));
  // the cluster's points lie in mean + span(basis)
  const c = ds.gaussianMixture(20, { K: 2, d: 6, rank: 2, spread: 1, separation: 3, seed: 2 });
  for (let i = 0; i < 20; i++) {
    const k = c.labels[i], r = c.X.slice(i * 6, i * 6 + 6).map((v, q) => v - c.means[k][q]);
    let res = r.slice();
    for (const u of c.bases[k]) {
      const s = r.reduce((t, v, q) => t + v * u[q], 0);
      res = res.map((v, q) => v - s * u[q]);
    }
    close(Math.hypot(...res), 0, 1e-10, 'residual');
  }
  assert.throws(() => ds.gaussianMixture(5, { K: 1, means: 'simplex' }), /needs K >= 2/);
  assert.throws(() => ds.gaussianMixture(5, { K: 20, d: 8 }), /K must be an integer >= 1 and <= 8/);
});

test('mixed data: duplicated points orthogonal to the bulk, negative inner products', () => {
  const m = ds.mixedData(40, { seed: 0 });
  assert.equal(m.n, 48);
  assert.equal(m.nDup, 8);
  const d = m.d;
  for (let j = 0; j < 8; j++) {
    const i = 40 + j;
    close(dot(m.X, d, i, i), m.dupSqNorms[j], 1e-9, 'squared norm');
    for (let b = 0; b < 40; b++) assert.ok(dot(m.X, d, i, b) < 0, 'dup . bulk < 0');
    for (let k = 0; k < j; k++) assert.ok(dot(m.X, d, i, 40 + k) <= 1e-12, 'dup . dup <= 0');
  }
  assert.deepEqual(Array.from(m.labels.slice(40)), [2, 3, 4, 5, 6, 7, 8, 9]);
  const w = ds.multiplicityWeights(m.isDup, 5);
  assert.equal(w[0], 1);
  assert.equal(w[47], 5);
  assert.throws(() => ds.mixedData(10, { d: 12, rank: 4 }),
    /dup_sq_norms must have at most 2 entries/);
  assert.throws(() => ds.multiplicityWeights(m.isDup, 0), /m must be an integer >= 1, got 0/);
});

test('parseCSV reads rows of numbers with any separator and one header', () => {
  const a = ds.parseCSV('x,y,z\n1,2,3\n# comment\n\n4, 5 ,6e0\n');
  assert.equal(a.n, 2);
  assert.equal(a.d, 3);
  assert.deepEqual(Array.from(a.X), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(a.header, ['x', 'y', 'z']);
  assert.deepEqual(Array.from(ds.parseCSV('1 2\r\n3\t4').X), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(ds.parseCSV('1;2\n3;4').X), [1, 2, 3, 4]);
});

test('parseCSV names the problem and the allowed range on bad input', () => {
  assert.throws(() => ds.parseCSV('1,2,3\n4,5'),
    /csv row 2 \(line 2\) has 2 values; every row must have 3 values/);
  assert.throws(() => ds.parseCSV('1,2\n3,abc'),
    /csv row 2 \(line 2\), column 2: "abc" is not a finite number/);
  assert.throws(() => ds.parseCSV('1,2\n3,'), /column 2: "" is not a finite number/);
  assert.throws(() => ds.parseCSV('1,2'),
    /csv must have between 2 and 5000 rows of numbers, got 1/);
  assert.throws(() => ds.parseCSV(''), /csv must have between 2 and 5000 rows of numbers, got 0/);
  assert.throws(() => ds.parseCSV('1,2\n3,4\n5,6', { maxRows: 2 }),
    /csv must have between 2 and 2 rows of numbers, got more than 2/);
  assert.throws(() => ds.parseCSV('1,2,3\n4,5,6', { maxCols: 2 }),
    /csv rows must have between 1 and 2 values, got 3/);
  assert.throws(() => ds.parseCSV(null), /csv must be text, got null/);
  assert.throws(() => ds.parseCSV('1,Infinity\n1,2'), /"Infinity" is not a finite number/);
  assert.throws(() => ds.prepareOwn(Float64Array.from([1, 1, 1, 1]), 2, 2, {}),
    /csv values must not all be equal/);
});

test('own data is scaled to [-1, 1] and centred; images become small grayscale squares', () => {
  const own = ds.prepareOwn(Float64Array.from([0, 10, 5, 5, 10, 0]), 3, 2, { kind: 'csv' });
  assert.equal(own.n, 2); // the last row is held out as the unseen input
  assert.equal(own.maxN, 2);
  assert.deepEqual(Array.from(own.all), [-1, 1, 0, 0, 1, -1]);
  assert.deepEqual(Array.from(own.unseen), [1, -1]);
  assert.throws(() => ds.prepareOwn(Float64Array.from([0, 1, 2, 3, 4, 5]), 3, 2, { n: 3 }),
    /n must be an integer >= 1 and <= 2, got 3/);
  // a 4 x 2 RGBA image: left half black, right half white, centre-cropped to 2 x 2 -> 2 x 2
  const w = 4, h = 2, data = new Uint8ClampedArray(4 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = 4 * (y * w + x), v = x < 2 ? 0 : 255;
      data[k] = data[k + 1] = data[k + 2] = v;
      data[k + 3] = 255;
    }
  }
  assert.deepEqual(Array.from(ds.imageToGray({ width: w, height: h, data }, 2)), [0, 1, 0, 1]);
  assert.throws(() => ds.imageToGray({ width: 2, height: 2, data: [] }, 2), /image must be/);
  assert.throws(() => ds.imageToGray({ width: 1, height: 1, data: [0, 0, 0, 0] }, 0),
    /side must be an integer >= 1 and <= 64, got 0/);
});
