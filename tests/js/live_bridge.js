/* JSON bridge for tests/test_live_js.py: read one request from stdin, write one reply to stdout.
 *
 * Requests ({cmd, ...}; arrays are plain JSON lists, matrices row-major):
 *   loss_and_grads {W1, W2, X, Y, n, d, p, sigma, lam, tied, weights}
 *   fit            {X, n, d, p, sigma, lam, tied, weights, W1, W2, maxSteps, tol, window,
 *                   minSteps, seed, noise (optional: list of per-step Y), Ystats, rows}
 *   stats          {W1, W2, X, n, d, p, Y, rows}
 *   theory         {X, n, d, labels, sigma, lam, weights, rank, sq, nBulk, nDup, m, nRows}
 *   digits         {}
 *   datasets       {...}
 * Not a test file itself (node --test only picks up *.test.js).
 */
'use strict';
const path = require('path');
const live = require(path.join(__dirname, '..', '..', 'lib', 'memgen_book', 'live', 'all.js'));

function arr(a) { return a ? Float64Array.from(a) : null; }
function list(a) { return a ? Array.from(a) : null; }

function statsReply(C1, C2, X, n, d, p, Y, rows) {
  const s = live.stats.summary(C1, C2, X, n, d, p, Y, rows);
  return {
    top1_share: s.top1_share, top1_aligned: s.top1_aligned, top1_raw: s.top1_raw,
    stored_fraction: s.stored_fraction,
    std: s.std, cv: s.cv, active_units: s.active_units, col_cos_mean: s.col_cos_mean,
    gains: list(s.gains), stored_cos: list(s.stored_cos), owner: list(s.owners.owner),
    owner_cos: list(s.owners.cosine), spectrum: list(live.stats.symSpectrum(C1, C2, d, p)),
    H: list(s.H),
  };
}

const handlers = {
  loss_and_grads(q) {
    const out = live.fit.lossAndGradsRowMajor(arr(q.W1), q.tied ? arr(q.W1) : arr(q.W2), arr(q.X),
      arr(q.Y), { n: q.n, d: q.d, p: q.p, sigma: q.sigma, lam: q.lam, tied: q.tied,
        weights: q.weights ? live.fit.normalisedWeights(q.weights, q.n) : null });
    return { loss: out.loss, gW1: list(out.gW1), gW2: list(out.gW2) };
  },
  fit(q) {
    const noise = q.noise ? (t) => arr(q.noise[t - 1]) : undefined;
    const t0 = process.hrtime.bigint();
    const res = live.fit.fit({ X: arr(q.X), n: q.n, d: q.d, weights: q.weights || null }, {
      p: q.p, sigma: q.sigma, lam: q.lam, tied: q.tied, seed: q.seed || 0,
      maxSteps: q.maxSteps, tol: q.tol, window: q.window, minSteps: q.minSteps,
      init: q.W1 ? { W1: arr(q.W1), W2: q.tied ? null : arr(q.W2) } : undefined, noise: noise,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const reply = { W1: list(res.W1), W2: list(res.W2), losses: list(res.losses), steps: res.steps,
      converged: res.converged, reason: res.reason, ms: ms };
    if (q.Ystats) {
      reply.stats = statsReply(res.C1, res.C2, arr(q.X), q.n, q.d, q.p, arr(q.Ystats), q.rows);
    }
    return reply;
  },
  stats(q) {
    const C1 = live.dae.toColumns(arr(q.W1), q.d, q.p);
    const C2 = q.W2 ? live.dae.toColumns(arr(q.W2), q.d, q.p) : C1;
    return statsReply(C1, C2, arr(q.X), q.n, q.d, q.p, arr(q.Y), q.rows);
  },
  theory(q) {
    const cf = live.closedForms;
    const X = arr(q.X);
    const out = {};
    if (X) {
      const mp = cf.memorizationPrediction(X, q.n, q.d, q.sigma, q.lam, q.weights);
      out.gain = list(mp.gain);
      out.r = list(mp.r);
      out.dies = mp.dies;
      const b = cf.blockPrediction(X, q.n, q.d, q.labels ? Int32Array.from(q.labels) : null,
        q.sigma, q.lam, { weights: q.weights, rank: q.rank });
      out.spectrum = list(b.spectrum);
      out.clusters = b.clusters.map((c) => ({ label: c.label, s: list(c.s), m: list(c.m) }));
      if (!q.labels) {
        out.M = list(cf.optimalLinearDenoiser(X, q.n, q.d, q.sigma, q.lam, q.rank).M);
      }
    }
    if (q.sq) {
      out.memorization_gain = q.sq.map((s) => cf.memorizationGain(s, q.n, q.sigma, q.lam));
      out.threshold = q.sq.map((s) => {
        const v = cf.thresholdMultiplicity(s, q.nBulk, q.nDup, q.lam);
        return Number.isFinite(v) ? v : 'inf';
      });
      out.duplicate_gain = q.sq.map((s) => cf.duplicateGain(s, q.m, q.nRows, q.sigma, q.lam));
    }
    return out;
  },
  digits(q) {
    const T = live.datasets.digitsTable();
    const dd = live.digitsData;
    const c = live.datasets.digits('centred', q.n || 8);
    return { centred: list(T.centred), labels: list(T.labels), separable: dd.separable,
      perm: dd.perm, centred_index: c.index, unseen_index: c.unseenIndex };
  },
};

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  try {
    const q = JSON.parse(input);
    if (!handlers[q.cmd]) throw new Error('unknown cmd ' + JSON.stringify(q.cmd));
    process.stdout.write(JSON.stringify({ ok: true, result: handlers[q.cmd](q) }));
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(err && err.stack || err) }));
  }
});
