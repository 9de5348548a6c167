# cox-diagnostics.R -- what a fitted cox() model implies: residuals,
# predictions, the baseline hazard and model-based survival curves, the
# proportional-hazards test and likelihood-ratio tables. The numbers come
# from src/core/cox_resid.c (ns_cox_hazard, ns_cox_residuals, ns_cox_zph);
# this file rebuilds the fit's columns and shapes the results as survival's
# residuals.coxph, predict.coxph, survfit.coxph, basehaz, cox.zph and
# anova.coxph do.

# The generics of the S3 methods below live in stats.
#' @importFrom stats residuals predict anova
NULL

# ---- the fit's data ---------------------------------------------------------

# The model frame of a fit, rebuilt from its call in the formula's
# environment (as model.frame.coxph does).
cox_model_frame <- function(fit) {
  env <- environment(fit$terms)
  if (is.null(env)) env <- parent.frame(2L)
  call <- fit$call
  # The fit's own formula, so that a formula passed by name still works.
  call$formula <- stats::formula(fit$terms)
  fr <- survival_frame(call, env, specials = c("strata", "cluster"))
  if (nrow(fr$mf) != length(fit$residuals))
    stop("the data of the fit have changed: they give ", nrow(fr$mf), " rows where the fit had ",
         length(fit$residuals), call. = FALSE)
  fr
}

# The terms that make the design matrix: strata() and cluster() removed
# (strata stay when they take part in an interaction, as in cox()).
cox_x_terms <- function(terms) {
  sp_s <- survival::untangle.specials(terms, "strata", 1)
  sp_c <- survival::untangle.specials(terms, "cluster", 1)
  factors <- attr(terms, "factors")
  interacting <- FALSE
  for (v in sp_s$vars)
    if (any(attr(terms, "order")[factors[v, ] > 0] > 1)) interacting <- TRUE
  drop <- c(sp_c$terms, if (!interacting) sp_s$terms)
  if (length(drop)) terms[-drop] else terms
}

# The design matrix of the fit's coefficients from a model frame.
cox_x_from_frame <- function(fit, mf, terms = cox_x_terms(fit$terms)) {
  X <- stats::model.matrix(terms, mf, contrasts.arg = fit$contrasts)
  cn <- names(fit$coefficients)
  miss <- setdiff(cn, colnames(X))
  if (length(miss))
    stop("cannot rebuild the covariate `", miss[1L], "` of the fit", call. = FALSE)
  X <- X[, cn, drop = FALSE]
  storage.mode(X) <- "double"
  X
}

# Everything the core needs, in the fit's row order: x, time, start, status,
# weights, stratum codes (0-based) and the strata factor, and eta.
cox_model_data <- function(fit, need_x = TRUE) {
  if (!inherits(fit, "netsurv_cox")) stop("`fit` must be a fit from cox()", call. = FALSE)
  has_strata <- length(attr(fit$terms, "specials")$strata) > 0
  has_weights <- !is.null(fit$call$weights)
  y <- fit[["y"]]
  X <- if (need_x) fit[["x"]]
  strata <- fit[["strata"]]
  weights <- fit[["weights"]]
  fr <- NULL
  if (is.null(y) || (need_x && is.null(X)) || (has_strata && is.null(strata)) ||
      (has_weights && is.null(weights))) {
    fr <- cox_model_frame(fit)
    if (is.null(y)) {
      ft <- time_fix(fr$time, fr$start)
      y <- if (is.null(fr$start)) survival::Surv(ft[[1L]], fr$status)
           else survival::Surv(ft[[2L]], ft[[1L]], fr$status)
    }
    if (need_x && is.null(X)) X <- cox_x_from_frame(fit, fr$mf)
    if (has_weights) weights <- fr$weights
  }
  if (need_x && !is.null(X)) {
    X <- X[, names(fit$coefficients), drop = FALSE]
    storage.mode(X) <- "double"
  }
  ym <- unclass(y)
  counting <- ncol(ym) == 3L
  list(x = if (need_x) unname(X), y = y,
       time = as.double(ym[, if (counting) 2L else 1L]),
       start = if (counting) as.double(ym[, 1L]),
       status = as.integer(ym[, ncol(ym)]),
       weights = if (!is.null(weights)) as.double(weights),
       strata = strata,
       stratum = if (!is.null(strata)) as.integer(strata) - 1L,
       eta = as.double(fit$linear.predictors),
       ties = if (fit$method == "efron") 1L else 0L,
       rows = names(fit$residuals), frame = fr)
}

cox_call_core <- function(fn, d, ...) {
  x <- d$x
  if (is.null(x)) x <- matrix(0, length(d$time), 0L)
  .Call(fn, x, d$time, d$start, d$status, d$weights, d$eta, d$stratum, d$ties, ...)
}

# The variance the diagnostics use: the model-based one for robust fits (as
# residuals.coxph), NA entries of dropped columns as 0.
cox_naive_var <- function(fit) {
  v <- if (!is.null(fit$naive.var)) fit$naive.var else fit$var
  v <- unname(as.matrix(v))
  v[is.na(v)] <- 0
  v
}

match_choice <- function(x, choices, arg) {
  if (identical(x, choices)) return(choices[1L])
  if (!is.character(x) || length(x) != 1L || is.na(x) || !x %in% choices)
    stop("`", arg, "` must be one of ", paste0("\"", choices, "\"", collapse = ", "),
         "; not ", if (is.character(x) && length(x) == 1L) paste0("\"", x, "\"")
                   else deparse(x)[1L], call. = FALSE)
  x
}

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
#' @seealso [cox_zph()], [cox()]
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' head(residuals(fit))
#' head(residuals(fit, type = "dfbeta"))
#' head(residuals(fit, type = "schoenfeld"))
#' @export
residuals.netsurv_cox <- function(object, type = c("martingale", "deviance", "score",
                                                   "schoenfeld", "scaledsch", "dfbeta",
                                                   "dfbetas"),
                                  collapse, weighted = type %in% c("dfbeta", "dfbetas"), ...) {
  choices <- c("martingale", "deviance", "score", "schoenfeld", "scaledsch", "dfbeta", "dfbetas")
  type <- match_choice(type, choices, "type")
  if (!is.logical(weighted) || length(weighted) != 1L || is.na(weighted))
    stop("`weighted` must be TRUE or FALSE", call. = FALSE)
  rr <- object$residuals
  n <- length(rr)
  status <- NULL
  if (type %in% c("martingale", "deviance")) {
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
    dev <- .Call(ffi_cox_deviance, as.double(rr), as.double(status))
    attributes(dev) <- attributes(rr)
    rr <- dev
  }
  rr
}

# ---- new data ---------------------------------------------------------------

# The model frame of newdata for the covariates (and the response when
# `response`), with errors that name the column for a missing covariate, a
# missing value or a factor level the fit has not seen.
cox_new_frame <- function(fit, newdata, response = FALSE) {
  if (!is.data.frame(newdata)) stop("`newdata` must be a data frame", call. = FALSE)
  terms <- fit$terms
  sp_c <- survival::untangle.specials(terms, "cluster", 1)
  if (length(sp_c$terms)) terms <- terms[-sp_c$terms]
  # The strata variables are optional: without them a curve is drawn in
  # every stratum.
  sp_s <- survival::untangle.specials(terms, "strata", 1)
  if (length(sp_s$terms) && !all(sp_s$vars %in% names(newdata)) &&
      !all(all.vars(str2lang(paste(sp_s$vars, collapse = "+"))) %in% names(newdata)))
    terms <- terms[-sp_s$terms]
  if (!response) terms <- stats::delete.response(terms)
  vars <- all.vars(stats::formula(terms))
  missing_cols <- setdiff(vars, names(newdata))
  if (length(missing_cols))
    stop("`newdata` lacks the column `", missing_cols[1L], "` that the model uses",
         call. = FALSE)
  for (v in vars) {
    bad <- which(is.na(newdata[[v]]))
    if (length(bad))
      stop("`newdata`: column `", v, "` is missing (NA) in row ",
           row.names(newdata)[bad[1L]], call. = FALSE)
  }
  xlev <- fit$xlevels
  for (nm in names(xlev)) {
    expr <- str2lang(nm)
    if (!all(all.vars(expr) %in% names(newdata))) next
    val <- eval(expr, newdata, environment(fit$terms))
    val <- as.character(val)
    bad <- which(!val %in% xlev[[nm]])
    if (length(bad)) {
      col <- all.vars(expr)
      col <- if (length(col)) col[1L] else nm
      stop("`newdata`: column `", col, "` has the level \"", val[bad[1L]], "\" in row ",
           row.names(newdata)[bad[1L]], " that the fit did not see (levels: ",
           paste(xlev[[nm]], collapse = ", "), ")", call. = FALSE)
    }
  }
  # The fit's levels are imposed here rather than through model.frame(xlev =),
  # which warns when newdata holds a factor's codes as numbers.
  mf <- stats::model.frame(terms, newdata, na.action = stats::na.pass)
  for (nm in intersect(names(xlev), names(mf)))
    mf[[nm]] <- factor(as.character(mf[[nm]]), levels = xlev[[nm]])
  mf
}

# Stratum codes of new rows, matched to the fit's strata levels.
cox_new_strata <- function(fit, mf, levels) {
  sp_s <- survival::untangle.specials(fit$terms, "strata", 1)
  if (!length(sp_s$vars)) return(NULL)
  if (!all(sp_s$vars %in% names(mf))) return(NULL)
  s <- if (length(sp_s$vars) == 1L) mf[[sp_s$vars]]
       else survival::strata(mf[, sp_s$vars], shortlabel = TRUE)
  s <- as.character(s)
  code <- match(s, levels)
  bad <- which(is.na(code))
  if (length(bad))
    stop("`newdata`: the stratum \"", s[bad[1L]], "\" in row ", bad[1L],
         " is not a stratum of the fit (", paste(levels, collapse = ", "), ")", call. = FALSE)
  code
}

# ---- baseline hazard --------------------------------------------------------

# The core's per-slot hazard pieces, split by stratum, with the covariate
# part centred at the fit's means (the centring of the linear predictor).
cox_hazard_table <- function(fit, d = cox_model_data(fit)) {
  h <- cox_call_core(ffi_cox_hazard, d)
  means <- ifelse(is.na(object_means <- fit$means), 0, object_means)
  if (length(means)) h$xhaz <- h$xhaz - outer(h$haz, means)
  h
}

# Cumulative sums within strata of the slot table.
cum_by <- function(x, g) {
  if (is.matrix(x)) {
    if (!ncol(x)) return(x)
    out <- apply(x, 2L, function(col) stats::ave(col, g, FUN = cumsum))
    matrix(out, nrow(x))
  } else stats::ave(x, g, FUN = cumsum)
}

#' Cumulative baseline hazard of a Cox model
#'
#' The cumulative hazard of the fitted model at every distinct time of each
#' stratum, as [survival::basehaz()] gives it. netsurv's own function of the
#' same name (survival's `basehaz()` works on `coxph` fits only); with
#' survival attached after netsurv, call it as `netsurv::basehaz()`.
#' @param fit a fit from [cox()].
#' @param centered `TRUE`: the hazard of a subject with the mean covariates
#'   (`fit$means`); `FALSE`: of a subject with all covariates 0.
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
  d <- cox_model_data(fit, need_x = FALSE)
  d$x <- matrix(0, length(d$time), 0L)
  h <- .Call(ffi_cox_hazard, d$x, d$time, d$start, d$status, d$weights, d$eta, d$stratum,
             d$ties)
  cumhaz <- cum_by(h$haz, h$stratum)
  if (!centered) {
    coef <- ifelse(is.na(fit$coefficients), 0, fit$coefficients)
    cumhaz <- cumhaz * exp(-sum(coef * fit$means))
  }
  out <- data.frame(hazard = cumhaz, time = h$time)
  if (!is.null(d$strata)) out$strata <- factor(levels(d$strata)[h$stratum + 1L],
                                               levels = levels(d$strata))
  out
}

# ---- predictions ------------------------------------------------------------

#' Predictions from a Cox model
#'
#' As [survival::predict.coxph()]: the linear predictor, the risk score
#' `exp(lp)`, the expected number of events given each row's follow-up, or
#' the survival probability `exp(-expected)`, with standard errors.
#' @param object a fit from [cox()].
#' @param newdata optional data frame; by default the fit's data. For
#'   `"expected"` and `"survival"` it needs the response's columns, and for a
#'   stratified fit the strata variables.
#' @param type `"lp"`, `"risk"`, `"expected"` or `"survival"`.
#' @param se.fit also return standard errors.
#' @param reference centring of the linear predictor: `"strata"` (the
#'   stratum's covariate means, for stratified fits), `"sample"` (the overall
#'   means) or `"zero"` (no centring).
#' @param collapse optional grouping of the rows: predictions summed within
#'   groups (standard errors combined as sqrt of sums of squares).
#' @param ... unused.
#' @return A vector of predictions, or with `se.fit = TRUE` a list with
#'   `fit` and `se.fit`.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' predict(fit, newdata = data.frame(age = c(50, 70), sex = 1), type = "risk",
#'         se.fit = TRUE)
#' head(predict(fit, type = "expected"))
#' @export
predict.netsurv_cox <- function(object, newdata, type = c("lp", "risk", "expected", "survival"),
                                se.fit = FALSE, reference = c("strata", "sample", "zero"),
                                collapse, ...) {
  type <- match_choice(type, c("lp", "risk", "expected", "survival"), "type")
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
    mf2 <- cox_new_frame(fit, newdata, response = type %in% c("expected", "survival"))
    newx <- cox_x_from_frame(fit, mf2, cox_x_terms(stats::delete.response(stats::terms(mf2))))
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
        w <- if (is.null(d$weights)) rep(1, nrow(d$x)) else d$weights
        xm <- rowsum(d$x * w, as.integer(d$strata)) / c(rowsum(w, as.integer(d$strata)))
        xm <- xm[match(st, as.integer(rownames(xm))), , drop = FALSE]
        X <- X - xm
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
    h <- cox_hazard_table(fit, d)
    g <- h$stratum
    chaz <- cum_by(h$haz, g)
    varh <- cum_by(h$varhaz, g)
    xbar <- cum_by(h$xhaz, g)
    # Values of the cumulative sums at the last slot at or before t in stratum s.
    at <- function(s, t) {
      idx <- integer(length(t))
      for (k in unique(s)) {
        rows_k <- which(s == k)
        slots <- which(g == k)
        j <- findInterval(t[rows_k], h$time[slots])
        idx[rows_k] <- ifelse(j > 0, slots[pmax(j, 1L)], 0L)
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
      dt <- pick(chaz, idx) * x - pickm(xbar, idx)
      pick(varh, idx) + rowSums((dt %*% V) * dt)
    }
    if (have_new) {
      y2 <- unclass(stats::model.response(mf2))
      if ((ncol(y2) == 3L) != counting)
        stop("`newdata`: its response has a different survival type than the fit's",
             call. = FALSE)
      s2 <- if (has_strata) newstrat - 1L else rep(0L, nrow(y2))
      xn <- newx - rep(means, each = nrow(newx))
      nrisk <- exp(drop(xn %*% coef) + newoff - mean(train_offset))
      t_stop <- y2[, if (counting) 2L else 1L]
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
#' @param newdata optional data frame of covariate profiles.
#' @param conf.int level of the pointwise confidence intervals.
#' @param conf.type `"log"` (default), `"log-log"`, `"plain"` or `"none"`.
#' @return An object of class `c("netsurv_coxcurve", "netsurv_curve")`.
#' @references Therneau & Grambsch (2000), Modeling Survival Data, section 10.2.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' cc <- cox_curve(fit, newdata = data.frame(age = 60, sex = 1:2))
#' head(cc$surv)
#' @export
cox_curve <- function(fit, newdata, conf.int = 0.95, conf.type = "log") {
  if (!inherits(fit, "netsurv_cox")) stop("`fit` must be a fit from cox()", call. = FALSE)
  if (!is.numeric(conf.int) || length(conf.int) != 1L || is.na(conf.int) ||
      conf.int <= 0 || conf.int >= 1)
    stop("`conf.int` must be a single number between 0 and 1", call. = FALSE)
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
    noff <- 0
    labels <- NULL
  } else {
    mf2 <- cox_new_frame(fit, newdata)
    newx <- cox_x_from_frame(fit, mf2, cox_x_terms(stats::terms(mf2)))
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
  h <- cox_hazard_table(fit, d)
  g <- h$stratum
  H0 <- cum_by(h$haz, g)
  varh <- cum_by(h$varhaz, g)
  xbar <- cum_by(h$xhaz, g)
  # Per profile: cumhaz = r H0; var = r^2 (varh + d' V d), d = H0 x - xbar.
  one <- function(rows, k) {
    dt <- outer(H0[rows], xn[k, ]) - xbar[rows, , drop = FALSE]
    v <- varh[rows] + rowSums((dt %*% V) * dt)
    list(cumhaz = H0[rows] * nrisk[k], se = sqrt(v) * nrisk[k])
  }
  slot_rows <- split(seq_along(g), factor(g, levels = sort(unique(g))))
  strata_levels <- if (!is.null(d$strata)) levels(d$strata)
  ncurve <- length(nrisk)
  if (!is.null(newstrat)) {
    # one curve per row, in its own stratum
    pieces <- lapply(seq_len(ncurve), function(k) {
      rows <- slot_rows[[as.character(newstrat[k] - 1L)]]
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
  ci <- curve_confint(surv, se, conf.int, conf.type)
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

# survfit's pointwise intervals, std.err being the standard error of the
# cumulative hazard (log survival).
curve_confint <- function(surv, se, level, type) {
  z <- stats::qnorm(1 - (1 - level) / 2)
  keep_dim <- function(v) { if (is.matrix(surv)) dim(v) <- dim(surv); v }
  switch(type,
    none = list(),
    plain = {
      t <- z * se * surv
      list(lower = keep_dim(pmax(surv - t, 0)), upper = keep_dim(pmin(surv + t, 1)))
    },
    log = {
      lo <- ifelse(surv == 0, NA, exp(log(surv) - z * se))
      hi <- ifelse(surv == 0, NA, pmin(exp(log(surv) + z * se), 1))
      list(lower = keep_dim(lo), upper = keep_dim(hi))
    },
    `log-log` = {
      xx <- ifelse(surv == 0 | surv == 1, NA, surv)
      t1 <- log(-log(xx))
      t2 <- z * se / log(xx)
      lo <- ifelse(surv == 0, 0, ifelse(surv == 1, 1, exp(-exp(t1 - t2))))
      hi <- ifelse(surv == 0, 0, ifelse(surv == 1, 1, exp(-exp(t1 + t2))))
      list(lower = keep_dim(lo), upper = keep_dim(hi))
    })
}

# ---- proportional hazards test ----------------------------------------------

# Kaplan-Meier of all rows (no weights, no strata), as cox.zph's "km"
# transform uses: survival just after each distinct stop time.
km_transform <- function(time, start, status) {
  ut <- sort(unique(time))
  ev <- tabulate(match(time[status == 1], ut), length(ut))
  st <- sort(time)
  nrisk <- length(time) - findInterval(ut, st, left.open = TRUE)
  if (!is.null(start))
    nrisk <- nrisk - (length(start) - findInterval(ut, sort(start), left.open = TRUE))
  surv <- cumprod(1 - ev / nrisk)
  1 - c(1, surv)[findInterval(time, ut, left.open = TRUE) + 1L]
}

#' Test the proportional-hazards assumption of a Cox model
#'
#' The score test of [survival::cox.zph()] (its version 3): for each term,
#' and globally, the test that the coefficient does not change with a
#' transform of time, i.e. that the term's interaction with g(t) adds
#' nothing, evaluated at the fitted coefficients. Also returns the scaled
#' Schoenfeld residuals for plotting.
#' @param fit a fit from [cox()].
#' @param transform the time transform g: `"km"` (1 - the Kaplan-Meier
#'   estimate), `"rank"`, `"identity"` or `"log"`.
#' @param terms `TRUE`: one test per model term (a factor's columns
#'   together); `FALSE`: one per coefficient.
#' @param global add the global test.
#' @return An object of class `netsurv_zph` with `table` (chisq, df, p per
#'   term and GLOBAL), `x` (transformed event times), `time`, `y` (scaled
#'   Schoenfeld residuals), `var`, `transform`, `strata` and `call`.
#' @references Grambsch PM, Therneau TM (1994). Proportional hazards tests
#'   and diagnostics based on weighted residuals. Biometrika 81.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' zp <- cox_zph(fit)
#' zp
#' plot(zp, resid = FALSE)
#' @export
cox_zph <- function(fit, transform = c("km", "rank", "identity", "log"), terms = TRUE,
                    global = TRUE) {
  if (!inherits(fit, "netsurv_cox")) stop("`fit` must be a fit from cox()", call. = FALSE)
  transform <- match_choice(transform, c("km", "rank", "identity", "log"), "transform")
  call <- match.call()
  d <- cox_model_data(fit)
  coef <- fit$coefficients
  nvar <- length(coef)
  if (nvar == 0L) stop("`fit` has no coefficients to test", call. = FALSE)
  asgn <- if (terms) fit$assign else stats::setNames(as.list(seq_len(nvar)), names(coef))
  keep <- !is.na(coef)
  X <- d$x
  if (!all(keep)) {
    new <- unname(unlist(asgn))[keep]
    asgn <- lapply(asgn, function(a) { i <- match(a, new, nomatch = 0L); i[i > 0L] })
    asgn <- asgn[lengths(asgn) > 0L]
    X <- X[, keep, drop = FALSE]
    coef <- coef[keep]
    nvar <- sum(keep)
  }
  d$x <- X
  times <- d$time
  event <- d$status == 1L
  ttimes <- switch(transform, identity = times, rank = rank(times), log = log(times),
                   km = km_transform(times, d$start, d$status))
  gtime <- ttimes - mean(ttimes[event])
  nstrat <- if (is.null(d$strata)) 1L else nlevels(d$strata)
  res <- cox_call_core(ffi_cox_zph, d, as.double(gtime), as.integer(nstrat))
  nterm <- length(asgn)
  test <- double(nterm + 1L)
  df <- rep(1L, nterm + 1L)
  imatr <- res$imat
  u0 <- rep(0, nvar)
  for (i in seq_len(nterm)) {
    jj <- asgn[[i]]
    kk <- c(seq_len(nvar), jj + nvar)
    u <- c(u0, res$u[jj + nvar])
    test[i] <- drop(solve(imatr[kk, kk], u) %*% u)
    df[i] <- length(jj)
  }
  u <- c(u0, res$u[-seq_len(nvar)])
  test[nterm + 1L] <- drop(solve(imatr, u) %*% u)
  df[nterm + 1L] <- nvar
  tbl <- cbind(chisq = test, df = df, p = stats::pchisq(test, df, lower.tail = FALSE))
  rownames(tbl) <- c(names(asgn), "GLOBAL")
  if (!global) tbl <- tbl[seq_len(nterm), , drop = FALSE]

  # Event order of the core: (stratum, time, input row).
  ev <- which(event)
  s0 <- if (is.null(d$stratum)) integer(length(times)) else d$stratum
  ord <- ev[order(s0[ev], times[ev])]
  sresid <- res$schoen
  if (!is.null(d$start)) {
    # cox.zph lists the events of (start, stop] data with tied times in
    # reverse row order; follow it.
    ord2 <- rev(ev[order(-s0[ev], -times[ev])])
    sresid <- sresid[match(ord2, ord), , drop = FALSE]
    ord <- ord2
  }
  used <- res$used
  for (i in asgn)
    if (length(i) > 1L && any(used[, i] == 0)) used[, i] <- apply(used[, i, drop = FALSE], 1L, max)
  wtmat <- matrix(0, nvar, nvar)
  for (i in seq_len(nrow(used))) wtmat <- wtmat + outer(used[i, ], used[i, ], pmin)
  vmean <- imatr[seq_len(nvar), seq_len(nvar), drop = FALSE] / ifelse(wtmat == 0, 1, wtmat)
  if (terms && any(lengths(asgn) > 1L)) {
    tm <- matrix(0, nvar, nterm)
    for (i in seq_len(nterm)) {
      j <- asgn[[i]]
      tm[j, i] <- if (length(j) == 1L) 1 else coef[j]
    }
    sresid <- sresid %*% tm
    vmean <- t(tm) %*% vmean %*% tm
    used <- used[, vapply(asgn, function(x) x[1L], 1L), drop = FALSE]
  }
  dimnames(sresid) <- list(signif(times[ord], 4), names(asgn))
  sgrp <- rep(seq_len(nrow(used)), apply(used, 1L, max))
  for (i in seq_len(nrow(used))) {
    k <- which(used[i, ] > 0)
    if (length(k)) {
      j <- which(sgrp == i)
      sresid[j, k] <- if (length(k) == 1L) sresid[j, k] / vmean[k, k]
                      else t(solve(vmean[k, k], t(sresid[j, k, drop = FALSE])))
      sresid[j, -k] <- NA
    }
  }
  for (i in seq_len(nterm)) {
    j <- asgn[[i]]
    sresid[, i] <- sresid[, i] + if (length(j) == 1L) coef[j] else 1
  }
  out <- list(table = tbl, x = unname(ttimes[ord]), time = unname(times[ord]))
  if (!is.null(d$strata)) out$strata <- d$strata[ord]
  out$y <- sresid
  out$var <- solve(vmean)
  out$transform <- transform
  out$call <- call
  class(out) <- "netsurv_zph"
  out
}

#' @rdname cox_zph
#' @param x a `netsurv_zph` object.
#' @param digits significant digits.
#' @param ... unused (print) or passed to [graphics::plot()].
#' @export
print.netsurv_zph <- function(x, digits = max(options()$digits - 4, 3), ...) {
  print(signif(x$table, digits))
  invisible(x)
}

#' @rdname cox_zph
#' @param resid draw the residuals as points.
#' @param se draw the confidence band of the smooth.
#' @param df degrees of freedom of the natural-spline smooth.
#' @param nsmo number of points on which the smooth is drawn.
#' @param var which terms to plot (names or numbers); default all.
#' @export
plot.netsurv_zph <- function(x, resid = TRUE, se = TRUE, df = 4, nsmo = 40, var, ...) {
  xx <- x$x
  yy <- x$y
  nvar <- ncol(yy)
  if (missing(var)) var <- seq_len(nvar)
  else if (is.character(var)) var <- match(var, colnames(yy))
  if (anyNA(var) || any(var < 1 | var > nvar))
    stop("`var` must name or number terms of the test", call. = FALSE)
  df <- max(df)
  pred.x <- seq(from = min(xx), to = max(xx), length.out = nsmo)
  lmat <- splines::ns(c(pred.x, xx), df = df, intercept = TRUE)
  pmat <- lmat[seq_len(nsmo), , drop = FALSE]
  xmat <- lmat[-seq_len(nsmo), , drop = FALSE]
  qmat <- qr(xmat)
  if (qmat$rank < df) stop("`df`: the spline fit is singular; try a smaller df", call. = FALSE)
  z <- stats::qnorm(0.975)
  xlab <- switch(x$transform, log = "Time (log scale)", rank = "Rank of time",
                 identity = "Time", km = "1 - KM(time)", "Time")
  for (i in var) {
    y <- yy[, i]
    ok <- !is.na(y)
    yhat <- drop(pmat %*% qr.coef(qmat, replace(y, !ok, 0)))
    if (se) {
      bk <- backsolve(qmat$qr[seq_len(df), seq_len(df), drop = FALSE], diag(df))
      xtx <- bk %*% t(bk)
      seval <- rowSums((pmat %*% xtx) * pmat)
      temp <- z * sqrt(x$var[i, i] * seval)
      yr <- range(yhat - temp, yhat + temp, if (resid) y[ok])
    } else {
      yr <- range(yhat, if (resid) y[ok])
    }
    graphics::plot(range(xx), yr, type = "n", xlab = xlab,
                   ylab = paste("Beta(t) for", colnames(yy)[i]), ...)
    if (resid) graphics::points(xx[ok], y[ok])
    graphics::lines(pred.x, yhat)
    if (se) {
      graphics::lines(pred.x, yhat + temp, lty = 2)
      graphics::lines(pred.x, yhat - temp, lty = 2)
    }
  }
  invisible(x)
}

# ---- likelihood-ratio tables ------------------------------------------------

#' Analysis of deviance for Cox models
#'
#' As [survival::anova.coxph()]: with one fit, the sequential
#' likelihood-ratio tests of adding each term in turn (the smaller models
#' are refitted with [cox()]); with several nested fits on the same rows,
#' the likelihood-ratio test between consecutive fits.
#' @param object a fit from [cox()].
#' @param ... further fits from [cox()].
#' @param test only `"Chisq"` is available.
#' @return A data frame of class `c("anova", "data.frame")` with
#'   `loglik`, `Chisq`, `Df`, `Pr(>|Chi|)`.
#' @examples
#' lung <- na.omit(survival::lung[, c("time", "status", "age", "sex", "ph.ecog")])
#' fit1 <- cox(Surv(time, status) ~ age, data = lung)
#' fit2 <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
#' anova(fit1, fit2)
#' anova(fit2)
#' @export
anova.netsurv_cox <- function(object, ..., test = "Chisq") {
  if (!identical(test, "Chisq")) stop("`test`: only \"Chisq\" is available", call. = FALSE)
  dots <- list(...)
  fits <- c(list(object), dots)
  if (!all(vapply(fits, inherits, TRUE, "netsurv_cox")))
    stop("every model given to anova() must be a fit from cox()", call. = FALSE)
  if (length(fits) > 1L) {
    ns <- vapply(fits, function(f) f$n, 1)
    if (any(ns != ns[1L]))
      stop("the models were not all fitted to the same number of rows (",
           paste(ns, collapse = ", "), ")", call. = FALSE)
    ll <- vapply(fits, function(f) f$loglik[2L], 1)
    dfs <- vapply(fits, cox_df, 1)
    chisq <- c(NA, abs(2 * diff(ll)))
    ddf <- c(NA, abs(diff(dfs)))
    tab <- data.frame(loglik = ll, Chisq = chisq, Df = ddf,
                      `Pr(>|Chi|)` = stats::pchisq(chisq, ddf, lower.tail = FALSE),
                      check.names = FALSE)
    forms <- vapply(fits, function(f) paste(deparse(stats::formula(f$terms)[[3L]]),
                                            collapse = " "), "")
    row.names(tab) <- seq_along(fits)
    title <- paste0("Analysis of Deviance Table\n Cox model: response is ",
                    deparse(object$terms[[2L]]), "\n",
                    paste0(" Model ", seq_along(fits), ": ~ ", forms, collapse = "\n"))
    return(structure(tab, heading = title, class = c("anova", "data.frame")))
  }
  # Sequential: refit with the first k terms (the strata, cluster and offset
  # specials stay in every model), on the same rows.
  terms <- object$terms
  specials <- unlist(attr(terms, "specials")[c("strata", "cluster")])
  labels <- attr(terms, "term.labels")
  sp_terms <- c(survival::untangle.specials(terms, "strata", 1)$terms,
                survival::untangle.specials(terms, "cluster", 1)$terms)
  main <- setdiff(seq_along(labels), sp_terms)
  if (!length(main)) stop("`object` has no terms to test", call. = FALSE)
  d <- cox_model_data(object)
  fr <- if (!is.null(d$frame)) d$frame else cox_model_frame(object)
  mf <- fr$mf
  X <- d$x
  asgn <- object$assign
  ties <- object$method
  ll <- double(length(main) + 1L)
  dfs <- integer(length(main) + 1L)
  strat <- d$stratum
  offset <- object$offset
  # the fit's own control settings, when its call gave them
  control <- if (!is.null(object$call$control))
    tryCatch(eval(object$call$control, environment(object$terms)), error = function(e) NULL)
  if (!inherits(control, "netsurv_cox_control")) control <- cox_control()
  fit_k <- function(cols) {
    core <- cox_core(X = X[, cols, drop = FALSE], time = d$time, start = d$start,
                     status = d$status, weights = d$weights, offset = offset, stratum = strat,
                     center = as.integer(rep(1L, length(cols))), cluster = NULL,
                     n_cluster = 0L, ties = ties, init = NULL, control = control,
                     robust = FALSE, firth = FALSE)
    c(core$loglik[2L], sum(!is.nan(core$coefficients)))
  }
  ll[1L] <- object$loglik[1L]
  lab_main <- labels[main]
  for (k in seq_along(main)) {
    cols <- unlist(asgn[names(asgn) %in% lab_main[seq_len(k)]])
    if (k == length(main)) {
      ll[k + 1L] <- object$loglik[2L]
      dfs[k + 1L] <- cox_df(object)
    } else {
      r <- fit_k(cols)
      ll[k + 1L] <- r[1L]
      dfs[k + 1L] <- r[2L]
    }
  }
  chisq <- c(NA, 2 * diff(ll))
  ddf <- c(NA, diff(dfs))
  tab <- data.frame(loglik = ll, Chisq = chisq, Df = ddf,
                    `Pr(>|Chi|)` = stats::pchisq(chisq, ddf, lower.tail = FALSE),
                    check.names = FALSE)
  row.names(tab) <- c("NULL", lab_main)
  title <- paste0("Analysis of Deviance Table\n Cox model: response is ",
                  deparse(terms[[2L]]), "\nTerms added sequentially (first to last)\n")
  structure(tab, heading = title, class = c("anova", "data.frame"))
}
