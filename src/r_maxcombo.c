/* r_maxcombo.c -- glue for the MaxCombo permutation p-value
 * (ns_logrank_maxcombo_permutation in src/core/logrank.c). The asymptotic
 * MaxCombo test needs no glue of its own: it calls ffi_logrank_test. */
#include <stdint.h>

#include "glue.h"

/* ffi_logrank_maxcombo_permutation(time, status, group, stratum, n_stratum,
 * rho, gamma, sides, B, seed): list(statistic, p.value, std.error, n,
 * enumerated). group codes 0/1; stratum 0-based codes or NULL. */
SEXP ffi_logrank_maxcombo_permutation(SEXP time, SEXP status, SEXP group, SEXP stratum,
                                      SEXP n_stratum, SEXP rho, SEXP gamma, SEXP sides,
                                      SEXP B, SEXP seed)
{
  ns_glue_test_rows r = ns_arg_test_rows(time, status, group, stratum, n_stratum, "maxcombo");
  const double *rho_p = ns_arg_double(rho, -1, 0, "maxcombo", "rho");
  const double *gamma_p = ns_arg_double(gamma, XLENGTH(rho), 0, "maxcombo", "gamma");
  if (XLENGTH(rho) < 1 || XLENGTH(rho) > INT32_MAX)
    Rf_error("maxcombo(): `rho` and `gamma` must hold at least one weight");
  if (!Rf_isInteger(sides) || XLENGTH(sides) != 1)
    Rf_error("maxcombo(): `sides` must be one integer");
  size_t n_resample = ns_arg_permutations(B, "maxcombo");
  unsigned long long seed_value = ns_arg_seed(seed, "maxcombo");

  double statistic = 0, p_value = 0, std_error = 0;
  size_t n_perm = 0;
  int enumerated = 0;
  ns_status rc = ns_logrank_maxcombo_permutation(
    r.n, r.time, r.status, r.group, r.stratum, r.n_stratum, (int) XLENGTH(rho), rho_p,
    gamma_p, INTEGER(sides)[0], n_resample, seed_value, ns_glue_interrupted, NULL,
    &statistic, &p_value, &std_error, &n_perm, &enumerated);
  NS_STOP_ON_STATUS(rc, "maxcombo");

  return ns_glue_permutation_result("statistic", statistic, p_value, std_error, n_perm, enumerated);
}
