# cox-model-data.R -- what the diagnostics of a fitted cox() model share: the
# fit's model frame and design rebuilt from its call, newdata frames and
# strata, the core's per-time hazard table, and the call into the core.
# The numbers come from src/core/cox_resid.c (ns_cox_hazard,
# ns_cox_residuals, ns_cox_zph); the files cox-residuals.R, cox-predict.R,
# cox-curve.R, cox-zph.R and cox-anova.R shape them as survival's
# residuals.coxph, predict.coxph, survfit.coxph and basehaz, cox.zph and
# anova.coxph do.

# The generics of the S3 methods below live in stats.
#' @importFrom stats residuals predict anova
NULL

# ---- the fit's data ---------------------------------------------------------

# The model frame of a fit, rebuilt from its call in the formula's
# environment (as model.frame.coxph does).
cox_model_frame <- function(fit) {
  if (inherits(fit, "netsurv_cox_tt")) refuse_tt_fit() # R/cox-tt.R
  env <- environment(fit$terms)
  if (is.null(env)) env <- parent.frame(2L)
  call <- fit$call
  # The fit's own formula, so that a formula passed by name still works.
  call$formula <- stats::formula(fit$terms)
  fr <- survival_frame(call, env, specials = c("strata", "cluster"), extra = c("id", "cluster"))
  if (nrow(fr$mf) != length(fit$residuals))
    stop("the data of the fit have changed: they give ", nrow(fr$mf), " rows where the fit had ",
         length(fit$residuals), call. = FALSE)
  fr
}

# ---- terms and design: one builder for cox() and the diagnostics -----------

# `terms` without the terms at positions `drop` (and without the response
# when `response = FALSE`), keeping what `[.terms` loses: the offset() terms,
# the specials, the environment, and the predvars and dataClasses of the
# variables that remain (so that ns(), poly() and friends are evaluated on
# new data with the fit's bases). `[.terms` drops the offsets, and keeps
# predvars that then no longer match the variables ("number of variables !=
# number of variable names" in model.frame()).
cox_drop_terms <- function(terms, drop = integer(), response = TRUE) {
  labels <- attr(terms, "term.labels")
  if (length(drop)) labels <- labels[-drop]
  vars <- as.list(attr(terms, "variables"))[-1L]
  vnames <- vapply(vars, deparse1, "")
  offs <- vnames[attr(terms, "offset")]
  has_y <- response && isTRUE(attr(terms, "response") == 1L)
  rhs <- c(labels, offs)
  f <- stats::reformulate(if (length(rhs)) rhs else "1", response = if (has_y) terms[[2L]],
                          intercept = attr(terms, "intercept") == 1L,
                          env = environment(terms))
  out <- stats::terms(f, specials = names(attr(terms, "specials")))
  idx <- match(vapply(as.list(attr(out, "variables"))[-1L], deparse1, ""), vnames)
  if (!anyNA(idx)) {
    pv <- attr(terms, "predvars")
    if (!is.null(pv)) attr(out, "predvars") <- pv[c(1L, idx + 1L)]
    dc <- attr(terms, "dataClasses")
    if (!is.null(dc) && all(vnames[idx] %in% names(dc))) attr(out, "dataClasses") <- dc[vnames[idx]]
  }
  out
}

# The positions of the terms that do not make design columns: cluster()
# terms, and strata() terms unless they take part in an interaction (then,
# as in coxph, only the strata's main-effect columns leave the design).
cox_nondesign_terms <- function(terms) {
  sp_s <- survival::untangle.specials(terms, "strata", 1)
  sp_c <- survival::untangle.specials(terms, "cluster", 1)
  c(sp_c$terms, if (!cox_strata_interact(terms)) sp_s$terms)
}

cox_strata_interact <- function(terms) {
  sp_s <- survival::untangle.specials(terms, "strata", 1)
  factors <- attr(terms, "factors")
  for (v in sp_s$vars)
    if (any(attr(terms, "order")[factors[v, ] > 0] > 1)) return(TRUE)
  FALSE
}

# The terms that make the design matrix (no response, no cluster, strata
# only inside interactions).
cox_x_terms <- function(terms) cox_drop_terms(terms, cox_nondesign_terms(terms), response = FALSE)

# The design of a Cox model from its terms and a model frame: the columns of
# model.matrix() with the intercept (and the main effects of interacting
# strata) removed. As in coxph, the design is built with an intercept, so
# `~ f - 1` codes a factor by contrasts. Returns the matrix X, `assign` (for
# each column, the position of its term in `terms`) and the contrasts.
cox_design <- function(terms, mf, contrasts = NULL) {
  drop <- cox_nondesign_terms(terms)
  t2 <- cox_drop_terms(terms, drop, response = FALSE)
  attr(t2, "intercept") <- 1L
  fast <- cox_numeric_design(t2, terms, mf)
  if (!is.null(fast)) return(fast)
  X <- stats::model.matrix(t2, mf, contrasts.arg = contrasts)
  # model.matrix numbers the terms of t2; map them back to `terms`.
  pos <- match(attr(t2, "term.labels"), attr(terms, "term.labels"))
  asgn <- c(0L, pos)[attr(X, "assign") + 1L]
  xdrop <- asgn == 0L
  sp_s <- survival::untangle.specials(terms, "strata", 1)
  if (length(sp_s$terms)) xdrop <- xdrop | asgn %in% sp_s$terms
  list(X = X, assign = asgn, keep = !xdrop, contrasts = attr(X, "contrasts"))
}

# cox_design() when every term of t2 is a plain numeric column of mf (no
# factor, logical, matrix or classed column, no interaction): the columns
# bound into one matrix, which is what model.matrix() gives without its
# intercept column (which cox() drops) -- one n x p allocation instead of
# model.matrix's n x (p + 1) and its row names built as strings. The row
# names are the frame's, as model.matrix() gives them. NULL otherwise.
cox_numeric_design <- function(t2, terms, mf) {
  labels <- attr(t2, "term.labels")
  if (!length(labels) || any(attr(t2, "order") != 1L) || !all(labels %in% names(mf)))
    return(NULL)
  cols <- lapply(labels, function(l) mf[[l]])
  plain <- vapply(cols, function(x) (is.double(x) || is.integer(x)) && is.null(attributes(x)),
                  logical(1))
  if (!all(plain)) return(NULL)
  X <- unlist(cols, use.names = FALSE)
  if (!is.double(X)) X <- as.double(X)
  dim(X) <- c(nrow(mf), length(labels))
  dimnames(X) <- list(row.names(mf), labels)
  list(X = X, assign = match(labels, attr(terms, "term.labels")),
       keep = rep(TRUE, length(labels)), contrasts = NULL)
}

# The design matrix of the fit's coefficients from a model frame.
cox_x_from_frame <- function(fit, mf, terms = fit$terms) {
  X <- cox_design(terms, mf, fit$contrasts)$X
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
  if (inherits(fit, "netsurv_cox_tt")) refuse_tt_fit() # R/cox-tt.R
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

# ---- new data ---------------------------------------------------------------

# The survival times of the response of `terms` evaluated on newdata (as
# predict(type = "expected") needs them: the status is not used, so it may
# be NA or absent). Returns a matrix with 1 (time) or 2 (start, stop)
# columns, or NULL when the response is not a Surv() call whose arguments
# can be told apart (then the caller evaluates the whole response).
cox_response_exprs <- function(terms) {
  lhs <- if (isTRUE(attr(terms, "response") == 1L)) terms[[2L]]
  if (!is.call(lhs)) return(NULL)
  f <- lhs[[1L]]
  is_surv <- identical(f, quote(Surv)) || identical(f, quote(survival::Surv))
  if (!is_surv) return(NULL)
  cl <- tryCatch(match.call(survival::Surv, lhs), error = function(e) NULL)
  if (is.null(cl) || !is.null(cl$type) || !is.null(cl$origin)) return(NULL)
  if (!is.null(cl$event)) {
    times <- if (!is.null(cl$time2)) list(cl$time, cl$time2) else list(cl$time)
    status <- cl$event
  } else {
    times <- list(cl$time)
    status <- cl$time2
  }
  list(times = times, status = status)
}

# The columns of the fit's data (evaluated again from the call), or NULL
# when the data cannot be found.
cox_data_names <- function(fit) {
  if (is.null(fit$call$data)) return(NULL)
  env <- environment(fit$terms)
  if (is.null(env)) env <- globalenv()
  tryCatch(names(eval(fit$call$data, env)), error = function(e) NULL)
}

# The model frame of newdata for the covariates (and, with `times`, the
# response's time columns as attribute "times"). Variables are looked up in
# newdata, then in the formula's environment (as model.frame() and
# survival's predict.coxph do, so that `offset(x * fit1$coefficients[2])`
# finds fit1), except that a column of the fit's own data must be in
# newdata. Errors name the column for a missing covariate, a missing value,
# or a factor level the fit has not seen. The status is never needed.
cox_new_frame <- function(fit, newdata, times = FALSE) {
  if (!is.data.frame(newdata)) stop("`newdata` must be a data frame", call. = FALSE)
  terms <- fit$terms
  env <- environment(terms)
  if (is.null(env)) env <- globalenv()
  drop <- survival::untangle.specials(terms, "cluster", 1)$terms
  # The strata variables are optional: without them a curve is drawn in
  # every stratum (unless the strata interact with covariates).
  sp_s <- survival::untangle.specials(terms, "strata", 1)
  if (length(sp_s$terms) && !cox_strata_interact(terms) &&
      !all(all.vars(str2lang(paste(sp_s$vars, collapse = "+"))) %in% names(newdata)))
    drop <- c(drop, sp_s$terms)
  xterms <- cox_drop_terms(terms, drop, response = FALSE)
  resp <- if (times) cox_response_exprs(terms)
  if (times && is.null(resp))
    xterms <- cox_drop_terms(terms, drop, response = TRUE)
  vars <- all.vars(stats::formula(xterms))
  if (!is.null(resp)) vars <- union(vars, unlist(lapply(resp$times, all.vars)))
  data_cols <- NULL
  for (v in setdiff(vars, names(newdata))) {
    if (is.null(data_cols)) data_cols <- c(cox_data_names(fit), "")
    if (v %in% data_cols || !exists(v, envir = env))
      stop("`newdata` lacks the column `", v, "` that the model uses", call. = FALSE)
  }
  for (v in intersect(vars, names(newdata))) {
    bad <- which(is.na(newdata[[v]]))
    if (length(bad))
      stop("`newdata`: column `", v, "` is missing (NA) in row ",
           row.names(newdata)[bad[1L]], call. = FALSE)
  }
  # The fit's levels are imposed here rather than through model.frame(xlev =),
  # which warns when newdata holds a factor's codes as numbers.
  mf <- stats::model.frame(xterms, newdata, na.action = stats::na.pass)
  xlev <- fit$xlevels
  for (nm in intersect(names(xlev), names(mf))) {
    val <- as.character(mf[[nm]])
    bad <- which(!val %in% xlev[[nm]])
    if (length(bad)) {
      col <- all.vars(str2lang(nm))
      col <- if (length(col)) col[1L] else nm
      stop("`newdata`: column `", col, "` has the level \"", val[bad[1L]], "\" in row ",
           row.names(newdata)[bad[1L]], " that the fit did not see (levels: ",
           paste(xlev[[nm]], collapse = ", "), ")", call. = FALSE)
    }
    mf[[nm]] <- factor(val, levels = xlev[[nm]])
  }
  if (times) {
    tm <- if (!is.null(resp)) {
      do.call(cbind, lapply(resp$times, function(e) as.double(eval(e, newdata, env))))
    } else {
      y <- unclass(stats::model.response(mf))
      if (!is.matrix(y)) stop("`newdata`: the response is not a survival object", call. = FALSE)
      y[, -ncol(y), drop = FALSE]
    }
    bad <- which(!is.finite(tm), arr.ind = TRUE)
    if (length(bad))
      stop("`newdata`: the ", if (ncol(tm) == 2L && bad[1L, 2L] == 1L) "start " else "",
           "time in row ", row.names(newdata)[bad[1L, 1L]], " is ", format(tm[bad[1L, 1L], bad[1L, 2L]]),
           "; times must be finite", call. = FALSE)
    attr(mf, "times") <- tm
  }
  mf
}

# Stratum codes (1-based) of the rows of a model frame, matched to the fit's
# strata levels: NULL when the frame lacks the strata variables.
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

# The core's hazard pieces per time point (every distinct stop time of a
# stratum; ns_cox_hazard), with the covariate
# part centred at the fit's means (the centring of the linear predictor).
cox_hazard_table <- function(fit, d = cox_model_data(fit)) {
  d$eta <- cox_curve_eta(fit, d)
  h <- cox_call_core(ffi_cox_hazard, d)
  means <- ifelse(is.na(object_means <- fit$means), 0, object_means)
  if (length(means)) h$xhaz <- h$xhaz - outer(h$haz, means)
  h
}

# The linear predictor the hazard and the curves use: the fit's, except
# when a coefficient is NA (aliased, or dropped after it diverged): the
# fit's linear predictor still holds that column's last value (as coxph's
# does), while the curves take the coefficient as 0, as survfit.coxph does
# (it recomputes X beta with NA as 0). Needs d$x in that case.
cox_curve_eta <- function(fit, d) {
  coef <- fit$coefficients
  if (!anyNA(coef)) return(d$eta)
  x <- d$x
  if (is.null(x)) x <- cox_model_data(fit)$x
  b <- ifelse(is.na(coef), 0, coef)
  m <- ifelse(is.na(fit$means), 0, fit$means)
  off <- if (!is.null(fit$offset)) fit$offset else 0
  as.double(drop(x %*% b) - sum(b * m) + off)
}

# Cumulative sums within strata of the time points' table.
cum_by <- function(x, g) {
  if (is.matrix(x)) {
    if (!ncol(x)) return(x)
    out <- apply(x, 2L, function(col) stats::ave(col, g, FUN = cumsum))
    matrix(out, nrow(x))
  } else stats::ave(x, g, FUN = cumsum)
}

# The hazard table with its sums over the time points within each stratum:
# the cumulative baseline hazard (chaz), its variance term (varh) and the
# hazard-weighted covariate means (xbar), for the model-based curves and
# predict()'s expected events.
cox_cum_hazard <- function(fit, d) {
  h <- cox_hazard_table(fit, d)
  h$chaz <- cum_by(h$haz, h$stratum)
  h$varh <- cum_by(h$varhaz, h$stratum)
  h$xbar <- cum_by(h$xhaz, h$stratum)
  h
}
