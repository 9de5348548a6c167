/* check_cox.c -- ns_cox_fit and ns_cox_concordance on data small enough to
 * write the partial likelihood out by hand. With iter_max = 0 the fit is
 * evaluated at init: loglik[0] is the log partial likelihood there, u the
 * score and var the inverse of the information. */
#include <math.h>
#include <stdlib.h>

#include "netsurv.h"
#include "check_main.h"
#include "check_cox_fixture.h"

/* times 1 2 3 4, status 1 1 0 1, x 0 1 0 1 (no ties).
 * beta = 0: risk sets {1..4} {2,3,4} {4}:
 *   loglik = -log 4 - log 3 - log 1 = -log 12
 *   U = (0 - 1/2) + (1 - 2/3) + (1 - 1) = -1/6
 *   I = 1/4 + 2/9 + 0 = 17/36
 * beta = log 2: risks 1 2 1 2: loglik = -log 6 + (log 2 - log 5) + 0 = -log 15 */
START_TEST(breslow_by_hand)
{
  const double x[] = {0, 1, 0, 1}, time[] = {1, 2, 3, 4};
  const int status[] = {1, 1, 0, 1};
  ns_cox_data d = {4, 1, x, time, NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
  double coef, var, u, lp[4], resid[4];
  ns_cox_result r = result1(&coef, &var, &u);
  r.lp = lp; r.resid = resid;
  ns_cox_control c = control0(NS_COX_BRESLOW, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -log(12.0), 1e-14);
  ck_assert_near(u, -1.0 / 6, 1e-14);
  ck_assert_near(var, 36.0 / 17, 1e-13);
  ck_assert_near(r.score_test, (1.0 / 36) * 36.0 / 17, 1e-13);
  /* Martingale residuals at 0: status - Breslow cumulative hazard. */
  ck_assert_near(resid[0], 1 - 0.25, 1e-14);
  ck_assert_near(resid[1], 1 - (0.25 + 1.0 / 3), 1e-14);
  ck_assert_near(resid[2], 0 - (0.25 + 1.0 / 3), 1e-14);
  ck_assert_near(resid[3], 1 - (0.25 + 1.0 / 3 + 1), 1e-14);

  double init = log(2.0);
  c = control0(NS_COX_BRESLOW, &init);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -log(15.0), 1e-14);
}
END_TEST

/* times 1 1 2, all events, x 0 1 0; beta = 0; two events tied at 1.
 * Breslow: loglik = -2 log 3, U = 1 - 2/3, I = 2 * 2/9.
 * Efron: the second tied event sees the tied pair at half weight:
 *   denominators 3 and 2, loglik = -log 6;
 *   means 1/3 and (1 - 1/2)/2 = 1/4, U = 1 - 1/3 - 1/4 = 5/12;
 *   variances 2/9 and 1/4 - 1/16 = 3/16, I = 59/144. */
START_TEST(efron_by_hand)
{
  ns_cox_data d = tied_pair();
  double coef, var, u;
  ns_cox_result r = result1(&coef, &var, &u);
  ns_cox_control c = control0(NS_COX_BRESLOW, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -2 * log(3.0), 1e-14);
  ck_assert_near(u, 1.0 / 3, 1e-14);
  ck_assert_near(var, 9.0 / 4, 1e-13);
  c = control0(NS_COX_EFRON, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -log(6.0), 1e-14);
  ck_assert_near(u, 5.0 / 12, 1e-14);
  ck_assert_near(var, 144.0 / 59, 1e-13);
}
END_TEST

/* (start, stop] rows: (0,2] event x=1; (1,3] event x=0; (0,1] event x=0;
 * (2,4] censored x=1. Risk sets at t=1: rows 1,3 (row 2 starts at 1, so it
 * is not at risk at 1); t=2: rows 1,2; t=3: rows 2,4.
 * beta = 0, Breslow: loglik = -3 log 2; U = (0 - 1/2) + (1 - 1/2) + (0 - 1/2)
 * = -1/2; I = 3 * 1/4. */
START_TEST(counting_process_by_hand)
{
  const double x[] = {1, 0, 0, 1}, start[] = {0, 1, 0, 2}, stop[] = {2, 3, 1, 4};
  const int status[] = {1, 1, 1, 0};
  ns_cox_data d = {4, 1, x, stop, start, status, NULL, NULL, NULL, NULL, NULL, 0};
  double coef, var, u;
  ns_cox_result r = result1(&coef, &var, &u);
  ns_cox_control c = control0(NS_COX_BRESLOW, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -3 * log(2.0), 1e-14);
  ck_assert_near(u, -0.5, 1e-14);
  ck_assert_near(var, 4.0 / 3, 1e-13);
}
END_TEST

/* Strata and weights: stratum 0 is the Breslow example above with every
 * weight 2: each event term is 2 (eta - log(2 * sum of risks)), so loglik =
 * -2 log(8 * 6 * 2); the means, hence 2x the score and the information, do
 * not change. Stratum 1 adds one event (weight 3) alone in its risk set:
 * -3 log 3 to the loglik, 0 to the score. */
START_TEST(strata_and_weights)
{
  const double x[] = {0, 1, 0, 1, 5}, time[] = {1, 2, 3, 4, 1};
  const int status[] = {1, 1, 0, 1, 1}, stratum[] = {0, 0, 0, 0, 1};
  const double w[] = {2, 2, 2, 2, 3};
  ns_cox_data d = {5, 1, x, time, NULL, status, w, NULL, stratum, NULL, NULL, 0};
  double coef, var, u;
  ns_cox_result r = result1(&coef, &var, &u);
  ns_cox_control c = control0(NS_COX_EFRON, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -2 * log(96.0) - 3 * log(3.0), 1e-14);
  ck_assert_near(u, -2.0 / 6, 1e-14);
  ck_assert_near(var, 18.0 / 17, 1e-13);
}
END_TEST

/* Newton-Raphson converges to the root of the score: for the Breslow data
 * the score at the estimate is ~0 and loglik[1] >= loglik[0]. */
START_TEST(converges)
{
  const double x[] = {0, 1, 0, 1, 1, 0, 0.5, 2}, time[] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int status[] = {1, 1, 0, 1, 0, 1, 1, 0};
  ns_cox_data d = {8, 1, x, time, NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
  double coef, var, u;
  ns_cox_result r = result1(&coef, &var, &u);
  ns_cox_control c = control0(NS_COX_EFRON, NULL);
  c.iter_max = 30;
  c.eps = 1e-12;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_int_eq(r.converged, 1);
  ck_assert(fabs(u) < 1e-8);
  ck_assert(r.loglik[1] >= r.loglik[0]);
  ck_assert(var > 0);
}
END_TEST

/* A column equal to twice another is dropped: NaN coefficient, zero var. */
START_TEST(collinear_column_dropped)
{
  const double x[] = {0, 1, 0, 1, 2, 0,   0, 2, 0, 2, 4, 0};
  const double time[] = {1, 2, 3, 4, 5, 6};
  const int status[] = {1, 1, 0, 1, 1, 0};
  ns_cox_data d = {6, 2, x, time, NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
  double coef[2], var[4];
  ns_cox_result r = result1(coef, var, NULL);
  ns_cox_control c = control0(NS_COX_EFRON, NULL);
  c.iter_max = 20;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_int_eq(r.rank, 1);
  ck_assert(isfinite(coef[0]));
  ck_assert(isnan(coef[1]));
  ck_assert(var[3] == 0 && var[1] == 0 && var[2] == 0);
}
END_TEST

START_TEST(bad_input)
{
  double x[] = {0, 1, 0}, time[] = {1, 2, 3}, w[] = {1, 0, 1};
  int status[] = {1, 1, 0}, none[] = {0, 0, 0}, bad[] = {1, 2, 0};
  double coef, var;
  ns_cox_result r = result1(&coef, &var, NULL);
  ns_cox_control c = control0(NS_COX_EFRON, NULL);
  ns_cox_data d = {3, 1, x, time, NULL, none, NULL, NULL, NULL, NULL, NULL, 0};
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_NO_EVENTS);
  d.status = bad;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_STATUS);
  d.status = status;
  d.weight = w;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_WEIGHT);
  d.weight = NULL;
  x[1] = NAN;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_NONFINITE);
  x[1] = 1;
  double start[] = {0, 2, 0};
  d.start = start;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_START_STOP);
  d.start = NULL;
  c.firth = 1;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_ARGUMENT);
}
END_TEST

/* Three events at 1, 2, 3 with risk scores 3, 2, 1: every pair has the
 * earlier event on the higher score -- all 3 pairs concordant. Then a tie
 * on the score and a tie on the time. */
START_TEST(concordance_by_hand)
{
  double time[] = {1, 2, 3}, score[] = {3, 2, 1}, count[5], conc, sd;
  int status[] = {1, 1, 1};
  ck_assert_int_eq(ns_cox_concordance(3, time, NULL, status, NULL, NULL, score, NULL, 0,
                                      count, &conc, &sd), NS_OK);
  ck_assert_near(count[0], 3, 1e-15);
  ck_assert_near(count[1], 0, 1e-15);
  ck_assert_near(conc, 1, 1e-15);
  double score2[] = {2, 2, 1}, time2[] = {1, 1, 3};
  ck_assert_int_eq(ns_cox_concordance(3, time2, NULL, status, NULL, NULL, score2, NULL, 0,
                                      count, &conc, &sd), NS_OK);
  /* pairs: (1,3) and (2,3) concordant; (1,2) tied on time and score. */
  ck_assert_near(count[0], 2, 1e-15);
  ck_assert_near(count[3], 0, 1e-15);
  ck_assert_near(count[4], 1, 1e-15);
  ck_assert_near(conc, 1, 1e-15);
}
END_TEST

/* The concordance counts against a direct count over all pairs, on
 * generated (start, stop] data with ties in time and score, weights and
 * strata of very different sizes (one large, several small: the two ways
 * the core closes a stratum), with and without start times and clusters.
 * A pair (event i, row j of the same stratum at risk at t_i with t_j > t_i,
 * or censored at t_i) is concordant when i has the higher score, discordant
 * when lower, tied.x when equal; two events at the same time are tied.y,
 * or tied.xy when their scores tie too; all weighted by w_i w_j. */
START_TEST(concordance_against_all_pairs)
{
  enum { N = 150 };
  double time[N], start[N], score[N], w[N], count[5], conc, sd, ref[5];
  int status[N], stratum[N], cluster[N];
  unsigned long long seed = 12345;
#define NEXT() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (seed >> 33) % 1000)
  for (int i = 0; i < N; i++) {
    time[i] = 1 + (double) (NEXT() % 12);
    start[i] = (double) (NEXT() % 3) * time[i] / 4;
    score[i] = (double) (NEXT() % 7) / 2;
    status[i] = NEXT() % 10 < 6;
    w[i] = 1 + (double) (NEXT() % 3) / 2;
    stratum[i] = i < 100 ? 0 : 1 + (int) (NEXT() % 6);
    cluster[i] = (int) (NEXT() % 20);
  }
#undef NEXT
  for (int variant = 0; variant < 4; variant++) {
    const double *st = variant & 1 ? start : NULL;
    const int *sg = variant & 2 ? stratum : NULL;
    for (int k = 0; k < 5; k++) ref[k] = 0;
    for (int i = 0; i < N; i++) {
      if (!status[i]) continue;
      for (int j = 0; j < N; j++) {
        if (j == i || (sg && sg[i] != sg[j])) continue;
        if (st && !(st[j] < time[i])) continue;
        double ww = w[i] * w[j];
        if (time[j] == time[i] && status[j]) {
          if (j < i) continue; /* each tied pair once */
          if (score[i] == score[j]) ref[4] += ww; else ref[3] += ww;
        } else if (time[j] >= time[i]) {
          if (score[i] > score[j]) ref[0] += ww;
          else if (score[i] < score[j]) ref[1] += ww;
          else ref[2] += ww;
        }
      }
    }
    ck_assert_int_eq(ns_cox_concordance(N, time, st, status, w, sg, score,
                                        variant == 3 ? cluster : NULL, 20,
                                        count, &conc, &sd), NS_OK);
    for (int k = 0; k < 5; k++) ck_assert_near(count[k], ref[k], 1e-12);
    ck_assert_near(conc, (ref[0] + ref[2] / 2) / (ref[0] + ref[1] + ref[2]), 1e-12);
    ck_assert(isfinite(sd) && sd > 0);
  }
}
END_TEST

/* Firth's penalty with monotone likelihood: x = 1 rows never have the
 * event, so the plain estimate runs to -infinity but the penalised one is
 * finite, with a zero penalised score; also for (start, stop] rows. With
 * one covariate, l* = l + log(I)/2 and the penalised score is zero there. */
START_TEST(firth_finite_under_monotone_likelihood)
{
  const double x[] = {0, 0, 1, 0, 1, 0, 1, 0}, time[] = {1, 2, 3, 4, 5, 6, 7, 8};
  const double start[] = {0, 0, 0, 0.5, 0, 1, 0, 0};
  const int status[] = {1, 1, 0, 1, 0, 1, 0, 1};
  for (int counting = 0; counting < 2; counting++) {
    ns_cox_data d = {8, 1, x, time, counting ? start : NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
    double coef, var, u;
    ns_cox_result r = result1(&coef, &var, &u);
    ns_cox_control c = control0(NS_COX_BRESLOW, NULL);
    c.iter_max = 50;
    c.eps = 1e-12;
    c.firth = 1;
    ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
    ck_assert_int_eq(r.converged, 1);
    ck_assert(isfinite(coef) && coef < -0.5 && coef > -10);
    ck_assert(fabs(u) < 1e-6);
    ck_assert(r.loglik[1] >= r.loglik[0]);
    /* penalty = log(I)/2 = log(1/var)/2 */
    ck_assert_near(r.loglik[1] - r.loglik_plain[1], -0.5 * log(var), 1e-8);
  }
}
END_TEST

/* The OpenMP paths (thread-split pass 1, per-thread leaver bins, blocked
 * information) give the same fit as one thread, on data large enough to
 * take them, for right-censored and (start, stop] data. */
START_TEST(threads_agree)
{
  enum { N = 60000, P = 2 };
  cox_cols cc = cox_cols_alloc(N, P);
  double *x = cc.x, *time = cc.time, *start = cc.aux;
  int *status = cc.status;
  unsigned st = 7u;
  for (int i = 0; i < N; i++) {
    lcg_next(&st);
    x[i] = (double) ((st >> 8) % 1000u) / 500.0 - 1.0;
    x[N + i] = (double) ((st >> 4) % 2u);
    time[i] = 2 + (double) ((st >> 12) % 300u);
    start[i] = (double) ((st >> 20) % 3u) * 0.5;
    status[i] = ((st >> 16) % 10u) < 7u;
  }
  for (int counting = 0; counting < 2; counting++) {
    ns_cox_data d = {N, P, x, time, counting ? start : NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
    double c1[P], v1[P * P], c2[P], v2[P * P];
    ns_cox_result r1 = {0}, r2 = {0};
    r1.coef = c1; r1.var = v1; r2.coef = c2; r2.var = v2;
    ns_cox_control c = control0(NS_COX_EFRON, NULL);
    c.iter_max = 20;
    ck_assert_int_eq(ns_cox_fit(&d, &c, &r1, NULL, NULL), NS_OK);
    c.threads = 2;
    ck_assert_int_eq(ns_cox_fit(&d, &c, &r2, NULL, NULL), NS_OK);
    for (int j = 0; j < P; j++) ck_assert_near(c2[j], c1[j], 1e-10);
    for (int j = 0; j < P * P; j++) ck_assert_near(v2[j], v1[j], 1e-10);
    ck_assert_near(r2.loglik[1], r1.loglik[1], 1e-12);
  }
  cox_cols_free(&cc);
}
END_TEST

/* Issue #13, item 15: a constant column passed uncentred (center = 0) has
 * no information; it is dropped (NaN) with any thread count, and the other
 * coefficient is the fit without it. */
START_TEST(constant_uncentred_column_dropped)
{
  enum { N = 3000 };
  cox_cols cc = cox_cols_alloc(N, 2);
  double *x = cc.x, *time = cc.time, *w = cc.aux;
  int *status = cc.status;
  unsigned st = 11u;
  for (int i = 0; i < N; i++) {
    lcg_next(&st);
    x[i] = (double) ((st >> 8) % 1000u) / 250.0 - 2.0;
    time[i] = 1 + (double) ((st >> 12) % 97u);
    status[i] = ((st >> 16) % 10u) < 7u;
    w[i] = 0.5 + (double) ((st >> 20) % 7u) * 0.3;
  }
  const int center[] = {1, 0};
  const double constants[] = {5.0, 1000.0, -7.25, 3.3e6, 0.1};
  for (int wtd = 0; wtd < 2; wtd++) {
    double c0, v0;
    ns_cox_data d1 = {N, 1, x, time, NULL, status, wtd ? w : NULL, NULL, NULL, NULL, NULL, 0};
    ns_cox_result r0 = result1(&c0, &v0, NULL);
    ns_cox_control ctl = control0(NS_COX_EFRON, NULL);
    ctl.iter_max = 20;
    ck_assert_int_eq(ns_cox_fit(&d1, &ctl, &r0, NULL, NULL), NS_OK);
    for (int q = 0; q < 5; q++) {
      for (int i = 0; i < N; i++) x[N + i] = constants[q];
      ns_cox_data d2 = {N, 2, x, time, NULL, status, wtd ? w : NULL, NULL, NULL, center, NULL, 0};
      for (int t = 1; t <= 3; t++) {
        double c[2], v[4], means[2];
        ns_cox_result r = result1(c, v, NULL);
        r.means = means;
        ctl.threads = t;
        ck_assert_int_eq(ns_cox_fit(&d2, &ctl, &r, NULL, NULL), NS_OK);
        ck_assert_msg(isnan(c[1]), "constant %g, threads %d: coef %g", constants[q], t, c[1]);
        ck_assert_int_eq(r.rank, 1);
        ck_assert_near(c[0], c0, 1e-12);
        ck_assert_near(v[0], v0, 1e-12);
        ck_assert_near(v[3], 0, 0);
        ck_assert_near(means[1], 0, 0);   /* reported as not centred */
      }
    }
  }
  cox_cols_free(&cc);
}
END_TEST

/* Issue #13, item 11: Efron ties in two strata whose linear predictors lie
 * 110 apart (x of stratum 2 shifted by -110): 20 tied events per time.
 * The fit equals the unshifted one (a stratum's shift cancels from its
 * likelihood), where the product of a time's Efron denominators used to
 * underflow (loglik +Inf, a wrong coefficient). */
START_TEST(efron_strata_far_apart)
{
  enum { N = 400 };
  double x[N], xs[N], time[N];
  int status[N], stratum[N];
  unsigned st = 5u;
  for (int i = 0; i < N; i++) {
    lcg_next(&st);
    stratum[i] = i % 2;
    x[i] = (double) ((st >> 8) % 1000u) / 500.0 - 1.0;
    xs[i] = x[i] - (stratum[i] ? 110.0 : 0.0);
    /* later times for larger x (a coefficient near -1), 10 distinct times */
    time[i] = 1 + floor((x[i] + 1) * 3 + (double) ((st >> 12) % 5u));
    status[i] = ((st >> 16) % 10u) < 8u;
  }
  double c[2], v[2], lp[N];
  for (int k = 0; k < 2; k++) {
    ns_cox_data d = {N, 1, k ? xs : x, time, NULL, status, NULL, NULL, stratum, NULL, NULL, 0};
    ns_cox_result r = result1(&c[k], &v[k], NULL);
    r.lp = lp;
    ns_cox_control ctl = control0(NS_COX_EFRON, NULL);
    ctl.iter_max = 20;
    ck_assert_int_eq(ns_cox_fit(&d, &ctl, &r, NULL, NULL), NS_OK);
    ck_assert(r.converged);
    ck_assert(isfinite(r.loglik[1]));
    static double ll0, ll1;
    if (k == 0) { ll0 = r.loglik[0]; ll1 = r.loglik[1]; }
    else {
      ck_assert_near(r.loglik[0], ll0, 1e-12);
      ck_assert_near(r.loglik[1], ll1, 1e-12);
    }
  }
  ck_assert_near(c[1], c[0], 1e-10);
  ck_assert_near(v[1], v[0], 1e-10);
}
END_TEST

/* Issue #13, item 8: x1 runs to -infinity and xs has no information within
 * the strata; coxph returns (x1 very negative, xs NA), and so does the fit
 * (it stopped with "a value is not finite"). */
START_TEST(monotone_with_uninformative_column)
{
  const double x[] = {2.131, -1.054, -0.025, -0.058, 0, 1, 1, 1};
  const double time[] = {5, 2, 3, 2};
  const int status[] = {0, 1, 1, 1}, stratum[] = {2, 1, 4, 4};
  ns_cox_data d = {4, 2, x, time, NULL, status, NULL, NULL, stratum, NULL, NULL, 0};
  double c[2], v[4];
  int inf[2];
  ns_cox_result r = result1(c, v, NULL);
  r.infinite = inf;
  ns_cox_control ctl = control0(NS_COX_EFRON, NULL);
  ctl.iter_max = 20;
  ck_assert_int_eq(ns_cox_fit(&d, &ctl, &r, NULL, NULL), NS_OK);
  ck_assert(c[0] < -100);
  ck_assert(isnan(c[1]));
  ck_assert(!r.converged);
  ck_assert_int_eq(r.iter, 21);           /* coxph's count when iterations run out */
  ck_assert(isfinite(r.loglik[1]) && r.loglik[1] > r.loglik[0] && r.loglik[1] < 0);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("cox");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, breslow_by_hand);
  tcase_add_test(tc, efron_by_hand);
  tcase_add_test(tc, counting_process_by_hand);
  tcase_add_test(tc, strata_and_weights);
  tcase_add_test(tc, converges);
  tcase_add_test(tc, collinear_column_dropped);
  tcase_add_test(tc, bad_input);
  tcase_add_test(tc, concordance_by_hand);
  tcase_add_test(tc, concordance_against_all_pairs);
  tcase_add_test(tc, firth_finite_under_monotone_likelihood);
  tcase_add_test(tc, threads_agree);
  tcase_add_test(tc, constant_uncentred_column_dropped);
  tcase_add_test(tc, efron_strata_far_apart);
  tcase_add_test(tc, monotone_with_uninformative_column);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}
