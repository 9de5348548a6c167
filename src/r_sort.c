/* r_sort.c -- glue for ns_sort_order, ns_rank_distinct and ns_time_fix (used
 * by the R layer's tests and helpers). */
#include "glue.h"
#include "internal.h"

/* ffi_sort_order(time, stratum): 1-based order by (stratum, time). */
SEXP ffi_sort_order(SEXP time, SEXP stratum)
{
  ns_arg_double(time, -1, 0, "sort", "time");
  R_xlen_t n = XLENGTH(time);
  const int *strata = ns_arg_int(stratum, n, 1, "sort", "stratum");
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

/* ffi_time_fix(time, start, tolerance, fn): list(time, start) with fuzz-tied
 * times merged as survival's aeqSurv() merges them. fn: the user-facing R
 * function whose rows these are (errors are labelled with it); an interval
 * whose ends merge is an error about its row (ns_glue_stop). */
SEXP ffi_time_fix(SEXP time, SEXP start, SEXP tolerance, SEXP fn)
{
  if (!Rf_isString(fn) || XLENGTH(fn) != 1) Rf_error("time_fix: `fn` must be one string");
  const char *label = CHAR(STRING_ELT(fn, 0));
  ns_arg_double(time, -1, 0, label, "time");
  R_xlen_t n = XLENGTH(time);
  int has_start = !Rf_isNull(start);
  ns_arg_double(start, n, 1, label, "start");
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP time_out = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, n));
  SEXP start_out = has_start ? SET_VECTOR_ELT(out, 1, Rf_allocVector(REALSXP, n))
                             : R_NilValue;
  int changed = 0;
  size_t bad_row = NS_NO_ROW;
  ns_status status = ns_time_fix((size_t) n, REAL_RO(time),
                                 has_start ? REAL_RO(start) : NULL,
                                 Rf_asReal(tolerance), REAL(time_out),
                                 has_start ? REAL(start_out) : NULL, &changed, &bad_row);
  UNPROTECT(1);
  if (status == NS_ERR_START_STOP)
    ns_glue_stop(status, label, bad_row, NS_GLUE_MERGED_INTERVAL);
  NS_STOP_ON_STATUS(status, label);
  return out;
}

/* ffi_rank_distinct(time, stratum): list(rank, first_row), both 1-based:
 * rank[i] is row i's position among the sorted distinct (stratum, time)
 * pairs, first_row[d] the first row holding the d-th pair. */
SEXP ffi_rank_distinct(SEXP time, SEXP stratum)
{
  ns_arg_double(time, -1, 0, "sort", "time");
  R_xlen_t n = XLENGTH(time);
  const int *strata = ns_arg_int(stratum, n, 1, "sort", "stratum");
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
