/*
 * cox_range.h -- private to the Cox files (cox.c, cox_resid.c): sums of
 * per-slot terms over a run of consecutive slots, formed without
 * differencing cumulative sums (issue #13).
 */
#ifndef NETSURV_COX_RANGE_H
#define NETSURV_COX_RANGE_H

#include <stddef.h>

#include "internal.h"

/*
 * A (start, stop] row accumulates the hazard of the slots (lo, hi]. As
 * Lambda(hi) - Lambda(lo) that cancels when the hazard before the row
 * entered outweighs the hazard while it was at risk (a row whose score is
 * e^40 above the earlier risk sets: its expected count lost every digit,
 * its martingale residual became 1). cox_range keeps, for every aligned
 * run of 2^j slots, the sum of its terms; a run (a, b) is then the sum of
 * at most 2 log2(K) such blocks, all additions (the terms are hazards, >= 0,
 * or hazard-weighted means).
 *
 * Scales: the term of slot k is relative to 2^-sexp[k] (cox_work.h,
 * "Scales"), and a sum ending at slot e is kept relative to e's scale;
 * joining a sum ending at a to one ending at b multiplies the first by
 * 2^(sexp[b] - sexp[a]), exact. Blocks that straddle two strata hold
 * meaningless numbers (possibly Inf or NaN) and are never read: a run is
 * always within one stratum.
 */
typedef struct {
  size_t K, q;       /* slots, values per slot */
  int nlev;          /* levels: level j holds ceil(K / 2^j) blocks */
  size_t *off;       /* nlev: first block of each level */
  double *node;      /* (sum over levels of blocks) * q */
  const int *sexp;   /* K: the slots' scale exponents (not owned) */
} cox_range;

/* Allocates for K slots of q values each; sexp is read by build and query. */
ns_status cox_range_init(cox_range *rs, size_t K, size_t q, const int *sexp);
void cox_range_free(cox_range *rs);

/* The blocks from val (K x q, slot-major: val[k q + c]). */
void cox_range_build(cox_range *rs, const double *val);

/* out (q values) = the sum of the terms of slots a..b (a <= b < K, one
 * stratum), relative to slot b's scale. */
void cox_range_query(const cox_range *rs, size_t a, size_t b, double *out);

#endif /* NETSURV_COX_RANGE_H */
