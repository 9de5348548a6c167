/*
 * glue.h -- what every src/r_*.c file shares: R headers and the one way a
 * core status becomes an R error (only after the core has returned, so R never
 * longjmps through core frames).
 */
#ifndef NETSURV_GLUE_H
#define NETSURV_GLUE_H

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include "netsurv.h"

/* Raise the core's message as an R error, naming the R-level function. */
#define NS_STOP_ON_STATUS(status, what)                                         \
  do {                                                                          \
    ns_status status_ = (status);                                               \
    if (status_ != NS_OK) Rf_error("%s: %s", (what), ns_status_message(status_)); \
  } while (0)

/* Argument checks of the .Call entry points, one message template,
 *   "<fn>: `<arg>` must be [NULL or ]a double vector[ of length <n>]",
 * fn naming the R function the entry point serves (km, logrank, cox, ...).
 * These arguments come from netsurv's own R code, which has checked the
 * user's input already; a failure here is a bug in that code. n < 0 allows
 * any length; optional allows NULL (and then returns NULL). */
const double *ns_arg_double(SEXP x, R_xlen_t n, int optional, const char *fn, const char *arg);
const int *ns_arg_int(SEXP x, R_xlen_t n, int optional, const char *fn, const char *arg);
int ns_arg_count(SEXP x, int min, const char *fn, const char *arg); /* one whole number >= min */
double ns_arg_number(SEXP x, const char *fn, const char *arg);      /* one double */
int ns_arg_flag(SEXP x, const char *fn, const char *arg);           /* TRUE or FALSE */

/* Interrupt callback for core loops: R_CheckUserInterrupt longjmps, so it is
 * run inside R_ToplevelExec and only its outcome travels to the core. */
int ns_glue_interrupted(void *context, double fraction_done);

#endif
