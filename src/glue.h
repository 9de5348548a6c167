/*
 * glue.h -- what every src/r_*.c file shares: R headers and the one way a
 * core status becomes an R error (only after the core has returned, so R never
 * longjmps through core frames).
 *
 * Every error of the glue is labelled with the user-facing R function the
 * entry point serves, "<fn>(): ..." (fn = "km", "cox", "logrank", ...), never
 * with an internal name.
 */
#ifndef NETSURV_GLUE_H
#define NETSURV_GLUE_H

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include "netsurv.h"

/* The message of an interval whose ends merge once fuzz-tied times are (as
 * survival's aeqSurv merges them). */
#define NS_GLUE_MERGED_INTERVAL                                                 \
  "its interval has start < stop only by rounding error: once times that "     \
  "differ by rounding error are merged (as survival's aeqSurv does) start "    \
  "equals stop; each interval needs start < stop"

/* No row: the core's error is not about one row. */
#define NS_NO_ROW ((size_t) -1)

/* Raise a core status as an R error: "<fn>(): <the status's message>". When
 * the core named the row at fault (row, 0-based, != NS_NO_ROW) the error is a
 * condition of class "netsurv_row_error" with that row (1-based, among the
 * rows passed in) in its field `row`, so that the R caller can name the row of
 * the user's data (with_data_rows(), R/frame.R); its message reads
 * "<fn>(): row <row>: <detail or the status's message>". detail may be NULL. */
void NORET ns_glue_stop(ns_status status, const char *fn, size_t row, const char *detail);

/* After a core fit that merges fuzz-tied times itself (km, cuminc) returned
 * NS_ERR_START_STOP: the error about the first row whose interval collapsed
 * (found by ns_time_fix), else about the rows as a whole. */
void NORET ns_glue_stop_merged(const char *fn, size_t n, const double *time,
                               const double *start, double tolerance);

#define NS_STOP_ON_STATUS(status, fn)                                           \
  do {                                                                          \
    ns_status status_ = (status);                                               \
    if (status_ != NS_OK) ns_glue_stop(status_, (fn), NS_NO_ROW, NULL);         \
  } while (0)

/* Argument checks of the .Call entry points, one message template,
 *   "<fn>(): `<arg>` must be [NULL or ]a double vector[ of length <n>]",
 * fn naming the R function the entry point serves (km, logrank, cox, ...).
 * These arguments come from netsurv's own R code, which has checked the
 * user's input already; a failure here is a bug in that code. n < 0 allows
 * any length; optional allows NULL (and then returns NULL). */
const double *ns_arg_double(SEXP x, R_xlen_t n, int optional, const char *fn, const char *arg);
const int *ns_arg_int(SEXP x, R_xlen_t n, int optional, const char *fn, const char *arg);
int ns_arg_count(SEXP x, int min, const char *fn, const char *arg); /* one whole number >= min */
double ns_arg_number(SEXP x, const char *fn, const char *arg);      /* one double */
int ns_arg_flag(SEXP x, const char *fn, const char *arg);           /* TRUE or FALSE */
/* The core's row indices are ints: more rows than INT_MAX is an error. */
void ns_arg_rows(R_xlen_t n, const char *fn);

/* The columns of a two-sample test by permutation or weighted log-rank:
 * time (double), status, group (integer, as long as time), stratum (NULL or
 * integer, as long as time) and n_stratum (one whole number >= 1). */
typedef struct {
  size_t n;
  const double *time;
  const int *status, *group, *stratum; /* stratum NULL: one stratum */
  int n_stratum;
} ns_glue_test_rows;
ns_glue_test_rows ns_arg_test_rows(SEXP time, SEXP status, SEXP group, SEXP stratum,
                                   SEXP n_stratum, const char *fn);
/* A permutation test's B (one number >= 1, at most 2^52) and seed (a whole
 * number stored in a double, |seed| <= 2^53). */
size_t ns_arg_permutations(SEXP B, const char *fn);
unsigned long long ns_arg_seed(SEXP seed, const char *fn);
/* A permutation test's answer: list(<statistic_name> = statistic, p.value,
 * std.error, n (permutations drawn), enumerated (all of them, exactly)). */
SEXP ns_glue_permutation_result(const char *statistic_name, double statistic,
                                double p_value, double std_error, size_t n_perm,
                                int enumerated);

/* Interrupt callback for core loops: R_CheckUserInterrupt longjmps, so it is
 * run inside R_ToplevelExec and only its outcome travels to the core. */
int ns_glue_interrupted(void *context, double fraction_done);

#endif
