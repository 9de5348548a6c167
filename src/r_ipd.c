/* r_ipd.c -- glue for the reconstruction of pseudo individual data from a
 * digitised Kaplan-Meier curve (src/core/ipd.c). */
#include "glue.h"

/* ffi_ipd_reconstruct(time, surv, risk_time, n_risk, total_events): one arm,
 * cleaned by the R layer. list(events, censored, censor_time, risk_hat,
 * events_hat, censored_hat). */
SEXP ffi_ipd_reconstruct(SEXP time, SEXP surv, SEXP risk_time, SEXP n_risk,
                         SEXP total_events)
{
  if (!Rf_isReal(time) || !Rf_isReal(surv) || XLENGTH(time) != XLENGTH(surv))
    Rf_error("reconstruct_ipd(): `time` and `surv` must be double vectors of one length");
  if (!Rf_isReal(risk_time) || !Rf_isInteger(n_risk) ||
      XLENGTH(risk_time) != XLENGTH(n_risk) || XLENGTH(n_risk) < 1)
    Rf_error("reconstruct_ipd(): `risk_time` (double) and `n_risk` (integer) must have one length");
  if (!Rf_isInteger(total_events) || XLENGTH(total_events) != 1)
    Rf_error("reconstruct_ipd(): `total_events` must be one integer");
  R_xlen_t K = XLENGTH(time), m = XLENGTH(n_risk);
  int n0 = INTEGER(n_risk)[0];
  if (n0 < 1 || n0 == NA_INTEGER) Rf_error("reconstruct_ipd(): the first number at risk must be positive");
  int te = INTEGER(total_events)[0];

  SEXP out = PROTECT(Rf_allocVector(VECSXP, 6));
  SEXP names = PROTECT(Rf_allocVector(STRSXP, 6));
  const char *labels[] = {"events", "censored", "censor_time", "risk_hat",
                          "events_hat", "censored_hat"};
  for (int i = 0; i < 6; i++) SET_STRING_ELT(names, i, Rf_mkChar(labels[i]));
  Rf_setAttrib(out, R_NamesSymbol, names);
  SEXP events = SET_VECTOR_ELT(out, 0, Rf_allocVector(INTSXP, K));
  SEXP censored = SET_VECTOR_ELT(out, 1, Rf_allocVector(INTSXP, K));
  SEXP ctime = SET_VECTOR_ELT(out, 2, Rf_allocVector(REALSXP, n0));
  SEXP risk_hat = SET_VECTOR_ELT(out, 3, Rf_allocVector(INTSXP, m));
  SEXP events_hat = SET_VECTOR_ELT(out, 4, Rf_allocVector(INTSXP, m));
  SEXP censored_hat = SET_VECTOR_ELT(out, 5, Rf_allocVector(INTSXP, m));

  ns_ipd_curve cv = {(size_t) K, REAL_RO(time), REAL_RO(surv), (size_t) m,
                     REAL_RO(risk_time), INTEGER_RO(n_risk),
                     te == NA_INTEGER ? -1 : te};
  ns_ipd_result res = {INTEGER(events), INTEGER(censored), REAL(ctime), 0,
                       INTEGER(risk_hat), INTEGER(events_hat), INTEGER(censored_hat)};
  ns_status rc = ns_ipd_reconstruct(&cv, &res);
  if (rc == NS_OK) SET_VECTOR_ELT(out, 2, Rf_xlengthgets(ctime, (R_xlen_t) res.n_censored));
  UNPROTECT(2);
  NS_STOP_ON_STATUS(rc, "reconstruct_ipd");
  return out;
}
