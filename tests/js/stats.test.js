'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { live, close } = require('./helpers.js');
const st = live.stats;

test('top-1 share, unit std and cv on hand examples', () => {
  const h = [0, 3, 4];
  close(st.top1Share(h, 0, 3), 16 / 25, 1e-15);
  close(st.unitStd([1, 2, 3], 0, 3), Math.sqrt(2 / 3), 1e-15);
  close(st.cv([1, 2, 3], 0, 3), Math.sqrt(2 / 3) / 2, 1e-15);
  assert.equal(st.top1Share([0, 0], 0, 2), 0);
  assert.equal(st.cv([0, 0], 0, 2), 0);
  close(st.top1Share([5, 0, 0, 0], 0, 4), 1, 1e-15); // one-hot
  close(st.top1Share([1, 1, 1, 1], 0, 4), 0.25, 1e-15); // even: 1/p
  close(st.top1Share([1e-200, 2e-200], 0, 2), 0.8, 1e-12); // scale invariant, no underflow
});

// two samples e0, e1 in R^3; units: 0 and 1 store e0 (split), 2 stores e1, 3 is dead
function toy() {
  const d = 3, p = 4, n = 2;
  const X = Float64Array.from([2, 0, 0, 0, 1, 0]);
  const C = Float64Array.from([0.6, 0, 0, 0.3, -0.01, 0, 0, 1, 0, 0, 0, 1e-5]);
  return { d, p, n, X, C };
}

test('grouped top-1 merges units that store the same sample', () => {
  const { d, p, n, X, C } = toy();
  const g = st.groupedTop1(C, C, X, n, d, p, X, n);
  // raw h(e0*2) = (1.2, 0.6, 0, 0): share 1.44 / 1.8 = 0.8; merged: (1.8, 0, ...) -> 1
  close(st.top1Share(g.H, 0, p), 0.8, 1e-12);
  close(g.perRow[0], 1, 1e-12);
  close(g.mean, 1, 1e-12);
  assert.deepEqual(Array.from(g.group.slice(0, 3)), [0, 0, 1]);
  // the scorecard's grouping: alive units summed per owner, the dead unit 3 dropped
  const own = st.unitOwners(C, X, n, d, p);
  close(st.ownerTop1(g.H, n, p, own, n), 1, 1e-12);
  const s = st.summary(C, C, X, n, d, p, X, n);
  close(s.top1_share, 1, 1e-12);
  close(s.top1_aligned, 1, 1e-12);
  close(s.top1_raw, (0.8 + 1) / 2, 1e-12);
});

test('stored fraction, stored cosine, owners and active units', () => {
  const { d, p, n, X, C } = toy();
  const own = st.unitOwners(C, X, n, d, p);
  assert.deepEqual(Array.from(own.owner.slice(0, 3)), [0, 0, 1]);
  assert.deepEqual(Array.from(own.alive), [1, 1, 1, 0]);
  assert.equal(st.activeUnits(C, d, p), 3);
  const sc = st.storedCosine(C, X, n, d, p);
  close(sc[0], 1, 1e-12);
  close(sc[1], 1, 1e-12);
  assert.equal(st.storedFraction(C, X, n, d, p), 1);
  // a column at 45 degrees stores neither sample
  const C2 = Float64Array.from([1, 1, 0]);
  close(st.storedCosine(C2, X, n, d, 1)[0], Math.SQRT1_2, 1e-12);
  assert.equal(st.storedFraction(C2, X, n, d, 1), 0);
});

test('gains along samples and the spectrum of sym(W2 W1^T)', () => {
  const { d, p, n, X, C } = toy();
  const g = st.gainsAlongSamples(C, C, X, n, d, p);
  close(g[0], 0.36 + 0.09, 1e-12); // units 0, 1 active on e0: 0.6^2 + 0.3^2
  close(g[1], 1, 1e-12); // unit 2 alone on e1 (unit 1's -0.01 keeps it silent there)
  // sym(W W^T) restricted to (e0, e1) is [[0.45, -0.003], [-0.003, 1.0001]]
  const s = st.symSpectrum(C, C, d, p);
  const tr = 1.4501, det = 0.45 * 1.0001 - 0.003 ** 2, disc = Math.sqrt(tr * tr / 4 - det);
  close(s[0], tr / 2 + disc, 1e-9);
  close(s[1], tr / 2 - disc, 1e-9);
  close(s[2], 1e-10, 1e-12);
});
