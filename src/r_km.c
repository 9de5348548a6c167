/* r_km.c -- glue for the Kaplan-Meier core (ns_km_prepare / ns_km_estimate). */

#include "glue.h"

/* The sorted rows live behind an external pointer while R allocates the
 * outputs, so an R error (say, out of memory) cannot leak them. */
static void work_finalizer(SEXP pointer)
{
  ns_km_free((ns_km_work *) R_ExternalPtrAddr(pointer));
  R_ClearExternalPtr(pointer);
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
 *
 * ffi_km_fit_options(the same eight, options): the fit with survfit's
 * options applied by ns_km_apply_options (km_options.c); options is
 * list(stype, ctype, cluster, n_clusters, position): stype and ctype 1 or 2,
 * cluster NULL or integer 0-based cluster codes < n_clusters (the robust
 * variance by cluster), position NULL or survfit's integer subject flags.
 */
static SEXP km_fit(SEXP time, SEXP status, SEXP start, SEXP weight, SEXP stratum,
                   SEXP n_strata, SEXP jackknife, SEXP tolerance, SEXP options)
{
  const double *time_p = ns_arg_double(time, -1, 0, "km", "time");
  R_xlen_t n = XLENGTH(time);
  ns_arg_rows(n, "km");
  const int *status_p = ns_arg_int(status, n, 0, "km", "status");
  const double *start_p = ns_arg_double(start, n, 1, "km", "start");
  const double *weight_p = ns_arg_double(weight, n, 1, "km", "weight");
  const int *stratum_p = ns_arg_int(stratum, n, 1, "km", "stratum");
  int strata = ns_arg_count(n_strata, 1, "km", "n_strata");
  int use_jackknife = ns_arg_flag(jackknife, "km", "jackknife");
  double tol = ns_arg_number(tolerance, "km", "tolerance");
  ns_km_options opt = {1, 1, 0};
  const int *cluster_p = NULL, *position_p = NULL;
  int n_clusters = 0;
  if (options != R_NilValue) {
    if (TYPEOF(options) != VECSXP || XLENGTH(options) != 5)
      Rf_error("km: `options` must be a list of 5");
    opt.stype = ns_arg_count(VECTOR_ELT(options, 0), 1, "km", "stype");
    opt.ctype = ns_arg_count(VECTOR_ELT(options, 1), 1, "km", "ctype");
    cluster_p = ns_arg_int(VECTOR_ELT(options, 2), n, 1, "km", "cluster");
    if (cluster_p) n_clusters = ns_arg_count(VECTOR_ELT(options, 3), 1, "km", "n_clusters");
    position_p = ns_arg_int(VECTOR_ELT(options, 4), n, 1, "km", "position");
    opt.robust = cluster_p != NULL;
  }

  ns_km_data data = {
    .n = (size_t) n, .time = time_p, .start = start_p, .status = status_p,
    .weight = weight_p, .stratum = stratum_p, .n_strata = strata,
    .variance = use_jackknife ? NS_KM_JACKKNIFE : NS_KM_GREENWOOD, .time_fix = tol,
    .cluster = cluster_p, .n_clusters = n_clusters, .position = position_p
  };

  int nprotect = 0;
  SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue)); nprotect++;
  R_RegisterCFinalizer(holder, work_finalizer);
  ns_km_work *work = NULL;
  size_t n_times = 0;
  ns_status st = ns_km_prepare(&data, &work, &n_times, ns_glue_interrupted, NULL);
  if (st != NS_OK) {
    UNPROTECT(nprotect);
    if (st == NS_ERR_START_STOP && tol > 0 && start_p)
      ns_glue_stop_merged("km", (size_t) n, time_p, start_p, tol);
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
  if (st == NS_OK && options != R_NilValue)
    st = ns_km_apply_options(work, &opt, &curve, ns_glue_interrupted, NULL);
  ns_km_free(work);
  R_ClearExternalPtr(holder);
  UNPROTECT(nprotect);
  if (st == NS_ERR_WEIGHT)
    Rf_error("km: the jackknife (robust) variance needs the positive weights of each stratum "
             "to span a ratio below 2^400 (about 2.6e120)");
  NS_STOP_ON_STATUS(st, "km");
  return out;
}

SEXP ffi_km_fit(SEXP time, SEXP status, SEXP start, SEXP weight, SEXP stratum,
                SEXP n_strata, SEXP jackknife, SEXP tolerance)
{
  return km_fit(time, status, start, weight, stratum, n_strata, jackknife, tolerance,
                R_NilValue);
}

SEXP ffi_km_fit_options(SEXP time, SEXP status, SEXP start, SEXP weight, SEXP stratum,
                        SEXP n_strata, SEXP jackknife, SEXP tolerance, SEXP options)
{
  return km_fit(time, status, start, weight, stratum, n_strata, jackknife, tolerance,
                options);
}
