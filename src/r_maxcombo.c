/* r_maxcombo.c -- glue for the MaxCombo permutation p-value
 * (ns_logrank_maxcombo_permutation in src/core/logrank.c). The asymptotic
 * MaxCombo test needs no glue of its own: it calls ffi_logrank_test. */
#include <math.h>
#include <stdint.h>

#include "glue.h"

/* ffi_logrank_maxcombo_permutation(time, status, group, stratum, n_stratum,
 * rho, gamma, sides, B, seed): list(statistic, p.value, std.error, n,
 * enumerated). group codes 0/1; stratum 0-based codes or NULL. */
SEXP ffi_logrank_maxcombo_permutation(SEXP time, SEXP status, SEXP group, SEXP stratum,
                                      SEXP n_stratum, SEXP rho, SEXP gamma, SEXP sides,
                                      SEXP B, SEXP seed)
{
  if (!Rf_isReal(time)) Rf_error("`time` must be a double vector");
  R_xlen_t n = XLENGTH(time);
  if (!Rf_isInteger(status) || XLENGTH(status) != n)
    Rf_error("`status` must be an integer vector as long as `time`");
  if (!Rf_isInteger(group) || XLENGTH(group) != n)
    Rf_error("`group` must be an integer vector as long as `time`");
  if (!Rf_isNull(stratum) && (!Rf_isInteger(stratum) || XLENGTH(stratum) != n))
    Rf_error("`stratum` must be NULL or an integer vector as long as `time`");
  if (!Rf_isInteger(n_stratum) || XLENGTH(n_stratum) != 1 || INTEGER(n_stratum)[0] < 1)
    Rf_error("`n_stratum` must be one positive integer");
  if (!Rf_isReal(rho) || !Rf_isReal(gamma) || XLENGTH(rho) != XLENGTH(gamma) ||
      XLENGTH(rho) < 1 || XLENGTH(rho) > INT32_MAX)
    Rf_error("`rho` and `gamma` must be double vectors of one length >= 1");
  if (!Rf_isInteger(sides) || XLENGTH(sides) != 1)
    Rf_error("`sides` must be one integer");
  if (!Rf_isReal(B) || XLENGTH(B) != 1 || !(REAL(B)[0] >= 1) || REAL(B)[0] > 4503599627370496.0)
    Rf_error("`B` must be one number >= 1");
  double seed_value = Rf_isReal(seed) && XLENGTH(seed) == 1 ? REAL(seed)[0] : NAN;
  if (!isfinite(seed_value) || seed_value != floor(seed_value) ||
      fabs(seed_value) > 9007199254740992.0)
    Rf_error("`seed` must be one whole number");

  double statistic = 0, p_value = 0, std_error = 0;
  size_t n_perm = 0;
  int enumerated = 0;
  ns_status rc = ns_logrank_maxcombo_permutation(
    (size_t) n, REAL_RO(time), INTEGER_RO(status), INTEGER_RO(group),
    Rf_isNull(stratum) ? NULL : INTEGER_RO(stratum), INTEGER(n_stratum)[0],
    (int) XLENGTH(rho), REAL_RO(rho), REAL_RO(gamma), INTEGER(sides)[0],
    (size_t) REAL(B)[0], (unsigned long long) (int64_t) seed_value, ns_glue_interrupted, NULL,
    &statistic, &p_value, &std_error, &n_perm, &enumerated);
  NS_STOP_ON_STATUS(rc, "maxcombo permutation");

  SEXP out = PROTECT(Rf_allocVector(VECSXP, 5));
  SET_VECTOR_ELT(out, 0, Rf_ScalarReal(statistic));
  SET_VECTOR_ELT(out, 1, Rf_ScalarReal(p_value));
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal(std_error));
  SET_VECTOR_ELT(out, 3, Rf_ScalarReal((double) n_perm));
  SET_VECTOR_ELT(out, 4, Rf_ScalarLogical(enumerated));
  SEXP names = PROTECT(Rf_allocVector(STRSXP, 5));
  const char *labels[] = {"statistic", "p.value", "std.error", "n", "enumerated"};
  for (int i = 0; i < 5; i++) SET_STRING_ELT(names, i, Rf_mkChar(labels[i]));
  Rf_setAttrib(out, R_NamesSymbol, names);
  UNPROTECT(2);
  return out;
}
