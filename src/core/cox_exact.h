/*
 * cox_exact.h -- private to the Cox fit: the exact partial likelihood
 * (cox_exact.c), evaluated in place of the Breslow/Efron terms when
 * control->ties is NS_COX_EXACT. The hook is one line in cox_eval (cox.c).
 */
#ifndef NETSURV_COX_EXACT_H
#define NETSURV_COX_EXACT_H

#include "cox_work.h"

/* Largest number of tied events at one time of one stratum the exact
 * likelihood accepts: each tied time costs (rows at risk) x (tie size)
 * x (p^2 / 2) operations. */
#define NS_COX_EXACT_MAX_TIE 500

/* Largest work of one evaluation, in (row, level) visits times the
 * (1 + p + p (p + 1) / 2) numbers each visit updates: a few seconds. */
#define NS_COX_EXACT_MAX_WORK 4e9

/* Largest memory of the recursion's levels, in doubles: (largest tie + 1)
 * x (1 + p + p^2), 800 MB. */
#define NS_COX_EXACT_MAX_LEVELS 1e8

/*
 * cox_exact_eval: the exact (discrete, conditional-logistic) log partial
 * likelihood, its score u and information imat (p x p, full; NULL to skip)
 * at gamma in the fit's scaled coordinates, for the model set up in wk.
 * Same contract as cox_eval, which calls it when wk->exact is set; it first
 * runs the Breslow evaluation (wk->exact cleared for the call), so the
 * linear predictors, risk scores and Breslow hazards that the martingale
 * residuals read are those of gamma -- as survival, whose exact fits report
 * Breslow-type martingale residuals (coxmart2 / agmart).
 * Returns NS_ERR_ARGUMENT for case weights or resid != 0 (survival has
 * neither for exact fits: weights are refused by coxexact.fit and the score
 * residuals by residuals.coxph), NS_ERR_TOO_LARGE past the limits above,
 * NS_ERR_NONFINITE when a risk set's sum underflows or overflows,
 * NS_ERR_INTERRUPTED when wk->callback asks to stop, NS_ERR_NOMEM.
 */
ns_status cox_exact_eval(cox_work *wk, const double *gamma, double *loglik,
                         double *u, double *imat, int resid);

#endif /* NETSURV_COX_EXACT_H */
