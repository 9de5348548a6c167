/*
 * kernels.c -- the two inner loops that dominate a Newton step of the Cox
 * fit at large n: exp() of the linear predictors and the weighted Gram
 * matrix X' diag(c) X (the caller scales the rows by sqrt(c) or passes
 * c-weighted copies; here it is Y'Y).
 *
 * Why hand kernels: R compiles with plain -O2, i.e. SSE2 on x86-64, and calls
 * glibc's scalar exp (~7.5 ns each); OpenBLAS's dsyrk spends its time packing
 * when the matrix has only ~10 columns. Each kernel body is written once with
 * GCC/clang vector extensions (4 doubles per vector, memcpy loads and stores,
 * so no alignment is assumed and no unaligned-access UB), inlined into two
 * entry points: one compiled for the baseline target and, on x86-64, one
 * with __attribute__((target("avx2,fma"))). The public functions pick one at
 * run time with __builtin_cpu_supports (cheap: it reads a word that libgcc
 * filled at start-up), so nothing is cached in a global. Other compilers get
 * plain C loops (libm exp; dot products with four partial sums).
 *
 * Defining NS_KERNELS_NO_VECTOR compiles the plain C fallback everywhere
 * (used to test that path with gcc).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

#if (defined(__GNUC__) || defined(__clang__)) && !defined(NS_KERNELS_NO_VECTOR)
#define NS_KERNELS_VECTOR 1
#else
#define NS_KERNELS_VECTOR 0
#endif

#if NS_KERNELS_VECTOR && defined(__x86_64__)
#define NS_KERNELS_X86 1
#else
#define NS_KERNELS_X86 0
#endif

static int kernels_have_avx2(void)
{
#if NS_KERNELS_X86
  /* libgcc's check includes the OS (XGETBV) saving the ymm registers. */
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

ns_kernels_variant ns_kernels_best(void)
{
  return kernels_have_avx2() ? NS_KERNELS_AVX2 : NS_KERNELS_PORTABLE;
}

#if NS_KERNELS_VECTOR
/* ------------------------------------------------------------------------ */
/* Vector bodies. Helpers take pointers, never vectors by value, so that no  */
/* function has a 32-byte vector in its ABI (-Wpsabi) when compiled for the */
/* baseline target; always_inline makes them part of each entry point, which */
/* then compiles them for its own target.                                   */

#define NS_INLINE static inline __attribute__((always_inline))
#define NS_LANES 4
typedef double ns_vd __attribute__((vector_size(NS_LANES * sizeof(double))));
typedef long long ns_vi __attribute__((vector_size(NS_LANES * sizeof(double))));
typedef unsigned long long ns_vu __attribute__((vector_size(NS_LANES * sizeof(double))));

/*
 * exp of NS_LANES arguments t = x - shift, times w when has_w.
 * Cody & Waite (1980) reduction: t = k ln2 + r with k = round(t / ln2),
 * |r| <= ln2 / 2, ln2 split in a 32-bit head (k * head is exact for
 * |k| < 2^21) and a tail; exp(r) by its Taylor polynomial of degree 13
 * (truncation error < 5e-18 relative on |r| <= 0.347), summed as
 * 1 + (r + r^2 P(r)) so that only the last addition rounds at full size.
 * k comes from the round-to-nearest trick: t / ln2 + 1.5 * 2^52 leaves k in
 * the low mantissa bits, and 2^k is applied by adding k to the exponent
 * field, which is exact while the result stays normal: |t| <= 700 here.
 * A block holding any |t| > 700, an infinity or a NaN (one integer test on
 * the bits of |t|, no float compare, as SSE2 has no cheap vector one for
 * this) goes to libm's exp instead: overflow, underflow and subnormals are
 * rare in a Cox fit (the caller shifts by max eta) and libm gets them right.
 */
NS_INLINE void exp_block(const double *x, double shift, const double *w,
                         int has_w, double *out)
{
  const double log2e = 1.4426950408889634074;
  const double ln2hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
  const double ln2lo = 1.90821492927058770002e-10;
  const double magic = 6755399441055744.0; /* 1.5 * 2^52 */
  const double zero = 0.0;
  ns_vd t, z = {zero, zero, zero, zero};
  memcpy(&t, x, sizeof t);
  t = t - (z + shift);

  /* bits(700) - bits(|t|) is negative, i.e. has its top bit set, exactly
   * when |t| > 700 or t is +-Inf or NaN (their bits compare above). */
  ns_vu tb = (ns_vu) t;
  ns_vu out_of_range = ((ns_vu) (z + 700.0) - (tb & 0x7fffffffffffffffULL)) >> 63;
  unsigned long long any[NS_LANES];
  memcpy(any, &out_of_range, sizeof any);
  if ((any[0] | any[1]) | (any[2] | any[3])) {
    for (int j = 0; j < NS_LANES; j++) {
      double e = exp(x[j] - shift);
      out[j] = has_w ? w[j] * e : e;
    }
    return;
  }

  ns_vd kdm = t * log2e + magic;
  ns_vd kd = kdm - magic;
  ns_vd r = t - kd * ln2hi;
  r = r - kd * ln2lo;

  /* P(r) = sum_k r^k / (k + 2)!, k = 0 .. 11, by Estrin's scheme: a
   * dependency chain of 4 multiply-adds instead of Horner's 12, so the
   * loop is not bound by the latency of one long chain. */
  ns_vd r2 = r * r, r4 = r2 * r2;
  ns_vd q0 = (z + 1.0 / 2.0) + r * (1.0 / 6.0);
  ns_vd q1 = (z + 1.0 / 24.0) + r * (1.0 / 120.0);
  ns_vd q2 = (z + 1.0 / 720.0) + r * (1.0 / 5040.0);
  ns_vd q3 = (z + 1.0 / 40320.0) + r * (1.0 / 362880.0);
  ns_vd q4 = (z + 1.0 / 3628800.0) + r * (1.0 / 39916800.0);
  ns_vd q5 = (z + 1.0 / 479001600.0) + r * (1.0 / 6227020800.0);
  ns_vd u0 = q0 + r2 * q1, u1 = q2 + r2 * q3, u2 = q4 + r2 * q5;
  ns_vd p = u0 + r4 * (u1 + r4 * u2);
  ns_vd e = 1.0 + (r + r2 * p);

  /* k modulo 2^64, shifted into the exponent field: unsigned wrap-around
   * makes negative k subtract, with no signed-shift UB. */
  ns_vu k = (ns_vu) kdm - (ns_vu) (z + magic);
  e = (ns_vd) ((ns_vu) e + (k << 52));
  if (has_w) {
    ns_vd wv;
    memcpy(&wv, w, sizeof wv);
    e = e * wv;
  }
  memcpy(out, &e, sizeof e);
}

/* has_w is a constant at each call, so each loop is compiled without the
 * test (-O2 does not unswitch loops). */
NS_INLINE void exp_loop(size_t n, const double *x, double shift,
                        const double *w, int has_w, double *out)
{
  size_t i = 0;
  for (; i + NS_LANES <= n; i += NS_LANES)
    exp_block(x + i, shift, has_w ? w + i : NULL, has_w, out + i);
  if (i < n) {
    /* Pad the tail to a full vector; the padding lanes are discarded. */
    double xb[NS_LANES], wb[NS_LANES], ob[NS_LANES];
    size_t m = n - i;
    for (int j = 0; j < NS_LANES; j++) { xb[j] = shift; wb[j] = 0.0; }
    memcpy(xb, x + i, m * sizeof *xb);
    if (has_w) memcpy(wb, w + i, m * sizeof *wb);
    exp_block(xb, shift, wb, has_w, ob);
    memcpy(out + i, ob, m * sizeof *ob);
  }
}

NS_INLINE void exp_body(size_t n, const double *x, double shift,
                        const double *w, double *out)
{
  if (w)
    exp_loop(n, x, shift, w, 1, out);
  else
    exp_loop(n, x, shift, NULL, 0, out);
}

NS_INLINE double vsum_(const ns_vd *v)
{
  double a[NS_LANES];
  memcpy(a, v, sizeof a);
  return (a[0] + a[1]) + (a[2] + a[3]);
}
#define vsum(v) vsum_(&(v))

/*
 * Gram tiles. The columns are split into blocks of 3, the last block having
 * 1 to 4 columns (p = 3m + 1 ends with a block of 4, p = 3m + 2 with a block
 * of 2), so every product computed is needed: p (p + 1) / 2 FMAs per row,
 * which is what bounds the speed (Zen 1 runs one 256-bit FMA per cycle).
 * A tile keeps one vector accumulator per column pair (6-12 independent FMA
 * chains hide the FMA latency) and each loaded vector feeds 2-4 products.
 * rows is a multiple of NS_LANES. Sums go to s[4 i + j] (row i of the tile,
 * column j).
 */
#define NS_V(name, ptr) ns_vd name; memcpy(&name, (ptr), sizeof name)
#define NS_Z {0.0, 0.0, 0.0, 0.0}

NS_INLINE void gram_diag1(size_t rows, const double *y, size_t ld, double *s)
{
  ns_vd c00 = NS_Z, d00 = NS_Z;
  (void) ld;
  size_t i = 0;
  for (; i + 2 * NS_LANES <= rows; i += 2 * NS_LANES) {
    NS_V(y0, y + i); NS_V(z0, y + i + NS_LANES);
    c00 += y0 * y0; d00 += z0 * z0;
  }
  for (; i < rows; i += NS_LANES) { NS_V(y0, y + i); c00 += y0 * y0; }
  c00 += d00;
  s[0] = vsum(c00);
}

NS_INLINE void gram_diag2(size_t rows, const double *y, size_t ld, double *s)
{
  const double *y1p = y + ld;
  ns_vd c00 = NS_Z, c01 = NS_Z, c11 = NS_Z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    NS_V(y0, y + i); NS_V(y1, y1p + i);
    c00 += y0 * y0; c01 += y0 * y1; c11 += y1 * y1;
  }
  s[0] = vsum(c00); s[1] = vsum(c01); s[5] = vsum(c11);
}

NS_INLINE void gram_diag3(size_t rows, const double *y, size_t ld, double *s)
{
  const double *y1p = y + ld, *y2p = y + 2 * ld;
  ns_vd c00 = NS_Z, c01 = NS_Z, c02 = NS_Z, c11 = NS_Z, c12 = NS_Z, c22 = NS_Z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    NS_V(y0, y + i); NS_V(y1, y1p + i); NS_V(y2, y2p + i);
    c00 += y0 * y0; c01 += y0 * y1; c02 += y0 * y2;
    c11 += y1 * y1; c12 += y1 * y2; c22 += y2 * y2;
  }
  s[0] = vsum(c00); s[1] = vsum(c01); s[2] = vsum(c02);
  s[5] = vsum(c11); s[6] = vsum(c12); s[10] = vsum(c22);
}

NS_INLINE void gram_diag4(size_t rows, const double *y, size_t ld, double *s)
{
  const double *y1p = y + ld, *y2p = y + 2 * ld, *y3p = y + 3 * ld;
  ns_vd c00 = NS_Z, c01 = NS_Z, c02 = NS_Z, c03 = NS_Z, c11 = NS_Z, c12 = NS_Z,
        c13 = NS_Z, c22 = NS_Z, c23 = NS_Z, c33 = NS_Z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    NS_V(y0, y + i); NS_V(y1, y1p + i); NS_V(y2, y2p + i); NS_V(y3, y3p + i);
    c00 += y0 * y0; c01 += y0 * y1; c02 += y0 * y2; c03 += y0 * y3;
    c11 += y1 * y1; c12 += y1 * y2; c13 += y1 * y3;
    c22 += y2 * y2; c23 += y2 * y3; c33 += y3 * y3;
  }
  s[0] = vsum(c00); s[1] = vsum(c01); s[2] = vsum(c02); s[3] = vsum(c03);
  s[5] = vsum(c11); s[6] = vsum(c12); s[7] = vsum(c13);
  s[10] = vsum(c22); s[11] = vsum(c23); s[15] = vsum(c33);
}

/* Off the diagonal: 3 columns a against 2, 3 or 4 columns b. */
NS_INLINE void gram_off2(size_t rows, const double *a, const double *b,
                         size_t ld, double *s)
{
  const double *a1p = a + ld, *a2p = a + 2 * ld, *b1p = b + ld;
  ns_vd c00 = NS_Z, c01 = NS_Z, c10 = NS_Z, c11 = NS_Z, c20 = NS_Z, c21 = NS_Z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    NS_V(x0, a + i); NS_V(x1, a1p + i); NS_V(x2, a2p + i);
    NS_V(y0, b + i); NS_V(y1, b1p + i);
    c00 += x0 * y0; c01 += x0 * y1;
    c10 += x1 * y0; c11 += x1 * y1;
    c20 += x2 * y0; c21 += x2 * y1;
  }
  s[0] = vsum(c00); s[1] = vsum(c01);
  s[4] = vsum(c10); s[5] = vsum(c11);
  s[8] = vsum(c20); s[9] = vsum(c21);
}

NS_INLINE void gram_off3(size_t rows, const double *a, const double *b,
                         size_t ld, double *s)
{
  const double *a1p = a + ld, *a2p = a + 2 * ld, *b1p = b + ld, *b2p = b + 2 * ld;
  ns_vd c00 = NS_Z, c01 = NS_Z, c02 = NS_Z, c10 = NS_Z, c11 = NS_Z, c12 = NS_Z,
        c20 = NS_Z, c21 = NS_Z, c22 = NS_Z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    NS_V(x0, a + i); NS_V(x1, a1p + i); NS_V(x2, a2p + i);
    NS_V(y0, b + i); NS_V(y1, b1p + i); NS_V(y2, b2p + i);
    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2;
    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2;
    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2;
  }
  s[0] = vsum(c00); s[1] = vsum(c01); s[2] = vsum(c02);
  s[4] = vsum(c10); s[5] = vsum(c11); s[6] = vsum(c12);
  s[8] = vsum(c20); s[9] = vsum(c21); s[10] = vsum(c22);
}

NS_INLINE void gram_off4(size_t rows, const double *a, const double *b,
                         size_t ld, double *s)
{
  const double *a1p = a + ld, *a2p = a + 2 * ld;
  const double *b1p = b + ld, *b2p = b + 2 * ld, *b3p = b + 3 * ld;
  ns_vd c00 = NS_Z, c01 = NS_Z, c02 = NS_Z, c03 = NS_Z, c10 = NS_Z, c11 = NS_Z,
        c12 = NS_Z, c13 = NS_Z, c20 = NS_Z, c21 = NS_Z, c22 = NS_Z, c23 = NS_Z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    NS_V(x0, a + i); NS_V(x1, a1p + i); NS_V(x2, a2p + i);
    NS_V(y0, b + i); NS_V(y1, b1p + i); NS_V(y2, b2p + i); NS_V(y3, b3p + i);
    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
  }
  s[0] = vsum(c00); s[1] = vsum(c01); s[2] = vsum(c02); s[3] = vsum(c03);
  s[4] = vsum(c10); s[5] = vsum(c11); s[6] = vsum(c12); s[7] = vsum(c13);
  s[8] = vsum(c20); s[9] = vsum(c21); s[10] = vsum(c22); s[11] = vsum(c23);
}

/*
 * Rows per chunk: every tile of a chunk runs over the same rows, which stay
 * in L1/L2 (p * chunk * 8 bytes), so Y is read from memory once. Each
 * chunk's sums go into g, a blocked summation that is at least as accurate
 * as one running sum per entry. Measured on 1e6 rows: 128 rows suit p <= 10
 * (10.4 -> 9.1 ms at p = 10), 256 suit larger p (the per-tile reductions
 * cost more there: p = 20 takes 34 ms with 256, 41 ms with 128).
 */

NS_INLINE void gram_body(size_t p, size_t nb, size_t ld, const double *y,
                         double *g)
{
  /* Blocks of 3 columns; the last one has p - last columns (1 to 4). */
  size_t last = p <= 4 ? 0 : p % 3 == 0 ? p - 3 : p % 3 == 1 ? p - 4 : p - 2;
  size_t nlast = p - last;
  size_t full = nb - nb % NS_LANES, chunk = p <= 10 ? 128 : 256;
  for (size_t i0 = 0; i0 < full; i0 += chunk) {
    size_t rows = full - i0 < chunk ? full - i0 : chunk;
    const double *yc = y + i0;
    for (size_t jb = 0; jb < p; jb += 3) {
      size_t nbj = jb == last ? nlast : 3;
      const double *b = yc + jb * ld;
      double s[16];
      switch (nbj) {
      case 1: gram_diag1(rows, b, ld, s); break;
      case 2: gram_diag2(rows, b, ld, s); break;
      case 3: gram_diag3(rows, b, ld, s); break;
      default: gram_diag4(rows, b, ld, s); break;
      }
      for (size_t i = 0; i < nbj; i++)
        for (size_t j = i; j < nbj; j++) g[jb + i + (jb + j) * p] += s[4 * i + j];
      for (size_t ia = 0; ia < jb; ia += 3) {
        const double *a = yc + ia * ld;
        switch (nbj) {
        case 2: gram_off2(rows, a, b, ld, s); break;
        case 3: gram_off3(rows, a, b, ld, s); break;
        default: gram_off4(rows, a, b, ld, s); break;
        }
        for (size_t i = 0; i < 3; i++)
          for (size_t j = 0; j < nbj; j++) g[ia + i + (jb + j) * p] += s[4 * i + j];
      }
      if (nbj == 4) break;
    }
  }
  /* The last nb % 4 rows, one at a time. */
  for (size_t b = 0; b < p && full < nb; b++)
    for (size_t a = 0; a <= b; a++) {
      double s = 0.0;
      for (size_t i = full; i < nb; i++) s += y[i + a * ld] * y[i + b * ld];
      g[a + b * p] += s;
    }
}

static void exp_portable(size_t n, const double *x, double shift,
                         const double *w, double *out)
{
  exp_body(n, x, shift, w, out);
}

static void gram_portable(size_t p, size_t nb, size_t ld, const double *y,
                          double *g)
{
  gram_body(p, nb, ld, y, g);
}

#if NS_KERNELS_X86
__attribute__((target("avx2,fma")))
static void exp_avx2(size_t n, const double *x, double shift, const double *w,
                     double *out)
{
  exp_body(n, x, shift, w, out);
}

__attribute__((target("avx2,fma")))
static void gram_avx2(size_t p, size_t nb, size_t ld, const double *y,
                      double *g)
{
  gram_body(p, nb, ld, y, g);
}
#endif

#else /* !NS_KERNELS_VECTOR: plain C for other compilers */

static void exp_portable(size_t n, const double *x, double shift,
                         const double *w, double *out)
{
  for (size_t i = 0; i < n; i++) {
    double wi = w ? w[i] : 1.0;
    out[i] = wi * exp(x[i] - shift);
  }
}

/* Same blocked summation as the vector body: four interleaved partial sums
 * per chunk of rows, chunk totals added into g. */
static void gram_portable(size_t p, size_t nb, size_t ld, const double *y,
                          double *g)
{
  for (size_t i0 = 0; i0 < nb; i0 += 256) {
    size_t i1 = nb - i0 < 256 ? nb : i0 + 256;
    for (size_t b = 0; b < p; b++)
      for (size_t a = 0; a <= b; a++) {
        const double *ya = y + a * ld, *yb = y + b * ld;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        size_t i = i0;
        for (; i + 4 <= i1; i += 4) {
          s0 += ya[i] * yb[i];
          s1 += ya[i + 1] * yb[i + 1];
          s2 += ya[i + 2] * yb[i + 2];
          s3 += ya[i + 3] * yb[i + 3];
        }
        for (; i < i1; i++) s0 += ya[i] * yb[i];
        g[a + b * p] += (s0 + s1) + (s2 + s3);
      }
  }
}
#endif

/* ------------------------------------------------------------------------ */

/*
 * ns_exp_scaled_with: out[i] = (w ? w[i] : 1) * exp(x[i] - shift) for
 * i < n with the given variant (see netsurv.h). x, w, out: n doubles each
 * (w may be NULL), any alignment; out may be x and/or w itself. Accuracy: the
 * exponential is within 2 ulp of libm's (<= 1 ulp measured on 2e6
 * arguments over [-745, 709] and near the limits); the weight multiplies
 * the rounded exponential (one more rounding, as in w * exp(x - shift)).
 */
void ns_exp_scaled_with(ns_kernels_variant variant, size_t n, const double *x,
                        double shift, const double *w, double *out)
{
  if (n == 0) return;
#if NS_KERNELS_X86
  if (variant != NS_KERNELS_PORTABLE && kernels_have_avx2()) {
    exp_avx2(n, x, shift, w, out);
    return;
  }
#else
  (void) variant;
#endif
  exp_portable(n, x, shift, w, out);
}

/* ns_exp_scaled: ns_exp_scaled_with(NS_KERNELS_AUTO, ...). */
void ns_exp_scaled(size_t n, const double *x, double shift, const double *w,
                   double *out)
{
  ns_exp_scaled_with(NS_KERNELS_AUTO, n, x, shift, w, out);
}

/*
 * ns_gram_upper_with: g += Y'Y on the upper triangle of g, with the given
 * variant (see netsurv.h).
 *   p   columns of Y, order of g (p x p, column-major, leading dimension p)
 *   nb  rows of Y; ld >= nb its leading dimension: Y[i, a] = y[i + a * ld]
 * Only g[a + b * p] with a <= b is read and written. NS_KERNELS_AUTO hands
 * p above NS_GRAM_KERNEL_MAX_P_AVX2 / _PORTABLE (for the variant the CPU
 * runs) to dsyrk (ns_linalg_syrk_t, beta = 1). Measured on 1e6 rows (blocks
 * of 4096) against single-threaded OpenBLAS on this project's AMD EPYC: the
 * AVX2 kernel is faster up to p = 128 at least (2.4x at p = 10, 1.1x at
 * p = 128); the baseline SSE2 build breaks even with dsyrk at p = 12.
 * Sizes BLAS cannot take (above INT_MAX) stay with the kernel.
 * Summation: per entry, NS_LANES interleaved partial sums over chunks of
 * 256 rows, then chunk totals added into g; plain loops in the fallback.
 */
void ns_gram_upper_with(ns_kernels_variant variant, size_t p, size_t nb,
                        size_t ld, const double *y, double *g)
{
  if (p == 0 || nb == 0) return;
  if (variant == NS_KERNELS_AUTO) {
    size_t max_p = ns_kernels_best() == NS_KERNELS_AVX2
                     ? NS_GRAM_KERNEL_MAX_P_AVX2 : NS_GRAM_KERNEL_MAX_P_PORTABLE;
    if (p > max_p && ns_linalg_syrk_t(p, nb, ld, 1.0, y, 1.0, g) == NS_OK)
      return;
  }
#if NS_KERNELS_X86
  if (variant != NS_KERNELS_PORTABLE && kernels_have_avx2()) {
    gram_avx2(p, nb, ld, y, g);
    return;
  }
#endif
  gram_portable(p, nb, ld, y, g);
}

/* ns_gram_upper: ns_gram_upper_with(NS_KERNELS_AUTO, ...). */
void ns_gram_upper(size_t p, size_t nb, size_t ld, const double *y, double *g)
{
  ns_gram_upper_with(NS_KERNELS_AUTO, p, nb, ld, y, g);
}
