/* init.c -- registration of the .Call entry points. Each concept keeps its
 * declarations and its table rows in its own block. */
#include <R_ext/Rdynload.h>

#include "glue.h"

/* sort (r_sort.c) */
SEXP ffi_sort_order(SEXP time, SEXP stratum);
SEXP ffi_time_fix(SEXP time, SEXP start, SEXP tolerance, SEXP fn);
SEXP ffi_rank_distinct(SEXP time, SEXP stratum);

/* Kaplan-Meier (r_km.c) */
SEXP ffi_km_fit(SEXP time, SEXP status, SEXP start, SEXP weight, SEXP stratum,
                SEXP n_strata, SEXP jackknife, SEXP tolerance);
SEXP ffi_km_fit_options(SEXP time, SEXP status, SEXP start, SEXP weight, SEXP stratum,
                        SEXP n_strata, SEXP jackknife, SEXP tolerance, SEXP options);
/* -- end of Kaplan-Meier declarations */

/* log-rank (r_logrank.c) */
SEXP ffi_logrank_test(SEXP time, SEXP status, SEXP group, SEXP stratum,
                      SEXP n_group, SEXP n_stratum, SEXP rho, SEXP gamma, SEXP time_fix);
SEXP ffi_logrank_permutation(SEXP time, SEXP status, SEXP group, SEXP stratum,
                             SEXP n_group, SEXP n_stratum, SEXP rho, SEXP gamma,
                             SEXP time_fix, SEXP B, SEXP seed, SEXP progress);
/* -- end of log-rank declarations */

/* Cox (r_cox.c) */
SEXP ffi_cox_fit(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                 SEXP offset, SEXP stratum, SEXP center, SEXP cluster,
                 SEXP n_cluster, SEXP control);
SEXP ffi_cox_concordance(SEXP time, SEXP start, SEXP status, SEXP weight,
                         SEXP stratum, SEXP score, SEXP cluster, SEXP n_cluster);
SEXP ffi_cox_threads(void);
/* -- end of Cox declarations */

/* Cox diagnostics (r_cox_resid.c) */
SEXP ffi_cox_hazard(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                    SEXP eta, SEXP stratum, SEXP ties);
SEXP ffi_cox_residuals(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                       SEXP eta, SEXP stratum, SEXP ties, SEXP want_score);
SEXP ffi_cox_zph(SEXP x, SEXP time, SEXP start, SEXP status, SEXP weight,
                 SEXP eta, SEXP stratum, SEXP ties, SEXP gtime, SEXP n_stratum);
SEXP ffi_cox_deviance(SEXP martingale, SEXP events, SEXP log_expected);
/* -- end of Cox-diagnostics declarations */

/* competing risks (r_cuminc.c, r_finegray.c) */
SEXP ffi_cuminc_fit(SEXP time, SEXP start, SEXP cause, SEXP n_cause, SEXP weight,
                    SEXP group, SEXP n_group, SEXP cluster, SEXP n_cluster,
                    SEXP gray, SEXP tolerance);
SEXP ffi_cuminc_gray_test(SEXP time, SEXP cause, SEXP n_cause, SEXP weight, SEXP group,
                          SEXP n_group, SEXP stratum, SEXP n_stratum, SEXP rho);
SEXP ffi_finegray_fit(SEXP x, SEXP time, SEXP status, SEXP weight, SEXP cengroup,
                      SEXP n_cengroup, SEXP iter_max, SEXP gtol, SEXP init);
/* -- end of competing-risks declarations */
/* trial reporting: MaxCombo permutation (r_maxcombo.c) */
SEXP ffi_logrank_maxcombo_permutation(SEXP time, SEXP status, SEXP group, SEXP stratum,
                                      SEXP n_stratum, SEXP rho, SEXP gamma, SEXP sides,
                                      SEXP B, SEXP seed);
/* -- end of trial-reporting declarations */
/* reconstructed individual data (r_ipd.c) */
SEXP ffi_ipd_reconstruct(SEXP time, SEXP surv, SEXP risk_time, SEXP n_risk,
                         SEXP total_events);
/* -- end of reconstructed-data declarations */
/* moments in, estimates out (r_moments.c) */
SEXP ffi_km_moments(SEXP mo);
SEXP ffi_logrank_moments(SEXP mo, SEXP rho, SEXP gamma);
SEXP ffi_cox_newton_start(SEXP p, SEXP ties, SEXP iter_max, SEXP eps, SEXP toler_chol,
                          SEXP toler_inf, SEXP init, SEXP scale);
SEXP ffi_cox_moments_step(SEXP state, SEXP mo);
SEXP ffi_cox_newton_result(SEXP state, SEXP p);
/* -- end of moments declarations */
/* concordance with the Cox-model variance (r_concordance.c) */
SEXP ffi_cox_concordance_cvar(SEXP time, SEXP start, SEXP status, SEXP weight,
                              SEXP stratum, SEXP score, SEXP cluster, SEXP n_cluster);
/* -- end of concordance declarations */
/* the survival response (r_surv.c) */
SEXP ffi_surv_build(SEXP time, SEXP time2, SEXP event);
SEXP ffi_surv_columns(SEXP y, SEXP counting);
/* -- end of survival-response declarations */

static const R_CallMethodDef call_methods[] = {
  /* sort */
  {"ffi_sort_order", (DL_FUNC) &ffi_sort_order, 2},
  {"ffi_time_fix", (DL_FUNC) &ffi_time_fix, 4},
  {"ffi_rank_distinct", (DL_FUNC) &ffi_rank_distinct, 2},
  /* Kaplan-Meier */
  {"ffi_km_fit", (DL_FUNC) &ffi_km_fit, 8},
  {"ffi_km_fit_options", (DL_FUNC) &ffi_km_fit_options, 9},
  /* -- end of Kaplan-Meier rows */

  /* log-rank */
  {"ffi_logrank_test", (DL_FUNC) &ffi_logrank_test, 9},
  {"ffi_logrank_permutation", (DL_FUNC) &ffi_logrank_permutation, 12},
  /* -- end of log-rank rows */

  /* Cox */
  {"ffi_cox_fit", (DL_FUNC) &ffi_cox_fit, 11},
  {"ffi_cox_concordance", (DL_FUNC) &ffi_cox_concordance, 8},
  {"ffi_cox_threads", (DL_FUNC) &ffi_cox_threads, 0},
  /* -- end of Cox rows */

  /* Cox diagnostics */
  {"ffi_cox_hazard", (DL_FUNC) &ffi_cox_hazard, 8},
  {"ffi_cox_residuals", (DL_FUNC) &ffi_cox_residuals, 9},
  {"ffi_cox_zph", (DL_FUNC) &ffi_cox_zph, 10},
  {"ffi_cox_deviance", (DL_FUNC) &ffi_cox_deviance, 3},
  /* -- end of Cox-diagnostics rows */

  /* competing risks */
  {"ffi_cuminc_fit", (DL_FUNC) &ffi_cuminc_fit, 11},
  {"ffi_cuminc_gray_test", (DL_FUNC) &ffi_cuminc_gray_test, 9},
  {"ffi_finegray_fit", (DL_FUNC) &ffi_finegray_fit, 9},
  /* -- end of competing-risks rows */
  /* trial reporting */
  {"ffi_logrank_maxcombo_permutation", (DL_FUNC) &ffi_logrank_maxcombo_permutation, 10},
  /* -- end of trial-reporting rows */
  /* reconstructed individual data */
  {"ffi_ipd_reconstruct", (DL_FUNC) &ffi_ipd_reconstruct, 5},
  /* -- end of reconstructed-data rows */
  /* moments */
  {"ffi_km_moments", (DL_FUNC) &ffi_km_moments, 1},
  {"ffi_logrank_moments", (DL_FUNC) &ffi_logrank_moments, 3},
  {"ffi_cox_newton_start", (DL_FUNC) &ffi_cox_newton_start, 8},
  {"ffi_cox_moments_step", (DL_FUNC) &ffi_cox_moments_step, 2},
  {"ffi_cox_newton_result", (DL_FUNC) &ffi_cox_newton_result, 2},
  /* -- end of moments rows */
  /* concordance */
  {"ffi_cox_concordance_cvar", (DL_FUNC) &ffi_cox_concordance_cvar, 8},
  /* -- end of concordance rows */
  /* the survival response */
  {"ffi_surv_build", (DL_FUNC) &ffi_surv_build, 3},
  {"ffi_surv_columns", (DL_FUNC) &ffi_surv_columns, 2},
  /* -- end of survival-response rows */

  {NULL, NULL, 0}
};

void R_init_netsurv(DllInfo *dll)
{
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
