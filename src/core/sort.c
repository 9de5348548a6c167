/*
 * sort.c -- one stable O(n) sort by (stratum, time) that every estimator
 * shares: after it, Kaplan-Meier, log-rank and Cox are linear scans; and the
 * ranks of the rows among the distinct (stratum, time) pairs, for estimators
 * that work in the input row order.
 *
 * Survival times are heavily tied (days, rounded times), so both first try a
 * hash table of the distinct pairs that stays in cache, sort only those, and
 * map back; when the pairs turn out many they fall back to radix passes.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef DIGIT_BITS
#define DIGIT_BITS 8
#endif
#define DIGIT_SIZE (1u << DIGIT_BITS)
#define DIGIT_MASK (DIGIT_SIZE - 1u)
#define MAX_PASSES ((64 + DIGIT_BITS - 1) / DIGIT_BITS)

static int highest_bit(uint64_t x) /* x != 0 */
{
  int b = 0;
  while (x >>= 1) b++;
  return b;
}

static int lowest_bit(uint64_t x) /* x != 0 */
{
  int b = 0;
  while (!(x & 1u)) { x >>= 1; b++; }
  return b;
}

/*
 * Stable LSD radix sort of (key, idx) pairs on the key bits lo..lo+nbits-1
 * (the others must be equal in all keys). The passes ping-pong between the
 * two buffer pairs; returns 1 when the result ended in the tmp pair.
 * Why 8-bit digits: a 2048-bucket scatter (11 bits) writes to more places at
 * once than the TLB and write-combining buffers follow, and the histograms of
 * all passes (gathered in one read) then fit L1; measured faster at 1e6 rows.
 */
static int lsd_sort(size_t n, uint64_t *key, int *idx, uint64_t *key_tmp,
                    int *idx_tmp, int lo, int nbits, size_t *count)
{
  int passes = (nbits + DIGIT_BITS - 1) / DIGIT_BITS;
  if (passes == 0 || n < 2) return 0;
  memset(count, 0, (size_t) passes * DIGIT_SIZE * sizeof *count);
  for (size_t i = 0; i < n; i++) {
    uint64_t k = key[i] >> lo;
    for (int p = 0; p < passes; p++)
      count[(size_t) p * DIGIT_SIZE + ((k >> (p * DIGIT_BITS)) & DIGIT_MASK)]++;
  }
  int swapped = 0;
  for (int p = 0; p < passes; p++) {
    size_t *offset = count + (size_t) p * DIGIT_SIZE, sum = 0;
    int constant = 0;
    for (unsigned b = 0; b < DIGIT_SIZE; b++) {
      size_t c = offset[b];
      if (c == n) { constant = 1; break; } /* the pass would move nothing */
      offset[b] = sum;
      sum += c;
    }
    if (constant) continue;
    int shift = lo + p * DIGIT_BITS;
    for (size_t i = 0; i < n; i++) {
      size_t to = offset[(key[i] >> shift) & DIGIT_MASK]++;
      key_tmp[to] = key[i];
      idx_tmp[to] = idx[i];
    }
    uint64_t *k = key; key = key_tmp; key_tmp = k;
    int *o = idx; idx = idx_tmp; idx_tmp = o;
    swapped = !swapped;
  }
  return swapped;
}

/* Sort n keys with their idx on the bits that vary among them. */
static int lsd_sort_varying(size_t n, uint64_t *key, int *idx, uint64_t *key_tmp,
                            int *idx_tmp, size_t *count)
{
  uint64_t diff = 0;
  for (size_t i = 1; i < n; i++) diff |= key[i] ^ key[0];
  if (diff == 0) return 0;
  int lo = lowest_bit(diff);
  return lsd_sort(n, key, idx, key_tmp, idx_tmp, lo, highest_bit(diff) - lo + 1, count);
}

/*
 * The radix path of ns_sort_order (n >= 1, arguments checked). When
 * sorted_key is not NULL it may receive (caller frees) the keys in sorted
 * order, equal exactly when the (stratum, time) pairs are equal; it is set to
 * NULL when the strata are sorted apart from the times.
 */
static ns_status sort_radix(size_t n, const int *stratum, const double *time,
                            int *order, uint64_t **sorted_key)
{
  if (sorted_key) *sorted_key = NULL;
  uint64_t *key = malloc(n * sizeof *key);
  uint64_t *key_tmp = malloc(n * sizeof *key_tmp);
  int *idx_tmp = malloc(n * sizeof *idx_tmp);
  size_t *count = malloc((size_t) MAX_PASSES * DIGIT_SIZE * sizeof *count);
  if (!key || !key_tmp || !idx_tmp || !count) {
    free(key); free(key_tmp); free(idx_tmp); free(count);
    return NS_ERR_NOMEM;
  }

  ns_status status = NS_OK;
  int *idx = order;
  /* One read of the input: check it, make the keys, and find which key bits
   * vary at all (times of one sign and a few binades leave the top bits
   * constant) and how wide the stratum codes are. */
  uint64_t diff = 0;
  int min_stratum = INT32_MAX, max_stratum = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i])) { status = NS_ERR_TIME; goto done; }
    if (stratum) {
      if (stratum[i] < 0) { status = NS_ERR_STRATUM; goto done; }
      if (stratum[i] < min_stratum) min_stratum = stratum[i];
      if (stratum[i] > max_stratum) max_stratum = stratum[i];
    }
    key[i] = ns_time_key(time[i]);
    diff |= key[i] ^ key[0];
    order[i] = (int) i;
  }
  int lo = diff ? lowest_bit(diff) : 0;
  int span = diff ? highest_bit(diff) - lo + 1 : 0;
  int stratum_bits = 0;
  if (stratum && max_stratum > min_stratum)
    stratum_bits = highest_bit((uint64_t) (max_stratum - min_stratum)) + 1;

  if (span + stratum_bits <= 64) {
    /* The common case: the stratum fits above the varying time bits, so one
     * radix sort on the combined key does it (most significant = stratum). */
    if (stratum_bits > 0) {
      uint64_t mask = span ? (UINT64_MAX >> (64 - span)) : 0;
      for (size_t i = 0; i < n; i++)
        key[i] = ((uint64_t) (stratum[i] - min_stratum) << span) |
                 ((key[i] >> lo) & mask);
      lo = 0;
    }
    if (lsd_sort(n, key, idx, key_tmp, idx_tmp, lo, span + stratum_bits, count)) {
      idx = idx_tmp; idx_tmp = order;
      uint64_t *k = key; key = key_tmp; key_tmp = k;
    }
    if (sorted_key) { *sorted_key = key; key = NULL; }
  } else {
    /* Wide times and several strata: group the rows by stratum first (a
     * stable radix sort of the codes), then sort each group on its times. */
    for (size_t i = 0; i < n; i++) key_tmp[i] = (uint64_t) (stratum[i] - min_stratum);
    uint64_t *skey = key_tmp, *skey_tmp = key;
    if (lsd_sort(n, skey, idx, skey_tmp, idx_tmp, 0, stratum_bits, count)) {
      uint64_t *k = skey; skey = skey_tmp; skey_tmp = k;
      idx = idx_tmp; idx_tmp = order;
    }
    /* skey holds the sorted codes; the other buffer gets the time keys in
     * that order (the original keys are gone only if skey_tmp == key). */
    uint64_t *tkey = skey_tmp, *tkey_tmp = skey;
    for (size_t k = 0; k < n; k++) tkey[k] = ns_time_key(time[idx[k]]);
    size_t a = 0;
    while (a < n) {
      size_t b = a + 1;
      while (b < n && skey[b] == skey[a]) b++;
      /* tkey_tmp (the codes) from a to b is no longer needed once the group
       * is known, so it serves as the group's scratch. */
      if (lsd_sort_varying(b - a, tkey + a, idx + a, tkey_tmp + a, idx_tmp + a, count))
        memcpy(idx + a, idx_tmp + a, (b - a) * sizeof *idx);
      a = b;
    }
  }

  /* The passes ping-pong between two buffers; make sure the answer ends in
   * the caller's. */
  if (idx != order) memcpy(order, idx, n * sizeof *order);

done:
  free(idx == order ? idx_tmp : idx);
  free(key); free(key_tmp); free(count);
  return status;
}

/* ---- ranks among the distinct (stratum, time) pairs ----------------------- */

/* One entry of the distinct-pairs table: the pair and its id (the order of
 * first appearance); id < 0 marks an empty entry. 16 bytes, so that a table
 * for a few thousand pairs stays in L1/L2. */
typedef struct {
  uint64_t key;
  int32_t stratum;
  int32_t id;
} rank_entry;

/* Largest table the hash pass may grow to: 2^18 entries of 16 bytes (4 MB, the
 * L3 here), i.e. 131072 distinct pairs at load 1/2. Measured at 1e6 rows:
 * the hash path takes 7-30 ms up to 64000 distinct and ~70 ms at 125000,
 * the radix path ~85 ms throughout. */
#define RANK_MIN_BITS 10
#ifndef RANK_MAX_BITS
#define RANK_MAX_BITS 18
#endif

/* Multiply-shift on the pair; the fold first lets the high bits (the
 * exponent and leading mantissa bits, all that differ between integer-valued
 * times) reach the low half before the multiplication carries them up. */
static size_t rank_hash(uint64_t key, uint32_t stratum, int bits)
{
  uint64_t x = key ^ ((uint64_t) stratum * UINT64_C(0x9E3779B97F4A7C15));
  x ^= x >> 32;
  x *= UINT64_C(0xD6E8FEB86659FD93);
  return (size_t) (x >> (64 - bits));
}

static rank_entry *rank_table_new(int bits)
{
  size_t size = (size_t) 1 << bits;
  rank_entry *table = malloc(size * sizeof *table);
  if (table)
    for (size_t s = 0; s < size; s++) table[s].id = -1;
  return table;
}

/* Double the table; the ids stay. */
static rank_entry *rank_table_grow(rank_entry *table, int bits)
{
  size_t old_size = (size_t) 1 << bits, new_mask = (old_size << 1) - 1u;
  rank_entry *grown = rank_table_new(bits + 1);
  if (grown) {
    for (size_t o = 0; o < old_size; o++) {
      if (table[o].id < 0) continue;
      size_t g = rank_hash(table[o].key, (uint32_t) table[o].stratum, bits + 1);
      while (grown[g].id >= 0) g = (g + 1) & new_mask;
      grown[g] = table[o];
    }
  }
  free(table);
  return grown;
}

/* Hash pass: rank[i] = id of row i's pair in order of first appearance,
 * first_row[id] = that first row. Sets *too_many (and stops early) once more
 * than max_distinct pairs turn up. */
static ns_status rank_by_hash(size_t n, const int *stratum, const double *time,
                              int *rank, size_t *n_distinct, int *first_row,
                              size_t max_distinct, int *too_many)
{
  int bits = RANK_MIN_BITS;
  size_t mask = ((size_t) 1 << bits) - 1u;
  rank_entry *table = rank_table_new(bits);
  if (!table) return NS_ERR_NOMEM;

  ns_status status = NS_OK;
  size_t distinct = 0;
  /* Survival data often come in runs (sorted files, repeated rows): a row
   * equal to the previous one skips the probe. */
  uint64_t last_key = 0;
  int32_t last_stratum = -1, last_id = -1;
  for (size_t i = 0; i < n; i++) {
    double t = time[i];
    if (!isfinite(t)) { status = NS_ERR_TIME; break; }
    int32_t st = stratum ? stratum[i] : 0;
    if (st < 0) { status = NS_ERR_STRATUM; break; }
    uint64_t key = ns_time_key(t);
    if (key != last_key || st != last_stratum) {
      size_t s = rank_hash(key, (uint32_t) st, bits);
      while (table[s].id >= 0 && (table[s].key != key || table[s].stratum != st))
        s = (s + 1) & mask;
      if (table[s].id >= 0) {
        last_id = table[s].id;
      } else {
        if (distinct == max_distinct) { *too_many = 1; break; }
        table[s].key = key;
        table[s].stratum = st;
        table[s].id = last_id = (int32_t) distinct;
        first_row[distinct++] = (int) i;
        /* Keep the load at most 1/2 so that probes stay short. */
        if (2 * distinct > mask && distinct < max_distinct) {
          table = rank_table_grow(table, bits++);
          if (!table) return NS_ERR_NOMEM;
          mask = (mask << 1) | 1u;
        }
      }
      last_key = key;
      last_stratum = st;
    }
    rank[i] = last_id;
  }
  free(table);
  *n_distinct = distinct;
  return status;
}

/* Sort the distinct pairs found by the hash pass, turn the ids in rank into
 * ranks and put first_row (D entries) in rank order. */
static ns_status rank_sort_distinct(size_t n, const int *stratum, const double *time,
                                    int *rank, size_t distinct, int *first_row)
{
  if (distinct == 0) return NS_OK; /* n == 0 */
  double *rep_time = malloc(distinct * sizeof *rep_time);
  int *rep_stratum = stratum ? malloc(distinct * sizeof *rep_stratum) : NULL;
  int *order = malloc(distinct * sizeof *order);
  int *position = malloc(distinct * sizeof *position);
  ns_status status = NS_ERR_NOMEM;
  if (!rep_time || (stratum && !rep_stratum) || !order || !position) goto done;

  for (size_t d = 0; d < distinct; d++) {
    rep_time[d] = time[first_row[d]];
    if (stratum) rep_stratum[d] = stratum[first_row[d]];
  }
  status = sort_radix(distinct, rep_stratum, rep_time, order, NULL);
  if (status != NS_OK) goto done;
  for (size_t k = 0; k < distinct; k++) position[order[k]] = (int) k;
  for (size_t i = 0; i < n; i++) rank[i] = position[rank[i]];
  /* position is free again: reuse it for the first rows in rank order. */
  for (size_t k = 0; k < distinct; k++) position[k] = first_row[order[k]];
  memcpy(first_row, position, distinct * sizeof *first_row);

done:
  free(rep_time); free(rep_stratum); free(order); free(position);
  return status;
}

/* The hash pass is worth trying from this many rows on; it gives up once it
 * has seen more distinct pairs than an eighth of the rows (so the wasted
 * work stays below that eighth: ~5 ms of ~85 at 1e6 distinct times) or than
 * the largest table holds. */
#ifndef RANK_MIN_ROWS
#define RANK_MIN_ROWS 1024
#endif

static size_t rank_max_distinct(size_t n)
{
  size_t limit = (size_t) 1 << (RANK_MAX_BITS - 1);
  if (n < RANK_MIN_ROWS) return 0;
  return n / 8 < limit ? n / 8 : limit;
}

/* Tries the hash path: NS_OK with *too_many = 0 and rank/first_row/distinct
 * filled, or *too_many = 1 (nothing usable), or an input error. first_row
 * needs room for rank_max_distinct(n) ints. */
static ns_status rank_try_hash(size_t n, const int *stratum, const double *time,
                               int *rank, size_t *distinct, int *first_row,
                               int *too_many)
{
  size_t max_distinct = rank_max_distinct(n);
  *too_many = max_distinct == 0;
  if (*too_many) return NS_OK;
  ns_status status = rank_by_hash(n, stratum, time, rank, distinct, first_row,
                                  max_distinct, too_many);
  if (status == NS_OK && !*too_many)
    status = rank_sort_distinct(n, stratum, time, rank, *distinct, first_row);
  return status;
}

ns_status ns_sort_order(size_t n, const int *stratum, const double *time,
                        int *order)
{
  if (n == 0) return NS_OK;
  if (time == NULL || order == NULL || n > (size_t) INT32_MAX) return NS_ERR_ARGUMENT;

  /* Tied data (days, rounded times): rank the rows among the few distinct
   * pairs, then one stable counting scatter by rank replaces all the radix
   * passes. */
  size_t max_distinct = rank_max_distinct(n);
  if (max_distinct > 0) {
    int *rank = malloc(n * sizeof *rank);
    int *first_row = malloc((max_distinct + 1) * sizeof *first_row);
    if (!rank || !first_row) { free(rank); free(first_row); return NS_ERR_NOMEM; }
    size_t distinct = 0;
    int too_many = 0;
    ns_status status = rank_try_hash(n, stratum, time, rank, &distinct, first_row,
                                     &too_many);
    if (status == NS_OK && !too_many) {
      /* first_row is done with: it becomes the bucket offsets. */
      int *offset = first_row;
      memset(offset, 0, (distinct + 1) * sizeof *offset);
      for (size_t i = 0; i < n; i++) offset[rank[i] + 1]++;
      for (size_t d = 1; d <= distinct; d++) offset[d] += offset[d - 1];
      for (size_t i = 0; i < n; i++) order[offset[rank[i]]++] = (int) i;
    }
    free(rank); free(first_row);
    if (status != NS_OK || !too_many) return status;
  }
  return sort_radix(n, stratum, time, order, NULL);
}

/* Radix path for many distinct pairs: a stable sort, then one scan for the
 * runs of equal pairs. The order lives in first_row (n ints, as the contract
 * asks), which the scan overwrites behind its reading position: the d-th run
 * starts at k >= d. */
static ns_status rank_by_sort(size_t n, const int *stratum, const double *time,
                              int *rank, size_t *n_distinct, int *first_row)
{
  uint64_t *key = NULL;
  ns_status status = sort_radix(n, stratum, time, first_row, &key);
  if (status != NS_OK) return status;
  size_t d = 0;
  if (key) {
    /* Sorted keys at hand: runs are found without reading the rows again. */
    for (size_t k = 0; k < n; k++) {
      int row = first_row[k];
      if (k == 0 || key[k] != key[k - 1]) first_row[d++] = row;
      rank[row] = (int) (d - 1u);
    }
    free(key);
  } else {
    double last_time = 0.0;
    int last_stratum = -1;
    for (size_t k = 0; k < n; k++) {
      int row = first_row[k];
      double t = time[row];
      int st = stratum ? stratum[row] : 0;
      /* -0.0 == 0.0, so the two zeros share a rank as they share a key. */
      if (k == 0 || t != last_time || st != last_stratum) {
        first_row[d++] = row; /* stable sort: the run's smallest row */
        last_time = t; last_stratum = st;
      }
      rank[row] = (int) (d - 1u);
    }
  }
  *n_distinct = d;
  return NS_OK;
}

ns_status ns_rank_distinct(size_t n, const int *stratum, const double *time,
                           int *rank, size_t *n_distinct, int *first_row)
{
  if (n_distinct) *n_distinct = 0;
  if (n == 0) return NS_OK;
  if (!time || !rank || !n_distinct || !first_row || n > (size_t) INT32_MAX)
    return NS_ERR_ARGUMENT;

  size_t distinct = 0;
  int too_many = 0;
  ns_status status = rank_try_hash(n, stratum, time, rank, &distinct, first_row,
                                   &too_many);
  if (status == NS_OK && too_many)
    status = rank_by_sort(n, stratum, time, rank, &distinct, first_row);
  if (status == NS_OK) *n_distinct = distinct;
  return status;
}

ns_status ns_time_fix(size_t n, const double *time, const double *start,
                      double tolerance, double *time_out, double *start_out,
                      int *changed, size_t *bad_row)
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
        if (bad_row) *bad_row = i;
        break;
      }
  }

done:
  free(value); free(origin); free(order);
  return status;
}


/*
 * ns_fix_sorted_keys (internal.h): the fuzz rule of ns_time_fix on the sorted
 * distinct values themselves, for callers that already hold them (km.c's
 * segments, logrank.c's distinct pairs).
 */
int ns_fix_sorted_keys(const uint64_t *u, size_t m, double tolerance, uint64_t *out)
{
  if (m == 0) return 0;
  out[0] = u[0];
  if (m < 2 || !(tolerance > 0)) {
    memcpy(out, u, m * sizeof *out);
    return 0;
  }
  /* mean(|y|) accumulated in long double, as R's mean() does. */
  long double sum_abs = 0.0L;
  for (size_t i = 0; i < m; i++) sum_abs += fabsl((long double) ns_key_time(u[i]));
  double mean_abs = (double) (sum_abs / (long double) m);
  int changed = 0;
  double previous = ns_key_time(u[0]);
  uint64_t cut = u[0];
  for (size_t i = 1; i < m; i++) {
    double v = ns_key_time(u[i]), dy = v - previous;
    if (!(dy <= tolerance || dy / mean_abs <= tolerance)) cut = u[i];
    else changed = 1;
    previous = v;
    out[i] = cut;
  }
  return changed;
}

/* ---- sorting segments of keys (km.c's sorter) ------------------------------ */
#define RADIX_BITS 8
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES 8      /* 64 / RADIX_BITS */
#define SMALL_SEGMENT NS_KEY_SORT_SMALL
#define HASH_BITS 14        /* few-distinct-keys sort: table of 2^14 buckets */
#define HASH_SIZE (1u << HASH_BITS)
#define HASH_LIMIT (HASH_SIZE / 2)
#define HASH_MIN_SEGMENT NS_KEY_SORT_FEW_MIN
#define MSD_MIN_SEGMENT 4096


/* Scratch of the counting sort for segments with few distinct keys (about
 * 0.5 MB, allocated once per ns_km_prepare). count[s] == 0 marks a free bucket. */
typedef struct {
  uint64_t key[HASH_SIZE];
  size_t count[HASH_SIZE];
  int used[HASH_LIMIT];
  uint64_t distinct_key[HASH_LIMIT], distinct_key_tmp[HASH_LIMIT];
  int distinct_bucket[HASH_LIMIT], distinct_bucket_tmp[HASH_LIMIT];
} few_keys_table;

struct ns_few_keys { few_keys_table t; };

ns_few_keys *ns_few_keys_new(void)
{
  return calloc(1, sizeof(ns_few_keys));
}

static unsigned hash_bucket(uint64_t key)
{
  return (unsigned) ((key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - HASH_BITS));
}

static void sort_segment(uint64_t *key, int *row, size_t n, uint64_t *key_tmp,
                         int *row_tmp, ns_few_keys *few);

/* Real data are rounded (to days, months): a segment of a million times may
 * hold a few thousand distinct values. Then a counting sort is cheaper than
 * the radix passes: count the distinct keys in a hash table that stays in
 * cache, sort only them, and write each key's run (with rows: scatter the
 * rows to their key's next place, in input order, so the sort is stable).
 * Returns 0 and leaves the segment as it was when there are more distinct
 * keys than pay off (n / 8, or the table's limit). */
static int sort_few_keys(uint64_t *key, int *row, size_t n, uint64_t *key_tmp,
                         int *row_tmp, few_keys_table *h)
{
  size_t limit = n / 8 < HASH_LIMIT ? n / 8 : HASH_LIMIT, distinct = 0;
  int few = 1;
  for (size_t i = 0; i < n; i++) {
    uint64_t k = key[i];
    unsigned s = hash_bucket(k);
    while (h->count[s] && h->key[s] != k) s = (s + 1) & (HASH_SIZE - 1u);
    if (!h->count[s]) {
      if (distinct == limit) { few = 0; break; }
      h->key[s] = k;
      h->used[distinct++] = (int) s;
    }
    h->count[s]++;
  }
  if (few) {
    for (size_t u = 0; u < distinct; u++) {
      h->distinct_key[u] = h->key[h->used[u]];
      h->distinct_bucket[u] = h->used[u];
    }
    sort_segment(h->distinct_key, h->distinct_bucket, distinct, h->distinct_key_tmp,
                 h->distinct_bucket_tmp, NULL);
    size_t at = 0;
    if (!row) {
      for (size_t u = 0; u < distinct; u++)
        for (size_t c = h->count[h->distinct_bucket[u]]; c > 0; c--) key[at++] = h->distinct_key[u];
    } else {
      /* count becomes 1 + the next place of the key's rows */
      for (size_t u = 0; u < distinct; u++) {
        size_t *c = &h->count[h->distinct_bucket[u]], len = *c;
        *c = at + 1;
        at += len;
      }
      for (size_t i = 0; i < n; i++) {
        unsigned s = hash_bucket(key[i]);
        while (h->key[s] != key[i]) s = (s + 1) & (HASH_SIZE - 1u);
        size_t to = h->count[s]++ - 1;
        key_tmp[to] = key[i];
        row_tmp[to] = row[i];
      }
      memcpy(key, key_tmp, n * sizeof *key);
      memcpy(row, row_tmp, n * sizeof *row);
    }
  }
  for (size_t u = 0; u < distinct; u++) h->count[h->used[u]] = 0;
  return few;
}

/* Stable insertion sort of a short run. */
static void insertion_sort(uint64_t *key, int *row, size_t n)
{
  for (size_t i = 1; i < n; i++) {
    uint64_t k = key[i];
    int r = row ? row[i] : 0;
    size_t j = i;
    for (; j > 0 && key[j - 1] > k; j--) {
      key[j] = key[j - 1];
      if (row) row[j] = row[j - 1];
    }
    key[j] = k;
    if (row) row[j] = r;
  }
}

/* Stable MSD radix sort for long segments of many distinct keys (continuous
 * times), where LSD would need all eight passes: each level scatters on the
 * 8 highest bits in which the keys of the bucket still differ, so buckets
 * shrink fast and end in cache-sized insertion sorts -- two or three levels
 * instead of eight passes. The data are in a (rows ar, may be NULL); b, br
 * are scratch of the same length; the result ends in a when result_in_a,
 * else in b. */
static void msd_sort(uint64_t *a, int *ar, uint64_t *b, int *br, size_t n, int result_in_a)
{
  if (n < SMALL_SEGMENT) {
    insertion_sort(a, ar, n);
  } else {
    uint64_t lo = a[0], hi = a[0];
    for (size_t i = 1; i < n; i++) {
      if (a[i] < lo) lo = a[i];
      if (a[i] > hi) hi = a[i];
    }
    if (lo != hi) {
      uint64_t differ = lo ^ hi;
      int top = 63;
      while (!((differ >> top) & 1u)) top--;
      int shift = top >= RADIX_BITS - 1 ? top - (RADIX_BITS - 1) : 0;
      size_t count[RADIX_SIZE] = {0}, offset[RADIX_SIZE];
      for (size_t i = 0; i < n; i++) count[(a[i] >> shift) & (RADIX_SIZE - 1u)]++;
      size_t sum = 0;
      for (unsigned d = 0; d < RADIX_SIZE; d++) { offset[d] = sum; sum += count[d]; }
      for (size_t i = 0; i < n; i++) {
        size_t to = offset[(a[i] >> shift) & (RADIX_SIZE - 1u)]++;
        b[to] = a[i];
        if (ar) br[to] = ar[i];
      }
      /* The data are now in b: its buckets, sorted, must end in a when the
       * result belongs there. */
      size_t from = 0;
      for (unsigned d = 0; d < RADIX_SIZE; d++) {
        if (count[d])
          msd_sort(b + from, br ? br + from : NULL, a + from, ar ? ar + from : NULL,
                   count[d], !result_in_a);
        from += count[d];
      }
      return;
    }
  }
  if (!result_in_a) {
    memcpy(b, a, n * sizeof *b);
    if (ar) memcpy(br, ar, n * sizeof *br);
  }
}

/* Stable sort of one segment's keys (and rows, when given): the counting
 * sort above when few is given and the segment has few distinct keys, MSD
 * radix when it is long, else LSD radix on 8-bit digits, skipping digits
 * that are the same in every key, insertion sort when short. */
static void sort_segment(uint64_t *key, int *row, size_t n, uint64_t *key_tmp,
                         int *row_tmp, ns_few_keys *few)
{
  if (few && n >= HASH_MIN_SEGMENT && sort_few_keys(key, row, n, key_tmp, row_tmp, &few->t))
    return;
  if (n >= MSD_MIN_SEGMENT) {
    msd_sort(key, row, key_tmp, row_tmp, n, 1);
    return;
  }
  if (n < SMALL_SEGMENT) {
    insertion_sort(key, row, n);
    return;
  }

  size_t count[RADIX_PASSES][RADIX_SIZE];
  memset(count, 0, sizeof count);
  for (size_t i = 0; i < n; i++) {
    uint64_t k = key[i];
    for (int p = 0; p < RADIX_PASSES; p++)
      count[p][(k >> (p * RADIX_BITS)) & (RADIX_SIZE - 1u)]++;
  }

  uint64_t *src = key, *dst = key_tmp;
  int *rsrc = row, *rdst = row_tmp;
  for (int p = 0; p < RADIX_PASSES; p++) {
    size_t *offset = count[p], sum = 0;
    int constant = 0;
    for (unsigned b = 0; b < RADIX_SIZE; b++) {
      size_t c = offset[b];
      if (c == n) { constant = 1; break; }
      offset[b] = sum;
      sum += c;
    }
    if (constant) continue;
    int shift = p * RADIX_BITS;
    if (row) {
      for (size_t i = 0; i < n; i++) {
        size_t to = offset[(src[i] >> shift) & (RADIX_SIZE - 1u)]++;
        dst[to] = src[i];
        rdst[to] = rsrc[i];
      }
      int *r = rsrc; rsrc = rdst; rdst = r;
    } else {
      for (size_t i = 0; i < n; i++)
        dst[offset[(src[i] >> shift) & (RADIX_SIZE - 1u)]++] = src[i];
    }
    uint64_t *k = src; src = dst; dst = k;
  }
  if (src != key) {
    memcpy(key, src, n * sizeof *key);
    if (row) memcpy(row, rsrc, n * sizeof *row);
  }
}

void ns_sort_keys(uint64_t *key, int *row, size_t n, uint64_t *key_tmp, int *row_tmp,
                  ns_few_keys *few)
{
  sort_segment(key, row, n, key_tmp, row_tmp, few);
}
