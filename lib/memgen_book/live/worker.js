/* memgenLive.engine and memgenLive.worker: training off the main thread, from file:// too.
 *
 * Engine: the message loop. It trains in time slices (so that a new message is read between
 * slices), computes the statistics and the theory, and posts progress. Messages in:
 *   {type: 'init', id, data, p, sigma, lam, seed, tied, maxSteps, tol, window, minSteps, lr}
 *       data: {X (n*d), n, d, weights (n) or null, labels (n) or null, imageShape, unseen (d) or
 *       null, showIndex, isDup, nBulk, nDup, m, rank}: a cold start from the seed's weights;
 *   {type: 'update', id, changed: {sigma, lam, p, tied, seed, data, maxSteps, tol}}: a warm start
 *       from the current weights (a new seed, or data of another dimension, start cold);
 *   {type: 'stop'}.
 * Messages out: {type: 'ready'}; {type: 'progress', id, step, loss, losses (new since the last
 * message), converged, reason, msPerStep, elapsedMs (since the init/update arrived), trainMs (of
 * it, in Adam steps), start ('cold' | 'warm'), params, stats,
 * samples, units, columns, hTrain, hUnseen, spectrum, theory, regime}, posted after the first
 * slice of each run, then every statsMs (at least 200 ms, statistics at most ~10% of the time),
 * and at convergence; in between, every progressMs (50 ms), a light one {type: 'progress',
 * light: true, id, step, loss, losses, converged, msPerStep, ...} without the statistics;
 * {type: 'error', id, message}.
 *
 * worker.createTrainer(onmessage, opts) builds a Web Worker from a Blob whose source is the core
 * modules' function source (so nothing is fetched and it works from file://), and falls back to
 * running the same engine on the main thread in short slices if a Worker cannot be made.
 */
function memgenLive_engine(root) {
  'use strict';

  function now() {
    return typeof performance !== 'undefined' && performance.now ? performance.now() : Date.now();
  }

  function defaultSchedule(cb) {
    if (typeof MessageChannel !== 'undefined') {
      var ch = new MessageChannel();
      ch.port1.onmessage = function () { ch.port1.close(); cb(); };
      ch.port2.postMessage(0);
    } else {
      setTimeout(cb, 0);
    }
  }

  function statsDraws(n) {
    return n <= 64 ? 4 : n <= 256 ? 2 : 1;
  }

  function regimeOf(data, p) {
    if (data.isDup) return 'mixed';
    return p >= data.n ? 'memorization' : 'generalization';
  }

  function Engine(post, opts) {
    opts = opts || {};
    this.post = post;
    this.sliceMs = opts.sliceMs || 15;
    this.progressMs = opts.progressMs || 50;
    this.schedule = opts.schedule || defaultSchedule;
    this.trainer = null;
    this.scheduled = false;
    this.stopped = false;
    this.nColumns = opts.nColumns || 8;
    this.statsMs = 200;
  }

  Engine.prototype.handle = function (msg) {
    try {
      if (msg.type === 'init') this.init(msg);
      else if (msg.type === 'update') this.update(msg);
      else if (msg.type === 'stop') this.stopped = true;
      else throw new Error('unknown message type ' + JSON.stringify(msg.type));
    } catch (err) {
      this.post({ type: 'error', id: msg.id, message: String(err && err.message || err) });
    }
  };

  function problemOf(data) {
    return { X: data.X, n: data.n, d: data.d, weights: data.weights || null };
  }

  Engine.prototype.init = function (msg) {
    var data = msg.data;
    this.data = data;
    // kernels: false runs the JavaScript loops (the benchmark's same-page baseline)
    if (msg.kernels !== undefined && root.kernels) root.kernels.enabled = msg.kernels !== false;
    this.trainer = new root.fit.Trainer(problemOf(data), {
      p: msg.p, sigma: msg.sigma, lam: msg.lam, seed: msg.seed || 0, tied: !!msg.tied,
      maxSteps: msg.maxSteps, tol: msg.tol, window: msg.window, minSteps: msg.minSteps, lr: msg.lr,
    });
    this.begin(msg.id, 'cold');
  };

  Engine.prototype.update = function (msg) {
    if (!this.trainer) throw new Error('update before init');
    var ch = msg.changed || {};
    var changes = { sigma: ch.sigma, lam: ch.lam, p: ch.p, tied: ch.tied, seed: ch.seed,
      maxSteps: ch.maxSteps, tol: ch.tol };
    if (ch.data) {
      this.data = ch.data;
      changes.problem = problemOf(ch.data);
    }
    var start = this.trainer.update(changes);
    this.begin(msg.id, start);
  };

  Engine.prototype.begin = function (id, start) {
    var tr = this.trainer, data = this.data, n = data.n, d = data.d;
    this.id = id;
    this.start = start;
    this.stopped = false;
    this.t0 = now();
    this.stepMs = 0;
    this.trainMs = 0;
    this.sent = start === 'cold' ? 0 : tr.losses.length;
    this.lastPost = -Infinity;
    this.lastFull = -Infinity;
    this.forcePost = true;
    this.theory = null;
    // fixed noisy copies for the statistics (only the model changes between moves)
    var draws = statsDraws(n), rng = new root.rng.Rng(tr.seed, 'stats');
    this.statsRows = draws * n;
    this.Ystats = new Float64Array(draws * n * d);
    for (var r = 0; r < draws * n; r++) {
      for (var a = 0; a < d; a++) {
        this.Ystats[r * d + a] = data.X[(r % n) * d + a] + tr.sigma * rng.normal();
      }
    }
    var show = new root.rng.Rng(tr.seed, 'show');
    this.yUnseen = null;
    if (data.unseen) {
      this.yUnseen = new Float64Array(d);
      for (a = 0; a < d; a++) this.yUnseen[a] = data.unseen[a] + tr.sigma * show.normal();
    }
    this.kick();
  };

  Engine.prototype.kick = function () {
    if (this.scheduled) return;
    this.scheduled = true;
    var self = this;
    this.schedule(function () { self.loop(); });
  };

  Engine.prototype.loop = function () {
    this.scheduled = false;
    var tr = this.trainer;
    if (this.stopped || !tr) return;
    if (!this.theory) this.theory = this.computeTheory();
    var wasConverged = tr.converged;
    if (!tr.converged) {
      var t = now(), steps = tr.run(this.sliceMs), dt = now() - t;
      this.stepMs += dt;
      this.trainMs += dt;
      this.stepsRun = (this.stepsRun || 0) + steps;
    }
    var justConverged = tr.converged && !wasConverged;
    var t1 = now();
    if (this.forcePost || justConverged || t1 - this.lastFull >= this.statsMs) {
      this.postProgress(false);
      var cost = now() - t1;
      this.lastPost = this.lastFull = now();
      this.statsMs = Math.max(200, 10 * cost); // the statistics take at most ~10% of the time
      this.forcePost = false;
    } else if (t1 - this.lastPost >= this.progressMs) {
      this.postProgress(true); // step and loss only
      this.lastPost = now();
    }
    if (!tr.converged) this.kick();
  };

  Engine.prototype.computeTheory = function () {
    var tr = this.trainer, data = this.data, cf = root.closedForms;
    var n = data.n, d = data.d, p = tr.p;
    var regime = regimeOf(data, p);
    var th = { regime: regime, kind: regime === 'memorization' ? 'memorization' : 'spectrum' };
    var mp = cf.memorizationPrediction(data.X, n, d, tr.sigma, tr.lam, tr.weights);
    th.sq = Array.from(mp.sq);
    th.gain = Array.from(mp.gain);
    th.r = Array.from(mp.r);
    th.dies = mp.dies;
    th.k = Math.min(d, p + 4);
    if (regime !== 'memorization') {
      var b = cf.blockPrediction(data.X, n, d, data.labels || null, tr.sigma, tr.lam, {
        weights: tr.weights, rank: data.labels ? undefined : p });
      th.spectrum = Array.from(b.spectrum.subarray(0, th.k));
      th.clusters = b.clusters.length;
    }
    if (data.isDup) {
      th.m = data.m;
      th.nRows = data.nBulk + data.nDup * data.m;
      th.dupIndex = [];
      th.mStar = [];
      th.dupGain = [];
      for (var i = 0; i < n; i++) {
        if (!data.isDup[i]) continue;
        th.dupIndex.push(i);
        var ms = cf.thresholdMultiplicity(mp.sq[i], data.nBulk, data.nDup, tr.lam);
        th.mStar.push(Number.isFinite(ms) ? ms : null);
        th.dupGain.push(mp.gain[i]);
      }
    }
    return th;
  };

  Engine.prototype.postProgress = function (light) {
    var tr = this.trainer, data = this.data, st = root.stats;
    if (light) {
      var ls = tr.losses.slice(this.sent);
      var lmsg = { type: 'progress', light: true, id: this.id, start: this.start, step: tr.t,
        totalSteps: tr.losses.length, loss: tr.losses[tr.losses.length - 1], losses: ls,
        lossOffset: this.sent, converged: tr.converged, reason: tr.reason,
        relDecrease: tr.relDecrease === undefined ? null : tr.relDecrease,
        msPerStep: this.stepMs / Math.max(1, this.stepsRun), elapsedMs: now() - this.t0,
        trainMs: this.trainMs, regime: this.theory.regime };
      this.sent = tr.losses.length;
      this.post(lmsg);
      return;
    }
    var n = data.n, d = data.d, p = tr.p;
    var s = st.summary(tr.C1, tr.C2, data.X, n, d, p, this.Ystats, this.statsRows);
    var showRow = data.showIndex || 0;
    var hTrain = Array.from(root.dae.representation(tr.C1, d, p,
      this.Ystats.subarray(showRow * d, showRow * d + d), 1));
    var hUnseen = this.yUnseen ? Array.from(root.dae.representation(tr.C1, d, p, this.yUnseen, 1))
      : null;
    var norms = root.dae.columnNorms(tr.C1, d, p);
    var order = [];
    for (var j = 0; j < p; j++) order.push(j);
    order.sort(function (a, b) { return norms[b] - norms[a] || a - b; });
    var top = order.slice(0, Math.min(this.nColumns, p));
    var cols = [];
    top.forEach(function (k) { cols.push(Array.from(tr.C1.subarray(k * d, k * d + d))); });
    var spectrum = null;
    if (this.theory.kind === 'spectrum') {
      spectrum = Array.from(st.symSpectrum(tr.C1, tr.C2, d, p).subarray(0, this.theory.k));
    }
    var sq = this.theory.sq;
    var runSteps = tr.t, elapsed = now() - this.t0;
    var losses = tr.losses.slice(this.sent);
    var msg = {
      type: 'progress', id: this.id, start: this.start, step: runSteps,
      totalSteps: tr.losses.length,
      loss: tr.losses.length ? tr.losses[tr.losses.length - 1] : null, losses: losses,
      lossOffset: this.sent, converged: tr.converged, reason: tr.reason,
      relDecrease: tr.relDecrease === undefined ? null : tr.relDecrease,
      msPerStep: runSteps > 0 ? this.stepMs / Math.max(1, this.stepsRun) : null,
      elapsedMs: elapsed, trainMs: this.trainMs, regime: this.theory.regime,
      kernel: tr.ws ? tr.ws.kernel : root.kernels && root.kernels.name(),
      params: { n: n, d: d, p: p, sigma: tr.sigma, lam: tr.lam, seed: tr.seed, tied: tr.tied,
        maxSteps: tr.maxSteps, tol: tr.tol },
      stats: { top1_share: s.top1_share, top1_aligned: s.top1_aligned, top1_raw: s.top1_raw,
        stored_fraction: s.stored_fraction,
        std: s.std, cv: s.cv, active_units: s.active_units, col_cos_mean: s.col_cos_mean,
        col_cos_min: s.col_cos_min },
      samples: { gains: Array.from(s.gains), stored_cos: Array.from(s.stored_cos),
        r: Array.from(s.gains).map(function (g, i) { return sq[i] > 0 ? Math.sqrt(Math.max(g, 0) /
          sq[i]) : 0; }) },
      units: { norms: Array.from(norms), owner: Array.from(s.owners.owner),
        owner_cos: Array.from(s.owners.cosine), alive: Array.from(s.owners.alive) },
      columns: { index: top, data: cols,
        cosine: top.map(function (k) { return s.owners.cosine[k]; }) },
      hTrain: hTrain, hUnseen: hUnseen, spectrum: spectrum, theory: this.theory,
    };
    this.stepsRun = 0;
    this.stepMs = 0;
    this.sent = tr.losses.length;
    this.post(msg);
  };

  root.engine = { Engine: Engine, defaultSchedule: defaultSchedule, regimeOf: regimeOf,
    statsDraws: statsDraws };
}

/* The worker's own entry: runs inside the Blob worker (its source is this function's text). */
function memgenLive_workerMain(root, scope) {
  'use strict';
  var engine = new root.engine.Engine(function (msg) { scope.postMessage(msg); }, {});
  scope.onmessage = function (e) { engine.handle(e.data); };
  scope.postMessage({ type: 'ready' });
}

function memgenLive_worker(root) {
  'use strict';
  var CORE = ['checks', 'rng', 'linalg', 'dae', 'kernels', 'fit', 'closedForms', 'stats', 'engine'];

  /** Source text of the worker: the core modules' functions, called in order, and the loop. */
  function buildWorkerSource() {
    var parts = ['"use strict";', 'var memgenLive = {};', 'self.memgenLive = memgenLive;'];
    CORE.forEach(function (name) {
      var fn = root.sources[name];
      if (!fn) throw new Error('memgenLive module ' + name + ' is not loaded');
      parts.push('(' + fn.toString() + ')(memgenLive);');
    });
    parts.push('(' + root.sources.workerMain.toString() + ')(memgenLive, self);');
    return parts.join('\n');
  }

  /**
   * Run the engine on this thread, in slices of 8 ms, each a separate task (a MessageChannel
   * message, or setTimeout where there is none), so that input and drawing go on in between.
   */
  function mainThreadTrainer(onmessage) {
    var engine = new root.engine.Engine(function (msg) { onmessage(msg); }, { sliceMs: 8 });
    return {
      mode: 'main-thread',
      post: function (msg) { setTimeout(function () { engine.handle(msg); }, 0); },
      terminate: function () { engine.handle({ type: 'stop' }); },
    };
  }

  /**
   * A trainer handle {mode, post(msg), terminate()}: a Web Worker made from a Blob when possible
   * (opts.mainThread forces the fallback), else the main-thread engine. onmessage(msg) gets the
   * engine's messages. If the worker fails after starting, the messages sent since the last init
   * are replayed on the main thread.
   */
  function createTrainer(onmessage, opts) {
    opts = opts || {};
    var canWorker = !opts.mainThread && typeof Worker !== 'undefined' &&
      typeof Blob !== 'undefined' &&
      typeof URL !== 'undefined' && typeof URL.createObjectURL === 'function';
    if (!canWorker) return mainThreadTrainer(onmessage);
    var log = [], handle = { mode: 'worker' }, inner, url = null;
    function fallback() {
      if (handle.mode !== 'worker') return;
      try { inner.terminate(); } catch (e) { /* already gone */ }
      handle.mode = 'main-thread';
      inner = mainThreadTrainer(onmessage);
      log.forEach(function (m) { inner.post(m); });
    }
    try {
      url = URL.createObjectURL(new Blob([buildWorkerSource()], { type: 'text/javascript' }));
      var w = new Worker(url);
      w.onmessage = function (e) {
        if (e.data && e.data.type === 'ready' && url) {
          URL.revokeObjectURL(url);
          url = null;
        }
        onmessage(e.data);
      };
      w.onerror = function (ev) {
        if (ev && ev.preventDefault) ev.preventDefault();
        fallback();
      };
      inner = {
        post: function (m) { w.postMessage(m); },
        terminate: function () { w.terminate(); },
      };
    } catch (err) {
      return mainThreadTrainer(onmessage);
    }
    handle.post = function (msg) {
      if (msg.type === 'init') log = [];
      log.push(msg);
      inner.post(msg);
    };
    handle.terminate = function () { inner.terminate(); };
    return handle;
  }

  root.worker = { createTrainer: createTrainer, buildWorkerSource: buildWorkerSource,
    mainThreadTrainer: mainThreadTrainer, CORE: CORE };
}

(function (fns, deps) {
  var g = typeof globalThis !== 'undefined' ? globalThis : self;
  var root = g.memgenLive = g.memgenLive || {};
  var node = typeof module !== 'undefined' && module.exports && typeof require === 'function';
  if (node) deps.forEach(function (d) { require('./' + d + '.js'); });
  root.sources = root.sources || {};
  root.sources.engine = fns[0];
  root.sources.workerMain = fns[1];
  root.sources.worker = fns[2];
  fns[0](root);
  fns[2](root);
  if (node) module.exports = root;
})([memgenLive_engine, memgenLive_workerMain, memgenLive_worker],
  ['checks', 'rng', 'linalg', 'dae', 'kernels', 'fit', 'closed_forms', 'stats']);
