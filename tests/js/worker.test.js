'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { live } = require('./helpers.js');

function runEngine(messages, opts) {
  // drive the engine with setImmediate slices until every run has converged
  return new Promise((resolve) => {
    const out = [];
    const engine = new live.engine.Engine((m) => {
      out.push(m);
      if (m.type === 'progress' && m.converged && m.id === messages[messages.length - 1].id) {
        resolve(out);
      }
    }, Object.assign({ schedule: (cb) => setImmediate(cb), sliceMs: 5 }, opts || {}));
    messages.forEach((m) => engine.handle(m));
  });
}

const data = () => live.datasets.digits('separable', 6);

test('init trains to convergence and reports the protocol fields', async () => {
  const out = await runEngine([{ type: 'init', id: 1, data: data(), p: 12, sigma: 0.2, lam: 0.5 }]);
  const first = out[0], last = out[out.length - 1];
  assert.equal(first.type, 'progress');
  assert.equal(first.id, 1);
  assert.equal(last.converged, true);
  for (const k of ['step', 'loss', 'losses', 'msPerStep', 'params', 'stats', 'theory', 'hTrain',
    'columns', 'samples', 'units', 'regime']) {
    assert.ok(k in last, k);
  }
  assert.equal(last.regime, 'memorization');
  assert.ok(last.stats.top1_share > 0.95, 'spiky: ' + last.stats.top1_share);
  assert.equal(last.stats.stored_fraction, 1);
  // the losses of all messages together are the whole history
  const all = out.reduce((acc, m) => acc.concat(m.losses), []);
  assert.equal(all.length, last.totalSteps);
});

test('same seed -> same result; an update warm-starts and needs fewer steps', async () => {
  const init = { type: 'init', id: 1, data: data(), p: 12, sigma: 0.2, lam: 0.5, seed: 2 };
  const a = await runEngine([init]), b = await runEngine([init]);
  assert.equal(a[a.length - 1].loss, b[b.length - 1].loss);
  const c = await runEngine([init, { type: 'update', id: 2, changed: { lam: 0.6 } }]);
  const last = c[c.length - 1];
  assert.equal(last.id, 2);
  assert.equal(last.start, 'warm');
  assert.equal(last.params.lam, 0.6);
  assert.ok(last.step < a[a.length - 1].step, `warm ${last.step} vs cold ${a[a.length - 1].step}`);
  const d = await runEngine([init, { type: 'update', id: 2, changed: { seed: 3 } }]);
  assert.equal(d[d.length - 1].start, 'cold');
});

test('the mixed regime reports m* and a spectrum', async () => {
  const ds = live.datasets, mixed = ds.mixedData(40, { seed: 0 });
  const msg = { type: 'init', id: 5, p: 24, sigma: 0.2, lam: 0.05, maxSteps: 300,
    data: { X: mixed.X, n: mixed.n, d: mixed.d, labels: mixed.labels, isDup: mixed.isDup,
      nBulk: 40, nDup: 8, m: 4, weights: ds.multiplicityWeights(mixed.isDup, 4) } };
  const out = await runEngine([msg]);
  const last = out[out.length - 1];
  assert.equal(last.regime, 'mixed');
  assert.equal(last.theory.mStar.length, 8);
  assert.equal(last.spectrum.length, last.theory.spectrum.length);
});

test('errors come back as messages naming the argument', async () => {
  const out = [];
  const engine = new live.engine.Engine((m) => out.push(m), { schedule: (cb) => setImmediate(cb) });
  engine.handle({ type: 'init', id: 1, data: data(), p: 0, sigma: 0.2, lam: 0.5 });
  assert.equal(out[0].type, 'error');
  assert.match(out[0].message, /p must be an integer >= 1, got 0/);
  engine.handle({ type: 'bogus', id: 2 });
  assert.match(out[1].message, /unknown message type/);
});

test('the Blob worker source is self-contained and runs the same protocol', async () => {
  const src = live.worker.buildWorkerSource();
  assert.ok(!/require\(|fetch\(|importScripts/.test(src), 'the worker source loads nothing');
  const posted = [];
  const scope = { postMessage: (m) => posted.push(m) };
  new Function('self', src)(scope); // no require, no fetch: only the functions' own text
  assert.equal(posted[0].type, 'ready');
  scope.onmessage({ data: { type: 'init', id: 1, data: data(), p: 12, sigma: 0.2, lam: 0.5 } });
  await new Promise((resolve) => {
    const t = setInterval(() => {
      const last = posted[posted.length - 1];
      if (last.type === 'progress' && last.converged) { clearInterval(t); resolve(); }
    }, 10);
  });
  const last = posted[posted.length - 1];
  assert.ok(last.stats.top1_share > 0.95);
});

test('createTrainer falls back to the main thread where Worker is missing', () => {
  const h = live.worker.createTrainer(() => {});
  assert.equal(h.mode, 'main-thread');
  h.terminate();
});
