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
  fit <- object
  coef <- ifelse(is.na(fit$coefficients), 0, fit$coefficients)
  means <- ifelse(is.na(fit$means), 0, fit$means)
  V <- unname(as.matrix(fit$var))
  V[is.na(V)] <- 0
  has_strata <- !is.null(fit$strata) || length(attr(fit$terms, "specials")$strata) > 0
  has_offset <- !is.null(attr(fit$terms, "offset"))
  have_new <- !missing(newdata) && !is.null(newdata)
  need_x <- se.fit || have_new || (has_strata && reference == "strata") ||
    (reference == "zero" && any(means != 0)) || type %in% c("expected", "survival")
  se <- NULL
  d <- if (need_x || type %in% c("expected", "survival")) cox_model_data(fit, need_x = TRUE)
  train_offset <- 0
  if (has_offset) {
    fr <- if (!is.null(d$frame)) d$frame else cox_model_frame(fit)
    train_offset <- stats::model.offset(fr$mf)
  }
  if (have_new) {
    mf2 <- cox_new_frame(fit, newdata, times = type %in% c("expected", "survival"))
    newx <- cox_x_from_frame(fit, mf2, attr(mf2, "terms"))
    newx[, is.na(fit$coefficients)] <- 0
    newoff <- stats::model.offset(mf2)
    if (is.null(newoff)) newoff <- 0
    newstrat <- if (has_strata) cox_new_strata(fit, mf2, levels(d$strata))
    if (has_strata && is.null(newstrat) &&
        (type %in% c("expected", "survival") || reference == "strata"))
      stop("`newdata` lacks the strata variable(s) of the model: ",
           paste(survival::untangle.specials(fit$terms, "strata", 1)$vars, collapse = ", "),
           call. = FALSE)
    rows <- row.names(newdata)
  }

  if (type %in% c("lp", "risk")) {
    if (!need_x) {
      pred <- fit$linear.predictors
    } else {
      if (have_new) {
        X <- newx
        off <- newoff - mean(train_offset)
        st <- newstrat
      } else {
        X <- d$x
        off <- train_offset - mean(train_offset)
        st <- if (!is.null(d$strata)) as.integer(d$strata)
        rows <- names(fit$residuals)
      }
      if (has_strata && reference == "strata") {
        X <- X - cox_strata_means(d, st)
      } else if (reference != "zero") {
        X <- X - rep(means, each = nrow(X))
      }
      pred <- drop(X %*% coef) + off
      names(pred) <- rows
      if (se.fit) se <- stats::setNames(sqrt(rowSums((X %*% V) * X)), rows)
    }
    if (type == "risk") {
      pred <- exp(pred)
      if (se.fit) se <- se * sqrt(pred)
    }
  } else {
    risk <- exp(d$eta)
    xc <- d$x - rep(means, each = nrow(d$x))
    counting <- !is.null(d$start)
    h <- cox_cum_hazard(fit, d)
    chaz <- h$chaz
    # Values of the cumulative sums at the last time point at or before t in
    # stratum s.
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
    if (have_new) {
      y2 <- attr(mf2, "times")
      if ((ncol(y2) == 2L) != counting)
        stop("`newdata`: its response has a different survival type than the fit's",
             call. = FALSE)
      s2 <- if (has_strata) newstrat - 1L else rep(0L, nrow(y2))
      xn <- newx - rep(means, each = nrow(newx))
      nrisk <- exp(drop(xn %*% coef) + newoff - mean(train_offset))
      t_stop <- y2[, ncol(y2)]
      i2 <- at(s2, t_stop)
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
      pred <- d$status - fit$residuals
      if (se.fit) {
        s1 <- if (is.null(d$stratum)) rep(0L, length(d$time)) else d$stratum
        i2 <- at(s1, d$time)
        v <- var_at(i2, xc)
        if (counting) v <- v - var_at(at(s1, d$start), xc)
        se <- unname(sqrt(v) * risk)
      }
    }
    if (type == "survival") {
      pred <- exp(-pred)
      if (se.fit) se <- se * pred
    }
  }
  if (!have_new && !is.null(fit$na.action)) {
    pred <- stats::napredict(fit$na.action, pred)
    if (se.fit) se <- stats::napredict(fit$na.action, se)
  }
  if (!missing(collapse) && !is.null(collapse)) {
    if (length(collapse) != length(pred))
      stop("`collapse` must have one value per prediction (", length(pred), ")", call. = FALSE)
    pred <- drop(rowsum(pred, collapse))
    if (se.fit) se <- drop(sqrt(rowsum(se^2, collapse)))
  }
  if (se.fit) list(fit = pred, se.fit = se) else pred
}
