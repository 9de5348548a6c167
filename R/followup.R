# followup.R -- median follow-up by the reverse Kaplan-Meier method (the
# censoring times as the events), per arm and overall, on netsurv's km().

#' Median follow-up: reverse Kaplan-Meier and observed
#'
#' The median potential follow-up time by the reverse Kaplan-Meier method
#' (Schemper and Smith 1996): the Kaplan-Meier curve of the censoring times,
#' in which a censored observation is the "event" and an event ends follow-up
#' as a censoring would. Per arm and overall, with a confidence interval;
#' also the simple median of the observed times. The reverse Kaplan-Meier
#' curve, its median and interval are those of
#' `prodlim::prodlim(Hist(time, status) ~ arm, reverse = TRUE)` and its
#' `quantile()`.
#'
#' **Ties.** At a time with both events and censorings the events leave the
#' risk set first: a subject whose event is at \eqn{t} was not still in
#' follow-up at \eqn{t}, so it is not at risk of being censored there
#' (prodlim's rule). netsurv gets this from [km()] by placing each event half
#' a rank before the censorings at its time.
#'
#' **Interval.** Pointwise "plain" limits of the curve,
#' \eqn{\hat G(t) \pm z\, se}, with Greenwood's standard error, cut to
#' \[0, 1\]; the median and its limits are the first times at which the
#' curve, its lower and its upper limit fall strictly below 1/2 (`NA` when
#' they never do). prodlim's rule is the same except that it skips values of
#' exactly 0, so where the curve falls from at least 1/2 straight to 0 at the
#' last time prodlim reports `NA` and `followup()` that time.
#'
#' `observed` is the median of the observed times of all subjects (events
#' and censorings), a simple but biased summary (it shrinks with early
#' events); it is reported for comparison, as CONSORT-style reports often do.
#'
#' @param formula `Surv(time, status) ~ arm`, or `~ 1` for one group.
#' @param data a data frame.
#' @param conf.level confidence level.
#' @param subset,na.action as in [km()].
#' @return An object of class `netsurv_followup`: `table`, a data frame with
#'   one row per arm and, with two or more arms, an `"Overall"` row: `arm`, `n`,
#'   `events`, `censored`, `median` (reverse Kaplan-Meier), `lower`, `upper`,
#'   `observed` (median observed time), `max` (longest observed time); the
#'   reverse Kaplan-Meier `fit` on the time scale (a [km()] result, with
#'   strata for arms); `conf.level`, `arm_var`, `call`.
#' @references Schemper M, Smith TL (1996). A note on quantifying follow-up
#'   in studies of failure time. *Controlled Clinical Trials* 17, 343-346.
#' @examples
#' followup(Surv(time, status) ~ rx, data = survival::colon,
#'          subset = etype == 2)
#' tidy(followup(Surv(time, status) ~ 1, data = survival::lung))
#' @export
followup <- function(formula, data, conf.level = 0.95, subset, na.action) {
  call <- match.call()
  env <- parent.frame()
  conf.level <- check_level(conf.level)
  setup <- trial_setup("followup", call, env, min_arms = 1L)
  has_arms <- nlevels(setup$arm) > 1L
  groups <- list(setup$arm)
  if (has_arms) groups <- c(groups, list(factor(rep("Overall", length(setup$time)))))
  rows <- list()
  fits <- list()
  for (g in seq_along(groups)) {
    rk <- reverse_km(setup$time, setup$status, groups[[g]], conf.level)
    fits[[g]] <- rk$fit
    rows[[g]] <- rk$table
  }
  table <- do.call(rbind, rows)
  row.names(table) <- NULL
  structure(list(table = table, fit = fits[[1L]], conf.level = conf.level,
                 arm_var = setup$arm_var, na.action = setup$na_action, call = call),
            class = "netsurv_followup")
}

# The reverse KM per level of `arm`: km() on a rank scale where each event
# sits half a rank before the censorings at its time, then the curve and its
# median read back on the time scale.
reverse_km <- function(time, status, arm, conf.level) {
  u <- sort(unique(time))
  r <- match(time, u)
  rt <- ifelse(status == 1L, r - 0.5, r)
  fit <- arm_km(rt, 1L - status, arm, conf.type = "plain", conf.int = conf.level)
  lev <- levels(arm)
  n_per <- if (is.null(fit$strata)) length(fit$time) else fit$strata
  stratum <- rep(seq_along(n_per), n_per)
  first_below <- function(y, t) {
    i <- which(!is.na(y) & y < 0.5)
    if (length(i)) t[i[1L]] else NA_real_
  }
  table <- do.call(rbind, lapply(seq_along(lev), function(k) {
    i <- which(stratum == k)
    t <- u[ceiling(fit$time[i])]
    a <- arm == lev[k]
    data.frame(arm = lev[k], n = sum(a), events = sum(status[a]), censored = sum(status[a] == 0L),
               median = first_below(fit$surv[i], t), lower = first_below(fit$lower[i], t),
               upper = first_below(fit$upper[i], t),
               observed = stats::median(time[a]), max = max(time[a]), stringsAsFactors = FALSE)
  }))
  # the curve on the time scale: an event's half-rank row and the censorings'
  # row at the same time merge into one row (counts added, n.risk of the
  # first, the curve after both)
  key <- paste(stratum, ceiling(fit$time))
  first <- !duplicated(key)
  last <- !duplicated(key, fromLast = TRUE)
  grp <- cumsum(first)
  out <- unclass(fit)[setdiff(names(fit), "call")]
  out$time <- u[ceiling(fit$time[last])]
  out$n.risk <- fit$n.risk[first]
  out$n.event <- as.vector(rowsum(fit$n.event, grp))
  out$n.censor <- as.vector(rowsum(fit$n.censor, grp))
  for (f in c("surv", "std.err", "cumhaz", "std.chaz", "lower", "upper")) out[[f]] <- fit[[f]][last]
  if (!is.null(fit$strata))
    out$strata <- stats::setNames(as.vector(tabulate(stratum[first], length(n_per))), names(fit$strata))
  list(table = table, fit = new_km(out))
}

#' @export
print.netsurv_followup <- function(x, digits = max(getOption("digits") - 3L, 3L), ...) {
  check_unused("print()", ...)
  print_call(x$call)
  lev <- paste0(round(100 * x$conf.level), "%")
  cat("Median follow-up (reverse Kaplan-Meier, ", lev, " CI) and median observed time:\n", sep = "")
  t <- x$table
  tab <- data.frame(n = t$n, events = t$events, censored = t$censored,
                    median = format(t$median, digits = digits),
                    CI = paste0("(", format(t$lower, digits = digits), ", ",
                                format(t$upper, digits = digits), ")"),
                    observed = format(t$observed, digits = digits),
                    max = format(t$max, digits = digits),
                    row.names = if (!is.null(x$arm_var))
                      ifelse(t$arm == "Overall", "Overall", paste0(x$arm_var, "=", t$arm))
                    else "all")
  names(tab)[5L] <- paste(lev, "CI")
  print(tab)
  invisible(x)
}

#' Tidy a follow-up summary
#'
#' One row per arm (and the overall row) with broom-style names: `arm`, `n`,
#' `events`, `censored`, `estimate` (the reverse Kaplan-Meier median),
#' `conf.low`, `conf.high`, `observed`, `max`.
#'
#' @param x a [followup()] result.
#' @param ... not used (an error if given).
#' @return A data frame.
#' @examples
#' tidy(followup(Surv(time, status) ~ trt, data = survival::veteran))
#' @name followup_tidiers
NULL

#' @rdname followup_tidiers
#' @export
tidy.netsurv_followup <- function(x, ...) {
  check_unused("tidy()", ...)
  t <- x$table
  data.frame(arm = t$arm, n = t$n, events = t$events, censored = t$censored, estimate = t$median,
             conf.low = t$lower, conf.high = t$upper, observed = t$observed, max = t$max,
             stringsAsFactors = FALSE)
}
