/*
 * km.c -- Kaplan-Meier and Nelson-Aalen curves per stratum, with the numbers
 * and conventions of survival's survfit() for right-censored and
 * counting-process data.
 *
 * Speed: a curve needs, per stratum and distinct time, only sums of weights
 * (events, censorings, entries), never the rows in order. So instead of a
 * permutation of the rows (ns_sort_order), which would cost three random
 * gathers per row in the scan, the rows are split once into segments
 * (stratum x {event stop, censored stop, entry}) holding the times as
 * order-preserving 64-bit keys (with their rows only when weights or the
 * jackknife need them), and each segment is sorted on its own by
 * ns_sort_keys (sort.c): a counting sort through a cache-sized hash table
 * when it holds few distinct times (rounded data), MSD radix when it is
 * long, LSD radix or insertion sort when short. The estimates are then one linear merge of a stratum's
 * segments. Measured at a million rows (bench/bench-km.R) this is several
 * times faster than ns_sort_order plus a gathering scan.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "km_work.h"

#define MERGE_SEGMENTS 8    /* time fix: merge up to this many segments */


/* Distinct values in the union of two sorted key arrays. */
static size_t count_distinct(const uint64_t *a, size_t na, const uint64_t *b,
                             size_t nb)
{
  size_t i = 0, j = 0, distinct = 0;
  while (i < na || j < nb) {
    uint64_t t = (j >= nb || (i < na && a[i] <= b[j])) ? a[i] : b[j];
    while (i < na && a[i] == t) i++;
    while (j < nb && b[j] == t) j++;
    distinct++;
  }
  return distinct;
}

/* Index of key k in the sorted distinct keys u[0..m-1] (k is one of them). */
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
 * Merge times that differ only by floating-point fuzz, with the rule of
 * survival's aeqSurv() (and ns_time_fix): sort the distinct values of all
 * times and entry times together; consecutive values y1 < y2 are tied when
 * y2 - y1 <= tolerance or (y2 - y1) / mean(|y|) <= tolerance; each run of
 * tied values becomes its smallest member. Done here on the sorted segments
 * rather than by ns_time_fix on the raw rows because the segments already
 * hold every stratum's distinct values in order: only those are pooled and
 * sorted, and when nothing is tied (the usual case) nothing is rewritten.
 * The map is monotone, so the segments stay sorted. An interval whose ends
 * merge gives NS_ERR_START_STOP.
 */
static ns_status fix_times(ns_km_work *w, size_t n_keys, size_t n_segments, double tolerance)
{
  uint64_t *u = malloc((n_keys ? n_keys : 1) * sizeof *u);
  uint64_t *tmp = malloc((n_keys ? n_keys : 1) * sizeof *tmp);
  ns_status status = NS_OK;
  if (!u || !tmp) { status = NS_ERR_NOMEM; goto done; }

  /* The distinct values of all segments, in order: a merge of the sorted
   * segments when they are few, else pooled and sorted. */
  size_t m = 0;
  if (n_segments <= MERGE_SEGMENTS) {
    size_t at[MERGE_SEGMENTS];
    for (size_t g = 0; g < n_segments; g++) at[g] = w->offset[g];
    for (;;) {
      size_t best = n_segments;
      for (size_t g = 0; g < n_segments; g++)
        if (at[g] < w->offset[g + 1] && (best == n_segments || w->key[at[g]] < w->key[at[best]]))
          best = g;
      if (best == n_segments) break;
      uint64_t k = w->key[at[best]];
      /* Take the whole run: ties are the rule in rounded times. */
      while (at[best] < w->offset[best + 1] && w->key[at[best]] == k) at[best]++;
      if (m == 0 || u[m - 1] != k) u[m++] = k;
    }
  } else {
    for (size_t g = 0; g < n_segments; g++)
      for (size_t i = w->offset[g]; i < w->offset[g + 1]; i++)
        if (i == w->offset[g] || w->key[i] != w->key[i - 1]) u[m++] = w->key[i];
    ns_sort_keys(u, NULL, m, tmp, NULL, NULL);
    size_t distinct = 0;
    for (size_t i = 0; i < m; i++)
      if (i == 0 || u[i] != u[distinct - 1]) u[distinct++] = u[i];
    m = distinct;
  }
  if (m < 2) goto done;

  /* tmp[i]: the key that u[i] becomes. */
  int changed = ns_fix_sorted_keys(u, m, tolerance, tmp);
  if (!changed) goto done;

  for (size_t g = 0; g < n_segments; g++) {
    size_t from = w->offset[g], to = w->offset[g + 1];
    if ((to - from) * 16 >= m) {
      /* A long segment: walk it alongside u. */
      size_t p = 0;
      for (size_t i = from; i < to; i++) {
        while (u[p] != w->key[i]) p++;
        w->key[i] = tmp[p];
      }
    } else {
      for (size_t i = from; i < to; i++) w->key[i] = tmp[find_key(u, m, w->key[i])];
    }
  }
  if (w->counting) {
    const double *start = w->data.start, *time = w->data.time;
    for (size_t i = 0; i < w->data.n; i++)
      if (tmp[find_key(u, m, ns_time_key(start[i]))] == tmp[find_key(u, m, ns_time_key(time[i]))]) {
        status = NS_ERR_START_STOP;
        break;
      }
  }

done:
  free(u);
  free(tmp);
  return status;
}

void ns_km_free(ns_km_work *work)
{
  if (work == NULL) return;
  free(work->key);
  free(work->row);
  free(work->offset);
  free(work->stratum_times);
  free(work->stratum_rows);
  free(work);
}

/*
 * ns_km_prepare: check the rows, sort them, count the curve's time points.
 *   data      the rows (see ns_km_data); the arrays are borrowed by *work and
 *             must stay alive and unchanged until ns_km_free(*work)
 *   work      out: the sorted rows, for ns_km_estimate; NULL on error
 *   n_times   out: the number of time points of all curves together, i.e.
 *             the distinct stop times of each stratum (right-censored data:
 *             every distinct event or censoring time; counting-process data:
 *             every distinct stop time -- entry times are not time points,
 *             as in survfit), after data->time_fix merged fuzz-tied times
 *   callback, context   optional interrupt check (may be NULL)
 * Returns NS_ERR_TIME (a time or start is not finite), NS_ERR_STATUS (not
 * 0/1), NS_ERR_WEIGHT (negative or not finite, or their sum overflows),
 * NS_ERR_STRATUM (out of
 * range), NS_ERR_START_STOP (start >= stop, also once times are merged),
 * NS_ERR_ARGUMENT, NS_ERR_NOMEM,
 * NS_ERR_INTERRUPTED. No preconditions on the order of the rows. O(n) time
 * (radix and counting sorts); memory about 8 bytes per row for the keys
 * (12 with weights; twice that with entry times) plus scratch for the
 * largest segment and, when times are merged, for the distinct times.
 */
ns_status ns_km_prepare(const ns_km_data *data, ns_km_work **work,
                        size_t *n_times, ns_callback callback, void *context)
{
  if (work) *work = NULL;
  if (n_times) *n_times = 0;
  if (!data || !work || !n_times || data->n_strata < 1) return NS_ERR_ARGUMENT;
  if (data->variance != NS_KM_GREENWOOD && data->variance != NS_KM_JACKKNIFE)
    return NS_ERR_ARGUMENT;
  size_t n = data->n;
  if (n > 0 && (!data->time || !data->status)) return NS_ERR_ARGUMENT;
  if (n > (size_t) INT32_MAX) return NS_ERR_ARGUMENT;

  int counting = data->start != NULL;
  int kinds = counting ? 3 : 2;
  size_t n_strata = (size_t) data->n_strata;
  if (n_strata > (SIZE_MAX - 1) / (size_t) kinds) return NS_ERR_ARGUMENT;
  size_t n_segments = n_strata * (size_t) kinds;
  size_t n_keys = counting ? 2 * n : n;

  ns_km_work *w = calloc(1, sizeof *w);
  if (!w) return NS_ERR_NOMEM;
  w->data = *data;
  w->counting = counting;
  w->kinds = kinds;
  w->offset = calloc(n_segments + 1, sizeof *w->offset);
  w->stratum_times = calloc(n_strata, sizeof *w->stratum_times);
  w->stratum_rows = calloc(n_strata, sizeof *w->stratum_rows);
  w->key = malloc((n_keys ? n_keys : 1) * sizeof *w->key);
  /* Rows travel with the keys when their weights are needed, or their entry
   * values for the jackknife with entry times. */
  int need_rows = data->weight != NULL ||
                  (counting && data->variance == NS_KM_JACKKNIFE) ||
                  data->cluster != NULL || data->position != NULL; /* km_options.c */
  if (need_rows) w->row = malloc((n_keys ? n_keys : 1) * sizeof *w->row);
  uint64_t *key_tmp = NULL;
  int *row_tmp = NULL;
  ns_few_keys *few = NULL;
  ns_status status = NS_OK;
  if (!w->offset || !w->stratum_times || !w->stratum_rows || !w->key ||
      (need_rows && !w->row)) {
    status = NS_ERR_NOMEM;
    goto fail;
  }

  /* Pass 1: check every row and count the segments' sizes (in offset[s+1]). */
  const double *time = data->time, *start = data->start, *weight = data->weight;
  const int *stratum = data->stratum, *event = data->status;
  ns_throttle throttle = ns_throttle_start(callback, context);
  double weight_total = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (weight) weight_total += weight[i];
    if (ns_throttle_tick(&throttle, 1, 0.1 * (double) i / (double) n)) {
      status = NS_ERR_INTERRUPTED;
      goto fail;
    }
    int s = stratum ? stratum[i] : 0;
    if (s < 0 || s >= data->n_strata) { status = NS_ERR_STRATUM; goto fail; }
    if (!isfinite(time[i])) { status = NS_ERR_TIME; goto fail; }
    if (event[i] != 0 && event[i] != 1) { status = NS_ERR_STATUS; goto fail; }
    if (weight && !(isfinite(weight[i]) && weight[i] >= 0)) {
      status = NS_ERR_WEIGHT;
      goto fail;
    }
    if (weight && !isfinite(weight_total)) {
      /* the weights sum past DBL_MAX: every count would be Inf / Inf */
      status = NS_ERR_WEIGHT;
      goto fail;
    }
    if (counting) {
      if (!isfinite(start[i])) { status = NS_ERR_TIME; goto fail; }
      if (!(start[i] < time[i])) { status = NS_ERR_START_STOP; goto fail; }
      w->offset[(size_t) s * 3 + KIND_ENTRY + 1]++;
    }
    w->offset[(size_t) s * (size_t) kinds + (event[i] ? KIND_EVENT : KIND_CENSOR) + 1]++;
    w->stratum_rows[s]++;
  }
  size_t largest = 0;
  for (size_t g = 0; g < n_segments; g++) {
    if (w->offset[g + 1] > largest) largest = w->offset[g + 1];
    w->offset[g + 1] += w->offset[g];
  }

  /* Pass 2: scatter the keys into their segments; offset[g] walks each
   * segment and ends at the next one's start, so it is shifted back after. */
  for (size_t i = 0; i < n; i++) {
    size_t s = stratum ? (size_t) stratum[i] : 0;
    size_t at = w->offset[s * (size_t) kinds + (event[i] ? KIND_EVENT : KIND_CENSOR)]++;
    w->key[at] = ns_time_key(time[i]);
    if (w->row) w->row[at] = (int) i;
    if (counting) {
      at = w->offset[s * 3 + KIND_ENTRY]++;
      w->key[at] = ns_time_key(start[i]);
      if (w->row) w->row[at] = (int) i;
    }
  }
  memmove(w->offset + 1, w->offset, n_segments * sizeof *w->offset);
  w->offset[0] = 0;

  /* Sort each segment; scratch space for the largest one only. */
  if (largest >= NS_KEY_SORT_SMALL) {
    key_tmp = malloc(largest * sizeof *key_tmp);
    if (w->row) row_tmp = malloc(largest * sizeof *row_tmp);
    if (!key_tmp || (w->row && !row_tmp)) { status = NS_ERR_NOMEM; goto fail; }
  }
  if (largest >= NS_KEY_SORT_FEW_MIN) {
    few = ns_few_keys_new();
    if (!few) { status = NS_ERR_NOMEM; goto fail; }
  }
  for (size_t g = 0; g < n_segments; g++) {
    size_t from = w->offset[g], len = w->offset[g + 1] - from;
    ns_sort_keys(w->key + from, w->row ? w->row + from : NULL, len, key_tmp, row_tmp, few);
    if (ns_throttle_tick(&throttle, len, 0.1 + 0.7 * (double) from / (double) (n_keys ? n_keys : 1))) {
      status = NS_ERR_INTERRUPTED;
      goto fail;
    }
  }
  free(key_tmp); key_tmp = NULL;
  free(row_tmp); row_tmp = NULL;
  free(few); few = NULL;
  if (data->time_fix > 0 && n > 0) {
    status = fix_times(w, n_keys, n_segments, data->time_fix);
    if (status != NS_OK) goto fail;
  }

  size_t total = 0;
  for (size_t s = 0; s < n_strata; s++) {
    const size_t *o = w->offset + s * (size_t) kinds;
    size_t distinct = count_distinct(w->key + o[KIND_EVENT], o[KIND_EVENT + 1] - o[KIND_EVENT],
                                     w->key + o[KIND_CENSOR], o[KIND_CENSOR + 1] - o[KIND_CENSOR]);
    w->stratum_times[s] = (int) distinct;
    total += distinct;
  }
  *work = w;
  *n_times = total;
  return NS_OK;

fail:
  free(key_tmp);
  free(row_tmp);
  free(few);
  ns_km_free(w);
  return status;
}

/* The weight of the m-th key of a segment. */
static double key_weight(const double *weight, const int *row, size_t m)
{
  return weight ? weight[row[m]] : 1.0;
}

/* Sum of the weights of the run of keys equal to t starting at *i (the run's
 * length without weights); advances *i past the run. */
static double run_weight(const uint64_t *key, const int *row, size_t n, size_t *i,
                         uint64_t t, const double *weight)
{
  size_t j = *i;
  double sum = 0.0;
  if (weight) {
    for (; j < n && key[j] == t; j++) sum += weight[row[j]];
  } else {
    while (j < n && key[j] == t) j++;
    sum = (double) (j - *i);
  }
  *i = j;
  return sum;
}

/* The stratum's segments and the slice of the outputs it fills. */
typedef struct {
  const uint64_t *event, *censor, *entry;   /* sorted keys */
  const int *event_row, *censor_row, *entry_row;
  size_t n_event, n_censor, n_entry;
  size_t first, n_times;                    /* slice of the outputs */
  double scale;   /* jackknife: a power of two near 1 / (largest weight of
                     the stratum); the variances are invariant under a
                     common scaling of the weights, and scaling by a power
                     of two is exact, so squares of weights near 1e-160 or
                     1e+160 neither underflow nor overflow */
} stratum_view;

/* Counts: times, weighted events and censorings (forward merge of the two
 * stop segments), then the weighted number at risk, accumulated from the
 * last time backwards as survfit does: the sum of the weights of the rows
 * with stop >= t, less those with entry >= t. Summing from the end keeps
 * small risk sets at the end of a curve accurate with fractional weights.
 * With risk_w2 (one entry per time point of the stratum), the same backward
 * sums of the squared weights, for the jackknife. */
static void stratum_counts(const stratum_view *v, const double *weight,
                           const ns_km_curve *out, double *risk_w2)
{
  size_t i = 0, j = 0, o = v->first;
  while (i < v->n_event || j < v->n_censor) {
    uint64_t t = (j >= v->n_censor || (i < v->n_event && v->event[i] <= v->censor[j]))
                     ? v->event[i] : v->censor[j];
    out->time[o] = ns_key_time(t);
    out->n_event[o] = run_weight(v->event, v->event_row, v->n_event, &i, t, weight);
    out->n_censor[o] = run_weight(v->censor, v->censor_row, v->n_censor, &j, t, weight);
    o++;
  }

  /* The sum of squares leaves with subtractions (entries) only for counting
   * data; rows_at_risk counts the rows so that an emptied risk set holds an
   * exact 0 rather than the rounding residue of the subtractions. */
  double at_risk = 0.0, at_risk2 = 0.0, c = v->scale;
  /* Counting data: the risk set loses rows by subtraction (entries), which
   * cancels when the weights spread widely (1e160 next to 1 left 0 or a
   * negative number at risk); exact sums keep what remains. Right-censored
   * sums only grow and are formed as survfit forms them. */
  ns_exact_sum xr2 = {{0}, 0};
  /* the weights at risk, exactly, of any size (internal.h; a subnormal
   * risk set next to a weight near DBL_MAX read 0 and S became 0 / 0) */
  ns_weight_sum xr = {{{0}, 0}, {{0}, 0}};
  size_t k = v->n_entry, rows_at_risk = 0, i_last = v->n_event, j_last = v->n_censor;
  i = v->n_event;
  j = v->n_censor;
  for (size_t m = v->n_times; m-- > 0;) {
    o = v->first + m;
    uint64_t t = ns_time_key(out->time[o]);
    if (!v->entry) at_risk += out->n_event[o] + out->n_censor[o];
    for (; i > 0 && v->event[i - 1] == t; i--) {
      double wk = key_weight(weight, v->event_row, i - 1);
      if (v->entry) ns_weight_sum_add(&xr, wk); /* row by row: n_event is rounded */
      wk *= c;
      if (risk_w2) { if (v->entry) ns_exact_add(&xr2, wk * wk); else at_risk2 += wk * wk; }
    }
    for (; j > 0 && v->censor[j - 1] == t; j--) {
      double wk = key_weight(weight, v->censor_row, j - 1);
      if (v->entry) ns_weight_sum_add(&xr, wk);
      wk *= c;
      if (risk_w2) { if (v->entry) ns_exact_add(&xr2, wk * wk); else at_risk2 += wk * wk; }
    }
    rows_at_risk += (i_last - i) + (j_last - j);
    i_last = i;
    j_last = j;
    if (v->entry) {
      for (; k > 0 && v->entry[k - 1] >= t; k--) {
        double wk = key_weight(weight, v->entry_row, k - 1);
        ns_weight_sum_add(&xr, -wk);
        if (risk_w2) ns_exact_add(&xr2, -(c * wk) * (c * wk));
        rows_at_risk--;
      }
      at_risk = ns_weight_sum_value(&xr);
      at_risk2 = risk_w2 ? ns_exact_value(&xr2) : 0.0;
      if (rows_at_risk == 0) at_risk = at_risk2 = 0.0;
      if (at_risk2 < 0.0) at_risk2 = 0.0;
    }
    out->n_risk[o] = at_risk;
    if (risk_w2) risk_w2[m] = at_risk2;
  }
  if (out->n_enter && v->n_times > 0) {
    /* What is left are the entries before the first time point. */
    double entered = 0.0;
    for (size_t m = 0; m < k; m++) entered += key_weight(weight, v->entry_row, m);
    for (size_t m = 0; m < v->n_times; m++) out->n_enter[v->first + m] = 0.0;
    out->n_enter[v->first] = entered;
  }
}

/* Without weights every count is a whole number, exact in a double, so the
 * number at risk can run forwards (rows entered so far less rows that left)
 * and counts, estimates and Greenwood variances take one pass. */
static void stratum_unweighted(const stratum_view *v, const ns_km_curve *out)
{
  double surv = 1.0, greenwood = 0.0, cumhaz = 0.0, chaz_var = 0.0;
  size_t i = 0, j = 0, k = 0, left = 0;
  size_t entered = v->entry ? 0 : v->n_event + v->n_censor;
  for (size_t o = v->first; o < v->first + v->n_times; o++) {
    uint64_t t = (j >= v->n_censor || (i < v->n_event && v->event[i] <= v->censor[j]))
                     ? v->event[i] : v->censor[j];
    if (v->entry) {
      while (k < v->n_entry && v->entry[k] < t) k++;
      entered = k;
    }
    size_t i0 = i, j0 = j;
    while (i < v->n_event && v->event[i] == t) i++;
    while (j < v->n_censor && v->censor[j] == t) j++;
    double n = (double) (entered - left), d = (double) (i - i0);
    left += (i - i0) + (j - j0);
    if (d > 0) {
      surv *= ns_km_factor(n, d);
      greenwood += d / (n * ns_km_survivors(n, d)); /* +Inf when the curve reaches 0 */
      cumhaz += d / n;
      chaz_var += d / (n * n);
    }
    out->time[o] = ns_key_time(t);
    out->n_risk[o] = n;
    out->n_event[o] = d;
    out->n_censor[o] = (double) (j - j0);
    out->surv[o] = surv;
    out->std_err[o] = sqrt(greenwood);
    out->cumhaz[o] = cumhaz;
    out->std_chaz[o] = sqrt(chaz_var);
    if (out->n_enter) out->n_enter[o] = o == v->first && v->entry ? (double) entered : 0.0;
  }
}

/* Greenwood and Nelson-Aalen variances on the weighted counts: the curve
 * of out's time points first .. first + count - 1 (one stratum) from their
 * n_risk and n_event, into surv, std_err, cumhaz and std_chaz. Shared with
 * ns_km_from_moments (declared in internal.h). */
void ns_km_greenwood(const ns_km_curve *out, size_t first, size_t count)
{
  /* the variance sums as ns_scaled_sum: weighted counts near 1e-160 or
   * 1e160 would underflow or overflow n^2 */
  ns_scaled_sum greenwood = {0}, chaz_var = {0};
  double surv = 1.0, cumhaz = 0.0;
  for (size_t o = first; o < first + count; o++) {
    double n = out->n_risk[o], d = out->n_event[o];
    if (d > 0) {
      /* weighted counts: d may exceed n by a rounding (see ns_km_survivors) */
      double left = ns_km_survivors(n, d), h = d / n;
      surv *= ns_km_factor(n, d);
      ns_scaled_add(&greenwood, h, left, 0); /* +Inf when the curve reaches 0 */
      cumhaz += h;
      ns_scaled_add(&chaz_var, h, n, 0);
    }
    out->surv[o] = surv;
    out->std_err[o] = ns_scaled_sqrt(&greenwood);
    out->cumhaz[o] = cumhaz;
    out->std_chaz[o] = ns_scaled_sqrt(&chaz_var);
  }
}

/*
 * Infinitesimal-jackknife variances with one cluster per row, in one pass.
 * The influence of row k (weight w, at risk at the event times t_j with
 * entry < t_j <= stop) on S(t) is S(t) w A_k(t), on H(t) it is -w B_k(t), with
 *   A_k(t) = sum_{t_j <= t} (Y_kj h_j - dN_kj) / (n_j - d_j),
 *   B_k(t) = sum_{t_j <= t} (Y_kj h_j - dN_kj) / n_j,       h_j = d_j / n_j,
 * Y_kj = 1 while k is at risk and dN_kj = 1 when k has its event at t_j.
 * With G(t) = sum d/(n(n-d)) and Q(t) = sum d/n^2 (the Greenwood and
 * Nelson-Aalen sums), a row at risk has A_k(t) = G(t) - G(entry_k), and a
 * row that left at time T has the fixed A_k = G(T) - G(entry_k) - event/(n-d)
 * (same for B with Q and 1/n). So var S(t) = S(t)^2 sum_k w_k^2 A_k(t)^2 is
 * the frozen sum over the rows that left plus, for the rows still at risk,
 * G(t)^2 sum w^2 (right-censored data, entry at -Inf) or the running sums
 * sum w^2 x, sum w^2 x^2 with x = G - G(entry), updated in O(1) when G grows
 * (counting data; G(entry), Q(entry) are kept per row in g, q). One pass,
 * O(n), instead of survfit's O(n x event times). The sums of squared weights
 * at risk come from risk_w2 (summed backwards, never by subtracting from a
 * total, which would lose the small risk sets at the end of a curve). Once
 * S(t) = 0 every influence on S is 0, as survfit's recursion gives.
 * Variances change only at event times.
 */
static void stratum_jackknife(const stratum_view *v, const double *weight,
                              const double *risk_w2, double *g, double *q,
                              const ns_km_curve *out)
{
  double surv = 1.0, G = 0.0, Q = 0.0, cumhaz = 0.0;
  double a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0; /* counting: rows at risk */
  double done_s = 0.0, done_h = 0.0;             /* rows that left */
  double var_s = 0.0, var_h = 0.0;
  int counting = v->entry != NULL;
  size_t i = 0, j = 0, k = 0, rows_at_risk = 0;
  double c = v->scale;

  for (size_t m = 0; m < v->n_times; m++) {
    size_t o = v->first + m;
    uint64_t t = ns_time_key(out->time[o]);
    if (counting) {
      for (; k < v->n_entry && v->entry[k] < t; k++) {
        g[v->entry_row[k]] = G;
        q[v->entry_row[k]] = Q;
        rows_at_risk++;
      }
    }
    /* the estimates from the counts as they are; the variance terms from
     * the scaled counts (c * a subnormal weight may underflow to 0, which
     * must not remove an event from the curve) */
    double n0 = out->n_risk[o], d0 = out->n_event[o];
    double n = c * n0, d = c * d0;
    if (d0 > 0) {
      double left = ns_km_survivors(n, d); /* rounding: d may exceed n */
      double dg = d > 0 ? d / (n * left) : 0.0, dq = d > 0 ? d / (n * n) : 0.0;
      if (counting) {
        double r2 = risk_w2[m];
        a2 += dg * (2.0 * a1 + dg * r2);
        a1 += dg * r2;
        b2 += dq * (2.0 * b1 + dq * r2);
        b1 += dq * r2;
      }
      G += dg;
      Q += dq;
      cumhaz += d0 / n0;
      surv *= ns_km_factor(n0, d0);
    }
    for (int pass = 0; pass < 2; pass++) {
      const uint64_t *keys = pass == 0 ? v->event : v->censor;
      const int *rows = pass == 0 ? v->event_row : v->censor_row;
      size_t len = pass == 0 ? v->n_event : v->n_censor;
      size_t *at = pass == 0 ? &i : &j;
      for (; *at < len && keys[*at] == t; (*at)++) {
        double wk = c * key_weight(weight, rows, *at), w2 = wk * wk;
        double x = G, y = Q;
        if (counting) {
          x -= g[rows[*at]];
          y -= q[rows[*at]];
          a1 -= w2 * x;
          a2 -= w2 * x * x;
          b1 -= w2 * y;
          b2 -= w2 * y * y;
          /* The running sums over the rows still at risk lose what leaves
           * by subtraction: exactly 0 once nobody is at risk, and never
           * below 0 (a sum of squares) when rounding says otherwise. */
          if (--rows_at_risk == 0) a1 = a2 = b1 = b2 = 0.0;
          if (a2 < 0.0) a2 = 0.0;
          if (b2 < 0.0) b2 = 0.0;
        }
        if (w2 == 0.0) continue; /* no influence; its n - d may be 0 */
        if (pass == 0) { x -= 1.0 / ns_km_survivors(n, d); y -= 1.0 / n; }
        done_s += w2 * x * x;
        done_h += w2 * y * y;
      }
    }
    if (d0 > 0) {
      double still_s = a2, still_h = b2;
      if (!counting) {
        double after = m + 1 < v->n_times ? risk_w2[m + 1] : 0.0;
        /* nobody left at risk: 0, also when G^2 overflows (0 * Inf) */
        still_s = after > 0 ? G * G * after : 0.0;
        still_h = after > 0 ? Q * Q * after : 0.0;
      }
      var_s = surv > 0 ? surv * surv * (still_s + done_s) : 0.0;
      var_h = still_h + done_h;
    }
    out->surv[o] = surv;
    out->std_err[o] = sqrt(var_s);
    out->cumhaz[o] = cumhaz;
    out->std_chaz[o] = sqrt(var_h);
  }
}

/*
 * ns_km_estimate: the Kaplan-Meier curve of each stratum, with the
 * Nelson-Aalen cumulative hazard, their standard errors and the counts.
 *   work    from ns_km_prepare (the data it borrowed must be unchanged)
 *   curve   caller-owned buffers: per time point n_times (as ns_km_prepare
 *           reported) doubles each, per stratum n_strata ints each; n_enter
 *           may be NULL
 *   callback, context   optional interrupt check (may be NULL)
 * Returns NS_ERR_ARGUMENT (a required buffer is NULL), NS_ERR_NOMEM,
 * NS_ERR_WEIGHT (jackknife only: a stratum's positive weights span more than
 * 2^400, beyond what its variance sums can hold) or NS_ERR_INTERRUPTED (the
 * buffers then hold partial results), else NS_OK.
 *
 * At each distinct time t of a stratum, with n = weighted number at risk
 * (rows with entry < t <= stop) and d = weighted number of events at t:
 *   Kaplan-Meier      S(t) = prod_{t_j <= t} (1 - d_j / n_j)
 *   Greenwood         var log S(t) = sum d_j / (n_j (n_j - d_j));
 *                     std_err = its square root (survfit's logse = TRUE);
 *                     +Inf once S reaches 0
 *   Nelson-Aalen      H(t) = sum d_j / n_j, var H(t) = sum d_j / n_j^2
 * Only times with d > 0 change the estimates; a time with censorings only is
 * still a point of the curve. Tie rule: at a shared time, events come before
 * censorings, so a row censored at t is at risk at t, and a row entering at t
 * (counting data) is not. With NS_KM_JACKKNIFE the standard errors are the
 * infinitesimal jackknife's (one cluster per row; std_err is then on the
 * scale of S, survfit's logse = FALSE), see stratum_jackknife().
 * References: Kaplan EL, Meier P (1958) JASA 53:457-481; Greenwood M (1926)
 * Reports on Public Health and Medical Subjects 33; Nelson W (1972)
 * Technometrics 14:945-966; Aalen O (1978) Ann Stat 6:701-726; Therneau TM,
 * the survival package's survfit methods document (counts, n.enter, the
 * jackknife variance with case weights).
 */
ns_status ns_km_estimate(const ns_km_work *work, const ns_km_curve *curve,
                         ns_callback callback, void *context)
{
  if (!work || !curve || !curve->time || !curve->n_risk || !curve->n_event ||
      !curve->n_censor || !curve->surv || !curve->std_err || !curve->cumhaz ||
      !curve->std_chaz || !curve->stratum_times || !curve->stratum_rows)
    return NS_ERR_ARGUMENT;

  const ns_km_data *data = &work->data;
  size_t n_strata = (size_t) data->n_strata;
  int jackknife = data->variance == NS_KM_JACKKNIFE;
  double *g = NULL, *q = NULL, *risk_w2 = NULL;
  if (jackknife) {
    size_t longest = 1;
    for (size_t s = 0; s < n_strata; s++)
      if ((size_t) work->stratum_times[s] > longest) longest = (size_t) work->stratum_times[s];
    risk_w2 = malloc(longest * sizeof *risk_w2);
    if (work->counting && data->n > 0) {
      g = malloc(data->n * sizeof *g);
      q = malloc(data->n * sizeof *q);
    }
    if (!risk_w2 || (work->counting && data->n > 0 && (!g || !q))) {
      free(g); free(q); free(risk_w2);
      return NS_ERR_NOMEM;
    }
  }

  ns_status status = NS_OK;
  size_t first = 0;
  ns_throttle throttle = ns_throttle_start(callback, context);
  for (size_t s = 0; s < n_strata; s++) {
    const size_t *o = work->offset + s * (size_t) work->kinds;
    stratum_view v = {0};
    v.event = work->key + o[KIND_EVENT];
    v.censor = work->key + o[KIND_CENSOR];
    v.n_event = o[KIND_EVENT + 1] - o[KIND_EVENT];
    v.n_censor = o[KIND_CENSOR + 1] - o[KIND_CENSOR];
    if (work->row) {
      v.event_row = work->row + o[KIND_EVENT];
      v.censor_row = work->row + o[KIND_CENSOR];
    }
    if (work->counting) {
      v.entry = work->key + o[KIND_ENTRY];
      v.n_entry = o[KIND_ENTRY + 1] - o[KIND_ENTRY];
      if (work->row) v.entry_row = work->row + o[KIND_ENTRY];
    }
    v.first = first;
    v.n_times = (size_t) work->stratum_times[s];

    if (!jackknife && !data->weight) {
      stratum_unweighted(&v, curve);
    } else {
      v.scale = 1.0;
      if (jackknife && data->weight) {
        double wmax = 0.0, wmin = INFINITY;
        const int *rows[3] = {v.event_row, v.censor_row, v.entry_row};
        size_t lens[3] = {v.n_event, v.n_censor, v.n_entry};
        for (int kind = 0; kind < 3; kind++)
          for (size_t m = 0; m < lens[kind]; m++) {
            double wk = key_weight(data->weight, rows[kind], m);
            if (wk > wmax) wmax = wk;
            if (wk > 0.0 && wk < wmin) wmin = wk;
          }
        /* A row's influence is w x (sums of 1 / n), of order 1 whatever the
         * scale, but formed as w^2 times squared sums of 1 / n it needs both
         * w^2 and (1 / n)^2 in range after the common scaling: positive
         * weights spanning more than 2^400 (~2.6e120) within a stratum
         * would underflow w^2 to 0 (or give Inf * 0) and are refused. */
        if (wmax > 0.0 && !(wmax <= ldexp(wmin, 400))) {
          status = NS_ERR_WEIGHT;
          break;
        }
        if (wmax > 0.0 && isfinite(wmax)) {
          int e;
          frexp(wmax, &e);
          /* subnormal weights: 2^-e itself would overflow */
          v.scale = ldexp(1.0, e < -1000 ? 1000 : -e);
        }
      }
      stratum_counts(&v, data->weight, curve, risk_w2);
      if (jackknife) stratum_jackknife(&v, data->weight, risk_w2, g, q, curve);
      else ns_km_greenwood(curve, v.first, v.n_times);
    }
    curve->stratum_times[s] = work->stratum_times[s];
    curve->stratum_rows[s] = work->stratum_rows[s];
    first += v.n_times;

    if (ns_throttle_tick(&throttle, v.n_event + v.n_censor + v.n_entry + 1,
                         0.8 + 0.2 * (double) (s + 1) / (double) n_strata)) {
      status = NS_ERR_INTERRUPTED;
      break;
    }
  }
  free(g);
  free(q);
  free(risk_w2);
  return status;
}
