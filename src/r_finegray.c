/* r_finegray.c -- glue for the Fine-Gray core (ns_finegray_fit). */
#include <string.h>

#include "glue.h"

/*
 * ffi_finegray_fit(x, time, status, weight, cengroup, n_cengroup, iter_max,
 *                  gtol, init)
 *   x         double n x p matrix (p >= 1)
 *   time      double; status integer 0 / 1 (cause of interest) / 2 (other)
 *   weight    NULL or double > 0; cengroup NULL or integer 0-based
 *   init      NULL or double p
 * Returns list(coef, var, naive.var, score, info, loglik, loglik.null, iter,
 * converged, base.time, base.jump).
 */
SEXP ffi_finegray_fit(SEXP x, SEXP time, SEXP status, SEXP weight, SEXP cengroup,
                      SEXP n_cengroup, SEXP iter_max, SEXP gtol, SEXP init)
{
  const double *time_p = ns_arg_double(time, -1, 0, "fine_gray", "time");
  R_xlen_t n = XLENGTH(time);
  ns_arg_rows(n, "fine_gray");
  if (!Rf_isReal(x) || !Rf_isMatrix(x) || Rf_nrows(x) != n)
    Rf_error("fine_gray(): `x` must be a double matrix with one row per time");
  int p = Rf_ncols(x);
  if (p < 1) Rf_error("fine_gray(): the model needs at least one covariate");
  const int *status_p = ns_arg_int(status, n, 0, "fine_gray", "status");
  const double *weight_p = ns_arg_double(weight, n, 1, "fine_gray", "weight");
  const int *cengroup_p = ns_arg_int(cengroup, n, 1, "fine_gray", "cengroup");
  const double *init_p = ns_arg_double(init, p, 1, "fine_gray", "init");
  int ncg = ns_arg_count(n_cengroup, 1, "fine_gray", "n_cengroup");
  int maxit = ns_arg_count(iter_max, 0, "fine_gray", "iter_max");

  ns_finegray_data data = {
    .n = (size_t) n, .p = (size_t) p, .x = REAL_RO(x), .time = time_p,
    .status = status_p, .weight = weight_p, .cengroup = cengroup_p, .n_cengroup = ncg
  };
  ns_finegray_control control = {
    .iter_max = maxit, .gtol = ns_arg_number(gtol, "fine_gray", "gtol"), .init = init_p
  };

  int nprotect = 0;
  static const char *names[] = {"coef", "var", "naive.var", "score", "info", "loglik",
                                "loglik.null", "iter", "converged", "base.time",
                                "base.jump", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names)); nprotect++;
  SEXP coef = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, p));
  SEXP var = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, p, p));
  SEXP nvar = SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, p, p));
  SEXP score = SET_VECTOR_ELT(out, 3, Rf_allocVector(REALSXP, p));
  SEXP info = SET_VECTOR_ELT(out, 4, Rf_allocMatrix(REALSXP, p, p));
  SEXP btime = PROTECT(Rf_allocVector(REALSXP, n ? n : 1)); nprotect++;
  SEXP bjump = PROTECT(Rf_allocVector(REALSXP, n ? n : 1)); nprotect++;
  ns_finegray_result res = {
    .coef = REAL(coef), .var = REAL(var), .naive_var = REAL(nvar), .score = REAL(score),
    .info = REAL(info), .meat = NULL, .base_time = REAL(btime), .base_jump = REAL(bjump)
  };
  ns_status st = ns_finegray_fit(&data, &control, &res, ns_glue_interrupted, NULL);
  if (st != NS_OK) {
    UNPROTECT(nprotect);
    if (st == NS_ERR_SINGULAR)
      Rf_error("fine_gray(): the information matrix is singular (collinear covariates, or a "
               "covariate constant among the rows at risk)");
    NS_STOP_ON_STATUS(st, "fine_gray");
  }
  SET_VECTOR_ELT(out, 5, Rf_ScalarReal(res.loglik));
  SET_VECTOR_ELT(out, 6, Rf_ScalarReal(res.loglik_null));
  SET_VECTOR_ELT(out, 7, Rf_ScalarInteger(res.iter));
  SET_VECTOR_ELT(out, 8, Rf_ScalarLogical(res.converged));
  SEXP bt = SET_VECTOR_ELT(out, 9, Rf_allocVector(REALSXP, (R_xlen_t) res.n_times));
  SEXP bj = SET_VECTOR_ELT(out, 10, Rf_allocVector(REALSXP, (R_xlen_t) res.n_times));
  if (res.n_times) {
    memcpy(REAL(bt), REAL(btime), res.n_times * sizeof(double));
    memcpy(REAL(bj), REAL(bjump), res.n_times * sizeof(double));
  }
  UNPROTECT(nprotect);
  return out;
}
