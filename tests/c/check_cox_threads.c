/* check_cox_threads.c -- ns_cox_fit gives bitwise the same fit on 1, 2, 3
 * and 4 threads (issue #13, fuzz_cox findings 093f15e1, 529e0f63, 56251e46,
 * 6b798ddc: log-likelihoods 1e-6..2e-2 apart between 1 and 2 threads on
 * (start, stop] data with scores spread over e^30, on fits that run to
 * infinity and on Firth fits with collinear columns). The rows are cut into
 * chunks that do not depend on the thread count, and the chunks' partial
 * sums are combined in chunk order, so the tolerance is 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"

enum { N = 1500, P = 3 };

typedef struct {
  double x[N * P], time[N], start[N], w[N], off[N];
  int status[N], stratum[N];
} rows;

/* Grid data in the fuzzer's style: covariates on a 0.25 grid from -2 to
 * 8.25 (with init -1 the scores spread over e^30), intervals (start, stop]
 * with stop - start >= 0.5, weights 0.25 .. 3.75, offsets, 4 strata. */
static void make_rows(rows *d, unsigned seed, int separating)
{
  unsigned s = seed;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < P; j++) {
      s = s * 1103515245u + 12345u;
      d->x[i + j * N] = -2.0 + 0.25 * (double) ((s >> 8) % 42u);
    }
    s = s * 1103515245u + 12345u;
    d->start[i] = 0.5 * (double) ((s >> 8) % 16u) + (double) (i % 7) / 64.0;
    d->time[i] = d->start[i] + 0.5 + 0.5 * (double) ((s >> 16) % 16u);
    s = s * 1103515245u + 12345u;
    d->status[i] = ((s >> 8) % 10u) < 5u;
    d->w[i] = 0.25 + 0.5 * (double) ((s >> 12) % 8u);
    d->off[i] = 0.25 * (double) ((int) ((s >> 16) % 9u) - 4);
    d->stratum[i] = (int) ((s >> 20) % 4u);
    /* a covariate that separates events from censorings: the likelihood
     * is monotone and the coefficient runs to infinity */
    if (separating) d->x[i] = d->status[i] ? 1.0 + 0.25 * (double) (i % 3) : -1.0;
  }
}

/* log partial likelihood at eta, from its definition (Breslow or Efron) */
static double naive_loglik(const rows *d, int counting, const double *eta, int efron)
{
  double ll = 0;
  for (int i = 0; i < N; i++) {
    if (!d->status[i]) continue;
    int first = 1;
    for (int j = 0; j < i && first; j++)
      if (d->status[j] && d->time[j] == d->time[i] && d->stratum[j] == d->stratum[i]) first = 0;
    if (!first) continue;
    double sr = 0, sd = 0, dw = 0, de = 0, m = 0;
    for (int j = 0; j < N; j++) {
      if (d->stratum[j] != d->stratum[i]) continue;
      double r = d->w[j] * exp(eta[j]);
      if (d->time[j] >= d->time[i] && (!counting || d->start[j] < d->time[i])) sr += r;
      if (d->status[j] && d->time[j] == d->time[i]) {
        sd += r; dw += d->w[j]; de += d->w[j] * eta[j]; m += 1;
      }
    }
    ll += de;
    if (!efron) ll -= dw * log(sr);
    else for (int k = 0; k < (int) m; k++) ll -= (dw / m) * log(sr - (k / m) * sd);
  }
  return ll;
}

typedef struct {
  double coef[P], var[P * P], u[P], lp[N], resid[N];
  double loglik[2], score;
  int iter, rank;
  ns_status st;
} fit_out;

static void fit(const rows *d, int counting, ns_cox_ties ties, int iter_max,
                const double *init, int firth, int threads, fit_out *o)
{
  ns_cox_data data = {N, P, d->x, d->time, counting ? d->start : NULL, d->status, d->w,
                      d->off, d->stratum, NULL, NULL, 0};
  ns_cox_control c = {ties, iter_max, 1e-9, 1.8e-12, 1e-5, init, NULL, 0, firth, threads};
  ns_cox_result r = {0};
  memset(o, 0, sizeof *o);
  r.coef = o->coef; r.var = o->var; r.u = o->u; r.lp = o->lp; r.resid = o->resid;
  o->st = ns_cox_fit(&data, &c, &r, NULL, NULL);
  o->loglik[0] = r.loglik[0]; o->loglik[1] = r.loglik[1];
  o->score = r.score_test; o->iter = r.iter; o->rank = r.rank;
}

/* bitwise equal, NaN equal to NaN */
static int same(double a, double b)
{
  return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

static void assert_same_fit(const fit_out *a, const fit_out *b, int threads)
{
  ck_assert_int_eq(a->st, b->st);
  ck_assert_msg(same(a->loglik[0], b->loglik[0]) && same(a->loglik[1], b->loglik[1]),
                "threads %d: loglik %.17g %.17g vs %.17g %.17g", threads, b->loglik[0],
                b->loglik[1], a->loglik[0], a->loglik[1]);
  ck_assert_int_eq(a->iter, b->iter);
  ck_assert_int_eq(a->rank, b->rank);
  ck_assert(same(a->score, b->score));
  for (int j = 0; j < P; j++)
    ck_assert_msg(same(a->coef[j], b->coef[j]) && same(a->u[j], b->u[j]),
                  "threads %d: coef %d %.17g vs %.17g", threads, j, b->coef[j], a->coef[j]);
  for (int j = 0; j < P * P; j++) ck_assert(same(a->var[j], b->var[j]));
  for (int i = 0; i < N; i++)
    ck_assert_msg(same(a->lp[i], b->lp[i]) && same(a->resid[i], b->resid[i]),
                  "threads %d: row %d", threads, i);
}

static void check_threads(const rows *d, int counting, ns_cox_ties ties, int iter_max,
                          const double *init, int firth)
{
  static fit_out one, more;
  fit(d, counting, ties, iter_max, init, firth, 1, &one);
  ck_assert_int_eq(one.st, NS_OK);
  for (int t = 2; t <= 4; t++) {
    fit(d, counting, ties, iter_max, init, firth, t, &more);
    assert_same_fit(&one, &more, t);
  }
}

/* 6b798ddc: the likelihood at init of (start, stop] data whose scores
 * spread over e^30 -- and equal to the direct evaluation. */
START_TEST(spread_scores_at_init)
{
  static rows d;
  static fit_out o;
  static double eta[N];
  const double init[P] = {-1, -1, -1};
  for (unsigned seed = 1; seed <= 4; seed++) {
    make_rows(&d, seed, 0);
    for (int counting = 0; counting < 2; counting++)
      for (int efron = 0; efron < 2; efron++) {
        ns_cox_ties ties = efron ? NS_COX_EFRON : NS_COX_BRESLOW;
        check_threads(&d, counting, ties, 0, init, 0);
        fit(&d, counting, ties, 0, init, 0, 2, &o);
        for (int i = 0; i < N; i++)
          eta[i] = d.off[i] - (d.x[i] + d.x[i + N] + d.x[i + 2 * N]);
        ck_assert_near(o.loglik[0], naive_loglik(&d, counting, eta, efron), 1e-11);
      }
  }
}
END_TEST

/* 529e0f63, 56251e46: fits whose iterations run out or whose coefficient
 * runs to infinity amplify any difference in rounding. */
START_TEST(diverging_fits)
{
  static rows d;
  const double init[P] = {-1, -1, -1};
  for (unsigned seed = 1; seed <= 3; seed++) {
    make_rows(&d, seed, 1);
    for (int counting = 0; counting < 2; counting++) {
      check_threads(&d, counting, NS_COX_EFRON, 20, init, 0);
      check_threads(&d, counting, NS_COX_BRESLOW, 20, NULL, 0);
    }
  }
}
END_TEST

/* 093f15e1: Firth's penalty (log |I| / 2) with collinear columns. */
START_TEST(firth_collinear)
{
  static rows d;
  const double init[P] = {-1, -1, -1};
  make_rows(&d, 5, 0);
  for (int i = 0; i < N; i++) d.x[i + 2 * N] = d.x[i] + d.x[i + N];
  for (int counting = 0; counting < 2; counting++)
    check_threads(&d, counting, NS_COX_BRESLOW, 20, init, 1);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("cox_threads");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, spread_scores_at_init);
  tcase_add_test(tc, diverging_fits);
  tcase_add_test(tc, firth_collinear);
  suite_add_tcase(s, tc);
  return s;
}
