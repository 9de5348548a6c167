/* check_sort.c -- ns_sort_order against hand-made cases and a brute-force
 * stable sort. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"
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
                               &changed, NULL), NS_OK);
  ck_assert_int_eq(changed, 1);
  ck_assert(out[0] == 0.3 && out[1] == 0.3 && out[2] == 2.0);
  ck_assert(out[3] == 1.0 && out[4] == 1.0);
  /* no tolerance: a plain copy */
  ck_assert_int_eq(ns_time_fix(5, time, NULL, 0.0, out, NULL, &changed, NULL), NS_OK);
  ck_assert_int_eq(changed, 0);
  ck_assert(out[0] == time[0]);
}
END_TEST

START_TEST(time_fix_rejects_collapsed_interval)
{
  const double stop[] = {3.0, 1.0 + 1e-12, 2.0 + 1e-12};
  const double start[] = {0.0, 1.0, 2.0};
  double stop_out[3], start_out[3];
  size_t bad_row = 99;
  ck_assert_int_eq(ns_time_fix(3, stop, start, 1.4901161193847656e-08, stop_out,
                               start_out, NULL, &bad_row), NS_ERR_START_STOP);
  ck_assert_uint_eq(bad_row, 1); /* the first collapsed interval, 0-based */
  /* an intact interval reports no row */
  bad_row = 99;
  ck_assert_int_eq(ns_time_fix(1, stop, start, 1.4901161193847656e-08, stop_out,
                               start_out, NULL, &bad_row), NS_OK);
  ck_assert_uint_eq(bad_row, 99);
}
END_TEST

/* ---- ns_rank_distinct (and ns_sort_order on the same data) ---------------- */

typedef struct {
  const int *stratum;
  const double *time;
} pair_data;

static const pair_data *cmp_data; /* test-only: qsort has no context argument */

static int cmp_rows(const void *a, const void *b)
{
  int i = *(const int *) a, j = *(const int *) b;
  int si = cmp_data->stratum ? cmp_data->stratum[i] : 0;
  int sj = cmp_data->stratum ? cmp_data->stratum[j] : 0;
  if (si != sj) return si < sj ? -1 : 1;
  double ti = cmp_data->time[i], tj = cmp_data->time[j];
  if (ti != tj) return ti < tj ? -1 : 1; /* -0.0 == 0.0 */
  return i < j ? -1 : (i > j);
}

/* Reference by qsort (ties broken by row: a stable order); checks the ranks,
 * D, first_row and ns_sort_order's order. */
static void check_against_qsort(size_t n, const int *stratum, const double *time)
{
  pair_data data = {stratum, time};
  cmp_data = &data;
  int *ref = malloc((n + 1) * sizeof *ref);
  int *ref_rank = malloc((n + 1) * sizeof *ref_rank);
  int *ref_first = malloc((n + 1) * sizeof *ref_first);
  int *rank = malloc((n + 1) * sizeof *rank);
  int *first = malloc((n + 1) * sizeof *first);
  int *order = malloc((n + 1) * sizeof *order);
  for (size_t i = 0; i < n; i++) ref[i] = (int) i;
  qsort(ref, n, sizeof *ref, cmp_rows);
  size_t d = 0;
  for (size_t k = 0; k < n; k++) {
    if (k == 0 || (stratum && stratum[ref[k]] != stratum[ref[k - 1]]) ||
        time[ref[k]] != time[ref[k - 1]])
      ref_first[d++] = ref[k];
    ref_rank[ref[k]] = (int) d - 1;
  }
  size_t nd = 12345;
  ck_assert_int_eq(ns_rank_distinct(n, stratum, time, rank, &nd, first), NS_OK);
  ck_assert_uint_eq(nd, d);
  /* Count, then assert once: each Check assertion talks to the parent
   * process, too slow for 2e5-element loops. */
  size_t wrong_rank = 0, wrong_first = 0, wrong_order = 0;
  for (size_t i = 0; i < n; i++) wrong_rank += rank[i] != ref_rank[i];
  for (size_t k = 0; k < d; k++) wrong_first += first[k] != ref_first[k];
  ck_assert_int_eq(ns_sort_order(n, stratum, time, order), NS_OK);
  for (size_t k = 0; k < n; k++) wrong_order += order[k] != ref[k];
  ck_assert_uint_eq(wrong_rank, 0);
  ck_assert_uint_eq(wrong_first, 0);
  ck_assert_uint_eq(wrong_order, 0);
  free(ref); free(ref_rank); free(ref_first); free(rank); free(first); free(order);
}

static uint64_t rng_next(uint64_t *state)
{
  uint64_t x = *state;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *state = x;
}

static double rng_unif(uint64_t *state)
{
  return ((double) (rng_next(state) >> 11) + 0.5) / 9007199254740992.0;
}

enum { STRATA_NONE, STRATA_ONE, STRATA_FEW, STRATA_WIDE, STRATA_PER_ROW };

/* kind: 0 few distinct (rounded), 1 continuous, 2 mixed signs and zeros,
 * 3 integer days */
static void check_random(size_t n, int kind, int strata, uint64_t seed)
{
  uint64_t state = seed;
  double *time = malloc((n + 1) * sizeof *time);
  int *stratum = malloc((n + 1) * sizeof *stratum);
  for (size_t i = 0; i < n; i++) {
    double e = -log(rng_unif(&state)) * 5.0;
    switch (kind) {
    case 0: time[i] = round(e * 100.0) / 100.0; break;
    case 1: time[i] = e; break;
    case 2: {
      uint64_t r = rng_next(&state) % 7u;
      time[i] = r == 0 ? 0.0 : r == 1 ? -0.0 : r < 4 ? -round(e * 10.0) / 10.0
                                                      : round(e * 10.0) / 10.0;
      break;
    }
    default: time[i] = floor(e * 100.0) + 1.0; break;
    }
    switch (strata) {
    case STRATA_ONE: stratum[i] = 3; break;
    case STRATA_FEW: stratum[i] = (int) (rng_next(&state) % 5u); break;
    case STRATA_WIDE: stratum[i] = (int) (rng_next(&state) % 4u) * 500000000; break;
    case STRATA_PER_ROW: stratum[i] = (int) (n - i); break;
    default: stratum[i] = 0; break;
    }
  }
  check_against_qsort(n, strata == STRATA_NONE ? NULL : stratum, time);
  free(time); free(stratum);
}

START_TEST(rank_hand_made)
{
  const double time[] = {3.0, 1.0, -0.0, 3.0, 0.0, -2.5, 1.0};
  const int stratum[] = {1, 0, 1, 1, 1, 0, 1};
  int rank[7], first[7];
  size_t d = 0;
  ck_assert_int_eq(ns_rank_distinct(7, NULL, time, rank, &d, first), NS_OK);
  const int r1[] = {3, 2, 1, 3, 1, 0, 2}, f1[] = {5, 2, 1, 0};
  ck_assert_uint_eq(d, 4);
  for (int i = 0; i < 7; i++) ck_assert_int_eq(rank[i], r1[i]);
  for (int k = 0; k < 4; k++) ck_assert_int_eq(first[k], f1[k]);
  ck_assert_int_eq(ns_rank_distinct(7, stratum, time, rank, &d, first), NS_OK);
  /* (0,-2.5) (0,1) (1,0) (1,1) (1,3) */
  const int r2[] = {4, 1, 2, 4, 2, 0, 3}, f2[] = {5, 1, 2, 6, 0};
  ck_assert_uint_eq(d, 5);
  for (int i = 0; i < 7; i++) ck_assert_int_eq(rank[i], r2[i]);
  for (int k = 0; k < 5; k++) ck_assert_int_eq(first[k], f2[k]);
}
END_TEST

START_TEST(rank_small_n)
{
  size_t d = 99;
  ck_assert_int_eq(ns_rank_distinct(0, NULL, NULL, NULL, &d, NULL), NS_OK);
  ck_assert_uint_eq(d, 0);
  const double one[] = {-7.0};
  int rank[2] = {-1, -1}, first[2] = {-1, -1};
  ck_assert_int_eq(ns_rank_distinct(1, NULL, one, rank, &d, first), NS_OK);
  ck_assert_uint_eq(d, 1);
  ck_assert_int_eq(rank[0], 0);
  ck_assert_int_eq(first[0], 0);
  const double two[] = {2.0, 2.0}, two_b[] = {2.0, 1.0};
  const int s2[] = {1, 0};
  ck_assert_int_eq(ns_rank_distinct(2, NULL, two, rank, &d, first), NS_OK);
  ck_assert_uint_eq(d, 1);
  ck_assert(rank[0] == 0 && rank[1] == 0 && first[0] == 0);
  ck_assert_int_eq(ns_rank_distinct(2, s2, two, rank, &d, first), NS_OK);
  ck_assert_uint_eq(d, 2);
  ck_assert(rank[0] == 1 && rank[1] == 0 && first[0] == 1 && first[1] == 0);
  ck_assert_int_eq(ns_rank_distinct(2, NULL, two_b, rank, &d, first), NS_OK);
  ck_assert(d == 2 && rank[0] == 1 && rank[1] == 0 && first[0] == 1 && first[1] == 0);
}
END_TEST

START_TEST(rank_rejects_bad_input)
{
  double time[3000];
  int stratum[3000], rank[3000], first[3000];
  size_t d = 99;
  for (int i = 0; i < 3000; i++) { time[i] = i % 10; stratum[i] = i % 3; }
  /* both paths: short input (radix) and long input (hash) */
  for (int n = 3; n <= 3000; n += 2997) {
    time[n - 2] = INFINITY;
    ck_assert_int_eq(ns_rank_distinct((size_t) n, NULL, time, rank, &d, first), NS_ERR_TIME);
    ck_assert_int_eq(ns_sort_order((size_t) n, NULL, time, rank), NS_ERR_TIME);
    time[n - 2] = NAN;
    ck_assert_int_eq(ns_rank_distinct((size_t) n, stratum, time, rank, &d, first), NS_ERR_TIME);
    time[n - 2] = 1.0;
    stratum[n - 1] = -1;
    ck_assert_int_eq(ns_rank_distinct((size_t) n, stratum, time, rank, &d, first),
                     NS_ERR_STRATUM);
    ck_assert_int_eq(ns_sort_order((size_t) n, stratum, time, rank), NS_ERR_STRATUM);
    stratum[n - 1] = 0;
    ck_assert_uint_eq(d, 0);
  }
  ck_assert_int_eq(ns_rank_distinct(3, NULL, NULL, rank, &d, first), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_rank_distinct(3, NULL, time, NULL, &d, first), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_rank_distinct(3, NULL, time, rank, NULL, first), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_rank_distinct(3, NULL, time, rank, &d, NULL), NS_ERR_ARGUMENT);
}
END_TEST

/* Small n goes to the radix path, n >= 1024 with few distinct pairs to the
 * hash path, many distinct pairs abandon it midway. */
START_TEST(rank_matches_qsort_small)
{
  for (int kind = 0; kind < 4; kind++)
    for (int strata = STRATA_NONE; strata <= STRATA_PER_ROW; strata++) {
      check_random(3, kind, strata, 11u + (uint64_t) kind);
      check_random(50, kind, strata, 12u + (uint64_t) kind);
      check_random(1023, kind, strata, 13u + (uint64_t) kind);
      check_random(5000, kind, strata, 14u + (uint64_t) kind);
    }
}
END_TEST

START_TEST(rank_matches_qsort_big)
{
  /* 2e5 rows: rounded (hash path, ~5000 distinct), continuous (all distinct:
   * radix path, combined key or strata sorted apart), signs and zeros. */
  const int cases[][2] = {
    {0, STRATA_NONE}, {0, STRATA_FEW}, {2, STRATA_WIDE},    /* hash */
    {1, STRATA_NONE}, {1, STRATA_FEW}, {1, STRATA_WIDE},    /* radix */
    {3, STRATA_PER_ROW}                                     /* hash abandoned */
  };
  for (int c = 0; c < 7; c++)
    check_random(200000, cases[c][0], cases[c][1], 99u + (uint64_t) c);
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
  tcase_add_test(tc, rank_hand_made);
  tcase_add_test(tc, rank_small_n);
  tcase_add_test(tc, rank_rejects_bad_input);
  tcase_add_test(tc, rank_matches_qsort_small);
  tcase_add_test(tc, rank_matches_qsort_big);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  return s;
}
