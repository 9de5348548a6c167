/* check_km_scaled.c -- Kaplan-Meier variance sums of weighted counts near
 * the ends of the doubles (issue #13, found by fuzz_km): Greenwood's sum
 * (km.c and the moments layer), the Nelson-Aalen variance and the
 * Fleming-Harrington variance (km_options.c) are held in units of a power of
 * two (ns_scaled_sum), so weights near 1e-300 or 1e300 -- or spanning both
 * within a stratum -- give the finite standard errors of the formulas, not
 * Inf or NaN (d / (n * n) underflowed n * n to 0). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"

enum { MAXT = 16 };

typedef struct {
  double b[9][MAXT];
  int stt[2], str[2];
  ns_km_curve c;
  size_t nt;
} curve_t;

/* ns_km_estimate (Greenwood), then the options when opt is not NULL */
static void km(const double *time, const double *start, const int *status, const double *w,
               size_t n, const ns_km_options *opt, curve_t *f)
{
  memset(f, 0, sizeof *f);
  ns_km_data d = {.n = n, .time = time, .start = start, .status = status, .weight = w,
                  .n_strata = 1};
  ns_km_work *work = NULL;
  ck_assert_int_eq(ns_km_prepare(&d, &work, &f->nt, NULL, NULL), NS_OK);
  ck_assert_uint_le(f->nt, MAXT);
  ns_km_curve c = {f->b[0], f->b[1], f->b[2], f->b[3], f->b[4], f->b[5], f->b[6], f->b[7],
                   start ? f->b[8] : NULL, f->stt, f->str};
  f->c = c;
  ck_assert_int_eq(ns_km_estimate(work, &f->c, NULL, NULL), NS_OK);
  if (opt) ck_assert_int_eq(ns_km_apply_options(work, opt, &f->c, NULL, NULL), NS_OK);
  ns_km_free(work);
}

/* Multiplying every weight by c leaves S and H alone and divides the
 * variances by c (the standard errors by sqrt(c)): c = 2^-1020 made n * n
 * underflow (std.err Inf, Fleming-Harrington's 0 / 0 NaN), c = 2^1000 made
 * it overflow (std.err 0). Right-censored and (start, stop], ctype 1 and 2. */
START_TEST(variances_scale_with_the_weights)
{
  const double time[] = {1, 2, 2, 3, 4, 4, 5, 6};
  const double start[] = {0, 0, 1, 0, 2, 1, 0, 3};
  const int status[] = {1, 1, 1, 0, 1, 1, 0, 1};
  const double w0[] = {0.5, 1.25, 2, 0.75, 1, 3, 1.5, 0.25};
  const int exps[] = {-1020, 1000, -540};
  for (int counting = 0; counting < 2; counting++)
    for (int ctype = 1; ctype <= 2; ctype++)
      for (int k = 0; k < 3; k++) {
        double w[8], c = ldexp(1.0, exps[k]);
        for (int i = 0; i < 8; i++) w[i] = w0[i] * c;
        ns_km_options opt = {1, ctype, 0};
        curve_t a, b;
        km(time, counting ? start : NULL, status, w0, 8, &opt, &a);
        km(time, counting ? start : NULL, status, w, 8, &opt, &b);
        ck_assert_uint_eq(a.nt, b.nt);
        double root = ldexp(1.0, -exps[k] / 2); /* 1 / sqrt(c), exps even */
        for (size_t m = 0; m < a.nt; m++) {
          ck_assert_near(b.c.surv[m], a.c.surv[m], 1e-14);
          ck_assert_near(b.c.cumhaz[m], a.c.cumhaz[m], 1e-14);
          ck_assert_msg(isfinite(b.c.std_err[m]) || isinf(a.c.std_err[m]),
                        "std_err %g at %zu (ctype %d, 2^%d)", b.c.std_err[m], m, ctype, exps[k]);
          if (isfinite(a.c.std_err[m]))
            ck_assert_near(b.c.std_err[m] / root, a.c.std_err[m], 1e-13);
          ck_assert_msg(isfinite(b.c.std_chaz[m]), "std_chaz %g", b.c.std_chaz[m]);
          ck_assert_near(b.c.std_chaz[m] / root, a.c.std_chaz[m], 1e-13);
        }
      }
}
END_TEST

/* Weights 1, 2^1000 (censored) and 2^-1070 (subnormal) in one stratum: at
 * t = 2, 3 the risk sets hold only subnormal weight u = 2^-1070:
 * n = 3u, d = u, then n = 2u, d = u. Greenwood's sum there is
 * u / (3u 2u) + u / (2u u) = (1/6 + 1/2) / u (beyond the doubles; its root
 * is not), and the Nelson-Aalen variance u / (3u)^2 + u / (2u)^2 =
 * (1/9 + 1/4) / u; the terms at t = 1 (2^-2000) are below their rounding.
 * The moments layer gives the same from the counts. */
START_TEST(weights_spanning_the_doubles)
{
  const double u = ldexp(1.0, -1070);
  const double time[] = {1, 1.5, 2, 3, 4};
  const int status[] = {1, 0, 1, 1, 0};
  const double w[] = {1, ldexp(1.0, 1000), u, u, u};
  const double se_s[] = {0, 0, sqrt(1.0 / 6), sqrt(2.0 / 3), sqrt(2.0 / 3)};
  const double se_h[] = {0, 0, 1.0 / 3, sqrt(13.0) / 6, sqrt(13.0) / 6};
  const double root = ldexp(1.0, 535); /* 1 / sqrt(u) */
  for (int ctype = 1; ctype <= 2; ctype++) {
    ns_km_options opt = {1, ctype, 0};
    curve_t f;
    km(time, NULL, status, w, 5, &opt, &f);
    ck_assert_uint_eq(f.nt, 5);
    for (size_t m = 2; m < 5; m++) {
      ck_assert_near(f.c.std_err[m] / root, se_s[m], 1e-14);
      ck_assert_near(f.c.std_chaz[m] / root, se_h[m], 1e-14);
    }
    ck_assert_msg(f.c.std_chaz[0] < 1e-290, "std_chaz at t = 1: %g", f.c.std_chaz[0]);
  }
  /* the moments layer: one record per time */
  const double stop[] = {1, 1, 1, 1, 1}, zero[] = {0, 0, 0, 0, 0};
  double ev[5], ce[5];
  for (int i = 0; i < 5; i++) {
    ev[i] = status[i] ? w[i] : 0;
    ce[i] = status[i] ? 0 : w[i];
  }
  ns_km_moments mo = {5, 1, NULL, time, stop, ev, ce, NULL};
  (void) zero;
  double o[8][5];
  int stt[1];
  ns_km_curve c = {o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], NULL, stt, NULL};
  size_t nt = 0;
  ck_assert_int_eq(ns_km_from_moments(&mo, &c, &nt), NS_OK);
  ck_assert_uint_eq(nt, 5);
  for (size_t m = 2; m < 5; m++) {
    ck_assert_near(c.std_err[m] / root, se_s[m], 1e-14);
    ck_assert_near(c.std_chaz[m] / root, se_h[m], 1e-14);
  }
}
END_TEST

/* The fuzz_km reproducer, reduced: two tied events of weight 0 and 2^-1074
 * among rows at risk of total weight ~1.1e-307, Fleming-Harrington: the
 * share d / d0 halved the subnormal to 0 and share / den^2 was 0 / 0, NaN
 * std.chaz (and std.err with stype 2). */
START_TEST(fleming_harrington_subnormal_tie)
{
  const double s = ldexp(1.0, -1074), big = 2.2e-308;
  const double start[] = {s, 0, s, big, big, big, big, big};
  const double time[] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  const int status[] = {1, 0, 1, 0, 0, 0, 0, 0};
  const double w[] = {0, 0, s, big, big, big, big, big};
  ns_km_options opt = {2, 2, 0};
  curve_t f;
  km(time, start, status, w, 8, &opt, &f);
  ck_assert_uint_eq(f.nt, 1);
  double n = f.c.n_risk[0], d = f.c.n_event[0];
  ck_assert_msg(d == s && n > 5 * big, "n %g d %g", n, d);
  /* two tied event rows (d0 = 2), each share d / 2: H = (d/2) / n +
   * (d/2) / (n - d/2) = d / n to the doubles' precision, var = d / n^2 */
  ck_assert_msg(!isnan(f.c.std_chaz[0]) && !isnan(f.c.std_err[0]), "NaN standard error");
  ck_assert_near(f.c.cumhaz[0], d / n, 1e-12);
  ck_assert_near(f.c.std_chaz[0], sqrt(d / n) / sqrt(n), 1e-12);
  ck_assert_near(f.c.surv[0], exp(-d / n), 1e-15);
  ck_assert_msg(f.c.std_err[0] == f.c.std_chaz[0], "stype 2: std.err is H's");
}
END_TEST

/* The second fuzz_km reproducer: a stratum whose only rows at risk are two
 * tied events of weight 0 and 2^-1074. Fleming-Harrington's increment is
 * share / n + share / (n - share) with share = d / 2: 1/2 + 1 = 1.5, as with
 * weights 0 and 1; n - d/2 rounded d/2 to 0 (H 1, not 1.5). */
START_TEST(fleming_harrington_subnormal_share)
{
  const double time[] = {4.5, 4.5, 5};
  const int status[] = {1, 1, 0};
  for (int k = 0; k < 2; k++) {
    const double w[] = {0, k ? ldexp(1.0, -1074) : 1.0, 0};
    ns_km_options opt = {1, 2, 0};
    curve_t f;
    km(time, NULL, status, w, 3, &opt, &f);
    ck_assert_uint_eq(f.nt, 2);
    ck_assert_near(f.c.cumhaz[0], 1.5, 1e-15);
    /* variance (1/2) / n^2 + (1/2) / (n/2)^2 = 2.5 / n */
    double root = k ? ldexp(1.0, 537) : 1.0;
    ck_assert_near(f.c.std_chaz[0] / root, sqrt(2.5), 1e-15);
  }
}
END_TEST

/* The third fuzz_km reproducer, reduced: the robust variance with positive
 * weights spanning more than 2^400 in a stratum scaled the small ones to 0,
 * so the influence of a risk set holding only them was lost (S fell to 0
 * while its robust standard error stayed at the last value). Refused with
 * NS_ERR_WEIGHT, as ns_km_estimate's jackknife refuses it; 7.5 to 2^-396 answers. */
START_TEST(robust_refuses_weights_spanning_2_400)
{
  const double time[] = {1, 2, 3, 4};
  const int status[] = {1, 1, 1, 1}, cluster[] = {0, 1, 0, 1};
  for (int k = 0; k < 2; k++) {
    double tiny = ldexp(1.0, k ? -396 : -1073);
    const double w[] = {7.5, 1, tiny, tiny};
    ns_km_data d = {.n = 4, .time = time, .status = status, .weight = w, .n_strata = 1,
                    .cluster = cluster, .n_clusters = 2};
    ns_km_work *work = NULL;
    size_t nt = 0;
    ck_assert_int_eq(ns_km_prepare(&d, &work, &nt, NULL, NULL), NS_OK);
    double b[8][4], ne[4];
    int stt[1], str[1];
    ns_km_curve c = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], ne, stt, str};
    ck_assert_int_eq(ns_km_estimate(work, &c, NULL, NULL), NS_OK);
    ns_km_options opt = {1, 1, 1};
    ck_assert_int_eq(ns_km_apply_options(work, &opt, &c, NULL, NULL),
                     (k ? NS_OK : NS_ERR_WEIGHT));
    if (k)
      for (int m = 0; m < 4; m++)
        ck_assert_msg(isfinite(c.std_err[m]) && isfinite(c.std_chaz[m]) &&
                      (c.surv[m] > 0 || c.std_err[m] == 0), "robust se %g at %d",
                      c.std_err[m], m);
    ns_km_free(work);
  }
}
END_TEST

/* The fourth fuzz_km reproducer, reduced: (start, stop] data with a weight
 * near DBL_MAX entering late and a risk set of subnormal weights before it.
 * The exact risk-set sums were all scaled by 2^-40 for the big weight, which
 * took the subnormal ones to 0: n.risk 0 and S = 0 / 0 = NaN. Now n.risk is
 * 2u, S 1/2 and Greenwood's std.err sqrt(d / (n (n - d))) = sqrt(1 / (2u)),
 * u = 2^-1074. */
START_TEST(subnormal_risk_set_beside_dbl_max)
{
  const double u = ldexp(1.0, -1074);
  const double start[] = {0, 0, 2.5}, time[] = {1, 2, 3};
  const int status[] = {1, 0, 1};
  const double w[] = {u, u, 1e308};
  curve_t f;
  km(time, start, status, w, 3, NULL, &f);
  ck_assert_uint_eq(f.nt, 3);
  ck_assert_msg(f.c.n_risk[0] == 2 * u && f.c.n_risk[1] == u, "n.risk %g %g", f.c.n_risk[0],
                f.c.n_risk[1]);
  ck_assert_near(f.c.surv[0], 0.5, 0);
  ck_assert_near(f.c.surv[1], 0.5, 0);
  ck_assert_near(f.c.surv[2], 0.0, 0);
  ck_assert_near(f.c.std_err[0] * ldexp(1.0, -537), sqrt(0.5), 1e-15);
  ck_assert_near(f.c.n_risk[2], 1e308, 1e-15);
}
END_TEST

Suite *make_suite(void)
{
  Suite *suite = suite_create("km_scaled");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, variances_scale_with_the_weights);
  tcase_add_test(tc, weights_spanning_the_doubles);
  tcase_add_test(tc, fleming_harrington_subnormal_tie);
  tcase_add_test(tc, fleming_harrington_subnormal_share);
  tcase_add_test(tc, robust_refuses_weights_spanning_2_400);
  tcase_add_test(tc, subnormal_risk_set_beside_dbl_max);
  suite_add_tcase(suite, tc);
  return suite;
}
