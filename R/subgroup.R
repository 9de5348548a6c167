# subgroup.R -- treatment hazard ratios within subgroups, with the
# treatment-by-subgroup interaction test, from netsurv's cox(). The forest
# plot is drawn by forest-plot.R.

#' Hazard ratios by subgroup, with interaction tests
#'
#' For a two-arm comparison, the Cox hazard ratio of the second arm against
#' the first (the reference) overall and within each level of each subgroup
#' variable, with the numbers of patients and events per arm, a Wald
#' confidence interval and p-value, and for each subgroup variable the
#' likelihood-ratio test of the treatment-by-subgroup interaction. Each fit
#' is [cox()] (so [survival::coxph()]'s numbers): within a level,
#' `Surv(time, status) ~ arm` on that level's rows; the interaction test
#' compares `~ arm + subgroup` with `~ arm * subgroup` on the rows where the
#' subgroup variable is known (df = the number of interaction coefficients).
#'
#' A level in which an arm has no events has no finite hazard ratio: its row
#' shows the counts and `NA` estimates (`note = "no events in an arm"`); so
#' does a level whose Cox fit warns of a monotone likelihood (`note =
#' "infinite HR (monotone likelihood)"`, e.g. every event of one arm before
#' any of the other's). The interaction test uses the fits' final
#' log-likelihoods even when a coefficient runs to infinity (the likelihood
#' ratio statistic then uses the likelihood's supremum, as coxph's anova
#' does).
#' A level with rows from one arm only is `"one arm only"`. Rows with a
#' missing subgroup value are left out of that variable's rows and test
#' only. Subgroup variables are factors, characters or logicals, or numbers
#' with at most 10 distinct values (categorize others with [cut()] first).
#'
#' @param formula `Surv(time, status) ~ arm` with exactly two arms.
#' @param data a data frame holding the arm, the response and the subgroup
#'   variables.
#' @param subgroups names of the subgroup variables in `data` (a character
#'   vector; names give display labels, e.g. `c(Sex = "sex")`).
#' @param conf.level confidence level.
#' @param ties `"efron"` (default) or `"breslow"`, as in [cox()].
#' @param subset,na.action as in [cox()]; applied to the response and arm.
#' @return An object of class `netsurv_subgroup`: `table`, a data frame with
#'   one row for the overall comparison and one per subgroup level:
#'   `variable`, `label` (the variable's display label), `level` (`NA` for the
#'   overall row), `n`, `n.ref`, `events.ref`, `n.trt`, `events.trt`,
#'   `estimate` (the hazard ratio), `std.error` (of its log), `conf.low`,
#'   `conf.high`, `p.value` (Wald), `p.interaction` (on the first row of each
#'   variable), `df.interaction`, `note`; plus `arms` (reference, then
#'   treatment), `conf.level`, `ties`, `call`.
#' @seealso [plot()][plot.netsurv_subgroup] for the forest plot, [cox()].
#' @examples
#' colon <- subset(survival::colon, etype == 2 & rx != "Lev")
#' colon$rx <- droplevels(colon$rx)
#' colon$age_group <- cut(colon$age, c(0, 50, 65, Inf), c("< 50", "50-64", ">= 65"))
#' colon$sex <- factor(colon$sex, 0:1, c("Female", "Male"))
#' fit <- subgroup_hr(Surv(time, status) ~ rx, data = colon,
#'                    subgroups = c(Sex = "sex", Age = "age_group", Nodes = "node4"))
#' fit
#' tidy(fit)
#' plot(fit)
#' @export
subgroup_hr <- function(formula, data, subgroups, conf.level = 0.95,
                        ties = c("efron", "breslow"), subset, na.action) {
  call <- match.call()
  env <- parent.frame()
  conf.level <- check_level(conf.level)
  ties <- match_choice(ties, c("efron", "breslow"), "ties")
  if (missing(data) || !is.data.frame(data))
    stop("`data` must be a data frame holding the arm and the subgroup variables", call. = FALSE)
  if (missing(subgroups) || !is.character(subgroups) || !length(subgroups) || anyNA(subgroups))
    stop("`subgroups` must name one or more variables of `data`, e.g. c(\"sex\", \"age_group\")",
         call. = FALSE)
  absent <- setdiff(subgroups, names(data))
  if (length(absent))
    stop("`subgroups`: `", absent[1L], "` is not a column of `data`", call. = FALSE)
  if (anyDuplicated(subgroups))
    stop("`subgroups`: `", subgroups[duplicated(subgroups)][1L], "` is given twice", call. = FALSE)
  labels <- names(subgroups)
  if (is.null(labels)) labels <- subgroups
  labels[!nzchar(labels)] <- subgroups[!nzchar(labels)]

  setup <- trial_setup("subgroup_hr", call, env, max_arms = 2L)
  if (!any(setup$status == 1L))
    stop("`formula`: there are no events (every status is censored)", call. = FALSE)
  if (identical(setup$arm_var, NULL) || setup$arm_var %in% subgroups)
    stop("`subgroups`: the arm variable cannot be a subgroup", call. = FALSE)
  sub <- data[setup$rows, subgroups, drop = FALSE]
  for (j in seq_along(subgroups)) sub[[j]] <- subgroup_factor(sub[[j]], subgroups[j])

  d <- data.frame(time = setup$time, status = setup$status, arm = setup$arm)
  z <- stats::qnorm(1 - (1 - conf.level) / 2)
  rows <- list(subgroup_row(d, "Overall", "Overall", NA_character_, z, ties))
  for (j in seq_along(subgroups)) {
    g <- sub[[j]]
    known <- !is.na(g)
    inter <- subgroup_interaction(d[known, ], droplevels(g[known]), ties)
    for (l in levels(g)) {
      r <- subgroup_row(d[known & g == l, ], subgroups[j], labels[j], l, z, ties)
      if (l == levels(g)[1L]) {
        r$p.interaction <- inter$p
        r$df.interaction <- inter$df
      }
      rows[[length(rows) + 1L]] <- r
    }
  }
  table <- do.call(rbind, rows)
  row.names(table) <- NULL
  structure(list(table = table, arms = levels(setup$arm), arm_var = setup$arm_var,
                 conf.level = conf.level, ties = ties, na.action = setup$na_action, call = call),
            class = "netsurv_subgroup")
}

subgroup_factor <- function(x, name) {
  if (is.factor(x)) return(droplevels(x))
  if (is.character(x) || is.logical(x)) return(factor(x))
  if (is.numeric(x)) {
    u <- unique(x[!is.na(x)])
    if (length(u) > 10L)
      stop("`subgroups`: `", name, "` is numeric with ", length(u), " distinct values; ",
           "make it a factor first, e.g. with cut()", call. = FALSE)
    return(factor(x))
  }
  stop("`subgroups`: `", name, "` must be a factor, character, logical or numeric column, not ",
       class(x)[1L], call. = FALSE)
}

# One row of the table: counts, and the Cox HR of arm 2 vs arm 1 when both
# arms have rows and events.
subgroup_row <- function(d, variable, label, level, z, ties) {
  ref <- d$arm == levels(d$arm)[1L]
  out <- data.frame(variable = variable, label = label, level = level, n = nrow(d),
                    n.ref = sum(ref), events.ref = sum(d$status[ref]),
                    n.trt = sum(!ref), events.trt = sum(d$status[!ref]),
                    estimate = NA_real_, std.error = NA_real_, conf.low = NA_real_,
                    conf.high = NA_real_, p.value = NA_real_, p.interaction = NA_real_,
                    df.interaction = NA_integer_, note = "", stringsAsFactors = FALSE)
  if (out$n.ref == 0L || out$n.trt == 0L) {
    out$note <- "one arm only"
  } else if (out$events.ref == 0L || out$events.trt == 0L) {
    out$note <- "no events in an arm"
  } else {
    monotone <- FALSE
    fit <- withCallingHandlers(cox(Surv(time, status) ~ arm, data = d, ties = ties),
      warning = function(w) {
        if (grepl("monotone likelihood", conditionMessage(w))) {
          monotone <<- TRUE
          invokeRestart("muffleWarning")
        }
      })
    if (monotone) {
      out$note <- "infinite HR (monotone likelihood)"
      return(out)
    }
    b <- unname(fit$coefficients[1L])
    se <- sqrt(fit$var[1L, 1L])
    out$estimate <- exp(b)
    out$std.error <- se
    out$conf.low <- exp(b - z * se)
    out$conf.high <- exp(b + z * se)
    out$p.value <- 2 * stats::pnorm(-abs(b / se))
  }
  out
}

# LR test of arm x subgroup: 2 (loglik(full) - loglik(main effects)), df =
# the number of estimable interaction coefficients.
subgroup_interaction <- function(d, g, ties) {
  if (nlevels(g) < 2L) return(list(p = NA_real_, df = NA_integer_))
  d$g <- g
  main <- suppressWarnings(cox(Surv(time, status) ~ arm + g, data = d, ties = ties))
  full <- suppressWarnings(cox(Surv(time, status) ~ arm * g, data = d, ties = ties))
  df <- sum(!is.na(full$coefficients)) - sum(!is.na(main$coefficients))
  if (df < 1L) return(list(p = NA_real_, df = 0L))
  stat <- 2 * (full$loglik[2L] - main$loglik[2L])
  list(p = stats::pchisq(max(stat, 0), df, lower.tail = FALSE), df = as.integer(df))
}

#' @export
print.netsurv_subgroup <- function(x, digits = max(getOption("digits") - 4L, 3L), ...) {
  check_unused("print()", ...)
  print_call(x$call)
  cat("Hazard ratio ", x$arms[2L], " vs ", x$arms[1L], " (Cox, ", x$ties, " ties), ",
      round(100 * x$conf.level), "% CI; interaction: likelihood-ratio test\n\n", sep = "")
  t <- x$table
  fmt <- function(v) ifelse(is.na(v), "", formatC(v, digits = digits, format = "fg", flag = "#"))
  out <- data.frame(
    subgroup = ifelse(is.na(t$level), t$label, paste0(t$label, ": ", t$level)),
    n = t$n,
    events = paste0(t$events.trt, "/", t$n.trt, " vs ", t$events.ref, "/", t$n.ref),
    HR = fmt(t$estimate),
    CI = ifelse(is.na(t$estimate), t$note, paste0("(", fmt(t$conf.low), ", ", fmt(t$conf.high), ")")),
    p = vapply(t$p.value, function(p) if (is.na(p)) "" else format_pvalue(p), ""),
    p.interaction = vapply(t$p.interaction, function(p) if (is.na(p)) "" else format_pvalue(p), ""),
    stringsAsFactors = FALSE)
  print(out, row.names = FALSE, right = FALSE)
  invisible(x)
}

#' Tidy subgroup hazard ratios
#'
#' One row per subgroup level and the overall row, with broom's coxph names:
#' `term` (`"Overall"` or `"variable: level"`), `variable`, `level`, `n`,
#' `n.ref`, `events.ref`, `n.trt`, `events.trt`, `estimate` (hazard ratio),
#' `std.error` (of the log hazard ratio), `conf.low`, `conf.high`, `p.value`,
#' `p.interaction`.
#'
#' @param x a [subgroup_hr()] result.
#' @param ... not used (an error if given).
#' @return A data frame.
#' @examples
#' v <- survival::veteran
#' v$prior <- factor(v$prior, c(0, 10), c("no", "yes"))
#' tidy(subgroup_hr(Surv(time, status) ~ trt, data = v, subgroups = c("celltype", "prior")))
#' @name subgroup_tidiers
NULL

#' @rdname subgroup_tidiers
#' @export
tidy.netsurv_subgroup <- function(x, ...) {
  check_unused("tidy()", ...)
  t <- x$table
  out <- cbind(term = ifelse(is.na(t$level), "Overall", paste0(t$variable, ": ", t$level)),
               t[, c("variable", "level", "n", "n.ref", "events.ref", "n.trt", "events.trt",
                     "estimate", "std.error", "conf.low", "conf.high", "p.value", "p.interaction")],
               stringsAsFactors = FALSE)
  row.names(out) <- NULL
  out
}
