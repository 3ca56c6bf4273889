/* memgenLive.fit: the loss of memgen.fit_fast.loss_and_grads, its hand-written gradients, and the
 * full-batch Adam loop of memgen.fit_fast.fit_dae (same defaults and cosine schedule), with a
 * convergence stop and warm restarts.
 *
 * The loss, per sample i with weight w_i (1/n by default), of the DAE f(y) = W2 [W1^T y]_+ at
 * y = x_i + sigma eps is estimated as in memgen.fit_fast: with the ReLU mask D_i frozen at the clean
 * input the noise expectation is exact,
 *     ||W2 h(x_i) - x_i||^2 + sigma^2 d_i^T (W1^T W1 * W2^T W2) d_i,
 * and a control-variate Monte Carlo term corrects it on the noisy draws y that flip a mask,
 *     ||f(y) - x_i||^2 - ||W2 D_i W1^T y - x_i||^2   (exactly zero when no mask flips, so those
 * draws are skipped), plus lam (||W1||_F^2 + ||W2||_F^2). Weights are in column layout (see
 * memgenLive.dae); lossAndGradsRowMajor takes and returns numpy's (d, p) layout.
 */
function memgenLive_fit(root) {
  'use strict';

  /**
   * The buffers of one lossAndGrads shape (n samples, d pixels, p units, K draws per sample).
   * Where memgenLive.kernels is available they lie in one WebAssembly arena, with copies of the
   * inputs (X, C1, C2, Y) and of the gradients, so that the dense loops run as SIMD kernels;
   * otherwise they are plain typed arrays and the JavaScript loops below run.
   */
  function Workspace(n, d, p, K) {
    K = K || 0;
    var rows = K * n;
    var spec = {
      w: ['f64', n], pre: ['f64', n * p], act: ['i32', n * p], cnt: ['i32', n],
      R: ['f64', n * d], G1: ['f64', p * p], G2: ['f64', p * p], Q: ['f64', p * p],
      QG1: ['f64', p * p], QG2: ['f64', p * p], W1r: ['f64', d * p], W2r: ['f64', d * p],
      actY: ['i32', p], inY: ['u8', p], inX: ['u8', p], flip: ['i32', p],
      gtmp: ['f64', p * d], coef: ['f64', Math.max(n, p)], T: ['f64', p * d],
      actT: ['i32', n * p], cntT: ['i32', p], chT: ['f64', n * p], cgT: ['f64', n * p],
      mcVec: ['f64', 3 * rows * d], listV: ['i32', p * rows], coefV: ['f64', p * rows],
      listY: ['i32', p * rows], coefY: ['f64', p * rows], AY: ['f64', rows * p],
    };
    this.n = n; this.d = d; this.p = p; this.K = K;
    var kernels = root.kernels, self = this, name;
    if (kernels && kernels.available()) {
      spec.X = ['f64', n * d];
      spec.C1 = ['f64', p * d];
      spec.C2 = ['f64', p * d];
      spec.Y = ['f64', rows * d];
      spec.g1 = ['f64', p * d];
      spec.g2 = ['f64', p * d];
      var arena = new kernels.Arena(spec);
      for (name in spec) this[name] = arena[name];
      this.arena = arena;
      this.kernel = 'wasm-simd';
    } else {
      var TYPES = { f64: Float64Array, i32: Int32Array, u8: Uint8Array };
      for (name in spec) self[name] = new TYPES[spec[name][0]](spec[name][1]);
      this.arena = null;
      this.kernel = 'js';
    }
  }

  // sum_a u[uo + a] v[vo + a], four accumulators
  function dot(u, uo, v, vo, len) {
    var s0 = 0, s1 = 0, s2 = 0, s3 = 0, a = 0;
    for (; a + 3 < len; a += 4) {
      s0 += u[uo + a] * v[vo + a];
      s1 += u[uo + a + 1] * v[vo + a + 1];
      s2 += u[uo + a + 2] * v[vo + a + 2];
      s3 += u[uo + a + 3] * v[vo + a + 3];
    }
    for (; a < len; a++) s0 += u[uo + a] * v[vo + a];
    return (s0 + s1) + (s2 + s3);
  }

  /**
   * out[oo + q] = u[uo ..] . v[vq ..] for the four offsets vq = v0 .. v3 (one pass over u: five
   * loads per four multiply-adds instead of eight).
   */
  function dot4(u, uo, v, v0, v1, v2, v3, len, out, oo) {
    var s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (var a = 0; a < len; a++) {
      var x = u[uo + a];
      s0 += x * v[v0 + a];
      s1 += x * v[v1 + a];
      s2 += x * v[v2 + a];
      s3 += x * v[v3 + a];
    }
    out[oo] = s0;
    out[oo + 1] = s1;
    out[oo + 2] = s2;
    out[oo + 3] = s3;
  }

  /** out[oo + j] = u[uo ..] . C[j * len ..] for k0 <= j < k1 (four rows of C per pass). */
  function dotRows(u, uo, C, k0, k1, len, out, oo) {
    var j = k0;
    for (; j + 3 < k1; j += 4) {
      dot4(u, uo, C, j * len, (j + 1) * len, (j + 2) * len, (j + 3) * len, len, out, oo + j);
    }
    for (; j < k1; j++) out[oo + j] = dot(u, uo, C, j * len, len);
  }

  /**
   * out[i * os + oo + k] = U[i * len ..] . V[k * len ..] for i0 <= i < i1, k0 <= k < k1: a block
   * of dot products, two rows of U by four of V per pass (six loads per eight multiply-adds).
   */
  function dotBlock(U, i0, i1, V, k0, k1, len, out, os, oo) {
    var i = i0, k, a;
    for (; i + 1 < i1; i += 2) {
      var u0 = i * len, u1 = u0 + len, r0 = i * os + oo, r1 = r0 + os;
      for (k = k0; k + 3 < k1; k += 4) {
        var v0 = k * len, v1 = v0 + len, v2 = v1 + len, v3 = v2 + len;
        var s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        for (a = 0; a < len; a++) {
          var x0 = U[u0 + a], x1 = U[u1 + a];
          var y0 = V[v0 + a], y1 = V[v1 + a], y2 = V[v2 + a], y3 = V[v3 + a];
          s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
          s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        }
        out[r0 + k] = s00; out[r0 + k + 1] = s01; out[r0 + k + 2] = s02; out[r0 + k + 3] = s03;
        out[r1 + k] = s10; out[r1 + k + 1] = s11; out[r1 + k + 2] = s12; out[r1 + k + 3] = s13;
      }
      for (; k < k1; k++) {
        out[r0 + k] = dot(U, u0, V, k * len, len);
        out[r1 + k] = dot(U, u1, V, k * len, len);
      }
    }
    for (; i < i1; i++) dotRows(U, i * len, V, k0, k1, len, out, i * os + oo);
  }

  /** out[t] = u[uo ..] . C[list[lo + t] * len ..] for t < count. */
  function dotList(u, uo, C, list, lo, count, len, out) {
    var t = 0;
    for (; t + 3 < count; t += 4) {
      dot4(u, uo, C, list[lo + t] * len, list[lo + t + 1] * len, list[lo + t + 2] * len,
        list[lo + t + 3] * len, len, out, t);
    }
    for (; t < count; t++) out[t] = dot(u, uo, C, list[lo + t] * len, len);
  }

  function gram(C, d, p, G) {
    for (var j = 0; j < p; j++) {
      dotRows(C, j * d, C, j, p, d, G, j * p);
      for (var k = j + 1; k < p; k++) G[k * p + j] = G[j * p + k];
    }
  }

  // out[oo ..] += c * v[vo ..] (d entries)
  function axpy(out, oo, c, v, vo, d) {
    for (var a = 0; a < d; a++) out[oo + a] += c * v[vo + a];
  }

  /**
   * out[oo .. oo + d) += sum over t < count of coef[t] * src[list[lo + t] * d ..] (four source rows
   * per pass, so that out is loaded and stored once per four multiply-adds).
   */
  function gatherRows(out, oo, src, d, list, lo, count, coef, co) {
    var t = 0, a;
    for (; t + 3 < count; t += 4) {
      var o0 = list[lo + t] * d, o1 = list[lo + t + 1] * d;
      var o2 = list[lo + t + 2] * d, o3 = list[lo + t + 3] * d;
      var c0 = coef[co + t], c1 = coef[co + t + 1], c2 = coef[co + t + 2], c3 = coef[co + t + 3];
      for (a = 0; a < d; a++) {
        out[oo + a] += c0 * src[o0 + a] + c1 * src[o1 + a] + c2 * src[o2 + a] + c3 * src[o3 + a];
      }
    }
    for (; t < count; t++) axpy(out, oo, coef[co + t], src, list[lo + t] * d, d);
  }

  function rowMajor(C, d, p, W) {
    for (var j = 0; j < p; j++) for (var a = 0; a < d; a++) W[a * p + j] = C[j * d + a];
  }

  /**
   * The control-variate loss estimate and its gradients, column layout.
   * C1, C2 (p*d; C2 === C1 when tied), X (n*d), Y (K*n*d, row k*n + i a draw around x_i).
   * o: {n, d, p, sigma, lam, tied, weights (n, summing to 1) or null, ws, g1, g2}.
   * Returns {loss, g1, g2}; for a tied model g1 is the gradient for the shared matrix and g2 null.
   */
  function lossAndGrads(C1, C2, X, Y, o) {
    var n = o.n, d = o.d, p = o.p, tied = !!o.tied;
    var K = Y ? Math.round(Y.length / (n * d)) : 0;
    if (Y && K * n * d !== Y.length) {
      throw new Error('Y must hold K * n * d = K * ' + n * d + ' numbers, got ' + Y.length);
    }
    var s2 = o.sigma * o.sigma, lam = o.lam;
    var ws = o.ws && o.ws.n === n && o.ws.d === d && o.ws.p === p && o.ws.K === K ? o.ws
      : new Workspace(n, d, p, K);
    var w = ws.w, pre = ws.pre, act = ws.act, cnt = ws.cnt, R = ws.R;
    var G1 = ws.G1, G2 = tied ? ws.G1 : ws.G2, Q = ws.Q, QG1 = ws.QG1, QG2 = ws.QG2;
    var i, j, k, a, t, c, s, xo, ro, jo, io, coef = ws.coef;
    var gOut1 = o.g1 || new Float64Array(p * d);
    var gOut2 = tied ? null : o.g2 || new Float64Array(p * d);
    var g1 = gOut1, g2 = tied ? ws.gtmp : gOut2;
    var kDot = dotBlock, kGather = gatherRows, kGram = gram;
    if (ws.arena) { // the inputs are copied into the arena, the gradients copied out at the end
      ws.X.set(X);
      ws.C1.set(C1);
      X = ws.X;
      C1 = ws.C1;
      if (tied) C2 = C1;
      else {
        ws.C2.set(C2);
        C2 = ws.C2;
      }
      if (Y) {
        ws.Y.set(Y);
        Y = ws.Y;
      }
      g1 = ws.g1;
      g2 = tied ? ws.gtmp : ws.g2;
      var arena = ws.arena;
      kDot = arena.dotBlock.bind(arena);
      kGather = arena.gatherRows.bind(arena);
      kGram = function (C, dd, pp, G) { arena.dotBlock(C, 0, pp, C, 0, pp, dd, G, pp, 0); };
    }
    if (o.weights) for (i = 0; i < n; i++) w[i] = o.weights[i];
    else w.fill(1 / n);
    g1.fill(0);
    g2.fill(0);

    // ---- closed-form part, masks frozen at the clean inputs
    var loss = 0;
    kDot(X, 0, n, C1, 0, p, d, pre, p, 0); // X W1
    for (i = 0; i < n; i++) {
      xo = i * d;
      io = i * p;
      var m = 0;
      for (j = 0; j < p; j++) if (pre[io + j] > 0) act[io + m++] = j;
      cnt[i] = m;
      for (a = 0; a < d; a++) R[xo + a] = -X[xo + a];
      for (t = 0; t < m; t++) coef[t] = pre[io + act[io + t]];
      kGather(R, xo, C2, d, act, io, m, coef, 0);
      loss += w[i] * dot(R, xo, R, xo, d);
    }
    kGram(C1, d, p, G1);
    if (!tied) kGram(C2, d, p, G2);
    // Q = sum_i sigma^2 w_i d_i d_i^T (d_i the clean mask), its upper triangle then mirrored
    if (ws.arena) ws.arena.maskOuter(Q, p, act, cnt, w, s2, n);
    else {
      Q.fill(0);
      for (i = 0; i < n; i++) {
        io = i * p;
        c = s2 * w[i];
        for (t = 0; t < cnt[i]; t++) {
          var rowq = act[io + t] * p;
          for (var u = t; u < cnt[i]; u++) Q[rowq + act[io + u]] += c; // act is ascending
        }
      }
      for (j = 0; j < p; j++) for (k = j + 1; k < p; k++) Q[k * p + j] = Q[j * p + k];
    }
    for (j = 0; j < p; j++) {
      for (k = 0; k < p; k++) {
        var q = Q[j * p + k];
        if (q !== 0) {
          loss += q * G1[j * p + k] * G2[j * p + k];
          QG1[j * p + k] = q * G1[j * p + k];
          QG2[j * p + k] = q * G2[j * p + k];
        } else {
          QG1[j * p + k] = 0;
          QG2[j * p + k] = 0;
        }
      }
    }
    // 2 R^T (h w) into g2 and 2 X^T ((R W2) D w) into g1, unit by unit over its samples
    var actT = ws.actT, cntT = ws.cntT, chT = ws.chT, cgT = ws.cgT;
    cntT.fill(0);
    for (i = 0; i < n; i++) {
      xo = i * d;
      io = i * p;
      dotList(R, xo, C2, act, io, cnt[i], d, coef); // (R W2)_ij on the active units
      for (t = 0; t < cnt[i]; t++) {
        j = act[io + t];
        var q2 = j * n + cntT[j]++;
        actT[q2] = i;
        chT[q2] = 2 * w[i] * pre[io + j];
        cgT[q2] = 2 * w[i] * coef[t];
      }
    }
    for (j = 0; j < p; j++) {
      if (!cntT[j]) continue;
      kGather(g2, j * d, R, d, actT, j * n, cntT[j], chT, j * n);
      kGather(g1, j * d, X, d, actT, j * n, cntT[j], cgT, j * n);
    }
    // 2 W2 (Q * G1) and 2 W1 (Q * G2), as dot products with the rows of W2, W1 (d, p)
    var W1r = ws.W1r, W2r = tied ? ws.W1r : ws.W2r;
    rowMajor(C1, d, p, W1r);
    if (!tied) rowMajor(C2, d, p, W2r);
    var T = ws.T;
    kDot(QG1, 0, p, W2r, 0, d, p, T, d, 0); // (Q * G1) W2^T, row j = unit j
    for (k = 0; k < p * d; k++) g2[k] += 2 * T[k];
    if (!tied) kDot(QG2, 0, p, W1r, 0, d, p, T, d, 0); // tied: the same product
    for (k = 0; k < p * d; k++) g1[k] += 2 * T[k];

    // ---- Monte Carlo correction, only on draws that flip a mask: with R2 the residual of the
    // frozen-mask network on y and R1 = R2 + Delta that of the true one,
    // Delta = sum over flipped units of (+-) A_f w2_f. The gradient terms are collected per unit
    // (which vector, which coefficient) and added four rows at a time at the end.
    var actY = ws.actY, inY = ws.inY, inX = ws.inX, flip = ws.flip;
    var rows = K * n;
    var mcVec = ws.mcVec, listV = ws.listV, coefV = ws.coefV, listY = ws.listY, coefY = ws.coefY;
    var cntMC = ws.cntT;
    cntMC.fill(0);
    var nFlipped = 0;
    var AY = ws.AY; // Y W1
    if (rows) kDot(Y, 0, rows, C1, 0, p, d, AY, p, 0);
    for (var r = 0; r < rows; r++) {
      i = r % n;
      ro = r * d;
      xo = i * d;
      io = i * p;
      var my = 0;
      var ao = r * p;
      for (j = 0; j < p; j++) if (AY[ao + j] > 0) actY[my++] = j;
      var same = my === cnt[i];
      for (t = 0; same && t < my; t++) same = actY[t] === act[io + t];
      if (same) continue;
      var wk = w[i] / K, nf = 0, vo = 3 * nFlipped;
      var Dl = vo * d, R1 = (vo + 1) * d, R2 = (vo + 2) * d;
      nFlipped++;
      for (t = 0; t < my; t++) inY[actY[t]] = 1;
      for (t = 0; t < cnt[i]; t++) inX[act[io + t]] = 1;
      for (a = 0; a < d; a++) {
        mcVec[R2 + a] = -X[xo + a];
        mcVec[Dl + a] = 0;
      }
      for (t = 0; t < cnt[i]; t++) coef[t] = AY[ao + act[io + t]];
      kGather(mcVec, R2, C2, d, act, io, cnt[i], coef, 0);
      for (j = 0; j < p; j++) {
        if (inY[j] === inX[j]) continue;
        flip[nf++] = j;
        axpy(mcVec, Dl, inY[j] ? AY[ao + j] : -AY[ao + j], C2, j * d, d);
      }
      for (a = 0; a < d; a++) mcVec[R1 + a] = mcVec[R2 + a] + mcVec[Dl + a];
      loss += wk * (dot(mcVec, R1, mcVec, R1, d) - dot(mcVec, R2, mcVec, R2, d));
      for (j = 0; j < p; j++) {
        var y1 = inY[j], x1 = inX[j];
        if (!y1 && !x1) continue;
        jo = j * d;
        var q = j * rows + cntMC[j]++, cy;
        listY[q] = r;
        if (y1 && x1) { // both masks: the difference of the two terms involves Delta only
          listV[q] = vo;
          coefV[q] = 2 * wk * AY[ao + j];
          s = 0; // Delta . w2_j from the Gram matrix of W2
          for (t = 0; t < nf; t++) {
            var f = flip[t];
            s += (inY[f] ? AY[ao + f] : -AY[ao + f]) * G2[f * p + j];
          }
          cy = 2 * wk * s;
        } else if (y1) {
          listV[q] = vo + 1;
          coefV[q] = 2 * wk * AY[ao + j];
          cy = 2 * wk * dot(mcVec, R1, C2, jo, d);
        } else {
          listV[q] = vo + 2;
          coefV[q] = -2 * wk * AY[ao + j];
          cy = -2 * wk * dot(mcVec, R2, C2, jo, d);
        }
        coefY[q] = cy;
      }
      inY.fill(0);
      inX.fill(0);
    }
    for (j = 0; j < p; j++) {
      if (!cntMC[j]) continue;
      kGather(g2, j * d, mcVec, d, listV, j * rows, cntMC[j], coefV, j * rows);
      kGather(g1, j * d, Y, d, listY, j * rows, cntMC[j], coefY, j * rows);
    }

    // ---- weight decay lam (||W1||^2 + ||W2||^2)
    var pen1 = dot(C1, 0, C1, 0, p * d), pen2 = tied ? pen1 : dot(C2, 0, C2, 0, p * d);
    loss += lam * (pen1 + pen2);
    if (tied) {
      for (k = 0; k < p * d; k++) gOut1[k] = g1[k] + g2[k] + 4 * lam * C1[k];
      return { loss: loss, g1: gOut1, g2: null, ws: ws };
    }
    for (k = 0; k < p * d; k++) {
      gOut1[k] = g1[k] + 2 * lam * C1[k];
      gOut2[k] = g2[k] + 2 * lam * C2[k];
    }
    return { loss: loss, g1: gOut1, g2: gOut2, ws: ws };
  }

  /** lossAndGrads with W1, W2, and the returned gradients, in numpy's row-major (d, p) layout. */
  function lossAndGradsRowMajor(W1, W2, X, Y, o) {
    var dae = root.dae, d = o.d, p = o.p, tied = !!o.tied;
    var C1 = dae.toColumns(W1, d, p);
    var C2 = tied ? C1 : dae.toColumns(W2, d, p);
    var out = lossAndGrads(C1, C2, X, Y, o);
    return {
      loss: out.loss,
      gW1: dae.fromColumns(out.g1, d, p),
      gW2: tied ? null : dae.fromColumns(out.g2, d, p),
    };
  }

  var ADAM = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

  /** lr at step t (1-based) of `steps` under memgen.fit_fast.fit_dae's schedule. */
  function scheduledLr(lr, t, steps, schedule) {
    if (schedule === 'constant') return lr;
    return lr * 0.5 * (1 + Math.cos(Math.PI * (t - 1) / steps));
  }

  /**
   * One Adam update in place (torch's Adam, as written out in memgen.fit_fast.fit_dae):
   * m += (1 - b1)(g - m); v = b2 v + (1 - b2) g^2;
   * w -= lr_t / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
   */
  function adamStep(w, g, m, v, t, lrT, beta1, beta2, eps) {
    var b1 = beta1 === undefined ? ADAM.beta1 : beta1;
    var b2 = beta2 === undefined ? ADAM.beta2 : beta2;
    var ep = eps === undefined ? ADAM.eps : eps;
    var a = lrT / (1 - Math.pow(b1, t));
    var rootBc2 = Math.sqrt(1 - Math.pow(b2, t));
    for (var k = 0; k < w.length; k++) {
      var gk = g[k];
      m[k] += (1 - b1) * (gk - m[k]);
      v[k] = b2 * v[k] + (1 - b2) * gk * gk;
      w[k] -= a * m[k] / (Math.sqrt(v[k]) / rootBc2 + ep);
    }
  }

  function normalisedWeights(weights, n) {
    if (!weights) return null;
    root.checks.checkArray('weights', weights, n);
    var total = 0, out = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      if (weights[i] < 0) throw new Error('weights must be >= 0, got ' + weights[i] + ' at ' + i);
      total += weights[i];
    }
    if (!(total > 0)) throw new Error('weights must have a positive sum, got ' + total);
    for (i = 0; i < n; i++) out[i] = weights[i] / total;
    return out;
  }

  var DEFAULTS = {
    lr: ADAM.lr, maxSteps: 2000, schedule: 'cosine', draws: 1, tol: 1e-3, window: 50,
    patience: 10, minSteps: 100, tied: false, seed: 0,
  };

  /**
   * Stateful trainer. problem: {X (n*d), n, d, weights (n) or null}. opts: {p, sigma, lam, tied,
   * seed, lr, maxSteps, schedule, draws, tol, window, minSteps, init: {C1, C2} or {W1, W2}}.
   * Convergence: the mean loss of the last `window` steps fell by less than `tol` (relative) from
   * the window before, at `patience` consecutive steps (checked from minSteps on; tol null:
   * never), or maxSteps steps were taken (the cosine schedule runs over maxSteps, like fit_dae's
   * over `steps`).
   */
  function Trainer(problem, opts) {
    var o = {};
    var key;
    for (key in DEFAULTS) o[key] = DEFAULTS[key];
    for (key in opts || {}) if (opts[key] !== undefined) o[key] = opts[key];
    var checks = root.checks;
    this.p = checks.checkInt('p', o.p, 1);
    this.sigma = checks.checkFloat('sigma', o.sigma, 0);
    this.lam = checks.checkFloat('lam', o.lam, 0);
    this.seed = checks.checkInt('seed', o.seed, 0);
    this.lr = checks.checkFloat('lr', o.lr, 0, null, { loExclusive: true });
    this.maxSteps = checks.checkInt('maxSteps', o.maxSteps, 1);
    this.schedule = checks.checkChoice('schedule', o.schedule, ['cosine', 'constant']);
    this.draws = checks.checkInt('draws', o.draws, 1);
    this.tol = o.tol === null ? null : checks.checkFloat('tol', o.tol, 0);
    this.window = checks.checkInt('window', o.window, 1);
    this.minSteps = checks.checkInt('minSteps', o.minSteps, 0);
    this.patience = checks.checkInt('patience', o.patience, 1);
    this.tied = !!o.tied;
    this.noiseRng = new root.rng.Rng(this.seed, 'noise');
    this.growRng = new root.rng.Rng(this.seed, 'grow');
    this.setProblem(problem, true);
    if (o.init) this.setWeights(o.init);
    else this.reinit();
  }

  Trainer.prototype.setProblem = function (problem, fresh) {
    var checks = root.checks;
    var n = checks.checkInt('n', problem.n, 1);
    var d = checks.checkInt('d', problem.d, 1);
    checks.checkArray('X', problem.X, n * d);
    var dChanged = !fresh && d !== this.d;
    this.n = n;
    this.d = d;
    this.X = Float64Array.from(problem.X);
    this.weights = normalisedWeights(problem.weights, n);
    this.ws = null;
    this.Y = new Float64Array(this.draws * n * d);
    return dChanged;
  };

  Trainer.prototype.setWeights = function (init) {
    var d = this.d, p = this.p, dae = root.dae;
    var C1 = init.C1 ? Float64Array.from(init.C1) : dae.toColumns(init.W1, d, p);
    if (C1.length !== d * p) throw new Error('init must be (d, p) = (' + d + ', ' + p + ')');
    var C2 = this.tied ? C1 : init.C2 ? Float64Array.from(init.C2) : dae.toColumns(init.W2, d, p);
    this.C1 = C1;
    this.C2 = C2;
    this.restart();
  };

  Trainer.prototype.reinit = function () {
    var w = root.dae.initColumns(this.d, this.p, this.tied, this.seed);
    this.C1 = w.C1;
    this.C2 = w.C2;
    this.losses = [];
    this.restart();
  };

  /** Reset Adam's moments, the step counter and the schedule (a warm start keeps the weights). */
  Trainer.prototype.restart = function () {
    var size = this.d * this.p;
    this.m1 = new Float64Array(size);
    this.v1 = new Float64Array(size);
    this.m2 = this.tied ? null : new Float64Array(size);
    this.v2 = this.tied ? null : new Float64Array(size);
    this.g1 = new Float64Array(size);
    this.g2 = this.tied ? null : new Float64Array(size);
    this.t = 0;
    this.runLosses = [];
    this.converged = false;
    this.reason = null;
    this.calm = 0;
    this.relDecrease = undefined;
    this.ws = null;
    if (!this.losses) this.losses = [];
  };

  /**
   * Warm start after a control moved. changes: any of {sigma, lam, p, tied, problem, seed,
   * maxSteps, tol}. A new seed, or data of another dimension d, starts from fresh weights;
   * anything else keeps the current weights and resets Adam and the schedule. New units (p grew)
   * and dead ones (largest output on the training rows <= 1e-2 x the largest unit's: a dead ReLU
   * unit never revives by gradient) are drawn fresh at the initial scale, so that lowering lam
   * again can store samples again, as a cold start would. Returns 'cold' or 'warm'.
   */
  Trainer.prototype.update = function (changes) {
    var checks = root.checks, cold = false;
    if (changes.maxSteps !== undefined) {
      this.maxSteps = checks.checkInt('maxSteps', changes.maxSteps, 1);
    }
    if (changes.tol !== undefined) {
      this.tol = changes.tol === null ? null : checks.checkFloat('tol', changes.tol, 0);
    }
    if (changes.sigma !== undefined) this.sigma = checks.checkFloat('sigma', changes.sigma, 0);
    if (changes.lam !== undefined) this.lam = checks.checkFloat('lam', changes.lam, 0);
    if (changes.seed !== undefined && changes.seed !== this.seed) {
      this.seed = checks.checkInt('seed', changes.seed, 0);
      this.noiseRng = new root.rng.Rng(this.seed, 'noise');
      this.growRng = new root.rng.Rng(this.seed, 'grow');
      cold = true;
    }
    if (changes.problem) cold = this.setProblem(changes.problem, false) || cold;
    var tied = changes.tied === undefined ? this.tied : !!changes.tied;
    var p = changes.p === undefined ? this.p : checks.checkInt('p', changes.p, 1);
    if (cold) {
      this.tied = tied;
      this.p = p;
      this.reinit();
      return 'cold';
    }
    if (tied !== this.tied) {
      this.C2 = tied ? this.C1 : Float64Array.from(this.C1);
      this.tied = tied;
    }
    if (p !== this.p) {
      var r = root.dae.resize(this.C1, this.C2, this.d, this.p, p, this.tied, this.growRng);
      this.C1 = r.C1;
      this.C2 = r.C2;
      this.p = p;
    }
    this.revived = root.dae.redrawDead(this.C1, this.C2, this.d, this.p, this.tied, this.growRng,
      this.X, this.n);
    this.restart();
    return 'warm';
  };

  /** One Adam step (Y: optional K*n*d noisy copies; drawn from the noise stream otherwise). */
  Trainer.prototype.step = function (Y) {
    var n = this.n, d = this.d;
    if (!Y) {
      Y = this.Y;
      var X = this.X, sigma = this.sigma, rng = this.noiseRng, nd = n * d;
      for (var k = 0; k < this.draws; k++) {
        var off = k * nd;
        for (var q = 0; q < nd; q++) Y[off + q] = X[q] + sigma * rng.normal();
      }
    }
    var out = lossAndGrads(this.C1, this.C2, this.X, Y, {
      n: n, d: d, p: this.p, sigma: this.sigma, lam: this.lam, tied: this.tied,
      weights: this.weights, ws: this.ws, g1: this.g1, g2: this.g2,
    });
    this.ws = out.ws;
    this.t += 1;
    var lrT = scheduledLr(this.lr, this.t, this.maxSteps, this.schedule);
    adamStep(this.C1, this.g1, this.m1, this.v1, this.t, lrT);
    if (!this.tied) adamStep(this.C2, this.g2, this.m2, this.v2, this.t, lrT);
    this.losses.push(out.loss);
    this.runLosses.push(out.loss);
    this.checkConvergence();
    return out.loss;
  };

  Trainer.prototype.checkConvergence = function () {
    var t = this.t, W = this.window, L = this.runLosses;
    if (t >= this.maxSteps) {
      this.converged = true;
      this.reason = 'max_steps';
      return true;
    }
    if (this.tol === null || t < 2 * W || t < this.minSteps) return false;
    var prev = 0, cur = 0;
    for (var k = t - 2 * W; k < t - W; k++) prev += L[k];
    for (k = t - W; k < t; k++) cur += L[k];
    prev /= W;
    cur /= W;
    this.relDecrease = (prev - cur) / Math.max(Math.abs(cur), 1e-12);
    this.calm = this.relDecrease < this.tol ? (this.calm || 0) + 1 : 0;
    if (this.calm >= this.patience) {
      this.converged = true;
      this.reason = 'tol';
      return true;
    }
    return false;
  };

  /** Steps until converged, or for at most maxMs milliseconds / maxCount steps. */
  Trainer.prototype.run = function (maxMs, maxCount) {
    var t0 = Date.now(), count = 0;
    while (!this.converged) {
      this.step();
      count++;
      if (maxCount !== undefined && count >= maxCount) break;
      if (maxMs !== undefined && Date.now() - t0 >= maxMs) break;
    }
    return count;
  };

  /** The weights in numpy's (d, p) layout. */
  Trainer.prototype.weightsRowMajor = function () {
    var dae = root.dae;
    return {
      W1: dae.fromColumns(this.C1, this.d, this.p),
      W2: dae.fromColumns(this.C2, this.d, this.p),
    };
  };

  /**
   * Train to convergence (synchronously). problem: {X, n, d, weights}; opts as for Trainer, plus
   * noise: an optional function t -> Y (the noisy copies of step t, 1-based) for reproducing a
   * given run. Returns {C1, C2, W1, W2, losses, steps, converged, reason, trainer}.
   */
  function fit(problem, opts) {
    var tr = new Trainer(problem, opts);
    var noise = opts && opts.noise;
    while (!tr.converged) tr.step(noise ? noise(tr.t + 1) : undefined);
    var w = tr.weightsRowMajor();
    return {
      C1: tr.C1, C2: tr.C2, W1: w.W1, W2: w.W2, losses: Float64Array.from(tr.losses),
      steps: tr.t, converged: tr.converged, reason: tr.reason, trainer: tr,
    };
  }

  root.fit = {
    lossAndGrads: lossAndGrads, lossAndGradsRowMajor: lossAndGradsRowMajor, Workspace: Workspace,
    adamStep: adamStep, scheduledLr: scheduledLr, Trainer: Trainer, fit: fit, ADAM: ADAM,
    DEFAULTS: DEFAULTS, normalisedWeights: normalisedWeights,
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
})(memgenLive_fit, 'fit', ['checks', 'rng', 'dae', 'kernels']);
