# cox-curve.R -- what a fitted cox() model says about survival: the
# cumulative baseline hazard (survival's basehaz) and model-based survival
# curves with confidence limits (survival's survfit.coxph).

# ---- baseline hazard --------------------------------------------------------

#' Cumulative baseline hazard of a Cox model
#'
#' The cumulative hazard of the fitted model at every distinct time of each
#' stratum, as [survival::basehaz()] gives it. netsurv's own function of the
#' same name (survival's `basehaz()` works on `coxph` fits only); with
#' survival attached after netsurv, call it as `netsurv::basehaz()`.
#' @param fit a fit from [cox()].
#' @param centered `TRUE`: the hazard of a subject with the mean covariates
#'   (`fit$means`); `FALSE`: of a subject with all covariates 0.
#' @section Differences from survival:
#' * survival's `basehaz()` is for coxph fits; this one for cox() fits, with
#'   the same columns and values. `newdata` is not an argument: use
#'   [cox_curve()] for other covariate values.
#' @return A data frame with `hazard`, `time`, and `strata` for stratified
#'   fits.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' head(basehaz(fit))
#' @export
basehaz <- function(fit, centered = TRUE) {
  if (!is.logical(centered) || length(centered) != 1L || is.na(centered))
    stop("`centered` must be TRUE or FALSE", call. = FALSE)
  if (!inherits(fit, "netsurv_cox")) {
    if (inherits(fit, "coxph")) return(survival::basehaz(fit, centered = centered))
    stop("`fit` must be a fit from cox()", call. = FALSE)
  }
  d <- cox_model_data(fit, need_x = anyNA(fit$coefficients))
  d$eta <- cox_curve_eta(fit, d)
  d$x <- matrix(0, length(d$time), 0L)
  h <- .Call(ffi_cox_hazard, d$x, d$time, d$start, d$status, d$weights, d$eta, d$stratum,
             d$ties)
  cumhaz <- cum_by(h$haz, h$stratum) * exp(cox_mean_offset(fit, d))
  if (!centered) {
    coef <- ifelse(is.na(fit$coefficients), 0, fit$coefficients)
    cumhaz <- cumhaz * exp(-sum(coef * fit$means))
  }
  out <- data.frame(hazard = cumhaz, time = h$time)
  if (!is.null(d$strata)) out$strata <- factor(levels(d$strata)[h$stratum + 1L],
                                               levels = levels(d$strata))
  out
}


# The offset of the "mean" subject, relative to the centring in the linear
# predictors: survfit.coxph centres the curve at the means at the weighted
# mean offset, while the linear predictors hold the offset less its plain
# mean (fit$offset).
cox_mean_offset <- function(fit, d) {
  if (is.null(fit$offset)) return(0)
  if (is.null(d$weights)) mean(fit$offset) else sum(fit$offset * d$weights) / sum(d$weights)
}

# ---- model-based survival curves --------------------------------------------

#' Model-based survival curves from a Cox model
#'
#' The survival curve a fitted Cox model predicts for each covariate profile
#' (row) of `newdata`, with the estimator and variance of
#' [survival::survfit.coxph()] for the fit's ties method (Breslow: the
#' Breslow hazard; Efron: its Efron analogue) -- including the variance of
#' the coefficients. Without `newdata` the profile is the fit's covariate
#' means. For stratified fits each profile gets one curve per stratum, or,
#' when `newdata` holds the strata variables, one curve per row in its own
#' stratum.
#'
#' The result has [survival::survfit()]'s field names (`n`, `time`,
#' `n.risk`, `n.event`, `n.censor`, `surv`, `cumhaz`, `std.err` (of the
#' cumulative hazard), `std.chaz`, `lower`, `upper`, `strata`, `conf.int`,
#' `conf.type`, `logse`), so the curve methods of netsurv (and of survival,
#' after `class<-`) apply. `surv` is a matrix with one column per profile
#' when `newdata` has several rows.
#' @param fit a fit from [cox()].
#' @param newdata optional data frame of covariate profiles (the response's
#'   columns are not needed). A variable of the formula that is not a column
#'   of the fit's data (e.g. in `offset(x * fit1$coefficients[2])`) is taken
#'   from the formula's environment, as survfit.coxph does.
#' @param conf.int level of the pointwise confidence intervals.
#' @param conf.type `"log"` (default), `"log-log"`, `"plain"` or `"none"`.
#' @return An object of class `c("netsurv_coxcurve", "netsurv_curve")`.
#' @section Differences from survival:
#' * This is `survfit(coxph_fit, newdata)`. `individual`, `id`, `stype`,
#'   `ctype`, `censor = FALSE`, `start.time`, `se.fit` and `influence` are
#'   not arguments (R's "unused argument" error names them); the curve is
#'   always survfit.coxph's default (`stype = 2`, the hazard of the fit's
#'   ties method).
#' * `conf.type` is one of `"log"`, `"log-log"`, `"plain"`, `"none"`.
#' * Curves for several profiles and strata are indexed `fit[strata,
#'   profiles]`.
#' @references Therneau & Grambsch (2000), Modeling Survival Data, section 10.2.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' cc <- cox_curve(fit, newdata = data.frame(age = 60, sex = 1:2))
#' head(cc$surv)
#' @export
cox_curve <- function(fit, newdata, conf.int = 0.95, conf.type = "log") {
  if (!inherits(fit, "netsurv_cox")) stop("`fit` must be a fit from cox()", call. = FALSE)
  conf.int <- check_conf_int(conf.int)
  conf.type <- match_choice(conf.type, c("log", "log-log", "plain", "none"), "conf.type")
  call <- match.call()
  d <- cox_model_data(fit)
  coef <- ifelse(is.na(fit$coefficients), 0, fit$coefficients)
  means <- ifelse(is.na(fit$means), 0, fit$means)
  V <- unname(as.matrix(fit$var))
  V[is.na(V)] <- 0
  p <- length(coef)
  newstrat <- NULL
  if (missing(newdata) || is.null(newdata)) {
    xn <- matrix(0, 1L, p)
    noff <- cox_mean_offset(fit, d)
    labels <- NULL
  } else {
    if (is.data.frame(newdata) && nrow(newdata) == 0L)
      stop("`newdata` has 0 rows; give at least one covariate profile (or omit it for ",
           "the curve at the means)", call. = FALSE)
    mf2 <- cox_new_frame(fit, newdata)
    newx <- cox_x_from_frame(fit, mf2, attr(mf2, "terms"))
    newx[, is.na(fit$coefficients)] <- 0
    xn <- newx - rep(means, each = nrow(newx))
    noff <- stats::model.offset(mf2)
    if (is.null(noff)) noff <- 0
    if (!is.null(d$strata)) newstrat <- cox_new_strata(fit, mf2, levels(d$strata))
    labels <- row.names(newdata)
  }
  # a profile's offset counts relative to the fit's mean offset
  if (!is.null(labels) && !is.null(attr(fit$terms, "offset")) && !is.null(fit$offset)) {
    fr <- if (!is.null(d$frame)) d$frame else cox_model_frame(fit)
    noff <- noff - mean(stats::model.offset(fr$mf))
  }
  nrisk <- exp(drop(xn %*% coef) + noff)
  h <- cox_cum_hazard(fit, d)
  g <- h$stratum
  # Per profile: cumhaz = r H0; var = r^2 (varh + d' V d), d = H0 x - xbar.
  one <- function(rows, k) {
    dt <- outer(h$chaz[rows], xn[k, ]) - h$xbar[rows, , drop = FALSE]
    v <- h$varh[rows] + rowSums((dt %*% V) * dt)
    list(cumhaz = h$chaz[rows] * nrisk[k], se = sqrt(v) * nrisk[k])
  }
  point_rows <- split(seq_along(g), factor(g, levels = sort(unique(g))))
  strata_levels <- if (!is.null(d$strata)) levels(d$strata)
  ncurve <- length(nrisk)
  if (!is.null(newstrat)) {
    # one curve per row, in its own stratum
    pieces <- lapply(seq_len(ncurve), function(k) {
      rows <- point_rows[[as.character(newstrat[k] - 1L)]]
      c(list(rows = rows), one(rows, k))
    })
    idx <- unlist(lapply(pieces, `[[`, "rows"))
    cumhaz <- unlist(lapply(pieces, `[[`, "cumhaz"))
    se <- unlist(lapply(pieces, `[[`, "se"))
    strata <- stats::setNames(vapply(pieces, function(x) length(x$rows), 1L), labels)
    n <- as.integer(table(d$strata)[newstrat])
  } else {
    idx <- seq_along(g)
    cols <- lapply(seq_len(ncurve), function(k) one(idx, k))
    cumhaz <- vapply(cols, `[[`, numeric(length(idx)), "cumhaz")
    se <- vapply(cols, `[[`, numeric(length(idx)), "se")
    if (ncurve == 1L) {
      cumhaz <- drop(cumhaz); se <- drop(se)
    } else {
      cumhaz <- matrix(cumhaz, length(idx)); se <- matrix(se, length(idx))
    }
    if (!is.null(strata_levels)) {
      strata <- stats::setNames(as.integer(table(factor(g, levels = seq_along(strata_levels) - 1L))),
                                strata_levels)
      strata <- strata[strata > 0]
      n <- as.integer(table(d$strata))
    } else {
      strata <- NULL
      n <- length(d$time)
    }
  }
  surv <- exp(-cumhaz)
  out <- list(n = n, time = h$time[idx], n.risk = h$n.risk[idx], n.event = h$n.event[idx],
              n.censor = h$n.censor[idx])
  if (!is.null(strata)) out$strata <- strata
  ci <- surv_conf_limits(surv, se, conf.int, conf.type, ends = TRUE)
  if (is.matrix(surv) && !is.null(labels)) {
    colnames(surv) <- labels
    if (!is.null(ci$lower)) { colnames(ci$lower) <- labels; colnames(ci$upper) <- labels }
  }
  out <- c(out, list(surv = surv, cumhaz = cumhaz, std.err = se, logse = TRUE, std.chaz = se))
  if (conf.type != "none")
    out <- c(out, list(lower = ci$lower, upper = ci$upper, conf.type = conf.type,
                       conf.int = conf.int))
  out$call <- call
  class(out) <- c("netsurv_coxcurve", "netsurv_curve")
  out
}
