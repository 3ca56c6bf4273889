/* Node entry point: require('.../live/all.js') loads every core module and returns memgenLive.
 * (In a page, load the classic scripts one by one; see demo.html.) */
'use strict';
['checks', 'rng', 'linalg', 'dae', 'kernels', 'fit', 'closed_forms', 'stats', 'digits_data', 'datasets',
  'worker'].forEach(function (m) { require('./' + m + '.js'); });
module.exports = globalThis.memgenLive;
