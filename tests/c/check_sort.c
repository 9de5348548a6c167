/* check_sort.c -- ns_sort_order against hand-made cases and a brute-force
 * stable sort. */
#include <math.h>
#include <stdlib.h>

#include "netsurv.h"
#include "check_main.h"

START_TEST(sorts_times_stably)
{
  const double time[] = {3.0, 1.0, 2.0, 1.0, -0.0, 0.0, -5.5, 1e300};
  int order[8];
  const int expected[] = {6, 4, 5, 1, 3, 2, 0, 7}; /* -0.0 and 0.0 tie */
  ck_assert_int_eq(ns_sort_order(8, NULL, time, order), NS_OK);
  for (int i = 0; i < 8; i++) ck_assert_int_eq(order[i], expected[i]);
}
END_TEST

START_TEST(sorts_by_stratum_then_time)
{
  const double time[] = {5, 1, 4, 2, 3, 1};
  const int stratum[] = {1, 1, 0, 0, 1, 0};
  int order[6];
  const int expected[] = {5, 3, 2, 1, 4, 0};
  ck_assert_int_eq(ns_sort_order(6, stratum, time, order), NS_OK);
  for (int i = 0; i < 6; i++) ck_assert_int_eq(order[i], expected[i]);
}
END_TEST

START_TEST(rejects_bad_input)
{
  const double bad_time[] = {1.0, NAN, 2.0};
  const double time[] = {1.0, 2.0, 3.0};
  const int bad_stratum[] = {0, -1, 0};
  int order[3];
  ck_assert_int_eq(ns_sort_order(3, NULL, bad_time, order), NS_ERR_TIME);
  ck_assert_int_eq(ns_sort_order(3, bad_stratum, time, order), NS_ERR_STRATUM);
  ck_assert_int_eq(ns_sort_order(3, NULL, NULL, order), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_sort_order(0, NULL, NULL, NULL), NS_OK);
}
END_TEST

/* Compare with insertion sort (stable by construction) on random data with
 * many ties, wide strata codes and values of every sign and magnitude. */
START_TEST(matches_brute_force)
{
  enum { N = 2000 };
  double *time = malloc(N * sizeof *time);
  int *stratum = malloc(N * sizeof *stratum);
  int *order = malloc(N * sizeof *order);
  int *brute = malloc(N * sizeof *brute);
  unsigned state = 12345u;
  for (int i = 0; i < N; i++) {
    state = state * 1103515245u + 12345u;
    int r = (int) ((state >> 16) % 200u) - 100;
    time[i] = (i % 3 == 0) ? r * 1e-3 : (double) r * 1e5;
    stratum[i] = (int) ((state >> 8) % 5u) * 400000; /* needs all digits */
    brute[i] = i;
  }
  for (int i = 1; i < N; i++) {
    int v = brute[i], j = i - 1;
    while (j >= 0 && (stratum[brute[j]] > stratum[v] ||
                      (stratum[brute[j]] == stratum[v] && time[brute[j]] > time[v]))) {
      brute[j + 1] = brute[j];
      j--;
    }
    brute[j + 1] = v;
  }
  ck_assert_int_eq(ns_sort_order(N, stratum, time, order), NS_OK);
  for (int i = 0; i < N; i++) ck_assert_int_eq(order[i], brute[i]);
  free(time); free(stratum); free(order); free(brute);
}
END_TEST

START_TEST(time_fix_merges_fuzz)
{
  const double time[] = {0.30000000000000004, 0.3, 2.0, 1.0, 1.0 + 1e-12};
  double out[5];
  int changed = 0;
  ck_assert_int_eq(ns_time_fix(5, time, NULL, 1.4901161193847656e-08, out, NULL,
                               &changed), NS_OK);
  ck_assert_int_eq(changed, 1);
  ck_assert(out[0] == 0.3 && out[1] == 0.3 && out[2] == 2.0);
  ck_assert(out[3] == 1.0 && out[4] == 1.0);
  /* no tolerance: a plain copy */
  ck_assert_int_eq(ns_time_fix(5, time, NULL, 0.0, out, NULL, &changed), NS_OK);
  ck_assert_int_eq(changed, 0);
  ck_assert(out[0] == time[0]);
}
END_TEST

START_TEST(time_fix_rejects_collapsed_interval)
{
  const double stop[] = {1.0 + 1e-12, 3.0};
  const double start[] = {1.0, 0.0};
  double stop_out[2], start_out[2];
  ck_assert_int_eq(ns_time_fix(2, stop, start, 1.4901161193847656e-08, stop_out,
                               start_out, NULL), NS_ERR_START_STOP);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("sort");
  TCase *tc = tcase_create("sort");
  tcase_add_test(tc, sorts_times_stably);
  tcase_add_test(tc, sorts_by_stratum_then_time);
  tcase_add_test(tc, rejects_bad_input);
  tcase_add_test(tc, matches_brute_force);
  tcase_add_test(tc, time_fix_merges_fuzz);
  tcase_add_test(tc, time_fix_rejects_collapsed_interval);
  suite_add_tcase(s, tc);
  return s;
}
