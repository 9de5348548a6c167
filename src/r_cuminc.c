/* r_cuminc.c -- glue for the cumulative-incidence core (ns_cuminc_fit) and
 * Gray's test (ns_cuminc_gray_test). */
#include <string.h>

#include "glue.h"

/* The core's result lives behind an external pointer while R allocates the
 * outputs, so an R error cannot leak it. */
static void result_finalizer(SEXP pointer)
{
  ns_cuminc_result *res = (ns_cuminc_result *) R_ExternalPtrAddr(pointer);
  if (res) ns_cuminc_free(res);
  R_ClearExternalPtr(pointer);
}

static SEXP copy_real(const double *x, size_t m)
{
  SEXP out = Rf_allocVector(REALSXP, (R_xlen_t) m);
  if (m) memcpy(REAL(out), x, m * sizeof(double));
  return out;
}

/*
 * ffi_cuminc_fit(time, start, cause, n_cause, weight, group, n_group,
 *                cluster, n_cluster, gray, tolerance)
 *   time      double stop times; start NULL or double entry times
 *   cause     integer 0 (censored) .. n_cause
 *   weight    NULL or double; group NULL or integer 0-based < n_group
 *   cluster   NULL or integer 0-based < n_cluster (survfit's id)
 *   gray      logical: cmprsk's variance instead of the jackknife
 *   tolerance double: merge times within it (aeqSurv); <= 0 leaves them
 * Returns list(time, n.risk, n.censor, surv, n.event, estimate, std.err
 * (the last three m x n_cause matrices), strata (time points per group),
 * n (rows per group)).
 */
SEXP ffi_cuminc_fit(SEXP time, SEXP start, SEXP cause, SEXP n_cause, SEXP weight,
                    SEXP group, SEXP n_group, SEXP cluster, SEXP n_cluster,
                    SEXP gray, SEXP tolerance)
{
  const double *time_p = ns_arg_double(time, -1, 0, "cuminc", "time");
  R_xlen_t n = XLENGTH(time);
  ns_arg_rows(n, "cuminc");
  int K = ns_arg_count(n_cause, 1, "cuminc", "n_cause");
  int G = ns_arg_count(n_group, 1, "cuminc", "n_group");
  int NC = ns_arg_count(n_cluster, 0, "cuminc", "n_cluster");
  int use_gray = ns_arg_flag(gray, "cuminc", "gray");
  ns_cuminc_data data = {
    .n = (size_t) n, .time = time_p, .start = ns_arg_double(start, n, 1, "cuminc", "start"),
    .cause = ns_arg_int(cause, n, 0, "cuminc", "cause"), .n_cause = K,
    .weight = ns_arg_double(weight, n, 1, "cuminc", "weight"),
    .group = ns_arg_int(group, n, 1, "cuminc", "group"), .n_group = G,
    .cluster = ns_arg_int(cluster, n, 1, "cuminc", "cluster"), .n_cluster = (size_t) NC,
    .variance = use_gray ? NS_CUMINC_GRAY : NS_CUMINC_JACKKNIFE,
    .time_fix = ns_arg_number(tolerance, "cuminc", "tolerance")
  };

  int nprotect = 0;
  SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue)); nprotect++;
  R_RegisterCFinalizer(holder, result_finalizer);
  ns_cuminc_result *res = (ns_cuminc_result *) R_alloc(1, sizeof *res);
  memset(res, 0, sizeof *res);
  ns_status st = ns_cuminc_fit(&data, res, ns_glue_interrupted, NULL);
  if (st != NS_OK) {
    UNPROTECT(nprotect);
    if (st == NS_ERR_START_STOP && data.time_fix > 0 && data.start)
      ns_glue_stop_merged("cuminc", data.n, data.time, data.start, data.time_fix);
    NS_STOP_ON_STATUS(st, "cuminc");
  }
  R_SetExternalPtrAddr(holder, res);

  static const char *names[] = {"time", "n.risk", "n.censor", "surv", "n.event",
                                "estimate", "std.err", "strata", "n", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names)); nprotect++;
  size_t m = res->m;
  SET_VECTOR_ELT(out, 0, copy_real(res->time, m));
  SET_VECTOR_ELT(out, 1, copy_real(res->n_risk, m));
  SET_VECTOR_ELT(out, 2, copy_real(res->n_censor, m));
  SET_VECTOR_ELT(out, 3, copy_real(res->surv, m));
  const double *mats[3] = {res->n_event, res->estimate, res->std_err};
  for (int j = 0; j < 3; j++) {
    SEXP x = SET_VECTOR_ELT(out, 4 + j, Rf_allocMatrix(REALSXP, (int) m, K));
    if (m) memcpy(REAL(x), mats[j], m * (size_t) K * sizeof(double));
  }
  SEXP strata = SET_VECTOR_ELT(out, 7, Rf_allocVector(INTSXP, G));
  SEXP rows = SET_VECTOR_ELT(out, 8, Rf_allocVector(INTSXP, G));
  memcpy(INTEGER(strata), res->group_times, (size_t) G * sizeof(int));
  memcpy(INTEGER(rows), res->group_rows, (size_t) G * sizeof(int));
  ns_cuminc_free(res);
  R_ClearExternalPtr(holder);
  UNPROTECT(nprotect);
  return out;
}

/*
 * ffi_cuminc_gray_test(time, cause, n_cause, weight, group, n_group, stratum,
 *                      n_stratum, rho)
 * Returns list(statistic (n_cause), df, score ((n_group - 1) x n_cause),
 * var ((n_group - 1)^2 x n_cause)).
 */
SEXP ffi_cuminc_gray_test(SEXP time, SEXP cause, SEXP n_cause, SEXP weight, SEXP group,
                          SEXP n_group, SEXP stratum, SEXP n_stratum, SEXP rho)
{
  const double *time_p = ns_arg_double(time, -1, 0, "cuminc", "time");
  R_xlen_t n = XLENGTH(time);
  ns_arg_rows(n, "cuminc");
  const int *cause_p = ns_arg_int(cause, n, 0, "cuminc", "cause");
  const int *group_p = ns_arg_int(group, n, 0, "cuminc", "group");
  int G = Rf_asInteger(n_group);
  if (G == NA_INTEGER || G < 2) Rf_error("cuminc(): Gray's test needs at least two groups");
  int H = ns_arg_count(n_stratum, 1, "cuminc", "n_stratum");
  int K = ns_arg_count(n_cause, 1, "cuminc", "n_cause");
  const double *w = ns_arg_double(weight, n, 1, "cuminc", "weight");
  const int *s = ns_arg_int(stratum, n, 1, "cuminc", "stratum");
  double r = ns_arg_number(rho, "cuminc", "rho");

  int nprotect = 0;
  static const char *names[] = {"statistic", "df", "score", "var", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names)); nprotect++;
  SEXP stat = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, K));
  SEXP df = SET_VECTOR_ELT(out, 1, Rf_allocVector(INTSXP, 1));
  SEXP score = SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, G - 1, K));
  SEXP var = SET_VECTOR_ELT(out, 3, Rf_allocVector(REALSXP, (R_xlen_t) (G - 1) * (G - 1) * K));
  ns_status st = ns_cuminc_gray_test((size_t) n, time_p, cause_p, K, w,
                                     group_p, G, s, H, r, REAL(score), REAL(var),
                                     REAL(stat), INTEGER(df));
  UNPROTECT(nprotect);
  NS_STOP_ON_STATUS(st, "cuminc");
  return out;
}
