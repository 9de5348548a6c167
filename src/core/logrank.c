/*
 * logrank.c -- weighted k-sample log-rank tests (Fleming-Harrington G(rho,
 * gamma), survdiff's G-rho family when gamma = 0) and their permutation
 * distribution.
 *
 * Everything that does not depend on the group labels -- the sort by
 * (stratum, time), the tied event blocks, their risk-set sizes and weights
 * (the pooled Kaplan-Meier does not see the labels) -- is built once into a
 * `design`. A test is then one backward scan over the sorted labels that
 * accumulates the at-risk counts per group; a permutation only shuffles the
 * label array and scans again.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Pivots of the variance matrix below this fraction of its largest diagonal
 * count as zero: the matrix is singular there (e.g. groups nested in strata). */
#define PIVOT_TOLERANCE 1e-9

/* A tied block of rows with at least one event, in sorted order. */
typedef struct {
  size_t start;    /* first sorted row of the block */
  double w;        /* the weight S(t-)^rho (1 - S(t-))^gamma */
  double e_scale;  /* w d / n: exp_k += e_scale r_k */
  double v_scale;  /* w^2 d (n - d) / ((n - 1) n), 0 when n = 1 */
  double inv_n;    /* 1 / n */
  double at_risk;  /* n */
} event_block;

/* A run of sorted rows that share a stratum. */
typedef struct {
  size_t lo, hi;            /* rows [lo, hi) */
  size_t block_lo, block_hi; /* its event blocks [block_lo, block_hi) */
  int code;                 /* the stratum code */
} stratum_run;

typedef struct {
  size_t n;
  int n_group;
  size_t n_run;
  size_t n_block;
  int *label;              /* group codes in sorted order */
  unsigned char *status;   /* status in sorted order */
  event_block *block;
  stratum_run *run;
} design;

static void design_free(design *d)
{
  free(d->label);
  free(d->status);
  free(d->block);
  free(d->run);
  memset(d, 0, sizeof *d);
}

static ns_status check_input(size_t n, const double *time, const int *status,
                             const int *group, const int *stratum, int n_group,
                             int n_stratum, double rho, double gamma)
{
  if (n == 0 || !time || !status || !group || n > (size_t) INT32_MAX)
    return NS_ERR_ARGUMENT;
  if (n_group < 2) return NS_ERR_ONE_GROUP;
  if (n_stratum < 1 || (!stratum && n_stratum != 1)) return NS_ERR_ARGUMENT;
  if (!(rho >= 0) || !(gamma >= 0) || !isfinite(rho) || !isfinite(gamma))
    return NS_ERR_ARGUMENT;
  int first_group = group[0], two_groups = 0, any_event = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i])) return NS_ERR_TIME;
    if (status[i] != 0 && status[i] != 1) return NS_ERR_STATUS;
    if (group[i] < 0 || group[i] >= n_group) return NS_ERR_ARGUMENT;
    if (stratum && (stratum[i] < 0 || stratum[i] >= n_stratum)) return NS_ERR_STRATUM;
    two_groups |= group[i] != first_group;
    any_event |= status[i];
  }
  if (!two_groups) return NS_ERR_ONE_GROUP;
  if (!any_event) return NS_ERR_NO_EVENTS;
  return NS_OK;
}

/* FH weight; pow(0, 0) is 1 in C99, which is the convention we want for
 * rho = 0 at S = 0 and gamma = 0 at S = 1. */
static double fh_weight(double s, double rho, double gamma)
{
  double w = 1.0;
  if (rho != 0) w *= pow(s, rho);
  if (gamma != 0) w *= pow(1.0 - s, gamma);
  return w;
}

/* Index of key k among the sorted distinct keys u[0..m-1] (k is one of them). */
static size_t find_key(const uint64_t *u, size_t m, uint64_t k)
{
  size_t lo = 0, hi = m;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (u[mid] <= k) lo = mid; else hi = mid;
  }
  return lo;
}

/*
 * Merge fuzz-tied times (ns_fix_sorted_keys, the rule of ns_time_fix) on the
 * D distinct (stratum, time) pairs, sorted by stratum then time, whose first
 * rows are first[]: map[d] is the merged pair of pair d (pairs of one stratum
 * whose times become equal merge; the map is monotone). *n_merged is D and
 * map untouched when nothing moves. The times are pooled over strata, as
 * ns_time_fix pools the rows.
 */
static ns_status merge_fuzz_pairs(size_t D, const double *time, const int *stratum,
                                  const int *first, double tolerance, int *map,
                                  size_t *n_merged)
{
  *n_merged = D;
  if (D < 2) return NS_OK;
  uint64_t *key = malloc(D * sizeof *key);   /* pair d's time */
  uint64_t *u = malloc(D * sizeof *u);       /* the distinct times, pooled */
  uint64_t *cut = malloc(D * sizeof *cut);   /* what u[i] becomes */
  ns_status st = NS_ERR_NOMEM;
  if (!key || !u || !cut) goto done;
  for (size_t d = 0; d < D; d++) key[d] = ns_time_key(time[first[d]]);
  size_t m = D;
  memcpy(u, key, D * sizeof *u);
  if (stratum) {
    ns_sort_keys(u, NULL, D, cut, NULL, NULL); /* cut is scratch here */
    m = 0;
    for (size_t i = 0; i < D; i++)
      if (i == 0 || u[i] != u[m - 1]) u[m++] = u[i];
  }
  st = NS_OK;
  if (!ns_fix_sorted_keys(u, m, tolerance, cut)) goto done;
  size_t merged = 0;
  uint64_t last = 0;
  for (size_t d = 0; d < D; d++) {
    uint64_t c = cut[stratum ? find_key(u, m, key[d]) : d];
    if (d == 0 || c != last || (stratum && stratum[first[d]] != stratum[first[d - 1]]))
      merged++;
    last = c;
    map[d] = (int) (merged - 1);
  }
  *n_merged = merged;

done:
  free(key); free(u); free(cut);
  return st;
}

/*
 * Sort once and build the label-free structure. The rows are ranked among
 * the distinct (stratum, time) pairs by ns_rank_distinct (one hashing pass in
 * input order when the pairs are few, as km.c's counts need), fuzz-tied times
 * are merged on those pairs (time_fix > 0), and one stable counting scatter
 * by pair puts the labels and statuses in (stratum, time) order -- the order
 * of ns_sort_order on the merged times, without a row permutation, its random
 * gathers of time, group and status, or a sorted copy of the times. Memory:
 * 13 bytes a row (rank, the labels, reused from first_row, and the statuses)
 * plus a few ints per distinct pair.
 */
static ns_status design_build(design *d, size_t n, const double *time,
                              const int *status, const int *group,
                              const int *stratum, int n_group, double rho,
                              double gamma, double time_fix)
{
  memset(d, 0, sizeof *d);
  d->n = n;
  d->n_group = n_group;
  int *rank = malloc(n * sizeof *rank);
  int *first = malloc(n * sizeof *first); /* becomes d->label */
  int *map = NULL, *pair_stratum = NULL, *pos = NULL, *deaths = NULL;
  d->status = malloc(n);
  ns_status st = NS_ERR_NOMEM;
  if (!rank || !first || !d->status) goto fail;
  size_t D = 0, M;
  st = ns_rank_distinct(n, stratum, time, rank, &D, first);
  if (st != NS_OK) goto fail;
  st = NS_ERR_NOMEM;
  map = malloc(D * sizeof *map);
  pair_stratum = malloc(D * sizeof *pair_stratum);
  if (!map || !pair_stratum) goto fail;
  M = D;
  if (time_fix > 0) {
    st = merge_fuzz_pairs(D, time, stratum, first, time_fix, map, &M);
    if (st != NS_OK) goto fail;
  }
  if (M == D) {
    free(map);
    map = NULL;
  }
  /* The merged pairs' strata (a merge stays within a stratum); first_row is
   * then done with and holds the sorted labels. */
  for (size_t p = 0; p < D; p++)
    pair_stratum[map ? map[p] : (int) p] = stratum ? stratum[first[p]] : 0;
  d->label = first;
  first = NULL;

  /* Rows and events per merged pair, then the stable scatter: pos[p] walks
   * pair p's rows and ends at pair p + 1's start. */
  st = NS_ERR_NOMEM;
  pos = calloc(M + 1, sizeof *pos);
  deaths = calloc(M ? M : 1, sizeof *deaths);
  if (!pos || !deaths) goto fail;
  for (size_t i = 0; i < n; i++) {
    int p = map ? map[rank[i]] : rank[i];
    pos[p + 1]++;
    deaths[p] += status[i];
  }
  for (size_t p = 1; p <= M; p++) pos[p] += pos[p - 1];
  for (size_t i = 0; i < n; i++) {
    int at = pos[map ? map[rank[i]] : rank[i]]++;
    d->label[at] = group[i];
    d->status[at] = (unsigned char) status[i];
  }
  memmove(pos + 1, pos, M * sizeof *pos);
  pos[0] = 0;
  free(rank);
  rank = NULL;
  free(map);
  map = NULL;

  size_t n_run = 0, n_block = 0;
  for (size_t p = 0; p < M; p++) {
    n_run += p == 0 || pair_stratum[p] != pair_stratum[p - 1];
    n_block += deaths[p] > 0;
  }
  d->block = malloc((n_block ? n_block : 1) * sizeof *d->block);
  d->run = malloc((n_run ? n_run : 1) * sizeof *d->run);
  if (!d->block || !d->run) goto fail;

  size_t r = 0, b = 0;
  for (size_t p_lo = 0; p_lo < M;) {
    int s = pair_stratum[p_lo];
    size_t p_hi = p_lo + 1;
    while (p_hi < M && pair_stratum[p_hi] == s) p_hi++;
    size_t lo = (size_t) pos[p_lo], hi = (size_t) pos[p_hi];
    stratum_run *run = &d->run[r++];
    run->lo = lo;
    run->hi = hi;
    run->code = s;
    run->block_lo = b;
    /* Forward over the distinct times: the pooled left-continuous KM. */
    double surv = 1.0;
    for (size_t p = p_lo; p < p_hi; p++) {
      if (!deaths[p]) continue;
      size_t k = (size_t) pos[p];
      double at_risk = (double) (hi - k), dd = (double) deaths[p];
      double w = fh_weight(surv, rho, gamma);
      event_block *eb = &d->block[b++];
      eb->start = k;
      eb->w = w;
      eb->e_scale = w * dd / at_risk;
      eb->v_scale = at_risk > 1 ? w * w * dd * (at_risk - dd) / ((at_risk - 1) * at_risk) : 0.0;
      eb->inv_n = 1.0 / at_risk;
      eb->at_risk = at_risk;
      surv *= ns_km_factor(at_risk, dd);
    }
    run->block_hi = b;
    p_lo = p_hi;
  }
  d->n_run = r;
  d->n_block = b;
  free(pair_stratum);
  free(pos);
  free(deaths);
  return NS_OK;

fail:
  free(rank);
  free(first);
  free(map);
  free(pair_stratum);
  free(pos);
  free(deaths);
  design_free(d);
  return st;
}

/*
 * One pass over the sorted labels. obs and exp have n_group * stride_s
 * entries: per_stratum != 0 writes stratum `code` at column code, otherwise
 * everything goes to column 0 (the totals a permutation needs). var is
 * n_group^2. risk is scratch of n_group doubles (3 * n_group when
 * per_stratum == 0).
 */
static int design_scan(const design *d, const int *label, int per_stratum,
                       size_t n_col, double *obs, double *exp, double *var,
                       double *risk, ns_callback callback, void *context)
{
  const int G = d->n_group;
  size_t since = 0, done = 0;
  memset(obs, 0, (size_t) G * n_col * sizeof *obs);
  memset(exp, 0, (size_t) G * n_col * sizeof *exp);
  memset(var, 0, (size_t) G * G * sizeof *var);
  for (size_t u = 0; u < d->n_run; u++) {
    const stratum_run *run = &d->run[u];
    size_t col = per_stratum ? (size_t) run->code : 0;
    /* Totals (per_stratum == 0) are summed stratum by stratum, each from 0,
     * as ns_logrank_test adds its per-stratum columns: the same additions in
     * the same order, so a permutation's observed statistic is bitwise the
     * test's. */
    double *o = per_stratum ? obs + col * G : risk + G;
    double *e = per_stratum ? exp + col * G : risk + 2 * (size_t) G;
    for (int g = 0; g < G; g++) risk[g] = 0.0;
    if (!per_stratum)
      for (int g = 0; g < G; g++) o[g] = e[g] = 0.0;
    size_t i = run->hi;
    /* Backward: rows enter the risk set as time decreases; the rows added
     * before an event block's contribution are exactly those at risk at it.
     * Events among them belong to this block (later blocks took theirs). */
    for (size_t bb = run->block_hi; bb-- > run->block_lo;) {
      const event_block *eb = &d->block[bb];
      while (i > eb->start) {
        i--;
        int g = label[i];
        risk[g] += 1.0;
        if (d->status[i]) o[g] += eb->w;
      }
      for (int g = 0; g < G; g++) e[g] += eb->e_scale * risk[g];
      if (eb->v_scale > 0) {
        for (int j = 0; j < G; j++) {
          if (risk[j] == 0) continue;
          double a = eb->v_scale * risk[j];
          double *vj = var + (size_t) j * G;
          /* the diagonal as r_j (n - r_j) / n, exactly 0 when group j is the
           * whole risk set (1 - r_j / n left a rounding residue, which the
           * rank decision then counted: df differed from the moments path) */
          vj[j] += a * ((eb->at_risk - risk[j]) * eb->inv_n);
          double an = a * eb->inv_n;
          for (int k = j + 1; k < G; k++) vj[k] -= an * risk[k];
        }
        since += (size_t) G * (size_t) G / 2;
      }
      since += (size_t) G;
      done++;
      /* many groups make each event block O(G^2): let the caller stop */
      if (callback && since >= NS_CALLBACK_WORK) {
        since = 0;
        if (callback(context, 0.5 * (double) done / (double) (d->n_block + 1))) return 1;
      }
    }
    if (!per_stratum)
      for (int g = 0; g < G; g++) {
        obs[g] += o[g];
        exp[g] += e[g];
      }
  }
  /* Only the upper triangle was accumulated. */
  for (int j = 0; j < G; j++)
    for (int k = j + 1; k < G; k++) var[(size_t) k * G + j] = var[(size_t) j * G + k];
  return 0;
}

/*
 * ns_logrank_chisq (internal.h): survdiff's statistic and its degrees of
 * freedom from the per-group totals o, e (length G) and var -- the one rule
 * that ns_logrank_test, the permutation tests and ns_logrank_from_moments
 * share. work needs G * G + 2 * G doubles, keep G ints.
 */
int ns_logrank_chisq(int G, const double *o, const double *e, const double *var,
                     double *work, int *keep, double *chisq, int *df,
                     ns_callback callback, void *context)
{
  size_t since = 0;
  int m = 0;
  for (int k = 0; k < G; k++)
    if (e[k] > 0) keep[m++] = k;
  *chisq = 0.0;
  *df = 0;
  if (m < 2) return 0;
  /* Drop the first kept group: the sum of (o - e) over groups is 0. */
  int p = m - 1;
  const int *idx = keep + 1;
  double *a = work;          /* p x p, then its LDL' factor in place */
  double *z = work + (size_t) p * p;
  double *piv = z + p;
  double max_diag = 0.0;
  for (int j = 0; j < p; j++) {
    z[j] = o[idx[j]] - e[idx[j]];
    for (int k = 0; k < p; k++) a[(size_t) j * p + k] = var[(size_t) idx[j] * G + idx[k]];
    if (a[(size_t) j * p + j] > max_diag) max_diag = a[(size_t) j * p + j];
  }
  double tol = PIVOT_TOLERANCE * max_diag;
  /* LDL' by columns (a[j][k], k < j holds L(j, k)); a zero pivot zeroes its
   * column of L, giving the generalized inverse of a singular V. */
  int rank = 0;
  for (int j = 0; j < p; j++) {
    double *aj = a + (size_t) j * p;
    double dj = aj[j];
    for (int k = 0; k < j; k++) dj -= aj[k] * aj[k] * piv[k];
    if (!(dj > tol)) {
      piv[j] = 0.0;
      for (int i = j + 1; i < p; i++) a[(size_t) i * p + j] = 0.0;
      continue;
    }
    piv[j] = dj;
    rank++;
    for (int i = j + 1; i < p; i++) {
      double *ai = a + (size_t) i * p;
      double s = ai[j];
      for (int k = 0; k < j; k++) s -= ai[k] * aj[k] * piv[k];
      ai[j] = s / dj;
    }
    /* O(p^3) in all: thousands of groups take minutes */
    since += (size_t) (p - j) * (size_t) (j + 1);
    if (callback && since >= NS_CALLBACK_WORK) {
      since = 0;
      if (callback(context, 0.5 + 0.5 * (double) (j + 1) / (double) p)) return 1;
    }
  }
  /* u' V^- u = sum_j y_j^2 / piv_j with L y = u. */
  double q = 0.0;
  for (int j = 0; j < p; j++) {
    double y = z[j];
    const double *aj = a + (size_t) j * p;
    for (int k = 0; k < j; k++) y -= aj[k] * z[k];
    z[j] = y;
    if (piv[j] > 0) q += y * y / piv[j];
  }
  *chisq = q;
  *df = rank;
  return 0;
}

/*
 * ns_logrank_test (contract in netsurv.h): survdiff's k-sample test with
 * Fleming-Harrington weights. Input any order; one sort by (stratum, time)
 * (design_build: a ranking of the distinct pairs and a counting scatter),
 * one forward pass for the pooled KM weights, one backward pass for the risk
 * sets. Ties: all rows at an event time are at risk at it (hypergeometric
 * variance). Reference: Fleming & Harrington (1991), section 7.3.
 */
ns_status ns_logrank_test(size_t n, const double *time, const int *status,
                          const int *group, const int *stratum, int n_group,
                          int n_stratum, double rho, double gamma, double *obs,
                          double *exp, double *var, double *chisq, int *df)
{
  return ns_logrank_test_cb(n, time, status, group, stratum, n_group, n_stratum, rho,
                            gamma, 0.0, obs, exp, var, chisq, df, NULL, NULL);
}

/* check_input, then design_build: one weighted test's design from the
 * caller's arguments. */
static ns_status design_checked(design *d, size_t n, const double *time,
                                const int *status, const int *group,
                                const int *stratum, int n_group, int n_stratum,
                                double rho, double gamma, double time_fix)
{
  if (!(time_fix >= 0) || !isfinite(time_fix)) return NS_ERR_ARGUMENT;
  ns_status st = check_input(n, time, status, group, stratum, n_group, n_stratum,
                             rho, gamma);
  if (st != NS_OK) return st;
  return design_build(d, n, time, status, group, stratum, n_group, rho, gamma, time_fix);
}

/*
 * ns_logrank_test_cb (contract in netsurv.h): ns_logrank_test with a
 * progress / interrupt callback, called about every 2^20 units of work in
 * the scan (O(n_group^2) per event time) and in the factorization
 * (O(n_group^3)); NS_ERR_INTERRUPTED when it asks to stop (the outputs are
 * then partial).
 */
ns_status ns_logrank_test_cb(size_t n, const double *time, const int *status,
                             const int *group, const int *stratum, int n_group,
                             int n_stratum, double rho, double gamma, double time_fix,
                             double *obs, double *exp, double *var, double *chisq, int *df,
                             ns_callback callback, void *context)
{
  if (!obs || !exp || !var || !chisq || !df) return NS_ERR_ARGUMENT;
  const int G = n_group;
  design d;
  ns_status st = design_checked(&d, n, time, status, group, stratum, G, n_stratum,
                                rho, gamma, time_fix);
  if (st != NS_OK) return st;
  double *work = malloc(((size_t) G * G + 5 * (size_t) G) * sizeof *work);
  int *keep = malloc((size_t) G * sizeof *keep);
  if (!work || !keep) {
    free(work); free(keep);
    design_free(&d);
    return NS_ERR_NOMEM;
  }
  double *risk = work + (size_t) G * G + 2 * (size_t) G;
  double *o_tot = risk + G, *e_tot = o_tot + G;
  if (design_scan(&d, d.label, 1, (size_t) n_stratum, obs, exp, var, risk, callback,
                  context)) {
    free(work); free(keep);
    design_free(&d);
    return NS_ERR_INTERRUPTED;
  }
  for (int k = 0; k < G; k++) {
    double so = 0.0, se = 0.0;
    for (int s = 0; s < n_stratum; s++) {
      so += obs[(size_t) s * G + k];
      se += exp[(size_t) s * G + k];
    }
    o_tot[k] = so;
    e_tot[k] = se;
  }
  int stop = ns_logrank_chisq(G, o_tot, e_tot, var, work, keep, chisq, df, callback, context);
  free(work); free(keep);
  design_free(&d);
  return stop ? NS_ERR_INTERRUPTED : NS_OK;
}

/* A caller's callback asked only whether to stop (progress reported as 0). */
typedef struct {
  ns_callback callback;
  void *context;
} callback_at_zero;

static int call_at_zero(void *context, double fraction_done)
{
  (void) fraction_done;
  const callback_at_zero *z = context;
  return z->callback(z->context, 0.0);
}

/* ---- the generator ------------------------------------------------------ */

typedef struct {
  uint64_t s[4];
} xoshiro_state;

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static void xoshiro_seed(xoshiro_state *g, uint64_t seed)
{
  /* splitmix64 never yields four zero words, the one state xoshiro forbids. */
  for (int i = 0; i < 4; i++) g->s[i] = splitmix64(&seed);
}

static uint64_t xoshiro_next(xoshiro_state *g)
{
  uint64_t *s = g->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* Uniform integer in [0, range), 0 < range <= 2^32 - 1: Lemire (2019), with
 * rejection of the few low products that would bias the result. */
static uint32_t uniform_below(xoshiro_state *g, uint32_t range)
{
  uint64_t m = (xoshiro_next(g) >> 32) * (uint64_t) range;
  uint32_t low = (uint32_t) m;
  if (low < range) {
    uint32_t threshold = (uint32_t) (-range) % range;
    while (low < threshold) {
      m = (xoshiro_next(g) >> 32) * (uint64_t) range;
      low = (uint32_t) m;
    }
  }
  return (uint32_t) (m >> 32);
}

/* ---- enumeration ---------------------------------------------------------- */

/* Next distinct arrangement of a[0..m) in lexicographic order; at the last
 * one, restore ascending order and return 0. */
static int next_arrangement(int *a, size_t m)
{
  if (m < 2) return 0;
  size_t i = m - 1;
  while (i > 0 && a[i - 1] >= a[i]) i--;
  if (i > 0) {
    size_t j = m - 1;
    while (a[j] <= a[i - 1]) j--;
    int t = a[i - 1]; a[i - 1] = a[j]; a[j] = t;
  }
  for (size_t lo = i, hi = m - 1; lo < hi; lo++, hi--) {
    int t = a[lo]; a[lo] = a[hi]; a[hi] = t;
  }
  return i > 0;
}

/* n! / prod n_g! for one stratum's label counts, multiplied into *total;
 * returns 0 once *total exceeds cap (the count is then not needed). Binomial
 * steps C(m, c) = prod_{i=1..c} (m - c + i) / i stay integral at every step. */
static int multiply_arrangements(const size_t *count, int G, uint64_t cap,
                                 uint64_t *total)
{
  uint64_t m = 0;
  for (int g = 0; g < G; g++) {
    uint64_t c = count[g];
    m += c;
    uint64_t binom = 1;
    for (uint64_t i = 1; i <= c; i++) {
      uint64_t f = m - c + i;
      if (binom > UINT64_MAX / f) return 0;
      binom = binom * f / i;
      if (binom > cap) return 0;
    }
    if (binom != 0 && *total > cap / binom) return 0;
    *total *= binom;
  }
  return *total <= cap;
}

static int compare_int(const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* A statistic of one label arrangement (larger is more extreme). */
typedef double (*arrangement_statistic)(void *context, const int *label);

/*
 * Walk the label arrangements of d->label within its strata: every distinct
 * one when there are at most max_permutations (d->label is sorted per
 * stratum first and restored to that order at the end), else that many
 * uniform random ones (xoshiro256**, Fisher-Yates per stratum). Counts in
 * *hits the arrangements whose statistic is >= threshold. Only d->label
 * changes; every design that shares its sort can read it. count is scratch of
 * d->n_group entries.
 */
static ns_status walk_arrangements(design *d, size_t max_permutations, uint64_t seed,
                                   ns_callback callback, void *context,
                                   arrangement_statistic statistic, void *stat_context,
                                   double threshold, size_t *count, size_t *hits,
                                   size_t *n_done, int *enumerated)
{
  const int G = d->n_group;
  /* How many distinct arrangements are there, up to the cap? */
  uint64_t cap = (uint64_t) max_permutations, total = 1;
  int exact = 1;
  for (size_t u = 0; u < d->n_run && exact; u++) {
    memset(count, 0, (size_t) G * sizeof *count);
    for (size_t i = d->run[u].lo; i < d->run[u].hi; i++) count[d->label[i]]++;
    exact = multiply_arrangements(count, G, cap, &total);
  }
  size_t n_todo = exact ? (size_t) total : max_permutations;
  if (exact) {
    /* Enumeration starts from every stratum's first arrangement. */
    for (size_t u = 0; u < d->n_run; u++)
      qsort(d->label + d->run[u].lo, d->run[u].hi - d->run[u].lo, sizeof *d->label,
            compare_int);
  }

  xoshiro_state gen;
  xoshiro_seed(&gen, seed);
  ns_throttle throttle = ns_throttle_start(callback, context);
  size_t n_hit = 0;
  for (size_t b = 0; b < n_todo; b++) {
    if (!exact) {
      for (size_t u = 0; u < d->n_run; u++) {
        int *a = d->label + d->run[u].lo;
        size_t m = d->run[u].hi - d->run[u].lo;
        for (size_t i = m - 1; i > 0; i--) {
          size_t j = uniform_below(&gen, (uint32_t) (i + 1));
          int t = a[i]; a[i] = a[j]; a[j] = t;
        }
      }
    }
    n_hit += statistic(stat_context, d->label) >= threshold;
    if (exact) {
      for (size_t u = 0; u < d->n_run; u++)
        if (next_arrangement(d->label + d->run[u].lo, d->run[u].hi - d->run[u].lo)) break;
    }
    /* The last arrangement always reports (progress reaches 1), but the
     * answer is complete by then, so it is not interrupted. */
    double done = (double) (b + 1) / (double) n_todo;
    int stop = b + 1 == n_todo ? (ns_throttle_now(&throttle, done), 0)
                               : ns_throttle_tick(&throttle, d->n + 1, done);
    if (stop) return NS_ERR_INTERRUPTED;
  }
  *hits = n_hit;
  *n_done = n_todo;
  *enumerated = exact;
  return NS_OK;
}

/* Exact: #{T >= T_obs} / M; Monte Carlo: (1 + b) / (1 + B) and its s.e. */
static void permutation_p(size_t hits, size_t n_todo, int exact, double *p_value,
                          double *std_error)
{
  if (exact) {
    *p_value = (double) hits / (double) n_todo;
    *std_error = 0.0;
  } else {
    double p = ((double) hits + 1.0) / ((double) n_todo + 1.0);
    *p_value = p;
    *std_error = sqrt(p * (1.0 - p) / (double) n_todo);
  }
}

/* The chi-square of one arrangement, for ns_logrank_permutation. */
typedef struct {
  const design *d;
  double *work, *obs, *exp, *var, *risk;
  int *keep;
} chisq_context;

static double chisq_statistic(void *context, const int *label)
{
  chisq_context *c = context;
  double t;
  int df;
  design_scan(c->d, label, 0, 1, c->obs, c->exp, c->var, c->risk, NULL, NULL);
  ns_logrank_chisq(c->d->n_group, c->obs, c->exp, c->var, c->work, c->keep, &t, &df, NULL, NULL);
  return t;
}

/*
 * ns_logrank_permutation (contract in netsurv.h): the same statistic over
 * label arrangements within strata -- every distinct one when there are at
 * most max_permutations, else that many uniform random ones (xoshiro256**,
 * Fisher-Yates). Only the label array changes between arrangements, so the
 * sort, the event blocks and the weights are built once. Reference: Phipson &
 * Smyth (2010) for the (1 + b) / (1 + B) Monte Carlo p-value.
 */
ns_status ns_logrank_permutation(size_t n, const double *time, const int *status,
                                 const int *group, const int *stratum,
                                 int n_group, int n_stratum, double rho,
                                 double gamma, double time_fix, size_t max_permutations,
                                 unsigned long long seed, ns_callback callback,
                                 void *context, double *chisq_observed,
                                 double *p_value, double *std_error,
                                 size_t *n_permutations, int *enumerated)
{
  if (!chisq_observed || !p_value || !std_error || !n_permutations || !enumerated ||
      max_permutations < 1)
    return NS_ERR_ARGUMENT;
  const int G = n_group;
  design d;
  ns_status st = design_checked(&d, n, time, status, group, stratum, G, n_stratum,
                                rho, gamma, time_fix);
  if (st != NS_OK) return st;

  double *work = malloc(((size_t) G * G * 2 + 7 * (size_t) G) * sizeof *work);
  int *keep = malloc((size_t) G * sizeof *keep);
  size_t *count = malloc((size_t) G * sizeof *count);
  if (!work || !keep || !count) {
    free(work); free(keep); free(count);
    design_free(&d);
    return NS_ERR_NOMEM;
  }
  chisq_context c;
  c.d = &d;
  c.work = work;
  c.keep = keep;
  c.var = work + (size_t) G * G + 2 * (size_t) G;
  c.obs = c.var + (size_t) G * G;
  c.exp = c.obs + G;
  c.risk = c.exp + G; /* 3 G doubles: design_scan's totals mode */
  /* The observed statistic may itself be long (many groups): interruptible,
   * reported as 0 % done. */
  callback_at_zero z = {callback, context};
  ns_callback zc = callback ? call_at_zero : NULL;
  double t_obs;
  int df;
  if (design_scan(&d, d.label, 0, 1, c.obs, c.exp, c.var, c.risk, zc, &z) ||
      ns_logrank_chisq(G, c.obs, c.exp, c.var, work, keep, &t_obs, &df, zc, &z)) {
    free(work); free(keep); free(count);
    design_free(&d);
    return NS_ERR_INTERRUPTED;
  }
  double threshold = t_obs - 1e-9 * (1.0 + t_obs);
  size_t hits = 0, n_todo = 0;
  int exact = 0;
  st = walk_arrangements(&d, max_permutations, (uint64_t) seed, callback, context,
                         chisq_statistic, &c, threshold, count, &hits, &n_todo, &exact);
  if (st == NS_OK) {
    *chisq_observed = t_obs;
    *n_permutations = n_todo;
    *enumerated = exact;
    permutation_p(hits, n_todo, exact, p_value, std_error);
  }
  free(work); free(keep); free(count);
  design_free(&d);
  return st;
}

/* ---- MaxCombo ------------------------------------------------------------- */

/* The maximum standardized statistic of one arrangement over K designs that
 * share one sort (and so one label array). */
typedef struct {
  const design *d;  /* K designs */
  int K;
  int sides;        /* 0: max |Z|, 1: max Z, -1: max -Z */
  double obs[2], exp[2], var[4], risk[6];
} maxcombo_context;

static double maxcombo_statistic(void *context, const int *label)
{
  maxcombo_context *c = context;
  double best = -INFINITY;
  for (int k = 0; k < c->K; k++) {
    design_scan(&c->d[k], label, 0, 1, c->obs, c->exp, c->var, c->risk, NULL, NULL);
    double z = c->var[0] > 0 ? (c->obs[0] - c->exp[0]) / sqrt(c->var[0]) : 0.0;
    double s = c->sides == 0 ? fabs(z) : c->sides > 0 ? z : -z;
    if (s > best) best = s;
  }
  return best;
}

/*
 * ns_logrank_maxcombo_permutation (contract in netsurv.h): one design per
 * weight pair, all from the same input and hence the same sort, so a label
 * arrangement of the first is an arrangement of all; each arrangement costs
 * K scans. Reference: Lee (2007) for the MaxCombo statistic.
 */
ns_status ns_logrank_maxcombo_permutation(size_t n, const double *time, const int *status,
                                          const int *group, const int *stratum,
                                          int n_stratum, int n_weights, const double *rho,
                                          const double *gamma, int sides,
                                          size_t max_permutations, unsigned long long seed,
                                          ns_callback callback, void *context,
                                          double *max_observed, double *p_value,
                                          double *std_error, size_t *n_permutations,
                                          int *enumerated)
{
  if (!max_observed || !p_value || !std_error || !n_permutations || !enumerated ||
      max_permutations < 1 || n_weights < 1 || !rho || !gamma || sides < -1 || sides > 1)
    return NS_ERR_ARGUMENT;
  for (int k = 0; k < n_weights; k++) {
    ns_status st = check_input(n, time, status, group, stratum, 2, n_stratum, rho[k], gamma[k]);
    if (st != NS_OK) return st;
  }
  design *d = calloc((size_t) n_weights, sizeof *d);
  if (!d) return NS_ERR_NOMEM;
  ns_status st = NS_OK;
  for (int k = 0; k < n_weights && st == NS_OK; k++) {
    st = design_build(&d[k], n, time, status, group, stratum, 2, rho[k], gamma[k], 0.0);
    /* the same input sorts the same way; the scans rely on it */
    if (st == NS_OK && k > 0 &&
        (memcmp(d[k].label, d[0].label, n * sizeof *d[0].label) != 0 ||
         memcmp(d[k].status, d[0].status, n) != 0 || d[k].n_run != d[0].n_run))
      st = NS_ERR_ARGUMENT;
  }
  size_t count[2];
  if (st == NS_OK) {
    maxcombo_context c;
    c.d = d;
    c.K = n_weights;
    c.sides = sides;
    double m_obs = maxcombo_statistic(&c, d[0].label);
    double threshold = m_obs - 1e-9 * (1.0 + fabs(m_obs));
    size_t hits = 0, n_todo = 0;
    int exact = 0;
    st = walk_arrangements(&d[0], max_permutations, (uint64_t) seed, callback, context,
                           maxcombo_statistic, &c, threshold, count, &hits, &n_todo, &exact);
    if (st == NS_OK) {
      *max_observed = m_obs;
      *n_permutations = n_todo;
      *enumerated = exact;
      permutation_p(hits, n_todo, exact, p_value, std_error);
    }
  }
  for (int k = 0; k < n_weights; k++) design_free(&d[k]);
  free(d);
  return st;
}
