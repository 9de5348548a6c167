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
  attr(terms, "intercept") <- 1L # as in cox(): `- 1` does not change the coding
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

# Cumulative sums within strata of the slot table.
cum_by <- function(x, g) {
  if (is.matrix(x)) {
    if (!ncol(x)) return(x)
    out <- apply(x, 2L, function(col) stats::ave(col, g, FUN = cumsum))
    matrix(out, nrow(x))
  } else stats::ave(x, g, FUN = cumsum)
}
