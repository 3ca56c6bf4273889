'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { live, randn } = require('./helpers.js');

const K = live.kernels;

function withKernels(enabled, fn) {
  const before = K.enabled;
  K.enabled = enabled;
  try {
    return fn();
  } finally {
    K.enabled = before;
  }
}

function relMax(a, b) {
  let err = 0, scale = 0;
  for (let k = 0; k < a.length; k++) {
    err = Math.max(err, Math.abs(a[k] - b[k]));
    scale = Math.max(scale, Math.abs(b[k]));
  }
  return err / scale;
}

test('the embedded WebAssembly module compiles under Node (SIMD)', () => {
  assert.equal(K.error(), null);
  assert.equal(K.available(), true);
  assert.equal(K.name(), 'wasm-simd');
});

test('lossAndGrads: the WebAssembly kernels equal the JavaScript loops (odd and even d)', () => {
  // d = 7 and 64 exercise the SIMD tails; p = 13 the blocks of four; sigma large: many flips
  for (const [n, d, p, tied, weighted] of [
    [9, 7, 13, false, false], [9, 7, 13, true, true], [30, 64, 40, false, true],
    [30, 64, 40, true, false],
  ]) {
    const X = randn(n * d, 3);
    const Y = new Float64Array(2 * n * d);
    const E = randn(Y.length, 4);
    for (let q = 0; q < Y.length; q++) Y[q] = X[q % (n * d)] + 0.7 * E[q];
    const w = live.dae.initColumns(d, p, tied, 5);
    const raw = weighted ? Float64Array.from({ length: n }, (_, i) => 1 + i) : null;
    const weights = raw && live.fit.normalisedWeights(raw, n);
    const o = { n, d, p, sigma: 0.7, lam: 0.03, tied, weights };
    const js = withKernels(false, () => live.fit.lossAndGrads(w.C1, w.C2, X, Y, o));
    const wa = withKernels(true, () => live.fit.lossAndGrads(w.C1, w.C2, X, Y, o));
    assert.equal(js.ws.kernel, 'js');
    assert.equal(wa.ws.kernel, 'wasm-simd');
    assert.ok(Math.abs(wa.loss - js.loss) <= 1e-13 * Math.abs(js.loss),
      `loss ${wa.loss} vs ${js.loss}`);
    assert.ok(relMax(wa.g1, js.g1) < 1e-12, `g1 (n, d, p) = (${n}, ${d}, ${p})`);
    if (!tied) assert.ok(relMax(wa.g2, js.g2) < 1e-12, 'g2');
    assert.notEqual(wa.g1.buffer, wa.ws.arena.buffer, 'the gradients are copied out of the arena');
  }
});

test('a training run takes the same steps with and without the kernels', () => {
  const data = live.datasets.digits('centred', 20);
  const run = (enabled) => withKernels(enabled, () => live.fit.fit(
    { X: data.X, n: data.n, d: data.d }, { p: 24, sigma: 0.2, lam: 0.1, seed: 1 }));
  const js = run(false), wa = run(true);
  assert.equal(wa.steps, js.steps);
  assert.ok(relMax(wa.W1, js.W1) < 1e-9, `weights differ by ${relMax(wa.W1, js.W1)}`);
  assert.ok(Math.abs(wa.losses[wa.steps - 1] / js.losses[js.steps - 1] - 1) < 1e-9);
});

test('two workspaces keep their own memory', () => {
  const a = new K.Arena({ x: ['f64', 5] }), b = new K.Arena({ x: ['f64', 5] });
  a.x.fill(1);
  b.x.fill(2);
  assert.notEqual(a.buffer, b.buffer);
  assert.deepEqual(Array.from(a.x), [1, 1, 1, 1, 1]);
});

test('a kernel refuses arrays outside its arena, and bad specs name the array', () => {
  const a = new K.Arena({ U: ['f64', 8], V: ['f64', 8], out: ['f64', 4] });
  assert.throws(() => a.dotBlock(new Float64Array(8), 0, 2, a.V, 0, 2, 4, a.out, 2, 0),
    /outside the arena/);
  assert.throws(() => new K.Arena({ z: ['f16', 3] }), /unknown type f16 of z/);
  a.U.set([1, 2, 3, 4, 5, 6, 7, 8]);
  a.V.set([1, 0, 0, 0, 0, 1, 0, 0]);
  a.dotBlock(a.U, 0, 2, a.V, 0, 2, 4, a.out, 2, 0);
  assert.deepEqual(Array.from(a.out), [1, 2, 5, 6]);
});

test('without WebAssembly the trainer falls back to JavaScript and still trains', () => {
  const data = live.datasets.digits('separable', 6);
  const out = withKernels(false, () => live.fit.fit(
    { X: data.X, n: data.n, d: data.d }, { p: 12, sigma: 0.2, lam: 0.5 }));
  assert.equal(out.trainer.ws.kernel, 'js');
  assert.ok(out.converged);
});

test('in a scope with no WebAssembly the modules load and train in JavaScript', () => {
  const vm = require('node:vm');
  const fs = require('node:fs');
  const path = require('node:path');
  const dir = path.join(__dirname, '..', '..', 'lib', 'memgen_book', 'live');
  const scope = vm.createContext({ atob, Math, Float64Array, Int32Array, Uint8Array, Error });
  vm.runInContext('delete globalThis.WebAssembly;', scope); // as in a browser without it
  for (const f of ['checks', 'rng', 'linalg', 'dae', 'kernels', 'fit']) {
    vm.runInContext(fs.readFileSync(path.join(dir, f + '.js'), 'utf8'), scope, { filename: f });
  }
  const L = scope.memgenLive;
  assert.equal(L.kernels.available(), false);
  assert.match(L.kernels.error(), /no WebAssembly/);
  const X = randn(4 * 5, 1);
  const out = L.fit.fit({ X, n: 4, d: 5 }, { p: 6, sigma: 0.1, lam: 0.01, maxSteps: 50 });
  assert.equal(out.trainer.ws.kernel, 'js');
  assert.equal(out.steps, 50);
});
