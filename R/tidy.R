# tidy.R -- tidy() and glance() methods (generics re-exported from `generics`),
# with broom's column names so that netsurv results drop into tidyverse code
# written for survival. One section per concept; later concepts add theirs.

# ---- survival curves (km(), and later model-based curves) --------------------

#' Tidy a survival curve
#'
#' `tidy()` gives one row per time of the curve and `glance()` one row of
#' summary numbers, with the column names and meanings of broom's
#' `tidy.survfit()` and `glance.survfit()`. The results are plain data frames.
#'
#' `tidy()` columns: `time`, `n.risk`, `n.event`, `n.censor`, `estimate` (the
#' survival probability), `std.error` (the fit's `std.err`, i.e. the standard
#' error of the log survival for km(), as in broom), `conf.high`, `conf.low`
#' (absent when the fit has no confidence interval) and `strata` (character;
#' only with strata).
#'
#' `glance()` columns: `records`, `n.max`, `n.start`, `events`, `rmean`,
#' `rmean.std.error`, `median`, `conf.low`, `conf.high` (the limits of the
#' median; `NA` when the fit has no confidence interval) and `nobs` -- the
#' table of [summary()][summary.netsurv_curve], with its `rmean` choice
#' (default `"common"`, the largest observed time). As in broom, `glance()`
#' refuses curves with several strata (a glance is one row): use
#' `summary(fit)$table` or [rmst()] for per-stratum numbers.
#'
#' @param x A survival curve from [km()].
#' @param ... For `glance()`: passed to [summary()][summary.netsurv_curve],
#'   e.g. `rmean = 365`. For `tidy()`: nothing (any argument is an error
#'   that names it).
#' @return A data frame.
#' @name tidy.netsurv_curve
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' head(tidy(fit))
#' glance(km(Surv(time, status) ~ 1, data = survival::lung))
NULL

#' @rdname tidy.netsurv_curve
#' @export
tidy.netsurv_curve <- function(x, ...) {
  check_unused("tidy() of a survival curve", ...)
  x <- check_curve(x)
  out <- data.frame(time = x$time, n.risk = x$n.risk, n.event = x$n.event,
                    n.censor = x$n.censor, estimate = x$surv)
  if (!is.null(x$std.err)) out$std.error <- x$std.err
  if (!is.null(x$upper)) {
    out$conf.high <- x$upper
    out$conf.low <- x$lower
  }
  if (!is.null(x$strata)) out$strata <- rep(names(x$strata), x$strata)
  out
}

#' @rdname tidy.netsurv_curve
#' @export
glance.netsurv_curve <- function(x, ...) {
  x <- check_curve(x)
  if (length(x$strata) > 1L)
    stop("Cannot glance() a curve with several strata (", length(x$strata), "); ",
         "use summary(x)$table or rmst(x, tau) for per-stratum numbers", call. = FALSE)
  tab <- summary.netsurv_curve(x, ...)$table
  get <- function(name) if (name %in% names(tab)) unname(tab[[name]]) else NA_real_
  data.frame(records = get("records"), n.max = get("n.max"), n.start = get("n.start"),
             events = get("events"), rmean = get("rmean"),
             rmean.std.error = get("se(rmean)"), median = get("median"),
             conf.low = get(paste0(x$conf.int, "LCL")),
             conf.high = get(paste0(x$conf.int, "UCL")),
             nobs = as.integer(sum(x$n)))
}
