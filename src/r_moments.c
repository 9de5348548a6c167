/* r_moments.c -- glue for the moments layer (src/core/moments.c,
 * moments_newton.c): curves, tests and a Cox fit from aggregated sums
 * (R/sql-*.R). Every entry point takes the records as one named list, read
 * by field() and the argument checks of glue.c. */
#include <string.h>

#include "glue.h"

/* The element `name` of the list `x`, or R_NilValue. */
static SEXP field(SEXP x, const char *name, const char *fn)
{
  if (!Rf_isNewList(x)) Rf_error("%s(): `mo` must be a list", fn);
  SEXP names = Rf_getAttrib(x, R_NamesSymbol);
  for (R_xlen_t i = 0; i < XLENGTH(x) && !Rf_isNull(names); i++)
    if (!strcmp(CHAR(STRING_ELT(names, i)), name)) return VECTOR_ELT(x, i);
  return R_NilValue;
}

/* The record keys every moments list has: time (m doubles) and stratum
 * (NULL or m integers); returns m. */
static R_xlen_t records(SEXP mo, const char *fn, const int **stratum, const double **time)
{
  *time = ns_arg_double(field(mo, "time", fn), -1, 0, fn, "time");
  R_xlen_t m = XLENGTH(field(mo, "time", fn));
  *stratum = ns_arg_int(field(mo, "stratum", fn), m, 1, fn, "stratum");
  return m;
}

static const double *sums(SEXP mo, const char *name, R_xlen_t n, int optional, const char *fn)
{
  return ns_arg_double(field(mo, name, fn), n, optional, fn, name);
}

/* ffi_km_moments(mo): mo = list(stratum, time, n_stop, n_event, n_censor,
 * n_enter, n_strata); returns list(time, n.risk, n.event, n.censor, surv,
 * std.err, cumhaz, std.chaz, strata) at the time points only. */
SEXP ffi_km_moments(SEXP mo)
{
  const char *fn = "km";
  const int *stratum;
  const double *time;
  R_xlen_t m = records(mo, fn, &stratum, &time);
  ns_km_moments k = {(size_t) m, ns_arg_count(field(mo, "n_strata", fn), 1, fn, "n_strata"),
                     stratum, time, sums(mo, "n_stop", m, 0, fn), sums(mo, "n_event", m, 0, fn),
                     sums(mo, "n_censor", m, 0, fn), sums(mo, "n_enter", m, 1, fn)};
  const char *names[] = {"time", "n.risk", "n.event", "n.censor", "surv", "std.err",
                         "cumhaz", "std.chaz", "strata", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  size_t mm = m > 0 ? (size_t) m : 1;
  SEXP buf = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (8 * mm)));
  SEXP strata = SET_VECTOR_ELT(out, 8, Rf_allocVector(INTSXP, k.n_strata));
  double *b = REAL(buf);
  ns_km_curve curve = {b, b + mm, b + 2 * mm, b + 3 * mm, b + 4 * mm, b + 5 * mm, b + 6 * mm,
                       b + 7 * mm, NULL, INTEGER(strata), NULL};
  size_t nt = 0;
  ns_status rc = ns_km_from_moments(&k, &curve, &nt);
  for (int f = 0; f < 8; f++) {
    SEXP v = SET_VECTOR_ELT(out, f, Rf_allocVector(REALSXP, rc == NS_OK ? (R_xlen_t) nt : 0));
    if (rc == NS_OK) memcpy(REAL(v), b + (size_t) f * mm, nt * sizeof(double));
  }
  UNPROTECT(2);
  NS_STOP_ON_STATUS(rc, fn);
  return out;
}

/* ffi_logrank_moments(mo, rho, gamma): mo = list(stratum, time, n_event,
 * n_stop, n_group, n_stratum), n_event and n_stop records x groups;
 * returns list(obs, exp, var, chisq, df). */
SEXP ffi_logrank_moments(SEXP mo, SEXP rho, SEXP gamma)
{
  const char *fn = "logrank";
  const int *stratum;
  const double *time;
  R_xlen_t m = records(mo, fn, &stratum, &time);
  int G = ns_arg_count(field(mo, "n_group", fn), 1, fn, "n_group");
  int S = ns_arg_count(field(mo, "n_stratum", fn), 1, fn, "n_stratum");
  ns_logrank_moments k = {(size_t) m, G, S, stratum, time, sums(mo, "n_event", m * G, 0, fn),
                          sums(mo, "n_stop", m * G, 0, fn)};
  double r = ns_arg_number(rho, fn, "rho"), g = ns_arg_number(gamma, fn, "gamma");
  const char *names[] = {"obs", "exp", "var", "chisq", "df", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP obs = SET_VECTOR_ELT(out, 0, Rf_allocMatrix(REALSXP, G, S));
  SEXP exp = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, G, S));
  SEXP var = SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, G, G));
  SEXP chisq = SET_VECTOR_ELT(out, 3, Rf_allocVector(REALSXP, 1));
  SEXP df = SET_VECTOR_ELT(out, 4, Rf_allocVector(INTSXP, 1));
  ns_status rc = ns_logrank_from_moments(&k, r, g, REAL(obs), REAL(exp), REAL(var), REAL(chisq),
                                         INTEGER(df));
  UNPROTECT(1);
  NS_STOP_ON_STATUS(rc, fn);
  return out;
}

/* ffi_cox_newton_start(p, ties, iter_max, eps, toler_chol, toler_inf, init,
 * scale): the state of a Cox fit from sums, a raw vector. */
SEXP ffi_cox_newton_start(SEXP p, SEXP ties, SEXP iter_max, SEXP eps, SEXP toler_chol,
                          SEXP toler_inf, SEXP init, SEXP scale)
{
  const char *fn = "cox";
  int np = ns_arg_count(p, 0, fn, "p");
  ns_cox_control control = {ns_arg_flag(ties, fn, "efron") ? NS_COX_EFRON : NS_COX_BRESLOW,
                            ns_arg_count(iter_max, 0, fn, "iter_max"),
                            ns_arg_number(eps, fn, "eps"),
                            ns_arg_number(toler_chol, fn, "toler_chol"),
                            ns_arg_number(toler_inf, fn, "toler_inf"),
                            ns_arg_double(init, np, 0, fn, "init"),
                            NULL, 0, 0, 1};
  const double *sc = ns_arg_double(scale, np, 0, fn, "scale");
  SEXP state = PROTECT(Rf_allocVector(RAWSXP, (R_xlen_t) ns_cox_newton_size((size_t) np)));
  ns_status rc = ns_cox_newton_start((size_t) np, &control, sc, RAW(state));
  UNPROTECT(1);
  NS_STOP_ON_STATUS(rc, fn);
  return state;
}

/* ffi_cox_moments_step(state, mo): one turn of the iteration on the sums mo
 * (the fields of ns_cox_moments; matrices records x columns); returns
 * list(state, beta, done) with a new state (the argument is not modified). */
SEXP ffi_cox_moments_step(SEXP state, SEXP mo)
{
  const char *fn = "cox";
  if (TYPEOF(state) != RAWSXP) Rf_error("%s(): `state` must be a raw vector", fn);
  const int *stratum;
  const double *time;
  R_xlen_t m = records(mo, fn, &stratum, &time);
  int p = ns_arg_count(field(mo, "p", fn), 0, fn, "p");
  if ((size_t) XLENGTH(state) != ns_cox_newton_size((size_t) p))
    Rf_error("%s(): `state` does not belong to a fit with %d coefficient(s)", fn, p);
  R_xlen_t mp = m * p, mq = m * ((R_xlen_t) p * (p + 1) / 2);
  int efron = !Rf_isNull(field(mo, "d0", fn)), counting = !Rf_isNull(field(mo, "in0", fn));
  ns_cox_moments k = {(size_t) m, (size_t) p,
                      ns_arg_count(field(mo, "n_strata", fn), 1, fn, "n_strata"), stratum, time,
                      sums(mo, "s0", m, 0, fn), sums(mo, "s1", mp, p == 0, fn),
                      sums(mo, "s2", mq, p == 0, fn), sums(mo, "in0", m, 1, fn),
                      sums(mo, "in1", mp, !counting || p == 0, fn),
                      sums(mo, "in2", mq, !counting || p == 0, fn), sums(mo, "d", m, 0, fn),
                      sums(mo, "dw", m, 0, fn), sums(mo, "d0", m, 1, fn),
                      sums(mo, "d1", mp, !efron || p == 0, fn),
                      sums(mo, "d2", mq, !efron || p == 0, fn), sums(mo, "dx", mp, p == 0, fn),
                      sums(mo, "deta", m, 0, fn)};
  const char *names[] = {"state", "beta", "done", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP next = SET_VECTOR_ELT(out, 0, Rf_duplicate(state));
  SEXP beta = SET_VECTOR_ELT(out, 1, Rf_allocVector(REALSXP, p));
  SEXP done = SET_VECTOR_ELT(out, 2, Rf_allocVector(LGLSXP, 1));
  int fin = 0;
  ns_status rc = ns_cox_moments_step(&k, RAW(next), REAL(beta), &fin);
  LOGICAL(done)[0] = fin;
  UNPROTECT(1);
  NS_STOP_ON_STATUS(rc, fn);
  return out;
}

/* ffi_cox_newton_result(state): list(coefficients, var, u, infinite,
 * loglik, score, wald, iter, converged, rank) of a finished fit. */
SEXP ffi_cox_newton_result(SEXP state, SEXP p)
{
  const char *fn = "cox";
  int np = ns_arg_count(p, 0, fn, "p");
  if (TYPEOF(state) != RAWSXP || (size_t) XLENGTH(state) != ns_cox_newton_size((size_t) np))
    Rf_error("%s(): `state` must be the raw state of a fit with %d coefficient(s)", fn, np);
  const char *names[] = {"coefficients", "var", "u", "infinite", "loglik", "score", "wald",
                         "iter", "converged", "rank", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP coef = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, np));
  SEXP var = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, np, np));
  SEXP u = SET_VECTOR_ELT(out, 2, Rf_allocVector(REALSXP, np));
  SEXP inf = SET_VECTOR_ELT(out, 3, Rf_allocVector(LGLSXP, np));
  SEXP loglik = SET_VECTOR_ELT(out, 4, Rf_allocVector(REALSXP, 2));
  ns_cox_result res;
  memset(&res, 0, sizeof res);
  res.coef = REAL(coef);
  res.var = REAL(var);
  res.u = REAL(u);
  res.infinite = LOGICAL(inf);
  ns_status rc = ns_cox_newton_result(RAW(state), &res);
  REAL(loglik)[0] = res.loglik[0];
  REAL(loglik)[1] = res.loglik[1];
  SET_VECTOR_ELT(out, 5, Rf_ScalarReal(res.score_test));
  SET_VECTOR_ELT(out, 6, Rf_ScalarReal(res.wald_test));
  SET_VECTOR_ELT(out, 7, Rf_ScalarInteger(res.iter));
  SET_VECTOR_ELT(out, 8, Rf_ScalarLogical(res.converged));
  SET_VECTOR_ELT(out, 9, Rf_ScalarInteger(res.rank));
  UNPROTECT(1);
  NS_STOP_ON_STATUS(rc, fn);
  return out;
}
