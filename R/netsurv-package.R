#' netsurv: fast survival analysis for clinical-trial cohorts
#'
#' Kaplan-Meier curves, log-rank tests and Cox models computed by a
#' standalone C engine, with the formula interface of the survival package
#' and survival's numbers. `Surv()`, `strata()` and `cluster()` are
#' re-exported, so `library(netsurv)` alone is enough to write
#' `km(Surv(time, status) ~ group, data)`. The promise: the same numbers as
#' survival, or an error that says what netsurv does not do -- no argument or
#' formula term is ignored in silence.
#'
#' @section Survival curves:
#' * [km()] (= `survfit()`): Kaplan-Meier and Fleming-Harrington curves,
#'   strata, weights, (start, stop] data, `id`, clusters, `start.time`.
#' * Methods: [print()][print.netsurv_curve], [summary()][summary.netsurv_curve],
#'   [quantile()][quantile.netsurv_curve], `median()`, [rmst()],
#'   [as.data.frame()][as.data.frame.netsurv_curve], `[` and `dim()`
#'   ([subset_netsurv]), `plot()` and [km_plot_data()], `autoplot()`,
#'   [tidy()][tidy.netsurv_curve], `glance()`.
#'
#' @section Tests:
#' * [logrank()] (= `survdiff()`), with Fleming-Harrington weights and
#'   permutation p-values; [pairwise_logrank()].
#'
#' @section Cox models:
#' * [cox()] (= `coxph()`), [cox_control()], Firth's penalised fit.
#' * Methods: `print()`, [summary()][summary.netsurv_cox], `coef()`,
#'   `vcov()`, `confint()`, `logLik()`, `AIC()`, `nobs()`,
#'   [model.matrix()][cox_idioms], `extractAIC()` (so `drop1()` and `step()`),
#'   `concordance()`, [anova()][anova.netsurv_cox], [tidy()][tidy.netsurv_cox],
#'   `glance()`.
#' * Diagnostics and prediction: [residuals()][residuals.netsurv_cox],
#'   [predict()][predict.netsurv_cox], [basehaz()], [cox_curve()] (=
#'   `survfit(coxph_fit)`), [cox_zph()] (= `cox.zph()`).
#'
#' @section Where netsurv differs from survival:
#' Each help page has a section "Differences from survival"; the vignette
#' `vignette("netsurv")` ends with a table that maps survival's functions and
#' arguments to netsurv's, or says "not supported".
#'
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' fit
#' logrank(Surv(time, status) ~ sex, data = survival::lung)
#' summary(cox(Surv(time, status) ~ age + sex, data = survival::lung))
#' @useDynLib netsurv, .registration = TRUE
"_PACKAGE"

#' @importFrom survival Surv
#' @export
survival::Surv

# strata() and cluster() are evaluated inside model.frame, like Surv(), so they
# must be visible to users who attach only netsurv.

#' @importFrom survival strata
#' @export
survival::strata

#' @importFrom survival cluster
#' @export
survival::cluster

#' @importFrom generics tidy
#' @export
generics::tidy

#' @importFrom generics glance
#' @export
generics::glance

# Internal: 1-based order of rows by (stratum, time) from the C core.
sort_order <- function(time, stratum = NULL) {
  .Call(ffi_sort_order, as.double(time),
        if (is.null(stratum)) NULL else as.integer(stratum))
}

# Internal: list(rank, first_row), 1-based: each row's rank among the sorted
# distinct (stratum, time) pairs, and the first row of each pair (see
# ns_rank_distinct).
rank_distinct <- function(time, stratum = NULL) {
  out <- .Call(ffi_rank_distinct, as.double(time),
               if (is.null(stratum)) NULL else as.integer(stratum))
  names(out) <- c("rank", "first_row")
  out
}

# Internal: times merged as survival's aeqSurv() merges them (see ns_time_fix).
# An interval whose ends merge is an error naming its row (the row of the
# model frame `mf` when given) and the user's function.
time_fix <- function(time, start = NULL, tolerance = sqrt(.Machine$double.eps), mf = NULL) {
  fix <- function() .Call(ffi_time_fix, as.double(time),
                          if (is.null(start)) NULL else as.double(start), as.double(tolerance),
                          user_function())
  if (is.null(mf)) fix() else with_data_rows(fix(), mf)
}
