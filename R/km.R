# km.R -- Kaplan-Meier curves: the formula front end, the call into the C
# core (src/r_km.c -> src/core/km.c) and the confidence limits. The methods
# (print, summary, quantile, plot, tidy, ...) live in km-methods.R, plot-km.R
# and tidy.R.

#' Kaplan-Meier survival curves
#'
#' Estimates the survival curve of each stratum by the Kaplan-Meier
#' product-limit method, with the Nelson-Aalen cumulative hazard, standard
#' errors and pointwise confidence limits. The result has the fields of a
#' [survival::survfit()] object and the same numbers (to rounding error) for
#' the same call; the engine is a C library that sorts once and scans once.
#'
#' @param formula A formula with a [survival::Surv()] response:
#'   `Surv(time, status)` for right-censored data or `Surv(start, stop, status)`
#'   for counting-process data (left truncation, delayed entry: a row is at
#'   risk at `t` when `start < t <= stop`). The right side is `1` for one
#'   curve, or variables whose combinations define the strata, labelled as
#'   survfit labels them (`"sex=1"`, `"celltype=large, trt=2"`).
#' @param data A data frame in which to interpret the variables of `formula`,
#'   `weights` and `subset`.
#' @param weights Optional case weights (frequency weights: a row with weight 2
#'   counts as two subjects). Must be finite and non-negative; a missing
#'   weight is an error. As in survfit, when any weight is not a whole number
#'   the standard errors are the infinitesimal jackknife's (each row its own
#'   cluster) and `std.err` is then on the scale of the survival probability
#'   (`logse = FALSE`).
#' @param subset Optional expression selecting the rows to use.
#' @param na.action What to do with rows with missing values; the default
#'   [stats::na.omit()] drops them and the fit records them in `na.action`.
#' @param conf.int Level of the pointwise confidence limits, a number in
#'   (0, 1).
#' @param conf.type Transformation for the confidence limits: `"log"`
#'   (default), `"log-log"`, `"plain"`, `"logit"`, `"arcsin"`, or `"none"` for
#'   no limits.
#' @param stype,ctype survfit's curve types: `stype = 1` the Kaplan-Meier
#'   product (default), `2` the survival as \eqn{\exp(-H(t))}; `ctype = 1` the
#'   Nelson-Aalen cumulative hazard \eqn{H} (default), `2` the
#'   Fleming-Harrington hazard (ties counted as if the events happened one
#'   after the other). `stype = 2, ctype = 2` is the Fleming-Harrington curve.
#' @param id Optional subject identifier, evaluated in `data`, for
#'   `Surv(start, stop, status)` data with several rows per subject: a row
#'   followed by the same subject's next interval is not counted as a
#'   censoring, and when a subject has more than one event the standard
#'   errors are the robust ones with the subject as the cluster (survfit's
#'   rules).
#' @param cluster Optional cluster identifier, evaluated in `data` (or a
#'   `cluster()` term in the formula): robust (infinitesimal-jackknife)
#'   standard errors by cluster.
#' @param robust `TRUE` or `FALSE` to force the robust standard errors on or
#'   off; by default they are used with `cluster`, with fractional weights,
#'   and with `id` when a subject has several events, as in survfit.
#'   `robust = FALSE` together with a cluster is an error (survfit would
#'   ignore the cluster).
#' @param start.time Optional time from which the curve starts: rows whose
#'   (stop) time is before it are dropped, so the curve is the survival
#'   conditional on reaching `start.time`.
#' @param se.fit `FALSE` to leave out the standard errors and confidence
#'   limits.
#'
#' @details
#' At each distinct time \eqn{t} of a stratum, with \eqn{n} the weighted
#' number at risk and \eqn{d} the weighted number of events,
#' \eqn{S(t) = \prod (1 - d/n)}, the Greenwood variance of
#' \eqn{\log S(t)} is \eqn{\sum d / (n (n - d))}, the Nelson-Aalen cumulative
#' hazard is \eqn{\sum d/n} with variance \eqn{\sum d/n^2}. At a time with
#' both, events come before censorings: a row censored at \eqn{t} is at risk
#' at \eqn{t}. Times that differ only by floating-point rounding are merged
#' first, as survfit does by default (`timefix = TRUE`, see
#' [survival::aeqSurv()]).
#'
#' @return A list of class `c("netsurv_km", "netsurv_curve")` with survfit's
#'   fields: `n` (rows per stratum), `time`, `n.risk`, `n.event`, `n.censor`,
#'   `surv`, `std.err`, `cumhaz`, `std.chaz`, `strata` (time points per
#'   stratum, named by stratum; absent for one curve), `n.enter`
#'   (counting-process data with fractional weights only, as survfit), `type`
#'   (`"right"` or `"counting"`), `logse`, `conf.int`, `conf.type`, `lower`,
#'   `upper` (absent when `conf.type = "none"`), `na.action` (when rows were
#'   dropped) and `call`.
#' @references
#' Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete
#' observations. *Journal of the American Statistical Association* 53,
#' 457-481.
#'
#' Greenwood M (1926). The natural duration of cancer. *Reports on Public
#' Health and Medical Subjects* 33, 1-26.
#' @section Differences from survival:
#' * Data: `Surv(time, status)` and `Surv(start, stop, status)` only. Interval
#'   and left censoring are an error; a factor status (competing risks,
#'   multi-state: survfit's "mright" data) is an error that points to
#'   `cuminc()`; `istate`, `etype` and `error` are not arguments.
#' * Times are always merged as `timefix = TRUE` does; `timefix`,
#'   `conf.lower`, `influence` and `type` (survfit's old argument) are not
#'   arguments (R's "unused argument" error names them).
#' * Robust standard errors by cluster (`cluster`, `id` with repeated events,
#'   fractional weights) are survfit's numbers, computed by the C core in
#'   O(n) where survfit takes O(event times x clusters). With `ctype = 2`
#'   they are the Fleming-Harrington hazard's, as in survfit; and, as survfit
#'   does, `stype = 1, ctype = 2` with a robust variance reports the standard
#'   error of S itself in `std.err` yet sets `logse = TRUE`, so its "log"
#'   limits treat it as that of log S (survival's convention, kept so that the
#'   numbers equal survfit's; use `ctype = 1` for limits on the usual scale).
#' * With `id =`, strata and (start, stop] data, survival 3.5 reads the
#'   subject flags (censoring only at a subject's last interval) of the wrong
#'   rows; netsurv flags each subject within its stratum, as later survival
#'   versions do: each stratum equals survfit on that stratum's rows.
#' * `robust = FALSE` with a cluster is an error (survfit warns and ignores
#'   the cluster). Formula terms survival treats specially and km() does not
#'   use (`offset()`, `tt()`, `pspline()`, `frailty()`, ...) are an error.
#' * Methods: [summary()][summary.netsurv_curve] has no `data.frame`
#'   argument (use `as.data.frame(summary(fit))`) and its default `rmean` is
#'   `"common"` whatever `options("survfit.rmean")` says; a curve with both
#'   strata and covariate profiles is indexed `fit[strata, profiles]` only.
#'   Any argument a method does not use is an error that names it.
#' @seealso [survival::survfit()], whose output this matches.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' fit$strata
#' head(data.frame(time = fit$time, surv = fit$surv, lower = fit$lower,
#'                 upper = fit$upper))
#' # Delayed entry: Stanford heart transplant data in (start, stop] form
#' km(Surv(start, stop, event) ~ transplant, data = survival::heart)$n
#' @export
km <- function(formula, data, weights, subset, na.action, conf.int = 0.95,
               conf.type = c("log", "log-log", "plain", "logit", "arcsin", "none"),
               stype = 1, ctype = 1, id, cluster, robust, start.time, se.fit = TRUE) {
  if (!missing(data) && is_db_table(data)) { # a database table: R/sql.R
    given <- c(stype = !missing(stype), ctype = !missing(ctype), id = !missing(id),
               cluster = !missing(cluster), robust = !missing(robust),
               start.time = !missing(start.time), se.fit = !missing(se.fit))
    if (any(given))
      stop("`", names(given)[given][1L], "` is not supported when `data` is a database table; ",
           "collect() the rows and call km() on the data frame", call. = FALSE)
    return(km_db(match.call(), parent.frame(), check_conf_int(conf.int), check_conf_type(conf.type)))
  }
  call <- match.call()
  conf.int <- check_conf_int(conf.int)
  conf.type <- check_conf_type(conf.type)
  stype <- check_km_type(stype, "stype")
  ctype <- check_km_type(ctype, "ctype")
  if (!is.logical(se.fit) || length(se.fit) != 1L || is.na(se.fit))
    stop("`se.fit` must be TRUE or FALSE", call. = FALSE)
  if (!missing(robust) && (!is.logical(robust) || length(robust) != 1L || is.na(robust)))
    stop("`robust` must be TRUE or FALSE", call. = FALSE)
  if (!missing(start.time) && (!is.numeric(start.time) || length(start.time) != 1L ||
                               !is.finite(start.time)))
    stop("`start.time` must be one finite number", call. = FALSE)
  frame <- survival_frame(call, parent.frame(), specials = c("strata", "cluster"),
                          extra = c("id", "cluster"))
  cl_term <- survival::untangle.specials(frame$terms, "cluster", 1)$vars
  if (length(cl_term) && !is.null(call$cluster))
    stop("`cluster`: give the cluster either as a cluster() term or as `cluster =`, not both",
         call. = FALSE)
  if (length(cl_term) > 1L) stop("`formula`: only one cluster() term is allowed", call. = FALSE)
  id_v <- frame$mf[["(id)"]]
  cl_v <- if (length(cl_term)) frame$mf[[cl_term]] else frame$mf[["(cluster)"]]
  groups <- rhs_strata(frame$mf, frame$terms, drop_specials = "cluster")
  weights <- frame$weights

  if (!missing(start.time)) {
    # survfitKM: rows that end before start.time are dropped.
    keep <- frame$time >= start.time
    if (!any(keep)) stop("`start.time` (", format(start.time), ") is after every time",
                         call. = FALSE)
    frame$time <- frame$time[keep]
    frame$status <- frame$status[keep]
    if (!is.null(frame$start)) frame$start <- frame$start[keep]
    if (!is.null(weights)) weights <- weights[keep]
    if (!is.null(groups)) groups <- groups[keep]
    if (!is.null(id_v)) id_v <- id_v[keep]
    if (!is.null(cl_v)) cl_v <- cl_v[keep]
  }

  # survfit's rules for the robust variance.
  has_rwt <- !is.null(weights) && any(weights != floor(weights))
  if (missing(robust)) {
    robust <- !is.null(cl_v) || has_rwt ||
      (!is.null(id_v) && anyDuplicated(id_v[frame$status == 1L]) > 0L)
  } else if (!robust && !is.null(cl_v)) {
    stop("`robust = FALSE` with a cluster: the cluster would be ignored; drop one of them",
         call. = FALSE)
  }
  clusters <- if (!is.null(cl_v)) cl_v else if (robust && !is.null(id_v)) id_v
  if (robust && is.null(clusters) && !is.null(frame$start) && !missing(robust) && !has_rwt)
    stop("`robust = TRUE` with Surv(start, stop, status) data needs `id` or `cluster`",
         call. = FALSE)
  if (!is.null(clusters) && anyNA(clusters))
    stop("`", if (!is.null(cl_v)) "cluster" else "id", "` has missing values; ",
         "give every row a ", if (!is.null(cl_v)) "cluster" else "subject", call. = FALSE)
  jackknife <- robust && se.fit
  # The Fleming-Harrington hazard's robust variance has no one-pass form per
  # row in km.c: each row becomes its own cluster (survfit's own rule).
  if (jackknife && is.null(clusters) && ctype == 2L) clusters <- seq_along(frame$time)
  cl <- if (jackknife && !is.null(clusters)) km_cluster_codes(clusters)
  position <- if (!is.null(id_v) && !is.null(frame$start))
    km_position(frame$start, frame$time,
                # a subject who moves to another stratum leaves this one
                if (is.null(groups)) id_v else interaction(id_v, groups, drop = TRUE))
  # One core call: the curves (km.c) with survfit's options applied
  # (km_options.c); one cluster per row without `cl` is km.c's own jackknife.
  core <- with_data_rows(.Call(ffi_km_fit_options, frame$time, frame$status, frame$start, weights,
                if (!is.null(groups)) unclass(groups) - 1L,
                if (!is.null(groups)) nlevels(groups) else 1L,
                jackknife && is.null(cl), sqrt(.Machine$double.eps),
                list(stype, ctype, cl$code, cl$n, position)), frame$mf)

  fit <- km_fields(core, if (is.null(groups)) length(frame$time) else core$n, groups)
  if (frame$type == "counting" && jackknife) fit$n.enter <- core$n.enter
  fit$type <- frame$type
  if (se.fit) {
    # survfit's rule: with a robust variance, std.err is the standard error
    # of S (logse = FALSE) except with ctype = 2, where survfit sets logse =
    # TRUE also for stype = 1, whose std.err is still that of S.
    fit$logse <- !jackknife || ctype == 2L
    fit <- km_conf_limits(fit, conf.int, conf.type)
  } else {
    fit$std.err <- NULL
    fit$std.chaz <- NULL
  }
  if (!missing(start.time)) fit$start.time <- start.time
  if (!is.null(frame$na_action)) fit$na.action <- frame$na_action
  fit$call <- call
  new_km(fit)
}

# survfit's fields of a Kaplan-Meier fit from the C core's curves (km() on
# rows, the database path on counts): n (all rows, or per stratum), the
# columns per time point, and the strata that have a time point.
km_fields <- function(core, n, groups) {
  fit <- list(n = n,
              time = core$time, n.risk = core$n.risk, n.event = core$n.event,
              n.censor = core$n.censor, surv = core$surv, std.err = core$std.err,
              cumhaz = core$cumhaz, std.chaz = core$std.chaz)
  if (!is.null(groups)) {
    strata <- stats::setNames(core$strata, levels(groups))
    fit$strata <- strata[strata > 0L]
  }
  fit
}

# The fit's confidence level and type, and its limits unless the type is
# "none" (fit$logse says what std.err is the standard error of).
km_conf_limits <- function(fit, conf.int, conf.type) {
  fit$conf.int <- conf.int
  fit$conf.type <- conf.type
  if (conf.type != "none") {
    limits <- surv_conf_limits(fit$surv, fit$std.err, conf.int, conf.type, logse = fit$logse)
    fit$lower <- limits$lower
    fit$upper <- limits$upper
  }
  fit
}

# Internal constructor: a list with survfit's fields becomes a netsurv_km.
# Checks the fields every method relies on, nothing more (km() built them).
new_km <- function(x) {
  stopifnot(is.list(x))
  required <- c("n", "time", "n.risk", "n.event", "n.censor", "surv", "cumhaz", "type",
                if (!is.null(x$std.err)) c("std.err", "std.chaz", "logse", "conf.int", "conf.type"))
  missing <- setdiff(required, names(x))
  if (length(missing)) stop("internal: a km fit needs the field(s) ", toString(missing), call. = FALSE)
  m <- length(x$time)
  for (f in intersect(c("n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz", "std.chaz"),
                     names(x)))
    if (length(x[[f]]) != m) stop("internal: field `", f, "` must have one value per time", call. = FALSE)
  if (!is.null(x$strata) && sum(x$strata) != m)
    stop("internal: `strata` must count the time points of each stratum", call. = FALSE)
  structure(x, class = c("netsurv_km", "netsurv_curve"))
}

km_conf_types <- c("log", "log-log", "plain", "logit", "arcsin", "none")

check_conf_type <- function(conf.type) match_choice(conf.type, km_conf_types, "conf.type")
