# broom.R -- the remaining broom verbs for netsurv objects, with broom's
# column names: augment() for Cox fits (broom's augment.coxph) and for
# survival curves, and tidy()/glance() for cox_zph() tests and anova tables.
# (tidy/glance of curves are in tidy.R, of log-rank tests in logrank.R, of
# Cox fits in cox.R.)

#' @importFrom generics augment
#' @export
generics::augment

#' Augment data with a Cox fit's predictions or a curve's values
#'
#' `augment()` for a [cox()] fit follows broom's `augment.coxph()`: `data`
#' (the data the model was fitted to; rows that `na.action` removed are
#' dropped) or `newdata` gets the columns `.fitted` (the prediction of
#' `type.predict`), `.se.fit` (its standard error) and, for the fit's own
#' data, `.resid` (the residual of `type.residuals`).
#'
#' For a survival curve from [km()], `augment(fit, data)` adds to each row of
#' the data the curve at that row's own (stop) time: `.strata` (with strata),
#' `.fitted` (the survival probability), `.se.fit` (its standard error) and
#' `.cumhaz` (the cumulative hazard). broom has no such method; the columns
#' follow its names.
#'
#' @param x A fit from [cox()] or a curve from [km()].
#' @param data The data frame the model or curve was fitted to.
#' @param newdata For Cox fits: a data frame of new rows to predict for.
#' @param type.predict For Cox fits: `"lp"` (default), `"risk"`,
#'   `"expected"` or `"survival"`, as [predict()][predict.netsurv_cox].
#' @param type.residuals For Cox fits: a residual type of
#'   [residuals()][residuals.netsurv_cox] with one value per row
#'   (`"martingale"`, default, or `"deviance"`).
#' @param ... Nothing: any further argument is an error that names it.
#' @return A data frame: the data with the new columns.
#' @examples
#' lung <- survival::lung
#' fit <- cox(Surv(time, status) ~ age + sex, data = lung)
#' head(augment(fit, data = lung))
#' augment(fit, newdata = data.frame(age = c(50, 70), sex = 2), type.predict = "risk")
#' head(augment(km(Surv(time, status) ~ sex, data = lung), data = lung))
#' @name augment_netsurv
NULL

#' @rdname augment_netsurv
#' @export
augment.netsurv_cox <- function(x, data = NULL, newdata = NULL, type.predict = "lp",
                                type.residuals = "martingale", ...) {
  check_unused("augment() of a cox() fit", ...)
  if (!is.null(newdata)) {
    if (!is.data.frame(newdata)) stop("`newdata` must be a data frame", call. = FALSE)
    p <- stats::predict(x, newdata = newdata, type = type.predict, se.fit = TRUE)
    out <- newdata
    out$.fitted <- unname(p$fit)
    out$.se.fit <- unname(p$se.fit)
    return(out)
  }
  if (is.null(data))
    stop("`data`: give the data frame the model was fitted to (or `newdata`)", call. = FALSE)
  if (!is.data.frame(data)) stop("`data` must be a data frame", call. = FALSE)
  if (!type.residuals %in% c("martingale", "deviance"))
    stop("`type.residuals` must be \"martingale\" or \"deviance\" (one value per row)",
         call. = FALSE)
  out <- data
  if (length(x$na.action)) out <- out[-as.integer(x$na.action), , drop = FALSE]
  if (nrow(out) != x$n)
    stop("`data` has ", nrow(out), " rows after removing the fit's missing rows; the fit has ",
         x$n, ": give the data the model was fitted to", call. = FALSE)
  p <- stats::predict(x, type = type.predict, se.fit = TRUE)
  out$.fitted <- unname(p$fit)
  out$.se.fit <- unname(p$se.fit)
  out$.resid <- unname(stats::residuals(x, type = type.residuals))
  out
}

#' @rdname augment_netsurv
#' @export
augment.netsurv_km <- function(x, data = NULL, ...) {
  check_unused("augment() of a km() curve", ...)
  if (is.null(data) || !is.data.frame(data))
    stop("`data`: give the data frame the curve was fitted to", call. = FALSE)
  call <- x$call
  call$data <- data
  fr <- survival_frame(call, parent.frame(), specials = c("strata", "cluster"),
                       extra = c("id", "cluster"))
  if (!is.null(x$start.time)) stop("augment() does not take curves with a `start.time`",
                                   call. = FALSE)
  groups <- rhs_strata(fr$mf, fr$terms, drop_specials = "cluster")
  time <- time_fix(fr$time, fr$start)[[1L]]
  # the rows of the model frame (after subset and na.action), by row name
  keep <- match(row.names(fr$mf), row.names(data))
  out <- data[keep, , drop = FALSE]
  if (anyNA(keep) || nrow(out) != length(time))
    stop("`data` does not give the rows the curve was fitted to", call. = FALSE)
  rows <- curve_rows(x)
  lab <- if (is.null(groups)) rep(1L, length(time)) else match(as.character(groups), names(rows))
  fitted <- se <- ch <- numeric(length(time))
  se_s <- if (!is.null(x$std.err)) { if (isFALSE(x$logse)) x$std.err else x$std.err * x$surv }
  for (s in seq_along(rows)) {
    r <- rows[[s]]
    i <- which(lab == s)
    k <- findInterval(time[i], x$time[r])
    at <- r[pmax(k, 1L)]
    fitted[i] <- ifelse(k == 0L, 1, x$surv[at])
    ch[i] <- ifelse(k == 0L, 0, x$cumhaz[at])
    se[i] <- if (is.null(se_s)) NA_real_ else ifelse(k == 0L, 0, se_s[at])
  }
  if (!is.null(groups)) out$.strata <- as.character(groups)
  out$.fitted <- fitted
  out$.se.fit <- se
  out$.cumhaz <- ch
  out
}

#' Tidy and glance cox_zph tests and Cox anova tables
#'
#' `tidy()` of a [cox_zph()] test gives one row per term plus the global
#' test: `term`, `statistic` (the chi-square), `df`, `p.value`; `glance()`
#' the global test alone (`statistic`, `df`, `p.value`). `tidy()` of an
#' [anova()][anova.netsurv_cox] table follows broom's `tidy.anova()` for
#' coxph: `term`, `logLik`, `statistic`, `df`, `p.value`; its `glance()` is,
#' as broom's, an empty data frame (an analysis of deviance has no one-row
#' summary).
#' @param x A `cox_zph()` result or an `anova()` table of cox() fits.
#' @param ... Nothing: any further argument is an error that names it.
#' @return A data frame.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' tidy(cox_zph(fit))
#' glance(cox_zph(fit))
#' tidy(anova(fit))
#' @name tidy_zph_anova
NULL

#' @rdname tidy_zph_anova
#' @export
tidy.netsurv_zph <- function(x, ...) {
  check_unused("tidy() of a cox_zph() test", ...)
  tab <- x$table
  data.frame(term = rownames(tab), statistic = unname(tab[, "chisq"]),
             df = unname(tab[, "df"]), p.value = unname(tab[, "p"]), stringsAsFactors = FALSE)
}

#' @rdname tidy_zph_anova
#' @export
glance.netsurv_zph <- function(x, ...) {
  check_unused("glance() of a cox_zph() test", ...)
  tab <- x$table
  if (!"GLOBAL" %in% rownames(tab))
    stop("this cox_zph() result has no global test (global = FALSE or a subset)", call. = FALSE)
  g <- tab["GLOBAL", ]
  data.frame(statistic = unname(g["chisq"]), df = unname(g["df"]), p.value = unname(g["p"]))
}

#' @rdname tidy_zph_anova
#' @export
tidy.netsurv_anova <- function(x, ...) {
  check_unused("tidy() of a Cox anova table", ...)
  term <- rownames(x)
  heading <- attr(x, "heading")
  models <- regmatches(heading, gregexpr("Model [0-9]+: [^\n]*", heading))[[1L]]
  if (length(models) == nrow(x)) term <- sub("^Model [0-9]+: ", "", models)
  out <- data.frame(term = term, logLik = x$loglik, statistic = x$Chisq, df = x$Df,
                    p.value = x[["Pr(>|Chi|)"]], stringsAsFactors = FALSE)
  rownames(out) <- NULL
  out
}

#' @rdname tidy_zph_anova
#' @export
glance.netsurv_anova <- function(x, ...) {
  check_unused("glance() of a Cox anova table", ...)
  data.frame()
}
