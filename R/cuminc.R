# cuminc.R -- competing risks: the cumulative incidence (Aalen-Johansen) per
# group and cause, Gray's test, and their methods. The numbers come from the C
# core (src/r_cuminc.c -> src/core/cuminc.c).

# ---- the response: Surv(time, event) with a multi-level event ----------------

# Surv() cannot be trusted with a competing-risks status (a numeric status of
# 2 becomes NA in some forms), so the formula's Surv() call is evaluated by
# this function instead: it returns a numeric matrix (start,) time, code with
# code 0 = censored and 1.. the causes, and checks every row.
cr_response <- function(time, time2, event, type, origin) {
  if (!missing(type)) stop("`formula`: Surv(type = ) is not supported here; ",
                           "give Surv(time, event) or Surv(start, stop, event)", call. = FALSE)
  if (!missing(origin)) stop("`formula`: Surv(origin = ) is not supported here", call. = FALSE)
  if (missing(event)) {
    if (missing(time2)) stop("`formula`: Surv() needs an event: Surv(time, event)", call. = FALSE)
    event <- time2
    start <- NULL
  } else {
    start <- time
    time <- time2
  }
  if (!is.numeric(time)) stop("`formula`: the time must be numeric, not ", class(time)[1L], call. = FALSE)
  if (!is.null(start) && !is.numeric(start))
    stop("`formula`: the start time must be numeric, not ", class(start)[1L], call. = FALSE)
  n <- length(time)
  if (length(event) != n || (!is.null(start) && length(start) != n))
    stop("`formula`: the times and the event in Surv() must have the same length", call. = FALSE)
  code <- cr_event_codes(event)
  out <- if (is.null(start)) cbind(time = as.double(time), status = code)
         else cbind(start = as.double(start), stop = as.double(time), status = code)
  out
}

# Event codes: factor -> level index - 1 (the first level is censoring);
# logical -> 0/1; numeric -> the values themselves (0 censored, positive whole
# numbers the causes). NA stays NA (na.action decides).
cr_event_codes <- function(event) {
  if (is.factor(event)) return(as.double(as.integer(event) - 1L))
  if (is.logical(event)) return(as.double(event))
  if (!is.numeric(event))
    stop("`formula`: the event in Surv(time, event) must be a factor (first level = censored) ",
         "or integer codes (0 = censored), not ", class(event)[1L], call. = FALSE)
  bad <- which(!is.na(event) & (event < 0 | event != round(event) | !is.finite(event)))
  if (length(bad))
    stop("`formula`: the event in row ", bad[1L], " is ", format(event[bad[1L]]),
         "; integer event codes must be 0 (censored) or a positive whole number (the cause)",
         call. = FALSE)
  as.double(event)
}

censor_pattern <- "^(0|no|none|alive|censor.*|.*censored.*|cens|event[-_. ]?free|no[-_. ]?event|lost.*|ltfu|admin.*|c)$"

# The model frame of a competing-risks call. Returns time, start, cause
# (0..K), causes (labels), weights, id, groups (factor or NULL), test strata
# (factor or NULL), mf, n_dropped, na_action.
cr_frame <- function(call, env, censor = NULL, fun = "cuminc", allow_strata = TRUE,
                     groups = TRUE) {
  if (is.null(call$formula)) stop("`formula` is missing: give e.g. Surv(time, event) ~ group", call. = FALSE)
  formula <- eval(call$formula, env)
  if (!inherits(formula, "formula") || length(formula) != 3L)
    stop("`formula` must be a two-sided formula such as Surv(time, event) ~ group", call. = FALSE)
  lhs <- formula[[2L]]
  head <- if (is.call(lhs)) lhs[[1L]]
  is_surv <- identical(head, as.name("Surv")) || identical(head, quote(survival::Surv)) ||
    identical(head, quote(netsurv::Surv))
  if (!is_surv)
    stop("`formula`: the response must be Surv(time, event) or Surv(start, stop, event), not ",
         deparse1(lhs), call. = FALSE)
  data <- if (is.null(call$data)) env else eval(call$data, env)
  if (!is.null(call$data) && !is.data.frame(data) && !is.list(data) && !is.environment(data))
    stop("`data` must be a data frame", call. = FALSE)
  if (!is.null(call$weights)) check_weights(call$weights, data, env)

  # Evaluate the response with cr_response() rather than Surv().
  lhs[[1L]] <- as.name(".netsurv_cr_response")
  formula[[2L]] <- lhs
  fenv <- new.env(parent = environment(formula) %||% env)
  assign(".netsurv_cr_response", cr_response, envir = fenv)
  environment(formula) <- fenv

  # The raw event (for the factor's levels), evaluated once on the data.
  surv_call <- match.call(survival::Surv, as.call(c(as.name("Surv"), call_args(formula[[2L]]))))
  event_expr <- if (!is.null(surv_call$event)) surv_call$event else surv_call$time2
  event_raw <- eval(event_expr, if (is.data.frame(data) || is.list(data)) data else NULL,
                    if (is.environment(data)) data else env)

  mf_call <- call[c(1L, match(c("data", "weights", "subset", "na.action", "id"),
                              names(call), 0L))]
  mf_call[[1L]] <- quote(stats::model.frame)
  mf_call$formula <- stats::terms(formula, specials = c("strata", "cluster"),
                                  data = if (is.data.frame(data)) data else NULL)
  if (is.null(mf_call$na.action)) mf_call$na.action <- na_omit_frame
  mf <- eval(mf_call, env)
  terms <- attr(mf, "terms")
  if (!is.null(attr(terms, "specials")$cluster))
    stop("`formula`: cluster() terms are not supported by ", fun, "(); use the `id` argument",
         call. = FALSE)
  n_dropped <- length(attr(mf, "na.action"))
  if (nrow(mf) == 0L)
    stop("no rows left to analyse", if (n_dropped) paste0(" after `na.action` removed ", n_dropped,
         " row(s) with missing values"), call. = FALSE)
  y <- stats::model.response(mf)
  dimnames(y) <- NULL
  rows <- row.names(mf)
  counting <- ncol(y) == 3L
  if (counting) {
    start <- y[, 1L]; time <- y[, 2L]; code <- y[, 3L]
    bad <- which(!is.finite(start))
    if (length(bad)) stop_row("formula", "the start time", start, rows, bad[1L], "must be finite")
    bad <- which(start >= time)
    if (length(bad))
      stop("`formula`: in row ", rows[bad[1L]], " the interval (", format(start[bad[1L]]), ", ",
           format(time[bad[1L]]), "] has start >= stop; each interval needs start < stop",
           call. = FALSE)
  } else {
    start <- NULL; time <- y[, 1L]; code <- y[, 2L]
  }
  bad <- which(!is.finite(time))
  if (length(bad)) stop_row("formula", "the time", time, rows, bad[1L], "must be finite")

  # Causes and their labels.
  if (is.factor(event_raw)) {
    lev <- levels(event_raw)
    if (length(lev) < 2L)
      stop("`formula`: the event factor needs a censoring level and at least one cause; ",
           "it has the level(s) ", toString(dQuote(lev, FALSE)), call. = FALSE)
    if (!is.null(censor)) {
      if (!is.character(censor) || length(censor) != 1L || !censor %in% lev)
        stop("`censor` must be one level of the event factor (", toString(dQuote(lev, FALSE)),
             "), not ", deparse1(censor), call. = FALSE)
      # Put the censoring level first: recode.
      idx <- match(censor, lev)
      perm <- c(idx, setdiff(seq_along(lev), idx))   # new order of old levels
      code <- match(code + 1, perm) - 1
      lev <- lev[perm]
    } else if (!grepl(censor_pattern, lev[1L], ignore.case = TRUE)) {
      stop("`formula`: the first level of the event factor, \"", lev[1L], "\", must mean ",
           "censored (survival's convention) and its name does not say so; relevel the factor ",
           "so that censoring comes first, or confirm with `censor = \"", lev[1L], "\"`",
           call. = FALSE)
    }
    causes <- lev[-1L]
    cause <- as.integer(code)
  } else {
    if (!is.null(censor)) stop("`censor` applies only to a factor event; integer codes use 0 for censored",
                               call. = FALSE)
    values <- sort(unique(code[code > 0]))
    if (!length(values)) stop("`formula`: no row has an event (every event code is 0)", call. = FALSE)
    if (!any(code == 0) && identical(as.numeric(values), c(1, 2)))
      stop("`formula`: the event codes are 1 and 2 and none is 0; cuminc() reads 0 as censored ",
           "and every positive code as a cause, while Surv() reads 1/2 as censored/event. ",
           "Recode (e.g. status - 1 for censored/event) or give a factor whose first level is ",
           "censoring", call. = FALSE)
    causes <- format(values, trim = TRUE)
    cause <- as.integer(match(code, values, nomatch = 0L))
  }

  weights <- stats::model.weights(mf)
  if (!is.null(weights)) weights <- as.double(weights)
  id <- mf[["(id)"]]
  strata_idx <- attr(terms, "specials")$strata
  test_strata <- NULL
  if (length(strata_idx)) {
    if (!allow_strata) stop("`formula`: strata() terms are not supported by ", fun, "()", call. = FALSE)
    st <- survival::untangle.specials(terms, "strata")
    test_strata <- if (length(st$vars) == 1L) as.factor(mf[[st$vars]]) else survival::strata(mf[st$vars])
    test_strata <- droplevels(as.factor(test_strata))
  }
  groups <- if (groups) cr_groups(mf, terms)
  list(mf = mf, terms = terms, time = as.double(time), start = if (counting) as.double(start),
       cause = cause, causes = causes, weights = weights, id = id, groups = groups,
       test_strata = test_strata, n_dropped = n_dropped, na_action = attr(mf, "na.action"),
       type = if (counting) "counting" else "right", rows = rows)
}

# The groups (survfit's strata labels, "sex=F"), without survival::strata()'s
# string pasting over every row when the right side is one variable; levels
# without rows are dropped (as survfit does).
cr_groups <- function(mf, terms) {
  labels <- attr(terms, "term.labels")
  st <- attr(terms, "specials")$strata
  if (length(st)) labels <- setdiff(labels, survival::untangle.specials(terms, "strata")$vars)
  if (length(labels) == 1L && attr(terms, "order")[match(labels, attr(terms, "term.labels"))] == 1L &&
      is.atomic(mf[[labels]]) && !is.matrix(mf[[labels]])) {
    f <- mf[[labels]]
    if (!is.factor(f)) f <- factor(f)
    used <- tabulate(f, nlevels(f)) > 0L
    if (!all(used)) f <- factor(f, levels = levels(f)[used])
    levels(f) <- paste0(labels, "=", levels(f))
    return(f)
  }
  groups <- rhs_strata(mf, terms, drop_specials = "strata")
  if (!is.null(groups)) groups <- droplevels(groups)
  groups
}

# The arguments of a call as a list (for rebuilding Surv(...) in match.call).
call_args <- function(cl) as.list(cl)[-1L]

`%||%` <- function(a, b) if (is.null(a)) b else a

#' Cumulative incidence of competing risks
#'
#' Estimates, per group and cause, the cumulative incidence function (the
#' Aalen-Johansen estimator), its standard error and pointwise confidence
#' limits, and compares the groups with Gray's test. The estimates equal
#' `survival::survfit(Surv(time, event) ~ group)`'s `pstate`; the default
#' standard errors equal survfit's; `variance = "cmprsk"` gives those of
#' [cmprsk::cuminc()], and the tests equal `cmprsk::cuminc()$Tests`.
#'
#' @param formula `Surv(time, event) ~ group` or
#'   `Surv(start, stop, event) ~ group`. `event` is a factor whose first level
#'   means censored (survival's convention; see `censor`) and whose other
#'   levels are the competing causes, or integer codes with 0 = censored and
#'   each positive value a cause, or logical (`TRUE` = the one cause). The
#'   right side is `1` or variables whose combinations form the groups
#'   (labelled as survfit labels strata). A `strata()` term stratifies
#'   Gray's test only (cmprsk's `strata`); it does not split the curves.
#' @param data A data frame in which to interpret the variables.
#' @param weights Optional case weights (finite, non-negative).
#' @param subset Optional expression selecting rows.
#' @param na.action Missing-value handling; the default drops rows with
#'   missing values and records them in `na.action`.
#' @param id Optional subject identifier: rows with the same id are one
#'   cluster for the jackknife variance (survfit's `id`), as needed for
#'   subjects split over several `(start, stop]` rows.
#' @param conf.int Level of the pointwise confidence limits.
#' @param conf.type `"log"` (default, as survfit), `"log-log"`, `"plain"`,
#'   `"logit"`, `"arcsin"` or `"none"`; computed from the estimate and its
#'   standard error as survfit does for `pstate`.
#' @param variance `"survfit"` (default): the infinitesimal-jackknife variance
#'   that survfit reports for multi-state curves, collapsed by `id`;
#'   `"cmprsk"`: the variance of Gray's program used by [cmprsk::cuminc()]
#'   (right-censored data with whole-number weights only).
#' @param rho The power of the weight \eqn{(1 - F(t-))^\rho} in Gray's test
#'   (cmprsk's `rho`; 0 by default).
#' @param censor For a factor event, the level that means censored, when it
#'   is not the first (the factor is then releveled). When the first level's
#'   name does not look like censoring ("censor", "0", "none", "alive", ...),
#'   `cuminc()` stops rather than guess; pass `censor` to confirm it.
#'
#' @details
#' At each distinct time \eqn{t} of a group with \eqn{n} at risk, \eqn{d_k}
#' events of cause \eqn{k} and \eqn{d = \sum_k d_k}, the event-free
#' probability is \eqn{S(t) = \prod (1 - d/n)} and the cumulative incidence
#' \eqn{F_k(t) = \sum_{s \le t} S(s-) d_k(s)/n(s)}. Events of every cause come
#' before censorings at a tied time; times that differ only by rounding error
#' are merged first (survfit's `timefix`).
#'
#' Variance (`"survfit"`): the infinitesimal jackknife, \eqn{\sum_i (w_i
#' \partial F_k(t)/\partial w_i)^2} summed within `id` clusters -- the method
#' of survfit for multi-state data (Therneau's "Multi-state models" vignette).
#' Each row's influence is linear in \eqn{F_k(t)} and one other running sum, so
#' the C core keeps the variance as a running quadratic form: linear time.
#'
#' Gray's test (Gray 1988) compares the subdistribution hazards of one cause
#' across the groups, stratified by `strata()`; it is reported for every cause
#' when there are at least two groups and the data are right-censored with
#' whole-number weights (otherwise `tests` is absent, and `print` says why).
#' A cause without events in the analysed rows keeps its column (estimate 0,
#' statistic `NA`); a group without events of a cause has estimate 0 for it.
#'
#' @return An object of class `netsurv_cuminc`: `time`, `n.risk`, `n.censor`,
#'   `surv` (event-free probability), and matrices with one column per cause
#'   `n.event`, `estimate`, `std.err`, `lower`, `upper`; `strata` (time points
#'   per group, named), `n` (rows per group), `causes`, `tests` (a data frame
#'   with `cause`, `statistic`, `df`, `p.value`, or `NULL`), `variance`,
#'   `conf.int`, `conf.type`, `type`, `na.action`, `call`.
#' @references
#' Aalen OO, Johansen S (1978). An empirical transition matrix for
#' non-homogeneous Markov chains based on censored observations.
#' *Scandinavian Journal of Statistics* 5, 141-150.
#'
#' Gray RJ (1988). A class of K-sample tests for comparing the cumulative
#' incidence of a competing risk. *Annals of Statistics* 16, 1141-1154.
#' @seealso [fine_gray()] for regression; survival's `survfit()` and cmprsk's
#'   `cuminc()`, whose numbers these are.
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- cuminc(Surv(etime, event) ~ sex, data = mg)
#' fit
#' summary(fit, times = c(60, 120, 240))
#' @export
cuminc <- function(formula, data, weights, subset, na.action, id, conf.int = 0.95,
                   conf.type = c("log", "log-log", "plain", "logit", "arcsin", "none"),
                   variance = c("survfit", "cmprsk"), rho = 0, censor = NULL) {
  call <- match.call()
  conf.int <- check_conf_int(conf.int)
  conf.type <- check_conf_type(conf.type)
  if (identical(variance, c("survfit", "cmprsk"))) variance <- "survfit"
  if (!is.character(variance) || length(variance) != 1L || !variance %in% c("survfit", "cmprsk"))
    stop("`variance` must be \"survfit\" or \"cmprsk\", not ", deparse1(variance), call. = FALSE)
  if (!is.numeric(rho) || length(rho) != 1L || !is.finite(rho))
    stop("`rho` must be a single finite number, not ", deparse1(rho), call. = FALSE)
  fr <- cr_frame(call, parent.frame(), censor = censor)
  whole_weights <- is.null(fr$weights) || all(fr$weights == round(fr$weights))
  if (variance == "cmprsk") {
    if (fr$type == "counting")
      stop("`variance = \"cmprsk\"` is for right-censored data; cmprsk has no (start, stop] form. ",
           "Use variance = \"survfit\"", call. = FALSE)
    if (!whole_weights)
      stop("`variance = \"cmprsk\"` treats weights as frequencies and needs whole-number weights; ",
           "use variance = \"survfit\" with fractional weights", call. = FALSE)
  }
  cluster <- NULL
  n_cluster <- 0L
  if (!is.null(fr$id)) {
    if (variance == "cmprsk") stop("`id` applies to variance = \"survfit\" only", call. = FALSE)
    idf <- factor(fr$id)
    cluster <- as.integer(idf) - 1L
    n_cluster <- nlevels(idf)
  }
  groups <- fr$groups
  K <- length(fr$causes)
  core <- .Call(ffi_cuminc_fit, fr$time, fr$start, fr$cause, K, fr$weights,
                if (!is.null(groups)) as.integer(groups) - 1L,
                if (!is.null(groups)) nlevels(groups) else 1L,
                cluster, n_cluster, variance == "cmprsk", sqrt(.Machine$double.eps))
  colnames(core$n.event) <- colnames(core$estimate) <- colnames(core$std.err) <- fr$causes
  fit <- list(n = core$n, time = core$time, n.risk = core$n.risk, n.censor = core$n.censor,
              surv = core$surv, n.event = core$n.event, estimate = core$estimate,
              std.err = core$std.err)
  if (!is.null(groups)) {
    fit$strata <- stats::setNames(core$strata, levels(groups))
    names(fit$n) <- levels(groups)
  }
  fit$causes <- fr$causes
  fit$type <- fr$type
  fit$variance <- variance
  fit$conf.int <- conf.int
  fit$conf.type <- conf.type
  if (conf.type != "none") {
    lim <- surv_conf_limits(as.vector(fit$estimate), as.vector(fit$std.err), conf.int, conf.type, logse = FALSE)
    fit$lower <- matrix(lim$lower, ncol = K, dimnames = list(NULL, fr$causes))
    fit$upper <- matrix(lim$upper, ncol = K, dimnames = list(NULL, fr$causes))
  }
  fit$tests <- NULL
  fit$tests_note <- NULL
  if (!is.null(groups) && nlevels(groups) >= 2L) {
    if (fr$type == "counting") fit$tests_note <- "Gray's test is not computed for (start, stop] data"
    else if (!whole_weights) fit$tests_note <- "Gray's test needs whole-number (frequency) weights"
    else fit$tests <- gray_tests(fr, groups, rho)
  } else if (!is.null(fr$test_strata)) {
    stop("`formula`: a strata() term stratifies Gray's test, which needs at least two groups ",
         "on the right side", call. = FALSE)
  }
  fit$rho <- rho
  if (!is.null(fr$na_action)) fit$na.action <- fr$na_action
  fit$call <- call
  structure(fit, class = "netsurv_cuminc")
}

gray_tests <- function(fr, groups, rho) {
  K <- length(fr$causes)
  st <- fr$test_strata
  z <- .Call(ffi_cuminc_gray_test, fr$time, fr$cause, K, fr$weights,
             as.integer(groups) - 1L, nlevels(groups),
             if (!is.null(st)) as.integer(st) - 1L, if (!is.null(st)) nlevels(st) else 1L,
             as.double(rho))
  stat <- z$statistic
  stat[is.nan(stat)] <- NA_real_
  data.frame(cause = fr$causes, statistic = stat, df = rep(z$df, K),
             p.value = stats::pchisq(stat, z$df, lower.tail = FALSE), stringsAsFactors = FALSE)
}

# ---- methods -------------------------------------------------------------------

cuminc_group_rows <- function(x) {
  n <- length(x$time)
  if (is.null(x$strata)) return(list(all = seq_len(n)))
  k <- length(x$strata)
  rows <- split(seq_len(n), factor(rep.int(seq_len(k), x$strata), levels = seq_len(k)))
  names(rows) <- names(x$strata)
  rows
}

#' @export
print.netsurv_cuminc <- function(x, digits = max(getOption("digits") - 4L, 3L), ...) {
  check_unused("print()", ...)
  if (!is.null(x$call)) { cat("Call: "); dput(x$call); cat("\n") }
  if (length(x$na.action)) cat(" ", length(x$na.action), " observation(s) deleted due to missingness\n", sep = "")
  rows <- cuminc_group_rows(x)
  tab <- do.call(rbind, lapply(seq_along(rows), function(g) {
    r <- rows[[g]]
    do.call(rbind, lapply(seq_along(x$causes), function(k) {
      last <- r[length(r)]
      data.frame(group = names(rows)[g], cause = x$causes[k], n = x$n[g],
                 events = sum(x$n.event[r, k]), time = x$time[last],
                 estimate = x$estimate[last, k], std.err = x$std.err[last, k],
                 stringsAsFactors = FALSE)
    }))
  }))
  if (is.null(x$strata)) tab$group <- NULL
  cat("Cumulative incidence at the last time of each group (standard errors: ",
      if (x$variance == "survfit") "infinitesimal jackknife, as survfit" else "cmprsk's", "):\n", sep = "")
  print(tab, digits = digits, row.names = FALSE)
  if (!is.null(x$tests)) {
    cat("\nGray's test", if (x$rho != 0) paste0(" (rho = ", x$rho, ")"),
        if (!is.null(x$call$formula) && any(grepl("strata(", deparse(x$call$formula), fixed = TRUE)))
          ", stratified", ":\n", sep = "")
    tt <- x$tests
    tt$p.value <- format.pval(tt$p.value, digits = digits)
    print(tt, digits = digits, row.names = FALSE)
  } else if (!is.null(x$tests_note)) cat("\n", x$tests_note, "\n", sep = "")
  invisible(x)
}


# The long table: one row per (group, time, cause).
cuminc_long <- function(x) {
  rows <- cuminc_group_rows(x)
  group <- rep.int(names(rows), lengths(rows))
  K <- length(x$causes)
  m <- length(x$time)
  out <- data.frame(
    group = rep(group, K), cause = rep(x$causes, each = m), time = rep(x$time, K),
    n.risk = rep(x$n.risk, K), n.event = as.vector(x$n.event), n.censor = rep(x$n.censor, K),
    estimate = as.vector(x$estimate), std.err = as.vector(x$std.err),
    stringsAsFactors = FALSE)
  if (!is.null(x$lower)) { out$lower <- as.vector(x$lower); out$upper <- as.vector(x$upper) }
  if (is.null(x$strata)) out$group <- NULL
  out
}

#' Summaries of cumulative incidence curves
#'
#' @param object,x A fit from [cuminc()].
#' @param times Times at which to report the curves (the value of the step
#'   function at each time; 0 before the first event). Missing: every time
#'   point.
#' @param probs Probabilities for `quantile()`: the first time the cumulative
#'   incidence reaches each (as survfit's quantile rule, with the confidence
#'   limits from the pointwise limits); `NA` when it never does.
#' @param ... Must be empty.
#' @return `summary()`: a data frame of class `summary.netsurv_cuminc` with
#'   `group`, `cause`, `time`, `n.risk` (at risk just before `time`),
#'   `n.event` (events of the cause up to `time`), `estimate`, `std.err`,
#'   `lower`, `upper`. `quantile()`: a data frame with `group`, `cause`,
#'   `prob`, `quantile`, `lower`, `upper`.
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- cuminc(Surv(etime, event) ~ sex, data = mg)
#' summary(fit, times = c(12, 60, 120))
#' quantile(fit, probs = 0.25)
#' @name cuminc-methods
#' @export
summary.netsurv_cuminc <- function(object, times, ...) {
  check_unused("summary()", ...)
  x <- object
  if (missing(times)) {
    out <- cuminc_long(x)
    class(out) <- c("summary.netsurv_cuminc", "data.frame")
    return(out)
  }
  if (!is.numeric(times) || anyNA(times))
    stop("`times` must be numeric without missing values", call. = FALSE)
  times <- sort(unique(times))
  rows <- cuminc_group_rows(x)
  pieces <- list()
  for (g in seq_along(rows)) {
    r <- rows[[g]]
    tt <- x$time[r]
    idx <- findInterval(times, tt)           # last time point <= times
    nxt <- findInterval(times, tt, left.open = TRUE) + 1L  # first time point >= times
    risk <- ifelse(nxt <= length(r), x$n.risk[r][pmin(nxt, length(r))], 0)
    for (k in seq_along(x$causes)) {
      take <- function(v, zero) ifelse(idx > 0, v[r][pmax(idx, 1L)], zero)
      cum_events <- c(0, cumsum(x$n.event[r, k]))[idx + 1L]
      pieces[[length(pieces) + 1L]] <- data.frame(
        group = names(rows)[g], cause = x$causes[k], time = times, n.risk = risk,
        n.event = cum_events, estimate = take(x$estimate[, k], 0),
        std.err = take(x$std.err[, k], 0),
        lower = if (!is.null(x$lower)) take(x$lower[, k], NA_real_) else NA_real_,
        upper = if (!is.null(x$upper)) take(x$upper[, k], NA_real_) else NA_real_,
        stringsAsFactors = FALSE)
    }
  }
  out <- do.call(rbind, pieces)
  if (is.null(x$strata)) out$group <- NULL
  rownames(out) <- NULL
  class(out) <- c("summary.netsurv_cuminc", "data.frame")
  out
}

#' @export
print.summary.netsurv_cuminc <- function(x, digits = max(getOption("digits") - 4L, 3L), ...) {
  print(structure(x, class = "data.frame"), digits = digits, row.names = FALSE)
  invisible(x)
}

#' @rdname cuminc-methods
#' @export
quantile.netsurv_cuminc <- function(x, probs = c(0.25, 0.5), ...) {
  check_unused("quantile()", ...)
  if (!is.numeric(probs) || anyNA(probs) || any(probs <= 0 | probs >= 1))
    stop("`probs` must be numbers strictly between 0 and 1", call. = FALSE)
  rows <- cuminc_group_rows(x)
  first_at <- function(t, y, p) {
    hit <- which(y >= p - sqrt(.Machine$double.eps))
    if (length(hit)) t[hit[1L]] else NA_real_
  }
  pieces <- list()
  for (g in seq_along(rows)) {
    r <- rows[[g]]
    for (k in seq_along(x$causes)) {
      q <- vapply(probs, function(p) first_at(x$time[r], x$estimate[r, k], p), 0)
      lo <- if (!is.null(x$upper)) vapply(probs, function(p) first_at(x$time[r], x$upper[r, k], p), 0) else NA_real_
      hi <- if (!is.null(x$lower)) vapply(probs, function(p) first_at(x$time[r], x$lower[r, k], p), 0) else NA_real_
      pieces[[length(pieces) + 1L]] <- data.frame(group = names(rows)[g], cause = x$causes[k],
        prob = probs, quantile = q, lower = lo, upper = hi, stringsAsFactors = FALSE)
    }
  }
  out <- do.call(rbind, pieces)
  if (is.null(x$strata)) out$group <- NULL
  rownames(out) <- NULL
  out
}

#' Tidy a cumulative incidence fit
#'
#' @param x A fit from [cuminc()].
#' @param ... Must be empty.
#' @return `tidy()`: one row per group, cause and time with broom's names
#'   `strata` (when there are groups), `cause`, `time`, `n.risk`, `n.event`,
#'   `n.censor`, `estimate`, `std.error`, `conf.low`, `conf.high`.
#'   `glance()`: one row with the number of groups and causes, and Gray's
#'   statistic and p-value per cause (`statistic.<cause>`, `p.value.<cause>`).
#' @examples
#' fit <- cuminc(Surv(time, status - 1) ~ 1, data = survival::lung)
#' head(tidy(fit))
#' @export
tidy.netsurv_cuminc <- function(x, ...) {
  check_unused("tidy()", ...)
  d <- cuminc_long(x)
  out <- data.frame(time = d$time, n.risk = d$n.risk, n.event = d$n.event, n.censor = d$n.censor,
                    estimate = d$estimate, std.error = d$std.err,
                    conf.low = if (!is.null(d$lower)) d$lower else NA_real_,
                    conf.high = if (!is.null(d$upper)) d$upper else NA_real_)
  front <- data.frame(cause = d$cause, stringsAsFactors = FALSE)
  if (!is.null(d$group)) front <- data.frame(strata = d$group, front, stringsAsFactors = FALSE)
  cbind(front, out)
}

#' @rdname tidy.netsurv_cuminc
#' @export
glance.netsurv_cuminc <- function(x, ...) {
  check_unused("glance()", ...)
  out <- data.frame(n.groups = max(1L, length(x$strata)), n.causes = length(x$causes),
                    nobs = sum(x$n))
  if (!is.null(x$tests)) for (i in seq_len(nrow(x$tests))) {
    out[[paste0("statistic.", x$tests$cause[i])]] <- x$tests$statistic[i]
    out[[paste0("p.value.", x$tests$cause[i])]] <- x$tests$p.value[i]
  }
  out
}

# ---- figures -------------------------------------------------------------------
#
# The survival figures' engine (R/plot-km.R, R/autoplot.R) draws a plot-data
# object (km_plot_data()'s structure); the cumulative incidence curves are
# turned into that structure (rising curves in the `surv` column) and drawn by
# the same internal functions, draw_journal_plot() and
# autoplot.netsurv_plotdata(), so the layout guarantees and the risk table are
# the survival figures' own.

#' Plot data for cumulative incidence figures
#'
#' Turns a [cuminc()] fit into the plot data that the survival figures draw
#' (see [km_plot_data()]): one object per cause (groups as strata), or one
#' object with every group-cause curve (`stacked = TRUE`). The legend columns
#' are events/N and the cumulative incidence (with its confidence interval)
#' at the last x break; the annotation is Gray's test for the cause.
#'
#' @param x A fit from [cuminc()].
#' @param cause Causes to show (labels); default all.
#' @param stacked One object with all causes' curves, instead of one per cause.
#' @param xbreaks,xlim,mark.time,labels,digits As in [km_plot_data()];
#'   `labels` label the groups.
#' @return A list of `"netsurv_plotdata"` objects named by cause (one element,
#'   `"all"`, when `stacked`); each has `knots`, `steps`, `marks`, `risk`,
#'   `summary`, `text`, `breaks`, `xlim`, `labels`, `strata`, `test`
#'   (Gray's statistic, df and p for the cause, or `NULL`).
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' pd <- cuminc_plot_data(cuminc(Surv(etime, event) ~ sex, data = mg))
#' pd$progression$risk
#' pd$death$text
#' @export
cuminc_plot_data <- function(x, cause = NULL, stacked = FALSE, xbreaks = NULL, xlim = NULL,
                             mark.time = TRUE, labels = NULL, digits = 1) {
  if (!inherits(x, "netsurv_cuminc")) stop("`x` must be a cuminc() fit", call. = FALSE)
  if (is.null(cause)) cause <- x$causes
  if (!is.character(cause) || !length(cause) || !all(cause %in% x$causes))
    stop("`cause` must name causes of the fit (", toString(dQuote(x$causes, FALSE)), ")",
         call. = FALSE)
  check_mark_time(mark.time)
  if (!is.logical(stacked) || length(stacked) != 1L || is.na(stacked))
    stop("`stacked` must be TRUE or FALSE", call. = FALSE)
  rows <- cuminc_group_rows(x)
  groups <- if (is.null(x$strata)) "" else names(x$strata)
  glabels <- if (is.null(labels)) display_labels(groups) else labels
  if (length(glabels) != length(groups))
    stop("`labels` must give one label per group (", length(groups), ")", call. = FALSE)
  if (!is.null(xlim) && (!is.numeric(xlim) || length(xlim) != 2L || anyNA(xlim) || xlim[1L] >= xlim[2L]))
    stop("`xlim` must be two increasing numbers", call. = FALSE)
  origin <- min(0, x$time)
  last <- max(x$time)
  if (is.null(xbreaks))
    xbreaks <- default_xbreaks(if (is.null(xlim)) origin else xlim[1L], if (is.null(xlim)) last else xlim[2L])
  xbreaks <- sort(unique(xbreaks))
  if (is.null(xlim)) xlim <- c(min(origin, xbreaks[1L]), max(last, xbreaks))
  xbreaks <- xbreaks[xbreaks >= xlim[1L] & xbreaks <= xlim[2L]]
  if (!length(xbreaks)) stop("`xbreaks`: no break lies within `xlim`", call. = FALSE)
  at <- max(xbreaks[xbreaks <= last], origin)
  s <- summary.netsurv_cuminc(x, times = c(xbreaks, at))
  if (is.null(s$group)) s$group <- ""
  level <- x$conf.int

  one <- function(causes) {
    curves <- expand.grid(g = seq_along(groups), k = match(causes, x$causes))
    strata <- if (length(causes) == 1L) groups else paste0(groups[curves$g], ", ", x$causes[curves$k])
    if (length(causes) > 1L && identical(groups, "")) strata <- x$causes[curves$k]
    lab <- if (length(causes) == 1L) glabels
           else if (identical(groups, "")) x$causes[curves$k]
           else paste0(glabels[curves$g], ", ", x$causes[curves$k])
    knots <- steps <- marks <- risk <- vector("list", nrow(curves))
    events <- cif <- lo <- hi <- numeric(nrow(curves))
    for (i in seq_len(nrow(curves))) {
      r <- rows[[curves$g[i]]]
      k <- curves$k[i]
      kn <- data.frame(time = c(origin, x$time[r]), surv = c(0, x$estimate[r, k]),
                       lower = c(0, if (!is.null(x$lower)) x$lower[r, k] else rep(NA_real_, length(r))),
                       upper = c(0, if (!is.null(x$upper)) x$upper[r, k] else rep(NA_real_, length(r))),
                       n.risk = c(x$n.risk[r][1L], x$n.risk[r]), n.event = c(0, x$n.event[r, k]),
                       n.censor = c(0, x$n.censor[r]))
      if (x$time[r][1L] == origin) kn <- kn[-1L, ]
      if (is.null(x$lower)) kn$lower[1L] <- kn$upper[1L] <- NA_real_
      sp <- step_path(kn$time, kn$surv)
      steps[[i]] <- data.frame(strata = strata[i], x = sp$x, surv = sp$y,
                               lower = step_path(kn$time, kn$lower)$y,
                               upper = step_path(kn$time, kn$upper)$y)
      if (is.numeric(mark.time)) {
        mt <- sort(mark.time[mark.time >= kn$time[1L] & mark.time <= max(kn$time)])
        marks[[i]] <- data.frame(strata = rep(strata[i], length(mt)), time = mt,
                                 surv = kn$surv[findInterval(mt, kn$time)])
      } else {
        cens <- kn$n.censor > 0 & isTRUE(mark.time)
        marks[[i]] <- data.frame(strata = rep(strata[i], sum(cens)), time = kn$time[cens],
                                 surv = kn$surv[cens])
      }
      knots[[i]] <- cbind(strata = strata[i], kn)
      sg <- s[s$group == groups[curves$g[i]] & s$cause == x$causes[k], ]
      risk[[i]] <- data.frame(strata = strata[i], time = xbreaks,
                              n.risk = sg$n.risk[match(xbreaks, sg$time)])
      fin <- sg[sg$time == at, ][1L, ]
      events[i] <- sum(x$n.event[r, k])
      cif[i] <- fin$estimate; lo[i] <- fin$lower; hi[i] <- fin$upper
    }
    bind <- function(parts) {
      out <- do.call(rbind, parts)
      out$strata <- factor(out$strata, levels = strata)
      rownames(out) <- NULL
      out
    }
    n <- x$n[curves$g]
    pct <- function(v) format_num(100 * v, digits)
    text <- list(header = c("", "Events/N", paste0("At ", format(at), if (!is.null(x$lower))
                   paste0(" (", format(100 * level), "% CI)"))),
                 events = paste0(format_num(events, 0), "/", format_num(n, 0)),
                 median = paste0(pct(cif), "%", if (!is.null(x$lower))
                   paste0(" (", pct(lo), "-", pct(hi), ")")),
                 annotation = character(0))
    test <- NULL
    if (length(causes) == 1L && !is.null(x$tests)) {
      tt <- x$tests[x$tests$cause == causes, ]
      test <- list(statistic = tt$statistic, df = tt$df, p.value = tt$p.value)
      text$annotation <- paste0("Gray's test P ", format_p(tt$p.value))
    } else if (!is.null(x$tests)) {
      text$annotation <- paste0("Gray's test: ", paste0(x$tests$cause, " P ",
                                vapply(x$tests$p.value, format_p, ""), collapse = "; "))
    }
    summ <- data.frame(strata = factor(strata, levels = strata), label = lab, n = n,
                       events = events, median = NA_real_, lower = lo, upper = hi,
                       cuminc = cif, stringsAsFactors = FALSE)
    structure(list(knots = bind(knots), steps = bind(steps), marks = bind(marks),
                   labels = lab, strata = strata, xlim = xlim, ylim = c(0, 1),
                   breaks = xbreaks, risk = bind(risk), summary = summ, conf.int = level,
                   test = test, hr = NULL, text = text, at = at),
              class = "netsurv_plotdata")
  }
  if (stacked) return(list(all = one(cause)))
  stats::setNames(lapply(cause, one), cause)
}

# The figure's content for the layout engine (R/plot-layout.R): the survival
# figure's spec with the legend's columns of a cumulative incidence figure
# (events/N and the incidence at the last break with its CI), degrading to
# fewer columns when they do not fit.
cuminc_layout_spec <- function(pd, o) {
  spec <- km_layout_spec(pd, o)
  ev <- list(header = pd$text$header[2L], cells = pd$text$events)
  at <- list(header = pd$text$header[3L], cells = pd$text$median)
  at_short <- list(header = paste0("At ", format(pd$at)),
                   cells = paste0(format_num(100 * pd$summary$cuminc, o$digits), "%"))
  spec$legend$variants <- Filter(Negate(is.null), list(
    list(columns = list(ev, at)),
    if (!identical(at$cells, at_short$cells)) list(columns = list(ev, at_short), msg = "the CI"),
    list(columns = list(ev), msg = "the cumulative incidence column"),
    list(columns = list(), msg = "the events/N column")))
  spec
}

#' Plot cumulative incidence curves
#'
#' Draws the cumulative incidence of each cause, one panel per cause (groups
#' as curves) or all curves in one panel (`stacked = TRUE`, colour per group
#' and line type per cause), with the numbers at risk under the x-axis breaks,
#' a legend with events/N and the incidence at the last break, and Gray's
#' p-value. The figure is drawn by the survival figures' engine (see
#' [plot.netsurv_curve()]) from [cuminc_plot_data()].
#'
#' @param x A fit from [cuminc()].
#' @param cause,stacked,xbreaks,xlim,mark.time,labels,digits See
#'   [cuminc_plot_data()].
#' @param conf.int Draw confidence bands.
#' @param col,lty,lwd Colours (per group), line types (per cause when
#'   stacked) and width.
#' @param xlab,ylab Axis labels.
#' @param ylim Range on the probability scale (default 0 to 1).
#' @param percent Label the y axis in percent.
#' @param risk.table Draw the numbers at risk.
#' @param legend,annotation.pos,pch,cex,cex.text As in [plot.netsurv_curve()].
#' @param ... Must be empty.
#' @return Invisibly, the list of plot data drawn.
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime) / 12
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- cuminc(Surv(etime, event) ~ sex, data = mg)
#' plot(fit, xlab = "Years")
#' plot(fit, stacked = TRUE, xlab = "Years")
#' @export
plot.netsurv_cuminc <- function(x, cause = NULL, stacked = FALSE, conf.int = FALSE,
                                mark.time = FALSE, col = NULL, lty = NULL, lwd = 1.5,
                                xlab = "Time", ylab = NULL, xlim = NULL, ylim = c(0, 1),
                                xbreaks = NULL, percent = TRUE, risk.table = TRUE,
                                legend = TRUE, annotation.pos = "legend", labels = NULL,
                                digits = 1, pch = 3, cex = 0.6, cex.text = 0.85, ...) {
  check_unused("plot()", ...)
  if (conf.int && is.null(x$lower))
    stop("`conf.int`: the fit has no confidence limits (conf.type = \"none\")", call. = FALSE)
  if (!is.numeric(ylim) || length(ylim) != 2L || anyNA(ylim) || ylim[1L] >= ylim[2L])
    stop("`ylim` must be two increasing numbers on the probability scale", call. = FALSE)
  if (isTRUE(legend)) legend <- "top"
  pds <- cuminc_plot_data(x, cause = cause, stacked = stacked, xbreaks = xbreaks, xlim = xlim,
                          mark.time = mark.time, labels = labels, digits = digits)
  if (is.null(ylab)) ylab <- if (percent) "Cumulative incidence (%)" else "Cumulative incidence"
  n_groups <- max(1L, length(x$strata))
  if (length(pds) > 1L) {
    old <- graphics::par(mfrow = c(1L, length(pds)))
    on.exit(graphics::par(old))
  }
  if (!is.numeric(cex.text) || length(cex.text) != 1L || !is.finite(cex.text) || cex.text <= 0)
    stop("`cex.text` must be a positive number", call. = FALSE)
  scale <- if (percent) 100 else 1
  yticks <- (if (percent) seq(0, 100, 20) else seq(0, 1, 0.2))
  yticks <- yticks[yticks >= ylim[1L] * scale - 1e-9 & yticks <= ylim[2L] * scale + 1e-9]
  if (length(yticks) < 2L) yticks <- pretty(ylim * scale)
  for (nm in names(pds)) {
    pd <- pds[[nm]]
    k <- length(pd$labels)
    if (stacked) {
      ncause <- k / n_groups
      cl <- rep_len(if (is.null(col)) default_colours(n_groups) else col, n_groups)
      st <- list(col = rep(cl, times = ncause),
                 lty = rep(rep_len(if (is.null(lty)) seq_len(ncause) else lty, ncause), each = n_groups),
                 lwd = rep_len(lwd, k))
    } else {
      st <- list(col = rep_len(if (is.null(col)) default_colours(k) else col, k),
                 lty = rep_len(if (is.null(lty)) 1 else lty, k), lwd = rep_len(lwd, k))
    }
    st$text_col <- legible_text_colour(st$col)
    pd$style <- st
    pd$ylim <- ylim
    pd$xscale <- 1
    pd$break_labels <- format_breaks(pd$breaks)
    # The curves are drawn as they are (rising): "surv" in the engine's
    # terms means "the y values of the steps", here the cumulative incidence.
    o <- list(fun = "surv", scale = scale, conf.int = conf.int, conf.style = "band",
              pch = if (isFALSE(mark.time)) NULL else pch, cex = cex, xlab = xlab, ylab = ylab,
              legend = if (isFALSE(legend)) "none" else legend,
              annotation.pos = annotation.pos, median.lines = FALSE, panel = NULL,
              main = if (stacked) NULL else nm, cex.text = cex.text, digits = digits,
              risk.table = risk.table, risk.counts = "n.risk", coxcurve = FALSE,
              text_col = st$text_col,
              xlim_draw = pd$xlim + c(0, 0.02) * diff(pd$xlim),
              ylim_draw = c(ylim[1L], ylim[2L] + 0.03 * diff(ylim)) * scale,
              yticks = yticks, user_breaks = !is.null(xbreaks))
    pd$layout <- draw_km_figure(pd, o, spec = cuminc_layout_spec(pd, o))
    pds[[nm]] <- pd
  }
  invisible(pds)
}

#' Cumulative incidence curves with ggplot2
#'
#' The ggplot2 version of [plot()][plot.netsurv_cuminc], drawn by the
#' survival figures' `autoplot()` method from the same plot data: one cause
#' (`cause`), or all curves stacked in one panel when `cause` is not given
#' and the fit has several causes.
#' @param object A fit from [cuminc()].
#' @param cause One cause to draw; default: all, stacked.
#' @param conf.int,risk.table,percent,col,xlab,ylab As in
#'   [autoplot.netsurv_curve()].
#' @param mark.time Censoring marks (see [cuminc_plot_data()]); none by
#'   default.
#' @param ... Arguments of [cuminc_plot_data()] (`xbreaks`, `xlim`,
#'   `labels`, `digits`).
#' @return A ggplot object.
#' @examplesIf requireNamespace("ggplot2", quietly = TRUE)
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime) / 12
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- cuminc(Surv(etime, event) ~ sex, data = mg)
#' ggplot2::autoplot(fit, cause = "progression", xlab = "Years")
#' @name autoplot.netsurv_cuminc
#' @exportS3Method ggplot2::autoplot
autoplot.netsurv_cuminc <- function(object, cause = NULL, conf.int = FALSE, risk.table = TRUE,
                                    percent = TRUE, col = NULL, xlab = "Time", ylab = NULL,
                                    mark.time = FALSE, ...) {
  if (!is.null(cause) && length(cause) != 1L) stop("`cause` must be one cause", call. = FALSE)
  stacked <- is.null(cause) && length(object$causes) > 1L
  pd <- cuminc_plot_data(object, cause = cause, stacked = stacked, mark.time = mark.time, ...)[[1L]]
  if (is.null(ylab)) ylab <- if (percent) "Cumulative incidence (%)" else "Cumulative incidence"
  autoplot.netsurv_plotdata(pd, conf.int = conf.int, risk.table = risk.table, percent = percent,
                            col = col, xlab = xlab, ylab = ylab)
}
