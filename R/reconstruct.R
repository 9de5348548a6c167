#' Reconstruct individual patient data from a published Kaplan-Meier figure
#'
#' Rebuilds pseudo individual patient data (one row per patient: time,
#' event or censored, arm) from the digitised points of a published
#' Kaplan-Meier curve and the numbers at risk printed under it, by the
#' algorithm of Guyot et al. (2012), computed in netsurv's C core. The result
#' goes straight into [km()], [logrank()] and [cox()].
#'
#' @param curve A data frame of digitised points: `time`, `survival` (or
#'   `surv`) as proportions in \[0, 1\] or as percentages (taken as
#'   percentages when any value exceeds 1.5), and optionally `arm`. Rows may
#'   come in any order, as [digitise_curve()] or a point-and-click tool gives
#'   them.
#' @param at_risk A data frame of the published numbers at risk: `time`,
#'   `n` (whole numbers) and, when `curve` has arms, `arm`. Each arm needs a
#'   row at time 0. Rows with `n = 0` after the end of an arm's curve are
#'   allowed and ignored.
#' @param total_events `NULL`, or the published total number of events: one
#'   number for a single arm, or one per arm (named by arm, or in the order of
#'   the arms). Used in the last interval, as in Guyot et al.
#'
#' @details
#' **Cleaning the points** (per arm, in this order):
#' 1. Times below 0 by less than 1% of the time range are set to 0; lower
#'    ones are an error.
#' 2. A point whose survival exceeds that of a point more than 1% of the
#'    time range earlier by more than 0.05 is an error naming both rows (a
#'    survival curve never rises; this catches mixed-up arms or a wrong
#'    axis); smaller rises are digitising noise.
#' 3. The points are ordered along the staircase, by `time / range + (1 -
#'    survival)`, which grows along any non-increasing curve and which noise
#'    hardly reorders (the two corners of a drop keep their order even when
#'    noise swaps their times). Along that order, time is made non-decreasing
#'    and survival non-increasing by isotonic least-squares regression (the
#'    pool-adjacent-violators algorithm, which averages a wiggle away instead
#'    of carrying its lowest value forward); survival is clipped to \[0, 1\]
#'    and the curve starts at (0, 1): points at time 0 are set to 1.
#' 4. The curve is read as a step function: of several points at one time the
#'    lowest is kept, and only the points where the curve drops, plus its last
#'    point (the end of follow-up), are used. Each at-risk time becomes a
#'    point at the curve's value there.
#'
#' **Reconstruction** (Guyot et al. 2012, per arm): between consecutive
#' at-risk times, the number of censorings is chosen so that the
#' reconstructed number at risk at the next at-risk time equals the
#' published one; events at each point are `round(n (1 - S / KM))` with `KM`
#' the reconstructed curve at its last event. How netsurv improves on Guyot:
#' * **where in an interval the censorings go.** Guyot spreads them evenly
#'   over the span of the digitised points in the interval (IPDfromKM puts
#'   them at midpoints between points). But a drop of `d` events among `n` at
#'   risk is `d / n` of the curve, so wherever one event's drop stands out of
#'   the digitising noise the drops' heights show how many were at risk, and
#'   hence when the censorings came. netsurv places them gap by gap between
#'   consecutive points, choosing the counts that minimise
#'   `sum (KM_k - S_k)^2 / (2 sigma^2)` (the reconstructed curve against the
#'   digitised one, `sigma = 0.001`: a value read to the pixel on an axis
#'   500-1000 pixels tall) plus `-log` of a Poisson probability of each gap's
#'   count with mean proportional to the gap's length (Guyot's even spread, as
#'   a prior), subject to the published number at risk at the interval's end:
#'   the posterior mode under Gaussian digitising noise and evenly spread
#'   censoring, found exactly by dynamic programming over the number at risk.
#'   With many at risk the drops say nothing and the even spread decides; in
#'   tails with few at risk the drops decide. Censorings sit evenly within
#'   their gap;
#' * **the last interval** (after the last at-risk time): Guyot extrapolates
#'   the earlier censoring rate, which under- or over-censors a tail with
#'   administrative censoring and leaves drops that cannot be reproduced.
#'   Everyone still at risk leaves by the end of the curve; the number
#'   censored before the end is the one whose reconstructed curve best follows
#'   the digitised one (time-weighted absolute difference), after matching
#'   `total_events` when given (then the number of events is kept), and the
#'   censorings are then placed gap by gap as above.
#'
#' What it gains is measured against the original data and against
#' IPDfromKM in `vignette("reconstruct")` and `bench/bench-reconstruct.R`.
#' The exact rules are in the comment of `ns_ipd_reconstruct` in
#' `src/core/netsurv.h`.
#'
#' @return A data frame with columns `time`, `status` (1 event, 0 censored)
#'   and `arm` (a factor: the levels of `curve$arm` if it is a factor, else
#'   those of `at_risk$arm` if that is one, else the arms in their order of
#'   appearance in `at_risk`; `"1"` when `curve` has no `arm`),
#'   sorted by arm and time. Attribute `"intervals"`: per arm and at-risk
#'   time, the published and the reconstructed number at risk and the
#'   reconstructed events and censorings in the interval that starts there.
#'
#' @references Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary
#'   analysis of survival data: reconstructing the data from published
#'   Kaplan-Meier survival curves. BMC Med Res Methodol 2012;12:9.
#'
#' @seealso [digitise_curve()] reads the points off a PNG figure.
#' @examples
#' # Points of a curve (in percent, any order), numbers at risk at the ticks
#' fit <- km(Surv(time, status) ~ 1, data = survival::veteran)
#' curve <- data.frame(time = c(0, fit$time), survival = 100 * c(1, fit$surv))
#' at_risk <- data.frame(time = c(0, 100, 200, 300, 400, 500),
#'                       n = c(137, 36, 17, 10, 6, 4))
#' ipd <- reconstruct_ipd(curve[sample(nrow(curve)), ], at_risk)
#' head(ipd)
#' km(Surv(time, status) ~ 1, data = ipd)
#' attr(ipd, "intervals")
#' @export
reconstruct_ipd <- function(curve, at_risk, total_events = NULL) {
  curve <- ipd_check_curve(curve)
  at_risk <- ipd_check_at_risk(at_risk, has_arm = !is.null(curve$arm))
  arms <- ipd_arms(curve, at_risk)
  totals <- ipd_check_totals(total_events, arms)

  pieces <- vector("list", length(arms))
  intervals <- vector("list", length(arms))
  for (a in seq_along(arms)) {
    arm <- arms[a]
    in_curve <- if (is.null(curve$arm)) rep(TRUE, length(curve$time)) else curve$arm == arm
    in_risk <- if (is.null(at_risk$arm)) rep(TRUE, length(at_risk$time)) else at_risk$arm == arm
    label <- if (is.null(curve$arm)) "" else sprintf(" (arm \"%s\")", arm)
    pts <- ipd_clean_points(curve$time[in_curve], curve$survival[in_curve],
                            which(in_curve), label)
    tab <- ipd_clean_at_risk(at_risk$time[in_risk], at_risk$n[in_risk],
                             which(in_risk), pts, label)
    pts <- ipd_add_points(pts, tab$time)
    res <- .Call(ffi_ipd_reconstruct, pts$time, pts$surv, tab$time,
                 as.integer(tab$n), as.integer(totals[a]))
    ev_time <- rep(pts$time, res$events)
    pieces[[a]] <- data.frame(
      time = c(ev_time, res$censor_time),
      status = rep(c(1L, 0L), c(length(ev_time), length(res$censor_time))),
      arm = rep(arm, length(ev_time) + length(res$censor_time)),
      stringsAsFactors = FALSE)
    intervals[[a]] <- data.frame(arm = arm, time = tab$time, n = tab$n,
                                 n_rec = res$risk_hat, events = res$events_hat,
                                 censored = res$censored_hat,
                                 stringsAsFactors = FALSE)
  }
  out <- do.call(rbind, pieces)
  out <- out[order(match(out$arm, arms), out$time, -out$status), , drop = FALSE]
  out$arm <- factor(out$arm, levels = arms)
  rownames(out) <- NULL
  iv <- do.call(rbind, intervals)
  iv$arm <- factor(iv$arm, levels = arms)
  rownames(iv) <- NULL
  attr(out, "intervals") <- iv
  out
}

# ---- argument checks --------------------------------------------------------

ipd_check_curve <- function(curve) {
  if (!is.data.frame(curve))
    stop("`curve` must be a data frame with columns `time` and `survival`", call. = FALSE)
  surv_col <- intersect(c("survival", "surv"), names(curve))
  if (!("time" %in% names(curve)) || length(surv_col) == 0)
    stop("`curve` must have columns `time` and `survival` (or `surv`); it has ",
         paste0("`", names(curve), "`", collapse = ", "), call. = FALSE)
  extra <- setdiff(names(curve), c("time", surv_col[1], "arm"))
  if (length(extra))
    stop("`curve` has column(s) ", paste0("`", extra, "`", collapse = ", "),
         " that reconstruct_ipd() does not use; keep `time`, `survival` and `arm`",
         call. = FALSE)
  if (nrow(curve) < 2) stop("`curve` needs at least two points", call. = FALSE)
  time <- curve$time
  surv <- curve[[surv_col[1]]]
  if (!is.numeric(time)) stop("`curve$time` must be numeric", call. = FALSE)
  if (!is.numeric(surv)) stop("`curve$", surv_col[1], "` must be numeric", call. = FALSE)
  bad <- which(!is.finite(time))
  if (length(bad)) stop(sprintf("`curve`: the time in row %d is %s; times must be finite numbers",
                                bad[1], format(time[bad[1]])), call. = FALSE)
  bad <- which(!is.finite(surv))
  if (length(bad)) stop(sprintf("`curve`: the survival in row %d is %s; it must be a finite number",
                                bad[1], format(surv[bad[1]])), call. = FALSE)
  if (max(surv) > 1.5) {
    bad <- which(surv < -5 | surv > 105)
    if (length(bad)) stop(sprintf(paste0(
      "`curve`: survival is read as a percentage (a value exceeds 1.5), but row %d ",
      "has %s, outside [-5, 105]"), bad[1], format(surv[bad[1]])), call. = FALSE)
    surv <- surv / 100
  } else {
    bad <- which(surv < -0.05)
    if (length(bad)) stop(sprintf("`curve`: the survival in row %d is %s, below 0",
                                  bad[1], format(surv[bad[1]])), call. = FALSE)
  }
  arm <- curve$arm
  if (!is.null(arm) && anyNA(arm))
    stop(sprintf("`curve`: the arm in row %d is missing", which(is.na(arm))[1]), call. = FALSE)
  list(time = as.double(time), survival = as.double(surv), arm = arm)
}

ipd_check_at_risk <- function(at_risk, has_arm) {
  if (!is.data.frame(at_risk) || !all(c("time", "n") %in% names(at_risk)))
    stop("`at_risk` must be a data frame with columns `time` and `n`", call. = FALSE)
  extra <- setdiff(names(at_risk), c("time", "n", "arm"))
  if (length(extra))
    stop("`at_risk` has column(s) ", paste0("`", extra, "`", collapse = ", "),
         " that reconstruct_ipd() does not use; keep `time`, `n` and `arm`", call. = FALSE)
  if (nrow(at_risk) < 1) stop("`at_risk` has no rows", call. = FALSE)
  if (!is.numeric(at_risk$time) || !is.numeric(at_risk$n))
    stop("`at_risk$time` and `at_risk$n` must be numeric", call. = FALSE)
  bad <- which(!is.finite(at_risk$time))
  if (length(bad)) stop(sprintf("`at_risk`: the time in row %d is %s; times must be finite",
                                bad[1], format(at_risk$time[bad[1]])), call. = FALSE)
  n <- at_risk$n
  bad <- which(!is.finite(n) | n < 0 | abs(n - round(n)) > 1e-8 | n > .Machine$integer.max)
  if (length(bad)) stop(sprintf("`at_risk`: the number at risk in row %d is %s; it must be a whole number >= 0",
                                bad[1], format(n[bad[1]])), call. = FALSE)
  if (has_arm && is.null(at_risk$arm))
    stop("`curve` has an `arm` column, so `at_risk` needs one too", call. = FALSE)
  if (!has_arm && !is.null(at_risk$arm))
    stop("`at_risk` has an `arm` column but `curve` has none", call. = FALSE)
  if (has_arm && anyNA(at_risk$arm))
    stop(sprintf("`at_risk`: the arm in row %d is missing", which(is.na(at_risk$arm))[1]),
         call. = FALSE)
  list(time = as.double(at_risk$time), n = round(n), arm = at_risk$arm)
}

ipd_arms <- function(curve, at_risk) {
  if (is.null(curve$arm)) return("1")
  risk_arms <- unique(as.character(at_risk$arm))
  arms <- if (is.factor(curve$arm)) levels(droplevels(curve$arm)) else
    if (is.factor(at_risk$arm)) levels(droplevels(at_risk$arm)) else risk_arms
  miss <- setdiff(unique(as.character(curve$arm)), risk_arms)
  if (length(miss))
    stop(sprintf("`at_risk` has no rows for arm \"%s\" of `curve`", miss[1]), call. = FALSE)
  miss <- setdiff(risk_arms, unique(as.character(curve$arm)))
  if (length(miss))
    stop(sprintf("`at_risk` has arm \"%s\", which `curve` does not have", miss[1]), call. = FALSE)
  arms
}

ipd_check_totals <- function(total_events, arms) {
  if (is.null(total_events)) return(rep(NA_integer_, length(arms)))
  if (!is.numeric(total_events) || length(total_events) != length(arms) ||
      any(!is.finite(total_events)) || any(total_events < 0) ||
      any(abs(total_events - round(total_events)) > 1e-8))
    stop(sprintf("`total_events` must be NULL or %d whole number(s) >= 0, one per arm",
                 length(arms)), call. = FALSE)
  if (!is.null(names(total_events)) && length(arms) > 1) {
    miss <- setdiff(arms, names(total_events))
    if (length(miss))
      stop(sprintf("`total_events` has no element named \"%s\"", miss[1]), call. = FALSE)
    total_events <- total_events[arms]
  }
  as.integer(round(total_events))
}

# ---- cleaning ---------------------------------------------------------------

# Antitonic (non-increasing) least-squares fit by pool-adjacent-violators.
ipd_antitonic <- function(y) {
  n <- length(y)
  value <- numeric(n); weight <- numeric(n); size <- integer(n)
  top <- 0L
  for (i in seq_len(n)) {
    top <- top + 1L
    value[top] <- y[i]; weight[top] <- 1; size[top] <- 1L
    while (top > 1L && value[top - 1L] < value[top]) {
      w <- weight[top - 1L] + weight[top]
      value[top - 1L] <- (weight[top - 1L] * value[top - 1L] + weight[top] * value[top]) / w
      weight[top - 1L] <- w
      size[top - 1L] <- size[top - 1L] + size[top]
      top <- top - 1L
    }
  }
  rep(value[seq_len(top)], size[seq_len(top)])
}

ipd_clean_points <- function(time, surv, rows, label) {
  range <- max(time) - min(0, min(time))
  bad <- which(time < -0.01 * range)
  if (length(bad))
    stop(sprintf("`curve`%s: the time in row %d is %s, before time 0",
                 label, rows[bad[1]], format(time[bad[1]])), call. = FALSE)
  time[time < 0] <- 0
  if (!(range > 0))
    stop(sprintf("`curve`%s: all points are at time 0", label), call. = FALSE)
  # A rise is judged against the points more than 1% of the time range
  # earlier, so that corners swapped by noise in time are not taken for one.
  o <- order(time, -surv)
  ts <- time[o]; ss <- surv[o]
  # index of the (latest) minimum of ss[1..j], for each prefix j
  arg_min <- cummax(ifelse(ss <= cummin(ss), seq_along(ss), 0L))
  j <- findInterval(ts - 0.01 * range, ts, left.open = TRUE)
  where <- ifelse(j == 0L, 0L, arg_min[pmax(j, 1L)])
  base <- ifelse(where == 0L, 1, ss[pmax(where, 1L)])
  bad <- which(ss - base > 0.05)
  if (length(bad)) {
    i <- bad[1]; j <- where[i]
    stop(sprintf(paste0(
      "`curve`%s: survival rises from %.3f (time %s, %s) to %.3f (time %s, row %d); ",
      "a survival curve cannot increase by more than digitising noise (0.05)"),
      label, base[i], if (j == 0) "0" else format(ts[j]),
      if (j == 0) "the start" else paste("row", rows[o][j]),
      ss[i], format(ts[i]), rows[o][i]), call. = FALSE)
  }
  # Order along the staircase: t / range + (1 - S) grows along any
  # non-increasing curve, and noise in either coordinate moves it little, so
  # the two corners of a drop keep their order. Then time is made
  # non-decreasing and survival non-increasing along that path.
  o <- order(time / range + (1 - surv), time)
  time <- -ipd_antitonic(-time[o])
  surv <- pmin(pmax(ipd_antitonic(surv[o]), 0), 1)
  surv[time == 0] <- 1
  time <- c(0, time); surv <- c(1, surv)
  # step function: the lowest value at each time, then only the drops and the end
  last_at_time <- !duplicated(time, fromLast = TRUE)
  time <- time[last_at_time]; surv <- surv[last_at_time]
  keep <- c(TRUE, diff(surv) < 0)
  keep[length(keep)] <- TRUE
  list(time = time[keep], surv = surv[keep])
}

ipd_clean_at_risk <- function(time, n, rows, pts, label) {
  end <- pts$time[length(pts$time)]
  o <- order(time)
  time <- time[o]; n <- n[o]; rows <- rows[o]
  dup <- which(duplicated(time))
  if (length(dup))
    stop(sprintf("`at_risk`%s: rows %d and %d both have time %s, an empty interval",
                 label, rows[dup[1] - 1], rows[dup[1]], format(time[dup[1]])), call. = FALSE)
  if (time[1] != 0)
    stop(sprintf("`at_risk`%s needs a row at time 0 (its first time is %s, row %d)",
                 label, format(time[1]), rows[1]), call. = FALSE)
  bad <- which(time < 0)
  if (length(bad))
    stop(sprintf("`at_risk`%s: the time in row %d is %s, before the curve starts",
                 label, rows[bad[1]], format(time[bad[1]])), call. = FALSE)
  grow <- which(diff(n) > 0)
  if (length(grow))
    stop(sprintf("`at_risk`%s: the number at risk grows from %s (time %s, row %d) to %s (time %s, row %d)",
                 label, format(n[grow[1]]), format(time[grow[1]]), rows[grow[1]],
                 format(n[grow[1] + 1]), format(time[grow[1] + 1]), rows[grow[1] + 1]),
         call. = FALSE)
  if (n[1] < 1)
    stop(sprintf("`at_risk`%s: the number at risk at time 0 (row %d) is 0", label, rows[1]),
         call. = FALSE)
  # a zero and what follows it carry no information beyond the curve's end
  zero <- which(n == 0)
  if (length(zero)) {
    keep <- seq_len(zero[1] - 1)
    time <- time[keep]; n <- n[keep]; rows <- rows[keep]
  }
  bad <- which(time > end * 1.01)
  if (length(bad))
    stop(sprintf(paste0("`at_risk`%s: row %d reports %s at risk at time %s, after the ",
                        "curve ends (time %s)"), label, rows[bad[1]], format(n[bad[1]]),
                 format(time[bad[1]]), format(end)), call. = FALSE)
  list(time = time, n = n)
}

# Each at-risk time becomes a point at the step function's value there; an
# at-risk time just past the last point (within 1%) extends the curve.
ipd_add_points <- function(pts, risk_time) {
  end <- pts$time[length(pts$time)]
  if (any(risk_time > end)) {
    pts$time <- c(pts$time, max(risk_time))
    pts$surv <- c(pts$surv, pts$surv[length(pts$surv)])
  }
  new <- setdiff(risk_time, pts$time)
  if (length(new)) {
    idx <- findInterval(new, pts$time)
    time <- c(pts$time, new)
    surv <- c(pts$surv, pts$surv[idx])
    o <- order(time)
    pts <- list(time = time[o], surv = surv[o])
  }
  pts
}
