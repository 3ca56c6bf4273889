/* memgenLive.rng: a seeded random number generator (mulberry32) with Box-Muller normals (polar).
 *
 * new Rng(seed, stream): an independent stream for each (seed, stream) pair, so that the
 * initial weights, the training noise and the statistics' noisy copies never share draws.
 * Same (seed, stream) -> same sequence, on every platform (32-bit integer arithmetic only).
 */
function memgenLive_rng(root) {
  'use strict';

  // named streams: one per purpose
  var STREAMS = { init: 1, noise: 2, stats: 3, data: 4, grow: 5, show: 6, frame: 7 };

  function hash32(seed, stream) {
    var h = (seed >>> 0) ^ Math.imul((stream >>> 0) + 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  function Rng(seed, stream) {
    if (!Number.isInteger(seed) || seed < 0) {
      throw new Error('seed must be an integer >= 0, got ' + String(seed));
    }
    var s = typeof stream === 'string' ? STREAMS[stream] : stream || 0;
    if (s === undefined) throw new Error('unknown stream ' + JSON.stringify(stream));
    this.state = hash32(seed, s);
    this.spare = NaN;
  }

  /** The next 32-bit unsigned integer (mulberry32). */
  Rng.prototype.uint32 = function () {
    var t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };

  /** Uniform in the open interval (0, 1). */
  Rng.prototype.uniform = function () {
    return (this.uint32() + 0.5) / 4294967296;
  };

  /**
   * A standard normal draw: Marsaglia's polar form of Box-Muller (no trigonometric calls); the
   * second value of each pair is kept for the next call.
   */
  Rng.prototype.normal = function () {
    if (this.spare === this.spare) { // not NaN
      var z = this.spare;
      this.spare = NaN;
      return z;
    }
    var u, v, s;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    var f = Math.sqrt(-2 * Math.log(s) / s);
    this.spare = v * f;
    return u * f;
  };

  /** Fill out[offset .. offset + count) with scale * N(0, 1) draws; returns out. */
  Rng.prototype.fillNormal = function (out, scale, offset, count) {
    var o = offset || 0;
    var n = count === undefined ? out.length - o : count;
    var sc = scale === undefined ? 1 : scale;
    for (var i = 0; i < n; i++) out[o + i] = sc * this.normal();
    return out;
  };

  /** An integer uniform in 0 .. k - 1. */
  Rng.prototype.int = function (k) {
    return Math.floor(this.uniform() * k);
  };

  /** A uniformly random permutation of 0 .. k - 1 (Fisher-Yates), as an Int32Array. */
  Rng.prototype.permutation = function (k) {
    var out = new Int32Array(k);
    for (var i = 0; i < k; i++) out[i] = i;
    for (var j = k - 1; j > 0; j--) {
      var r = this.int(j + 1);
      var t = out[j];
      out[j] = out[r];
      out[r] = t;
    }
    return out;
  };

  root.rng = { Rng: Rng, hash32: hash32, STREAMS: STREAMS };
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
})(memgenLive_rng, 'rng', []);
