# cox-residuals.R -- residuals of a fitted cox() model, as survival's
# residuals.coxph (src/core/cox_resid.c computes them).

# ---- residuals --------------------------------------------------------------

#' Residuals of a Cox model
#'
#' The residuals of [survival::residuals.coxph()], with the same values,
#' shapes and names, for right-censored and `(start, stop]` fits, with
#' strata, Breslow or Efron ties. Computed in the C core in one sweep over
#' the sorted data.
#'
#' * `"martingale"`: observed minus expected events, one per row.
#' * `"deviance"`: the martingale residual made symmetric,
#'   `sign(m) sqrt(-2 (m + d log(d - m)))`.
#' * `"score"`: each row's contribution to the score vector (n x p).
#' * `"schoenfeld"`: covariate minus its risk-set mean at each event
#'   (events x p, row names the event times, attribute `strata`).
#' * `"scaledsch"`: Schoenfeld residuals scaled by the variance, times the
#'   number of events, plus the coefficients (Grambsch & Therneau 1994).
#' * `"dfbeta"`, `"dfbetas"`: approximate change of the coefficients when a
#'   row is left out (score residuals times the variance), the latter
#'   divided by the coefficients' standard errors.
#' * `"partial"`: partial residuals, the martingale residual plus each
#'   term's contribution to the linear predictor (`predict(type =
#'   "terms")`), one column per term, for plotting a term's functional form.
#'
#' @param object a fit from [cox()].
#' @param type the type of residual (see Details).
#' @param collapse optional vector, one value per row of the data, that
#'   groups rows (e.g. a subject id for `(start, stop]` data): residuals are
#'   summed within groups.
#' @param weighted multiply by the case weights (default only for `"dfbeta"`
#'   and `"dfbetas"`, as in survival).
#' @param ... unused.
#' @return A vector (one covariate, or martingale / deviance) or a matrix.
#' @references Therneau TM, Grambsch PM, Fleming TR (1990). Martingale-based
#'   residuals for survival models. Biometrika 77. Grambsch PM, Therneau TM
#'   (1994). Proportional hazards tests and diagnostics based on weighted
#'   residuals. Biometrika 81.
#' @section Differences from survival:
#' * None in the values: all eight types equal residuals.coxph's.
#' * For a fit with `ties = "exact"` only martingale and deviance residuals
#'   exist (Breslow-type, from the exact coefficients, as coxph's); the other
#'   types are an error, as in coxph.
#' * Any argument not listed here is an error that names it.
#' @seealso [cox_zph()], [cox()]
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' head(residuals(fit))
#' head(residuals(fit, type = "dfbeta"))
#' head(residuals(fit, type = "schoenfeld"))
#' @export
residuals.netsurv_cox <- function(object, type = c("martingale", "deviance", "score",
                                                   "schoenfeld", "scaledsch", "dfbeta",
                                                   "dfbetas", "partial"),
                                  collapse, weighted = type %in% c("dfbeta", "dfbetas"), ...) {
  check_unused("residuals() of a cox() fit", ...)
  choices <- c("martingale", "deviance", "score", "schoenfeld", "scaledsch", "dfbeta", "dfbetas",
               "partial")
  type <- match_choice(type, choices, "type")
  if (!type %in% c("martingale", "deviance"))
    cox_exact_refuse(object, paste0("`type = \"", type, "\"` residuals"))
  if (!is.logical(weighted) || length(weighted) != 1L || is.na(weighted))
    stop("`weighted` must be TRUE or FALSE", call. = FALSE)
  rr <- object$residuals
  n <- length(rr)
  status <- NULL
  if (type %in% c("martingale", "deviance", "partial")) {
    if (type == "deviance") {
      y <- object[["y"]]
      status <- if (!is.null(y)) as.vector(unclass(y)[, ncol(y)])
                else cox_model_data(object, need_x = FALSE)$status
    }
    if (weighted) {
      w <- object$weights
      if (!is.null(w)) rr <- rr * w
    }
  } else {
    d <- cox_model_data(object)
    p <- ncol(d$x)
    vv <- cox_naive_var(object)
    w <- if (is.null(d$weights)) rep(1, n) else d$weights
    cn <- names(object$coefficients)
    core <- cox_call_core(ffi_cox_residuals, d, type %in% c("score", "dfbeta", "dfbetas"))
    if (type %in% c("schoenfeld", "scaledsch")) {
      ev <- core$schoen_row
      rr <- core$schoenfeld
      times <- d$time[ev]
      if (weighted) rr <- rr * w[ev]
      if (type == "scaledsch") {
        coef <- ifelse(is.na(object$coefficients), 0, object$coefficients)
        rr <- rr %*% vv * length(ev) + rep(coef, each = nrow(rr))
      }
      if (p == 1L) {
        rr <- drop(rr)
        names(rr) <- times
      } else {
        dimnames(rr) <- list(times, cn)
      }
      # survival keeps the attribute where its arithmetic does (not through %*%)
      if ((type == "schoenfeld" || p == 1L) && !is.null(d$strata))
        attr(rr, "strata") <- table(d$strata[ev])
      return(rr)
    }
    rr <- core$score
    if (type == "dfbeta") rr <- rr %*% vv
    else if (type == "dfbetas") rr <- rr %*% vv %*% diag(sqrt(1 / diag(vv)), p)
    if (p == 1L) {
      rr <- stats::setNames(drop(rr), d$rows)
    } else {
      dimnames(rr) <- list(d$rows, if (type == "score") cn)
    }
    if (weighted) rr <- rr * w
  }
  if (!is.null(object$na.action)) {
    rr <- stats::naresid(object$na.action, rr)
    n <- NROW(rr)
    if (!is.null(status)) status <- stats::naresid(object$na.action, status)
  }
  if (type == "partial") {
    # predict(type = "terms") is already padded for na.action.
    rr <- rr + stats::predict(object, type = "terms")
  }
  if (!missing(collapse)) {
    if (length(collapse) != n)
      stop("`collapse` must have one value per row (", n, "), not ", length(collapse),
           call. = FALSE)
    if (anyNA(collapse)) stop("`collapse` has a missing value in position ",
                              which(is.na(collapse))[1L], call. = FALSE)
    rr <- drop(rowsum(rr, collapse))
    if (!is.null(status)) status <- drop(rowsum(status, collapse))
  }
  if (type == "deviance") {
    # log(status - rr), kept by the fit in logs: where a residual rounds to
    # its status (an expected count below 2^-53), log(status - rr) is -Inf
    # and the deviance +Inf; the log keeps it finite (not for weighted
    # residuals, whose status - rr is not the expected count)
    le <- if (weighted && !is.null(object$weights)) NULL else object$log_expected
    if (!is.null(le)) {
      if (!is.null(object$na.action)) le <- stats::naresid(object$na.action, le)
      if (!missing(collapse)) {
        top <- stats::ave(le, collapse, FUN = function(v) max(c(v, -Inf), na.rm = TRUE))
        top[!is.finite(top)] <- 0
        le <- log(drop(rowsum(exp(le - top), collapse))) +
          drop(rowsum(top, collapse)) / drop(rowsum(rep(1, length(top)), collapse))
      }
    }
    dev <- .Call(ffi_cox_deviance, as.double(rr), as.double(status),
                 if (is.null(le)) NULL else as.double(le))
    attributes(dev) <- attributes(rr)
    rr <- dev
  }
  rr
}
