/* check_logrank.c -- ns_logrank_test against hand computations, and
 * ns_logrank_permutation against brute-force enumeration. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "internal.h" /* ns_time_fix */
#include "check_main.h"

/* Four rows: A dies at 1 and 3, B dies at 2 and is censored at 4. By hand
 * (see the comments in each test) with n at risk, r_A in group A, d = 1. */
static const double tiny_time[] = {3, 1, 4, 2};
static const int tiny_status[] = {1, 1, 0, 1};
static const int tiny_group[] = {0, 0, 1, 1};

START_TEST(log_rank_by_hand)
{
  double obs[2], exp[2], var[4], chisq;
  int df;
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, tiny_group, NULL, 2, 1,
                                   0, 0, obs, exp, var, &chisq, &df), NS_OK);
  /* t=1: n=4, r_A=2: E_A 1/2, V 1/4; t=2: n=3, r_A=1: 1/3, 2/9; t=3: n=2,
   * r_A=1: 1/2, 1/4. */
  ck_assert_near(obs[0], 2, 1e-14);
  ck_assert_near(obs[1], 1, 1e-14);
  ck_assert_near(exp[0], 4.0 / 3, 1e-14);
  ck_assert_near(exp[1], 5.0 / 3, 1e-14);
  ck_assert_near(var[0], 13.0 / 18, 1e-14);
  ck_assert_near(var[1], -13.0 / 18, 1e-14);
  ck_assert_near(var[2], -13.0 / 18, 1e-14);
  ck_assert_near(var[3], 13.0 / 18, 1e-14);
  ck_assert_near(chisq, 8.0 / 13, 1e-14);
  ck_assert_int_eq(df, 1);
}
END_TEST

START_TEST(fleming_harrington_by_hand)
{
  double obs[2], exp[2], var[4], chisq;
  int df;
  /* rho = 1: S(t-) = 1, 3/4, 1/2 weight the three event times. */
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, tiny_group, NULL, 2, 1,
                                   1, 0, obs, exp, var, &chisq, &df), NS_OK);
  ck_assert_near(obs[0], 1.5, 1e-14);
  ck_assert_near(obs[1], 0.75, 1e-14);
  ck_assert_near(exp[0], 1.0, 1e-14);
  ck_assert_near(exp[1], 1.25, 1e-14);
  ck_assert_near(var[0], 0.4375, 1e-14);
  ck_assert_near(chisq, 4.0 / 7, 1e-14);
  /* gamma = 1: weights 1 - S(t-) = 0, 1/4, 1/2. */
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, tiny_group, NULL, 2, 1,
                                   0, 1, obs, exp, var, &chisq, &df), NS_OK);
  ck_assert_near(obs[0], 0.5, 1e-14);
  ck_assert_near(obs[1], 0.25, 1e-14);
  ck_assert_near(exp[0], 1.0 / 3, 1e-14);
  ck_assert_near(exp[1], 5.0 / 12, 1e-14);
  ck_assert_near(var[0], 11.0 / 144, 1e-14);
  ck_assert_near(chisq, 4.0 / 11, 1e-14);
  ck_assert_int_eq(df, 1);
}
END_TEST

/* Two deaths and a censoring tied at t = 2: at risk 5, d = 2, the censored
 * row is at risk. Hypergeometric variance 2 * 3 / 4 * (2/5)(3/5). */
START_TEST(ties_use_the_hypergeometric_variance)
{
  const double time[] = {2, 2, 2, 5, 6};
  const int status[] = {1, 1, 0, 1, 0};
  const int group[] = {0, 1, 1, 0, 1};
  double obs[2], exp[2], var[4], chisq;
  int df;
  ck_assert_int_eq(ns_logrank_test(5, time, status, group, NULL, 2, 1, 0, 0, obs, exp,
                                   var, &chisq, &df), NS_OK);
  /* t=2: n=5, r_A=2, d=2: E_A 4/5, V 2*3/4*(2/5)(3/5) = 9/25.
   * t=5: n=2, r_A=1, d=1: E_A 1/2, V 1/4. */
  ck_assert_near(obs[0], 2, 1e-14);
  ck_assert_near(exp[0], 0.8 + 0.5, 1e-14);
  ck_assert_near(var[0], 9.0 / 25 + 0.25, 1e-14);
  ck_assert_near(chisq, 0.49 / (9.0 / 25 + 0.25), 1e-13);
}
END_TEST

/* Strata are separate tests whose (O - E) and V add. */
START_TEST(strata_add_up)
{
  const double time[] = {3, 1, 4, 2, 3, 1, 4, 2};
  const int status[] = {1, 1, 0, 1, 1, 1, 0, 1};
  const int group[] = {0, 0, 1, 1, 0, 0, 1, 1};
  const int stratum[] = {0, 0, 0, 0, 1, 1, 1, 1};
  double obs[4], exp[4], var[4], chisq;
  int df;
  ck_assert_int_eq(ns_logrank_test(8, time, status, group, stratum, 2, 2, 0, 0, obs, exp,
                                   var, &chisq, &df), NS_OK);
  ck_assert_near(exp[0], 4.0 / 3, 1e-14);  /* group 0, stratum 0 */
  ck_assert_near(exp[2], 4.0 / 3, 1e-14);  /* group 0, stratum 1 */
  ck_assert_near(obs[3], 1, 1e-14);
  ck_assert_near(var[0], 2 * 13.0 / 18, 1e-14);
  ck_assert_near(chisq, 2 * 8.0 / 13, 1e-13);
  /* Pooled, the two copies are one data set with doubled ties. */
  ck_assert_int_eq(ns_logrank_test(8, time, status, group, NULL, 2, 1, 0, 0, obs, exp,
                                   var, &chisq, &df), NS_OK);
  ck_assert_near(exp[0], 4.0 / 3 * 2, 1e-14);
}
END_TEST

/* time_fix > 0 merges fuzz-tied times in the core, on the distinct (stratum,
 * time) pairs: the same numbers, bit for bit, as ns_time_fix on the rows and
 * then the plain test -- on a hand case and on 3000 rows with few distinct
 * times (the hashing path of the ranking), with strata. */
static void expect_fix_in_core(size_t n, const double *time, const int *status,
                               const int *group, const int *stratum, int G, int S,
                               double rho, double gamma)
{
  const double tol = 1.4901161193847656e-08;
  double *fixed = malloc(n * sizeof *fixed);
  double o1[12], e1[12], v1[9], o2[12], e2[12], v2[9], c1, c2;
  int d1, d2, changed = 0;
  ck_assert_int_eq(ns_time_fix(n, time, NULL, tol, fixed, NULL, &changed, NULL), NS_OK);
  ck_assert_int_eq(changed, 1);
  ck_assert_int_eq(ns_logrank_test(n, fixed, status, group, stratum, G, S, rho, gamma, o1, e1,
                                   v1, &c1, &d1), NS_OK);
  ck_assert_int_eq(ns_logrank_test_cb(n, time, status, group, stratum, G, S, rho, gamma, tol,
                                      o2, e2, v2, &c2, &d2, NULL, NULL), NS_OK);
  ck_assert(memcmp(o1, o2, (size_t) (G * S) * sizeof *o1) == 0);
  ck_assert(memcmp(e1, e2, (size_t) (G * S) * sizeof *e1) == 0);
  ck_assert(memcmp(v1, v2, (size_t) (G * G) * sizeof *v1) == 0);
  ck_assert(c1 == c2 && d1 == d2);
  /* without the merge the test differs (the fuzz really splits ties) */
  ck_assert_int_eq(ns_logrank_test_cb(n, time, status, group, stratum, G, S, rho, gamma, 0.0,
                                      o2, e2, v2, &c2, &d2, NULL, NULL), NS_OK);
  ck_assert(c1 != c2);
  free(fixed);
}

START_TEST(time_fix_in_the_core)
{
  /* 0.1 + 0.2 and 0.3 are one time; 2 and 2 + 1e-12 too, across strata */
  const double time[] = {0.1 + 0.2, 0.3, 1, 2, 0.3, 5, 0.7 - 0.4, 2 + 1e-12, 2, 1};
  const int status[] = {1, 1, 0, 1, 1, 1, 0, 1, 1, 1};
  const int group[] = {0, 1, 0, 1, 0, 1, 1, 0, 0, 1};
  const int stratum[] = {0, 1, 0, 1, 1, 0, 0, 1, 0, 1};
  expect_fix_in_core(10, time, status, group, NULL, 2, 1, 0, 0);
  expect_fix_in_core(10, time, status, group, stratum, 2, 2, 1, 0.5);

  enum { N = 3000 };
  double *t = malloc(N * sizeof *t);
  int *st = malloc(N * sizeof *st), *g = malloc(N * sizeof *g), *s = malloc(N * sizeof *s);
  uint64_t x = 12345;
  for (size_t i = 0; i < N; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    t[i] = (double) (1 + (x >> 33) % 200) * (1.0 + (double) (i % 3) * 1e-12);
    st[i] = (int) ((x >> 20) & 1u);
    g[i] = (int) ((x >> 40) % 3u);
    s[i] = (int) ((x >> 50) % 4u);
  }
  expect_fix_in_core(N, t, st, g, NULL, 3, 1, 0, 0);
  expect_fix_in_core(N, t, st, g, s, 3, 4, 0.5, 1);
  free(t); free(st); free(g); free(s);

  /* the tolerance must be a finite number >= 0 */
  double obs[2], exp[2], var[4], chisq;
  int df;
  ck_assert_int_eq(ns_logrank_test_cb(10, time, status, group, NULL, 2, 1, 0, 0, -1.0, obs, exp,
                                      var, &chisq, &df, NULL, NULL), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_logrank_test_cb(10, time, status, group, NULL, 2, 1, 0, 0, NAN, obs, exp,
                                      var, &chisq, &df, NULL, NULL), NS_ERR_ARGUMENT);
}
END_TEST

/* A group with no one at risk at any event has expected 0 and leaves the
 * statistic; groups nested in strata make V singular and df its rank. */
START_TEST(zero_expected_and_singular_variance)
{
  const double time[] = {3, 1, 4, 2, 0.5, 0.25};
  const int status[] = {1, 1, 0, 1, 0, 0};
  const int group[] = {0, 0, 1, 1, 2, 2};
  double obs[3], exp[3], var[9], chisq;
  int df;
  ck_assert_int_eq(ns_logrank_test(6, time, status, group, NULL, 3, 1, 0, 0, obs, exp,
                                   var, &chisq, &df), NS_OK);
  ck_assert_near(exp[2], 0, 0);
  ck_assert_near(chisq, 8.0 / 13, 1e-13);
  ck_assert_int_eq(df, 1);

  const double t2[] = {3, 1, 4, 2, 3, 1, 4, 2};
  const int s2[] = {1, 1, 0, 1, 1, 1, 0, 1};
  const int g2[] = {0, 0, 1, 1, 2, 2, 3, 3};
  const int st2[] = {0, 0, 0, 0, 1, 1, 1, 1};
  double o4[8], e4[8], v4[16];
  ck_assert_int_eq(ns_logrank_test(8, t2, s2, g2, st2, 4, 2, 0, 0, o4, e4, v4, &chisq,
                                   &df), NS_OK);
  ck_assert_int_eq(df, 2);
  ck_assert_near(chisq, 2 * 8.0 / 13, 1e-12);
}
END_TEST

START_TEST(rejects_bad_input)
{
  double obs[4], exp[4], var[4], chisq;
  int df;
  const int one_group[] = {1, 1, 1, 1};
  const int no_events[] = {0, 0, 0, 0};
  const int bad_status[] = {1, 2, 0, 1};
  const int bad_group[] = {0, 2, 1, 1};
  const int bad_stratum[] = {0, 0, 3, 0};
  const double bad_time[] = {1, NAN, 2, 3};
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, one_group, NULL, 2, 1, 0, 0,
                                   obs, exp, var, &chisq, &df), NS_ERR_ONE_GROUP);
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, tiny_group, NULL, 1, 1, 0, 0,
                                   obs, exp, var, &chisq, &df), NS_ERR_ONE_GROUP);
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, no_events, tiny_group, NULL, 2, 1, 0, 0,
                                   obs, exp, var, &chisq, &df), NS_ERR_NO_EVENTS);
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, bad_status, tiny_group, NULL, 2, 1, 0, 0,
                                   obs, exp, var, &chisq, &df), NS_ERR_STATUS);
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, bad_group, NULL, 2, 1, 0, 0,
                                   obs, exp, var, &chisq, &df), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, tiny_group, bad_stratum, 2,
                                   2, 0, 0, obs, exp, var, &chisq, &df), NS_ERR_STRATUM);
  ck_assert_int_eq(ns_logrank_test(4, bad_time, tiny_status, tiny_group, NULL, 2, 1, 0, 0,
                                   obs, exp, var, &chisq, &df), NS_ERR_TIME);
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, tiny_group, NULL, 2, 1, -1,
                                   0, obs, exp, var, &chisq, &df), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_logrank_test(4, tiny_time, tiny_status, tiny_group, NULL, 2, 1, 0,
                                   NAN, obs, exp, var, &chisq, &df), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_logrank_test(0, tiny_time, tiny_status, tiny_group, NULL, 2, 1, 0, 0,
                                   obs, exp, var, &chisq, &df), NS_ERR_ARGUMENT);
  double p, se;
  size_t m;
  int enumerated;
  ck_assert_int_eq(ns_logrank_permutation(4, tiny_time, tiny_status, tiny_group, NULL, 2, 1,
                                          0, 0, 0.0, 0, 1, NULL, NULL, &chisq, &p, &se, &m,
                                          &enumerated), NS_ERR_ARGUMENT);
}
END_TEST

/* Nine rows, 4 in group 0: 126 arrangements. Brute force walks every
 * 4-subset by bitmask and runs the test on it. */
static const double small_time[] = {6, 7, 9, 10, 11, 13, 15, 16, 19};
static const int small_status[] = {1, 1, 0, 1, 1, 1, 0, 1, 1};
static const int small_group[] = {0, 0, 0, 0, 1, 1, 1, 1, 1};

static double brute_force_p(double *t_obs)
{
  double obs[2], exp[2], var[4], chisq;
  int df, group[9];
  ns_logrank_test(9, small_time, small_status, small_group, NULL, 2, 1, 0, 0, obs, exp,
                  var, t_obs, &df);
  int total = 0, hits = 0;
  for (unsigned mask = 0; mask < 512u; mask++) {
    int ones = 0;
    for (int i = 0; i < 9; i++) ones += (mask >> i) & 1u;
    if (ones != 5) continue;
    for (int i = 0; i < 9; i++) group[i] = (mask >> i) & 1u;
    ns_logrank_test(9, small_time, small_status, group, NULL, 2, 1, 0, 0, obs, exp, var,
                    &chisq, &df);
    total++;
    hits += chisq >= *t_obs - 1e-9 * (1 + *t_obs);
  }
  ck_assert_int_eq(total, 126);
  return (double) hits / total;
}

START_TEST(enumeration_matches_brute_force)
{
  double t_brute, chisq, p, se;
  double p_brute = brute_force_p(&t_brute);
  size_t m;
  int enumerated;
  ck_assert_int_eq(ns_logrank_permutation(9, small_time, small_status, small_group, NULL, 2,
                                          1, 0, 0, 0.0, 126, 7, NULL, NULL, &chisq, &p, &se, &m,
                                          &enumerated), NS_OK);
  ck_assert_int_eq(enumerated, 1);
  ck_assert_uint_eq(m, 126);
  ck_assert_near(chisq, t_brute, 1e-14);
  ck_assert_near(p, p_brute, 1e-14);
  ck_assert_near(se, 0, 0);
}
END_TEST

START_TEST(monte_carlo_is_reproducible_and_close)
{
  double chisq, p1, p2, p3, se;
  double t_brute, p_brute = brute_force_p(&t_brute);
  size_t m;
  int enumerated;
  /* B = 20000 > 126 would enumerate; B = 125 forces sampling. */
  ck_assert_int_eq(ns_logrank_permutation(9, small_time, small_status, small_group, NULL, 2,
                                          1, 0, 0, 0.0, 125, 42, NULL, NULL, &chisq, &p1, &se, &m,
                                          &enumerated), NS_OK);
  ck_assert_int_eq(enumerated, 0);
  ck_assert_uint_eq(m, 125);
  ck_assert_int_eq(ns_logrank_permutation(9, small_time, small_status, small_group, NULL, 2,
                                          1, 0, 0, 0.0, 125, 42, NULL, NULL, &chisq, &p2, &se, &m,
                                          &enumerated), NS_OK);
  ck_assert(p1 == p2);
  ck_assert(fabs(p1 - p_brute) < 4 * se + 0.01);
  ck_assert(se > 0);
  ck_assert_int_eq(ns_logrank_permutation(9, small_time, small_status, small_group, NULL, 2,
                                          1, 0, 0, 0.0, 125, 43, NULL, NULL, &chisq, &p3, &se, &m,
                                          &enumerated), NS_OK);
  ck_assert(fabs(p3 - p_brute) < 4 * se + 0.01);
}
END_TEST

/* Within strata: 2 strata of 4 rows with 2 + 2 labels give 6 * 6 = 36. */
START_TEST(enumeration_within_strata)
{
  const double time[] = {3, 1, 4, 2, 3, 1, 4, 2};
  const int status[] = {1, 1, 0, 1, 1, 1, 0, 1};
  const int group[] = {0, 0, 1, 1, 0, 1, 0, 1};
  const int stratum[] = {0, 0, 0, 0, 1, 1, 1, 1};
  double chisq, p, se;
  size_t m;
  int enumerated;
  ck_assert_int_eq(ns_logrank_permutation(8, time, status, group, stratum, 2, 2, 0.5, 0.5, 0.0,
                                          36, 1, NULL, NULL, &chisq, &p, &se, &m,
                                          &enumerated), NS_OK);
  ck_assert_int_eq(enumerated, 1);
  ck_assert_uint_eq(m, 36);
  ck_assert(p > 0 && p <= 1);
  ck_assert_int_eq(ns_logrank_permutation(8, time, status, group, stratum, 2, 2, 0.5, 0.5, 0.0,
                                          35, 1, NULL, NULL, &chisq, &p, &se, &m,
                                          &enumerated), NS_OK);
  ck_assert_int_eq(enumerated, 0);
}
END_TEST

typedef struct {
  int calls;
  double last;
  int stop_after;
} progress_log;

static int log_progress(void *context, double fraction)
{
  progress_log *log = context;
  ck_assert(fraction >= log->last);
  log->last = fraction;
  log->calls++;
  return log->stop_after > 0 && log->calls >= log->stop_after;
}

START_TEST(callback_reports_and_interrupts)
{
  double chisq, p, se;
  size_t m;
  int enumerated;
  progress_log log = {0, 0.0, 0};
  ck_assert_int_eq(ns_logrank_permutation(9, small_time, small_status, small_group, NULL, 2,
                                          1, 0, 0, 0.0, 100, 5, log_progress, &log, &chisq, &p,
                                          &se, &m, &enumerated), NS_OK);
  ck_assert(log.calls >= 1);
  ck_assert_near(log.last, 1.0, 0);
  /* 40 rows, 20 per group: C(40, 20) arrangements, so B = 10^6 samples, and
   * the first callback (after ~2^20 / 41 permutations) stops the run. */
  double time[40];
  int status[40], group[40];
  for (int i = 0; i < 40; i++) {
    time[i] = 1 + i % 13;
    status[i] = i % 3 != 0;
    group[i] = i % 2;
  }
  progress_log stop = {0, 0.0, 1};
  ck_assert_int_eq(ns_logrank_permutation(40, time, status, group, NULL, 2, 1, 0, 0, 0.0,
                                          1000000, 5, log_progress, &stop, &chisq, &p, &se,
                                          &m, &enumerated), NS_ERR_INTERRUPTED);
  ck_assert_int_eq(stop.calls, 1);
  ck_assert(stop.last < 0.1);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("logrank");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, log_rank_by_hand);
  tcase_add_test(tc, fleming_harrington_by_hand);
  tcase_add_test(tc, ties_use_the_hypergeometric_variance);
  tcase_add_test(tc, strata_add_up);
  tcase_add_test(tc, time_fix_in_the_core);
  tcase_add_test(tc, zero_expected_and_singular_variance);
  tcase_add_test(tc, rejects_bad_input);
  tcase_add_test(tc, enumeration_matches_brute_force);
  tcase_add_test(tc, monte_carlo_is_reproducible_and_close);
  tcase_add_test(tc, enumeration_within_strata);
  tcase_add_test(tc, callback_reports_and_interrupts);
  suite_add_tcase(s, tc);
  return s;
}
