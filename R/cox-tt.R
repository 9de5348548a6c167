# cox-tt.R -- time-transformed covariates, tt() terms of cox() (coxph's tt
# argument).
#
# A tt(x) term enters the partial likelihood at each event time t as
# f(x, t): its value changes with the time at which the risk set is taken.
# As coxph does, the data are expanded so that each risk set is a stratum of
# its own: for every stratum and every distinct event time t (after the time
# fix), the rows at risk at t (start < t <= stop) are copied with the time t,
# status 1 for the rows whose event is at t, and the risk set as stratum;
# f(x, t, riskset, weights) is then an ordinary covariate of those rows, and
# the fit of the expanded data by the C core has the partial likelihood (and
# so the coefficients, variance, log-likelihood, score and tests) of the
# model with the time-varying covariate. Efron's and Breslow's tie rules act
# within a risk set, whose events share their time, as in the original data.
# The expansion holds one row per (event time, row at risk) pair, sum of the
# risk-set sizes: O(n x event times) in the worst case, as in coxph.
#
# cox() calls cox_tt() (its only hook) when the formula has a tt() term or
# `tt` is given; cox_tt() calls cox() again on the expanded data, with the
# formula marked (attribute "netsurv_tt") so that tt() is accepted there and
# evaluates to the transformed values.

# Whether cox() must go through cox_tt(): a tt() term in the formula (not
# one already expanded), or a `tt` argument (which is refused without a
# term).
cox_uses_tt <- function(call, env) {
  if (!is.null(call$tt)) return(TRUE)
  if (is.null(call$formula)) return(FALSE)
  formula <- tryCatch(eval(call$formula, env), error = function(e) NULL)
  if (!inherits(formula, "formula") || length(formula) != 3L) return(FALSE)
  if (isTRUE(attr(formula, "netsurv_tt"))) return(FALSE)
  "tt" %in% called_functions(strip_survival_prefix(formula)[[3L]])
}

# The tt() terms of a formula's right side: the calls themselves, in order.
tt_calls <- function(expr) {
  if (!is.call(expr)) return(list())
  if (identical(expr[[1L]], as.name("tt"))) return(list(expr))
  unlist(lapply(as.list(expr)[-1L], function(e) if (is.call(e)) tt_calls(e)), recursive = FALSE)
}

# coxph's default time transform: O'Brien's rank of x within each risk set,
# (rank - 1/2) / (size + 1/2 - rank).
tt_obrien <- function(x, time, riskset, weights) {
  stats::ave(as.double(x), riskset, FUN = function(v) {
    r <- rank(v)
    (r - 0.5) / (0.5 + length(v) - r)
  })
}

# `tt` as a list of one function per tt() term (coxph's rules: one function
# serves every term).
check_tt_functions <- function(tt, n_terms) {
  if (is.null(tt)) return(rep(list(tt_obrien), n_terms))
  if (is.function(tt)) tt <- list(tt)
  if (!is.list(tt) || !length(tt) || !all(vapply(tt, is.function, logical(1))))
    stop("`tt` must be a function or a list of functions (one per tt() term)", call. = FALSE)
  if (length(tt) == 1L) return(rep(tt, n_terms))
  if (length(tt) != n_terms)
    stop("`tt` has ", length(tt), " functions for ", n_terms, " tt() term(s); give one ",
         "function, or one per term", call. = FALSE)
  tt
}

# The risk sets of each stratum: for every distinct event time t, the rows
# (indices into the fit's rows) with start < t <= stop. Returns the row
# indices, the time and the status of each copy, and its risk set number.
tt_risk_sets <- function(time, start, status, stratum) {
  if (is.null(stratum)) stratum <- rep(1L, length(time))
  index <- at <- list()
  for (s in sort(unique(stratum))) {
    rows <- which(stratum == s)
    ev_times <- sort(unique(time[rows][status[rows] == 1L]))
    if (!length(ev_times)) next
    if (is.null(start)) {
      # the rows at risk at t are a suffix of the rows sorted by time
      o <- rows[order(time[rows])]
      first <- findInterval(ev_times, time[o], left.open = TRUE) + 1L
      size <- length(o) - first + 1L
      index[[length(index) + 1L]] <- o[sequence(size, from = first)]
    } else {
      index[[length(index) + 1L]] <- unlist(lapply(ev_times, function(t)
        rows[start[rows] < t & time[rows] >= t]), use.names = FALSE)
      size <- vapply(ev_times, function(t) sum(start[rows] < t & time[rows] >= t), integer(1))
    }
    at[[length(at) + 1L]] <- rep(ev_times, size)
  }
  index <- unlist(index, use.names = FALSE)
  t <- unlist(at, use.names = FALSE)
  riskset <- cumsum(c(TRUE, diff(t) != 0 | diff(stratum[index]) != 0))
  list(index = index, time = t, status = as.integer(status[index] == 1L & time[index] == t),
       riskset = riskset)
}

# cox() with tt() terms: expand, transform, fit the expanded data.
cox_tt <- function(call, env) {
  if (!is.null(call$data) && is_db_table(eval(call$data, env)))
    stop("`formula`: tt() terms are not supported when `data` is a database table; ",
         "collect() the rows and call cox() on the data frame", call. = FALSE)
  formula <- strip_survival_prefix(eval(call$formula, env))
  terms_tt <- tt_calls(formula[[3L]])
  if (!length(terms_tt))
    stop("`tt` is given but the formula has no tt() term; remove `tt` or write the ",
         "time-transformed covariate as tt(x)", call. = FALSE)
  tt_fun <- check_tt_functions(if (!is.null(call$tt)) eval(call$tt, env), length(terms_tt))
  for (term in terms_tt)
    if (length(term) != 2L)
      stop("`formula`: ", deparse1(term), " must have one argument, as in tt(age)", call. = FALSE)
  if (!is.null(call$firth) && isTRUE(eval(call$firth, env)))
    stop("`firth = TRUE` with tt() terms is not supported by netsurv; fit without firth, ",
         "or split the follow-up with survival::survSplit()", call. = FALSE)
  if (is.null(call$data))
    stop("`data`: a model with tt() terms needs its variables in `data` (its rows are ",
         "copied once per risk set)", call. = FALSE)
  data <- eval(call$data, env)
  if (!is.data.frame(data)) stop("`data` must be a data frame", call. = FALSE)

  # The rows the fit uses (subset, na.action), with tt() as the identity.
  fenv <- new.env(parent = environment(formula) %||% env)
  fenv$tt <- function(x) x
  f1 <- formula
  environment(f1) <- fenv
  attr(f1, "netsurv_tt") <- TRUE
  call1 <- call
  call1$formula <- f1
  call1$tt <- NULL
  fr <- survival_frame(call1, env, specials = c("strata", "cluster"), extra = c("id", "cluster"))
  if (sum(fr$status) == 0)
    stop("`formula`: there are no events (every status is 0); a Cox model needs at least one",
         call. = FALSE)
  keep <- match(row.names(fr$mf), row.names(data))
  strata_sp <- survival::untangle.specials(fr$terms, "strata", 1)
  stratum <- if (length(strata_sp$vars)) as.integer(strata_factor(fr$mf, strata_sp$vars))
  fixed <- time_fix(fr$time, fr$start)
  rs <- tt_risk_sets(fixed[[1L]], fixed[[2L]], fr$status, stratum)

  # The expanded data: the rows of each risk set, with their time, status,
  # risk set, and the per-row arguments as the first frame evaluated them.
  ed <- data[keep[rs$index], , drop = FALSE]
  ed$.netsurv_tt_time <- rs$time
  ed$.netsurv_tt_status <- rs$status
  ed$.netsurv_tt_riskset <- rs$riskset
  weights <- if (!is.null(fr$weights)) fr$weights[rs$index]
  call2 <- call
  for (arg in c("weights", "id", "cluster")) {
    v <- if (arg == "weights") weights else fr$mf[[paste0("(", arg, ")")]]
    if (is.null(v)) next
    column <- paste0(".netsurv_tt_", arg)
    ed[[column]] <- if (arg == "weights") v else v[rs$index]
    call2[[arg]] <- as.name(column)
  }

  # The transformed covariates, evaluated on the expanded rows.
  values <- vector("list", length(terms_tt))
  for (i in seq_along(terms_tt)) {
    x <- eval(terms_tt[[i]][[2L]], ed, environment(formula) %||% env)
    v <- tt_fun[[i]](x, rs$time, rs$riskset, weights)
    label <- deparse1(terms_tt[[i]])
    size <- NROW(v)
    if (!is.numeric(v) && !is.logical(v) && !is.factor(v))
      stop("`tt`: the function for ", label, " returned a ", class(v)[1L],
           "; it must return numbers", call. = FALSE)
    if (size != nrow(ed))
      stop("`tt`: the function for ", label, " returned ", size, " values for the ", nrow(ed),
           " rows of the risk sets; it must return one per row (x, time, riskset, weights ",
           "have that length)", call. = FALSE)
    bad <- which(if (is.factor(v)) is.na(v) else !is.finite(as.matrix(v)), arr.ind = TRUE)
    if (length(bad)) {
      r <- if (is.matrix(bad)) bad[1L, 1L] else bad[1L]
      stop("`tt`: the function for ", label, " is ", format(as.matrix(v)[r, 1L]), " for row ",
           row.names(fr$mf)[rs$index[r]], " at time ", format(rs$time[r]),
           "; time-transformed covariates must be finite", call. = FALSE)
    }
    values[[i]] <- v
  }
  keys <- vapply(terms_tt, function(e) deparse1(e[[2L]]), character(1))

  # The expanded formula: the response and the risk sets as strata; tt(x)
  # evaluates to the transformed values (so the coefficients keep coxph's
  # names, "tt(age)").
  env2 <- new.env(parent = environment(formula) %||% env)
  env2$tt <- function(x) values[[match(deparse1(substitute(x)), keys)]]
  f2 <- formula
  f2[[2L]] <- quote(survival::Surv(.netsurv_tt_time, .netsurv_tt_status))
  f2[[3L]] <- call("+", f2[[3L]], quote(strata(.netsurv_tt_riskset)))
  environment(f2) <- env2
  attr(f2, "netsurv_tt") <- TRUE
  call2$formula <- f2
  call2$data <- ed
  call2$subset <- NULL
  call2$na.action <- quote(stats::na.fail)
  call2$tt <- NULL
  call2[[1L]] <- cox
  fit <- eval(call2, env)

  fit$call <- call
  fit$n <- nrow(fr$mf)
  fit$terms <- fr$terms
  fit$na.action <- fr$na_action
  class(fit) <- c("netsurv_cox_tt", class(fit))
  fit
}

# ---- what a tt() fit does not do --------------------------------------------
# Its rows are the risk sets, not the subjects, and a tt() covariate has no
# value without a time: survival refuses survfit(), basehaz(), cox.zph() and
# concordance() for such fits, and its predict(newdata), anova() and drop1()
# give wrong numbers or fail. netsurv refuses all of those by name;
# coef(), vcov(), confint() (Wald), summary(), print(), logLik(), AIC(),
# nobs(), tidy() and glance() work as for any fit.

stop_tt_fit <- function(what, instead = NULL) {
  stop(what, " is not available for a cox() model with tt() terms: its rows are the risk ",
       "sets (one copy of a subject per event time), not the subjects",
       if (!is.null(instead)) paste0("; ", instead), call. = FALSE)
}

# The gate of the diagnostics that rebuild the fit's data (cox-model-data.R):
# names the user-level function that called them.
refuse_tt_fit <- function() {
  caller <- sys.call(-2L)
  fn <- if (is.call(caller) && is.name(caller[[1L]])) as.character(caller[[1L]]) else "this function"
  stop_tt_fit(if (fn == "this function") fn else paste0(fn, "()"))
}

#' @export
confint.netsurv_cox_tt <- function(object, parm, level = 0.95, method = "wald", ...) {
  if (!identical(method, "wald")) stop_tt_fit("confint(method = \"profile\")", "use the Wald intervals")
  NextMethod()
}

#' @export
residuals.netsurv_cox_tt <- function(object, ...) stop_tt_fit("residuals()")

#' @export
predict.netsurv_cox_tt <- function(object, ...)
  stop_tt_fit("predict()", "the linear predictor of the risk-set rows is fit$linear.predictors")

#' @export
anova.netsurv_cox_tt <- function(object, ...)
  stop_tt_fit("anova()", "compare fits with and without a term by their logLik()")

#' @export
model.matrix.netsurv_cox_tt <- function(object, ...)
  stop_tt_fit("model.matrix()", "fit with x = TRUE to keep the risk-set rows' matrix in fit$x")

#' @export
concordance.netsurv_cox_tt <- function(object, ...) stop_tt_fit("concordance()")

#' @export
drop1.netsurv_cox_tt <- function(object, scope, ...)
  stop_tt_fit("drop1() (and step())", "compare fits with and without a term by their logLik()")

#' @export
add1.netsurv_cox_tt <- function(object, scope, ...)
  stop_tt_fit("add1() (and step())", "compare fits with and without a term by their logLik()")

#' @export
augment.netsurv_cox_tt <- function(x, ...) stop_tt_fit("augment()")
