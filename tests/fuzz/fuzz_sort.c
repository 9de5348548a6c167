/* fuzz_sort.c -- ns_sort_order, ns_rank_distinct, ns_time_fix on hostile
 * times and stratum codes. Postconditions: order is a permutation, sorted
 * by (stratum, time) with -0 == 0 and stable; ranks agree with the order and
 * first_row; time_fix only merges values within the tolerance. */
#include "fuzz_input.h"
#include "netsurv.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 300);
  int strat = fz_byte(&in) & 1;
  int *stratum = malloc((n + 1) * sizeof *stratum);
  double *time = malloc((n + 1) * sizeof *time), *t2 = malloc((n + 1) * sizeof *t2);
  int *order = malloc((n + 1) * sizeof *order), *rank = malloc((n + 1) * sizeof *rank);
  int *first = malloc((n + 1) * sizeof *first), *seen = calloc(n + 1, sizeof *seen);
  for (size_t i = 0; i < n; i++) {
    stratum[i] = (int) fz_uint(&in, fz_byte(&in) & 1 ? 4 : 70000);
    if (fz_byte(&in) == 7) stratum[i] = -1 - (int) fz_uint(&in, 3); /* bad code */
    time[i] = fz_double(&in, 1);
  }
  const int *s = strat ? stratum : NULL;
  ns_status st = ns_sort_order(n, s, time, order);
  int finite = fz_all_finite(n, time);
  int codes_ok = 1;
  if (s) for (size_t i = 0; i < n; i++) if (s[i] < 0) codes_ok = 0;
  if (st == NS_OK) {
    FZ_CHECK(finite, "sorted non-finite times");
    for (size_t k = 0; k < n; k++) {
      FZ_CHECK(order[k] >= 0 && (size_t) order[k] < n && !seen[order[k]], "not a permutation");
      seen[order[k]] = 1;
      if (k) {
        int a = order[k - 1], b = order[k];
        int sa = s ? s[a] : 0, sb = s ? s[b] : 0;
        FZ_CHECK(sa < sb || (sa == sb && (time[a] < time[b] ||
                                          (time[a] == time[b] && a < b))),
                 "order broken at %zu", k);
      }
    }
  } else {
    FZ_CHECK(!finite || !codes_ok, "sort refused valid input: %s", ns_status_message(st));
  }
  size_t nd = 0;
  st = ns_rank_distinct(n, s, time, rank, &nd, first);
  if (st == NS_OK) {
    FZ_CHECK(finite && codes_ok, "ranked invalid input");
    for (size_t i = 0; i < n; i++) {
      FZ_CHECK(rank[i] >= 0 && (size_t) rank[i] < nd, "rank out of range");
      int f = first[rank[i]];
      FZ_CHECK(f >= 0 && (size_t) f <= i && time[f] == time[i] && (!s || s[f] == s[i]),
               "first_row mismatch");
    }
    for (size_t i = 0; i + 1 < n; i++) {
      int a = order[i], b = order[i + 1];
      if (codes_ok && finite) FZ_CHECK(rank[a] <= rank[b], "ranks not monotone in order");
    }
  } else {
    FZ_CHECK(!finite || !codes_ok, "rank refused valid input: %s", ns_status_message(st));
  }
  int changed = 0;
  st = ns_time_fix(n, time, NULL, 1.4901161193847656e-08, t2, NULL, &changed, NULL);
  /* aeqSurv's rule ties dy <= tol or dy / mean(|distinct y|) <= tol, so a
   * value moves down by at most (runs) * tol * max(1, max |y|) */
  double big = 1.0;
  for (size_t i = 0; i < n; i++) if (isfinite(time[i]) && fabs(time[i]) > big) big = fabs(time[i]);
  if (st == NS_OK)
    for (size_t i = 0; i < n; i++)
      if (isfinite(time[i]))
        FZ_CHECK(t2[i] <= time[i] && time[i] - t2[i] <= 1.5e-8 * (double) (n + 1) * big,
                 "time_fix moved %g to %g", time[i], t2[i]);
  free(stratum); free(time); free(t2); free(order); free(rank); free(first); free(seen);
  return 0;
}
