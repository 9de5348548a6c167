/* check_km_options.c -- ns_km_apply_options (km_options.c) against hand
 * computations, km.c's own per-row jackknife, a brute-force O(times x
 * clusters) version of survfit's robust recursion, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"
#include "check_km_fixture.h"

/* Five rows, three tied deaths at 2: n = 5 at 1 (one death), n = 4 at 2.
 * Fleming-Harrington: H(1) = 1/5, var 1/25; at 2 (d0 = 3, d = 3, n = 4)
 * H += 1/4 + 1/3 + 1/2, var += 1/16 + 1/9 + 1/4. stype 2: S = exp(-H). */
START_TEST(fleming_harrington_by_hand)
{
  const double time[] = {1, 2, 2, 2, 3};
  const int status[] = {1, 1, 1, 1, 0};
  ns_km_data data = {.n = 5, .time = time, .status = status, .n_strata = 1};
  ns_km_options opt = {2, 2, 0};
  fit_t f;
  ck_assert_int_eq(fit(&data, &opt, &f), NS_OK);
  ck_assert_uint_eq(f.n_times, 3);
  double h1 = 0.2, h2 = 0.2 + 0.25 + 1.0 / 3 + 0.5;
  double v2 = 0.04 + 1.0 / 16 + 1.0 / 9 + 0.25;
  ck_assert_near(f.curve.cumhaz[0], h1, 1e-15);
  ck_assert_near(f.curve.cumhaz[1], h2, 1e-15);
  ck_assert_near(f.curve.cumhaz[2], h2, 1e-15);
  ck_assert_near(f.curve.std_chaz[1], sqrt(v2), 1e-15);
  ck_assert_near(f.curve.surv[1], exp(-h2), 1e-15);
  ck_assert_near(f.curve.std_err[1], sqrt(v2), 1e-15);
  fit_free(&f);
}
END_TEST

/* Brute force, one stratum, ctype 1: survfit's recursion over every time
 * point and every cluster (U on S, V on H). */
static void brute_robust(size_t n, const double *start, const double *stop, const int *status,
                         const double *w, const int *cl, int n_cl, const fit_t *f,
                         double *se_s, double *se_h)
{
  double *U = calloc((size_t) n_cl, sizeof *U), *V = calloc((size_t) n_cl, sizeof *V);
  double *R = calloc((size_t) n_cl, sizeof *R), *D = calloc((size_t) n_cl, sizeof *D);
  double s_minus = 1.0, vs = 0.0, vh = 0.0;
  for (size_t m = 0; m < f->n_times; m++) {
    double t = f->curve.time[m], nr = f->curve.n_risk[m], d = f->curve.n_event[m];
    if (d > 0) {
      for (int c = 0; c < n_cl; c++) R[c] = D[c] = 0.0;
      for (size_t i = 0; i < n; i++) {
        if ((start ? start[i] < t : 1) && stop[i] >= t) R[cl[i]] += w[i];
        if (stop[i] == t && status[i]) D[cl[i]] += w[i];
      }
      double h = d / nr;
      vs = vh = 0.0;
      for (int c = 0; c < n_cl; c++) {
        U[c] = U[c] * (1 - h) + (R[c] * h - D[c]) * s_minus / nr;
        V[c] -= (R[c] * h - D[c]) / nr;
        vs += U[c] * U[c];
        vh += V[c] * V[c];
      }
      s_minus = f->curve.surv[m];
    }
    se_s[m] = sqrt(vs);
    se_h[m] = sqrt(vh);
  }
  free(U); free(V); free(R); free(D);
}

/* Random data with ties, fractional weights, late entry and clusters of
 * varying size: the O(n) update equals the brute force; with one cluster
 * per row it equals km.c's per-row jackknife. */
START_TEST(robust_matches_brute_force)
{
  enum { N = 300 };
  double start[N], stop[N], w[N];
  int status[N], cl[N], own[N];
  unsigned seed = 12345u;
  for (int rep = 0; rep < 6; rep++) {
    int counting = rep % 2, n_cl = rep < 2 ? 3 : rep < 4 ? 40 : N;
    for (int i = 0; i < N; i++) {
      seed = seed * 1103515245u + 12345u;
      stop[i] = 1.0 + (double) ((seed >> 8) % 30);
      start[i] = counting ? stop[i] - 1.0 - (double) ((seed >> 3) % 10) - 0.5 : 0.0;
      status[i] = (int) ((seed >> 16) % 5 < 3);
      w[i] = 0.25 + (double) ((seed >> 20) % 8) / 4.0;
      cl[i] = n_cl == N ? i : (int) ((seed >> 12) % (unsigned) n_cl);
      own[i] = i;
    }
    ns_km_data data = {.n = N, .time = stop, .start = counting ? start : NULL, .status = status,
                       .weight = w, .n_strata = 1, .cluster = cl, .n_clusters = n_cl};
    ns_km_options opt = {1, 1, 1};
    fit_t f;
    ck_assert_int_eq(fit(&data, &opt, &f), NS_OK);
    double *se_s = malloc(f.n_times * sizeof *se_s), *se_h = malloc(f.n_times * sizeof *se_h);
    brute_robust(N, counting ? start : NULL, stop, status, w, cl, n_cl, &f, se_s, se_h);
    for (size_t m = 0; m < f.n_times; m++) {
      ck_assert_near(f.curve.std_err[m], se_s[m], 1e-12);
      ck_assert_near(f.curve.std_chaz[m], se_h[m], 1e-12);
    }
    /* one cluster per row = km.c's jackknife */
    ns_km_data rows = data;
    rows.cluster = own;
    rows.n_clusters = N;
    fit_t a, b;
    ck_assert_int_eq(fit(&rows, &opt, &a), NS_OK);
    ns_km_data jack = data;
    jack.cluster = NULL;
    jack.n_clusters = 0;
    jack.variance = NS_KM_JACKKNIFE;
    ck_assert_int_eq(fit(&jack, NULL, &b), NS_OK);
    for (size_t m = 0; m < a.n_times; m++) {
      ck_assert_near(a.curve.std_err[m], b.curve.std_err[m], 1e-12);
      ck_assert_near(a.curve.std_chaz[m], b.curve.std_chaz[m], 1e-12);
    }
    free(se_s); free(se_h);
    fit_free(&f); fit_free(&a); fit_free(&b);
  }
}
END_TEST

/* One cluster holding a whole stratum: every influence cancels to 0. */
START_TEST(one_cluster_per_stratum_is_zero)
{
  enum { N = 200 };
  double time[N];
  int status[N], stratum[N], cl[N];
  for (int i = 0; i < N; i++) {
    time[i] = 1.0 + (i * 7) % 23;
    status[i] = i % 3 != 0;
    stratum[i] = i % 2;
    cl[i] = i % 2;
  }
  for (int ctype = 1; ctype <= 2; ctype++) {
    ns_km_data data = {.n = N, .time = time, .status = status, .stratum = stratum,
                       .n_strata = 2, .cluster = cl, .n_clusters = 2};
    ns_km_options opt = {1, ctype, 1};
    fit_t f;
    ck_assert_int_eq(fit(&data, &opt, &f), NS_OK);
    for (size_t m = 0; m < f.n_times; m++) {
      ck_assert_msg(f.curve.std_err[m] < 1e-13, "std_err %g", f.curve.std_err[m]);
      ck_assert_msg(f.curve.std_chaz[m] < 1e-13, "std_chaz %g", f.curve.std_chaz[m]);
    }
    fit_free(&f);
  }
}
END_TEST

/* Subject flags: a censoring counts only at a last interval (bit 2). */
START_TEST(subject_flags_count_last_intervals)
{
  const double start[] = {0, 5, 0, 0};
  const double stop[] = {5, 9, 5, 9};
  const int status[] = {0, 1, 0, 0};
  const int position[] = {1, 2, 3, 3}; /* row 0 continues as row 1 */
  ns_km_data data = {.n = 4, .time = stop, .start = start, .status = status, .n_strata = 1,
                     .position = position};
  ns_km_options opt = {1, 1, 0};
  fit_t f;
  ck_assert_int_eq(fit(&data, &opt, &f), NS_OK);
  ck_assert_uint_eq(f.n_times, 2);
  ck_assert_near(f.curve.n_censor[0], 1.0, 0); /* row 2 only */
  ck_assert_near(f.curve.n_censor[1], 1.0, 0);
  ck_assert_near(f.curve.n_enter[0], 3.0, 0);  /* rows 0, 2, 3: row 1 is no entry */
  ck_assert_near(f.curve.n_enter[1], 0.0, 0);
  fit_free(&f);
}
END_TEST

START_TEST(rejects_bad_input)
{
  const double time[] = {1, 2, 3};
  const int status[] = {1, 0, 1};
  int cl[] = {0, 1, 2};
  ns_km_data data = {.n = 3, .time = time, .status = status, .n_strata = 1, .cluster = cl,
                     .n_clusters = 2}; /* code 2 is out of range */
  ns_km_options robust = {1, 1, 1};
  fit_t f;
  ck_assert_int_eq(fit(&data, &robust, &f), NS_ERR_ARGUMENT);
  fit_free(&f);
  data.cluster = NULL;
  data.n_clusters = 0;
  ck_assert_int_eq(fit(&data, &robust, &f), NS_ERR_ARGUMENT); /* robust needs clusters */
  fit_free(&f);
  ns_km_options bad = {3, 1, 0};
  ck_assert_int_eq(fit(&data, &bad, &f), NS_ERR_ARGUMENT);
  fit_free(&f);
  ck_assert_int_eq(ns_km_apply_options(NULL, NULL, NULL, NULL, NULL), NS_ERR_ARGUMENT);
}
END_TEST

Suite *make_suite(void)
{
  Suite *suite = suite_create("km_options");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, fleming_harrington_by_hand);
  tcase_add_test(tc, robust_matches_brute_force);
  tcase_add_test(tc, one_cluster_per_stratum_is_zero);
  tcase_add_test(tc, subject_flags_count_last_intervals);
  tcase_add_test(tc, rejects_bad_input);
  suite_add_tcase(suite, tc);
  return suite;
}
