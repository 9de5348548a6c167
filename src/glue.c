/* glue.c -- helpers shared by the .Call glue: core errors raised as R errors
 * (one template, labelled with the user-facing R function), the interrupt
 * callback and the argument checks. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <R_ext/Utils.h>

#include "glue.h"
#include "internal.h"

static void check_interrupt(void *unused)
{
  (void) unused;
  R_CheckUserInterrupt();
}

int ns_glue_interrupted(void *context, double fraction_done)
{
  (void) context;
  (void) fraction_done;
  /* FALSE when R_CheckUserInterrupt jumped, i.e. the user pressed Ctrl-C. */
  return R_ToplevelExec(check_interrupt, NULL) == FALSE;
}

void NORET ns_glue_stop(ns_status status, const char *fn, size_t row, const char *detail)
{
  const char *what = detail ? detail : ns_status_message(status);
  if (row == NS_NO_ROW) Rf_error("%s(): %s", fn, what);
  /* netsurv:::stop_row_error(fn, what, row) signals the classed condition. */
  SEXP ns = PROTECT(R_FindNamespace(Rf_mkString("netsurv")));
  SEXP call = PROTECT(Rf_lang4(Rf_install("stop_row_error"), Rf_mkString(fn),
                               Rf_mkString(what), Rf_ScalarReal((double) row + 1.0)));
  Rf_eval(call, ns);
  UNPROTECT(2);
  Rf_error("%s(): row %.0f: %s", fn, (double) row + 1.0, what); /* not reached */
}

void NORET ns_glue_stop_merged(const char *fn, size_t n, const double *time,
                               const double *start, double tolerance)
{
  double *time_out = (double *) R_alloc(n, sizeof *time_out);
  double *start_out = (double *) R_alloc(n, sizeof *start_out);
  size_t row = NS_NO_ROW;
  ns_status st = ns_time_fix(n, time, start, tolerance, time_out, start_out, NULL, &row);
  if (st == NS_ERR_START_STOP) ns_glue_stop(st, fn, row, NS_GLUE_MERGED_INTERVAL);
  ns_glue_stop(NS_ERR_START_STOP, fn, NS_NO_ROW,
               "each interval must have start < stop, also once times that differ only by "
               "rounding error are merged (as survival's aeqSurv does)");
}

/* "<fn>(): `<arg>` must be [NULL or ]<kind>[ of length <n>]" */
static void NORET bad_vector(const char *fn, const char *arg, int optional, const char *kind,
                             R_xlen_t n)
{
  if (n >= 0)
    Rf_error("%s(): `%s` must be %s%s of length %ld", fn, arg, optional ? "NULL or " : "", kind,
             (long) n);
  Rf_error("%s(): `%s` must be %s%s", fn, arg, optional ? "NULL or " : "", kind);
}

const double *ns_arg_double(SEXP x, R_xlen_t n, int optional, const char *fn, const char *arg)
{
  if (optional && Rf_isNull(x)) return NULL;
  if (!Rf_isReal(x) || (n >= 0 && XLENGTH(x) != n))
    bad_vector(fn, arg, optional, "a double vector", n);
  return REAL_RO(x);
}

const int *ns_arg_int(SEXP x, R_xlen_t n, int optional, const char *fn, const char *arg)
{
  if (optional && Rf_isNull(x)) return NULL;
  if (!Rf_isInteger(x) || (n >= 0 && XLENGTH(x) != n))
    bad_vector(fn, arg, optional, "an integer vector", n);
  return INTEGER_RO(x);
}

int ns_arg_count(SEXP x, int min, const char *fn, const char *arg)
{
  int v = (Rf_isInteger(x) || Rf_isReal(x)) && XLENGTH(x) == 1 ? Rf_asInteger(x) : NA_INTEGER;
  if (v == NA_INTEGER || v < min) Rf_error("%s(): `%s` must be one whole number >= %d", fn, arg, min);
  return v;
}

double ns_arg_number(SEXP x, const char *fn, const char *arg)
{
  if (!Rf_isReal(x) || XLENGTH(x) != 1) Rf_error("%s(): `%s` must be one number", fn, arg);
  return REAL(x)[0];
}

int ns_arg_flag(SEXP x, const char *fn, const char *arg)
{
  int v = Rf_isLogical(x) && XLENGTH(x) == 1 ? LOGICAL(x)[0] : NA_LOGICAL;
  if (v == NA_LOGICAL) Rf_error("%s(): `%s` must be TRUE or FALSE", fn, arg);
  return v;
}

void ns_arg_rows(R_xlen_t n, const char *fn)
{
  if (n > INT_MAX) Rf_error("%s(): long vectors (more than %d rows) are not supported", fn, INT_MAX);
}

ns_glue_test_rows ns_arg_test_rows(SEXP time, SEXP status, SEXP group, SEXP stratum,
                                   SEXP n_stratum, const char *fn)
{
  ns_glue_test_rows r;
  r.time = ns_arg_double(time, -1, 0, fn, "time");
  R_xlen_t n = XLENGTH(time);
  r.n = (size_t) n;
  r.status = ns_arg_int(status, n, 0, fn, "status");
  r.group = ns_arg_int(group, n, 0, fn, "group");
  r.stratum = ns_arg_int(stratum, n, 1, fn, "stratum");
  r.n_stratum = ns_arg_count(n_stratum, 1, fn, "n_stratum");
  return r;
}

size_t ns_arg_permutations(SEXP B, const char *fn)
{
  if (!Rf_isReal(B) || XLENGTH(B) != 1 || !(REAL(B)[0] >= 1) || REAL(B)[0] > 4503599627370496.0)
    Rf_error("%s(): `B` must be one number >= 1", fn);
  return (size_t) REAL(B)[0];
}

unsigned long long ns_arg_seed(SEXP seed, const char *fn)
{
  double v = Rf_isReal(seed) && XLENGTH(seed) == 1 ? REAL(seed)[0] : NAN;
  if (!isfinite(v) || v != floor(v) || fabs(v) > 9007199254740992.0)
    Rf_error("%s(): `seed` must be one whole number", fn);
  return (unsigned long long) (int64_t) v;
}

SEXP ns_glue_permutation_result(const char *statistic_name, double statistic,
                                double p_value, double std_error, size_t n_perm,
                                int enumerated)
{
  const char *names[] = {statistic_name, "p.value", "std.error", "n", "enumerated", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SET_VECTOR_ELT(out, 0, Rf_ScalarReal(statistic));
  SET_VECTOR_ELT(out, 1, Rf_ScalarReal(p_value));
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal(std_error));
  SET_VECTOR_ELT(out, 3, Rf_ScalarReal((double) n_perm));
  SET_VECTOR_ELT(out, 4, Rf_ScalarLogical(enumerated));
  UNPROTECT(1);
  return out;
}
