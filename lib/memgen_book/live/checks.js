/* memgenLive.checks: argument validators with messages like memgen._checks.
 *
 * Each check returns the value in canonical form or throws an Error whose message names the
 * argument and the allowed range, e.g. "n must be an integer >= 1 and <= 6, got 9".
 * Classic script: attaches to globalThis.memgenLive (and module.exports under Node).
 */
function memgenLive_checks(root) {
  'use strict';

  function boundsText(lo, hi, loExcl, hiExcl) {
    var a = lo === undefined || lo === null ? '' : (loExcl ? '> ' : '>= ') + lo;
    var b = hi === undefined || hi === null ? '' : (hiExcl ? '< ' : '<= ') + hi;
    return a && b ? a + ' and ' + b : a || b;
  }

  function show(v) {
    if (typeof v === 'string') return JSON.stringify(v);
    return String(v);
  }

  function checkInt(name, value, lo, hi) {
    var v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(name + ' must be an integer ' + boundsText(lo, hi) + ', got ' + show(value));
    }
    var tooLow = lo !== undefined && lo !== null && v < lo;
    if (tooLow || (hi !== undefined && hi !== null && v > hi)) {
      throw new Error(name + ' must be an integer ' + boundsText(lo, hi) + ', got ' + v);
    }
    return v;
  }

  function checkFloat(name, value, lo, hi, opts) {
    opts = opts || {};
    var v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new Error(name + ' must be a real number, got ' + show(value));
    }
    if (!Number.isFinite(v)) throw new Error(name + ' must be a finite number, got ' + v);
    var badLo = lo !== undefined && lo !== null && (opts.loExclusive ? v <= lo : v < lo);
    var badHi = hi !== undefined && hi !== null && (opts.hiExclusive ? v >= hi : v > hi);
    if (badLo || badHi) {
      throw new Error(name + ' must be ' + boundsText(lo, hi, opts.loExclusive, opts.hiExclusive) +
        ', got ' + v);
    }
    return v;
  }

  function checkChoice(name, value, choices) {
    if (choices.indexOf(value) < 0) {
      throw new Error('unknown ' + name + ' ' + show(value) + '; choose one of: ' +
        choices.join(', '));
    }
    return value;
  }

  function checkArray(name, value, length) {
    if (!value || typeof value.length !== 'number') {
      throw new Error(name + ' must be an array of numbers, got ' + show(value));
    }
    if (length !== undefined && value.length !== length) {
      throw new Error(name + ' must hold ' + length + ' numbers, got ' + value.length);
    }
    for (var i = 0; i < value.length; i++) {
      if (typeof value[i] !== 'number' || !Number.isFinite(value[i])) {
        throw new Error(name + ' must hold finite numbers; entry ' + i + ' is ' + show(value[i]));
      }
    }
    return value;
  }

  root.checks = {
    checkInt: checkInt, checkFloat: checkFloat, checkChoice: checkChoice, checkArray: checkArray,
    boundsText: boundsText,
  };
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
})(memgenLive_checks, 'checks', []);
