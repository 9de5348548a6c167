# cox-exact.R -- what cox(ties = "exact") refuses, and why. The exact partial
# likelihood itself is src/core/cox_exact.c (called from the Newton fit in
# cox.c); everything downstream of the fit works as for a Breslow fit, as in
# survival, except what survival refuses for exact fits too.

# The largest tie the core accepts (NS_COX_EXACT_MAX_TIE in cox_exact.h).
cox_exact_max_tie <- 500L

# Checks of cox(ties = "exact") before the fit; returns the weights to use
# (NULL when every weight is 1, which is no weighting).
cox_exact_check <- function(weights, robust, cluster, id, time, status, stratum, strata,
                            rows) {
  if (!is.null(weights)) {
    bad <- which(weights != 1)
    if (length(bad))
      stop("`weights`: case weights are not supported with `ties = \"exact\"` (the weight in ",
           "row ", rows[bad[1L]], " is ", format(weights[bad[1L]]), "; coxph refuses them ",
           "too); use ties = \"efron\" or \"breslow\"", call. = FALSE)
    weights <- NULL
  }
  if (robust) {
    what <- if (!is.null(cluster) && !is.null(id)) "`id` with a subject that has several events"
            else if (!is.null(cluster)) "a cluster" else "`robust = TRUE`"
    stop("`ties = \"exact\"` has no robust variance (its score residuals are not defined; ",
         "coxph refuses it too), so ", what, " cannot be used with it; ",
         "use ties = \"efron\" or \"breslow\"", call. = FALSE)
  }
  ev <- status == 1L
  key <- if (is.null(stratum)) list(time[ev]) else list(stratum[ev], time[ev])
  sizes <- stats::aggregate(list(n = rep(1L, sum(ev))), key, length)
  big <- which.max(sizes$n)
  if (length(big) && sizes$n[big] > cox_exact_max_tie) {
    where <- if (is.null(stratum)) "" else
      paste0(" in stratum ", levels(strata)[sizes[big, 1L] + 1L])
    stop("`ties = \"exact\"`: ", sizes$n[big], " events are tied at time ",
         format(sizes[big, ncol(sizes) - 1L]), where, "; netsurv computes the exact ",
         "partial likelihood for ties of at most ", cox_exact_max_tie, " events ",
         "(its cost grows with rows at risk x tie size); use ties = \"efron\"",
         call. = FALSE)
  }
  weights
}

# The core refused the work of one evaluation (NS_COX_EXACT_MAX_WORK).
cox_exact_too_large <- function(p) {
  stop("`ties = \"exact\"`: one Newton step of the exact partial likelihood would take ",
       "more than 4e9 operations here (rows at risk x tie size x ", p, " covariates squared, ",
       "summed over the tied times); use ties = \"efron\", which is close to exact unless ",
       "ties are heavy", call. = FALSE)
}

# Diagnostics that survival does not define for exact fits (residuals.coxph
# refuses the score-residual family).
cox_exact_refuse <- function(fit, what) {
  if (identical(fit$method, "exact"))
    stop(what, " are not available for a fit with `ties = \"exact\"`: score, Schoenfeld and ",
         "dfbeta residuals are not defined for the exact partial likelihood (coxph refuses ",
         "them too); refit with ties = \"efron\" or \"breslow\"", call. = FALSE)
  invisible()
}
