# milestone.R -- survival at landmark ("milestone") times per arm, from
# netsurv's Kaplan-Meier curves, with between-arm differences and ratios.

#' Milestone survival: per arm and between arms
#'
#' The Kaplan-Meier survival probability of each arm at each of `times`, with
#' its pointwise confidence interval, and for each arm against the first (the
#' reference) the difference and the ratio of the survival probabilities,
#' with Wald confidence intervals and two-sided p-values.
#'
#' **Method.** The curves are [km()]'s, read at `times` as
#' `summary(survfit(...), times = )` reads them; the per-arm intervals use
#' `conf.type` as in [km()]. With Greenwood's variance
#' \eqn{v_k = S_k^2 \sum_{t_j \le t} d_j / (n_j (n_j - d_j))}, the difference
#' \eqn{S_k - S_0} has standard error \eqn{\sqrt{v_k + v_0}} (a plain Wald
#' interval) and the ratio \eqn{S_k / S_0} is formed on the log scale with
#' standard error \eqn{\sqrt{v_k / S_k^2 + v_0 / S_0^2}}. The p-values are
#' those of the two z statistics. Where both standard errors are 0 (before
#' any event) the p-value is `NA`; where a survival probability is 0 the
#' ratio is `NA`.
#'
#' A time past an arm's last observation, when that observation is censored,
#' is an error naming the time and the arm: the curve is not defined there.
#' (Past a last observation that is an event the curve is 0.)
#'
#' @param formula `Surv(time, status) ~ arm`: one arm variable (the first
#'   level is the reference), or `~ 1` for one group (no contrasts).
#' @param data a data frame.
#' @param times the milestone times, >= 0.
#' @param conf.type the transformation for the per-arm intervals, as in
#'   [km()]: `"log"` (default), `"log-log"`, `"plain"`, `"logit"`,
#'   `"arcsin"`.
#' @param conf.level confidence level.
#' @param subset,na.action as in [km()].
#' @return An object of class `netsurv_milestone`: `arms` (a data frame with
#'   one row per arm and time: `arm`, `time`, `n.risk`, `surv`, `std.err`
#'   (of the survival probability), `lower`, `upper`), `contrasts` (one row
#'   per arm against the reference and time: `arm`, `reference`, `time`,
#'   `difference`, `difference.se`, `difference.low`, `difference.high`,
#'   `difference.p`, `ratio`, `ratio.low`, `ratio.high`, `ratio.p`),
#'   `conf.type`, `conf.level`, `arm_var`, `call`.
#' @references Klein JP, Logan B, Harhoff M, Andersen PK (2007). Analyzing
#'   survival curves at a fixed point in time. *Statistics in Medicine* 26,
#'   4505-4519.
#' @seealso [rmst_test()], [summary()][summary.netsurv_curve].
#' @examples
#' fit <- milestone(Surv(time, status) ~ trt, data = survival::veteran,
#'                  times = c(90, 180, 365))
#' fit
#' tidy(fit)
#' @export
milestone <- function(formula, data, times, conf.type = "log", conf.level = 0.95,
                      subset, na.action) {
  call <- match.call()
  env <- parent.frame()
  if (missing(times)) stop("`times` is missing: give the milestone time(s)", call. = FALSE)
  if (!is.numeric(times) || !length(times) || any(!is.finite(times)) || any(times < 0))
    stop("`times` must be finite numbers >= 0, not ", deparse1(times), call. = FALSE)
  if (anyDuplicated(times)) stop("`times` has duplicates (", format(times[duplicated(times)][1L]), ")",
                                 call. = FALSE)
  conf.type <- check_conf_type(conf.type)
  if (conf.type == "none") stop("`conf.type` = \"none\" gives no intervals; choose one of ",
                                "\"log\", \"log-log\", \"plain\", \"logit\", \"arcsin\"", call. = FALSE)
  conf.level <- check_level(conf.level)
  setup <- trial_setup("milestone", call, env, min_arms = 1L)
  check_nonnegative_time(setup, "milestone")
  times <- sort(as.double(times))
  lev <- levels(setup$arm)
  for (a in lev) {
    i <- setup$arm == a
    last <- max(setup$time[i])
    if (any(times > last) && any(setup$status[i][setup$time[i] == last] == 0L))
      stop("`times`: ", format(times[times > last][1L]), " is past the last observation of ",
           if (length(lev) > 1L) paste0("arm \"", a, "\"") else "the data",
           " (time ", format(last), ", censored), where its Kaplan-Meier curve is undefined",
           call. = FALSE)
  }
  fit <- arm_km(setup$time, setup$status, setup$arm, conf.type = conf.type, conf.int = conf.level)
  s <- summary(fit, times = times, extend = TRUE)
  arm <- if (is.null(s$strata)) rep(lev, length(s$time)) else lev[as.integer(s$strata)]
  arms <- data.frame(arm = arm, time = s$time, n.risk = s$n.risk, surv = s$surv,
                     std.err = s$std.err, lower = s$lower, upper = s$upper,
                     stringsAsFactors = FALSE)
  z <- stats::qnorm(1 - (1 - conf.level) / 2)
  ref <- arms[arms$arm == lev[1L], ]
  contrasts <- do.call(rbind, lapply(lev[-1L], function(a) {
    x <- arms[arms$arm == a, ]
    d <- x$surv - ref$surv
    se_d <- sqrt(x$std.err^2 + ref$std.err^2)
    lr <- log(x$surv) - log(ref$surv)
    se_r <- sqrt((x$std.err / x$surv)^2 + (ref$std.err / ref$surv)^2)
    bad_r <- x$surv == 0 | ref$surv == 0
    lr[bad_r] <- NA
    se_r[bad_r] <- NA
    p_of <- function(est, se) ifelse(is.na(se) | se == 0, NA_real_, 2 * stats::pnorm(-abs(est) / se))
    data.frame(arm = a, reference = lev[1L], time = x$time,
               difference = d, difference.se = se_d,
               difference.low = d - z * se_d, difference.high = d + z * se_d,
               difference.p = p_of(d, se_d),
               ratio = exp(lr), ratio.low = exp(lr - z * se_r), ratio.high = exp(lr + z * se_r),
               ratio.p = p_of(lr, se_r), stringsAsFactors = FALSE)
  }))
  if (!is.null(contrasts)) row.names(contrasts) <- NULL
  structure(list(arms = arms, contrasts = contrasts, conf.type = conf.type,
                 conf.level = conf.level, arm_var = setup$arm_var,
                 na.action = setup$na_action, call = call),
            class = "netsurv_milestone")
}

#' @export
print.netsurv_milestone <- function(x, digits = max(getOption("digits") - 4L, 3L), ...) {
  check_unused("print()", ...)
  print_call(x$call)
  lev <- paste0(round(100 * x$conf.level), "%")
  a <- x$arms
  cat("Survival at milestone times (", lev, " CI, ", x$conf.type, " scale):\n", sep = "")
  tab <- data.frame(time = format(a$time), n.risk = format(a$n.risk),
                    surv = format_estimate(a$surv, digits),
                    CI = paste0("(", format_estimate(a$lower, digits), ", ",
                                format_estimate(a$upper, digits), ")"))
  names(tab)[4L] <- paste(lev, "CI")
  if (!is.null(x$arm_var)) tab <- cbind(arm = paste0(x$arm_var, "=", a$arm), tab)
  print(tab, row.names = FALSE)
  if (!is.null(x$contrasts)) {
    ct <- x$contrasts
    cat("\nBetween arms (difference: Wald; ratio: log scale):\n")
    out <- data.frame(contrast = paste(ct$arm, "vs", ct$reference), time = format(ct$time),
                      difference = format_estimate(ct$difference, digits),
                      CI = paste0("(", format_estimate(ct$difference.low, digits), ", ",
                                  format_estimate(ct$difference.high, digits), ")"),
                      p = format_pvalue(ct$difference.p),
                      ratio = format_estimate(ct$ratio, digits),
                      CI = paste0("(", format_estimate(ct$ratio.low, digits), ", ",
                                  format_estimate(ct$ratio.high, digits), ")"),
                      p = format_pvalue(ct$ratio.p), check.names = FALSE)
    print(out, row.names = FALSE)
  }
  invisible(x)
}

#' Tidy milestone survival
#'
#' `tidy()` gives one row per arm and time (`type = "arm"`: `arm`, `time`,
#' `n.risk`, `estimate`, `std.error`, `conf.low`, `conf.high`) or one row per
#' contrast, arm and time (`type = "difference"` or `"ratio"`: `term`, `arm`,
#' `reference`, `time`, `estimate`, `conf.low`, `conf.high`, `p.value`);
#' broom's column names.
#'
#' @param x a [milestone()] result.
#' @param type which rows: `"arm"`, `"difference"` or `"ratio"`.
#' @param ... not used (an error if given).
#' @return A data frame.
#' @examples
#' fit <- milestone(Surv(time, status) ~ trt, data = survival::veteran, times = c(90, 180))
#' tidy(fit)
#' tidy(fit, type = "difference")
#' @name milestone_tidiers
NULL

#' @rdname milestone_tidiers
#' @export
tidy.netsurv_milestone <- function(x, type = c("arm", "difference", "ratio"), ...) {
  check_unused("tidy()", ...)
  type <- match_choice(type, c("arm", "difference", "ratio"), "type")
  if (type == "arm") {
    a <- x$arms
    return(data.frame(arm = a$arm, time = a$time, n.risk = a$n.risk, estimate = a$surv,
                      std.error = a$std.err, conf.low = a$lower, conf.high = a$upper,
                      stringsAsFactors = FALSE))
  }
  ct <- x$contrasts
  if (is.null(ct)) stop("`x` has one arm: no between-arm ", type, "s", call. = FALSE)
  g <- function(f) ct[[paste0(type, f)]]
  data.frame(term = paste0("survival ", type, ": ", ct$arm, " vs ", ct$reference, " at ", format(ct$time)),
             arm = ct$arm, reference = ct$reference, time = ct$time,
             estimate = g(""), conf.low = g(".low"), conf.high = g(".high"), p.value = g(".p"),
             stringsAsFactors = FALSE)
}
