# cox-predict.R -- predictions from a fitted cox() model, as survival's
# predict.coxph: linear predictor, risk, expected events, survival.

# ---- predictions ------------------------------------------------------------

# The covariate means of each stratum of the fit (weighted by the case
# weights), one row per element of `st` (1-based stratum codes): the centre
# of predict(reference = "strata"), as predict.coxph.
cox_strata_means <- function(d, st) {
  w <- if (is.null(d$weights)) rep(1, nrow(d$x)) else d$weights
  code <- as.integer(d$strata)
  xm <- rowsum(d$x * w, code) / c(rowsum(w, code))
  xm[match(st, as.integer(rownames(xm))), , drop = FALSE]
}

#' Predictions from a Cox model
#'
#' As [survival::predict.coxph()]: the linear predictor, the risk score
#' `exp(lp)`, the expected number of events given each row's follow-up, or
#' the survival probability `exp(-expected)`, with standard errors.
#' @param object a fit from [cox()].
#' @param newdata optional data frame; by default the fit's data. It needs
#'   the covariates' columns; `"expected"` and `"survival"` also need the
#'   response's time columns (the status is not used: it may be `NA` or
#'   absent), and a stratified fit the strata variables (except for `"lp"`,
#'   `"risk"` and `"terms"` with `reference = "sample"` or `"zero"`). A
#'   variable of the formula that is not a column of the fit's data (say
#'   `offset(x * fit1$coefficients[2])`) is taken from the formula's
#'   environment, as model.frame() and predict.coxph do.
#' @param type `"lp"`, `"risk"`, `"expected"`, `"terms"` (each term's
#'   contribution to the linear predictor, centred at the covariate means,
#'   one column per term, with the centring constant as attribute
#'   `"constant"`) or `"survival"`.
#' @param terms with `type = "terms"`: the terms (names or positions) to
#'   return.
#' @param se.fit also return standard errors.
#' @param reference centring of the linear predictor (and of the terms):
#'   `"strata"` (the means of the row's stratum, for stratified fits; the
#'   default, except for `type = "terms"`), `"sample"` (the overall means;
#'   the default of `type = "terms"`) or `"zero"` (no centring).
#' @param collapse optional grouping of the rows: predictions summed within
#'   groups (standard errors combined as sqrt of sums of squares).
#' @param ... unused.
#' @return A vector of predictions, or with `se.fit = TRUE` a list with
#'   `fit` and `se.fit`.
#' @section Differences from survival:
#' * With an `offset()` term and `newdata`, predict.coxph centres the new
#'   offset at the fit's mean offset for `type = "lp"`/`"risk"` only when
#'   `se.fit = TRUE` or `reference = "strata"` applies, so its value changes
#'   with `se.fit`; netsurv always centres it (predict.coxph's `se.fit =
#'   TRUE` value, and the fit's own linear predictor for the fit's rows).
#' * With an `offset()` term, predict.coxph's `type = "expected"` on
#'   `newdata` multiplies the baseline hazard by `exp(lp) + offset`; netsurv
#'   by `exp(lp + offset)`, which equals survfit.coxph's cumulative hazard
#'   for the row.
#' * For `(start, stop]` fits, predict.coxph's standard errors of `type =
#'   "expected"` on `newdata` read the variance at the start time where the
#'   stop time is meant and the fit's risk scores for the new rows (NaN or
#'   wrong values); netsurv's are the formula predict.coxph uses without
#'   `newdata`, so the fit's own rows give the same values either way.
#' * `"expected"` and `"survival"` accept a `newdata` without the status
#'   column (predict.coxph needs it to build `Surv()`, whatever it holds).
#' * `na.action` is not an argument: a `newdata` row with a missing value is
#'   an error naming the column (predict.coxph returns `NA` with
#'   `na.pass`).
#' * A `newdata` factor level unseen in the fit is an error naming it.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' predict(fit, newdata = data.frame(age = c(50, 70), sex = 1), type = "risk",
#'         se.fit = TRUE)
#' head(predict(fit, type = "expected"))
#' @export
predict.netsurv_cox <- function(object, newdata,
                                type = c("lp", "risk", "expected", "terms", "survival"),
                                se.fit = FALSE, reference = c("strata", "sample", "zero"),
                                collapse, terms = names(object$assign), ...) {
  check_unused("predict() of a cox() fit", ..., hints = c(
    na.action = "rows of `newdata` with missing values are an error in netsurv; drop them first"))
  type <- match_choice(type, c("lp", "risk", "expected", "terms", "survival"), "type")
  if (type == "terms")
    return(cox_predict_terms(object, if (!missing(newdata)) newdata, se.fit,
                             if (missing(reference)) "sample" else reference, terms,
                             if (!missing(collapse)) collapse))
  reference <- match_choice(reference, c("strata", "sample", "zero"), "reference")
  if (!is.logical(se.fit) || length(se.fit) != 1L || is.na(se.fit))
    stop("`se.fit` must be TRUE or FALSE", call. = FALSE)
  newdata <- if (!missing(newdata)) newdata
  p <- cox_predict_setup(object, newdata, type, se.fit, reference)
  out <- if (type %in% c("lp", "risk")) cox_predict_linear(p, type, se.fit, reference)
         else cox_predict_expected(p, type, se.fit)
  cox_predict_finish(object, out, is.null(newdata), se.fit,
                     if (!missing(collapse)) collapse)
}

# What every prediction type needs: the coefficients and variance with
# aliased (NA) coefficients as 0, the fit's model data when the
# prediction needs its covariates, the training offset, and the new rows'
# covariates, offset and strata when `newdata` is given.
cox_predict_setup <- function(fit, newdata, type, se.fit, reference) {
  p <- list(fit = fit, have_new = !is.null(newdata),
            coef = ifelse(is.na(fit$coefficients), 0, fit$coefficients),
            means = ifelse(is.na(fit$means), 0, fit$means))
  V <- unname(as.matrix(fit$var))
  V[is.na(V)] <- 0
  p$V <- V
  p$has_strata <- !is.null(fit$strata) || length(attr(fit$terms, "specials")$strata) > 0
  has_offset <- !is.null(attr(fit$terms, "offset"))
  p$need_x <- se.fit || p$have_new || (p$has_strata && reference == "strata") ||
    (reference == "zero" && any(p$means != 0)) || type %in% c("expected", "survival")
  p$d <- if (p$need_x) cox_model_data(fit, need_x = TRUE)
  p$train_offset <- 0
  if (has_offset) {
    fr <- if (!is.null(p$d$frame)) p$d$frame else cox_model_frame(fit)
    p$train_offset <- stats::model.offset(fr$mf)
  }
  if (p$have_new) p$new <- cox_predict_new_rows(p, newdata, type, reference)
  p
}

# The covariates, offset, strata codes, times and row names of `newdata`.
cox_predict_new_rows <- function(p, newdata, type, reference) {
  fit <- p$fit
  mf2 <- cox_new_frame(fit, newdata, times = type %in% c("expected", "survival"))
  x <- cox_x_from_frame(fit, mf2, attr(mf2, "terms"))
  x[, is.na(fit$coefficients)] <- 0
  offset <- stats::model.offset(mf2)
  if (is.null(offset)) offset <- 0
  strata <- if (p$has_strata) cox_new_strata(fit, mf2, levels(p$d$strata))
  if (p$has_strata && is.null(strata) &&
      (type %in% c("expected", "survival") || reference == "strata"))
    stop("`newdata` lacks the strata variable(s) of the model: ",
         paste(survival::untangle.specials(fit$terms, "strata", 1)$vars, collapse = ", "),
         call. = FALSE)
  list(x = x, offset = offset, strata = strata, times = attr(mf2, "times"),
       rows = row.names(newdata))
}

# type = "lp" or "risk": the centred linear predictor (or its exponent)
# and its standard error.
cox_predict_linear <- function(p, type, se.fit, reference) {
  fit <- p$fit
  se <- NULL
  if (!p$need_x) {
    pred <- fit$linear.predictors
  } else {
    if (p$have_new) {
      X <- p$new$x
      off <- p$new$offset - mean(p$train_offset)
      st <- p$new$strata
      rows <- p$new$rows
    } else {
      X <- p$d$x
      off <- p$train_offset - mean(p$train_offset)
      st <- if (!is.null(p$d$strata)) as.integer(p$d$strata)
      rows <- names(fit$residuals)
    }
    if (p$has_strata && reference == "strata") {
      X <- X - cox_strata_means(p$d, st)
    } else if (reference != "zero") {
      X <- X - rep(p$means, each = nrow(X))
    }
    pred <- drop(X %*% p$coef) + off
    names(pred) <- rows
    if (se.fit) se <- stats::setNames(sqrt(rowSums((X %*% p$V) * X)), rows)
  }
  if (type == "risk") {
    pred <- exp(pred)
    if (se.fit) se <- se * sqrt(pred)
  }
  list(pred = pred, se = se)
}

# type = "expected" or "survival": each row's cumulative hazard over its
# follow-up (or exp(-) of it), from the fit's baseline hazard, and its
# standard error.
cox_predict_expected <- function(p, type, se.fit) {
  d <- p$d
  V <- p$V
  se <- NULL
  counting <- !is.null(d$start)
  h <- cox_cum_hazard(p$fit, d)
  chaz <- h$chaz
  # Index of the last time point at or before t in stratum s (0: none).
  at <- function(s, t) {
    idx <- integer(length(t))
    for (k in unique(s)) {
      rows_k <- which(s == k)
      points <- which(h$stratum == k)
      j <- findInterval(t[rows_k], h$time[points])
      idx[rows_k] <- ifelse(j > 0, points[pmax(j, 1L)], 0L)
    }
    idx
  }
  pick <- function(v, idx) ifelse(idx > 0, v[pmax(idx, 1L)], 0)
  pickm <- function(m, idx) {
    out <- m[pmax(idx, 1L), , drop = FALSE]
    out[idx == 0, ] <- 0
    out
  }
  var_at <- function(idx, x) {
    dt <- pick(chaz, idx) * x - pickm(h$xbar, idx)
    pick(h$varh, idx) + rowSums((dt %*% V) * dt)
  }
  if (p$have_new) {
    y2 <- p$new$times
    if ((ncol(y2) == 2L) != counting)
      stop("`newdata`: its response has a different survival type than the fit's",
           call. = FALSE)
    s2 <- if (p$has_strata) p$new$strata - 1L else rep(0L, nrow(y2))
    xn <- p$new$x - rep(p$means, each = nrow(p$new$x))
    nrisk <- exp(drop(xn %*% p$coef) + p$new$offset - mean(p$train_offset))
    i2 <- at(s2, y2[, ncol(y2)])
    pred <- pick(chaz, i2) * nrisk
    if (se.fit) v <- var_at(i2, xn)
    if (counting) {
      i1 <- at(s2, y2[, 1L])
      pred <- pred - pick(chaz, i1) * nrisk
      if (se.fit) v <- v - var_at(i1, xn)
    }
    if (se.fit) se <- unname(sqrt(v) * nrisk)
    pred <- unname(pred)
  } else {
    pred <- d$status - p$fit$residuals
    if (se.fit) {
      xc <- d$x - rep(p$means, each = nrow(d$x))
      s1 <- if (is.null(d$stratum)) rep(0L, length(d$time)) else d$stratum
      v <- var_at(at(s1, d$time), xc)
      if (counting) v <- v - var_at(at(s1, d$start), xc)
      se <- unname(sqrt(v) * exp(d$eta))
    }
  }
  if (type == "survival") {
    pred <- exp(-pred)
    if (se.fit) se <- se * pred
  }
  list(pred = pred, se = se)
}

# Pads predictions on the fit's rows for its na.action and sums them
# within `collapse` groups.
cox_predict_finish <- function(fit, out, on_fit_rows, se.fit, collapse) {
  pred <- out$pred
  se <- out$se
  if (on_fit_rows && !is.null(fit$na.action)) {
    pred <- stats::napredict(fit$na.action, pred)
    if (se.fit) se <- stats::napredict(fit$na.action, se)
  }
  if (!is.null(collapse)) {
    if (length(collapse) != length(pred))
      stop("`collapse` must have one value per prediction (", length(pred), ")", call. = FALSE)
    pred <- drop(rowsum(pred, collapse))
    if (se.fit) se <- drop(sqrt(rowsum(se^2, collapse)))
  }
  if (se.fit) list(fit = pred, se.fit = se) else pred
}
