/* Shared helpers of the node tests (not a test file itself). */
'use strict';
const path = require('path');
const live = require(path.join(__dirname, '..', '..', 'lib', 'memgen_book', 'live', 'all.js'));

function close(actual, expected, tol, what) {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error((what || 'value') + ': expected ' + expected + ' +- ' + tol + ', got ' +
      actual);
  }
}

function randn(n, seed, scale) {
  return new live.rng.Rng(seed, 0).fillNormal(new Float64Array(n), scale === undefined ? 1 : scale);
}

module.exports = { live, close, randn };
