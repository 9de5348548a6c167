# ---------------------------------------------------------------------------
# TEMPORARY STAND-IN for km() -- DELETE THIS FILE WHEN BRANCH km-fit IS MERGED.
#
# The methods in R/km-methods.R, R/plot-km.R and R/tidy.R were written on a
# branch (km-methods) that does not have the real km() yet. Until it is merged,
# this helper defines km() as survival::survfit() with netsurv's classes, per the
# contract between the two branches: the same arguments, and a list with exactly
# survfit's fields, class c("netsurv_km", "netsurv_curve"), `call` = the km()
# call. The tests in test-km-methods.R and test-plot-km.R call km() and must
# pass unchanged against the real km().
#
# It only takes effect while the installed netsurv has no km() of its own, so a
# forgotten copy cannot mask the real estimator.
# ---------------------------------------------------------------------------
if (!exists("km", envir = asNamespace("netsurv"), inherits = FALSE)) {
  km <- function(formula, data, weights, subset, na.action, conf.int = 0.95,
                 conf.type = c("log", "log-log", "plain", "logit", "arcsin", "none")) {
    cl <- match.call()
    # Re-issue the user's call as a survfit() call in the caller's frame, so
    # that weights/subset/na.action columns are found exactly as survfit finds them.
    sf_call <- cl
    sf_call[[1L]] <- quote(survival::survfit)
    sf <- eval(sf_call, parent.frame())
    out <- unclass(sf)
    out$call <- cl
    class(out) <- c("netsurv_km", "netsurv_curve")
    out
  }
}
