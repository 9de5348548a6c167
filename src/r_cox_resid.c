/* r_cox_resid.c -- glue for the Cox diagnostics core (cox_resid.c). */
#include <stdlib.h>
#include <string.h>

#include "glue.h"

/* Fill an ns_cox_model from R vectors; errors here come before any core
 * call. x: double matrix n x p; optional vectors may be NULL. */
static void model_from_r(ns_cox_model *md, SEXP x, SEXP time, SEXP start,
                         SEXP status, SEXP weight, SEXP eta, SEXP stratum,
                         SEXP ties)
{
  ns_arg_double(time, -1, 0, "cox", "time");
  R_xlen_t n = XLENGTH(time);
  if (!Rf_isReal(x) || !Rf_isMatrix(x) || Rf_nrows(x) != n)
    Rf_error("residuals(): `x` must be a double matrix with one row per observation");
  ns_arg_int(status, n, 0, "cox", "status");
  ns_arg_double(eta, n, 0, "cox", "eta");
  ns_arg_double(start, n, 1, "cox", "start");
  ns_arg_double(weight, n, 1, "cox", "weight");
  ns_arg_int(stratum, n, 1, "cox", "stratum");
  memset(md, 0, sizeof *md);
  md->n = (size_t) n;
  md->p = (size_t) Rf_ncols(x);
  md->x = md->p > 0 ? REAL_RO(x) : NULL;
  md->time = REAL_RO(time);
  md->start = Rf_isNull(start) ? NULL : REAL_RO(start);
  md->status = INTEGER_RO(status);
  md->weight = Rf_isNull(weight) ? NULL : REAL_RO(weight);
  md->eta = REAL_RO(eta);
  md->stratum = Rf_isNull(stratum) ? NULL : INTEGER_RO(stratum);
  md->ties = Rf_asInteger(ties) == 1 ? NS_COX_EFRON : NS_COX_BRESLOW;
}

/*
 * ffi_cox_hazard(x, time, start, status, weight, eta, stratum, ties):
 * list(stratum (0-based), time, n.risk, n.event, n.censor, haz, varhaz,
 * xhaz (m x p)) per distinct (stratum, stop time).
 */
/* The core's hazard table lives behind an external pointer while R
 * allocates the copies, so an R error (say, out of memory) cannot leak it. */
static void hazard_finalizer(SEXP pointer)
{
  ns_cox_hazard_result *h = R_ExternalPtrAddr(pointer);
  if (h) {
    ns_cox_hazard_free(h);
    free(h);
  }
  R_ClearExternalPtr(pointer);
}

SEXP ffi_cox_hazard(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                    SEXP eta, SEXP stratum, SEXP ties)
{
  ns_cox_model md;
  model_from_r(&md, x, time, start, status, weight, eta, stratum, ties);
  SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
  R_RegisterCFinalizer(holder, hazard_finalizer);
  ns_cox_hazard_result *hp = calloc(1, sizeof *hp);
  if (!hp) {
    UNPROTECT(1);
    NS_STOP_ON_STATUS(NS_ERR_NOMEM, "cox");
  }
  R_SetExternalPtrAddr(holder, hp);
  ns_status st = ns_cox_hazard(&md, hp, ns_glue_interrupted, NULL);
  if (st != NS_OK) {
    hazard_finalizer(holder);
    UNPROTECT(1);
    NS_STOP_ON_STATUS(st, "cox");
  }
  const ns_cox_hazard_result h = *hp;
  const char *names[] = {"stratum", "time", "n.risk", "n.event", "n.censor",
                         "haz", "varhaz", "xhaz", ""};
  R_xlen_t m = (R_xlen_t) h.m, p = (R_xlen_t) h.p;
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP s0 = SET_VECTOR_ELT(out, 0, Rf_allocVector(INTSXP, m));
  memcpy(INTEGER(s0), h.stratum, (size_t) m * sizeof(int));
  double *src[] = {h.time, h.n_risk, h.n_event, h.n_censor, h.haz, h.varhaz};
  for (int k = 0; k < 6; k++) {
    SEXP v = SET_VECTOR_ELT(out, k + 1, Rf_allocVector(REALSXP, m));
    if (m) memcpy(REAL(v), src[k], (size_t) m * sizeof(double));
  }
  SEXP xh = SET_VECTOR_ELT(out, 7, Rf_allocMatrix(REALSXP, m, p));
  double *xo = REAL(xh);
  for (R_xlen_t t = 0; t < m; t++)
    for (R_xlen_t j = 0; j < p; j++) xo[t + j * m] = h.xhaz[t * p + j];
  hazard_finalizer(holder);
  UNPROTECT(2);
  return out;
}

/*
 * ffi_cox_residuals(x, time, start, status, weight, eta, stratum, ties,
 * want_score): list(score (n x p or NULL), schoenfeld (events x p),
 * schoen_row (1-based input rows of the events), martingale).
 */
SEXP ffi_cox_residuals(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                       SEXP eta, SEXP stratum, SEXP ties, SEXP want_score)
{
  ns_cox_model md;
  model_from_r(&md, x, time, start, status, weight, eta, stratum, ties);
  int do_score = Rf_asLogical(want_score) == TRUE;
  R_xlen_t n = (R_xlen_t) md.n, p = (R_xlen_t) md.p, ne = 0;
  for (R_xlen_t i = 0; i < n; i++) ne += md.status[i] == 1;
  const char *names[] = {"score", "schoenfeld", "schoen_row", "martingale", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP sc = do_score ? SET_VECTOR_ELT(out, 0, Rf_allocMatrix(REALSXP, n, p)) : R_NilValue;
  SEXP sch = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, ne, p));
  SEXP row = SET_VECTOR_ELT(out, 2, Rf_allocVector(INTSXP, ne));
  SEXP mart = SET_VECTOR_ELT(out, 3, Rf_allocVector(REALSXP, n));
  ns_status st = ns_cox_residuals(&md, do_score ? REAL(sc) : NULL, REAL(sch),
                                  INTEGER(row), REAL(mart), NULL, ns_glue_interrupted, NULL);
  if (st == NS_OK)
    for (R_xlen_t e = 0; e < ne; e++) INTEGER(row)[e] += 1;
  UNPROTECT(1);
  NS_STOP_ON_STATUS(st, "residuals");
  return out;
}

/*
 * ffi_cox_zph(x, time, start, status, weight, eta, stratum, ties, gtime,
 * n_stratum): list(u (2p), imat (2p x 2p), schoen (events x p),
 * used (n_stratum x p)).
 */
SEXP ffi_cox_zph(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                 SEXP eta, SEXP stratum, SEXP ties, SEXP gtime, SEXP n_stratum)
{
  ns_cox_model md;
  model_from_r(&md, x, time, start, status, weight, eta, stratum, ties);
  R_xlen_t n = (R_xlen_t) md.n, p = (R_xlen_t) md.p, ne = 0;
  if (!Rf_isReal(gtime) || XLENGTH(gtime) != n)
    Rf_error("cox_zph(): `gtime` must be a double vector of length %ld", (long) n);
  int ns = Rf_asInteger(n_stratum);
  if (ns == NA_INTEGER || ns < 1) Rf_error("cox_zph(): `n_stratum` must be >= 1");
  for (R_xlen_t i = 0; i < n; i++) ne += md.status[i] == 1;
  const char *names[] = {"u", "imat", "schoen", "used", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP u = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, 2 * p));
  SEXP im = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, 2 * p, 2 * p));
  SEXP sch = SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, ne, p));
  SEXP used = SET_VECTOR_ELT(out, 3, Rf_allocMatrix(INTSXP, ns, p));
  ns_status st = ns_cox_zph(&md, REAL_RO(gtime), REAL(u), REAL(im), REAL(sch),
                            INTEGER(used), ns, ns_glue_interrupted, NULL);
  UNPROTECT(1);
  NS_STOP_ON_STATUS(st, "cox_zph");
  return out;
}

/* ffi_cox_deviance(martingale, events, log_expected): deviance residuals
 * (names are set by the caller); log_expected (the log of events -
 * martingale, as the fit formed it) or NULL. */
SEXP ffi_cox_deviance(SEXP martingale, SEXP events, SEXP log_expected)
{
  if (!Rf_isReal(martingale) || !Rf_isReal(events) || XLENGTH(martingale) != XLENGTH(events))
    Rf_error("residuals(): `martingale` and `events` must be double vectors of one length");
  R_xlen_t n = XLENGTH(martingale);
  if (!Rf_isNull(log_expected) && (!Rf_isReal(log_expected) || XLENGTH(log_expected) != n))
    Rf_error("residuals(): `log_expected` must be NULL or a double vector of length %ld",
             (long) n);
  SEXP out = PROTECT(Rf_allocVector(REALSXP, n));
  ns_status st = ns_cox_deviance((size_t) n, REAL_RO(martingale), REAL_RO(events),
                                 Rf_isNull(log_expected) ? NULL : REAL_RO(log_expected),
                                 REAL(out));
  UNPROTECT(1);
  NS_STOP_ON_STATUS(st, "residuals");
  return out;
}
