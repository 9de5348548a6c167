/* r_logrank.c -- glue for the weighted log-rank test and its permutation
 * p-value (src/core/logrank.c). */
#include <math.h>
#include <stdint.h>

#include "glue.h"

/* The columns (ns_arg_test_rows, shared with r_maxcombo.c) and the options
 * both entry points take; *tol is time_fix's value. */
static ns_glue_test_rows check_columns(SEXP time, SEXP status, SEXP group, SEXP stratum,
                                       SEXP n_group, SEXP n_stratum, SEXP rho, SEXP gamma,
                                       SEXP time_fix, double *tol)
{
  ns_glue_test_rows r = ns_arg_test_rows(time, status, group, stratum, n_stratum, "logrank");
  ns_arg_count(n_group, 0, "logrank", "n_group");
  ns_arg_number(rho, "logrank", "rho");
  ns_arg_number(gamma, "logrank", "gamma");
  *tol = ns_arg_number(time_fix, "logrank", "time_fix");
  return r;
}

/* ffi_logrank_test(time, status, group, stratum, n_group, n_stratum, rho,
 * gamma, time_fix): list(obs, exp, var, chisq, df) with 0-based group and
 * stratum codes; obs and exp are n_group x n_stratum matrices. time_fix > 0
 * merges fuzz-tied times in the core (survdiff's sqrt(DBL_EPSILON)); 0 takes
 * them as they are. */
SEXP ffi_logrank_test(SEXP time, SEXP status, SEXP group, SEXP stratum,
                      SEXP n_group, SEXP n_stratum, SEXP rho, SEXP gamma, SEXP time_fix)
{
  double tol;
  ns_glue_test_rows r = check_columns(time, status, group, stratum, n_group, n_stratum, rho,
                                      gamma, time_fix, &tol);
  int G = INTEGER(n_group)[0], S = r.n_stratum;
  if (G < 1) G = 1; /* the core reports fewer than two groups */
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 5));
  SEXP obs = SET_VECTOR_ELT(out, 0, Rf_allocMatrix(REALSXP, G, S));
  SEXP exp = SET_VECTOR_ELT(out, 1, Rf_allocMatrix(REALSXP, G, S));
  SEXP var = SET_VECTOR_ELT(out, 2, Rf_allocMatrix(REALSXP, G, G));
  SEXP chisq = SET_VECTOR_ELT(out, 3, Rf_allocVector(REALSXP, 1));
  SEXP df = SET_VECTOR_ELT(out, 4, Rf_allocVector(INTSXP, 1));
  SEXP names = PROTECT(Rf_allocVector(STRSXP, 5));
  const char *labels[] = {"obs", "exp", "var", "chisq", "df"};
  for (int i = 0; i < 5; i++) SET_STRING_ELT(names, i, Rf_mkChar(labels[i]));
  Rf_setAttrib(out, R_NamesSymbol, names);

  /* interruptible: thousands of groups take minutes (Ctrl-C, setTimeLimit) */
  ns_status rc = ns_logrank_test_cb(
    r.n, r.time, r.status, r.group, r.stratum, INTEGER(n_group)[0], S,
    REAL(rho)[0], REAL(gamma)[0], tol, REAL(obs), REAL(exp), REAL(var), REAL(chisq),
    INTEGER(df), ns_glue_interrupted, NULL);
  UNPROTECT(2);
  NS_STOP_ON_STATUS(rc, "logrank");
  return out;
}

/* The progress bar: `progress` is an R function of the fraction done, run
 * inside R_ToplevelExec so that an error in it cannot jump over core frames. */
typedef struct {
  SEXP progress;  /* R function or R_NilValue */
  int last_percent;
  double fraction;
} progress_context;

static void call_progress(void *data)
{
  progress_context *ctx = data;
  SEXP fraction = PROTECT(Rf_ScalarReal(ctx->fraction));
  SEXP call = PROTECT(Rf_lang2(ctx->progress, fraction));
  Rf_eval(call, R_GlobalEnv);
  UNPROTECT(2);
}

static int permutation_callback(void *context, double fraction_done)
{
  progress_context *ctx = context;
  if (ns_glue_interrupted(NULL, fraction_done)) return 1;
  int percent = (int) floor(100.0 * fraction_done);
  if (ctx->progress != R_NilValue && percent != ctx->last_percent) {
    ctx->last_percent = percent;
    ctx->fraction = fraction_done;
    /* The update fails when the user interrupts it (or it errs): stop. */
    if (!R_ToplevelExec(call_progress, ctx)) return 1;
  }
  return 0;
}

/* ffi_logrank_permutation(time, status, group, stratum, n_group, n_stratum,
 * rho, gamma, time_fix, B, seed, progress): list(chisq, p.value, std.error, n,
 * enumerated). seed is a whole number stored in a double (|seed| <= 2^53);
 * progress is NULL or a function(fraction). */
SEXP ffi_logrank_permutation(SEXP time, SEXP status, SEXP group, SEXP stratum,
                             SEXP n_group, SEXP n_stratum, SEXP rho, SEXP gamma,
                             SEXP time_fix, SEXP B, SEXP seed, SEXP progress)
{
  double tol;
  ns_glue_test_rows r = check_columns(time, status, group, stratum, n_group, n_stratum, rho,
                                      gamma, time_fix, &tol);
  size_t n_resample = ns_arg_permutations(B, "logrank");
  unsigned long long seed_value = ns_arg_seed(seed, "logrank");
  if (!Rf_isNull(progress) && !Rf_isFunction(progress))
    Rf_error("logrank(): `progress` must be NULL or a function");

  progress_context ctx = {progress, -1, 0.0};
  double chisq = 0, p_value = 0, std_error = 0;
  size_t n_perm = 0;
  int enumerated = 0;
  ns_status rc = ns_logrank_permutation(
    r.n, r.time, r.status, r.group, r.stratum, INTEGER(n_group)[0], r.n_stratum,
    REAL(rho)[0], REAL(gamma)[0], tol, n_resample, seed_value, permutation_callback, &ctx, &chisq,
    &p_value, &std_error, &n_perm, &enumerated);
  NS_STOP_ON_STATUS(rc, "logrank");

  return ns_glue_permutation_result("chisq", chisq, p_value, std_error, n_perm, enumerated);
}
