# plot-km-data.R -- the plot data of the survival figures: every number a
# figure shows (curves and their step paths, censoring marks, x breaks,
# numbers at risk, events/N, medians, tests, hazard ratios), with no graphics.
# The figure's layout and drawing are in R/plot-km.R.

# Step path through knots (t_1, y_1), ..., (t_m, y_m) of a right-continuous
# step function: horizontal to the next time, then vertical to its value.
step_path <- function(t, y) {
  m <- length(t)
  if (m == 1L) return(list(x = t, y = y))
  list(x = c(t[1L], rep(t[-1L], each = 2L)),
       y = c(rep(y[-m], each = 2L), y[m]))
}

# Coordinates of every stratum's curve, ready to draw:
#   knots  one row per time, starting at the curve's origin (surv 1), with
#          strata, time, surv, lower, upper (NA when the fit has no CI),
#          n.risk, n.event, n.censor, cumhaz (the fit's, else -log(surv));
#   steps  the step path: strata, x, surv, lower, upper, cumhaz (shared x);
#   marks  censoring marks: strata, time, surv -- at the times with censorings,
#          or at the requested times when mark.time is numeric;
#   labels stratum labels ("" without strata); xlim, ylim default ranges.
curve_plot_data <- function(x, mark.time = TRUE) {
  x <- check_curve(x)
  rows <- curve_rows(x)
  labels <- if (is.null(x$strata)) "" else names(x$strata)
  origin <- curve_origin(x)
  has_ci <- !is.null(x$lower)
  knots <- steps <- marks <- vector("list", length(rows))
  for (i in seq_along(rows)) {
    s <- curve_stratum(x, rows[[i]])
    k <- data.frame(time = s$time, surv = s$surv,
                    lower = if (has_ci) s$lower else NA_real_,
                    upper = if (has_ci) s$upper else NA_real_,
                    n.risk = s$n.risk, n.event = s$n.event, n.censor = s$n.censor,
                    cumhaz = if (!is.null(s$cumhaz)) s$cumhaz else -log(s$surv))
    if (k$time[1L] != origin) {
      k <- rbind(data.frame(time = origin, surv = 1, lower = if (has_ci) 1 else NA_real_,
                            upper = if (has_ci) 1 else NA_real_, n.risk = k$n.risk[1L],
                            n.event = 0, n.censor = 0, cumhaz = 0), k)
    }
    steps[[i]] <- curve_steps(k, labels[i])
    marks[[i]] <- curve_marks(k, labels[i], mark.time)
    knots[[i]] <- cbind(strata = labels[i], k)
  }
  knots <- bind_curves(knots, labels)
  structure(list(knots = knots, steps = bind_curves(steps, labels),
                 marks = bind_curves(marks, labels), labels = labels,
                 xlim = range(knots$time), ylim = c(0, 1)),
            class = "netsurv_plotdata")
}

# The step path of one curve from its knots (a data frame with time, surv,
# lower, upper and, for survival curves, cumhaz): strata, x and the knots'
# columns as step functions of x.
curve_steps <- function(k, label) {
  sp <- step_path(k$time, k$surv)
  out <- data.frame(strata = label, x = sp$x, surv = sp$y,
                    lower = step_path(k$time, k$lower)$y,
                    upper = step_path(k$time, k$upper)$y)
  if (!is.null(k[["cumhaz"]])) out$cumhaz <- step_path(k$time, k$cumhaz)$y
  out
}

# The censoring marks of one curve (strata, time, surv): at the knots with
# censorings (mark.time = TRUE), at the given times (numeric), or none.
curve_marks <- function(k, label, mark.time) {
  if (is.numeric(mark.time)) {
    at <- sort(mark.time[mark.time >= k$time[1L] & mark.time <= max(k$time)])
    surv <- k$surv[findInterval(at, k$time)]
  } else {
    cens <- k$n.censor > 0 & isTRUE(mark.time)
    at <- k$time[cens]
    surv <- k$surv[cens]
  }
  data.frame(strata = rep(label, length(at)), time = at, surv = surv)
}

# The curves' parts in one data frame, strata a factor in the curves' order.
bind_curves <- function(parts, levels) {
  out <- do.call(rbind, parts)
  out$strata <- factor(out$strata, levels = levels)
  rownames(out) <- NULL
  out
}

# ---- the plot-data object -----------------------------------------------------

# Okabe & Ito's colour-blind-safe palette without its yellow (unreadable as
# text on white), in an order that keeps the first curves far apart in hue and
# lightness, then a second set of five (Tol's "muted" darks) for up to 12
# groups. Text in these colours is drawn darkened where needed
# (legible_text_colour()).
okabe_ito <- c("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
               "#000000")
second_set <- c("#882255", "#332288", "#117733", "#999933", "#AA4499")

# Default colours: black for a single curve, the palette for strata
# (recycled beyond 12).
default_colours <- function(k) {
  if (k == 1L) "black" else rep_len(c(okabe_ito, second_set), k)
}

# Default x breaks from the origin (on the axis' scale, i.e. after xscale):
# every 6 when the span is 18 to 72, every 12 up to 144 (month-like spans),
# otherwise pretty() breaks; always covering the last time.
default_xbreaks <- function(from, to) {
  span <- to - from
  if (span <= 0) return(from)
  by <- if (span >= 18 && span <= 72) 6 else if (span > 72 && span <= 144) 12 else NA
  if (is.na(by)) {
    b <- pretty(c(from, to), n = 8)
    by <- b[2L] - b[1L]
  }
  seq(from, from + by * ceiling(span / by - 1e-8), by = by)
}

# Display labels: "subtype=carcinoid" -> "carcinoid" when every stratum is
# one variable's value (same "name=" prefix), else survfit's labels.
display_labels <- function(strata) {
  if (identical(strata, "")) return("All patients")
  prefix <- sub("=.*$", "", strata)
  if (all(grepl("=", strata)) && length(unique(prefix)) == 1L && !any(grepl(", ", strata)))
    return(sub("^[^=]*=", "", strata))
  strata
}

format_num <- function(x, digits) {
  ifelse(is.na(x), "NR", formatC(x, format = "f", digits = digits))
}

format_p <- function(p) {
  if (is.na(p)) return("NA")
  if (p < 0.001) return("< 0.001")
  paste("=", formatC(p, format = "f", digits = if (p < 0.01) 3 else 2))
}

#' Plot data for a journal-style survival figure
#'
#' Computes every number a survival figure shows -- the step curves, censoring
#' marks, x-axis breaks, the numbers at risk at each break, events/N and the
#' median with its confidence interval per stratum, and optionally a log-rank
#' p-value and a hazard ratio -- as one object, without drawing anything.
#' [plot()][plot.netsurv_curve] draws it in base graphics and
#' `ggplot2::autoplot()` draws the same object with ggplot2, so both figures
#' show identical numbers.
#'
#' The numbers at risk are `summary(x, times = breaks, extend = TRUE)$n.risk`
#' (the number at risk just before each break time, i.e. at the first
#' observed time at or after it); the medians and their limits are
#' [quantile()][quantile.netsurv_curve] at 0.5 (`NA`, printed `"NR"`, when not
#' reached); events/N are the stratum's total events and its number of
#' records `x$n`.
#'
#' @param x A survival curve (`"netsurv_curve"`), e.g. from [km()].
#' @param xbreaks The x-axis breaks, which are also the times of the
#'   numbers-at-risk table. Default: every 6 from the origin (months) when the
#'   last time is at most 72, every 12 up to 144, else [pretty()] breaks;
#'   always up to the first break at or after the last time (or up to
#'   `xlim[2]`).
#' @param xlim Optional x range; breaks outside it are dropped.
#' @param mark.time Censoring marks: `TRUE` (at censoring times), `FALSE`, or
#'   numeric times.
#' @param test Optional log-rank test to annotate: a [logrank()] result, or
#'   `TRUE` to compute `logrank()` from the formula, `data` and `subset` of
#'   the curve's call (evaluated in `env`); with a permutation p-value
#'   (`exact = TRUE`) both p-values are shown.
#' @param hr Optional hazard ratio(s) to annotate: a [cox()] result, or `TRUE`
#'   to fit `cox()` to the curve's call as for `test`.
#' @param labels Optional stratum labels for the legend and the risk table.
#'   Default: the stratum values without the `"variable="` prefix when the
#'   strata come from one variable, `"All patients"` without strata.
#' @param digits Decimals for medians and hazard ratios.
#' @param env Environment in which to evaluate the curve's call for
#'   `test = TRUE` / `hr = TRUE` (and, for a [cox_curve()], its `newdata`, to
#'   label the curves by their covariate values).
#' @param xscale Divide the times by this on the axis (e.g. `365.25` for days
#'   to years); the default breaks are chosen on the scaled axis. `xbreaks`
#'   and `xlim` stay in the data's time unit.
#' @return An object of class `"netsurv_plotdata"`, a list with
#'   `knots`, `steps`, `marks` (as documented in [plot.netsurv_curve()]),
#'   `strata` (the fit's stratum names, `""` without strata), `labels`
#'   (display labels), `xlim`, `ylim` (on the probability scale),
#'   `breaks` (in the data's time unit), `break_labels` (their labels on the
#'   scaled axis), `xscale`, `risk` (data frame: `strata`, `time`, `n.risk`,
#'   and `cum.event`, `cum.censor`: the events and censorings at or before
#'   `time`),
#'   `summary` (data frame, one row per stratum: `strata`, `label`, `n`,
#'   `events`, `median`, `lower`, `upper`), `conf.int` (the level of the
#'   limits), `test` (`NULL`, or a list with `chisq`, `df`, `p.value` and
#'   `perm.p.value`), `hr` (`NULL`, or a data frame `term`, `estimate`,
#'   `conf.low`, `conf.high`) and `text`, the formatted legend columns and
#'   annotation lines.
#' @seealso [plot.netsurv_curve()], [autoplot.netsurv_curve()]
#' @examples
#' fit <- km(Surv(pfs_months, pfs_event) ~ subtype, data = chan2012,
#'           conf.type = "log-log")
#' pd <- km_plot_data(fit, test = TRUE)
#' pd$risk
#' pd$summary
#' pd$text$annotation
#' @export
km_plot_data <- function(x, xbreaks = NULL, xlim = NULL, mark.time = TRUE, test = NULL,
                         hr = NULL, labels = NULL, digits = 1, env = parent.frame(),
                         xscale = 1) {
  if (!is.numeric(xscale) || length(xscale) != 1L || !is.finite(xscale) || xscale <= 0)
    stop("`xscale` must be a positive number", call. = FALSE)
  x0 <- x
  x <- check_curve(x)
  check_mark_time(mark.time)
  if (!is.null(xlim) && (!is.numeric(xlim) || length(xlim) != 2L || anyNA(xlim) ||
                         xlim[1L] >= xlim[2L]))
    stop("`xlim` must be two increasing numbers", call. = FALSE)
  if (!is.null(xbreaks) && (!is.numeric(xbreaks) || !length(xbreaks) || anyNA(xbreaks)))
    stop("`xbreaks` must be a numeric vector without missing values", call. = FALSE)
  if (!is.numeric(digits) || length(digits) != 1L || is.na(digits) || digits < 0)
    stop("`digits` must be a non-negative whole number", call. = FALSE)
  pd <- curve_plot_data(x, mark.time)
  strata <- pd$labels
  k <- length(strata)
  if (is.null(labels)) labels <- if (inherits(x0, "netsurv_coxcurve"))
    coxcurve_labels(x0, strata, env) else display_labels(strata)
  if (!is.character(labels) || length(labels) != k)
    stop("`labels` must be a character vector with one label per stratum (", k, ")",
         call. = FALSE)
  origin <- curve_origin(x)
  last <- max(x$time)
  if (is.null(xbreaks)) {
    to <- if (is.null(xlim)) last else xlim[2L]
    xbreaks <- xscale * default_xbreaks((if (is.null(xlim)) origin else xlim[1L]) / xscale,
                                        to / xscale)
  }
  xbreaks <- sort(unique(xbreaks))
  if (is.null(xlim)) xlim <- c(min(origin, xbreaks[1L]), max(last, xbreaks))
  xbreaks <- xbreaks[xbreaks >= xlim[1L] & xbreaks <= xlim[2L]]
  if (!length(xbreaks)) stop("`xbreaks`: no break lies within `xlim`", call. = FALSE)

  # Numbers at risk at the breaks: summary.netsurv_curve's rule, per stratum.
  s <- summary.netsurv_curve(x, times = xbreaks, extend = TRUE)
  risk <- data.frame(strata = factor(if (is.null(s$strata)) rep("", length(s$time))
                                     else as.character(s$strata), levels = strata),
                     time = s$time, n.risk = s$n.risk)
  # cumulative events and censorings at or before each break (KMunicate rows)
  kn <- pd$knots
  cum <- function(field) unlist(lapply(seq_len(k), function(i) {
    ki <- kn[as.integer(kn$strata) == i, , drop = FALSE]
    vapply(xbreaks, function(t) sum(ki[[field]][ki$time <= t]), numeric(1))
  }))
  risk$cum.event <- cum("n.event")
  risk$cum.censor <- cum("n.censor")

  # events/N and the median with its limits (quantile()'s rule).
  q <- quantile.netsurv_curve(x, probs = 0.5, conf.int = !is.null(x$lower))
  getq <- function(m) if (is.null(m)) rep(NA_real_, k) else unname(as.vector(m))
  if (is.list(q)) {
    med <- getq(q$quantile); lo <- getq(q$lower); hi <- getq(q$upper)
  } else {
    med <- getq(q); lo <- hi <- rep(NA_real_, k)
  }
  rows <- curve_rows(x)
  events <- vapply(rows, function(r) sum(x$n.event[r]), numeric(1))
  n <- if (length(x$n) == k) as.numeric(x$n) else rep(sum(x$n), k)
  summ <- data.frame(strata = factor(strata, levels = strata), label = labels, n = n,
                     events = unname(events), median = med, lower = lo, upper = hi,
                     stringsAsFactors = FALSE)

  test <- plot_test(test, x, env)
  hr <- plot_hr(hr, x, env, conf.level = if (is.null(x$conf.int)) 0.95 else x$conf.int,
                strata = strata, labels = labels)

  level <- if (is.null(x$conf.int)) 0.95 else x$conf.int
  ci_text <- if (is.null(x$lower)) "" else
    paste0(" (", format_num(lo / xscale, digits), "-", format_num(hi / xscale, digits), ")")
  text <- list(
    header = c("", "Events/N", if (is.null(x$lower)) "Median" else
               paste0("Median (", format(100 * level), "% CI)")),
    events = paste0(format_num(events, 0), "/", format_num(n, 0)),
    median = paste0(format_num(med / xscale, digits), ci_text),   # on the axis' scale
    annotation = character(0))
  if (!is.null(test)) {
    text$annotation <- c(text$annotation, paste0(
      "Log-rank P ", format_p(test$p.value),
      if (!is.na(test$perm.p.value)) paste0(" (permutation P ", format_p(test$perm.p.value), ")")))
  }
  if (!is.null(hr)) {
    hr_txt <- paste0(format_num(hr$estimate, 2), " (", format_num(hr$conf.low, 2), "-",
                     format_num(hr$conf.high, 2), ")")
    if (k >= 3L && nrow(hr) == k - 1L && !anyNA(hr$group)) {
      # one HR per group against the reference: a legend column
      text$hr <- rep("1 (reference)", k)
      text$hr[hr$group] <- hr_txt
      text$header <- c(text$header, paste0("HR (", format(100 * hr$level[1L]), "% CI)"))
    } else {
      lab <- if (nrow(hr) > 1L) paste0(ifelse(is.na(hr$group), hr$term,
                                              paste0(labels[pmax(1L, hr$group)], " vs ", labels[1L])),
                                       ": ") else ""
      text$annotation <- c(text$annotation, paste0(
        lab, "HR ", format_num(hr$estimate, 2), " (", format(100 * hr$level[1L]), "% CI ",
        format_num(hr$conf.low, 2), "-", format_num(hr$conf.high, 2), ")"))
    }
  }

  pd$strata <- strata
  pd$labels <- labels
  pd$xlim <- xlim
  pd$breaks <- xbreaks
  pd$break_labels <- format_breaks(xbreaks / xscale)
  pd$xscale <- xscale
  pd$risk <- risk
  pd$summary <- summ
  pd$conf.int <- level
  pd$test <- test
  pd$hr <- hr
  pd$text <- text
  pd
}

check_mark_time <- function(mark.time) {
  if (!(is.numeric(mark.time) && !anyNA(mark.time)) &&
      !(is.logical(mark.time) && length(mark.time) == 1L && !is.na(mark.time)))
    stop("`mark.time` must be TRUE, FALSE or a numeric vector of times", call. = FALSE)
}

# Re-run a model function on the curve's own call: same formula, data and
# subset, evaluated in `env`.
refit_from_call <- function(fun, x, env, what) {
  cl <- x$call
  if (is.null(cl) || is.null(cl$formula))
    stop("`", what, " = TRUE`: the curve has no call to recompute it from; pass a ",
         if (what == "test") "logrank()" else "cox()", " result instead", call. = FALSE)
  new <- call(fun, formula = cl$formula)
  for (a in c("data", "subset", "na.action")) if (!is.null(cl[[a]])) new[[a]] <- cl[[a]]
  new[[1L]] <- switch(fun, logrank = logrank, cox = cox)
  tryCatch(eval(new, env), error = function(e)
    stop("`", what, " = TRUE`: could not recompute from the curve's call (",
         conditionMessage(e), "); pass a ",
         if (what == "test") "logrank()" else "cox()", " result instead", call. = FALSE))
}

plot_test <- function(test, x, env) {
  if (is.null(test) || isFALSE(test)) return(NULL)
  if (isTRUE(test)) test <- refit_from_call("logrank", x, env, "test")
  if (!inherits(test, "netsurv_logrank"))
    stop("`test` must be TRUE, FALSE, NULL or a logrank() result", call. = FALSE)
  list(chisq = test$chisq, df = test$df, p.value = test$pvalue,
       perm.p.value = if (is.null(test$permutation)) NA_real_ else test$permutation$p.value)
}

plot_hr <- function(hr, x, env, conf.level, strata = NULL, labels = NULL) {
  if (is.null(hr) || isFALSE(hr)) return(NULL)
  k <- length(strata)
  if (isTRUE(hr)) {
    hr <- if (k >= 3L) refit_groups_cox(x, env) else refit_from_call("cox", x, env, "hr")
  }
  if (!inherits(hr, "netsurv_cox"))
    stop("`hr` must be TRUE, FALSE, NULL or a cox() result", call. = FALSE)
  beta <- hr$coefficients
  ci <- stats::confint(hr, level = conf.level)
  if (isTRUE(attr(hr, "netsurv_groups"))) {
    # our own group factor: a level emptied by `subset` has no coefficient
    ok <- !is.na(beta)
    beta <- beta[ok]
    ci <- ci[ok, , drop = FALSE]
  }
  term <- names(beta)
  # which group each term compares with the first: by the stratum's value
  # ("var=value" -> term "varvalue", or the k - 1 terms of the group factor)
  group <- rep(NA_integer_, length(term))
  if (k >= 2L) {
    value <- sub("^[^=]*=", "", strata)
    plain <- gsub("[=, ]", "", strata)
    for (j in seq_along(term)) {
      hit <- which(endsWith(term[j], value) | term[j] == plain)
      hit <- hit[hit > 1L]
      if (length(hit) == 1L) group[j] <- hit
    }
    if (isTRUE(attr(hr, "netsurv_groups")) && length(term) == k - 1L) group <- 2:k
    if (anyDuplicated(group[!is.na(group)])) group[] <- NA_integer_
  }
  data.frame(term = term, estimate = unname(exp(beta)),
             conf.low = unname(exp(ci[, 1L])), conf.high = unname(exp(ci[, 2L])),
             level = conf.level, group = group, stringsAsFactors = FALSE)
}

# cox() with the curve's groups as one factor (levels in the curve's stratum
# order), so that each group gets its own HR against the first.
refit_groups_cox <- function(x, env) {
  cl <- x$call
  if (is.null(cl) || is.null(cl$formula))
    stop("`hr = TRUE`: the curve has no call to recompute it from; pass a cox() result instead",
         call. = FALSE)
  f <- stats::as.formula(cl$formula, env = env)
  vars <- all.vars(f[[3L]])
  rhs <- if (length(vars) == 1L) call("factor", as.name(vars)) else
    as.call(c(list(as.name("interaction")), lapply(vars, as.name),
              list(drop = TRUE, lex.order = TRUE)))
  f2 <- f
  f2[[3L]] <- rhs
  new <- call("cox", formula = f2)
  for (a in c("data", "subset", "na.action")) if (!is.null(cl[[a]])) new[[a]] <- cl[[a]]
  new[[1L]] <- cox
  fit <- tryCatch(eval(new, env), error = function(e)
    stop("`hr = TRUE`: could not recompute from the curve's call (", conditionMessage(e),
         "); pass a cox() result instead", call. = FALSE))
  attr(fit, "netsurv_groups") <- TRUE
  fit
}

# Labels of a cox_curve's curves by their covariate values ("age=60, sex=1"),
# from the newdata of its call (evaluated in env); the fit's labels when the
# newdata cannot be found.
coxcurve_labels <- function(x, strata, env) {
  base <- display_labels(strata)
  nd <- tryCatch(eval(x$call$newdata, env), error = function(e) NULL)
  if (!is.data.frame(nd) || !nrow(nd)) return(base)
  vals <- vapply(seq_len(nrow(nd)), function(i) paste(vapply(names(nd), function(v)
    paste0(v, "=", trimws(format(nd[[v]][i]))), ""), collapse = ", "), "")
  rn <- row.names(nd)
  lab <- strata
  for (i in seq_along(strata)) {
    parts <- strsplit(strata[i], ", ", fixed = TRUE)[[1L]]
    j <- match(parts[length(parts)], rn)
    if (!is.na(j)) {
      parts[length(parts)] <- vals[j]
      lab[i] <- paste(parts, collapse = ", ")
    }
  }
  if (identical(strata, "")) return(if (nrow(nd) == 1L) vals[1L] else base)
  lab
}

format_breaks <- function(b) {
  out <- format(signif(b, 10), trim = TRUE, drop0trailing = TRUE)
  sub("^-0$", "0", out)
}
