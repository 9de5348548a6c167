# cox-concordance.R -- Harrell's concordance of a cox() fit
# (src/core/concordance.c), computed when it is first asked for.
#
# At a million rows the concordance costs about as much as the whole fit, and
# most fits never show it (anova refits, profiles, simulations). cox() stores
# a promise instead: a small environment holding the columns it needs (the
# fit's own vectors, shared, not copied), and fit$concordance (through the
# `$` and `[[` methods below) computes the value on first access and keeps it,
# so every later access -- print, summary, glance -- sees the same numbers.

# The promise: the core's inputs, and the value once computed.
lazy_concordance <- function(time, start, status, weights, stratum, lp, cluster, n_cluster) {
  env <- new.env(parent = emptyenv())
  env$args <- list(time = time, start = start, status = status, weights = weights,
                   stratum = stratum, lp = as.double(lp), cluster = cluster,
                   n_cluster = as.integer(n_cluster))
  env$value <- NULL
  class(env) <- "netsurv_lazy"
  env
}

# The value of a promise: c(concordant, discordant, tied.x, tied.y, tied.xy,
# concordance, std), as coxph's $concordance. The variance under the Cox
# model (survival's concordance()$cvar), computed in the same sweep, is kept
# beside it in the promise (x$cvar; see cox_concordance_cvar()).
force_lazy <- function(x) {
  if (is.null(x$value)) {
    a <- x$args
    conc <- .Call(ffi_cox_concordance_cvar, a$time, a$start, a$status, a$weights, a$stratum,
                  a$lp, a$cluster, a$n_cluster)
    x$cvar <- conc$cvar
    x$value <- c(stats::setNames(conc$count, c("concordant", "discordant", "tied.x",
                                               "tied.y", "tied.xy")),
                 concordance = conc$concordance, std = conc$std)
    x$args <- NULL
  }
  x$value
}

# survival's concordance()$cvar of a cox() fit: the variance of the
# concordance under the Cox model. NA when the fit holds no promise (a fit
# made from a database table's aggregates).
cox_concordance_cvar <- function(fit) {
  z <- .subset2(fit, "concordance")
  if (!inherits(z, "netsurv_lazy")) return(NA_real_)
  force_lazy(z)
  if (is.null(z$cvar)) NA_real_ else z$cvar
}

#' @export
print.netsurv_lazy <- function(x, ...) {
  print(force_lazy(x), ...)
  invisible(x)
}

#' Extract a field of a Cox fit
#'
#' `fit$concordance` is computed on first access (see [cox()]); every other
#' field is returned as stored.
#' @param x a fit from [cox()].
#' @param name,i the field.
#' @param exact as for [base::`[[`()].
#' @param ... unused.
#' @return The field's value.
#' @keywords internal
#' @export
`$.netsurv_cox` <- function(x, name) {
  value <- .subset2(x, name, exact = FALSE)
  if (inherits(value, "netsurv_lazy")) force_lazy(value) else value
}

#' @rdname cash-.netsurv_cox
#' @export
`[[.netsurv_cox` <- function(x, i, ..., exact = TRUE) {
  if (...length()) stop("`[[` on a cox() fit takes one index", call. = FALSE)
  value <- .subset2(x, i, exact = exact)
  if (inherits(value, "netsurv_lazy")) force_lazy(value) else value
}
