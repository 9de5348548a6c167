/* glue.c -- helpers shared by the .Call glue: the interrupt callback and the
 * argument checks, with one message template. */
#include <R_ext/Utils.h>

#include "glue.h"

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

/* "<fn>: `<arg>` must be [NULL or ]<kind>[ of length <n>]" */
static void NORET bad_vector(const char *fn, const char *arg, int optional, const char *kind,
                             R_xlen_t n)
{
  if (n >= 0)
    Rf_error("%s: `%s` must be %s%s of length %ld", fn, arg, optional ? "NULL or " : "", kind,
             (long) n);
  Rf_error("%s: `%s` must be %s%s", fn, arg, optional ? "NULL or " : "", kind);
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
  if (v == NA_INTEGER || v < min) Rf_error("%s: `%s` must be one whole number >= %d", fn, arg, min);
  return v;
}

double ns_arg_number(SEXP x, const char *fn, const char *arg)
{
  if (!Rf_isReal(x) || XLENGTH(x) != 1) Rf_error("%s: `%s` must be one number", fn, arg);
  return REAL(x)[0];
}

int ns_arg_flag(SEXP x, const char *fn, const char *arg)
{
  int v = Rf_isLogical(x) && XLENGTH(x) == 1 ? LOGICAL(x)[0] : NA_LOGICAL;
  if (v == NA_LOGICAL) Rf_error("%s: `%s` must be TRUE or FALSE", fn, arg);
  return v;
}
