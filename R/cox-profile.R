# cox-profile.R -- profile-likelihood confidence limits of Cox
# coefficients: confint(fit, method = "profile").
#
# For coefficient j the limits are the values b at which the likelihood
# ratio statistic 2 (l(beta_hat) - max_{others} l(b, others)) equals the
# chi-square(1) quantile of the level. Each profile point is a fit by the
# core with beta_j held fixed (the same constrained fit as Firth's
# intervals use, without the penalty); the roots are bracketed by steps of
# the Wald standard error and found by uniroot() to 1e-10.

cox_profile_ci <- function(object, parm, level) {
  d <- cox_model_data(object)
  coef <- object$coefficients
  p <- length(coef)
  se <- cox_se(object)
  beta <- ifelse(is.na(coef), 0, coef)
  q <- stats::qchisq(level, 1)
  lmax <- object$loglik[2L]
  control <- if (!is.null(object$call$control))
    tryCatch(eval(object$call$control, environment(object$terms)), error = function(e) NULL)
  if (!inherits(control, "netsurv_cox_control")) control <- cox_control()
  control$iter.max <- max(control$iter.max, 50L)
  ci <- matrix(NA_real_, length(parm), 2L)
  for (k in seq_along(parm)) {
    j <- match(parm[k], names(coef))
    if (is.na(coef[j])) next
    fixed <- seq_len(p) == j
    prof <- function(b) {
      init <- beta
      init[j] <- b
      fit <- cox_core(d$x, d$time, d$start, d$status, d$weights, object$offset, d$stratum,
                      NULL, NULL, 0L, object$method, init, control, FALSE, FALSE,
                      fixed = fixed)
      2 * (lmax - fit$loglik[2L]) - q
    }
    for (side in 1:2) {
      sgn <- if (side == 1L) -1 else 1
      step <- if (is.finite(se[j]) && se[j] > 0) se[j] else 1
      lo <- beta[j]
      hi <- beta[j] + sgn * step
      tries <- 0L
      while (prof(hi) < 0 && tries < 30L) {
        lo <- hi
        step <- 2 * step
        hi <- beta[j] + sgn * step
        tries <- tries + 1L
      }
      ci[k, side] <- if (tries >= 30L) sgn * Inf else
        stats::uniroot(prof, sort(c(lo, hi)), tol = 1e-10)$root
    }
  }
  ci
}
