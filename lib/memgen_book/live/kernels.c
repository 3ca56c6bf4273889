/* The dense kernels of memgenLive.fit's lossAndGrads in WebAssembly SIMD (f64x2), the same
 * arithmetic as fit.js's dotBlock and gatherRows in double precision (only the order of the
 * additions differs). Built by make_kernels.py with Debian's clang and lld (no emscripten, no libc):
 *
 *     clang --target=wasm32 -O2 -msimd128 -mbulk-memory -nostdlib -Wl,--no-entry
 *           -Wl,--import-memory -Wl,--export=dot_block -Wl,--export=gather_rows
 *           -Wl,--export=mask_outer
 *           -Wl,--export=__heap_base -Wl,-z,stack-size=1024 -o kernels.wasm kernels.c
 *
 * Arrays are passed as byte offsets into the imported memory (memgenLive.kernels.Arena). */
#include <wasm_simd128.h>

static inline double hsum(v128_t s) {
  return wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
}

static double dot(const double *u, const double *v, int len) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = wasm_f64x2_splat(0);
  int a = 0;
  for (; a + 3 < len; a += 4) {
    s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(wasm_v128_load(u + a), wasm_v128_load(v + a)));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(wasm_v128_load(u + a + 2), wasm_v128_load(v + a + 2)));
  }
  double s = hsum(wasm_f64x2_add(s0, s1));
  for (; a < len; a++) s += u[a] * v[a];
  return s;
}

/* out[i*os + oo + k] = U[i*len ..] . V[k*len ..], i0 <= i < i1, k0 <= k < k1 */
void dot_block(const double *U, int i0, int i1, const double *V, int k0, int k1, int len,
               double *out, int os, int oo) {
  int i = i0, k, a;
  int l2 = len & ~1;
  for (; i + 1 < i1; i += 2) {
    const double *u0 = U + i * len, *u1 = u0 + len;
    double *r0 = out + i * os + oo, *r1 = r0 + os;
    for (k = k0; k + 3 < k1; k += 4) {
      const double *v0 = V + k * len, *v1 = v0 + len, *v2 = v1 + len, *v3 = v2 + len;
      v128_t s00 = wasm_f64x2_splat(0), s01 = s00, s02 = s00, s03 = s00;
      v128_t s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (a = 0; a < l2; a += 2) {
        v128_t x0 = wasm_v128_load(u0 + a), x1 = wasm_v128_load(u1 + a);
        v128_t y0 = wasm_v128_load(v0 + a), y1 = wasm_v128_load(v1 + a);
        v128_t y2 = wasm_v128_load(v2 + a), y3 = wasm_v128_load(v3 + a);
        s00 = wasm_f64x2_add(s00, wasm_f64x2_mul(x0, y0));
        s01 = wasm_f64x2_add(s01, wasm_f64x2_mul(x0, y1));
        s02 = wasm_f64x2_add(s02, wasm_f64x2_mul(x0, y2));
        s03 = wasm_f64x2_add(s03, wasm_f64x2_mul(x0, y3));
        s10 = wasm_f64x2_add(s10, wasm_f64x2_mul(x1, y0));
        s11 = wasm_f64x2_add(s11, wasm_f64x2_mul(x1, y1));
        s12 = wasm_f64x2_add(s12, wasm_f64x2_mul(x1, y2));
        s13 = wasm_f64x2_add(s13, wasm_f64x2_mul(x1, y3));
      }
      double t00 = hsum(s00), t01 = hsum(s01), t02 = hsum(s02), t03 = hsum(s03);
      double t10 = hsum(s10), t11 = hsum(s11), t12 = hsum(s12), t13 = hsum(s13);
      if (l2 < len) {
        double x0 = u0[l2], x1 = u1[l2];
        t00 += x0 * v0[l2]; t01 += x0 * v1[l2]; t02 += x0 * v2[l2]; t03 += x0 * v3[l2];
        t10 += x1 * v0[l2]; t11 += x1 * v1[l2]; t12 += x1 * v2[l2]; t13 += x1 * v3[l2];
      }
      r0[k] = t00; r0[k + 1] = t01; r0[k + 2] = t02; r0[k + 3] = t03;
      r1[k] = t10; r1[k + 1] = t11; r1[k + 2] = t12; r1[k + 3] = t13;
    }
    for (; k < k1; k++) {
      r0[k] = dot(u0, V + k * len, len);
      r1[k] = dot(u1, V + k * len, len);
    }
  }
  for (; i < i1; i++) {
    for (k = k0; k < k1; k++) out[i * os + oo + k] = dot(U + i * len, V + k * len, len);
  }
}

/* out[oo .. oo+d) += sum_{t < count} coef[co + t] * src[list[lo + t] * d ..] */
void gather_rows(double *out, int oo, const double *src, int d, const int *list, int lo,
                 int count, const double *coef, int co) {
  double *o = out + oo;
  int t = 0, a, d2 = d & ~1;
  for (; t + 3 < count; t += 4) {
    const double *p0 = src + list[lo + t] * d, *p1 = src + list[lo + t + 1] * d;
    const double *p2 = src + list[lo + t + 2] * d, *p3 = src + list[lo + t + 3] * d;
    double c0 = coef[co + t], c1 = coef[co + t + 1], c2 = coef[co + t + 2], c3 = coef[co + t + 3];
    v128_t w0 = wasm_f64x2_splat(c0), w1 = wasm_f64x2_splat(c1);
    v128_t w2 = wasm_f64x2_splat(c2), w3 = wasm_f64x2_splat(c3);
    for (a = 0; a < d2; a += 2) {
      v128_t s = wasm_f64x2_add(
          wasm_f64x2_add(wasm_f64x2_mul(w0, wasm_v128_load(p0 + a)),
                         wasm_f64x2_mul(w1, wasm_v128_load(p1 + a))),
          wasm_f64x2_add(wasm_f64x2_mul(w2, wasm_v128_load(p2 + a)),
                         wasm_f64x2_mul(w3, wasm_v128_load(p3 + a))));
      wasm_v128_store(o + a, wasm_f64x2_add(wasm_v128_load(o + a), s));
    }
    for (; a < d; a++) o[a] += c0 * p0[a] + c1 * p1[a] + c2 * p2[a] + c3 * p3[a];
  }
  for (; t < count; t++) {
    const double *p0 = src + list[lo + t] * d;
    double c0 = coef[co + t];
    v128_t w0 = wasm_f64x2_splat(c0);
    for (a = 0; a < d2; a += 2) {
      wasm_v128_store(o + a, wasm_f64x2_add(wasm_v128_load(o + a),
                                            wasm_f64x2_mul(w0, wasm_v128_load(p0 + a))));
    }
    for (; a < d; a++) o[a] += c0 * p0[a];
  }
}

/* Q += c_i d_i d_i^T over the samples (d_i the mask of sample i, as the ascending list
 * act[i*p .. i*p + cnt[i]), c_i = s2 * w[i]), upper triangle first, then mirrored. */
void mask_outer(double *Q, int p, const int *act, const int *cnt, const double *w, double s2,
                int n) {
  for (int i = 0; i < n; i++) {
    const int *a = act + i * p;
    int m = cnt[i];
    double c = s2 * w[i];
    for (int t = 0; t < m; t++) {
      double *row = Q + a[t] * p;
      for (int u = t; u < m; u++) row[a[u]] += c;
    }
  }
  for (int j = 0; j < p; j++)
    for (int k = j + 1; k < p; k++) Q[k * p + j] = Q[j * p + k];
}
