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
               conf.type = c("log", "log-log", "plain", "logit", "arcsin", "none")) {
  if (!missing(data) && is_db_table(data)) # a database table: R/sql.R
    return(km_db(match.call(), parent.frame(), check_conf_int(conf.int), check_conf_type(conf.type)))
  call <- match.call()
  conf.int <- check_conf_int(conf.int)
  conf.type <- check_conf_type(conf.type)
  frame <- survival_frame(call, parent.frame(), specials = c("strata", "cluster"))
  if (!is.null(attr(frame$terms, "specials")$cluster))
    stop("`formula`: cluster() terms are not supported by km()", call. = FALSE)
  groups <- rhs_strata(frame$mf, frame$terms)

  # survfit's rule: any fractional case weight switches to the jackknife.
  jackknife <- !is.null(frame$weights) && any(frame$weights != floor(frame$weights))
  core <- .Call(ffi_km_fit, frame$time, frame$status, frame$start, frame$weights,
                if (!is.null(groups)) unclass(groups) - 1L,
                if (!is.null(groups)) nlevels(groups) else 1L,
                jackknife, sqrt(.Machine$double.eps))

  fit <- list(n = if (is.null(groups)) length(frame$time) else core$n,
              time = core$time, n.risk = core$n.risk, n.event = core$n.event,
              n.censor = core$n.censor, surv = core$surv, std.err = core$std.err,
              cumhaz = core$cumhaz, std.chaz = core$std.chaz)
  if (!is.null(groups)) {
    strata <- stats::setNames(core$strata, levels(groups))
    fit$strata <- strata[strata > 0L]
  }
  if (frame$type == "counting" && jackknife) fit$n.enter <- core$n.enter
  fit$type <- frame$type
  fit$logse <- !jackknife
  fit$conf.int <- conf.int
  fit$conf.type <- conf.type
  if (conf.type != "none") {
    limits <- km_conf_limits(fit$surv, fit$std.err, fit$logse, conf.type, conf.int)
    fit$lower <- limits$lower
    fit$upper <- limits$upper
  }
  if (!is.null(frame$na_action)) fit$na.action <- frame$na_action
  fit$call <- call
  new_km(fit)
}

# Internal constructor: a list with survfit's fields becomes a netsurv_km.
# Checks the fields every method relies on, nothing more (km() built them).
new_km <- function(x) {
  stopifnot(is.list(x))
  required <- c("n", "time", "n.risk", "n.event", "n.censor", "surv", "std.err",
                "cumhaz", "std.chaz", "type", "logse", "conf.int", "conf.type")
  missing <- setdiff(required, names(x))
  if (length(missing)) stop("internal: a km fit needs the field(s) ", toString(missing), call. = FALSE)
  m <- length(x$time)
  for (f in c("n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz", "std.chaz"))
    if (length(x[[f]]) != m) stop("internal: field `", f, "` must have one value per time", call. = FALSE)
  if (!is.null(x$strata) && sum(x$strata) != m)
    stop("internal: `strata` must count the time points of each stratum", call. = FALSE)
  structure(x, class = c("netsurv_km", "netsurv_curve"))
}

# Pointwise limits for S(t) on the scale given by conf.type; the conventions
# are survfit's: std.err is that of log S when logse is TRUE (Greenwood), of S
# otherwise (jackknife); limits are NA where the transformation is undefined
# (S = 0 for "log", "logit", "arcsin"; S = 0 or 1 for "log-log"); "plain" and
# "log" upper limits are capped at 1, "plain" lower limits at 0.
km_conf_limits <- function(surv, std.err, logse, conf.type, conf.int) {
  z <- stats::qnorm(1 - (1 - conf.int) / 2)
  se <- std.err
  if (!logse) {
    se <- std.err / surv
    se[which(std.err == 0)] <- 0
  }
  undefined <- surv == 0
  p <- surv
  switch(conf.type,
    plain = {
      half <- z * se * surv
      list(lower = pmax(surv - half, 0), upper = pmin(surv + half, 1))
    },
    log = {
      p[undefined] <- NA
      list(lower = exp(log(p) - z * se), upper = pmin(exp(log(p) + z * se), 1))
    },
    `log-log` = {
      p[undefined | surv == 1] <- NA
      loglog <- log(-log(p))
      half <- z * se / log(p)
      list(lower = exp(-exp(loglog - half)), upper = exp(-exp(loglog + half)))
    },
    logit = {
      p[undefined] <- NA
      half <- z * se * (1 + p / (1 - p))
      logit <- log(surv / (1 - surv))
      list(lower = 1 - 1 / (1 + exp(logit - half)), upper = 1 - 1 / (1 + exp(logit + half)))
    },
    arcsin = {
      p[undefined] <- NA
      half <- 0.5 * z * se * sqrt(p / (1 - p))
      angle <- asin(sqrt(p))
      list(lower = sin(pmax(0, angle - half))^2, upper = sin(pmin(pi / 2, angle + half))^2)
    }
  )
}

check_conf_int <- function(conf.int) {
  if (!is.numeric(conf.int) || length(conf.int) != 1L || is.na(conf.int) ||
      conf.int <= 0 || conf.int >= 1)
    stop("`conf.int` must be a single number strictly between 0 and 1 (e.g. 0.95), not ",
         deparse1(conf.int), call. = FALSE)
  as.double(conf.int)
}

km_conf_types <- c("log", "log-log", "plain", "logit", "arcsin", "none")

check_conf_type <- function(conf.type) {
  if (identical(conf.type, km_conf_types)) return("log")
  if (!is.character(conf.type) || length(conf.type) != 1L || !conf.type %in% km_conf_types)
    stop("`conf.type` must be one of ", paste0('"', km_conf_types, '"', collapse = ", "),
         "; not ", deparse1(conf.type), call. = FALSE)
  conf.type
}
