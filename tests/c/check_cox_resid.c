/* check_cox_resid.c -- the Cox diagnostics core on data small enough to do
 * by hand: Breslow and Efron hazards, score / Schoenfeld / martingale
 * residuals, late entry in (start, stop] data, the zph score test pieces,
 * and bad input. Every risk score is 1 (eta = 0). */
#include <math.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"

static ns_cox_model model3(const double *x, const double *time, const int *status,
                           const double *eta, ns_cox_ties ties)
{
  ns_cox_model m;
  memset(&m, 0, sizeof m);
  m.n = 3; m.p = 1; m.x = x; m.time = time; m.status = status; m.eta = eta;
  m.ties = ties;
  return m;
}

/* Rows (time, status, x): (1, 1, 0), (2, 1, 1), (3, 0, 0).
 * t = 1: 3 at risk, xbar = 1/3, dLambda = 1/3; t = 2: 2 at risk, xbar = 1/2,
 * dLambda = 1/2; t = 3: no event. */
START_TEST(breslow_by_hand)
{
  const double x[] = {0, 1, 0}, time[] = {1, 2, 3}, eta[] = {0, 0, 0};
  const int status[] = {1, 1, 0};
  ns_cox_model m = model3(x, time, status, eta, NS_COX_BRESLOW);
  ns_cox_hazard_result h;
  ck_assert_int_eq(ns_cox_hazard(&m, &h, NULL, NULL), NS_OK);
  ck_assert_uint_eq(h.m, 3);
  const double haz[] = {1.0 / 3, 0.5, 0}, var[] = {1.0 / 9, 0.25, 0};
  const double xh[] = {1.0 / 9, 0.25, 0}, nr[] = {3, 2, 1}, ne[] = {1, 1, 0};
  for (int t = 0; t < 3; t++) {
    ck_assert_near(h.haz[t], haz[t], 1e-14);
    ck_assert_near(h.varhaz[t], var[t], 1e-14);
    ck_assert_near(h.xhaz[t], xh[t], 1e-14);
    ck_assert_near(h.n_risk[t], nr[t], 1e-14);
    ck_assert_near(h.n_event[t], ne[t], 1e-14);
    ck_assert_near(h.time[t], time[t], 0);
  }
  ck_assert_near(h.n_censor[2], 1, 0);
  ns_cox_hazard_free(&h);

  double score[3], schoen[2], mart[3];
  int row[2];
  ck_assert_int_eq(ns_cox_residuals(&m, score, schoen, row, mart, NULL, NULL, NULL), NS_OK);
  ck_assert_near(mart[0], 2.0 / 3, 1e-14);
  ck_assert_near(mart[1], 1.0 / 6, 1e-14);
  ck_assert_near(mart[2], -5.0 / 6, 1e-14);
  ck_assert_near(schoen[0], -1.0 / 3, 1e-14);
  ck_assert_near(schoen[1], 0.5, 1e-14);
  ck_assert_int_eq(row[0], 0);
  ck_assert_int_eq(row[1], 1);
  ck_assert_near(score[0], -2.0 / 9, 1e-14);
  ck_assert_near(score[1], 0.5 - 2.0 / 9 - 0.25, 1e-14);
  ck_assert_near(score[2], 1.0 / 9 + 0.25, 1e-14);
}
END_TEST

/* Rows (1, 1, x = 0), (1, 1, x = 1), (2, 0, x = 0): two tied events.
 * Efron: D_0 = 3, D_1 = 1 + 2/2 = 2, so dLambda = 1/3 + 1/2 = 5/6, and an
 * event's own share is 1/3 + (1/2)(1/2) = 7/12. */
START_TEST(efron_ties_by_hand)
{
  const double x[] = {0, 1, 0}, time[] = {1, 1, 2}, eta[] = {0, 0, 0};
  const int status[] = {1, 1, 0};
  ns_cox_model m = model3(x, time, status, eta, NS_COX_EFRON);
  ns_cox_hazard_result h;
  ck_assert_int_eq(ns_cox_hazard(&m, &h, NULL, NULL), NS_OK);
  ck_assert_near(h.haz[0], 5.0 / 6, 1e-14);
  ck_assert_near(h.varhaz[0], 1.0 / 9 + 1.0 / 4, 1e-14);
  /* xbar_0 = 1/3, xbar_1 = (1/2) / 2 = 1/4 */
  ck_assert_near(h.xhaz[0], (1.0 / 3) / 3 + (1.0 / 4) / 2, 1e-14);
  ns_cox_hazard_free(&h);
  double mart[3], schoen[2];
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, schoen, NULL, mart, NULL, NULL, NULL), NS_OK);
  ck_assert_near(mart[0], 5.0 / 12, 1e-14);
  ck_assert_near(mart[1], 5.0 / 12, 1e-14);
  ck_assert_near(mart[2], -5.0 / 6, 1e-14);
  /* Schoenfeld: x minus the average of the two Efron means, (1/3 + 1/4) / 2 */
  ck_assert_near(schoen[0], -7.0 / 24, 1e-14);
  ck_assert_near(schoen[1], 1 - 7.0 / 24, 1e-14);
  /* Breslow on the same rows: dLambda = 2/3, every row takes all of it. */
  m.ties = NS_COX_BRESLOW;
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, NULL, NULL), NS_OK);
  ck_assert_near(mart[0], 1.0 / 3, 1e-14);
  ck_assert_near(mart[2], -2.0 / 3, 1e-14);
}
END_TEST

/* (start, stop]: A (0, 1] event, B (0, 3] censored, C (2, 4] event. C is
 * not at risk at t = 1 (it enters at 2), B has left by t = 4. */
START_TEST(late_entry_by_hand)
{
  const double x[] = {0, 1, 1}, start[] = {0, 0, 2}, time[] = {1, 3, 4}, eta[] = {0, 0, 0};
  const int status[] = {1, 0, 1};
  ns_cox_model m = model3(x, time, status, eta, NS_COX_BRESLOW);
  m.start = start;
  ns_cox_hazard_result h;
  ck_assert_int_eq(ns_cox_hazard(&m, &h, NULL, NULL), NS_OK);
  ck_assert_uint_eq(h.m, 3);
  ck_assert_near(h.haz[0], 0.5, 1e-14);
  ck_assert_near(h.haz[2], 1.0, 1e-14);
  ck_assert_near(h.n_risk[0], 2, 0);
  ck_assert_near(h.n_risk[1], 2, 0);
  ck_assert_near(h.n_risk[2], 1, 0);
  ns_cox_hazard_free(&h);
  double mart[3], score[3];
  ck_assert_int_eq(ns_cox_residuals(&m, score, NULL, NULL, mart, NULL, NULL, NULL), NS_OK);
  ck_assert_near(mart[0], 0.5, 1e-14);
  ck_assert_near(mart[1], -0.5, 1e-14);
  ck_assert_near(mart[2], 0.0, 1e-14);
  /* C: event at 4 with xbar = 1: (1 - 1) - (1 - 1) * 1 = 0; A: (0 - 1/2) -
   * (0 - 1/2)/2 = -1/4; B: -(1 - 1/2)/2 = -1/4 */
  ck_assert_near(score[0], -0.25, 1e-14);
  ck_assert_near(score[1], -0.25, 1e-14);
  ck_assert_near(score[2], 0.0, 1e-14);
}
END_TEST

/* zph pieces for the Breslow case with g = -1 at t = 1 and +1 at t = 2:
 * risk-set variances 2/9 and 1/4. */
START_TEST(zph_by_hand)
{
  const double x[] = {0, 1, 0}, time[] = {1, 2, 3}, eta[] = {0, 0, 0}, g[] = {-1, 1, 5};
  const int status[] = {1, 1, 0};
  ns_cox_model m = model3(x, time, status, eta, NS_COX_BRESLOW);
  double u[2], imat[4], schoen[2];
  int used[1];
  ck_assert_int_eq(ns_cox_zph(&m, g, u, imat, schoen, used, 1, NULL, NULL), NS_OK);
  ck_assert_near(u[0], 1.0 / 6, 1e-14);
  ck_assert_near(u[1], 5.0 / 6, 1e-14);
  ck_assert_near(imat[0], 2.0 / 9 + 0.25, 1e-14);
  ck_assert_near(imat[1], -2.0 / 9 + 0.25, 1e-14);
  ck_assert_near(imat[2], -2.0 / 9 + 0.25, 1e-14);
  ck_assert_near(imat[3], 2.0 / 9 + 0.25, 1e-14);
  ck_assert_int_eq(used[0], 2);
  ck_assert_near(schoen[0], -1.0 / 3, 1e-14);
}
END_TEST

START_TEST(rejects_bad_input)
{
  const double x[] = {0, 1, 0}, time[] = {1, 2, 3}, eta[] = {0, 0, 0};
  const double bad_time[] = {1, NAN, 3}, bad_eta[] = {0, 1e308, 0}, start[] = {0, 2, 0};
  const int status[] = {1, 1, 0}, bad_status[] = {1, 2, 0};
  double mart[3];
  ns_cox_model m = model3(x, bad_time, status, eta, NS_COX_EFRON);
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, NULL, NULL), NS_ERR_TIME);
  m = model3(x, time, bad_status, eta, NS_COX_EFRON);
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, NULL, NULL), NS_ERR_STATUS);
  m = model3(x, time, status, bad_eta, NS_COX_EFRON);
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, NULL, NULL), NS_ERR_NONFINITE);
  m = model3(x, time, status, eta, NS_COX_EFRON);
  m.start = start;
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, NULL, NULL), NS_ERR_START_STOP);
  m.start = NULL;
  m.x = NULL;
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, NULL, NULL), NS_ERR_ARGUMENT);
  ns_cox_hazard_result h;
  ck_assert_int_eq(ns_cox_hazard(NULL, &h, NULL, NULL), NS_ERR_ARGUMENT);
  ns_cox_hazard_free(&h); /* safe on the zeroed result */
  m = model3(x, time, status, eta, NS_COX_EFRON);
  double u[2], imat[4];
  ck_assert_int_eq(ns_cox_zph(&m, NULL, u, imat, NULL, NULL, 1, NULL, NULL), NS_ERR_ARGUMENT);
}
END_TEST

/* m = 2/3 for an event: -2 (2/3 + log(1/3)); m = -5/6 censored: 5/3. */
START_TEST(deviance_by_hand)
{
  const double m[] = {2.0 / 3, -5.0 / 6, 0, NAN}, d[] = {1, 0, 0, 1};
  double out[4];
  ck_assert_int_eq(ns_cox_deviance(4, m, d, NULL, out), NS_OK);
  ck_assert_near(out[0], sqrt(-2 * (2.0 / 3 + log(1.0 / 3))), 1e-14);
  ck_assert_near(out[1], -sqrt(5.0 / 3), 1e-14);
  ck_assert_near(out[2], 0, 0);
  ck_assert(isnan(out[3]));
  ck_assert_int_eq(ns_cox_deviance(1, NULL, d, NULL, out), NS_ERR_ARGUMENT);
}
END_TEST

/* fuzz_cox_diag finding 05ee5194: an event with risk score e^1 in a risk
 * set holding e^128 (times 1.5 4.5 5.5 15.5, status 1 0 1 0, eta 1 1 128
 * 15). Its expected count E = e / S0 = e^-127 rounds m = 1 - E to exactly
 * 1, and log(d - m) = -Inf gave a deviance residual +Inf; from log E
 * (ns_cox_residuals forms it in logs) it is sqrt(-2 (1 - E + log E)),
 * ~15.9. The other rows keep their values from m alone. */
START_TEST(deviance_of_a_residual_rounding_to_one)
{
  const double time[] = {1.5, 4.5, 5.5, 15.5}, eta[] = {1, 1, 128, 15};
  const int status[] = {1, 0, 1, 0};
  ns_cox_model m = {4, 0, NULL, time, NULL, status, NULL, eta, NULL, NS_COX_BRESLOW};
  double mart[4], lexp[4], dev[4], dev0[4], d[4];
  for (int i = 0; i < 4; i++) d[i] = status[i];
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, lexp, NULL, NULL), NS_OK);
  ck_assert(mart[0] == 1.0);
  /* log S0 at 1.5 = 128 + log1p((2e + e^15) e^-128) */
  double le = 1 - (128 + log1p((2 * exp(1.0) + exp(15.0)) * exp(-128.0)));
  ck_assert_near(lexp[0], le, 1e-14);
  ck_assert_int_eq(ns_cox_deviance(4, mart, d, lexp, dev), NS_OK);
  ck_assert_int_eq(ns_cox_deviance(4, mart, d, NULL, dev0), NS_OK);
  ck_assert(isinf(dev0[0]));  /* from m alone, survival's formula gives +Inf */
  ck_assert_near(dev[0], sqrt(-2 * (1 - exp(le) + le)), 1e-14);
  for (int i = 1; i < 4; i++) {
    ck_assert_near(lexp[i], log(d[i] - mart[i]), 1e-12);
    ck_assert_near(dev[i], dev0[i], 1e-12);
  }
  /* fuzz_cox_diag finding 15504743: E = 1 + 2^-52 formed apart from m =
   * -2^-52 gave m + log E = +4e-17 and a NaN deviance; rounding is 0 */
  const double m1[] = {-2.2204460492503131e-16}, d1[] = {1}, le1[] = {2.6367796834847468e-16};
  ck_assert_int_eq(ns_cox_deviance(1, m1, d1, le1, dev), NS_OK);
  ck_assert(dev[0] == 0);
  /* the fit reports the same log expected counts */
  const double x[] = {1, 1, 128, 15}, init = 1;
  ns_cox_data data = {4, 1, x, time, NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
  ns_cox_control c = {NS_COX_BRESLOW, 0, 1e-9, 1.8e-12, 1e-5, &init, NULL, 0, 0, 1};
  double coef, var, resid[4], lexp2[4];
  ns_cox_result r = {0};
  r.coef = &coef; r.var = &var; r.resid = resid; r.log_expected = lexp2;
  ck_assert_int_eq(ns_cox_fit(&data, &c, &r, NULL, NULL), NS_OK);
  ck_assert(resid[0] == 1.0);
  for (int i = 0; i < 4; i++) ck_assert_near(lexp2[i], lexp[i], 1e-12);
}
END_TEST

START_TEST(interrupt_frees_and_reports)
{
  enum { N = 200000 };
  double *x = malloc(N * sizeof *x), *time = malloc(N * sizeof *time);
  double *eta = calloc(N, sizeof *eta), *mart = malloc(N * sizeof *mart);
  int *status = malloc(N * sizeof *status);
  for (int i = 0; i < N; i++) { x[i] = i % 7; time[i] = i; status[i] = i % 2; }
  ns_cox_model m;
  memset(&m, 0, sizeof m);
  m.n = N; m.p = 1; m.x = x; m.time = time; m.status = status; m.eta = eta;
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, stop_now, NULL),
                   NS_ERR_INTERRUPTED);
  free(x); free(time); free(eta); free(mart); free(status);
}
END_TEST

/* Issue #13: one linear predictor ~720 below the others, the row alone in
 * the last risk set (times 1 2 3, all events, eta 0 0 -720, no covariates).
 * Its risk score e^-720 is subnormal and 1 / it overflows; with the risk
 * scores scaled per time point its residual is 1 - r (1/(2 + r) + 1/(1 + r)
 * + 1/r) = -r (...) = 0 to the last bit, where it was -Inf or NaN. */
START_TEST(martingale_far_below_the_others)
{
  const double time[] = {1, 2, 3}, eta[] = {0, 0, -720};
  const int status[] = {1, 1, 1};
  ns_cox_model m = {3, 0, NULL, time, NULL, status, NULL, eta, NULL, NS_COX_BRESLOW};
  double mart[3];
  ck_assert_int_eq(ns_cox_residuals(&m, NULL, NULL, NULL, mart, NULL, NULL, NULL), NS_OK);
  ck_assert_near(mart[0], 1 - 0.5, 1e-14);
  ck_assert_near(mart[1], 1 - 1.5, 1e-14);
  ck_assert_near(mart[2], 0, 1e-14);
  ns_cox_hazard_result h;
  ck_assert_int_eq(ns_cox_hazard(&m, &h, NULL, NULL), NS_OK);
  ck_assert_near(h.haz[0], 0.5, 1e-14);
  ck_assert(h.haz[2] > 1e300);  /* 1 / e^-720: beyond the doubles, reported as such */
  ns_cox_hazard_free(&h);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("cox_resid");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, breslow_by_hand);
  tcase_add_test(tc, efron_ties_by_hand);
  tcase_add_test(tc, late_entry_by_hand);
  tcase_add_test(tc, zph_by_hand);
  tcase_add_test(tc, rejects_bad_input);
  tcase_add_test(tc, deviance_by_hand);
  tcase_add_test(tc, deviance_of_a_residual_rounding_to_one);
  tcase_add_test(tc, interrupt_frees_and_reports);
  tcase_add_test(tc, martingale_far_below_the_others);
  suite_add_tcase(s, tc);
  return s;
}
