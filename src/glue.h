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

/* Interrupt callback for core loops: R_CheckUserInterrupt longjmps, so it is
 * run inside R_ToplevelExec and only its outcome travels to the core. */
int ns_glue_interrupted(void *context, double fraction_done);

#endif
