/* r_surv.c -- the survival response of a model formula, built and taken
 * apart in one pass each (R/surv.R, R/frame.R).
 *
 * This is R-object work, not estimation, so it lives in the glue and not in
 * src/core: it reads R's own NA encodings (NA_integer_, NA_real_, logical NA)
 * and builds R attributes. At ten million rows, survival::Surv()'s ifelse(),
 * which() and cbind() temporaries and the column extractions that followed
 * were most of km()'s time; every n-sized block there is a fresh mmap() from
 * glibc (blocks >= 32 MiB), page-faulted on first touch, so each temporary
 * costs more per row at 1e7 than at 1e6.
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "glue.h"

/* One element of a plain integer, double or logical vector as a double, NA
 * of any of them as NA_real_. */
static double elt_double(SEXP x, const void *p, R_xlen_t i)
{
  if (TYPEOF(x) == REALSXP) return ((const double *) p)[i];
  int v = ((const int *) p)[i];
  return v == NA_INTEGER ? NA_REAL : (double) v;
}

/* A vector this file takes: integer or double (logical too when `logical`),
 * no attributes at all, length n. */
static int plain(SEXP x, R_xlen_t n, int logical)
{
  int type = TYPEOF(x);
  if (!(type == REALSXP || type == INTSXP || (logical && type == LGLSXP))) return 0;
  if (ATTRIB(x) != R_NilValue) return 0;
  return XLENGTH(x) == n;
}

/* ffi_surv_build(time, time2, event): survival::Surv(time, event) (time2
 * NULL) or survival::Surv(time, time2, event), the same object as survival
 * 3.5-3 builds (the same doubles, NA where Surv puts NA; dimnames, "type",
 * class), and the counts of Surv's two warnings:
 *   list(y, n_bad_interval, n_invalid_status).
 * NULL for input it does not take, which the caller hands to survival::Surv:
 * anything but plain (attribute-free) integer/double times and a plain
 * logical/integer/double status of the same length, no rows, or a numeric
 * status without a non-missing value (Surv's max() warns then).
 * Surv's rules: time - 0 (so integer NA becomes NA_real_); counting data:
 * start becomes NA where start >= stop; logical status as.numeric; numeric
 * status is 1/2 coded when its largest non-missing value is 2 (status - 1),
 * else taken as is, and any value then not 0 or 1 becomes NA (counted when it
 * was not missing). */
SEXP ffi_surv_build(SEXP time, SEXP time2, SEXP event)
{
  R_xlen_t n = XLENGTH(time);
  int counting = !Rf_isNull(time2);
  if (n == 0 || n > INT_MAX || !plain(time, n, 0) || (counting && !plain(time2, n, 0)) || !plain(event, n, 1))
    return R_NilValue;
  const void *pt = DATAPTR_RO(time), *pt2 = counting ? DATAPTR_RO(time2) : NULL;
  const void *pe = DATAPTR_RO(event);
  int logical = TYPEOF(event) == LGLSXP;

  /* Surv's 1/2 rule: max(event[!is.na(event)]) == 2. */
  int one_two = 0;
  if (!logical) {
    int any = 0;
    double max = R_NegInf;
    for (R_xlen_t i = 0; i < n; i++) {
      double e = elt_double(event, pe, i);
      if (ISNAN(e)) continue;
      if (!any || e > max) max = e;
      any = 1;
    }
    if (!any) return R_NilValue;
    one_two = max == 2;
  }

  int ncol = counting ? 3 : 2;
  SEXP y = PROTECT(Rf_allocMatrix(REALSXP, (int) n, ncol));
  double *col_time = REAL(y), *col_stop = counting ? col_time + n : NULL;
  double *col_status = col_time + (R_xlen_t) (ncol - 1) * n;
  R_xlen_t bad_interval = 0, invalid = 0;
  for (R_xlen_t i = 0; i < n; i++) {
    double t = elt_double(time, pt, i);
    if (counting) {
      double t2 = elt_double(time2, pt2, i);
      if (!ISNAN(t) && !ISNAN(t2) && t >= t2) {
        t = NA_REAL;
        bad_interval++;
      }
      col_stop[i] = t2 - 0.0;
    }
    col_time[i] = t - 0.0;
    double s;
    if (logical) {
      int v = ((const int *) pe)[i];
      s = v == NA_LOGICAL ? NA_REAL : (double) v;
    } else {
      double e = elt_double(event, pe, i);
      if (ISNAN(e)) {
        s = NA_REAL;
      } else {
        s = one_two ? e - 1.0 : e;
        if (!(s == 0 || s == 1)) {
          s = NA_REAL;
          invalid++;
        }
      }
    }
    col_status[i] = s;
  }

  SEXP dimnames = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP names = SET_VECTOR_ELT(dimnames, 1, Rf_allocVector(STRSXP, ncol));
  const char *right[] = {"time", "status"}, *count[] = {"start", "stop", "status"};
  for (int j = 0; j < ncol; j++)
    SET_STRING_ELT(names, j, Rf_mkChar(counting ? count[j] : right[j]));
  Rf_setAttrib(y, R_DimNamesSymbol, dimnames);
  Rf_setAttrib(y, Rf_install("type"), Rf_mkString(counting ? "counting" : "right"));
  Rf_setAttrib(y, R_ClassSymbol, Rf_mkString("Surv"));

  SEXP out = PROTECT(Rf_allocVector(VECSXP, 3));
  SET_VECTOR_ELT(out, 0, y);
  SET_VECTOR_ELT(out, 1, Rf_ScalarReal((double) bad_interval));
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal((double) invalid));
  UNPROTECT(3);
  return out;
}

/* ffi_surv_columns(y, counting): the columns the core needs from a Surv
 * matrix y (double, n x 2, or n x 3 when counting), without y[, j]'s and
 * as.integer()'s copies in R:
 *   list(time, status, start, bad_start, bad_interval, bad_time)
 * time and start double (start NULL unless counting), status integer (0/1, NA
 * for a missing status); bad_*: the 1-based first row whose start is not
 * finite, whose start >= stop, whose time is not finite (0: none), in the
 * order frame.R's checks name them. NULL when y is not such a matrix or a
 * status is neither 0, 1 nor missing (frame.R then takes the R route). */
SEXP ffi_surv_columns(SEXP y, SEXP counting)
{
  int is_counting = Rf_asLogical(counting) == TRUE;
  int ncol = is_counting ? 3 : 2;
  SEXP dim = Rf_getAttrib(y, R_DimSymbol);
  if (TYPEOF(y) != REALSXP || TYPEOF(dim) != INTSXP || XLENGTH(dim) != 2 ||
      INTEGER(dim)[1] != ncol)
    return R_NilValue;
  R_xlen_t n = INTEGER(dim)[0];
  const double *y0 = REAL_RO(y);
  const double *ys = y0 + (R_xlen_t) (ncol - 1) * n;
  for (R_xlen_t i = 0; i < n; i++)
    if (!(ISNAN(ys[i]) || ys[i] == 0 || ys[i] == 1)) return R_NilValue;

  SEXP out = PROTECT(Rf_allocVector(VECSXP, 6));
  SEXP time = SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, n));
  SEXP status = SET_VECTOR_ELT(out, 1, Rf_allocVector(INTSXP, n));
  const double *yt = is_counting ? y0 + n : y0;
  memcpy(REAL(time), yt, (size_t) n * sizeof(double));
  int *st = INTEGER(status);
  for (R_xlen_t i = 0; i < n; i++) st[i] = ISNAN(ys[i]) ? NA_INTEGER : (int) ys[i];
  double bad_start = 0, bad_interval = 0, bad_time = 0;
  if (is_counting) {
    SEXP start = SET_VECTOR_ELT(out, 2, Rf_allocVector(REALSXP, n));
    memcpy(REAL(start), y0, (size_t) n * sizeof(double));
    for (R_xlen_t i = 0; i < n && !(bad_start && bad_interval); i++) {
      if (!bad_start && !R_FINITE(y0[i])) bad_start = (double) (i + 1);
      if (!bad_interval && y0[i] >= yt[i]) bad_interval = (double) (i + 1);
    }
  }
  for (R_xlen_t i = 0; i < n; i++)
    if (!R_FINITE(yt[i])) {
      bad_time = (double) (i + 1);
      break;
    }
  SET_VECTOR_ELT(out, 3, Rf_ScalarReal(bad_start));
  SET_VECTOR_ELT(out, 4, Rf_ScalarReal(bad_interval));
  SET_VECTOR_ELT(out, 5, Rf_ScalarReal(bad_time));
  UNPROTECT(1);
  return out;
}
