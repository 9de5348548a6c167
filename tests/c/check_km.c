/* check_km.c -- the Kaplan-Meier core against hand computations, replicated
 * rows, a brute-force jackknife and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"
#include "check_km_fixture.h"

/* ck_assert_near, where +Inf (a Greenwood sum once S = 0) must equal +Inf. */
#define ck_assert_near_or_inf(a, b, tol)                                        \
  do {                                                                         \
    double x_ = (a), y_ = (b);                                                 \
    if (isinf(y_)) ck_assert_msg(x_ == y_, "%s = %g, expected %g", #a, x_, y_); \
    else ck_assert_near(x_, y_, tol);                                          \
  } while (0)

/* Six rows with a tie (two deaths at 2) and a censoring at an event time
 * (3): the censored row is at risk at 3. By hand:
 *   t  n  d  c   S             Greenwood sum         H            sum d/n^2
 *   1  6  1  0   5/6           1/30                  1/6          1/36
 *   2  5  2  0   1/2           1/30 + 2/15 = 1/6     17/30        97/900
 *   3  3  1  1   1/3           1/6 + 1/6 = 1/3       9/10         197/900
 *   5  1  0  1   1/3           1/3                   9/10         197/900 */
START_TEST(textbook_six_rows)
{
  const double time[] = {3, 2, 5, 1, 3, 2};
  const int status[] = {0, 1, 0, 1, 1, 1};
  ns_km_data data = {.n = 6, .time = time, .status = status, .n_strata = 1};
  fit_t f;
  ck_assert_int_eq(fit(&data, NULL, &f), NS_OK);
  ck_assert_uint_eq(f.n_times, 4);
  const double t[] = {1, 2, 3, 5}, n[] = {6, 5, 3, 1}, d[] = {1, 2, 1, 0}, c[] = {0, 0, 1, 1};
  const double S[] = {5.0 / 6, 0.5, 1.0 / 3, 1.0 / 3};
  const double gw[] = {1.0 / 30, 1.0 / 6, 1.0 / 3, 1.0 / 3};
  const double H[] = {1.0 / 6, 17.0 / 30, 0.9, 0.9};
  const double q[] = {1.0 / 36, 97.0 / 900, 197.0 / 900, 197.0 / 900};
  for (int i = 0; i < 4; i++) {
    ck_assert_near(f.curve.time[i], t[i], 0);
    ck_assert_near(f.curve.n_risk[i], n[i], 0);
    ck_assert_near(f.curve.n_event[i], d[i], 0);
    ck_assert_near(f.curve.n_censor[i], c[i], 0);
    ck_assert_near(f.curve.surv[i], S[i], 1e-15);
    ck_assert_near(f.curve.std_err[i], sqrt(gw[i]), 1e-15);
    ck_assert_near(f.curve.cumhaz[i], H[i], 1e-15);
    ck_assert_near(f.curve.std_chaz[i], sqrt(q[i]), 1e-15);
  }
  ck_assert_int_eq(f.stratum_times[0], 4);
  ck_assert_int_eq(f.stratum_rows[0], 6);
  fit_free(&f);
}
END_TEST

/* Counting-process rows (start, stop]: (0,2] event, (0,4] censored,
 * (1,3] event, (3,5] event. At 3 the row entering at 3 is not yet at risk;
 * at 5 the last row dies: S = 0 and the Greenwood sum becomes +Inf. */
START_TEST(counting_process_by_hand)
{
  const double start[] = {0, 0, 1, 3}, stop[] = {2, 4, 3, 5};
  const int status[] = {1, 0, 1, 1};
  ns_km_data data = {.n = 4, .time = stop, .start = start, .status = status, .n_strata = 1};
  fit_t f;
  ck_assert_int_eq(fit(&data, NULL, &f), NS_OK);
  ck_assert_uint_eq(f.n_times, 4); /* the stop times only */
  const double t[] = {2, 3, 4, 5}, n[] = {3, 2, 2, 1}, S[] = {2.0 / 3, 1.0 / 3, 1.0 / 3, 0};
  const double gw[] = {1.0 / 6, 2.0 / 3, 2.0 / 3, INFINITY};
  for (int i = 0; i < 4; i++) {
    ck_assert_near(f.curve.time[i], t[i], 0);
    ck_assert_near(f.curve.n_risk[i], n[i], 0);
    ck_assert_near(f.curve.surv[i], S[i], 1e-15);
    if (isfinite(gw[i])) ck_assert_near(f.curve.std_err[i], sqrt(gw[i]), 1e-15);
    else ck_assert(isinf(f.curve.std_err[i]));
  }
  ck_assert_near(f.curve.cumhaz[3], 1.0 / 3 + 1.0 / 2 + 1.0, 1e-15);
  ck_assert_near(f.curve.n_enter[0], 3, 0); /* entered before the first time */
  ck_assert_near(f.curve.n_enter[1], 0, 0);
  fit_free(&f);
}
END_TEST

/* Integer case weights are frequency weights: the same curve as the rows
 * repeated, in another input order and layout. With n_distinct small and n
 * large the segments take the counting sort (rows scattered by key). */
static void check_weights_replicate(size_t N, int n_strata, unsigned n_distinct)
{
  double *time = malloc(N * sizeof *time), *weight = malloc(N * sizeof *weight);
  int *status = malloc(N * sizeof *status), *stratum = malloc(N * sizeof *stratum);
  double *rtime = malloc(3 * N * sizeof *rtime);
  int *rstatus = malloc(3 * N * sizeof *rstatus), *rstratum = malloc(3 * N * sizeof *rstratum);
  size_t m = 0;
  unsigned state = 99u;
  for (size_t i = 0; i < N; i++) {
    state = state * 1103515245u + 12345u;
    time[i] = (double) ((state >> 16) % n_distinct);
    status[i] = (int) ((state >> 8) % 3u != 0u);
    stratum[i] = (int) ((state >> 4) % (unsigned) n_strata);
    weight[i] = (double) ((state >> 20) % 4u); /* 0 .. 3, zeros included */
    for (int r = 0; r < (int) weight[i]; r++) {
      rtime[m] = time[i]; rstatus[m] = status[i]; rstratum[m] = stratum[i]; m++;
    }
  }
  ns_km_data weighted = {.n = N, .time = time, .status = status, .weight = weight,
                         .stratum = stratum, .n_strata = n_strata};
  ns_km_data replicated = {.n = m, .time = rtime, .status = rstatus, .stratum = rstratum,
                           .n_strata = n_strata};
  fit_t a, b;
  ck_assert_int_eq(fit(&weighted, NULL, &a), NS_OK);
  ck_assert_int_eq(fit(&replicated, NULL, &b), NS_OK);
  /* Rows of weight 0 still make time points (as in survfit); compare the
   * points with someone at risk or an event. */
  size_t j = 0;
  for (size_t i = 0; i < a.n_times; i++) {
    if (a.curve.n_event[i] + a.curve.n_censor[i] == 0) continue;
    ck_assert_near(a.curve.time[i], b.curve.time[j], 0);
    ck_assert_near(a.curve.n_risk[i], b.curve.n_risk[j], 1e-14);
    ck_assert_near(a.curve.n_event[i], b.curve.n_event[j], 1e-14);
    ck_assert_near(a.curve.surv[i], b.curve.surv[j], 1e-14);
    ck_assert_near_or_inf(a.curve.std_err[i], b.curve.std_err[j], 1e-13);
    ck_assert_near(a.curve.cumhaz[i], b.curve.cumhaz[j], 1e-14);
    ck_assert_near(a.curve.std_chaz[i], b.curve.std_chaz[j], 1e-13);
    j++;
  }
  ck_assert_uint_eq(j, b.n_times);
  fit_free(&a);
  fit_free(&b);
  free(time); free(weight); free(status); free(stratum);
  free(rtime); free(rstatus); free(rstratum);
}

START_TEST(weights_equal_replicated_rows)
{
  check_weights_replicate(300, 3, 40);      /* small segments: insertion, radix */
  check_weights_replicate(20000, 2, 60);    /* few distinct keys: counting sort */
  check_weights_replicate(20000, 1, 20000); /* many distinct keys: radix */
}
END_TEST

/* Strata are independent curves: each equals the fit of its rows alone. */
START_TEST(strata_are_separate_curves)
{
  enum { N = 500, K = 7 };
  double time[N], own_time[N];
  int status[N], stratum[N], own_status[N];
  unsigned state = 7u;
  for (int i = 0; i < N; i++) {
    state = state * 1103515245u + 12345u;
    time[i] = (double) ((state >> 16) % 100u) / 4.0 - 3.0; /* negatives too */
    status[i] = (int) ((state >> 9) & 1u);
    stratum[i] = (int) ((state >> 11) % K);
  }
  ns_km_data data = {.n = N, .time = time, .status = status, .stratum = stratum, .n_strata = K};
  fit_t all;
  ck_assert_int_eq(fit(&data, NULL, &all), NS_OK);
  size_t first = 0;
  for (int s = 0; s < K; s++) {
    size_t m = 0;
    for (int i = 0; i < N; i++)
      if (stratum[i] == s) { own_time[m] = time[i]; own_status[m] = status[i]; m++; }
    ns_km_data one = {.n = m, .time = own_time, .status = own_status, .n_strata = 1};
    fit_t f;
    ck_assert_int_eq(fit(&one, NULL, &f), NS_OK);
    ck_assert_int_eq(all.stratum_rows[s], (int) m);
    ck_assert_uint_eq((size_t) all.stratum_times[s], f.n_times);
    for (size_t i = 0; i < f.n_times; i++) {
      ck_assert_near(all.curve.time[first + i], f.curve.time[i], 0);
      ck_assert_near(all.curve.surv[first + i], f.curve.surv[i], 0);
      ck_assert_near_or_inf(all.curve.std_err[first + i], f.curve.std_err[i], 0);
    }
    first += f.n_times;
    fit_free(&f);
  }
  ck_assert_uint_eq(first, all.n_times);
  fit_free(&all);
}
END_TEST

/* One stratum per row, and a stratum code with no rows at all. */
START_TEST(one_row_per_stratum_and_empty_strata)
{
  const double time[] = {4, 1, 3};
  const int status[] = {1, 0, 1}, stratum[] = {0, 1, 3};
  ns_km_data data = {.n = 3, .time = time, .status = status, .stratum = stratum, .n_strata = 4};
  fit_t f;
  ck_assert_int_eq(fit(&data, NULL, &f), NS_OK);
  ck_assert_uint_eq(f.n_times, 3);
  const int times[] = {1, 1, 0, 1};
  for (int s = 0; s < 4; s++) ck_assert_int_eq(f.stratum_times[s], times[s]);
  ck_assert_near(f.curve.surv[0], 0, 0);
  ck_assert_near(f.curve.surv[1], 1, 0);
  ck_assert_near(f.curve.n_censor[1], 1, 0);
  ck_assert(isinf(f.curve.std_err[0]));
  fit_free(&f);
}
END_TEST

/* Times equal up to rounding error are one time point (aeqSurv's rule). */
START_TEST(time_fix_merges_fuzz)
{
  const double time[] = {0.1 + 0.2, 0.3, 1.0, 1.0 + 1e-13, 2.0};
  const int status[] = {1, 1, 1, 0, 1};
  ns_km_data data = {.n = 5, .time = time, .status = status, .n_strata = 1,
                     .time_fix = 1.4901161193847656e-08};
  fit_t f;
  ck_assert_int_eq(fit(&data, NULL, &f), NS_OK);
  ck_assert_uint_eq(f.n_times, 3);
  ck_assert_near(f.curve.time[0], 0.3, 0);          /* the smaller member */
  ck_assert(f.curve.time[0] == 0.3);
  ck_assert_near(f.curve.n_event[0], 2, 0);
  ck_assert_near(f.curve.n_event[1], 1, 0);
  ck_assert_near(f.curve.n_censor[1], 1, 0);
  fit_free(&f);
  data.time_fix = 0;
  ck_assert_int_eq(fit(&data, NULL, &f), NS_OK);
  ck_assert_uint_eq(f.n_times, 5);
  fit_free(&f);

  /* Same rule across many strata (pooled, then sorted). */
  enum { N = 40 };
  double t2[N];
  int s2[N], st2[N];
  for (int i = 0; i < N; i++) { t2[i] = i % 2 ? 0.3 : 0.1 + 0.2; s2[i] = i; st2[i] = 1; }
  ns_km_data many = {.n = N, .time = t2, .status = st2, .stratum = s2, .n_strata = N,
                     .time_fix = 1.4901161193847656e-08};
  ck_assert_int_eq(fit(&many, NULL, &f), NS_OK);
  for (int i = 0; i < N; i++) ck_assert(f.curve.time[i] == 0.3);
  fit_free(&f);

  /* An interval whose ends merge is refused. */
  const double start[] = {0.0, 1.0}, stop[] = {1.0, 1.0 + 1e-12};
  const int st[] = {1, 1};
  ns_km_data counting = {.n = 2, .time = stop, .start = start, .status = st, .n_strata = 1,
                         .time_fix = 1.4901161193847656e-08};
  ck_assert_int_eq(fit(&counting, NULL, &f), NS_ERR_START_STOP);
}
END_TEST

/* Brute-force infinitesimal jackknife: the influence of each row on S(t)
 * and H(t) summed over the event times, O(n x times). */
static void brute_jackknife(const ns_km_data *data, const fit_t *f, double *se_s, double *se_h)
{
  size_t T = f->n_times, n = data->n;
  for (size_t i = 0; i < T; i++) {
    double v_s = 0, v_h = 0;
    for (size_t k = 0; k < n; k++) {
      double a = 0, b = 0, w = data->weight[k];
      for (size_t j = 0; j <= i; j++) {
        double nj = f->curve.n_risk[j], dj = f->curve.n_event[j], t = f->curve.time[j];
        if (dj <= 0) continue;
        int at_risk = data->time[k] >= t && (!data->start || data->start[k] < t);
        int died = data->time[k] == t && data->status[k] == 1;
        double y = (at_risk ? dj / nj : 0) - (died ? 1 : 0);
        a += y / (nj - dj);
        b += y / nj;
      }
      v_s += w * w * a * a;
      v_h += w * w * b * b;
    }
    se_s[i] = f->curve.surv[i] * sqrt(v_s);
    se_h[i] = sqrt(v_h);
  }
}

START_TEST(jackknife_matches_brute_force)
{
  enum { N = 120 };
  double time[N], start[N], weight[N], se_s[N], se_h[N];
  int status[N];
  unsigned state = 2024u;
  for (int i = 0; i < N; i++) {
    state = state * 1103515245u + 12345u;
    start[i] = (double) ((state >> 16) % 10u);
    time[i] = start[i] + 1.0 + (double) ((state >> 8) % 25u);
    status[i] = (int) ((state >> 4) % 3u != 0u);
    weight[i] = 0.25 + (double) ((state >> 12) % 1000u) / 400.0;
  }
  for (int counting = 0; counting < 2; counting++) {
    ns_km_data data = {.n = N, .time = time, .start = counting ? start : NULL,
                       .status = status, .weight = weight, .n_strata = 1,
                       .variance = NS_KM_JACKKNIFE};
    fit_t f;
    ck_assert_int_eq(fit(&data, NULL, &f), NS_OK);
    brute_jackknife(&data, &f, se_s, se_h);
    for (size_t i = 0; i < f.n_times; i++) {
      if (f.curve.surv[i] > 0) ck_assert_near(f.curve.std_err[i], se_s[i], 1e-12);
      else ck_assert_near(f.curve.std_err[i], 0, 0);
      ck_assert_near(f.curve.std_chaz[i], se_h[i], 1e-12);
    }
    fit_free(&f);
  }
}
END_TEST

START_TEST(rejects_bad_input)
{
  const double time[] = {1, 2, 3}, nan_time[] = {1, NAN, 3}, inf_time[] = {1, 2, INFINITY};
  const double bad_weight[] = {1, -1, 1}, nan_weight[] = {1, 1, NAN};
  const double start[] = {0, 2, 0};
  const int status[] = {1, 0, 1}, bad_status[] = {1, 2, 0};
  const int stratum[] = {0, 1, 2};
  ns_km_work *work = (ns_km_work *) &work; /* must be reset to NULL */
  size_t n_times = 99;
  ns_km_data data = {.n = 3, .time = nan_time, .status = status, .n_strata = 1};
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_TIME);
  ck_assert_ptr_null(work);
  ck_assert_uint_eq(n_times, 0);
  data.time = inf_time;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_TIME);
  data.time = time;
  data.status = bad_status;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_STATUS);
  data.status = status;
  data.weight = bad_weight;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_WEIGHT);
  data.weight = nan_weight;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_WEIGHT);
  data.weight = NULL;
  data.stratum = stratum;
  data.n_strata = 2;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_STRATUM);
  data.stratum = NULL;
  data.n_strata = 1;
  data.start = start;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_START_STOP);
  data.start = NULL;
  data.n_strata = 0;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_ARGUMENT);
  data.n_strata = 1;
  data.variance = (ns_km_variance) 7;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_ERR_ARGUMENT);
  data.variance = NS_KM_GREENWOOD;
  ck_assert_int_eq(ns_km_prepare(NULL, &work, &n_times, NULL, NULL), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_km_prepare(&data, NULL, &n_times, NULL, NULL), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_km_estimate(NULL, NULL, NULL, NULL), NS_ERR_ARGUMENT);
  ns_km_free(NULL);

  /* No rows: no time points, not an error. */
  data.n = 0;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, NULL, NULL), NS_OK);
  ck_assert_uint_eq(n_times, 0);
  ns_km_free(work);
}
END_TEST

/* The callback is consulted on large inputs and stops the work cleanly. */
START_TEST(callback_interrupts)
{
  size_t n = ((size_t) 1 << 20) + 5;
  double *time = malloc(n * sizeof *time);
  int *status = malloc(n * sizeof *status);
  for (size_t i = 0; i < n; i++) { time[i] = (double) (i % 1000); status[i] = (int) (i % 2); }
  ns_km_data data = {.n = n, .time = time, .status = status, .n_strata = 1};
  ns_km_work *work = NULL;
  size_t n_times = 0;
  int calls = 0;
  ck_assert_int_eq(ns_km_prepare(&data, &work, &n_times, stop_now, &calls), NS_ERR_INTERRUPTED);
  ck_assert_int_eq(calls, 1);
  ck_assert_ptr_null(work);
  free(time);
  free(status);
}
END_TEST

Suite *make_suite(void)
{
  Suite *suite = suite_create("km");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, textbook_six_rows);
  tcase_add_test(tc, counting_process_by_hand);
  tcase_add_test(tc, weights_equal_replicated_rows);
  tcase_add_test(tc, strata_are_separate_curves);
  tcase_add_test(tc, one_row_per_stratum_and_empty_strata);
  tcase_add_test(tc, time_fix_merges_fuzz);
  tcase_add_test(tc, jackknife_matches_brute_force);
  tcase_add_test(tc, rejects_bad_input);
  tcase_add_test(tc, callback_interrupts);
  suite_add_tcase(suite, tc);
  return suite;
}
