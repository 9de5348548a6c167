/* r_sort.c -- glue for ns_sort_order (used by the R layer's tests and helpers). */
#include "glue.h"

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
