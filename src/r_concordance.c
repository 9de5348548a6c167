/* r_concordance.c -- glue for ns_cox_concordance_cvar: the concordance of
 * a Cox fit with both of survival's variances (concordance()'s var and
 * cvar). */
#include "glue.h"

/*
 * ffi_cox_concordance_cvar(time, start, status, weight, stratum, score,
 *                          cluster, n_cluster): list(count = c(concordant,
 *                          discordant, tied.x, tied.y, tied.xy),
 *                          concordance, std, cvar).
 */
SEXP ffi_cox_concordance_cvar(SEXP time, SEXP start, SEXP status, SEXP weight,
                              SEXP stratum, SEXP score, SEXP cluster, SEXP n_cluster)
{
  if (!Rf_isReal(time)) Rf_error("concordance: `time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  const double *st_ = ns_arg_double(start, n, 1, "concordance", "start");
  const int *status_ = ns_arg_int(status, n, 1, "concordance", "status");
  if (!status_) Rf_error("concordance: `status` is required");
  const double *w = ns_arg_double(weight, n, 1, "concordance", "weight");
  const int *strat = ns_arg_int(stratum, n, 1, "concordance", "stratum");
  const double *sc = ns_arg_double(score, n, 1, "concordance", "score");
  if (!sc) Rf_error("concordance: `score` is required");
  const int *cl = ns_arg_int(cluster, n, 1, "concordance", "cluster");
  int ncl = Rf_asInteger(n_cluster);
  if (ncl == NA_INTEGER || ncl < 0) Rf_error("concordance: `n_cluster` must be >= 0");

  const char *names[] = {"count", "concordance", "std", "cvar", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP count = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, 5));
  double conc = NA_REAL, sd = NA_REAL, cvar = NA_REAL;
  ns_status s = ns_cox_concordance_cvar((size_t) n, REAL_RO(time), st_, status_, w, strat,
                                        sc, cl, (size_t) ncl, REAL(count), &conc, &sd, &cvar);
  SET_VECTOR_ELT(out, 1, Rf_ScalarReal(conc));
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal(sd));
  SET_VECTOR_ELT(out, 3, Rf_ScalarReal(cvar));
  UNPROTECT(1);
  NS_STOP_ON_STATUS(s, "concordance");
  return out;
}
