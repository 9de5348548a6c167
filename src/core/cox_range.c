/*
 * cox_range.c -- sums of per-slot terms over runs of slots without
 * cancellation (see cox_range.h). Build O(K q), query O(q log K).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cox_range.h"

ns_status cox_range_init(cox_range *rs, size_t K, size_t q, const int *sexp)
{
  memset(rs, 0, sizeof *rs);
  rs->K = K; rs->q = q; rs->sexp = sexp;
  int nlev = 1;
  while (((size_t) 1 << (nlev - 1)) < K) nlev++;
  rs->nlev = nlev;
  rs->off = malloc((size_t) nlev * sizeof *rs->off);
  if (!rs->off) return NS_ERR_NOMEM;
  size_t total = 0;
  for (int j = 0; j < nlev; j++) {
    rs->off[j] = total;
    total += (K + ((size_t) 1 << j) - 1) >> j;
  }
  rs->node = malloc((total * q + 1) * sizeof *rs->node);
  if (!rs->node) { free(rs->off); rs->off = NULL; return NS_ERR_NOMEM; }
  return NS_OK;
}

void cox_range_free(cox_range *rs)
{
  free(rs->off); free(rs->node);
  memset(rs, 0, sizeof *rs);
}

/* last slot of block b of level j */
static size_t block_end(const cox_range *rs, int j, size_t b)
{
  size_t e = ((b + 1) << j) - 1;
  return e < rs->K ? e : rs->K - 1;
}

void cox_range_build(cox_range *rs, const double *val)
{
  size_t K = rs->K, q = rs->q;
  memcpy(rs->node, val, K * q * sizeof *val);
  for (int j = 1; j < rs->nlev; j++) {
    size_t nb = (K + ((size_t) 1 << j) - 1) >> j;
    const double *lower = rs->node + rs->off[j - 1] * q;
    double *cur = rs->node + rs->off[j] * q;
    for (size_t b = 0; b < nb; b++) {
      size_t l = 2 * b, r = 2 * b + 1;
      const double *lv = lower + l * q;
      double *out = cur + b * q;
      if ((r << (j - 1)) >= K) {  /* no right half */
        memcpy(out, lv, q * sizeof *out);
        continue;
      }
      const double *rv = lower + r * q;
      int el = (int) block_end(rs, j - 1, l), er = (int) block_end(rs, j - 1, r);
      double f = ldexp(1.0, rs->sexp[er] - rs->sexp[el]);
      for (size_t c = 0; c < q; c++) out[c] = lv[c] * f + rv[c];
    }
  }
}

void cox_range_query(const cox_range *rs, size_t a, size_t b, double *out)
{
  size_t q = rs->q, pos = a;
  int first = 1;
  size_t prev = 0;
  while (pos <= b) {
    int j = 0;
    while (j + 1 < rs->nlev && (pos & (((size_t) 2 << j) - 1)) == 0 &&
           pos + ((size_t) 2 << j) - 1 <= b)
      j++;
    size_t end = pos + ((size_t) 1 << j) - 1;
    const double *v = rs->node + (rs->off[j] + (pos >> j)) * q;
    if (first) {
      memcpy(out, v, q * sizeof *out);
      first = 0;
    } else {
      double f = ldexp(1.0, rs->sexp[end] - rs->sexp[prev]);
      for (size_t c = 0; c < q; c++) out[c] = out[c] * f + v[c];
    }
    prev = end;
    pos = end + 1;
  }
}
