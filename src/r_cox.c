/* r_cox.c -- glue for ns_cox_fit and ns_cox_concordance. */
#include <string.h>

#include "glue.h"
#include "internal.h" /* the OpenMP stubs */

static const double *real_or_null(SEXP x, R_xlen_t n, const char *what)
{
  return ns_arg_double(x, n, 1, "cox", what);
}

static const int *int_or_null(SEXP x, R_xlen_t n, const char *what)
{
  return ns_arg_int(x, n, 1, "cox", what);
}

static SEXP list_get(SEXP list, const char *name)
{
  SEXP names = Rf_getAttrib(list, R_NamesSymbol);
  for (R_xlen_t i = 0; i < XLENGTH(list); i++)
    if (strcmp(CHAR(STRING_ELT(names, i)), name) == 0) return VECTOR_ELT(list, i);
  Rf_error("cox(): `control` lacks `%s`", name);
  return R_NilValue;
}

/*
 * ffi_cox_fit(x, time, start, status, weight, offset, stratum, center,
 *             cluster, n_cluster, control): the fit as a named list.
 * control: list(ties = 0/1/2 (Breslow/Efron/exact), iter_max, eps, toler_chol, toler_inf, init,
 *               fixed, robust, firth, threads).
 */
SEXP ffi_cox_fit(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                 SEXP offset, SEXP stratum, SEXP center, SEXP cluster,
                 SEXP n_cluster, SEXP control)
{
  if (!Rf_isReal(time)) Rf_error("cox(): `time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  if (!Rf_isReal(x) || !Rf_isMatrix(x) || Rf_nrows(x) != n)
    Rf_error("cox(): `x` must be a double matrix with one row per observation");
  if (!Rf_isNewList(control)) Rf_error("cox(): `control` must be a list");
  /* x_skip leading columns of x (the model matrix's intercept) are not
   * covariates: skipping them here spares R a copy of the whole matrix. */
  int x_skip = Rf_asInteger(list_get(control, "x_skip"));
  if (x_skip == NA_INTEGER || x_skip < 0 || x_skip > Rf_ncols(x))
    Rf_error("cox(): `x_skip` must be between 0 and the number of columns of `x`");
  R_xlen_t p = Rf_ncols(x) - x_skip;

  ns_cox_data d;
  d.n = (size_t) n;
  d.p = (size_t) p;
  d.x = p > 0 ? REAL_RO(x) + (size_t) x_skip * (size_t) n : NULL;
  d.time = REAL_RO(time);
  d.start = real_or_null(start, n, "start");
  d.status = int_or_null(status, n, "status");
  if (!d.status) Rf_error("cox(): `status` is required");
  d.weight = real_or_null(weight, n, "weight");
  d.offset = real_or_null(offset, n, "offset");
  d.stratum = int_or_null(stratum, n, "stratum");
  d.center = int_or_null(center, p, "center");
  d.cluster = int_or_null(cluster, n, "cluster");
  d.n_cluster = (size_t) Rf_asInteger(n_cluster);

  ns_cox_control ctl;
  int ties = Rf_asInteger(list_get(control, "ties"));
  ctl.ties = ties == 1 ? NS_COX_EFRON : ties == 2 ? NS_COX_EXACT : NS_COX_BRESLOW;
  ctl.iter_max = Rf_asInteger(list_get(control, "iter_max"));
  ctl.eps = Rf_asReal(list_get(control, "eps"));
  ctl.toler_chol = Rf_asReal(list_get(control, "toler_chol"));
  ctl.toler_inf = Rf_asReal(list_get(control, "toler_inf"));
  ctl.init = real_or_null(list_get(control, "init"), p, "init");
  ctl.fixed = int_or_null(list_get(control, "fixed"), p, "fixed");
  ctl.robust = Rf_asLogical(list_get(control, "robust")) == TRUE;
  ctl.firth = Rf_asLogical(list_get(control, "firth")) == TRUE;
  ctl.threads = Rf_asInteger(list_get(control, "threads"));
  if (ctl.threads < 1) ctl.threads = 1;

  const char *names[] = {"coefficients", "var", "naive.var", "u", "means",
                         "linear.predictors", "residuals", "infinite", "loglik",
                         "loglik_plain", "score", "wald.test", "rscore", "iter",
                         "converged", "rank", "log_expected", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP coef = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, p));
  SEXP var = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, p, p));
  SEXP naive = ctl.robust ? SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, p, p)) : R_NilValue;
  SEXP u = SET_VECTOR_ELT(out, 3, Rf_allocVector(REALSXP, p));
  SEXP means = SET_VECTOR_ELT(out, 4, Rf_allocVector(REALSXP, p));
  SEXP lp = SET_VECTOR_ELT(out, 5, Rf_allocVector(REALSXP, n));
  SEXP resid = SET_VECTOR_ELT(out, 6, Rf_allocVector(REALSXP, n));
  SEXP inf = SET_VECTOR_ELT(out, 7, Rf_allocVector(LGLSXP, p));
  SEXP loglik = SET_VECTOR_ELT(out, 8, Rf_allocVector(REALSXP, 2));
  SEXP plain = SET_VECTOR_ELT(out, 9, Rf_allocVector(REALSXP, 2));
  SEXP lexp = SET_VECTOR_ELT(out, 16, Rf_allocVector(REALSXP, n));

  ns_cox_result r;
  memset(&r, 0, sizeof r);
  r.coef = REAL(coef);
  r.var = REAL(var);
  r.naive_var = ctl.robust ? REAL(naive) : NULL;
  r.u = REAL(u);
  r.means = REAL(means);
  r.lp = REAL(lp);
  r.resid = REAL(resid);
  r.log_expected = REAL(lexp);
  r.infinite = LOGICAL(inf);
  for (R_xlen_t j = 0; j < p; j++) r.infinite[j] = 0;

  ns_status st = ns_cox_fit(&d, &ctl, &r, ns_glue_interrupted, NULL);
  if (st == NS_OK) {
    REAL(loglik)[0] = r.loglik[0];
    REAL(loglik)[1] = r.loglik[1];
    REAL(plain)[0] = r.loglik_plain[0];
    REAL(plain)[1] = r.loglik_plain[1];
    SET_VECTOR_ELT(out, 10, Rf_ScalarReal(r.score_test));
    SET_VECTOR_ELT(out, 11, Rf_ScalarReal(r.wald_test));
    SET_VECTOR_ELT(out, 12, ctl.robust ? Rf_ScalarReal(r.robust_score_test) : R_NilValue);
    SET_VECTOR_ELT(out, 13, Rf_ScalarInteger(r.iter));
    SET_VECTOR_ELT(out, 14, Rf_ScalarLogical(r.converged));
    SET_VECTOR_ELT(out, 15, Rf_ScalarInteger(r.rank));
  }
  UNPROTECT(1);
  NS_STOP_ON_STATUS(st, "cox");
  return out;
}

/*
 * ffi_cox_concordance(time, start, status, weight, stratum, score, cluster,
 *                     n_cluster): list(count = c(concordant, discordant,
 *                     tied.x, tied.y, tied.xy), concordance, std).
 */
SEXP ffi_cox_concordance(SEXP time, SEXP start, SEXP status, SEXP weight,
                         SEXP stratum, SEXP score, SEXP cluster, SEXP n_cluster)
{
  if (!Rf_isReal(time)) Rf_error("cox(): `time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  const double *st_ = real_or_null(start, n, "start");
  const int *status_ = int_or_null(status, n, "status");
  if (!status_) Rf_error("cox(): `status` is required");
  const double *w = real_or_null(weight, n, "weight");
  const int *strat = int_or_null(stratum, n, "stratum");
  const double *sc = real_or_null(score, n, "score");
  if (!sc) Rf_error("cox(): `score` is required");
  const int *cl = int_or_null(cluster, n, "cluster");
  size_t ncl = (size_t) Rf_asInteger(n_cluster);

  const char *names[] = {"count", "concordance", "std", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP count = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, 5));
  double conc = NA_REAL, sd = NA_REAL;
  ns_status s = ns_cox_concordance((size_t) n, REAL_RO(time), st_, status_, w, strat,
                                   sc, cl, ncl, REAL(count), &conc, &sd);
  SET_VECTOR_ELT(out, 1, Rf_ScalarReal(conc));
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal(sd));
  UNPROTECT(1);
  NS_STOP_ON_STATUS(s, "cox");
  return out;
}

/* ffi_cox_threads(): the threads OpenMP may use, min(OMP_THREAD_LIMIT,
 * processors); 1 without OpenMP. netsurv_threads() (R/threads.R) decides
 * the count within it. */
SEXP ffi_cox_threads(void)
{
  return Rf_ScalarInteger(omp_get_thread_limit() < omp_get_num_procs()
                          ? omp_get_thread_limit() : omp_get_num_procs());
}
