/* r_moments.c -- glue for the moments layer (src/core/moments.c): curves,
 * tests and Cox Newton-step pieces from aggregated sums (R/sql.R). */
#include <string.h>

#include "glue.h"
#include "internal.h" /* the linalg wrappers: the Newton step solves in the glue */

static R_xlen_t check_records(SEXP time, SEXP stratum)
{
  if (!Rf_isReal(time)) Rf_error("`time` must be a double vector");
  R_xlen_t m = XLENGTH(time);
  if (!Rf_isNull(stratum) && (!Rf_isInteger(stratum) || XLENGTH(stratum) != m))
    Rf_error("`stratum` must be NULL or an integer vector as long as `time`");
  return m;
}

static const double *real_or_null(SEXP x, R_xlen_t len, const char *what)
{
  if (Rf_isNull(x)) return NULL;
  if (!Rf_isReal(x) || XLENGTH(x) != len) Rf_error("`%s` must be a double vector of length %lld",
                                                   what, (long long) len);
  return REAL_RO(x);
}

static SEXP named_list(int n, const char **labels)
{
  SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
  SEXP names = PROTECT(Rf_allocVector(STRSXP, n));
  for (int i = 0; i < n; i++) SET_STRING_ELT(names, i, Rf_mkChar(labels[i]));
  Rf_setAttrib(out, R_NamesSymbol, names);
  UNPROTECT(2);
  return out;
}

/* ffi_km_moments(stratum, time, n_stop, n_event, n_censor, n_enter,
 * n_strata): list(time, n.risk, n.event, n.censor, surv, std.err, cumhaz,
 * std.chaz, strata) -- the time points only. */
SEXP ffi_km_moments(SEXP stratum, SEXP time, SEXP n_stop, SEXP n_event, SEXP n_censor,
                    SEXP n_enter, SEXP n_strata)
{
  R_xlen_t m = check_records(time, stratum);
  if (!Rf_isInteger(n_strata) || XLENGTH(n_strata) != 1 || INTEGER(n_strata)[0] < 1)
    Rf_error("`n_strata` must be one positive integer");
  int S = INTEGER(n_strata)[0];
  ns_km_moments mo = {(size_t) m, S, Rf_isNull(stratum) ? NULL : INTEGER_RO(stratum),
                      REAL_RO(time), real_or_null(n_stop, m, "n_stop"),
                      real_or_null(n_event, m, "n_event"), real_or_null(n_censor, m, "n_censor"),
                      real_or_null(n_enter, m, "n_enter")};
  if (!mo.n_stop || !mo.n_event || !mo.n_censor) Rf_error("the counts must not be NULL");
  const char *labels[] = {"time", "n.risk", "n.event", "n.censor", "surv", "std.err",
                          "cumhaz", "std.chaz", "strata"};
  SEXP out = PROTECT(named_list(9, labels));
  SEXP buf = PROTECT(Rf_allocMatrix(REALSXP, m > 0 ? (int) m : 1, 8));
  SEXP strata = SET_VECTOR_ELT(out, 8, Rf_allocVector(INTSXP, S));
  double *b = REAL(buf);
  size_t mm = m > 0 ? (size_t) m : 1;
  ns_km_curve curve = {b, b + mm, b + 2 * mm, b + 3 * mm, b + 4 * mm, b + 5 * mm, b + 6 * mm,
                       b + 7 * mm, NULL, INTEGER(strata), NULL};
  size_t nt = 0;
  ns_status rc = ns_km_from_moments(&mo, &curve, &nt);
  if (rc == NS_OK) {
    for (int f = 0; f < 8; f++) {
      SEXP v = SET_VECTOR_ELT(out, f, Rf_allocVector(REALSXP, (R_xlen_t) nt));
      double *dst = REAL(v);
      const double *src = b + (size_t) f * mm;
      for (size_t i = 0; i < nt; i++) dst[i] = src[i];
    }
  }
  UNPROTECT(2);
  NS_STOP_ON_STATUS(rc, "km");
  return out;
}

/* ffi_logrank_moments(stratum, time, n_event, n_stop, n_group, n_stratum,
 * rho, gamma): list(obs, exp, var, chisq, df); n_event and n_stop are
 * records x groups matrices. */
SEXP ffi_logrank_moments(SEXP stratum, SEXP time, SEXP n_event, SEXP n_stop, SEXP n_group,
                         SEXP n_stratum, SEXP rho, SEXP gamma)
{
  R_xlen_t m = check_records(time, stratum);
  if (!Rf_isInteger(n_group) || XLENGTH(n_group) != 1 || INTEGER(n_group)[0] < 1)
    Rf_error("`n_group` must be one positive integer");
  if (!Rf_isInteger(n_stratum) || XLENGTH(n_stratum) != 1 || INTEGER(n_stratum)[0] < 1)
    Rf_error("`n_stratum` must be one positive integer");
  if (!Rf_isReal(rho) || XLENGTH(rho) != 1 || !Rf_isReal(gamma) || XLENGTH(gamma) != 1)
    Rf_error("`rho` and `gamma` must be single numbers");
  int G = INTEGER(n_group)[0], S = INTEGER(n_stratum)[0];
  ns_logrank_moments mo = {(size_t) m, G, S, Rf_isNull(stratum) ? NULL : INTEGER_RO(stratum),
                           REAL_RO(time), real_or_null(n_event, m * G, "n_event"),
                           real_or_null(n_stop, m * G, "n_stop")};
  if (!mo.n_event || !mo.n_stop) Rf_error("the counts must not be NULL");
  const char *labels[] = {"obs", "exp", "var", "chisq", "df"};
  SEXP out = PROTECT(named_list(5, labels));
  SEXP obs = SET_VECTOR_ELT(out, 0, Rf_allocMatrix(REALSXP, G, S));
  SEXP exp = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, G, S));
  SEXP var = SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, G, G));
  SEXP chisq = SET_VECTOR_ELT(out, 3, Rf_allocVector(REALSXP, 1));
  SEXP df = SET_VECTOR_ELT(out, 4, Rf_allocVector(INTSXP, 1));
  ns_status rc = ns_logrank_from_moments(&mo, REAL(rho)[0], REAL(gamma)[0], REAL(obs), REAL(exp),
                                         REAL(var), REAL(chisq), INTEGER(df));
  UNPROTECT(1);
  NS_STOP_ON_STATUS(rc, "logrank");
  return out;
}

/* ffi_cox_moments_eval(mo, ties, scale): list(loglik, u, imat, finite).
 * mo is a list with the fields of ns_cox_moments (NULL where absent);
 * matrices are records x columns. finite = FALSE when the core reports a
 * non-finite value (the caller halves its step). */
SEXP ffi_cox_moments_eval(SEXP mo, SEXP ties, SEXP scale)
{
  if (!Rf_isNewList(mo)) Rf_error("`mo` must be a list");
  SEXP names = Rf_getAttrib(mo, R_NamesSymbol);
  const char *want[] = {"stratum", "time", "s0", "s1", "s2", "in0", "in1", "in2", "d", "dw",
                        "d0", "d1", "d2", "dx", "deta", "p", "n_strata"};
  SEXP f[17];
  for (int k = 0; k < 17; k++) {
    f[k] = R_NilValue;
    for (R_xlen_t i = 0; i < XLENGTH(mo); i++)
      if (!strcmp(CHAR(STRING_ELT(names, i)), want[k])) f[k] = VECTOR_ELT(mo, i);
  }
  R_xlen_t m = check_records(f[1], f[0]);
  if (!Rf_isInteger(f[15]) || XLENGTH(f[15]) != 1 || INTEGER(f[15])[0] < 0)
    Rf_error("`p` must be one integer >= 0");
  if (!Rf_isInteger(f[16]) || XLENGTH(f[16]) != 1 || INTEGER(f[16])[0] < 1)
    Rf_error("`n_strata` must be one positive integer");
  if (!Rf_isInteger(ties) || XLENGTH(ties) != 1) Rf_error("`ties` must be one integer");
  size_t p = (size_t) INTEGER(f[15])[0], q = p * (p + 1) / 2;
  ns_cox_moments c = {(size_t) m, p, INTEGER(f[16])[0],
                      Rf_isNull(f[0]) ? NULL : INTEGER_RO(f[0]), REAL_RO(f[1]),
                      real_or_null(f[2], m, "s0"), real_or_null(f[3], m * p, "s1"),
                      real_or_null(f[4], m * q, "s2"), real_or_null(f[5], m, "in0"),
                      real_or_null(f[6], m * p, "in1"), real_or_null(f[7], m * q, "in2"),
                      real_or_null(f[8], m, "d"), real_or_null(f[9], m, "dw"),
                      real_or_null(f[10], m, "d0"), real_or_null(f[11], m * p, "d1"),
                      real_or_null(f[12], m * q, "d2"), real_or_null(f[13], m * p, "dx"),
                      real_or_null(f[14], m, "deta")};
  const double *sc = real_or_null(scale, (R_xlen_t) p, "scale");
  const char *labels[] = {"loglik", "u", "imat", "finite"};
  SEXP out = PROTECT(named_list(4, labels));
  SEXP ll = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, 1));
  SEXP u = SET_VECTOR_ELT(out, 1, Rf_allocVector(REALSXP, (R_xlen_t) p));
  SEXP imat = SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, (int) p, (int) p));
  SEXP finite = SET_VECTOR_ELT(out, 3, Rf_allocVector(LGLSXP, 1));
  ns_status rc = ns_cox_moments_eval(&c, INTEGER(ties)[0] ? NS_COX_EFRON : NS_COX_BRESLOW, sc,
                                     REAL(ll), REAL(u), REAL(imat));
  LOGICAL(finite)[0] = rc == NS_OK;
  UNPROTECT(1);
  if (rc != NS_ERR_NONFINITE) NS_STOP_ON_STATUS(rc, "cox");
  return out;
}

/* ffi_cox_moments_solve(imat, u, toler): list(step, inverse, rank, keep,
 * finite): the Newton step imat^- u and the generalized inverse, with the
 * Cholesky drop rule of ns_cox_fit (ns_linalg_chol). */
SEXP ffi_cox_moments_solve(SEXP imat, SEXP u, SEXP toler)
{
  if (!Rf_isReal(u)) Rf_error("`u` must be a double vector");
  R_xlen_t p = XLENGTH(u);
  if (!Rf_isReal(imat) || XLENGTH(imat) != p * p) Rf_error("`imat` must be a p x p double matrix");
  if (!Rf_isReal(toler) || XLENGTH(toler) != 1) Rf_error("`toler` must be one number");
  const char *labels[] = {"step", "inverse", "rank", "keep", "finite"};
  SEXP out = PROTECT(named_list(5, labels));
  SEXP step = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, p));
  SEXP inv = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, (int) p, (int) p));
  SEXP rank = SET_VECTOR_ELT(out, 2, Rf_allocVector(INTSXP, 1));
  SEXP keep = SET_VECTOR_ELT(out, 3, Rf_allocVector(INTSXP, p));
  SEXP finite = SET_VECTOR_ELT(out, 4, Rf_allocVector(LGLSXP, 1));
  SEXP factor = PROTECT(Rf_allocVector(REALSXP, p * p + 1));
  SEXP work = PROTECT(Rf_allocVector(REALSXP, p * p + 1));
  for (R_xlen_t j = 0; j < p; j++) REAL(step)[j] = REAL(u)[j];
  INTEGER(rank)[0] = 0;
  ns_status rc = ns_linalg_chol((size_t) p, REAL_RO(imat), REAL(toler)[0], REAL(factor),
                                INTEGER(keep), INTEGER(rank));
  if (rc == NS_OK)
    rc = ns_linalg_chol_solve((size_t) p, REAL(factor), INTEGER(keep), INTEGER(rank)[0],
                              REAL(step), REAL(work));
  if (rc == NS_OK)
    rc = ns_linalg_chol_inverse((size_t) p, REAL(factor), INTEGER(keep), INTEGER(rank)[0],
                                REAL(inv), REAL(work));
  LOGICAL(finite)[0] = rc == NS_OK;
  UNPROTECT(3);
  if (rc != NS_ERR_NONFINITE) NS_STOP_ON_STATUS(rc, "cox");
  return out;
}

/* ffi_quad_inverse(a, x, toler): x' a^- x (ns_linalg_quad_inverse). */
SEXP ffi_quad_inverse(SEXP a, SEXP x, SEXP toler)
{
  if (!Rf_isReal(x)) Rf_error("`x` must be a double vector");
  R_xlen_t p = XLENGTH(x);
  if (!Rf_isReal(a) || XLENGTH(a) != p * p) Rf_error("`a` must be a p x p double matrix");
  if (!Rf_isReal(toler) || XLENGTH(toler) != 1) Rf_error("`toler` must be one number");
  double value = 0;
  ns_status rc = ns_linalg_quad_inverse((size_t) p, REAL_RO(a), REAL_RO(x), REAL(toler)[0], &value);
  NS_STOP_ON_STATUS(rc, "cox");
  return Rf_ScalarReal(value);
}
