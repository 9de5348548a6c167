/* r_km.c -- glue for the Kaplan-Meier core (ns_km_prepare / ns_km_estimate). */
#include <limits.h>

#include "glue.h"

/* The sorted rows live behind an external pointer while R allocates the
 * outputs, so an R error (say, out of memory) cannot leak them. */
static void work_finalizer(SEXP pointer)
{
  ns_km_free((ns_km_work *) R_ExternalPtrAddr(pointer));
  R_ClearExternalPtr(pointer);
}

static const double *optional_real(SEXP x, R_xlen_t n, const char *what)
{
  if (Rf_isNull(x)) return NULL;
  if (!Rf_isReal(x) || XLENGTH(x) != n) Rf_error("`%s` must be NULL or a double vector as long as `time`", what);
  return REAL_RO(x);
}

/*
 * ffi_km_fit(time, status, start, weight, stratum, n_strata, jackknife,
 *            tolerance)
 *   time       double: event/censoring (stop) times
 *   status     integer 0/1
 *   start      NULL or double: entry times (counting-process data)
 *   weight     NULL or double: case weights
 *   stratum    NULL or integer: 0-based stratum codes < n_strata
 *   n_strata   integer >= 1
 *   jackknife  logical: infinitesimal-jackknife standard errors (survfit's
 *              choice for non-integer weights) instead of Greenwood's
 *   tolerance  double: times within it are merged first as survival's
 *              aeqSurv() merges them (ns_km_data.time_fix); <= 0 leaves them
 * Returns list(time, n.risk, n.event, n.censor, surv, std.err, cumhaz,
 * std.chaz, n.enter (NULL for right-censored data), strata (integer: time
 * points per stratum), n (integer: rows per stratum)).
 */
SEXP ffi_km_fit(SEXP time, SEXP status, SEXP start, SEXP weight, SEXP stratum,
                SEXP n_strata, SEXP jackknife, SEXP tolerance)
{
  if (!Rf_isReal(time)) Rf_error("`time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  if (n > INT_MAX) Rf_error("km: long vectors (more than %d rows) are not supported", INT_MAX);
  if (!Rf_isInteger(status) || XLENGTH(status) != n)
    Rf_error("`status` must be an integer vector as long as `time`");
  const double *start_p = optional_real(start, n, "start");
  const double *weight_p = optional_real(weight, n, "weight");
  const int *stratum_p = NULL;
  if (!Rf_isNull(stratum)) {
    if (!Rf_isInteger(stratum) || XLENGTH(stratum) != n)
      Rf_error("`stratum` must be NULL or an integer vector as long as `time`");
    stratum_p = INTEGER_RO(stratum);
  }
  int strata = Rf_asInteger(n_strata);
  if (strata == NA_INTEGER || strata < 1) Rf_error("`n_strata` must be a positive integer");
  int use_jackknife = Rf_asLogical(jackknife);
  if (use_jackknife == NA_LOGICAL) Rf_error("`jackknife` must be TRUE or FALSE");
  double tol = Rf_asReal(tolerance);

  ns_km_data data = {
    .n = (size_t) n, .time = REAL_RO(time), .start = start_p, .status = INTEGER_RO(status),
    .weight = weight_p, .stratum = stratum_p, .n_strata = strata,
    .variance = use_jackknife ? NS_KM_JACKKNIFE : NS_KM_GREENWOOD, .time_fix = tol
  };

  int nprotect = 0;
  SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue)); nprotect++;
  R_RegisterCFinalizer(holder, work_finalizer);
  ns_km_work *work = NULL;
  size_t n_times = 0;
  ns_status st = ns_km_prepare(&data, &work, &n_times, ns_glue_interrupted, NULL);
  if (st != NS_OK) {
    UNPROTECT(nprotect);
    if (st == NS_ERR_START_STOP && tol > 0)
      Rf_error("km: each interval must have start < stop, also once times that differ only "
               "by rounding error are merged (as survival's aeqSurv does)");
    NS_STOP_ON_STATUS(st, "km");
  }
  R_SetExternalPtrAddr(holder, work);

  static const char *names[] = {"time", "n.risk", "n.event", "n.censor", "surv",
                                "std.err", "cumhaz", "std.chaz", "n.enter",
                                "strata", "n", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names)); nprotect++;
  R_xlen_t m = (R_xlen_t) n_times;
  double *columns[8];
  for (int c = 0; c < 8; c++)
    columns[c] = REAL(SET_VECTOR_ELT(out, c, Rf_allocVector(REALSXP, m)));
  double *n_enter = start_p ? REAL(SET_VECTOR_ELT(out, 8, Rf_allocVector(REALSXP, m))) : NULL;
  int *stratum_times = INTEGER(SET_VECTOR_ELT(out, 9, Rf_allocVector(INTSXP, strata)));
  int *stratum_rows = INTEGER(SET_VECTOR_ELT(out, 10, Rf_allocVector(INTSXP, strata)));

  ns_km_curve curve = {
    .time = columns[0], .n_risk = columns[1], .n_event = columns[2], .n_censor = columns[3],
    .surv = columns[4], .std_err = columns[5], .cumhaz = columns[6], .std_chaz = columns[7],
    .n_enter = n_enter, .stratum_times = stratum_times, .stratum_rows = stratum_rows
  };
  st = ns_km_estimate(work, &curve, ns_glue_interrupted, NULL);
  ns_km_free(work);
  R_ClearExternalPtr(holder);
  UNPROTECT(nprotect);
  NS_STOP_ON_STATUS(st, "km");
  return out;
}
