# helper-netsurv.R -- the scaffolding every test file shares: survival's
# functions and data sets (bound here, so that no test file attaches survival:
# library(survival) in one file would mask netsurv's basehaz() in every file
# that runs after it), one definition of the tight fitting controls, one
# helper that fits the netsurv and survival models from one call, and one
# null-device helper for plotting code.

# --- survival, without attaching it -------------------------------------------
coxph <- survival::coxph
coxph.control <- survival::coxph.control
survdiff <- survival::survdiff
survfit <- survival::survfit
for (dataset in c("aml", "colon", "heart", "lung", "pbc", "transplant", "veteran"))
  eval(bquote(delayedAssign(.(dataset), getExportedValue("survival", .(dataset)))))
rm(dataset)

# --- tight controls -------------------------------------------------------------
# Both fits converged far below the tolerances the tests state, so that a
# difference is the estimator's, not the stopping rule's.
tight_coxph <- function(toler.chol = 1e-13)
  survival::coxph.control(eps = 1e-12, iter.max = 50, toler.chol = toler.chol)
tight_cox <- function() cox_control(eps = 1e-12, iter.max = 50)

# --- one call, both fits -------------------------------------------------------
# fit_both(Surv(time, status) ~ x, data, ties = "breslow"): the same call to
# cox() and to survival::coxph(), each with its tight control (unless the call
# gives `control`), evaluated in the caller's frame as if written there, so
# that the fits' calls (and what residuals() or predict() rebuild from them)
# are the user's. Returns list(netsurv =, survival =).
fit_both <- function(formula, data, ...) {
  call <- match.call()
  env <- parent.frame()
  ours <- theirs <- call
  ours[[1L]] <- quote(netsurv::cox)
  theirs[[1L]] <- quote(survival::coxph)
  if (is.null(call$control)) {
    ours$control <- quote(tight_cox())
    theirs$control <- quote(tight_coxph())
  }
  list(netsurv = eval(ours, env), survival = eval(theirs, env))
}

# --- plotting -------------------------------------------------------------------
# Runs plotting code on a null PDF device (nothing written), closed afterwards
# whatever happens; returns the code's value.
with_null_device <- function(code) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  force(code)
}
