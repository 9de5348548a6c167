/*
 * sort.c -- one stable O(n) sort by (stratum, time) that every estimator
 * shares: after it, Kaplan-Meier, log-rank and Cox are linear scans.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"

#define DIGIT_BITS 11
#define DIGIT_SIZE (1u << DIGIT_BITS)
#define DIGIT_MASK (DIGIT_SIZE - 1u)
#define TIME_DIGITS 6    /* ceil(64 / 11) */
#define STRATUM_DIGITS 3 /* ceil(32 / 11) */

/* Map a finite double to an unsigned key with the same order: flip all bits of
 * negatives, only the sign bit of non-negatives. Adding 0.0 turns -0.0 into
 * +0.0 so that the two zeros tie, as they compare equal. */
static uint64_t time_key(double t)
{
  uint64_t bits;
  t += 0.0;
  memcpy(&bits, &t, sizeof bits);
  return (bits & UINT64_C(0x8000000000000000)) ? ~bits
                                               : bits | UINT64_C(0x8000000000000000);
}

static unsigned digit64(uint64_t key, int pass)
{
  return (unsigned) (key >> (pass * DIGIT_BITS)) & DIGIT_MASK;
}

static unsigned digit32(uint32_t key, int pass)
{
  return (unsigned) (key >> (pass * DIGIT_BITS)) & DIGIT_MASK;
}

/* Turn a histogram into starting offsets; returns 0 when one bucket holds all
 * n rows, in which case the pass would not move anything and is skipped. */
static int offsets_from_counts(size_t *count, size_t n)
{
  size_t sum = 0;
  for (unsigned b = 0; b < DIGIT_SIZE; b++) {
    size_t c = count[b];
    if (c == n) return 0;
    count[b] = sum;
    sum += c;
  }
  return 1;
}

ns_status ns_sort_order(size_t n, const int *stratum, const double *time,
                        int *order)
{
  if (n == 0) return NS_OK;
  if (time == NULL || order == NULL || n > (size_t) INT32_MAX) return NS_ERR_ARGUMENT;

  uint64_t *key = malloc(n * sizeof *key);
  uint64_t *key_tmp = malloc(n * sizeof *key_tmp);
  int *idx_tmp = malloc(n * sizeof *idx_tmp);
  size_t *count = calloc((size_t) TIME_DIGITS * DIGIT_SIZE, sizeof *count);
  if (!key || !key_tmp || !idx_tmp || !count) {
    free(key); free(key_tmp); free(idx_tmp); free(count);
    return NS_ERR_NOMEM;
  }

  ns_status status = NS_OK;
  int *idx = order;
  /* One read of the input fills every pass's histogram. */
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i])) { status = NS_ERR_TIME; goto done; }
    if (stratum && stratum[i] < 0) { status = NS_ERR_STRATUM; goto done; }
    key[i] = time_key(time[i]);
    order[i] = (int) i;
    for (int p = 0; p < TIME_DIGITS; p++)
      count[(size_t) p * DIGIT_SIZE + digit64(key[i], p)]++;
  }

  for (int p = 0; p < TIME_DIGITS; p++) {
    size_t *offset = count + (size_t) p * DIGIT_SIZE;
    if (!offsets_from_counts(offset, n)) continue;
    for (size_t i = 0; i < n; i++) {
      size_t to = offset[digit64(key[i], p)]++;
      key_tmp[to] = key[i];
      idx_tmp[to] = idx[i];
    }
    uint64_t *k = key; key = key_tmp; key_tmp = k;
    int *o = idx; idx = idx_tmp; idx_tmp = o;
  }

  if (stratum) {
    /* Stratum codes are the more significant key: stable passes over them
     * keep the time order inside each stratum. */
    for (int p = 0; p < STRATUM_DIGITS; p++) {
      size_t *offset = count;
      memset(offset, 0, DIGIT_SIZE * sizeof *offset);
      for (size_t i = 0; i < n; i++)
        offset[digit32((uint32_t) stratum[idx[i]], p)]++;
      if (!offsets_from_counts(offset, n)) continue;
      for (size_t i = 0; i < n; i++)
        idx_tmp[offset[digit32((uint32_t) stratum[idx[i]], p)]++] = idx[i];
      int *o = idx; idx = idx_tmp; idx_tmp = o;
    }
  }

  /* The passes ping-pong between two buffers; make sure the answer ends in
   * the caller's. */
  if (idx != order) memcpy(order, idx, n * sizeof *order);

done:
  /* idx_tmp and idx are order and the scratch buffer in some order. */
  free(idx == order ? idx_tmp : idx);
  free(key); free(key_tmp); free(count);
  return status;
}

ns_status ns_time_fix(size_t n, const double *time, const double *start,
                      double tolerance, double *time_out, double *start_out,
                      int *changed)
{
  if (changed) *changed = 0;
  if (n == 0) return NS_OK;
  if (!time || !time_out || (start && !start_out)) return NS_ERR_ARGUMENT;
  size_t m_max = start ? 2 * n : n;
  if (m_max > (size_t) INT32_MAX) return NS_ERR_ARGUMENT;

  /* Pool the finite values of both columns; remember where each came from. */
  double *value = malloc(m_max * sizeof *value);
  size_t *origin = malloc(m_max * sizeof *origin); /* < n: time, >= n: start */
  int *order = malloc(m_max * sizeof *order);
  if (!value || !origin || !order) {
    free(value); free(origin); free(order);
    return NS_ERR_NOMEM;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (isfinite(time[i])) { value[m] = time[i]; origin[m++] = i; }
    if (start && isfinite(start[i])) { value[m] = start[i]; origin[m++] = n + i; }
  }
  memcpy(time_out, time, n * sizeof *time_out);
  if (start) memcpy(start_out, start, n * sizeof *start_out);

  ns_status status = NS_OK;
  if (tolerance <= 0 || m < 2) goto done;
  status = ns_sort_order(m, NULL, value, order);
  if (status != NS_OK) goto done;

  /* mean(|y|) over the distinct values, accumulated in long double as R does. */
  long double sum_abs = 0.0L;
  size_t n_distinct = 0;
  for (size_t k = 0; k < m; k++) {
    double v = value[order[k]];
    if (k == 0 || v != value[order[k - 1]]) { sum_abs += fabsl((long double) v); n_distinct++; }
  }
  double mean_abs = (double) (sum_abs / (long double) n_distinct);

  double previous = value[order[0]], cut = previous;
  for (size_t k = 0; k < m; k++) {
    double v = value[order[k]];
    if (v != previous) {
      double dy = v - previous;
      int tied = dy <= tolerance || dy / mean_abs <= tolerance;
      if (!tied) cut = v;
      previous = v;
    }
    if (cut != v) {
      if (changed) *changed = 1;
      size_t at = origin[order[k]];
      if (at < n) time_out[at] = cut; else start_out[at - n] = cut;
    }
  }
  if (start) {
    for (size_t i = 0; i < n; i++)
      if (start_out[i] == time_out[i] && start[i] != time[i]) {
        status = NS_ERR_START_STOP;
        break;
      }
  }

done:
  free(value); free(origin); free(order);
  return status;
}
