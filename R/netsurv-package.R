#' netsurv: fast survival analysis for clinical-trial cohorts
#'
#' Kaplan-Meier curves ([km()]), log-rank tests and Cox models computed by a
#' standalone C engine, with the formula interface of the survival package.
#' `Surv()` is re-exported, so `library(netsurv)` alone is enough to write
#' `km(Surv(time, status) ~ group, data)`.
#'
#' @keywords internal
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
time_fix <- function(time, start = NULL, tolerance = sqrt(.Machine$double.eps)) {
  .Call(ffi_time_fix, as.double(time),
        if (is.null(start)) NULL else as.double(start), as.double(tolerance))
}
