# cox-idioms.R -- the generics survival users call on a coxph fit, for cox()
# fits: model.matrix(), extractAIC() (hence drop1() and step()), and
# concordance(). Each returns what its survival/stats counterpart returns
# for the same model.

#' Design matrix, AIC and concordance of a Cox fit
#'
#' `terms()` gives the model's terms without a `cluster()` term (as coxph
#' keeps them), which is what [stats::drop1()] and [stats::step()] offer to
#' drop. `model.matrix()` returns the covariate matrix of a [cox()] fit (the
#' columns of the coefficients, without intercept, strata or cluster terms,
#' with `assign` and `contrasts` attributes), rebuilt from the data when the
#' fit was made without `x = TRUE`. `extractAIC()` returns the equivalent
#' degrees of freedom (the number of estimated coefficients) and
#' \eqn{-2 \log L + k\,\mathrm{edf}}, as for coxph, so that [stats::drop1()]
#' and [stats::step()] work on `cox()` fits. `concordance()` returns the
#' fit's concordance (Harrell's C with its infinitesimal-jackknife variance)
#' as an object of class `"concordance"`, printed by survival's method.
#'
#' @section Differences from survival:
#' * `concordance()` takes one fit and no further arguments (`newdata`,
#'   `timewt`, `ymax`, `influence`, `ranks` and the comparison of several
#'   models are not available: an error names them). Its `var` is the
#'   infinitesimal-jackknife variance and `cvar` the variance under the Cox
#'   model, both as survival's.
#' * `model.matrix()` has no `data` argument (an error names it).
#'
#' @param object,fit A fit from [cox()].
#' @param scale Unused (part of the generic; must be left at 0).
#' @param k The penalty per degree of freedom (2 for AIC).
#' @param ... Nothing: any further argument is an error that names it.
#' @return `model.matrix()`: a numeric matrix. `extractAIC()`: a vector
#'   `c(edf, AIC)`. `concordance()`: a list of class `"concordance"` with
#'   `concordance`, `count` (concordant, discordant, tied.x, tied.y,
#'   tied.xy), `n`, `var`, `cvar` and `call`.
#' @examples
#' # drop1() and step() refit on the same rows: no missing values
#' lung <- na.omit(survival::lung[, c("time", "status", "age", "sex", "ph.ecog")])
#' fit <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
#' head(model.matrix(fit))
#' extractAIC(fit)
#' drop1(fit)
#' concordance(fit)
#' @name cox_idioms
NULL

#' @rdname cox_idioms
#' @importFrom stats model.matrix
#' @export
model.matrix.netsurv_cox <- function(object, ...) {
  check_unused("model.matrix() of a cox() fit", ...,
               hints = c(data = "model.matrix() rebuilds the fit's own data only"))
  X <- object[["x"]]
  if (is.null(X)) {
    fr <- cox_model_frame(object)
    terms <- cox_x_terms(object$terms)
    X <- stats::model.matrix(terms, fr$mf, contrasts.arg = object$contrasts)
    asgn <- attr(X, "assign")
    keep <- colnames(X) %in% names(object$coefficients)
    contrasts <- attr(X, "contrasts")
    X <- X[, keep, drop = FALSE]
    # assign numbers the terms of the design (strata and cluster terms
    # removed), as coxph's does
    attr(X, "assign") <- asgn[keep]
    attr(X, "contrasts") <- contrasts
  }
  X
}

#' @rdname cox_idioms
#' @param x A fit from [cox()] (`terms()`).
#' @importFrom stats terms
#' @export
terms.netsurv_cox <- function(x, ...) {
  check_unused("terms() of a cox() fit", ...)
  # As coxph moves a cluster() term out of its terms (into `cluster =`), the
  # terms seen by drop1(), step() and add1() have no cluster term: it is a
  # variance choice, not a covariate to drop.
  tt <- x$terms
  cl <- survival::untangle.specials(tt, "cluster", 1)$terms
  if (!length(cl)) return(tt)
  out <- tt[-cl]
  attr(out, "specials") <- attr(stats::terms(stats::formula(out),
                                             specials = c("strata", "cluster")), "specials")
  out
}

#' @rdname cox_idioms
#' @importFrom stats extractAIC
#' @export
extractAIC.netsurv_cox <- function(fit, scale = 0, k = 2, ...) {
  check_unused("extractAIC() of a cox() fit", ...)
  if (!identical(scale, 0) && !missing(scale))
    stop("`scale` is not used for Cox models; leave it at 0", call. = FALSE)
  edf <- sum(!is.na(fit$coefficients))
  c(edf, -2 * fit$loglik[length(fit$loglik)] + k * edf)
}

#' @rdname cox_idioms
#' @rawNamespace S3method(concordance, netsurv_cox)
concordance.netsurv_cox <- function(object, ...) {
  check_unused("concordance() of a cox() fit", ...,
               hints = c(newdata = "concordance() reports the fit's own data only",
                         timewt = "only the default time weight (Harrell's C) is available",
                         influence = "influence values are not available"))
  cc <- object$concordance
  out <- list(concordance = unname(cc["concordance"]),
              count = cc[c("concordant", "discordant", "tied.x", "tied.y", "tied.xy")],
              n = as.integer(object$n), var = unname(cc["std"])^2,
              cvar = cox_concordance_cvar(object),
              call = match.call())
  class(out) <- "concordance"
  out
}

# Re-exported so that concordance(fit) works with only netsurv attached.
#' @importFrom survival concordance
#' @export
survival::concordance
