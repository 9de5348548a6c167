/* check_cuminc.c -- the cumulative-incidence core against hand computations,
 * a brute-force (finite-difference) infinitesimal jackknife, cmprsk's numbers
 * for a small data set, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"

/* Deterministic pseudo-random numbers for the generated data. */
static double lcg(unsigned long long *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double) (*s >> 11) / 9007199254740992.0;
}

/* Five rows: t = 1 cause 1; t = 2 causes 1 and 2; t = 3 censored; t = 4
 * cause 2. By hand S = 4/5, 2/5, 2/5, 0; F1 = 1/5, 2/5, 2/5, 2/5;
 * F2 = 0, 1/5, 1/5, 3/5. */
START_TEST(hand_five_rows)
{
  const double time[] = {2, 4, 1, 3, 2};
  const int cause[] = {2, 2, 1, 0, 1};
  ns_cuminc_data d = {.n = 5, .time = time, .cause = cause, .n_cause = 2, .n_group = 1};
  ns_cuminc_result r;
  ck_assert_int_eq(ns_cuminc_fit(&d, &r, NULL, NULL), NS_OK);
  ck_assert_uint_eq(r.m, 4);
  const double t[] = {1, 2, 3, 4}, S[] = {0.8, 0.4, 0.4, 0}, F1[] = {0.2, 0.4, 0.4, 0.4},
               F2[] = {0, 0.2, 0.2, 0.6}, nr[] = {5, 4, 2, 1}, nc[] = {0, 0, 1, 0};
  for (int i = 0; i < 4; i++) {
    ck_assert_near(r.time[i], t[i], 0);
    ck_assert_near(r.surv[i], S[i], 1e-15);
    ck_assert_near(r.estimate[i], F1[i], 1e-15);
    ck_assert_near(r.estimate[4 + i], F2[i], 1e-15);
    ck_assert_near(r.n_risk[i], nr[i], 0);
    ck_assert_near(r.n_censor[i], nc[i], 0);
  }
  ck_assert_near(r.n_event[1], 1, 0);
  ck_assert_near(r.n_event[4 + 1], 1, 0);
  ck_assert_int_eq(r.group_times[0], 4);
  ck_assert_int_eq(r.group_rows[0], 5);
  ns_cuminc_free(&r);
}
END_TEST

/* The estimate of cause k at the last time point <= t of group 0. */
static double estimate_at(const ns_cuminc_data *d, int k, double t)
{
  ns_cuminc_result r;
  if (ns_cuminc_fit(d, &r, NULL, NULL) != NS_OK) return NAN;
  double v = 0;
  for (size_t i = 0; i < (size_t) r.group_times[0]; i++)
    if (r.time[i] <= t) v = r.estimate[(size_t) k * r.m + i];
  ns_cuminc_free(&r);
  return v;
}

/* The jackknife variance is sum over clusters of (sum_i w_i dF/dw_i)^2; the
 * derivatives by central differences on each row's weight. */
static void check_jackknife(int counting, int clustered, unsigned long long seed)
{
  enum { N = 40, K = 2, NCL = 15 };
  double time[N], start[N], w[N], w2[N];
  int cause[N], cluster[N];
  for (int i = 0; i < N; i++) {
    time[i] = 1 + floor(lcg(&seed) * 12) / 2;          /* ties */
    start[i] = counting ? time[i] - 0.25 - floor(lcg(&seed) * 8) / 2 : 0;
    if (start[i] >= time[i]) start[i] = time[i] - 0.25;
    cause[i] = (int) floor(lcg(&seed) * 3);             /* 0, 1, 2 */
    w[i] = 0.5 + lcg(&seed) * 1.5;
    cluster[i] = (int) floor(lcg(&seed) * NCL);
  }
  ns_cuminc_data d = {.n = N, .time = time, .start = counting ? start : NULL, .cause = cause,
                      .n_cause = K, .weight = w, .n_group = 1,
                      .cluster = clustered ? cluster : NULL, .n_cluster = clustered ? NCL : 0};
  ns_cuminc_result r;
  ck_assert_int_eq(ns_cuminc_fit(&d, &r, NULL, NULL), NS_OK);
  const double h = 1e-6;
  for (size_t p = 0; p < r.m; p += 3) {
    for (int k = 0; k < K; k++) {
      double acc[N] = {0};
      for (int i = 0; i < N; i++) {
        memcpy(w2, w, sizeof w);
        ns_cuminc_data dd = d;
        dd.weight = w2;
        w2[i] = w[i] + h;
        double up = estimate_at(&dd, k, r.time[p]);
        w2[i] = w[i] - h;
        double down = estimate_at(&dd, k, r.time[p]);
        acc[clustered ? cluster[i] : i] += w[i] * (up - down) / (2 * h);
      }
      double v = 0;
      for (int c = 0; c < N; c++) v += acc[c] * acc[c];
      double se = r.std_err[(size_t) k * r.m + p];
      ck_assert_msg(fabs(se * se - v) <= 1e-7 + 1e-6 * v,
                    "time %g cause %d: variance %.12g, finite differences %.12g",
                    r.time[p], k + 1, se * se, v);
    }
  }
  ns_cuminc_free(&r);
}

START_TEST(jackknife_right_censored) { check_jackknife(0, 0, 11); }
END_TEST
START_TEST(jackknife_clusters) { check_jackknife(0, 1, 12); }
END_TEST
START_TEST(jackknife_counting_process) { check_jackknife(1, 0, 13); }
END_TEST
START_TEST(jackknife_counting_clusters) { check_jackknife(1, 1, 14); }
END_TEST

/* Twelve rows in two groups; the reference numbers are cmprsk::cuminc's:
 *   t <- c(1,2,2,3,4,5,5,6,7,8,3,4); c <- c(1,2,0,1,1,0,2,1,0,2,2,1)
 *   g <- c(0,1,0,1,0,1,0,1,0,1,1,0); cmprsk::cuminc(t, c, g)
 * group 0, cause 1 ends at F = 7/12 with variance 7/108; the Tests are
 * 0.56071828434696247 (cause 1) and 0.37048079925976751 (cause 2). */
static const double t12[] = {1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 3, 4};
static const int c12[] = {1, 2, 0, 1, 1, 0, 2, 1, 0, 2, 2, 1};
static const int g12[] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0};

START_TEST(cmprsk_variance)
{
  ns_cuminc_data d = {.n = 12, .time = t12, .cause = c12, .n_cause = 2, .group = g12,
                      .n_group = 2, .variance = NS_CUMINC_GRAY};
  ns_cuminc_result r;
  ck_assert_int_eq(ns_cuminc_fit(&d, &r, NULL, NULL), NS_OK);
  size_t last0 = (size_t) r.group_times[0] - 1;
  ck_assert_near(r.estimate[last0], 7.0 / 12, 1e-15);
  ck_assert_near(r.std_err[last0] * r.std_err[last0], 7.0 / 108, 1e-14);
  ck_assert_near(r.std_err[0] * r.std_err[0], 0.027777777777777776, 1e-14);
  ns_cuminc_free(&r);
}
END_TEST

START_TEST(gray_test_cmprsk)
{
  double score[2], var[2], stat[2];
  int df;
  ck_assert_int_eq(ns_cuminc_gray_test(12, t12, c12, 2, NULL, g12, 2, NULL, 1, 0, score, var,
                                       stat, &df), NS_OK);
  ck_assert_int_eq(df, 1);
  ck_assert_near(stat[0], 0.56071828434696247, 1e-12);
  ck_assert_near(stat[1], 0.37048079925976751, 1e-12);
  /* weights 2 equal every row twice */
  double t24[24], w12[12];
  int c24[24], g24[24];
  for (int i = 0; i < 12; i++) {
    t24[i] = t24[12 + i] = t12[i];
    c24[i] = c24[12 + i] = c12[i];
    g24[i] = g24[12 + i] = g12[i];
    w12[i] = 2;
  }
  double stat2[2];
  ck_assert_int_eq(ns_cuminc_gray_test(24, t24, c24, 2, NULL, g24, 2, NULL, 1, 0.5, score, var,
                                       stat, &df), NS_OK);
  ck_assert_int_eq(ns_cuminc_gray_test(12, t12, c12, 2, w12, g12, 2, NULL, 1, 0.5, score, var,
                                       stat2, &df), NS_OK);
  ck_assert_near(stat2[0], stat[0], 1e-12);
  ck_assert_near(stat2[1], stat[1], 1e-12);
  /* a cause with no event: NaN; a cause code out of range: NS_ERR_STATUS */
  double stat3[3], score3[3], var3[3];
  ck_assert_int_eq(ns_cuminc_gray_test(12, t12, c12, 3, NULL, g12, 2, NULL, 1, 0, score3, var3,
                                       stat3, &df), NS_OK);
  ck_assert(isnan(stat3[2]));
  ck_assert_near(stat3[0], 0.56071828434696247, 1e-12);
  ck_assert_int_eq(ns_cuminc_gray_test(12, t12, c12, 1, NULL, g12, 2, NULL, 1, 0, score, var,
                                       stat, &df), NS_ERR_STATUS);
  ck_assert_int_eq(ns_cuminc_gray_test(12, t12, c12, 2, NULL, g12, 1, NULL, 1, 0, score, var,
                                       stat, &df), NS_ERR_ONE_GROUP);
}
END_TEST

START_TEST(row_order_does_not_matter)
{
  enum { N = 30 };
  unsigned long long seed = 5;
  double time[N], w[N], time2[N], w2[N];
  int cause[N], group[N], cause2[N], group2[N];
  for (int i = 0; i < N; i++) {
    time[i] = floor(lcg(&seed) * 6);
    cause[i] = (int) floor(lcg(&seed) * 3);
    group[i] = (int) floor(lcg(&seed) * 2);
    w[i] = 0.5 + lcg(&seed);
  }
  for (int i = 0; i < N; i++) {
    time2[i] = time[N - 1 - i]; cause2[i] = cause[N - 1 - i];
    group2[i] = group[N - 1 - i]; w2[i] = w[N - 1 - i];
  }
  ns_cuminc_data a = {.n = N, .time = time, .cause = cause, .n_cause = 2, .weight = w,
                      .group = group, .n_group = 2};
  ns_cuminc_data b = {.n = N, .time = time2, .cause = cause2, .n_cause = 2, .weight = w2,
                      .group = group2, .n_group = 2};
  ns_cuminc_result ra, rb;
  ck_assert_int_eq(ns_cuminc_fit(&a, &ra, NULL, NULL), NS_OK);
  ck_assert_int_eq(ns_cuminc_fit(&b, &rb, NULL, NULL), NS_OK);
  ck_assert_uint_eq(ra.m, rb.m);
  for (size_t i = 0; i < 2 * ra.m; i++) {
    ck_assert_near(ra.estimate[i], rb.estimate[i], 1e-14);
    ck_assert_near(ra.std_err[i], rb.std_err[i], 1e-12);
  }
  ns_cuminc_free(&ra);
  ns_cuminc_free(&rb);
}
END_TEST

START_TEST(bad_input)
{
  double time[] = {1, 2, 3};
  double start[] = {0, 2, 0};
  int cause[] = {1, 0, 2};
  double w[] = {1, -1, 1};
  ns_cuminc_result r;
  ns_cuminc_data d = {.n = 3, .time = time, .cause = cause, .n_cause = 2, .n_group = 1};
  ck_assert_int_eq(ns_cuminc_fit(&d, &r, NULL, NULL), NS_OK);
  ns_cuminc_free(&r);
  ns_cuminc_data e = d;
  e.n_cause = 1;                       /* cause 2 out of range */
  ck_assert_int_eq(ns_cuminc_fit(&e, &r, NULL, NULL), NS_ERR_STATUS);
  e = d; e.weight = w;
  ck_assert_int_eq(ns_cuminc_fit(&e, &r, NULL, NULL), NS_ERR_WEIGHT);
  e = d; e.start = start;              /* row 2: start == stop */
  ck_assert_int_eq(ns_cuminc_fit(&e, &r, NULL, NULL), NS_ERR_START_STOP);
  start[1] = 1;
  e.variance = NS_CUMINC_GRAY;         /* cmprsk's variance: right-censored only */
  ck_assert_int_eq(ns_cuminc_fit(&e, &r, NULL, NULL), NS_ERR_ARGUMENT);
  time[1] = NAN;
  ck_assert_int_eq(ns_cuminc_fit(&d, &r, NULL, NULL), NS_ERR_TIME);
  time[1] = 2;
  int group[] = {0, 3, 0};
  e = d; e.group = group; e.n_group = 2;
  ck_assert_int_eq(ns_cuminc_fit(&e, &r, NULL, NULL), NS_ERR_STRATUM);
  ck_assert_ptr_null(r.estimate);      /* nothing left allocated on error */
  ck_assert_int_eq(ns_cuminc_fit(NULL, &r, NULL, NULL), NS_ERR_ARGUMENT);
  e = d; e.n = 0;
  ck_assert_int_eq(ns_cuminc_fit(&e, &r, NULL, NULL), NS_OK);
  ck_assert_uint_eq(r.m, 0);
  ns_cuminc_free(&r);
}
END_TEST

/* Issue #13 (fuzz_competing finding 6f4ab183): the weighted number at risk
 * was (all weights) - (weights that left), so a risk set of one subnormal
 * weight left after a weight of 3.5 was 0 and the event at t = 1 was
 * skipped (S stayed 1). Now an exact running sum: S(1) = 0, F2(1) = 1,
 * for every variance and with (start, stop] data too. */
START_TEST(tiny_weight_alone_at_risk)
{
  const double time[] = {0, 1, 0, 0}, start[] = {-1, -1, -1, -1};
  const int cause[] = {0, 2, 0, 0};
  const double w[] = {3.5, 3.3156e-315, 0, 0};
  for (int v = 0; v < 2; v++)
    for (int counting = 0; counting < 2; counting++) {
      if (v == 1 && counting) continue; /* Gray's variance: right-censored only */
      ns_cuminc_data d = {.n = 4, .time = time, .start = counting ? start : NULL,
                          .cause = cause, .n_cause = 2, .weight = w, .n_group = 1,
                          .variance = v ? NS_CUMINC_GRAY : NS_CUMINC_JACKKNIFE};
      ns_cuminc_result r;
      ck_assert_int_eq(ns_cuminc_fit(&d, &r, NULL, NULL), NS_OK);
      ck_assert_uint_eq(r.m, 2);
      ck_assert_near(r.time[1], 1, 0);
      ck_assert_near(r.surv[0], 1, 0);
      ck_assert_near(r.surv[1], 0, 0);
      ck_assert_near(r.estimate[2 + 1], 1, 1e-15);
      ck_assert_near(r.estimate[1], 0, 0);
      ns_cuminc_free(&r);
    }
  /* fuzz_competing 108bacd5...: a weight of 1e308 (beyond the exact sum's
   * 2^1000) before a weight of 5.5 -- 1e308 + 5.5 - 1e308 was 0; the group
   * is now summed times 2^-64 */
  const double tb[] = {0.5, 3}, wb[] = {1e308, 5.5};
  const int cb[] = {0, 1};
  ns_cuminc_data db = {.n = 2, .time = tb, .cause = cb, .n_cause = 1, .weight = wb,
                       .n_group = 1};
  ns_cuminc_result rb;
  ck_assert_int_eq(ns_cuminc_fit(&db, &rb, NULL, NULL), NS_OK);
  ck_assert_near(rb.surv[1], 0, 0);
  ck_assert_near(rb.estimate[1], 1, 1e-15);
  ns_cuminc_free(&rb);
  /* fuzz_competing d4bf402b: the same with a weight of 2.2e-308 left alone
   * (and one of 3.3e-315): 2^-64 flushed them to 0 and S stayed 1 at their
   * events; weights below 1 now have an unscaled exact sum of their own */
  for (int sub = 0; sub < 2; sub++) {
    const double wd[] = {1e308, sub ? 3.3156e-315 : 2.2e-308};
    ns_cuminc_data dd = {.n = 2, .time = tb, .cause = cb, .n_cause = 1, .weight = wd,
                         .n_group = 1};
    ns_cuminc_result rd;
    ck_assert_int_eq(ns_cuminc_fit(&dd, &rd, NULL, NULL), NS_OK);
    ck_assert_uint_eq(rd.m, 2);
    ck_assert(rd.n_risk[1] == 1);
    ck_assert_near(rd.surv[1], 0, 0);
    ck_assert_near(rd.estimate[1], 1, 1e-15);
    ns_cuminc_free(&rd);
  }
  /* fuzz_competing 6cb198f9: six events of weight 1e-15 empty the risk set;
   * d summed row by row exceeded the exact number at risk by an ulp and F
   * was 1.0000000000000002 */
  for (int counting = 0; counting < 2; counting++) {
    double te[8], se[8], we[8];
    int ce[8];
    for (int i = 0; i < 8; i++) {
      te[i] = i < 6 ? 0.500000000000002 : 0.5;
      se[i] = i < 6 ? 1e-15 : 0;
      we[i] = i < 6 ? 1e-15 : 0;
      ce[i] = i < 6;
    }
    ns_cuminc_data de = {.n = 8, .time = te, .start = counting ? se : NULL, .cause = ce,
                         .n_cause = 1, .weight = we, .n_group = 1};
    ns_cuminc_result re;
    ck_assert_int_eq(ns_cuminc_fit(&de, &re, NULL, NULL), NS_OK);
    for (size_t o = 0; o < re.m; o++) ck_assert(re.estimate[o] <= 1.0 && re.surv[o] >= 0.0);
    ck_assert(re.estimate[re.m - 1] == 1.0);
    ck_assert(re.surv[re.m - 1] == 0.0);
    ns_cuminc_free(&re);
  }
  /* fb50cdcd...: weights whose sum overflows -- in one group refused; in two
   * groups cuminc answers, Gray's test (pooled risk sets) refuses */
  const double wc[] = {1e308, 1e308};
  const int gc[] = {0, 1}, cc[] = {1, 1};
  ns_cuminc_data dc = {.n = 2, .time = tb, .cause = cc, .n_cause = 1, .weight = wc,
                       .n_group = 1};
  ck_assert_int_eq(ns_cuminc_fit(&dc, &rb, NULL, NULL), NS_ERR_WEIGHT);
  dc.group = gc;
  dc.n_group = 2;
  ck_assert_int_eq(ns_cuminc_fit(&dc, &rb, NULL, NULL), NS_OK);
  ns_cuminc_free(&rb);
  double sc1[1], v1[1], st1[1];
  int df1;
  ck_assert_int_eq(ns_cuminc_gray_test(2, tb, cc, 1, wc, gc, 2, NULL, 1, 0, sc1, v1, st1, &df1),
                   NS_ERR_WEIGHT);
}
END_TEST

/* Issue #13 (fuzz_competing findings a3ac3979, 158e00c4): frequency weights near 1e-160
 * made Gray's variance subnormal (1e-320) and the Cholesky factorization
 * failed: NS_ERR_SINGULAR on valid input, where the contract says a singular
 * V gives a NaN statistic. V is now scaled by its largest diagonal first (and
 * a factorization that still fails is a NaN). The reproducer's rows (28: one
 * competing event of weight 1e-160, one censored row of weight 3.5, the rest
 * weight 0): success, each statistic NaN or finite and >= 0. */
START_TEST(gray_test_tiny_weights)
{
  enum { N = 28 };
  double t[N], w[N];
  int c[N], g[N];
  for (int i = 0; i < N; i++) { t[i] = 0; w[i] = 0; c[i] = 0; g[i] = 0; }
  t[0] = 0.5; c[0] = 2; w[0] = 1e-160; g[0] = 2;
  t[1] = 4.5; w[1] = 3.5; g[1] = 1;
  t[2] = 1e-160;
  double score[4], var[8], stat[2];
  int df;
  /* weights are frequencies: a fraction is refused (fuzz_competing a3ac3979
   * and 487b126b) */
  ck_assert_int_eq(ns_cuminc_gray_test(N, t, c, 2, w, g, 3, NULL, 1, 0, score, var, stat, &df),
                   NS_ERR_WEIGHT);
  w[0] = 1e200;
  w[1] = 3;
  ck_assert_int_eq(ns_cuminc_gray_test(N, t, c, 2, w, g, 3, NULL, 1, 0, score, var, stat, &df),
                   NS_OK);
  ck_assert_int_eq(df, 2);
  for (int k = 0; k < 2; k++) ck_assert(isnan(stat[k]) || (isfinite(stat[k]) && stat[k] >= 0));
  /* fuzz_competing 158e00c4: a weight of 1e308 overflows V: NaN, not Inf */
  w[0] = 1e308; c[0] = 1; g[0] = 0; t[0] = 7;
  w[1] = 1; c[1] = 1; t[1] = 4;
  ck_assert_int_eq(ns_cuminc_gray_test(N, t, c, 2, w, g, 3, NULL, 1, 0, score, var, stat, &df),
                   NS_OK);
  for (int k = 0; k < 2; k++) ck_assert(isnan(stat[k]) || (isfinite(stat[k]) && stat[k] >= 0));
}
END_TEST

/* Gray's test on six rows in three groups against cmprsk's crstm on the rows
 * replicated by their whole weights (cmprsk 2.2-11, to 1e-12): the score and
 * variance of cause `k` (1-based) of n_cause. */
static void expect_crstm(const double *t, const double *w, const int *c, const int *g,
                         int n_cause, int k, const double s_ref[2], const double v_ref[4],
                         double *stat_k)
{
  double score[6], var[12], stat[3];
  int df;
  ck_assert_int_eq(ns_cuminc_gray_test(6, t, c, n_cause, w, g, 3, NULL, 1, 0, score, var, stat,
                                       &df), NS_OK);
  for (int i = 0; i < 2; i++) ck_assert_double_eq_tol(score[2 * (k - 1) + i], s_ref[i], 1e-12);
  for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(var[4 * (k - 1) + i], v_ref[i], 1e-12);
  *stat_k = stat[k - 1];
}

/* fuzz_competing 487b126b: six rows with weights 0.75 .. 2.625 gave V[0,0] =
 * -0.031 for cause 1; fractional weights are now refused, and the same rows
 * with the weights as whole frequencies (x 8/3) give crstm's numbers. */
START_TEST(gray_test_fractional_weights_refused)
{
  double t[6] = {5, 0, 3, 7, 0, 0}, w[6] = {0.75, 1.875, 2.625, 0.75, 0, 0};
  int c[6] = {3, 1, 1, 2, 0, 0}, g[6] = {1, 0, 2, 0, 0, 0};
  double score[6], var[12], stat[3], q;
  int df;
  ck_assert_int_eq(ns_cuminc_gray_test(6, t, c, 3, w, g, 3, NULL, 1, 0, score, var, stat, &df),
                   NS_ERR_WEIGHT);
  for (int i = 0; i < 6; i++) w[i] = w[i] * 8 / 3;
  const double s1[2] = {1.5397727272727273, -1.8977272727272727};
  const double v1[4] = {0.366289722269231566, -0.081397716059829275, -0.081397716059829275,
                        0.938783286123564875};
  const double s3[2] = {-1.5555555555555558, 1.5555555555555556};
  const double v3[4] = {0.31297658801088157, -0.31297658801088157, -0.31297658801088157,
                        0.31297658801088157};
  expect_crstm(t, w, c, g, 3, 1, s1, v1, &q);
  ck_assert_double_eq_tol(q, 9.100926, 1e-6); /* cmprsk::cuminc()$Tests, printed to 7 digits */
  expect_crstm(t, w, c, g, 3, 3, s3, v3, &q);
}
END_TEST

/* fuzz_competing 0b387f27: Gray's variance estimate itself (crstm's) has a
 * negative diagonal on these rows (every row at risk in groups 0 and 2 fails
 * at time 3); netsurv gives crstm's numbers and a NaN statistic where cmprsk
 * reports -19.5 with p = 1. */
START_TEST(gray_test_indefinite_variance)
{
  double t[6] = {5, 0, 3, 3, 0, 0}, w[6] = {2, 5, 7, 2, 0, 0}, q;
  int c[6] = {2, 1, 1, 1, 0, 0}, g[6] = {1, 0, 2, 0, 0, 0};
  const double s1[2] = {3.1761363636363638, -2.2613636363636367};
  const double v1[4] = {-0.45869238333268614, 0.10193164074059684, 0.10193164074059684,
                        0.94775933814771252};
  expect_crstm(t, w, c, g, 2, 1, s1, v1, &q);
  ck_assert(isnan(q));
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("cuminc");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, hand_five_rows);
  tcase_add_test(tc, jackknife_right_censored);
  tcase_add_test(tc, jackknife_clusters);
  tcase_add_test(tc, jackknife_counting_process);
  tcase_add_test(tc, jackknife_counting_clusters);
  tcase_add_test(tc, cmprsk_variance);
  tcase_add_test(tc, gray_test_cmprsk);
  tcase_add_test(tc, row_order_does_not_matter);
  tcase_add_test(tc, bad_input);
  tcase_add_test(tc, tiny_weight_alone_at_risk);
  tcase_add_test(tc, gray_test_tiny_weights);
  tcase_add_test(tc, gray_test_fractional_weights_refused);
  tcase_add_test(tc, gray_test_indefinite_variance);
  suite_add_tcase(s, tc);
  return s;
}
