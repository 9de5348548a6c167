/* check_finegray.c -- the Fine-Gray core against cmprsk::crr's numbers for a
 * small data set, finite differences of its own pseudo-likelihood (score and
 * information), invariances, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"

/* Fifteen rows; the reference is
 *   t <- c(1,2,2,3,4,5,5,6,7,8,3,4,9,2.5,6.5)
 *   c <- c(1,2,0,1,1,0,2,1,0,2,2,1,1,0,1)
 *   x1 <- c(0.5,-1,0.3,1.2,-0.4,0.8,0,-0.7,1.5,0.2,-1.1,0.6,0.9,-0.2,0.1)
 *   x2 <- c(1,0,1,1,0,0,1,0,1,1,0,0,1,0,1)
 *   cmprsk::crr(t, c, cbind(x1, x2))                                        */
enum { N = 15, P = 2 };
static const double T15[N] = {1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 3, 4, 9, 2.5, 6.5};
static const int C15[N] = {1, 2, 0, 1, 1, 0, 2, 1, 0, 2, 2, 1, 1, 0, 1};
static const double X15[N * P] = {0.5, -1, 0.3, 1.2, -0.4, 0.8, 0, -0.7, 1.5, 0.2, -1.1, 0.6, 0.9, -0.2, 0.1,
                                  1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1};

typedef struct {
  double coef[P], var[P * P], naive[P * P], score[P], info[P * P], bt[N], bj[N];
  ns_finegray_result r;
} fit_t;

static ns_status fit(const ns_finegray_data *d, int iter_max, const double *init, fit_t *f)
{
  memset(f, 0, sizeof *f);
  f->r.coef = f->coef; f->r.var = f->var; f->r.naive_var = f->naive; f->r.score = f->score;
  f->r.info = f->info; f->r.base_time = f->bt; f->r.base_jump = f->bj;
  ns_finegray_control c = {.iter_max = iter_max, .gtol = 1e-6, .init = init};
  return ns_finegray_fit(d, &c, &f->r, NULL, NULL);
}

START_TEST(equals_crr)
{
  ns_finegray_data d = {.n = N, .p = P, .x = X15, .time = T15, .status = C15, .n_cengroup = 1};
  fit_t f;
  ck_assert_int_eq(fit(&d, 10, NULL, &f), NS_OK);
  ck_assert_int_eq(f.r.converged, 1);
  ck_assert_near(f.coef[0], 0.56526958112205039, 1e-9);
  ck_assert_near(f.coef[1], -0.66710782106423150, 1e-9);
  ck_assert_near(f.var[0], 0.22659573957186074, 1e-9);
  ck_assert_near(f.var[1], -0.21673639183560775, 1e-9);
  ck_assert_near(f.var[3], 0.74864248212594420, 1e-9);
  ck_assert_near(f.r.loglik, -14.666558886837031, 1e-12);
  ck_assert_near(f.r.loglik_null, -15.108576952689271, 1e-12);
  ck_assert_uint_eq(f.r.n_times, 6);  /* 1, 3, 4, 6, 6.5, 9 */
}
END_TEST

/* At any beta (iter_max = 0 evaluates at init): the score is the gradient
 * of the log pseudo-likelihood and the information minus its Hessian. Two
 * censoring groups, fractional weights. */
START_TEST(score_and_information_are_derivatives)
{
  double w[N];
  int g[N];
  for (int i = 0; i < N; i++) { w[i] = 0.5 + 0.1 * (i % 4); g[i] = i % 2; }
  ns_finegray_data d = {.n = N, .p = P, .x = X15, .time = T15, .status = C15, .weight = w,
                        .cengroup = g, .n_cengroup = 2};
  const double b0[P] = {0.3, -0.2}, h = 1e-5;
  fit_t f, up, down;
  ck_assert_int_eq(fit(&d, 0, b0, &f), NS_OK);
  ck_assert_near(f.coef[0], b0[0], 0);
  for (int a = 0; a < P; a++) {
    double bu[P] = {b0[0], b0[1]}, bd[P] = {b0[0], b0[1]};
    bu[a] += h; bd[a] -= h;
    ck_assert_int_eq(fit(&d, 0, bu, &up), NS_OK);
    ck_assert_int_eq(fit(&d, 0, bd, &down), NS_OK);
    ck_assert_near(f.score[a], (up.r.loglik - down.r.loglik) / (2 * h), 1e-7);
    for (int c = 0; c < P; c++)
      ck_assert_near(f.info[c * P + a], -(up.score[c] - down.score[c]) / (2 * h), 1e-7);
  }
}
END_TEST

/* Shifting a covariate or listing the rows in another order changes
 * nothing; the baseline jumps follow the shift (they are at x = 0). */
START_TEST(invariances)
{
  ns_finegray_data d = {.n = N, .p = P, .x = X15, .time = T15, .status = C15, .n_cengroup = 1};
  double xs[N * P], ts[N], xr[N * P], tr[N];
  int cr[N];
  for (int i = 0; i < N; i++) {
    xs[i] = X15[i] + 10; xs[N + i] = X15[N + i];
    ts[i] = T15[i];
    int j = N - 1 - i;
    xr[i] = X15[j]; xr[N + i] = X15[N + j]; tr[i] = T15[j]; cr[i] = C15[j];
  }
  ns_finegray_data shifted = d, reversed = d;
  shifted.x = xs; shifted.time = ts;
  reversed.x = xr; reversed.time = tr; reversed.status = cr;
  fit_t a, b, c;
  ck_assert_int_eq(fit(&d, 10, NULL, &a), NS_OK);
  ck_assert_int_eq(fit(&shifted, 10, NULL, &b), NS_OK);
  ck_assert_int_eq(fit(&reversed, 10, NULL, &c), NS_OK);
  for (int k = 0; k < P; k++) {
    ck_assert_near(b.coef[k], a.coef[k], 1e-8);
    ck_assert_near(c.coef[k], a.coef[k], 1e-12);
  }
  for (int k = 0; k < P * P; k++) {
    ck_assert_near(b.var[k], a.var[k], 1e-7);
    ck_assert_near(c.var[k], a.var[k], 1e-12);
  }
  for (size_t j = 0; j < a.r.n_times; j++)
    ck_assert_near(b.bj[j] * exp(10 * b.coef[0]), a.bj[j], 1e-7);
}
END_TEST

START_TEST(bad_input)
{
  ns_finegray_data d = {.n = N, .p = P, .x = X15, .time = T15, .status = C15, .n_cengroup = 1};
  fit_t f;
  int st[N];
  double t[N], x[N * P], w[N];
  memcpy(st, C15, sizeof st);
  st[3] = 3;
  ns_finegray_data e = d;
  e.status = st;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_STATUS);
  for (int i = 0; i < N; i++) st[i] = C15[i] == 1 ? 2 : C15[i];
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_NO_EVENTS);
  memcpy(t, T15, sizeof t);
  t[2] = INFINITY;
  e = d; e.time = t;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_TIME);
  memcpy(x, X15, sizeof x);
  x[N + 4] = NAN;
  e = d; e.x = x;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_NONFINITE);
  for (int i = 0; i < N; i++) { x[i] = X15[i]; x[N + i] = 2 * X15[i]; w[i] = 1; }
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_SINGULAR);   /* collinear */
  w[0] = 0;
  e = d; e.weight = w;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_WEIGHT);
  int g[N] = {0};
  g[5] = 2;
  e = d; e.cengroup = g; e.n_cengroup = 2;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_STRATUM);
  e = d; e.p = 0;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_ARGUMENT);
  /* fuzz_competing aa85b081: an event of weight 1e308 overflows the log
   * pseudo-likelihood (~1e308 x log(1e308)); it was -Inf with NS_OK */
  for (int i = 0; i < N; i++) w[i] = 1;
  for (int i = 0; i < N; i++) if (C15[i] == 1) { w[i] = 1e308; break; }
  e = d; e.weight = w;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_NONFINITE);
  /* fuzz_competing 4d9cb394: weights summing past DBL_MAX are refused */
  w[N - 1] = 1e308;
  ck_assert_int_eq(fit(&e, 10, NULL, &f), NS_ERR_WEIGHT);
}
END_TEST

/* Issue #13 (fuzz_competing finding finegray-loglik): the risk-set sums are
 * suffix sums, formed by additions. They were (all rows) - (rows that left),
 * which cancelled when the scores spread: a log pseudo-likelihood of +5e-6
 * (must be <= 0) at the fuzzer's beta, and garbage once late risk sets are
 * e^-60 of the early ones. Checked against a direct O(n^2) evaluation
 * written from the formula (risk sets summed row by row, no subtraction). */
static double naive_loglik(int n, const double *t, const int *st, const double *w,
                           const double *x, double beta)
{
  double ll = 0;
  for (int e = 0; e < n; e++) {
    if (st[e] != 1) continue;
    double tau = t[e], G = 1;           /* censoring KM just before tau */
    double *gm = malloc((size_t) n * sizeof *gm);
    for (int i = 0; i < n; i++) gm[i] = 1;
    /* G(u-) for u = tau and for every row's own time */
    for (int c = 0; c < n; c++) {
      if (st[c] != 0) continue;
      int first = 1;                    /* each censoring time once */
      for (int k = 0; k < c; k++) if (st[k] == 0 && t[k] == t[c]) first = 0;
      if (!first) continue;
      double dc = 0, nc = 0;
      for (int k = 0; k < n; k++) {
        if (t[k] >= t[c]) nc += w[k];
        if (st[k] == 0 && t[k] == t[c]) dc += w[k];
      }
      double f = 1 - dc / nc;
      if (t[c] < tau) G *= f;
      for (int i = 0; i < n; i++) if (t[c] < t[i]) gm[i] *= f;
    }
    double s0 = 0;
    for (int i = 0; i < n; i++) {
      double ri = w[i] * exp(beta * x[i]);
      if (t[i] >= tau) s0 += ri;
      else if (st[i] == 2) s0 += ri * G / gm[i];
    }
    free(gm);
    ll += w[e] * (beta * x[e] - log(s0));
  }
  return ll;
}

START_TEST(risk_sets_do_not_cancel)
{
  /* the fuzzer's reproducer: 22 rows, two events (t = 0 and a lone 3.5) */
  enum { M = 22 };
  double t[M], x[M], w[M], coef[1], var[1], nv[1], sc[1], bt[M], bj[M];
  int st[M];
  for (int i = 0; i < M; i++) { t[i] = 0; st[i] = 0; x[i] = -2; w[i] = 1; }
  st[0] = 1; x[0] = -0.5; t[1] = 3.5; st[1] = 1;
  ns_finegray_data d = {.n = M, .p = 1, .x = x, .time = t, .status = st, .n_cengroup = 1};
  ns_finegray_result r = {.coef = coef, .var = var, .naive_var = nv, .score = sc,
                          .base_time = bt, .base_jump = bj};
  const double b0 = 14.665115929533972;
  ns_finegray_control c = {.iter_max = 0, .gtol = 1e-6, .init = &b0};
  ck_assert_int_eq(ns_finegray_fit(&d, &c, &r, NULL, NULL), NS_OK);
  /* exactly: -log1p(21 e^(-1.5 b0)) */
  double exact = -log1p(21 * exp(-1.5 * b0));
  ck_assert(r.loglik <= 0);
  /* absolute: log(s0) - eta with eta ~ 21 carries ~21 ulp; was off by 5e-6 */
  ck_assert_near(r.loglik, exact, 1e-13);
  ck_assert_near(r.loglik, naive_loglik(M, t, st, w, x, b0), 1e-13);

  /* scores falling ~e^-2 per time over 40 rows (late risk sets ~e^-80 of
   * the first), ties, competing and censored rows, fractional weights */
  enum { K = 40 };
  double tk[K], xk[K], wk[K], btk[K], bjk[K];
  int sk[K];
  for (int i = 0; i < K; i++) {
    tk[i] = (double) (i / 2);
    sk[i] = (i % 5 == 0) ? 0 : (i % 3 == 0) ? 2 : 1;
    xk[i] = -2.0 * tk[i] + 0.25 * (i % 3);
    wk[i] = 0.5 + 0.25 * (i % 4);
  }
  ns_finegray_data dk = {.n = K, .p = 1, .x = xk, .time = tk, .status = sk, .weight = wk,
                         .n_cengroup = 1};
  ns_finegray_result rk = {.coef = coef, .var = var, .naive_var = nv, .score = sc,
                           .base_time = btk, .base_jump = bjk};
  const double betas[] = {-0.5, 0.5, 1.0, 2.0};
  for (int b = 0; b < 4; b++) {
    ns_finegray_control ck = {.iter_max = 0, .gtol = 1e-6, .init = &betas[b]};
    ck_assert_int_eq(ns_finegray_fit(&dk, &ck, &rk, NULL, NULL), NS_OK);
    double ref = naive_loglik(K, tk, sk, wk, xk, betas[b]);
    ck_assert_near(rk.loglik, ref, 1e-12); /* relative */
  }
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("finegray");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, equals_crr);
  tcase_add_test(tc, score_and_information_are_derivatives);
  tcase_add_test(tc, invariances);
  tcase_add_test(tc, bad_input);
  tcase_add_test(tc, risk_sets_do_not_cancel);
  suite_add_tcase(s, tc);
  return s;
}
