/* check_kernels.c -- the vectorised kernels: ns_exp_scaled against libm's
 * exp in ulps (dense grid, random arguments, the overflow / underflow /
 * subnormal edges, NaN and infinities, weights, aliasing, unaligned and
 * short arrays), ns_gram_upper against a long-double reference (p = 1..40
 * and past the BLAS threshold, odd row counts, ld > nb, accumulation, the
 * lower triangle untouched), every variant the CPU runs. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "check_main.h"

/* The variants to test: portable always; AVX2 when the CPU has it. */
static int n_variants(ns_kernels_variant *v)
{
  int k = 0;
  v[k++] = NS_KERNELS_PORTABLE;
  if (ns_kernels_best() == NS_KERNELS_AVX2) v[k++] = NS_KERNELS_AVX2;
  v[k++] = NS_KERNELS_AUTO;
  return k;
}

/* Deterministic uniform(0, 1) (splitmix64). */
static double unif(uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double) (z >> 11) * (1.0 / 9007199254740992.0);
}

/* Distance in units in the last place between two non-negative doubles of
 * the same class; +Inf/0/NaN must match exactly (returned as 0 or a huge
 * number). */
static double ulps(double got, double want)
{
  if (isnan(want)) return isnan(got) ? 0 : 1e300;
  if (isinf(want) || isinf(got)) return got == want ? 0 : 1e300;
  if (got < 0 || want < 0) return 1e300;
  int64_t a, b;
  memcpy(&a, &got, sizeof a);
  memcpy(&b, &want, sizeof b);
  return fabs((double) (a - b));
}

START_TEST(exp_matches_libm_within_2_ulp)
{
  ns_kernels_variant v[3];
  int nv = n_variants(v);
  size_t n = 1000003; /* not a multiple of 4: the tail runs too */
  double *x = malloc(n * sizeof *x), *out = malloc(n * sizeof *out);
  ck_assert_ptr_nonnull(x);
  ck_assert_ptr_nonnull(out);
  uint64_t seed = 42;
  for (int pass = 0; pass < 3; pass++) {
    /* pass 0: dense grid over [-745, 709]; 1: random over the same range;
     * 2: random near 0 and near the fallback limits (|t| ~ 700) */
    for (size_t i = 0; i < n; i++) {
      if (pass == 0) x[i] = -745.0 + 1454.0 * (double) i / (double) (n - 1);
      else if (pass == 1) x[i] = -745.0 + 1454.0 * unif(&seed);
      else {
        double u = unif(&seed), c = (i % 3 == 0) ? 0.0 : (i % 3 == 1 ? 700.0 : -700.0);
        x[i] = c + (u - 0.5) * (i % 2 ? 1e-3 : 2.0);
      }
    }
    for (int k = 0; k < nv; k++) {
      double shift = pass == 1 ? 0.0 : 0.25 * k; /* a shift: exp(x - shift) */
      ns_exp_scaled_with(v[k], n, x, shift, NULL, out);
      double worst = 0;
      size_t at = 0;
      for (size_t i = 0; i < n; i++) {
        double d = ulps(out[i], exp(x[i] - shift));
        if (d > worst) { worst = d; at = i; }
      }
      ck_assert_msg(worst <= 2, "variant %d pass %d: %g ulp at exp(%.17g)",
                    (int) v[k], pass, worst, x[at] - shift);
    }
  }
  free(x);
  free(out);
}
END_TEST

START_TEST(exp_edge_cases)
{
  const double edge[] = {0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-17, 1e-17,
                         0.34657359027997264, -0.34657359027997264, 1.0, -1.0,
                         700.0, -700.0, 700.0000000001, 709.7, 709.78,
                         709.782712893384, 709.7827128933841, 709.79, 710.0,
                         -708.39, -708.4, -720.0, -740.0, -745.0, -745.1,
                         -745.13, -745.14, -746.0, 1e308, -1e308, HUGE_VAL,
                         -HUGE_VAL, NAN, -NAN, 2.0, 3.5};
  size_t ne = sizeof edge / sizeof edge[0];
  ns_kernels_variant v[3];
  int nv = n_variants(v);
  double out[64], x[64];
  for (int k = 0; k < nv; k++) {
    /* Each edge value alone, then all together (mixed blocks). */
    for (size_t i = 0; i < ne; i++) {
      ns_exp_scaled_with(v[k], 1, edge + i, 0.0, NULL, out);
      double want = exp(edge[i]);
      ck_assert_msg(ulps(out[0], want) <= 2, "variant %d: exp(%.17g) = %.17g, libm %.17g",
                    (int) v[k], edge[i], out[0], want);
    }
    ns_exp_scaled_with(v[k], ne, edge, 0.0, NULL, out);
    for (size_t i = 0; i < ne; i++)
      ck_assert_msg(ulps(out[i], exp(edge[i])) <= 2, "variant %d: exp(%.17g) in a block",
                    (int) v[k], edge[i]);
    ck_assert(out[0] == 1.0 && out[1] == 1.0);
    ck_assert(isinf(out[19]) && out[19] > 0); /* 710 */
    ck_assert(isinf(out[31]) && out[31] > 0); /* +Inf */
    ck_assert(out[28] == 0.0 && !signbit(out[28])); /* -746 */
    ck_assert(out[32] == 0.0);                /* -Inf */
    ck_assert(isnan(out[33]) && isnan(out[34]));
    ck_assert(out[24] > 0 && out[24] < DBL_MIN); /* -745: subnormal */
    /* The shift moves the edges: exp(x - shift) with x = edge + 1000. */
    for (size_t i = 0; i < ne; i++) x[i] = edge[i] + 1000.0;
    ns_exp_scaled_with(v[k], ne, x, 1000.0, NULL, out);
    for (size_t i = 0; i < ne; i++)
      ck_assert_msg(ulps(out[i], exp(x[i] - 1000.0)) <= 2, "variant %d: shifted exp(%.17g)",
                    (int) v[k], x[i] - 1000.0);
  }
}
END_TEST

START_TEST(exp_weights_aliasing_short_and_unaligned)
{
  ns_kernels_variant v[3];
  int nv = n_variants(v);
  enum { N = 1001 };
  double x[N + 1], w[N + 1], out[N + 1], xa[N + 1], wa[N + 1];
  uint64_t seed = 7;
  for (int k = 0; k < nv; k++) {
    for (size_t i = 0; i < N + 1; i++) {
      x[i] = -30.0 + 40.0 * unif(&seed);
      w[i] = (i % 17 == 0) ? 0.0 : 3.0 * unif(&seed);
    }
    x[500] = 705.0; /* one block through the libm fallback */
    w[500] = 0.5;
    /* weights, and arrays starting off a 32-byte boundary (x + 1) */
    ns_exp_scaled_with(v[k], N, x + 1, 1.5, w + 1, out + 1);
    for (size_t i = 1; i < N + 1; i++) {
      double want = w[i] * exp(x[i] - 1.5);
      ck_assert_msg(ulps(out[i], want) <= 3, "variant %d: weighted %zu", (int) v[k], i);
      if (w[i] == 0.0) ck_assert(out[i] == 0.0);
    }
    /* out aliasing x, then out aliasing w */
    memcpy(xa, x, sizeof x);
    ns_exp_scaled_with(v[k], N, xa, 1.5, w, xa);
    for (size_t i = 0; i < N; i++) ck_assert(xa[i] == w[i] * exp(x[i] - 1.5) || ulps(xa[i], w[i] * exp(x[i] - 1.5)) <= 3);
    memcpy(wa, w, sizeof w);
    ns_exp_scaled_with(v[k], N, x, 1.5, wa, wa);
    for (size_t i = 0; i < N; i++) ck_assert(wa[i] == xa[i]);
    /* every short length (tails) agrees with the long call */
    ns_exp_scaled_with(v[k], N, x, 0.0, NULL, out);
    for (size_t n = 0; n <= 9; n++) {
      double o[9];
      for (size_t i = 0; i < 9; i++) o[i] = -1.0;
      ns_exp_scaled_with(v[k], n, x + 3, 0.0, NULL, o);
      for (size_t i = 0; i < 9; i++) ck_assert(o[i] == (i < n ? out[i + 3] : -1.0));
    }
  }
  /* The plain entry point is the AUTO variant. */
  ns_exp_scaled(N, x, 0.5, w, out);
  ns_exp_scaled_with(NS_KERNELS_AUTO, N, x, 0.5, w, xa);
  ck_assert(memcmp(out, xa, sizeof(double) * N) == 0);
}
END_TEST

/* g_ref[a + b p] = sum_i y[i + a ld] y[i + b ld] in long double. */
static void gram_ref(size_t p, size_t nb, size_t ld, const double *y, long double *ref)
{
  for (size_t b = 0; b < p; b++)
    for (size_t a = 0; a <= b; a++) {
      long double s = 0;
      for (size_t i = 0; i < nb; i++) s += (long double) y[i + a * ld] * y[i + b * ld];
      ref[a + b * p] = s;
    }
}

/* Checks one call of the given variant: accumulation onto a non-zero g,
 * lower triangle untouched (bit for bit), entries within reltol of the
 * reference relative to sqrt(G_aa G_bb) (Cauchy-Schwarz: the scale of the
 * rounding error of a dot product). */
static void check_gram(ns_kernels_variant variant, size_t p, size_t nb, size_t ld,
                       const double *y, double reltol)
{
  double *g = malloc(p * p * sizeof *g);
  long double *ref = malloc(p * p * sizeof *ref);
  ck_assert_ptr_nonnull(g);
  ck_assert_ptr_nonnull(ref);
  for (size_t b = 0; b < p; b++)
    for (size_t a = 0; a < p; a++)
      g[a + b * p] = a <= b ? 0.25 * (double) (a + 2 * b) : -12345.678;
  gram_ref(p, nb, ld, y, ref);
  ns_gram_upper_with(variant, p, nb, ld, y, g);
  for (size_t b = 0; b < p; b++)
    for (size_t a = 0; a < p; a++) {
      if (a > b) {
        ck_assert_msg(g[a + b * p] == -12345.678, "lower (%zu, %zu) written", a, b);
        continue;
      }
      long double want = ref[a + b * p] + 0.25L * (long double) (a + 2 * b);
      long double scale = sqrtl(ref[a + a * p] * ref[b + b * p]) + 1.0L;
      double err = (double) (fabsl((long double) g[a + b * p] - want) / scale);
      ck_assert_msg(err <= reltol, "variant %d p %zu nb %zu ld %zu: g(%zu, %zu) = %.17g, "
                    "want %.17Lg (rel err %g)", (int) variant, p, nb, ld, a, b,
                    g[a + b * p], want, err);
    }
  free(g);
  free(ref);
}

START_TEST(gram_matches_reference)
{
  ns_kernels_variant v[3];
  int nv = n_variants(v);
  const size_t nbs[] = {1, 3, 4, 255, 257, 1000};
  size_t pmax = 40, ldmax = 1000 + 5;
  double *y = malloc(ldmax * pmax * sizeof *y);
  ck_assert_ptr_nonnull(y);
  uint64_t seed = 11;
  for (int signed_data = 0; signed_data < 2; signed_data++) {
    /* positive data (no cancellation) then mixed signs */
    for (size_t i = 0; i < ldmax * pmax; i++)
      y[i] = signed_data ? 2.0 * unif(&seed) - 1.0 : 0.5 + unif(&seed);
    for (int k = 0; k < nv; k++)
      for (size_t p = 1; p <= pmax; p++)
        for (size_t j = 0; j < sizeof nbs / sizeof nbs[0]; j++) {
          size_t nb = nbs[j];
          size_t ld = nb + (p % 3) + (j % 2) * 2; /* ld == nb and ld > nb */
          check_gram(v[k], p, nb, ld, y + (p % 2), 1e-14);
        }
  }
  free(y);
}
END_TEST

START_TEST(gram_past_blas_threshold_and_empty)
{
  /* AUTO hands large p to dsyrk: same numbers. */
  size_t max_p = ns_kernels_best() == NS_KERNELS_AVX2 ? NS_GRAM_KERNEL_MAX_P_AVX2
                                                      : NS_GRAM_KERNEL_MAX_P_PORTABLE;
  size_t p = max_p + 2, nb = 301, ld = 307;
  double *y = malloc(ld * p * sizeof *y);
  ck_assert_ptr_nonnull(y);
  uint64_t seed = 3;
  for (size_t i = 0; i < ld * p; i++) y[i] = 2.0 * unif(&seed) - 1.0;
  check_gram(NS_KERNELS_AUTO, p, nb, ld, y, 1e-14);
  check_gram(NS_KERNELS_PORTABLE, p, nb, ld, y, 1e-14);
  ns_kernels_variant v[3];
  int nv = n_variants(v);
  check_gram(v[nv - 2], max_p, nb, ld, y, 1e-14);
  check_gram(NS_KERNELS_AUTO, max_p, nb, ld, y, 1e-14);
  /* the plain entry point */
  double g[4] = {1, -7, 2, 3}, col[6] = {1, 2, 3, 4, 5, 6};
  ns_gram_upper(2, 3, 3, col, g);
  ck_assert(g[0] == 1 + 14 && g[1] == -7 && g[2] == 2 + 32 && g[3] == 3 + 77);
  /* nb = 0 and p = 0 do nothing (y may then be NULL) */
  ns_gram_upper(2, 0, 1, NULL, g);
  ns_gram_upper(0, 5, 5, NULL, NULL);
  ck_assert(g[0] == 15 && g[2] == 34 && g[3] == 80);
  /* ns_linalg_syrk_t itself: alpha, beta, bad leading dimension */
  double c[4] = {1, -7, 1, 1};
  ck_assert_int_eq(ns_linalg_syrk_t(2, 3, 3, 2.0, col, 0.5, c), NS_OK);
  ck_assert(c[0] == 0.5 + 28 && c[1] == -7 && c[2] == 0.5 + 64 && c[3] == 0.5 + 154);
  ck_assert_int_eq(ns_linalg_syrk_t(2, 3, 2, 1.0, col, 1.0, c), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_linalg_syrk_t(2, 0, 1, 1.0, NULL, 2.0, c), NS_OK);
  ck_assert(c[0] == 57 && c[1] == -7);
  free(y);
}
END_TEST

START_TEST(gram_at_least_as_accurate_as_a_running_sum)
{
  /* Long columns with a large common mean: a single running sum loses
   * digits as it grows; the kernel's partial sums must not do worse. */
  ns_kernels_variant v[3];
  int nv = n_variants(v);
  size_t p = 3, nb = 300001;
  double *y = malloc(nb * p * sizeof *y);
  ck_assert_ptr_nonnull(y);
  uint64_t seed = 5;
  for (size_t i = 0; i < nb * p; i++) y[i] = 1.0 + 1e-3 * unif(&seed);
  long double ref[9];
  gram_ref(p, nb, nb, y, ref);
  for (int k = 0; k < nv; k++) {
    double g[9] = {0}, total_kernel = 0, total_naive = 0;
    ns_gram_upper_with(v[k], p, nb, nb, y, g);
    for (size_t b = 0; b < p; b++)
      for (size_t a = 0; a <= b; a++) {
        double naive = 0;
        for (size_t i = 0; i < nb; i++) naive += y[i + a * nb] * y[i + b * nb];
        long double want = ref[a + b * p];
        double e_kernel = (double) (fabsl(g[a + b * p] - want) / want);
        double e_naive = (double) (fabsl(naive - want) / want);
        total_kernel += e_kernel;
        total_naive += e_naive;
        /* measured: kernel <= 1.9e-15, running sum up to 3e-14 */
        ck_assert_msg(e_kernel <= 4e-15, "variant %d g(%zu, %zu): relative error %g",
                      (int) v[k], a, b, e_kernel);
      }
    ck_assert_msg(total_kernel <= total_naive, "variant %d: summed relative error %g, "
                  "running sum %g", (int) v[k], total_kernel, total_naive);
  }
  free(y);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("kernels");
  TCase *tc = tcase_create("kernels");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, exp_matches_libm_within_2_ulp);
  tcase_add_test(tc, exp_edge_cases);
  tcase_add_test(tc, exp_weights_aliasing_short_and_unaligned);
  tcase_add_test(tc, gram_matches_reference);
  tcase_add_test(tc, gram_past_blas_threshold_and_empty);
  tcase_add_test(tc, gram_at_least_as_accurate_as_a_running_sum);
  suite_add_tcase(s, tc);
  return s;
}
