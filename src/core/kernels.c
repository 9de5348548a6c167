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

#include "netsurv.h"

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

  ns_vd p = z + 1.0 / 6227020800.0; /* 1 / 13! */
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  ns_vd e = 1.0 + (r + (r * r) * p);

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
#define NS_LOAD(v, ptr) memcpy(&(v), (ptr), sizeof(v))

/*
 * Gram tiles. Columns are taken three at a time; a tile keeps one vector
 * accumulator per column pair (9 off the diagonal, 6 on it), so 6-9
 * independent FMA chains hide the FMA latency, and each loaded vector feeds
 * three products. rows is a multiple of NS_LANES. The last column block may
 * have fewer than three columns: its missing columns repeat the last one
 * (valid memory, results discarded) so that one straight-line kernel serves.
 */
NS_INLINE void gram_tile_off(size_t rows, const double *a0, const double *a1,
                             const double *a2, const double *b0,
                             const double *b1, const double *b2, double *s)
{
  ns_vd z = {0.0, 0.0, 0.0, 0.0};
  ns_vd c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z,
        c21 = z, c22 = z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    ns_vd x0, x1, x2, y0, y1, y2;
    NS_LOAD(x0, a0 + i); NS_LOAD(x1, a1 + i); NS_LOAD(x2, a2 + i);
    NS_LOAD(y0, b0 + i); NS_LOAD(y1, b1 + i); NS_LOAD(y2, b2 + i);
    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2;
    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2;
    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2;
  }
  s[0] = vsum(c00); s[1] = vsum(c01); s[2] = vsum(c02);
  s[3] = vsum(c10); s[4] = vsum(c11); s[5] = vsum(c12);
  s[6] = vsum(c20); s[7] = vsum(c21); s[8] = vsum(c22);
}

/* s: (0,0) (0,1) (0,2) (1,1) (1,2) (2,2) */
NS_INLINE void gram_tile_diag(size_t rows, const double *b0, const double *b1,
                              const double *b2, double *s)
{
  ns_vd z = {0.0, 0.0, 0.0, 0.0};
  ns_vd c00 = z, c01 = z, c02 = z, c11 = z, c12 = z, c22 = z;
  for (size_t i = 0; i < rows; i += NS_LANES) {
    ns_vd y0, y1, y2;
    NS_LOAD(y0, b0 + i); NS_LOAD(y1, b1 + i); NS_LOAD(y2, b2 + i);
    c00 += y0 * y0; c01 += y0 * y1; c02 += y0 * y2;
    c11 += y1 * y1; c12 += y1 * y2; c22 += y2 * y2;
  }
  s[0] = vsum(c00); s[1] = vsum(c01); s[2] = vsum(c02);
  s[3] = vsum(c11); s[4] = vsum(c12); s[5] = vsum(c22);
}

/*
 * Rows per chunk: every tile of a chunk runs over the same rows, which stay
 * in L1/L2 (p * 256 * 8 bytes: 20 KB at p = 10), so Y is read from memory
 * once. Each chunk's sums go into g, a blocked summation that is at least
 * as accurate as one running sum per entry.
 */
#ifndef NS_GRAM_CHUNK
#define NS_GRAM_CHUNK 256
#endif

NS_INLINE void gram_body(size_t p, size_t nb, size_t ld, const double *y,
                         double *g)
{
  size_t full = nb - nb % NS_LANES;
  for (size_t i0 = 0; i0 < full; i0 += NS_GRAM_CHUNK) {
    size_t rows = full - i0 < NS_GRAM_CHUNK ? full - i0 : NS_GRAM_CHUNK;
    const double *yc = y + i0;
    for (size_t jb = 0; jb < p; jb += 3) {
      size_t nbj = p - jb < 3 ? p - jb : 3;
      const double *b0 = yc + jb * ld;
      const double *b1 = yc + (jb + (nbj > 1 ? 1 : 0)) * ld;
      const double *b2 = yc + (jb + (nbj > 2 ? 2 : nbj - 1)) * ld;
      double s[9];
      gram_tile_diag(rows, b0, b1, b2, s);
      double *gj = g + jb + jb * p; /* g(jb, jb) */
      gj[0] += s[0];
      if (nbj > 1) { gj[p] += s[1]; gj[1 + p] += s[3]; }
      if (nbj > 2) { gj[2 * p] += s[2]; gj[1 + 2 * p] += s[4]; gj[2 + 2 * p] += s[5]; }
      for (size_t ia = 0; ia < jb; ia += 3) {
        const double *a0 = yc + ia * ld;
        gram_tile_off(rows, a0, a0 + ld, a0 + 2 * ld, b0, b1, b2, s);
        double *ga = g + ia + jb * p; /* g(ia, jb) */
        for (size_t k = 0; k < 3; k++) {
          ga[k] += s[3 * k];
          if (nbj > 1) ga[k + p] += s[3 * k + 1];
          if (nbj > 2) ga[k + 2 * p] += s[3 * k + 2];
        }
      }
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

static void gram_portable(size_t p, size_t nb, size_t ld, const double *y,
                          double *g)
{
  for (size_t b = 0; b < p; b++)
    for (size_t a = 0; a <= b; a++) {
      const double *ya = y + a * ld, *yb = y + b * ld;
      double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      size_t i = 0;
      for (; i + 4 <= nb; i += 4) {
        s0 += ya[i] * yb[i];
        s1 += ya[i + 1] * yb[i + 1];
        s2 += ya[i + 2] * yb[i + 2];
        s3 += ya[i + 3] * yb[i + 3];
      }
      for (; i < nb; i++) s0 += ya[i] * yb[i];
      g[a + b * p] += (s0 + s1) + (s2 + s3);
    }
}
#endif

/* ------------------------------------------------------------------------ */

/*
 * ns_exp_scaled_with: out[i] = (w ? w[i] : 1) * exp(x[i] - shift) for
 * i < n with the given variant (see netsurv.h). x, w, out: n doubles each
 * (w may be NULL), any alignment; out may alias x and/or w. Accuracy: the
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
 * p >= NS_GRAM_BLAS_MIN_P to dsyrk (ns_linalg_syrk_t, beta = 1), which wins
 * there; sizes BLAS cannot take (above INT_MAX) stay with the kernel.
 * Summation: per entry, NS_LANES interleaved partial sums over chunks of
 * 256 rows, then chunk totals added into g; plain loops in the fallback.
 */
void ns_gram_upper_with(ns_kernels_variant variant, size_t p, size_t nb,
                        size_t ld, const double *y, double *g)
{
  if (p == 0 || nb == 0) return;
  if (variant == NS_KERNELS_AUTO && p >= NS_GRAM_BLAS_MIN_P &&
      ns_linalg_syrk_t(p, nb, ld, 1.0, y, 1.0, g) == NS_OK)
    return;
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
