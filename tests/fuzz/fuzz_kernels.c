/* fuzz_kernels.c -- the vector kernels of kernels.c (ns_exp_scaled,
 * ns_gram_upper and their explicit variants) on hostile arguments, lengths
 * and shifts. Postconditions: exp agrees with libm's exp (times the weight)
 * within 2 ulp for every argument, Inf / 0 / NaN where libm gives them, in
 * place (out == x, out == w) as out of place, the same for every variant;
 * the Gram matrix adds Y'Y on the upper triangle only (the strict lower
 * triangle untouched), within a bound of the naive dot product's rounding
 * (n eps sum |y_a y_b|), and every variant agrees within that bound; so
 * does the plain ns_gram_upper above NS_GRAM_KERNEL_MAX_P_AVX2 columns,
 * where it calls BLAS dsyrk. */
#include "fuzz_input.h"
#include "netsurv.h"
#include "internal.h"

/* distance in ulps between two finite doubles of the same sign (or 0) */
static double ulps(double a, double b)
{
  if (a == b) return 0;
  double m = fmax(fabs(a), fabs(b));
  double u = m < DBL_MIN ? ldexp(1.0, -1074) : ldexp(1.0, ilogb(m) - 52);
  return fabs(a - b) / u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 70);
  uint8_t opt = fz_byte(&in);
  int weighted = opt & 1, hostile = (opt & 2) != 0;
  double shift = (opt & 4) ? fz_double(&in, hostile) : 0.0;
  if (opt & 8) shift = -shift * 100.0;
  double *x = malloc((n + 1) * sizeof *x), *w = malloc((n + 1) * sizeof *w);
  double *out = malloc((n + 1) * sizeof *out), *ref = malloc((n + 1) * sizeof *ref);
  double *buf = malloc((n + 1) * sizeof *buf);
  for (size_t i = 0; i < n; i++) {
    uint8_t k = fz_byte(&in);
    x[i] = fz_double(&in, hostile);
    if (k & 1) x[i] = -x[i];
    if (k & 2) x[i] *= 97.0; /* reach the over/underflow range */
    if (k & 4) x[i] = ((int) (k >> 3) - 16) * 44.375 + x[i] * 0.01;
    w[i] = fz_double(&in, hostile);
  }
  for (size_t i = 0; i < n; i++) {
    double e = exp(x[i] - shift);
    ref[i] = weighted ? w[i] * e : e;
  }
  const ns_kernels_variant vs[3] = {NS_KERNELS_AUTO, NS_KERNELS_PORTABLE, NS_KERNELS_AVX2};
  for (int v = 0; v < 4; v++) {
    const double *wp = weighted ? w : NULL;
    if (v < 3) ns_exp_scaled_with(vs[v], n, x, shift, wp, out);
    else ns_exp_scaled(n, x, shift, wp, out);
    for (size_t i = 0; i < n; i++) {
      double a = out[i], r = ref[i];
      if (isnan(r) || isinf(r) || r == 0) {
        /* libm's special values; a product w * e may round to 0 or Inf */
        FZ_CHECK((isnan(a) && isnan(r)) || a == r || (isfinite(r) && ulps(a, r) <= 2),
                 "exp(%a - %a) * %a = %a, libm %a (variant %d)", x[i], shift, w[i], a, r, v);
      } else {
        double t = weighted ? fabs(w[i]) : 1.0;
        /* 2 ulp of exp, plus one rounding of the product (subnormals:
         * the product's absolute rounding) */
        double tol = 2.0 * (weighted ? 2.0 : 1.0);
        FZ_CHECK(ulps(a, r) <= tol || fabs(a - r) <= t * ldexp(1.0, -1074) * 4 ||
                 (isfinite(a) && fabs(r) < 4 * DBL_MIN),
                 "exp(%a - %a) * %a = %a, libm %a (%g ulp, variant %d)", x[i], shift,
                 weighted ? w[i] : 1.0, a, r, ulps(a, r), v);
      }
    }
    /* in place: out == x, and out == w */
    memcpy(buf, x, n * sizeof *buf);
    if (v < 3) ns_exp_scaled_with(vs[v], n, buf, shift, wp, buf);
    else ns_exp_scaled(n, buf, shift, wp, buf);
    for (size_t i = 0; i < n; i++)
      FZ_CHECK(memcmp(&buf[i], &out[i], sizeof(double)) == 0 || (isnan(buf[i]) && isnan(out[i])),
               "in place (x) differs at %zu", i);
    if (weighted) {
      memcpy(buf, w, n * sizeof *buf);
      if (v < 3) ns_exp_scaled_with(vs[v], n, x, shift, buf, buf);
      else ns_exp_scaled(n, x, shift, buf, buf);
      for (size_t i = 0; i < n; i++)
        FZ_CHECK(memcmp(&buf[i], &out[i], sizeof(double)) == 0 ||
                 (isnan(buf[i]) && isnan(out[i])), "in place (w) differs at %zu", i);
    }
  }

  /* Gram: Y is nb x p with leading dimension ld >= nb */
  size_t p = 1 + fz_uint(&in, 14), nb = fz_uint(&in, 300), ld = nb + fz_uint(&in, 3);
  double *y = malloc((ld * p + 1) * sizeof *y), *g = malloc(p * p * sizeof *g);
  double *g0 = malloc(p * p * sizeof *g0);
  double *naive = calloc(p * p, sizeof *naive), *bound = calloc(p * p, sizeof *bound);
  int small = fz_byte(&in) & 1;
  for (size_t i = 0; i < ld * p; i++) {
    y[i] = fz_double(&in, 0);
    if (fz_byte(&in) & 1) y[i] = -y[i];
    if (!small && (i & 7) == 3) y[i] = fz_double(&in, hostile);
  }
  for (size_t i = 0; i < p * p; i++) g0[i] = (double) (i % 5) - 2.0;
  int finite = fz_all_finite(ld * p, y);
  for (size_t a = 0; a < p; a++)
    for (size_t b = a; b < p; b++) {
      double s = 0, m = 0;
      for (size_t i = 0; i < nb; i++) {
        s += y[i + a * ld] * y[i + b * ld];
        m += fabs(y[i + a * ld] * y[i + b * ld]);
      }
      naive[a + b * p] = g0[a + b * p] + s;
      /* relative rounding, plus each product's absolute rounding where it
       * is subnormal (up to half of 2^-1074 each, in the kernel and here) */
      bound[a + b * p] = 2.0 * (double) (nb + 2) * DBL_EPSILON * (m + fabs(g0[a + b * p])) +
                         (double) (nb + 2) * 0x1p-1074;
    }
  for (int v = 0; v < 4; v++) {
    memcpy(g, g0, p * p * sizeof *g);
    if (v < 3) ns_gram_upper_with(vs[v], p, nb, ld, y, g);
    else ns_gram_upper(p, nb, ld, y, g);
    for (size_t a = 0; a < p; a++)
      for (size_t b = 0; b < p; b++) {
        size_t k = a + b * p;
        if (a > b) {
          FZ_CHECK(memcmp(&g[k], &g0[k], sizeof(double)) == 0, "lower triangle written");
          continue;
        }
        if (!finite || !isfinite(naive[k]) || !isfinite(bound[k])) continue;
        FZ_CHECK(fabs(g[k] - naive[k]) <= bound[k], "gram[%zu,%zu] %.17g vs naive %.17g "
                 "(bound %g, variant %d, p %zu nb %zu)", a, b, g[k], naive[k], bound[k], v, p, nb);
      }
  }
  /* wide Y (bytes after the rest, so older inputs run as before): above
   * NS_GRAM_KERNEL_MAX_P_AVX2 columns ns_gram_upper calls BLAS dsyrk */
  if (fz_byte(&in) & 1) {
    size_t pw = NS_GRAM_KERNEL_MAX_P_AVX2 + 1 + fz_uint(&in, 8), nw = fz_uint(&in, 24);
    size_t lw = nw + fz_uint(&in, 3);
    double *yw = malloc((lw * pw + 1) * sizeof *yw), *gw = malloc(pw * pw * sizeof *gw);
    for (size_t i = 0; i < lw * pw; i++) {
      yw[i] = fz_double(&in, 0);
      if (fz_byte(&in) & 1) yw[i] = -yw[i];
    }
    for (size_t i = 0; i < pw * pw; i++) gw[i] = (double) (i % 7) - 3.0;
    ns_gram_upper(pw, nw, lw, yw, gw);
    for (size_t a = 0; a < pw; a++)
      for (size_t b = 0; b < pw; b++) {
        double g0v = (double) ((a + b * pw) % 7) - 3.0, s = 0, m = 0;
        if (a > b) {
          FZ_CHECK(gw[a + b * pw] == g0v, "wide: lower triangle written");
          continue;
        }
        for (size_t i = 0; i < nw; i++) {
          s += yw[i + a * lw] * yw[i + b * lw];
          m += fabs(yw[i + a * lw] * yw[i + b * lw]);
        }
        /* relative rounding, plus the absolute rounding of subnormal products */
        double bnd = 2.0 * (double) (nw + 2) * (DBL_EPSILON * (m + fabs(g0v)) + 0x1p-1074);
        if (!isfinite(s) || !isfinite(bnd)) continue; /* products beyond the doubles */
        FZ_CHECK(fabs(gw[a + b * pw] - (g0v + s)) <= bnd, "wide gram[%zu,%zu] %.17g vs naive "
                 "%.17g (p %zu nb %zu)", a, b, gw[a + b * pw], g0v + s, pw, nw);
      }
    free(yw); free(gw);
  }
  free(x); free(w); free(out); free(ref); free(buf);
  free(y); free(g); free(g0); free(naive); free(bound);
  return 0;
}
