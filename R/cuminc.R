# cuminc.R -- competing risks: the cumulative incidence (Aalen-Johansen) per
# group and cause, Gray's test, and their methods. The numbers come from the C
# core (src/r_cuminc.c -> src/core/cuminc.c).

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
#' Gray's variance estimate is not always positive definite: on small or
#' degenerate data (every subject of a group at risk failing at one time, say)
#' it can be singular or have a negative diagonal, where cmprsk reports a
#' statistic of -1 or a negative one with p = 1. netsurv reports `NA` there,
#' and `print` says why.
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
  core <- with_data_rows(.Call(ffi_cuminc_fit, fr$time, fr$start, fr$cause, K, fr$weights,
                               if (!is.null(groups)) as.integer(groups) - 1L,
                               if (!is.null(groups)) nlevels(groups) else 1L,
                               cluster, n_cluster, variance == "cmprsk",
                               sqrt(.Machine$double.eps)), fr$mf)
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
    undefined <- is.na(tt$statistic)
    tt$p.value <- format.pval(tt$p.value, digits = digits)
    print(tt, digits = digits, row.names = FALSE)
    if (any(undefined))
      cat("NA: the cause has no events, or Gray's variance estimate is singular or not ",
          "positive definite on these data
", sep = "")
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
