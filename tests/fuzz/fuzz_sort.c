/* fuzz_sort.c -- ns_sort_order, ns_rank_distinct, ns_time_fix and
 * ns_sort_keys on hostile times and stratum codes. The rows may be tiled
 * (repeated, exactly or shifted by a tiny step per copy) to >= 1024 or
 * >= 4096 rows, so that the hash paths (ns_rank_distinct's, the counting
 * sort of ns_sort_keys for few distinct keys) and the MSD radix sort run
 * too. Postconditions: order is a permutation, sorted by (stratum, time)
 * with -0 == 0 and stable; ranks agree with the order and first_row, and
 * the number of distinct pairs is a naive count; ns_time_fix (right-censored
 * and with entry times, several tolerances) equals survival's aeqSurv rule
 * written out over qsort'ed distinct values (each value becomes the smallest
 * member of its run of tied neighbours; an interval whose ends merge is
 * NS_ERR_START_STOP at the first such row); ns_sort_keys sorts the keys
 * stably, with and without rows and the few-keys scratch. The bytes after
 * the rows choose the tiling and the time_fix variant, so older corpus
 * inputs run as before. */
#include "fuzz_input.h"
#include "netsurv.h"
#include "internal.h"

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* aeqSurv: the cut of every finite value (NAN for a non-finite one) */
static void naive_time_fix(size_t n, const double *time, const double *start, double tol,
                           double *time_out, double *start_out)
{
  size_t m = 0;
  double *y = malloc((2 * n + 1) * sizeof *y), *cut = malloc((2 * n + 1) * sizeof *cut);
  for (size_t i = 0; i < n; i++) {
    if (isfinite(time[i])) y[m++] = time[i] + 0.0;
    if (start && isfinite(start[i])) y[m++] = start[i] + 0.0;
  }
  qsort(y, m, sizeof *y, cmp_double);
  size_t u = 0;
  for (size_t k = 0; k < m; k++)
    if (u == 0 || y[k] != y[u - 1]) y[u++] = y[k];
  long double sum = 0;
  for (size_t k = 0; k < u; k++) sum += fabsl((long double) y[k]);
  double mean = u ? (double) (sum / (long double) u) : 0;
  for (size_t k = 0; k < u; k++) {
    int tied = k > 0 && tol > 0 && (y[k] - y[k - 1] <= tol || (y[k] - y[k - 1]) / mean <= tol);
    cut[k] = tied ? cut[k - 1] : y[k];
  }
  for (int pass = 0; pass < 2; pass++) {
    const double *x = pass ? start : time;
    double *out = pass ? start_out : time_out;
    if (!x) continue;
    for (size_t i = 0; i < n; i++) {
      out[i] = x[i];
      if (!isfinite(x[i])) continue;
      size_t lo = 0, hi = u; /* the k with y[k] == x[i] */
      while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (y[mid] <= x[i]) lo = mid; else hi = mid;
      }
      if (cut[lo] != x[i]) out[i] = cut[lo];
    }
  }
  free(y); free(cut);
}

static int same(double a, double b)
{
  return a == b || (isnan(a) && isnan(b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n0 = fz_uint(&in, 300);
  int strat = fz_byte(&in) & 1;
  int *s0 = malloc((n0 + 1) * sizeof *s0);
  double *t0 = malloc((n0 + 1) * sizeof *t0);
  for (size_t i = 0; i < n0; i++) {
    s0[i] = (int) fz_uint(&in, fz_byte(&in) & 1 ? 4 : 70000);
    if (fz_byte(&in) == 7) s0[i] = -1 - (int) fz_uint(&in, 3); /* bad code */
    t0[i] = fz_double(&in, 1);
  }
  /* the bytes after the rows: tiling and the time_fix variant */
  uint8_t opt = fz_byte(&in);
  static const size_t reps_of[4] = {1, 4, 16, 40};
  size_t reps = n0 ? reps_of[opt & 3] : 1, n = n0 * reps;
  double step = (opt & 4) ? ldexp(1.0, -30) : 0.0; /* copies shifted: many distinct */
  int *stratum = malloc((n + 1) * sizeof *stratum);
  double *time = malloc((n + 1) * sizeof *time), *t2 = malloc((n + 1) * sizeof *t2);
  for (size_t r = 0; r < reps; r++)
    for (size_t i = 0; i < n0; i++) {
      stratum[r * n0 + i] = s0[i];
      time[r * n0 + i] = t0[i] + (double) r * step;
    }
  int *order = malloc((n + 1) * sizeof *order), *rank = malloc((n + 1) * sizeof *rank);
  int *first = malloc((n + 1) * sizeof *first), *seen = calloc(n + 1, sizeof *seen);
  const int *s = strat ? stratum : NULL;
  ns_status st = ns_sort_order(n, s, time, order);
  int finite = fz_all_finite(n, time);
  int codes_ok = 1;
  if (s) for (size_t i = 0; i < n; i++) if (s[i] < 0) codes_ok = 0;
  int sorted = st == NS_OK;
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
    /* first_row[d]: the smallest row of rank d (seen[] as scratch) */
    for (size_t d = 0; d < nd; d++) seen[d] = -1;
    for (size_t i = 0; i < n; i++)
      if (seen[rank[i]] < 0) seen[rank[i]] = (int) i;
    for (size_t d = 0; d < nd; d++)
      FZ_CHECK(first[d] == seen[d], "first_row[%zu] = %d, naive %d", d, first[d], seen[d]);
    if (sorted) {
      /* the naive count of distinct pairs along the order */
      size_t count = n ? 1 : 0;
      for (size_t i = 0; i + 1 < n; i++) {
        int a = order[i], b = order[i + 1];
        FZ_CHECK(rank[a] <= rank[b], "ranks not monotone in order");
        int differ = time[a] != time[b] || (s && s[a] != s[b]);
        FZ_CHECK(differ ? rank[b] == rank[a] + 1 : rank[b] == rank[a], "rank step at %zu", i);
        count += differ;
      }
      FZ_CHECK(count == nd, "%zu distinct pairs, naive %zu", nd, count);
    }
  } else {
    FZ_CHECK(!finite || !codes_ok, "rank refused valid input: %s", ns_status_message(st));
  }

  /* ns_time_fix against aeqSurv's rule */
  static const double tols[4] = {1.4901161193847656e-08, 1e-3, 0.0, -1.0};
  double tol = tols[(opt >> 3) & 3];
  int with_start = (opt & 32) != 0;
  double *start = malloc((n + 1) * sizeof *start), *s2 = malloc((n + 1) * sizeof *s2);
  double *rt = malloc((n + 1) * sizeof *rt), *rs = malloc((n + 1) * sizeof *rs);
  for (size_t i = 0; i < n; i++) {
    uint8_t k = fz_byte(&in);
    /* entry times: a grid step or a near-tie below the stop, or hostile */
    start[i] = k < 128 ? time[i] - 0.5 * (double) (k % 5)
               : k < 250 ? time[i] - ldexp((double) (k % 16), -(int) (k % 50)) : fz_double(&in, 1);
  }
  int changed = -1;
  size_t bad = (size_t) -1;
  st = ns_time_fix(n, time, with_start ? start : NULL, tol, t2, with_start ? s2 : NULL, &changed,
                   &bad);
  naive_time_fix(n, time, with_start ? start : NULL, tol, rt, rs);
  FZ_CHECK(st == NS_OK || (with_start && st == NS_ERR_START_STOP), "time_fix: %s",
           ns_status_message(st));
  int moved = 0, collapsed = 0;
  size_t first_bad = 0;
  for (size_t i = 0; i < n; i++) {
    FZ_CHECK(same(t2[i], rt[i]), "time_fix: time[%zu] %a -> %a, aeqSurv %a (tol %g)", i,
             time[i], t2[i], rt[i], tol);
    if (!same(rt[i], time[i])) moved = 1;
    if (with_start) {
      FZ_CHECK(same(s2[i], rs[i]), "time_fix: start[%zu] %a -> %a, aeqSurv %a (tol %g)", i,
               start[i], s2[i], rs[i], tol);
      if (!same(rs[i], start[i])) moved = 1;
      if (!collapsed && rs[i] == rt[i] && start[i] != time[i]) { collapsed = 1; first_bad = i; }
    }
  }
  FZ_CHECK(changed == moved, "changed %d, naive %d", changed, moved);
  FZ_CHECK((st == NS_ERR_START_STOP) == collapsed, "collapsed interval: status %s, naive %d",
           ns_status_message(st), collapsed);
  if (collapsed) FZ_CHECK(bad == first_bad, "bad_row %zu, naive %zu", bad, first_bad);
  if (tol <= 0) FZ_CHECK(changed == 0, "time_fix with tolerance %g changed a value", tol);

  /* ns_sort_keys on the finite times, with and without rows and scratch */
  if (finite) {
    uint64_t *key = malloc((n + 1) * sizeof *key), *key2 = malloc((n + 1) * sizeof *key2);
    uint64_t *ktmp = malloc((n + 1) * sizeof *ktmp);
    int *row = malloc((n + 1) * sizeof *row), *rtmp = malloc((n + 1) * sizeof *rtmp);
    ns_few_keys *few = (opt & 64) ? ns_few_keys_new() : NULL;
    for (size_t i = 0; i < n; i++) {
      key[i] = key2[i] = ns_time_key(time[i]);
      row[i] = (int) i;
    }
    ns_sort_keys(key, row, n, ktmp, rtmp, few);
    ns_sort_keys(key2, NULL, n, ktmp, NULL, few);
    memset(seen, 0, (n + 1) * sizeof *seen);
    for (size_t k = 0; k < n; k++) {
      FZ_CHECK(row[k] >= 0 && (size_t) row[k] < n && !seen[row[k]], "sort_keys: rows lost");
      seen[row[k]] = 1;
      FZ_CHECK(key[k] == ns_time_key(time[row[k]]), "sort_keys: key and row apart at %zu", k);
      FZ_CHECK(key2[k] == key[k], "sort_keys without rows differs at %zu", k);
      if (k) FZ_CHECK(key[k - 1] < key[k] || (key[k - 1] == key[k] && row[k - 1] < row[k]),
                      "sort_keys: not a stable sort at %zu (n %zu)", k, n);
    }
    free(key); free(key2); free(ktmp); free(row); free(rtmp); free(few);
  }
  free(s0); free(t0); free(start); free(s2); free(rt); free(rs);
  free(stratum); free(time); free(t2); free(order); free(rank); free(first); free(seen);
  return 0;
}
