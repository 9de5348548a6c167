/* r_sort.c -- glue for ns_sort_order, ns_rank_distinct and ns_time_fix (used
 * by the R layer's tests and helpers). */
#include "glue.h"
#include "internal.h"

/* ffi_sort_order(time, stratum): 1-based order by (stratum, time). */
SEXP ffi_sort_order(SEXP time, SEXP stratum)
{
  if (!Rf_isReal(time)) Rf_error("`time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  const int *strata = NULL;
  if (!Rf_isNull(stratum)) {
    if (!Rf_isInteger(stratum) || XLENGTH(stratum) != n)
      Rf_error("`stratum` must be an integer vector as long as `time`");
    strata = INTEGER_RO(stratum);
  }
  SEXP order = PROTECT(Rf_allocVector(INTSXP, n));
  ns_status status = ns_sort_order((size_t) n, strata, REAL_RO(time), INTEGER(order));
  if (status != NS_OK) {
    UNPROTECT(1);
    NS_STOP_ON_STATUS(status, "sort");
  }
  int *o = INTEGER(order);
  for (R_xlen_t i = 0; i < n; i++) o[i] += 1;
  UNPROTECT(1);
  return order;
}

/* ffi_time_fix(time, start, tolerance): list(time, start) with fuzz-tied
 * times merged as survival's aeqSurv() merges them. */
SEXP ffi_time_fix(SEXP time, SEXP start, SEXP tolerance)
{
  if (!Rf_isReal(time)) Rf_error("`time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  int has_start = !Rf_isNull(start);
  if (has_start && (!Rf_isReal(start) || XLENGTH(start) != n))
    Rf_error("`start` must be a double vector as long as `time`");
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP time_out = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, n));
  SEXP start_out = has_start ? SET_VECTOR_ELT(out, 1, Rf_allocVector(REALSXP, n))
                             : R_NilValue;
  int changed = 0;
  ns_status status = ns_time_fix((size_t) n, REAL_RO(time),
                                 has_start ? REAL_RO(start) : NULL,
                                 Rf_asReal(tolerance), REAL(time_out),
                                 has_start ? REAL(start_out) : NULL, &changed);
  UNPROTECT(1);
  NS_STOP_ON_STATUS(status, "time fix");
  return out;
}

/* ffi_rank_distinct(time, stratum): list(rank, first_row), both 1-based:
 * rank[i] is row i's position among the sorted distinct (stratum, time)
 * pairs, first_row[d] the first row holding the d-th pair. */
SEXP ffi_rank_distinct(SEXP time, SEXP stratum)
{
  if (!Rf_isReal(time)) Rf_error("`time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  const int *strata = NULL;
  if (!Rf_isNull(stratum)) {
    if (!Rf_isInteger(stratum) || XLENGTH(stratum) != n)
      Rf_error("`stratum` must be an integer vector as long as `time`");
    strata = INTEGER_RO(stratum);
  }
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP rank = SET_VECTOR_ELT(out, 0, Rf_allocVector(INTSXP, n));
  SEXP first = SET_VECTOR_ELT(out, 1, Rf_allocVector(INTSXP, n));
  size_t n_distinct = 0;
  ns_status status = ns_rank_distinct((size_t) n, strata, REAL_RO(time),
                                      INTEGER(rank), &n_distinct, INTEGER(first));
  if (status == NS_OK) {
    int *r = INTEGER(rank), *f = INTEGER(first);
    for (R_xlen_t i = 0; i < n; i++) r[i] += 1;
    for (size_t d = 0; d < n_distinct; d++) f[d] += 1;
    SET_VECTOR_ELT(out, 1, Rf_xlengthgets(first, (R_xlen_t) n_distinct));
  }
  UNPROTECT(1);
  NS_STOP_ON_STATUS(status, "rank");
  return out;
}
