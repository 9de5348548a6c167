/* check_cox_exact.c -- ns_cox_fit with ties = NS_COX_EXACT (cox_exact.c) on
 * data small enough to write the exact partial likelihood out by hand, on
 * large ties whose terms are binomial coefficients (the recursion's
 * renormalisation), and its refusals. With iter_max = 0 the fit is evaluated
 * at init: loglik[0] is the log partial likelihood there, u the score and
 * var the inverse of the information. */
#include <math.h>
#include <stdlib.h>

#include "netsurv.h"
#include "check_main.h"
#include "check_cox_fixture.h"

/* times 1 1 2, all events, x 0 1 0. At t = 1 two events among rows
 * {0, 1, 2}: the term is r0 r1 / e_2(r0, r1, r2).
 * beta = 0: e_2 = 3, loglik = -log 3; the subsets' x sums 1, 1, 0 have mean
 * 2/3 and variance 2/9, so U = 1 - 2/3 = 1/3 and I = 2/9 (t = 2 adds 0).
 * beta = log 2: risks 1 2 1, e_2 = 2 + 1 + 2 = 5, loglik = log 2 - log 5. */
START_TEST(exact_by_hand)
{
  ns_cox_data d = tied_pair();
  double coef, var, u, resid[3];
  ns_cox_result r = result1(&coef, &var, &u);
  r.resid = resid;
  ns_cox_control c = control0(NS_COX_EXACT, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -log(3.0), 1e-14);
  ck_assert_near(u, 1.0 / 3, 1e-14);
  ck_assert_near(var, 9.0 / 2, 1e-13);
  ck_assert_near(r.score_test, (1.0 / 9) * 9.0 / 2, 1e-13);
  /* Martingale residuals are Breslow's at the coefficients (as coxph's for
   * exact fits): hazard 2/3 at t = 1, then 1 at t = 2. */
  ck_assert_near(resid[0], 1 - 2.0 / 3, 1e-14);
  ck_assert_near(resid[2], 1 - 2.0 / 3 - 1, 1e-14);
  double init = log(2.0);
  c = control0(NS_COX_EXACT, &init);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], log(2.0) - log(5.0), 1e-14);
}
END_TEST

/* (start, stop]: (0,2] event x=1, (0,2] event x=0, (1,2] censored x=1,
 * (0,1] censored x=0: at t = 2 two events among rows {0, 1, 2} (x 1 0 1).
 * beta = 0: loglik = -log 3; subset sums 1, 2, 1: U = 1 - 4/3, I = 2/9. */
START_TEST(exact_counting_by_hand)
{
  const double x[] = {1, 0, 1, 0}, start[] = {0, 0, 1, 0}, stop[] = {2, 2, 2, 1};
  const int status[] = {1, 1, 0, 0};
  ns_cox_data d = {4, 1, x, stop, start, status, NULL, NULL, NULL, NULL, NULL, 0};
  double coef, var, u;
  ns_cox_result r = result1(&coef, &var, &u);
  ns_cox_control c = control0(NS_COX_EXACT, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -log(3.0), 1e-14);
  ck_assert_near(u, -1.0 / 3, 1e-14);
  ck_assert_near(var, 9.0 / 2, 1e-13);
}
END_TEST

/* Without ties every term has d = 1: the exact likelihood is Breslow's.
 * Random (start, stop] data in two strata with an offset, fitted to
 * convergence both ways. */
START_TEST(no_ties_is_breslow)
{
  enum { N = 300, P = 2 };
  double x[N * P], time[N], start[N], off[N];
  int status[N], strat[N];
  unsigned s = 12345;
  for (int i = 0; i < N; i++) {
    lcg_next(&s);
    time[i] = 1 + i + ((s >> 16) % 1000) / 1000.0 * 0.5;  /* distinct */
    start[i] = (i % 3 == 0) ? time[i] - 50 : -1;
    status[i] = (s >> 8) % 3 != 0;
    strat[i] = i % 2;
    off[i] = 0.1 * (i % 5);
    x[i] = ((s >> 4) % 100) / 50.0 - 1;
    x[N + i] = (double) (i % 4);
  }
  ns_cox_data d = {N, P, x, time, start, status, NULL, off, strat, NULL, NULL, 0};
  double c1[P], c2[P], v1[P * P], v2[P * P];
  ns_cox_result r1 = {0}, r2 = {0};
  r1.coef = c1; r1.var = v1; r2.coef = c2; r2.var = v2;
  ns_cox_control c = control0(NS_COX_BRESLOW, NULL);
  c.iter_max = 30; c.eps = 1e-12;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r1, NULL, NULL), NS_OK);
  c.ties = NS_COX_EXACT;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r2, NULL, NULL), NS_OK);
  for (int j = 0; j < P; j++) ck_assert_near(c2[j], c1[j], 1e-10);
  for (int j = 0; j < P * P; j++) ck_assert_near(v2[j], v1[j], 1e-10);
  ck_assert_near(r2.loglik[0], r1.loglik[0], 1e-12);
  ck_assert_near(r2.loglik[1], r1.loglik[1], 1e-12);
}
END_TEST

/* A tie of D = 300 events among N = 2000 rows (the others censored later),
 * x = 1 on every fifth row: at beta = 0 every subset weighs 1, so
 *   loglik = -log C(N, D),
 *   U = sum of the events' x - D xbar,
 *   I = D s2 (N - D) / (N - 1)   (the variance of a sample sum drawn without
 *                                 replacement; s2 the population variance).
 * C(2000, 300) is about 1e373: the levels must be renormalised. Shifting
 * every linear predictor by 700 (an offset; exp(700) is near overflow)
 * changes nothing. */
START_TEST(large_tie_binomial)
{
  enum { N = 2000, D = 300 };
  cox_cols cc = cox_cols_alloc(N, 1);
  double *x = cc.x, *time = cc.time, *off = cc.aux;
  int *status = cc.status;
  double xev = 0, xbar = 0;
  for (int i = 0; i < N; i++) {
    x[i] = i % 5 == 0;
    status[i] = i < D;
    time[i] = i < D ? 1 : 2;
    off[i] = 700;
    xbar += x[i];
    if (i < D) xev += x[i];
  }
  xbar /= N;
  double s2 = xbar * (1 - xbar);
  ns_cox_data d = {N, 1, x, time, NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
  double coef, var, u;
  ns_cox_result r = result1(&coef, &var, &u);
  ns_cox_control c = control0(NS_COX_EXACT, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  double lc = lgamma(N + 1.0) - lgamma(D + 1.0) - lgamma(N - D + 1.0);
  ck_assert_near(r.loglik[0], -lc, 1e-12);
  ck_assert_near(u, xev - D * xbar, 1e-10);
  ck_assert_near(1 / var, D * s2 * (N - D) / (N - 1.0), 1e-10);
  d.offset = off;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert_near(r.loglik[0], -lc, 1e-12);
  ck_assert_near(1 / var, D * s2 * (N - D) / (N - 1.0), 1e-10);
  cox_cols_free(&cc);
}
END_TEST

/* A row whose risk score is 2^1000 times those added before it: 1000 rows
 * with risk e^-700 (offset), then three events with risk 1 tied with them.
 * e_3 is 1 (the events' own product) plus terms below 1e-300, so the
 * log-likelihood is 0 to the last digit; summed naively on the scale of the
 * small rows the level would overflow. */
START_TEST(risk_scores_far_apart)
{
  enum { N = 1003 };
  cox_cols cc = cox_cols_alloc(N, 1);
  double *x = cc.x, *time = cc.time, *off = cc.aux;
  int *status = cc.status;
  for (int i = 0; i < N; i++) {
    int event = i >= N - 3;
    x[i] = event;
    off[i] = event ? 0 : -700;
    time[i] = event ? 1 : 2;
    status[i] = event;
  }
  ns_cox_data d = {N, 1, x, time, NULL, status, NULL, off, NULL, NULL, NULL, 0};
  double coef, var, u;
  ns_cox_result r = result1(&coef, &var, &u);
  ns_cox_control c = control0(NS_COX_EXACT, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  ck_assert(fabs(r.loglik[0]) < 1e-280);
  cox_cols_free(&cc);
}
END_TEST

/* What the exact likelihood refuses: case weights and the robust variance
 * (as coxph), Firth's penalty, ties above NS_COX_EXACT_MAX_TIE (500); and a
 * long evaluation stops when the callback asks. */
START_TEST(exact_refusals)
{
  enum { N = 2000 };
  cox_cols cc = cox_cols_alloc(N, 1);
  double *x = cc.x, *time = cc.time, *w = cc.aux;
  int *status = cc.status;
  for (int i = 0; i < N; i++) {
    x[i] = i % 7;
    time[i] = i < 501 ? 1 : 2 + i % 3;
    status[i] = i < 501 || i % 2;
    w[i] = 1;
  }
  ns_cox_data d = {N, 1, x, time, NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
  double coef, var, u, nv;
  ns_cox_result r = result1(&coef, &var, &u);
  r.naive_var = &nv;
  ns_cox_control c = control0(NS_COX_EXACT, NULL);
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_TOO_LARGE);
  for (int i = 0; i < N; i++) if (i < 501) time[i] = 1 + (i % 2);  /* ties of 250 */
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_OK);
  int calls = 0;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, stop_now, &calls), NS_ERR_INTERRUPTED);
  ck_assert_int_ge(calls, 1);
  d.weight = w;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_ARGUMENT);
  d.weight = NULL;
  c.robust = 1;
  c.iter_max = 5;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_ARGUMENT);
  c.robust = 0;
  c.firth = 1;
  ck_assert_int_eq(ns_cox_fit(&d, &c, &r, NULL, NULL), NS_ERR_ARGUMENT);
  ck_assert_str_eq(ns_status_message(NS_ERR_TOO_LARGE),
                   "the computation is too large for the method asked for");
  cox_cols_free(&cc);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("cox_exact");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, exact_by_hand);
  tcase_add_test(tc, exact_counting_by_hand);
  tcase_add_test(tc, no_ties_is_breslow);
  tcase_add_test(tc, large_tie_binomial);
  tcase_add_test(tc, risk_scores_far_apart);
  tcase_add_test(tc, exact_refusals);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}
