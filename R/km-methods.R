# km-methods.R -- print, summary, quantile, median, rmst and as.data.frame for
# survival curves.
#
# A "curve" is any object of class "netsurv_curve" that carries survfit's fields
# (time, n.risk, n.event, n.censor, surv, std.err, cumhaz, std.chaz, strata,
# lower, upper, conf.int, conf.type, logse, call, na.action, and optionally
# start.time): km() returns one (class c("netsurv_km", "netsurv_curve")), and a
# model-based Cox curve will too, so every method here is written for
# "netsurv_curve" and only reads those fields. The numbers follow survival's
# methods (print.survfit, summary.survfit, quantile.survfit, survmean); where
# their rules are peculiar (the median of the print table, the midpoint rule
# of quantile()), the comments say which rule and why it is kept.

# ---- internal helpers --------------------------------------------------------

# Row indices of each stratum, as a list (one unnamed element without strata).
curve_rows <- function(x) {
  n <- length(x$time)
  if (is.null(x$strata)) return(list(seq_len(n)))
  k <- length(x$strata)
  rows <- split(seq_len(n), factor(rep.int(seq_len(k), x$strata), levels = seq_len(k)))
  names(rows) <- names(x$strata)
  rows
}

# The curve's origin: survfit's start.time when given, else min(0, times) --
# the point where every curve is 1 (survfit0's convention).
curve_origin <- function(x) {
  if (!is.null(x$start.time)) x$start.time else min(0, x$time)
}

# The per-row fields of a curve that are indexed like `time`.
curve_row_fields <- c("time", "n.risk", "n.event", "n.censor", "surv", "std.err",
                      "cumhaz", "std.chaz", "lower", "upper")

# One stratum of a curve as a plain list of its per-row fields.
curve_stratum <- function(x, rows) {
  out <- lapply(curve_row_fields, function(f) if (!is.null(x[[f]])) x[[f]][rows])
  names(out) <- curve_row_fields
  out[!vapply(out, is.null, logical(1))]
}

check_curve <- function(x, arg = "x") {
  if (!inherits(x, "netsurv_curve") || is.null(x$time) || is.null(x$surv))
    stop("`", arg, "` must be a survival curve from km()", call. = FALSE)
  if (is.matrix(x$surv)) x <- curve_profiles_as_strata(x)
  invisible(x)
}

# A model-based curve for several covariate profiles has survfit.coxph's
# layout: surv, std.err, cumhaz, std.chaz, lower and upper are matrices with one
# column per profile, the counts are shared. Every method here works on one
# column per stratum, so such a curve is laid out as one stratum per (stratum,
# profile), labelled as print.survfit labels the profiles ("1", "2", ... or the
# column names; "strata, profile" when the fit has strata).
curve_profiles_as_strata <- function(x) {
  k <- ncol(x$surv)
  profile <- colnames(x$surv)
  if (is.null(profile)) profile <- as.character(seq_len(k))
  rows <- curve_rows(x)
  pieces <- list()
  labels <- character()
  for (s in seq_along(rows)) {
    for (j in seq_len(k)) {
      pieces[[length(pieces) + 1L]] <- list(rows = rows[[s]], column = j)
      labels <- c(labels, if (is.null(x$strata)) profile[j] else paste0(names(rows)[s], ", ", profile[j]))
    }
  }
  out <- x
  for (f in curve_row_fields) {
    v <- x[[f]]
    if (is.null(v)) next
    out[[f]] <- unlist(lapply(pieces, function(p)
      if (is.matrix(v)) v[p$rows, p$column] else v[p$rows]), use.names = FALSE)
  }
  out$strata <- stats::setNames(vapply(pieces, function(p) length(p$rows), integer(1)), labels)
  n <- if (length(x$n) == length(rows)) x$n else rep_len(x$n, length(rows))
  out$n <- rep(n, each = k)
  out
}

# The "median" of the print table (survival's survmean): the first time at
# which y falls to 0.5 or below; when y sits exactly at 0.5 (within tol) and
# falls further later, the midpoint between that time and the time of the next
# drop. Applied to surv, lower and upper for the median and its CI. Note that
# quantile() uses a slightly different rule at the end of the curve (see
# curve_quantile): both are kept so that each matches its survival counterpart.
table_median <- function(y, time, tol = sqrt(.Machine$double.eps)) {
  ok <- !is.na(y) & y < 0.5 + tol
  if (!any(ok)) return(NA_real_)
  y <- y[ok]
  time <- time[ok]
  later_drop <- which(y < y[1L])
  if (abs(y[1L] - 0.5) < tol && length(later_drop)) (time[1L] + time[later_drop[1L]]) / 2
  else time[1L]
}

# Restricted mean survival time up to tau for one stratum, with its standard
# error. The area under the step function from the origin to tau, plus the
# origin (so that it is E[min(T, tau)] also for a negative origin). Variance
# (Klein & Moeschberger 4.5): sum over the times t_j <= tau of
# A_j^2 d_j / (n_j (n_j - d_j)), where A_j is the area from t_j to tau and the
# term is 0 when n_j = d_j -- survival's survmean formula, on weighted counts.
rmst_stratum <- function(time, surv, n.risk, n.event, origin, tau) {
  keep <- time <= tau
  knots <- c(origin, time[keep], tau)
  height <- c(1, surv[keep])                  # the curve on [knots[k], knots[k + 1])
  area <- diff(knots) * height
  after <- rev(cumsum(rev(area)))[-1L]        # area from each kept time to tau
  nr <- n.risk[keep]
  ne <- n.event[keep]
  hazard_var <- ifelse(nr - ne == 0, 0, ne / (nr * (nr - ne)))
  c(rmst = origin + sum(area), se = sqrt(sum(after^2 * hazard_var)))
}

# rmean choice as in print.survfit/summary.survfit: "none", "common" (up to the
# largest time of all strata), "individual" (each stratum's own last time) or a
# number.
check_rmean <- function(rmean, x) {
  if (is.numeric(rmean)) {
    if (length(rmean) != 1L || !is.finite(rmean))
      stop("`rmean` must be one finite number or one of \"none\", \"common\", \"individual\"",
           call. = FALSE)
    if (rmean < curve_origin(x))
      stop("`rmean` (", format(rmean), ") is before the start of the curve (",
           format(curve_origin(x)), ")", call. = FALSE)
    return(rmean)
  }
  if (!is.character(rmean) || length(rmean) != 1L || is.na(rmean) ||
      !rmean %in% c("none", "common", "individual"))
    stop("`rmean` must be one finite number or one of \"none\", \"common\", \"individual\"",
         call. = FALSE)
  rmean
}

# The per-stratum table of print() and summary()$table (survival's survmean):
# records, n.max, n.start, events, [rmean, se(rmean),] median, [LCL, UCL].
# Returns the matrix (one row per stratum, rownames = strata labels or NULL)
# and the rmean end times (NA for "none").
curve_table <- function(x, rmean = "none") {
  rows <- curve_rows(x)
  k <- length(rows)
  origin <- curve_origin(x)
  last_time <- vapply(rows, function(r) max(x$time[r]), numeric(1))
  end_time <- if (is.numeric(rmean)) rep(rmean, k)
              else switch(rmean, none = rep(NA_real_, k),
                          common = rep(max(last_time), k),
                          individual = unname(last_time))
  has_ci <- !is.null(x$lower)
  cols <- c("records", "n.max", "n.start", "events", "rmean", "se(rmean)", "median",
            paste0(x$conf.int, c("LCL", "UCL")))
  tab <- matrix(NA_real_, k, length(cols), dimnames = list(names(x$strata), cols))
  for (i in seq_len(k)) {
    s <- curve_stratum(x, rows[[i]])
    tab[i, 1:4] <- c(x$n[i], max(s$n.risk), s$n.risk[1L], sum(s$n.event))
    if (!is.na(end_time[i]))
      tab[i, 5:6] <- rmst_stratum(s$time, s$surv, s$n.risk, s$n.event, origin, end_time[i])
    tab[i, 7L] <- table_median(s$surv, s$time)
    if (has_ci) tab[i, 8:9] <- c(table_median(s$lower, s$time), table_median(s$upper, s$time))
  }
  if (!has_ci) tab <- tab[, 1:7, drop = FALSE]
  if (identical(rmean, "none")) tab <- tab[, -(5:6), drop = FALSE]
  list(table = tab, end_time = end_time)
}

# ---- print --------------------------------------------------------------------

#' Print a survival curve
#'
#' Prints, per stratum, the number of subjects, the number of events and the
#' median survival time with its confidence interval, as
#' [survival::print.survfit()] does. When `na.action` removed rows while
#' fitting, the number of rows deleted for missingness is reported.
#'
#' The columns are `n`, `events`, `median` and the lower and upper confidence
#' limits of the median (`0.95LCL`, `0.95UCL` at the curve's `conf.int`). As in
#' survival, the table shows `records` (rows of data) and `n.max`/`n.start`
#' (largest and first number at risk) separately when they differ, which
#' happens with counting-process data and with case weights. The median of
#' this table is the first time the curve is at or below 0.5 (the midpoint of
#' a flat stretch exactly at 0.5); its limits are the same rule applied to the
#' confidence curves. See [quantile.netsurv_curve()] for survival's slightly
#' different rule at the end of a curve.
#'
#' @param x A survival curve from [km()].
#' @param digits Significant digits to print.
#' @param rmean Restricted mean to add to the table: `"none"` (default), a
#'   number (the upper limit `tau`), `"common"` (up to the largest time of all
#'   strata) or `"individual"` (each stratum's own last time); see [rmst()].
#' @param ... Nothing: any further argument is an error that names it.
#' @return `x`, invisibly.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' fit
#' print(fit, rmean = 365)
#' @export
print.netsurv_curve <- function(x, digits = max(getOption("digits") - 4L, 3L),
                                rmean = "none", ...) {
  check_unused("print() of a survival curve", ..., hints = curve_hints)
  x <- check_curve(x)
  rmean <- check_rmean(rmean, x)
  if (!is.null(x$call)) {
    cat("Call: ")
    dput(x$call)
    cat("\n")
  }
  if (length(x$na.action)) cat("  ", stats::naprint(x$na.action), "\n")
  ct <- curve_table(x, rmean)
  tab <- ct$table
  # Show n.max/n.start only when they differ, and records only when it differs
  # from n: the common case reads "n events median LCL UCL".
  if (all(tab[, "n.max"] == tab[, "n.start"])) {
    tab <- tab[, colnames(tab) != "n.max", drop = FALSE]
    colnames(tab)[colnames(tab) == "n.start"] <- "n"
  }
  if (all(tab[, 1L] == tab[, 2L])) tab <- tab[, -1L, drop = FALSE]
  if (is.null(rownames(tab))) rownames(tab) <- ""
  if (!identical(rmean, "none")) colnames(tab)[colnames(tab) == "rmean"] <- "rmean*"
  old <- options(digits = digits)
  on.exit(options(old))
  print(tab)
  if (is.numeric(rmean) || rmean == "common") {
    cat("    * restricted mean with upper limit = ", format(ct$end_time[1L]), "\n")
  } else if (rmean == "individual") {
    cat("   * restricted mean with variable upper limit\n")
  }
  invisible(x)
}

# ---- summary ------------------------------------------------------------------

#' Summarise a survival curve at chosen times
#'
#' The survival curve and its companions at the event times, at all times, or
#' at chosen times, as [survival::summary.survfit()] computes them.
#'
#' Without `times`, the rows are the event times (all times with
#' `censored = TRUE`); `n.censor` then counts the censorings since the previous
#' printed row, so censorings after the last event are not shown. With
#' `times`, each requested time `t` gets the curve's value at `t` (the last
#' step at or before `t`; 1 before the first event), `n.risk` is the number at
#' risk at the first observed time at or after `t` (0 beyond the last), and
#' `n.event`/`n.censor` count what happened after the previous requested time
#' up to and including `t`. Times after a stratum's last observed time are
#' dropped unless `extend = TRUE`, in which case the curve is carried forward
#' with `n.risk = 0`. `std.err` is the standard error of the survival
#' probability (not of its logarithm, as in the fit).
#'
#' @param object A survival curve from [km()].
#' @param times Optional vector of times.
#' @param censored Without `times`: also list times with only censorings.
#' @param scale Divide the reported times (and the table's restricted mean,
#'   median and limits) by this, e.g. `365.25` for days to years; `times` stay
#'   on the data's scale, as in survival.
#' @param extend With `times`: keep times beyond the last observed time.
#' @param rmean Restricted mean in `$table`: `"common"` (default, up to the
#'   largest time of all strata), `"individual"`, `"none"` or a number; see
#'   [print.netsurv_curve()].
#' @param ... Nothing: any further argument is an error that names it.
#' @return An object of class `"summary.netsurv_curve"`: a list with `time`,
#'   `n.risk`, `n.event`, `n.censor`, `surv`, `std.err`, `lower`, `upper`,
#'   `cumhaz`, `std.chaz` and `strata` (a factor; `NULL` without strata), the
#'   fit's `n`, `type`, `conf.int`, `conf.type`, `call`, `na.action`, and
#'   `table`, the per-stratum table of [print.netsurv_curve()] with all its
#'   columns (`records`, `n.max`, `n.start`, `events`, `rmean`, `se(rmean)`,
#'   `median`, limits), a named vector for a single curve.
#'   [as.data.frame()] turns it into one row per time.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' summary(fit, times = c(0, 180, 365, 730))
#' summary(fit)$table
#' @export
summary.netsurv_curve <- function(object, times, censored = FALSE, scale = 1, extend = FALSE,
                                  rmean = "common", ...) {
  check_unused("summary() of a survival curve", ..., hints = curve_hints)
  x <- check_curve(object, "object")
  if (!is.numeric(scale) || length(scale) != 1L || !is.finite(scale) || scale <= 0)
    stop("`scale` must be one positive number (e.g. 365.25 to report days in years)",
         call. = FALSE)
  if (!is.logical(censored) || length(censored) != 1L || is.na(censored))
    stop("`censored` must be TRUE or FALSE", call. = FALSE)
  if (!is.logical(extend) || length(extend) != 1L || is.na(extend))
    stop("`extend` must be TRUE or FALSE", call. = FALSE)
  rmean <- check_rmean(rmean, x)
  at_events <- missing(times)
  if (!at_events) {
    if (!is.numeric(times) || !length(times) || anyNA(times))
      stop("`times` must be a numeric vector without missing values", call. = FALSE)
  }
  ct <- curve_table(x, rmean)
  rows <- curve_rows(x)
  origin <- curve_origin(x)
  parts <- lapply(rows, function(r) {
    s <- curve_stratum(x, r)
    if (at_events) summary_at_events(s, censored)
    else summary_at_times(s, sort(times), extend, origin)
  })
  out <- list(n = x$n)
  for (f in curve_row_fields) {
    if (!is.null(parts[[1L]][[f]])) out[[f]] <- unlist(lapply(parts, `[[`, f), use.names = FALSE)
  }
  if (!is.null(out$std.err) && !isFALSE(x$logse)) out$std.err <- out$std.err * out$surv
  if (!is.null(x$strata)) {
    counts <- vapply(parts, function(p) length(p$time), integer(1))
    out$strata <- factor(rep.int(seq_along(counts), counts), levels = seq_along(counts),
                         labels = names(x$strata))
  }
  for (f in c("type", "logse", "conf.int", "conf.type", "call", "na.action"))
    out[[f]] <- x[[f]]
  # scale (survival's rule): times and the table's time columns are divided
  # by it; `times` are given on the data's scale.
  if (scale != 1) {
    out$time <- out$time / scale
    tcols <- intersect(colnames(ct$table), c("rmean", "se(rmean)", "median",
                                             paste0(x$conf.int, c("LCL", "UCL"))))
    ct$table[, tcols] <- ct$table[, tcols] / scale
    ct$end_time <- ct$end_time / scale
  }
  out$table <- if (nrow(ct$table) == 1L) ct$table[1L, ] else ct$table
  if (!anyNA(ct$end_time)) out$rmean.endtime <- ct$end_time
  class(out) <- "summary.netsurv_curve"
  out
}

# Rows of one stratum at its event times (or every time with censored = TRUE);
# n.censor then accumulates the censorings between the rows kept.
summary_at_events <- function(s, censored) {
  if (censored) return(s)
  keep <- which(s$n.event > 0)
  out <- lapply(s, `[`, keep)
  if (!is.null(s$n.censor)) out$n.censor <- counts_between(s$n.censor, keep)
  out
}

# Sum of `count` over the rows after the previous index up to each index
# (indices ascending; index 0 means "before the first row").
counts_between <- function(count, index) {
  total <- c(0, cumsum(count))[index + 1L]
  diff(c(0, total))
}

# Rows of one stratum at the requested (sorted) times. The stratum first gets
# its origin row (time = origin, surv 1, no events), unless it already starts
# there -- survfit0's convention -- so that times before the first event read
# the curve as 1.
summary_at_times <- function(s, times, extend, origin) {
  if (s$time[1L] != origin) {
    first <- list(time = origin, n.risk = s$n.risk[1L], n.event = 0, n.censor = 0,
                  surv = 1, std.err = 0, cumhaz = 0, std.chaz = 0, lower = 1, upper = 1)
    s <- Map(function(v, f) c(first[[f]], v), s, names(s))
  }
  times <- times[is.finite(times)]
  if (!extend) times <- times[times <= max(s$time)]
  if (!length(times))
    stop("`times`: no requested time lies within one or more of the curves; ",
         "consider `extend = TRUE`", call. = FALSE)
  at <- findInterval(times, s$time)                          # last row at or before t
  next_row <- findInterval(times, s$time, left.open = TRUE) + 1L  # first row at or after t
  out <- list(time = times)
  for (f in setdiff(names(s), "time")) {
    out[[f]] <- switch(f,
      n.risk = c(s$n.risk, 0)[next_row],
      n.event = , n.censor = counts_between(s[[f]], at),
      s[[f]][pmax(1L, at)])
  }
  out[names(s)]
}

#' @rdname summary.netsurv_curve
#' @param x A `summary.netsurv_curve` object.
#' @param digits Significant digits to print.
#' @export
print.summary.netsurv_curve <- function(x, digits = max(getOption("digits") - 4L, 3L), ...) {
  check_unused("print() of a curve summary", ...)
  old <- options(digits = digits)
  on.exit(options(old))
  if (!is.null(x$call)) {
    cat("Call: ")
    dput(x$call)
    cat("\n")
  }
  if (length(x$na.action)) cat(stats::naprint(x$na.action), "\n")
  mat <- cbind(x$time, x$n.risk, x$n.event, x$surv)
  cnames <- c("time", "n.risk", "n.event", "survival")
  if (!is.null(x$std.err)) {
    mat <- cbind(mat, x$std.err)
    cnames <- c(cnames, "std.err")
    if (!is.null(x$lower)) {
      mat <- cbind(mat, x$lower, x$upper)
      cnames <- c(cnames, paste0(c("lower ", "upper "), x$conf.int * 100, "% CI"))
    }
  }
  dimnames(mat) <- list(rep("", nrow(mat)), cnames)
  if (is.null(x$strata)) {
    print(mat)
  } else {
    for (lev in levels(x$strata)) {
      cat("               ", lev, "\n")
      print(mat[x$strata == lev, , drop = FALSE])
      cat("\n")
    }
  }
  invisible(x)
}

#' @rdname as.data.frame.netsurv_curve
#' @export
as.data.frame.summary.netsurv_curve <- function(x, row.names = NULL, optional = FALSE, ...) {
  check_unused("as.data.frame() of a curve summary", ...)
  rows_to_frame(x, row.names)
}

# ---- quantile and median ------------------------------------------------------

# Time at which the cumulative failure y (nondecreasing, starting at 0 at
# `time[1]`) reaches each p -- survival's quantile rule:
#   * the first time at which y >= p (within tol);
#   * when y equals p (within tol) on a flat stretch, the midpoint of that
#     stretch: the time y reached p and the time it next rises;
#   * when y equals p on the last stretch, the midpoint between the time it
#     reached p and the last time of the curve (`last`);
#   * NA when y never reaches p; all NA when it never reaches min(p).
# Repeated y values are dropped first (keeping the first time), so a stretch
# is identified by the time it began. stats::approx() with constant
# interpolation finds "the first knot at or beyond p", after dropping missing
# values (confidence limits can be NA at the end of a curve).
curve_quantile <- function(time, y, p, tol, last) {
  if (all(is.na(y)) || max(y, na.rm = TRUE) < min(p)) return(rep(NA_real_, length(p)))
  first <- !duplicated(y)
  time <- time[first]
  y <- y[first]
  n <- length(y)
  first_reach <- function(level) {
    ok <- !is.na(level)
    if (sum(ok) < 2L) {
      # approx() needs two points: with one the answer is that point or NA.
      out <- rep(NA_real_, length(p))
      out[abs(p - level[ok]) == 0] <- which(ok)
      return(out)
    }
    stats::approx(level, seq_len(n), p, method = "constant", f = 1)$y
  }
  lo <- first_reach(y + tol)  # first time y >= p - tol
  hi <- first_reach(y - tol)  # first time y >= p + tol: after a flat stretch at p
  q <- (time[lo] + time[hi]) / 2
  q[p == 0] <- time[1L]
  if (!is.na(y[n])) {
    at_end <- abs(p - y[n]) < tol
    q[at_end] <- (time[lo[at_end]] + last) / 2
  }
  q
}

#' Quantiles and median of survival time
#'
#' The times at which the survival curve falls to `1 - probs`, with
#' confidence intervals, as [survival::quantile.survfit()] computes them.
#'
#' The `p` quantile is the first time the curve is at or below `1 - p`. When
#' the curve is exactly `1 - p` (within `tolerance`) over a stretch of time, the
#' quantile is the midpoint of that stretch; when that stretch is the last one
#' of the curve, the midpoint between its start and the last observed time.
#' The confidence limits are the same quantile of the lower and upper
#' confidence curves (the Brookmeyer-Crowley interval); they are `NA` when
#' that curve never falls so low. Curves start at 0, or at the fit's
#' `start.time` when it has one.
#'
#' `median()` returns the 0.5 quantile of each curve, without limits. Note
#' that the median in [print.netsurv_curve()] and `summary()$table` follows
#' survival's table rule, which differs from this one only when the curve
#' ends exactly at 0.5 (there the table gives the time it reached 0.5).
#'
#' @param x A survival curve from [km()].
#' @param probs Probabilities in \[0, 1\].
#' @param conf.int Also return the confidence limits (when the fit has them).
#' @param tolerance Tolerance for "exactly equal to `1 - p`".
#' @param ... Nothing: any further argument is an error that names it.
#' @return Without strata: a vector named by the percentages, or with
#'   `conf.int` a list of three such vectors `quantile`, `lower`, `upper`.
#'   With strata: matrices with one row per stratum (the same list with
#'   `conf.int`). `median()`: a numeric vector, named by stratum when there are
#'   strata.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' quantile(fit)
#' quantile(fit, probs = 0.5, conf.int = FALSE)
#' median(fit)
#' @export
quantile.netsurv_curve <- function(x, probs = c(0.25, 0.5, 0.75), conf.int = TRUE,
                                   tolerance = sqrt(.Machine$double.eps), ...) {
  check_unused("quantile() of a survival curve", ..., hints = curve_hints)
  x <- check_curve(x)
  if (!is.numeric(probs))
    stop("`probs` must be numeric probabilities; got a ", class(probs)[1L], call. = FALSE)
  if (!length(probs))
    stop("`probs` must be numeric probabilities, at least one; got length 0", call. = FALSE)
  if (anyNA(probs))
    stop("`probs` must be numeric probabilities without missing values; element ",
         which(is.na(probs))[1L], " is NA", call. = FALSE)
  if (any(probs < 0 | probs > 1))
    stop("`probs` must lie in [0, 1]; got ", format(probs[probs < 0 | probs > 1][1L]),
         call. = FALSE)
  if (!is.logical(conf.int) || length(conf.int) != 1L || is.na(conf.int))
    stop("`conf.int` must be TRUE or FALSE", call. = FALSE)
  if (is.null(x$lower)) conf.int <- FALSE
  origin <- if (is.null(x$start.time)) 0 else x$start.time
  pname <- format(probs * 100)
  rows <- curve_rows(x)
  one <- function(r, y) {
    curve_quantile(c(origin, x$time[r]), c(0, 1 - y[r]), probs, tolerance,
                   last = x$time[r][length(r)])
  }
  fill <- function(y) {
    m <- t(vapply(rows, one, numeric(length(probs)), y = y))
    if (length(probs) == 1L) m <- t(m)
    dimnames(m) <- list(names(x$strata), pname)
    if (is.null(x$strata)) m[1L, ] else m
  }
  if (!conf.int) return(fill(x$surv))
  list(quantile = fill(x$surv), lower = fill(x$lower), upper = fill(x$upper))
}

#' @rdname quantile.netsurv_curve
#' @param na.rm Unused (part of the generic).
#' @importFrom stats median quantile
#' @export
median.netsurv_curve <- function(x, na.rm = FALSE, ...) {
  check_unused("median() of a survival curve", ...)
  q <- quantile.netsurv_curve(x, probs = 0.5, conf.int = FALSE)
  if (is.matrix(q)) stats::setNames(q[, 1L], rownames(q)) else unname(q)
}

# ---- restricted mean ----------------------------------------------------------

#' Restricted mean survival time
#'
#' The area under the survival curve from its start up to `tau`, per stratum,
#' with its standard error: the restricted mean survival time (RMST), as
#' `print(survfit(...), rmean = tau)` reports it.
#'
#' The curve is carried at its last value from its last time up to `tau`. The
#' standard error is the Greenwood-type estimate
#' \eqn{\sqrt{\sum_{t_j \le \tau} A_j^2 d_j / (n_j (n_j - d_j))}}{sqrt(sum A_j^2 d_j / (n_j (n_j - d_j)))},
#' where \eqn{A_j} is the area under the curve from event time \eqn{t_j} to
#' \eqn{\tau} (terms with \eqn{n_j = d_j} are 0), on weighted counts for a
#' weighted fit -- survival's formula. Unlike survival, a `tau` between the
#' curve's origin and its first time is accepted (the RMST is then `tau`, with
#' standard error 0).
#'
#' @param x A survival curve from [km()].
#' @param tau One or more truncation times, each at or after the curve's
#'   origin (0, or the earliest time if negative).
#' @param ... Nothing: any further argument is an error that names it.
#' @return A data frame with one row per stratum and `tau` (strata vary
#'   slowest): `strata` (a factor; only with strata), `tau`, `rmst`, `se`.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' rmst(fit, tau = 365)
#' rmst(fit, tau = c(180, 365, 730))
#' @export
rmst <- function(x, ...) UseMethod("rmst")

#' @rdname rmst
#' @export
rmst.netsurv_curve <- function(x, tau, ...) {
  check_unused("rmst()", ..., hints = curve_hints)
  x <- check_curve(x)
  if (missing(tau)) stop("`tau` is missing: give the truncation time(s)", call. = FALSE)
  if (!is.numeric(tau) || !length(tau) || any(!is.finite(tau)))
    stop("`tau` must be finite numbers", call. = FALSE)
  origin <- curve_origin(x)
  if (any(tau < origin))
    stop("`tau` (", format(tau[tau < origin][1L]), ") is before the start of the curve (",
         format(origin), ")", call. = FALSE)
  rows <- curve_rows(x)
  res <- lapply(rows, function(r) {
    s <- curve_stratum(x, r)
    vapply(tau, function(t) rmst_stratum(s$time, s$surv, s$n.risk, s$n.event, origin, t),
           numeric(2))
  })
  out <- data.frame(tau = rep(as.double(tau), length(rows)),
                    rmst = unlist(lapply(res, function(m) m[1L, ]), use.names = FALSE),
                    se = unlist(lapply(res, function(m) m[2L, ]), use.names = FALSE))
  if (!is.null(x$strata)) {
    strata <- factor(rep(names(x$strata), each = length(tau)), levels = names(x$strata))
    out <- cbind(strata = strata, out)
  }
  out
}

# ---- as.data.frame ------------------------------------------------------------

# One row per time of a curve (or of its summary), strata first.
rows_to_frame <- function(x, row.names = NULL) {
  fields <- intersect(curve_row_fields, names(x))
  out <- as.data.frame(unclass(x)[fields], optional = TRUE)
  names(out) <- fields
  if (!is.null(x$strata)) {
    strata <- if (is.factor(x$strata)) x$strata
              else factor(rep(names(x$strata), x$strata), levels = names(x$strata))
    out <- cbind(strata = strata, out)
  }
  if (!is.null(row.names)) row.names(out) <- row.names
  out
}

#' Survival curve as a data frame
#'
#' One row per time of the curve (every event and censoring time of every
#' stratum), with the curve's per-time fields: `strata` (a factor, only with
#' strata), `time`, `n.risk`, `n.event`, `n.censor`, `surv`, `std.err`,
#' `cumhaz`, `std.chaz`, `lower`, `upper` (the last two absent with
#' `conf.type = "none"`). `std.err` is on the fit's scale (of the log survival
#' for km()); `summary()` and its data frame give it for the survival
#' probability. For broom's column names, use [tidy()][tidy.netsurv_curve].
#'
#' @param x A survival curve from [km()], or its [summary()][summary.netsurv_curve].
#' @param row.names Optional row names.
#' @param optional Unused (part of the generic).
#' @param ... Nothing: any further argument is an error that names it.
#' @return A data frame.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' head(as.data.frame(fit))
#' as.data.frame(summary(fit, times = c(180, 365)))
#' @export
as.data.frame.netsurv_curve <- function(x, row.names = NULL, optional = FALSE, ...) {
  check_unused("as.data.frame() of a survival curve", ...)
  x <- check_curve(x)
  rows_to_frame(x, row.names)
}
