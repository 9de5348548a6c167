# plot-km.R -- survival-curve figures in base graphics: the plot data, the
# figure's content (a layout "spec"), and plot()/lines()/points() methods.
#
# Three steps, kept apart:
#   km_plot_data()     every number the figure shows (curves, marks, breaks,
#                      numbers at risk, events/N, medians, tests, HRs), no
#                      graphics;
#   km_layout_spec()   the figure's content as text blocks (legend table,
#                      annotation, risk-table rows, axis labels);
#   layout_metrics() / layout_solve() / layout_draw() (R/plot-layout.R)
#                      measure the text on the open device, allocate margins,
#                      legend, annotation and risk table so that nothing is cut
#                      or overlaps and the curve panel keeps >= half the
#                      figure's height (degrading in a documented order), then
#                      draw. layout_solve() is a pure function of the spec, the
#                      device's text metrics and the figure size.
#
# How another figure type (cumulative incidence, a forest plot, ...) plugs in:
# build a spec -- a list with
#   groups   label (character, one per group), col (line colours), text_col
#            (colours legible as text, see legible_text_colour()), lty, lwd;
#   legend   pos ("top", a corner, or "none") and variants: a list, from the
#            fullest to the most compact, of list(columns, msg), each column a
#            list(header, cells) with one cell per group, msg what that variant
#            drops (for the message);
#   annotation       character lines (wrapped as needed), annotation_pos;
#   risk     NULL or list(header, rows, extra), each row list(label, col,
#            values (one string per x break), extra = TRUE for optional rows);
#   x        usr (the x range of the plot window, on the axis' scale), at (the
#            breaks, same scale), labels (one per break), lab;
#   y        usr, at, labels, lab;
#   panel, main (or NULL), cex_axis, cex_text, tick_lines, panel_floor --
# then, with a device open and plot.new() called:
#   lay <- layout_solve(spec, layout_metrics(layout_strings(spec)), par("fin"))
#   par(mai = lay$mai); plot.window(...); layout_draw(lay, spec)
# and draw the curves in the panel. lay$keep says which breaks survived the
# thinning (draw ticks and risk columns only there). A rising curve needs
# nothing else: its y ticks and labels are in the spec.

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
    sp <- step_path(k$time, k$surv)
    steps[[i]] <- data.frame(strata = labels[i], x = sp$x, surv = sp$y,
                             lower = step_path(k$time, k$lower)$y,
                             upper = step_path(k$time, k$upper)$y,
                             cumhaz = step_path(k$time, k$cumhaz)$y)
    if (is.numeric(mark.time)) {
      at <- sort(mark.time[mark.time >= k$time[1L] & mark.time <= max(k$time)])
      marks[[i]] <- data.frame(strata = rep(labels[i], length(at)), time = at,
                               surv = k$surv[findInterval(at, k$time)])
    } else {
      cens <- k$n.censor > 0
      marks[[i]] <- data.frame(strata = rep(labels[i], sum(cens)), time = k$time[cens],
                               surv = k$surv[cens])
      if (!isTRUE(mark.time)) marks[[i]] <- marks[[i]][0L, ]
    }
    knots[[i]] <- cbind(strata = labels[i], k)
  }
  bind <- function(parts) {
    out <- do.call(rbind, parts)
    out$strata <- factor(out$strata, levels = labels)
    rownames(out) <- NULL
    out
  }
  knots <- bind(knots)
  structure(list(knots = knots, steps = bind(steps), marks = bind(marks), labels = labels,
                 xlim = range(knots$time), ylim = c(0, 1)),
            class = "netsurv_plotdata")
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

# ---- the figure's content: a layout spec (see the top of this file) -----------

# y values of a curve on the scale of `fun`; `which` is surv, lower or upper of
# the step paths (the limits swap for the rising scales).
curve_y <- function(st, fun, which = "surv") {
  switch(fun,
    surv = st[[which]],
    event = 1 - st[[switch(which, surv = "surv", lower = "upper", upper = "lower")]],
    cumhaz = if (which == "surv") st$cumhaz else
      -log(st[[switch(which, lower = "upper", upper = "lower")]]),
    cloglog = {
      v <- st[[which]]
      ifelse(v > 0 & v < 1, log(-log(v)), NA_real_)
    })
}

# The spec of a km figure from its plot data and the options of plot().
km_layout_spec <- function(pd, o) {
  k <- length(pd$labels)
  variants <- list()
  ev <- list(header = pd$text$header[2L], cells = pd$text$events)
  med <- list(header = pd$text$header[3L], cells = pd$text$median)
  med_short <- list(header = "Median", cells = format_num(pd$summary$median / pd$xscale,
                                                          o$digits))
  hrc <- if (!is.null(pd$text$hr)) list(header = pd$text$header[4L], cells = pd$text$hr)
  has_ci <- !identical(med$cells, med_short$cells)
  if (o$coxcurve) {
    # events/N belong to the whole sample, not to a covariate profile
    variants <- list(list(columns = list(med)),
                     if (has_ci) list(columns = list(med_short), msg = "the median's CI"),
                     list(columns = list(), msg = "the median column"))
  } else {
    variants <- list(list(columns = c(list(ev, med), if (!is.null(hrc)) list(hrc))),
                     if (has_ci) list(columns = c(list(ev, med_short), if (!is.null(hrc)) list(hrc)),
                                      msg = "the median's CI"),
                     list(columns = c(list(ev), if (!is.null(hrc)) list(hrc)),
                          msg = "the median column"),
                     if (!is.null(hrc)) list(columns = list(hrc), msg = "the events/N column"),
                     list(columns = list(), msg = if (is.null(hrc)) "the events/N column" else
                       "the HR column"))
  }
  variants <- Filter(Negate(is.null), variants)
  risk <- NULL
  if (o$risk.table) {
    keep <- pd$risk
    digits <- if (all(keep$n.risk == round(keep$n.risk))) 0 else 1
    rows <- list()
    for (i in seq_len(k)) {
      r <- keep[as.integer(keep$strata) == i, , drop = FALSE]
      rows[[length(rows) + 1L]] <- list(label = pd$labels[i], col = o$text_col[i],
                                        values = format_num(r$n.risk, digits))
      if ("events" %in% o$risk.counts)
        rows[[length(rows) + 1L]] <- list(label = "Events", col = "grey25", extra = TRUE,
                                          values = format_num(r$cum.event, digits))
      if ("censored" %in% o$risk.counts)
        rows[[length(rows) + 1L]] <- list(label = "Censored", col = "grey25", extra = TRUE,
                                          values = format_num(r$cum.censor, digits))
    }
    extra <- setdiff(o$risk.counts, "n.risk")
    risk <- list(header = if (length(extra)) paste0("No. at risk (cumulative ",
                                                    paste(extra, collapse = ", "), ")")
                 else "No. at risk", rows = rows, extra = extra)
  }
  tx <- if (o$fun == "cloglog") log10 else identity
  list(groups = list(label = pd$labels, col = pd$style$col, text_col = o$text_col,
                     lty = pd$style$lty, lwd = pd$style$lwd),
       legend = list(pos = o$legend, variants = variants),
       annotation = pd$text$annotation, annotation_pos = o$annotation.pos,
       risk = risk,
       x = list(usr = tx(o$xlim_draw), at = tx(pd$breaks), labels = pd$break_labels, lab = o$xlab),
       y = list(usr = o$ylim_draw, at = o$yticks, labels = format_breaks(o$yticks), lab = o$ylab),
       panel = o$panel, main = o$main, cex_axis = 1, cex_text = o$cex.text, tick_lines = 0.35,
       panel_floor = 0.5)
}

# Every string of a spec (for the metrics).
layout_strings <- function(spec) {
  c(spec$groups$label, unlist(lapply(spec$legend$variants, function(v)
      lapply(v$columns, function(cl) c(cl$header, cl$cells)))),
    spec$annotation, spec$risk$header,
    unlist(lapply(spec$risk$rows, function(r) c(r$label, r$values))),
    spec$x$labels, spec$x$lab, spec$y$labels, spec$y$lab, spec$panel, spec$main)
}

check_fun <- function(fun) {
  funs <- c("surv", "event", "cumhaz", "cloglog")
  if (!is.character(fun) || length(fun) != 1L || !fun %in% c(funs, "S", "F", "pct"))
    stop("`fun` must be one of ", paste0('"', funs, '"', collapse = ", "),
         " (netsurv draws no other transformation)", call. = FALSE)
  switch(fun, S = "surv", pct = "surv", F = "event", fun)
}

check_log <- function(log, fun) {
  if (!is.character(log) || length(log) != 1L || !log %in% c("", "x", "y", "xy"))
    stop("`log` must be \"\", \"x\", \"y\" or \"xy\"", call. = FALSE)
  if (grepl("y", log))
    stop("`log = \"y\"` is not drawn by netsurv's plot(): a log survival axis hides the ",
         "risk table's alignment and the percent scale; use fun = \"cumhaz\" ",
         "(cumulative hazard) or fun = \"cloglog\" instead", call. = FALSE)
  if (log == "x" && fun != "cloglog")
    stop("`log = \"x\"` is only drawn with fun = \"cloglog\" (which uses it by default)",
         call. = FALSE)
}

# ---- drawing (base graphics) ------------------------------------------------

draw_km_figure <- function(pd, o, spec = km_layout_spec(pd, o)) {
  graphics::plot.new()
  # Recorded as one expression, so that a replay on another device (knitr
  # records on one device and replays on png and pdf; a resized window)
  # measures the text again on that device and lays the figure out anew.
  # (The option, FALSE only in the tests, leaves the single drawing calls on
  # the display list, where the tests read them.)
  if (isFALSE(getOption("netsurv.record_layout", TRUE)))
    return(draw_km_on_device(pd, o, spec))
  grDevices::recordGraphics(draw_km_on_device(pd, o, spec),
                            list(pd = pd, o = o, spec = spec), asNamespace("netsurv"))
}

# The measured layout and the drawing, on the current device (plot.new()
# already called).
draw_km_on_device <- function(pd, o, spec) {
  m <- layout_metrics(layout_strings(spec))
  lay <- layout_solve(spec, m, graphics::par("fin"))
  if (length(lay$msg))
    message("plot(): to fit the figure, dropped ", paste(lay$msg, collapse = "; then "))
  if (length(lay$keep) < length(pd$breaks) && o$user_breaks)
    message("plot(): kept every ", lay$keep[2L] - 1L, " of the x breaks, so that ",
            "neighbouring labels and numbers at risk do not touch")
  graphics::par(mai = lay$mai)
  graphics::plot.window(xlim = o$xlim_draw, ylim = o$ylim_draw, xaxs = "i", yaxs = "i",
                        log = if (o$fun == "cloglog") "x" else "")
  at <- pd$breaks[lay$keep]
  graphics::axis(1, at = at, labels = FALSE, tcl = -spec$tick_lines)
  graphics::axis(2, at = o$yticks, labels = FALSE, tcl = -spec$tick_lines)
  graphics::box(bty = "l")
  layout_draw(lay, spec)
  scale <- o$scale
  if (o$median.lines) {
    med <- pd$summary$median
    ok <- !is.na(med)
    if (any(ok)) {
      graphics::segments(o$xlim_draw[1L], 0.5 * scale, max(med[ok]), 0.5 * scale,
                         lty = 3, col = "grey40")
      graphics::segments(med[ok], o$ylim_draw[1L], med[ok], 0.5 * scale, lty = 3, col = "grey40")
    }
  }
  draw_km_curves(pd, o$fun, scale, o$conf.int, o$conf.style, pd$style, o$pch, o$cex,
                 xscale = 1, clip_x = o$fun == "cloglog")
  lay$breaks <- at
  lay$spec <- spec
  lay
}

# The curves (and bands, marks) of plot data in the current plot window.
draw_km_curves <- function(pd, fun, scale, conf.int, conf.style, style, pch, cex,
                           xscale = 1, clip_x = FALSE, type = "s") {
  for (i in seq_along(pd$labels)) {
    st <- pd$steps[as.integer(pd$steps$strata) == i, , drop = FALSE]
    x <- st$x / xscale
    ok_x <- if (clip_x) x > 0 else rep(TRUE, length(x))
    col <- style$col[i]
    if (conf.int) {
      lo <- curve_y(st, fun, "lower") * scale
      hi <- curve_y(st, fun, "upper") * scale
      ok <- ok_x & is.finite(lo) & is.finite(hi)
      if (conf.style == "band") {
        graphics::polygon(c(x[ok], rev(x[ok])), c(lo[ok], rev(hi[ok])),
                          col = grDevices::adjustcolor(col, alpha.f = 0.18), border = NA)
      } else {
        graphics::lines(x[ok], lo[ok], col = col, lty = 2, lwd = style$lwd[i] * 0.7)
        graphics::lines(x[ok], hi[ok], col = col, lty = 2, lwd = style$lwd[i] * 0.7)
      }
    }
    y <- curve_y(st, fun) * scale
    ok <- ok_x & is.finite(y)
    if (type != "p") graphics::lines(x[ok], y[ok], col = col, lty = style$lty[i], lwd = style$lwd[i])
    mk <- pd$marks[as.integer(pd$marks$strata) == i, , drop = FALSE]
    if (nrow(mk) && !is.null(pch)) {
      my <- curve_y(data.frame(surv = mk$surv, cumhaz = -log(mk$surv)), fun) * scale
      if (fun == "cumhaz") {
        kn <- pd$knots[as.integer(pd$knots$strata) == i, , drop = FALSE]
        my <- kn$cumhaz[findInterval(mk$time, kn$time)]
      }
      mx <- mk$time / xscale
      okm <- is.finite(my) & (if (clip_x) mx > 0 else TRUE)
      graphics::points(mx[okm], my[okm], pch = pch, col = col, cex = cex)
    }
  }
}

#' Plot survival curves as a journal figure
#'
#' Draws survival curves the way journals print them, in base graphics: step
#' curves with censoring marks, optional confidence bands, a "No. at risk"
#' table with one column per labelled x-axis tick, a legend table with
#' events/N and the median (95\% CI) of each group, optional log-rank p-value
#' and hazard ratio(s), median reference lines and a panel letter. Works for
#' any survival curve (`"netsurv_curve"`), e.g. from [km()] or [cox_curve()].
#'
#' @section Layout:
#' The layout is measured, not fixed: every text block is measured on the open
#' device (string widths and heights in inches, which follow the device's
#' point size and `par("cex")`, e.g. under `par(mfrow)`), then the margins,
#' the legend table (above the curves by default), the annotation lines and
#' the risk table are allocated so that nothing is cut or overlaps, and the
#' curve panel keeps at least half of the figure's height. When it cannot
#' all fit, the figure degrades in this fixed order, keeping the first state
#' that fits: (1) all text smaller, down to 6 points for the table text;
#' (2) long group labels wrapped; (3) the legend table split into
#' side-by-side blocks; (4) with a message naming each: the median's
#' confidence interval, the median column, the events/N column, the HR
#' column, the risk table's events/censored rows, the legend (when the risk
#' table names the groups), the risk table. Text is never clipped. X breaks
#' are thinned (every second, third, ... kept) when neighbouring tick labels
#' or numbers at risk would touch, so every drawn tick is labelled and has
#' exactly one risk-table column.
#'
#' After `plot()`, `par("mai")` stays set to the figure's margins and
#' `par("usr")` is the curve panel's, so [graphics::lines()],
#' [graphics::abline()], [graphics::points()], [graphics::text()] and
#' [lines()][lines.netsurv_curve] land on the curves (x in the scaled time
#' unit, i.e. time / `xscale`; y in percent when `percent = TRUE`). Save
#' `op <- par(no.readonly = TRUE)` first and `par(op)` afterwards to restore
#' your margins.
#'
#' The default colours are the Okabe-Ito colour-blind-safe palette without
#' its yellow (blue `"#0072B2"`, vermillion `"#D55E00"`, green `"#009E73"`,
#' purple `"#CC79A7"`, orange, sky blue, black), then five darker colours for
#' up to 12 groups; black for a single curve. Group labels are written in
#' their curve's colour, darkened where needed to a contrast of at least 4.5
#' with white.
#'
#' @param x A survival curve, e.g. from [km()] or [cox_curve()].
#' @param conf.int Draw the confidence interval of each curve (the fit's
#'   `lower`/`upper`; an error when the fit has none).
#' @param mark.time `TRUE` marks censoring times with `pch` on the curve;
#'   `FALSE` draws no marks; a numeric vector marks those times instead.
#' @param col,lty,lwd Colour, line type and width, recycled over groups.
#' @param xlab,ylab Axis labels. `xlab` defaults to `"Time"`: say the unit,
#'   e.g. `xlab = "Months"` or `xlab = "Years"` with `xscale = 365.25`. The y
#'   label defaults to `"Survival (\%)"` (`"Cumulative incidence (\%)"` for
#'   `fun = "event"`, `"Cumulative hazard"`, `"log(-log(survival))"`).
#' @param xlim,ylim Axis ranges: `xlim` in the data's time unit, `ylim` on
#'   the probability scale (\[0, 1\] by default, even when the axis is in
#'   percent) or on the scale of `fun` for `"cumhaz"` and `"cloglog"`.
#' @param conf.style `"band"` (a shaded area, default) or `"lines"` (dashed
#'   steps).
#' @param legend Position of the legend table: `TRUE` or `"top"` (default:
#'   above the plot, in a top margin sized for it), a corner inside the plot
#'   (`"topright"`, `"topleft"`, `"bottomleft"`, `"bottomright"`; moved to the
#'   top, with a message, when it does not fit there), or `FALSE`.
#' @param pch,cex Symbol and size of the censoring marks.
#' @param xbreaks,test,hr,labels,digits,xscale See [km_plot_data()]: x-axis
#'   breaks in the data's time unit (also the risk-table times), log-rank test
#'   (a [logrank()] result or `TRUE`), hazard ratio (a [cox()] result or
#'   `TRUE`; with 3+ groups one HR per group against the first, as a legend
#'   column), group labels, decimals, and the divisor of the times on the
#'   axis (`365.25`: days to years; the default breaks are chosen on the
#'   scaled axis).
#' @param fun The curve drawn: `"surv"` (survival, default), `"event"` (the
#'   cumulative incidence 1 - S, rising), `"cumhaz"` (the fit's cumulative
#'   hazard, as [survival::plot.survfit()]; its band is -log of the survival
#'   limits) or `"cloglog"` (log(-log S) against time on a log axis).
#' @param log Only `""`, or `"x"` with `fun = "cloglog"`; `"y"` is refused
#'   with a message (use `fun = "cumhaz"` or `"cloglog"`).
#' @param percent Label the y axis in percent (0-100); only for `fun =
#'   "surv"` and `"event"`.
#' @param risk.table Draw the "No. at risk" table under the plot. Default
#'   `TRUE`, except for a [cox_curve()] (whose numbers at risk belong to the
#'   whole sample, not to a covariate profile): there it is refused.
#' @param risk.counts The rows of the risk table per group: `"n.risk"`, and
#'   optionally `"events"` (cumulative events) and `"censored"` (cumulative
#'   censorings), the layout the KMunicate study recommends.
#' @param median.lines Draw dotted reference lines at 50\% and at each median.
#' @param annotation.pos Where the p-value / hazard-ratio lines go:
#'   `"legend"` (default: under the legend table) or a corner inside the plot
#'   such as `"bottomleft"`.
#' @param panel Optional panel letter (e.g. `"A"`), drawn bold at the top left.
#' @param main Optional title.
#' @param cex.text Size of the legend, annotation and risk-table text,
#'   relative to `par("cex")`.
#' @param ... Not used: any argument given here is an error naming it.
#' @return Invisibly, the plot data from [km_plot_data()] (class
#'   `"netsurv_plotdata"`) with `style` (`col`, `lty`, `lwd` per group, and
#'   `text_col`) and `layout` (the solved layout: `mai`, the margins in
#'   inches; `panel`, the curve panel's width and height in inches; `keep`,
#'   the indices of the breaks drawn; `breaks`, those breaks; `items`, every
#'   text item drawn with its position in inches from the figure's
#'   bottom-left corner; `state`, the degradation state used; `msg`, what was
#'   dropped). Its data frames: `knots` (per group, one row per time starting
#'   at the origin: `strata`, `time`, `surv`, `lower`, `upper`, `n.risk`,
#'   `n.event`, `n.censor`, `cumhaz`), `steps` (the drawn step paths:
#'   `strata`, `x`, `surv`, `lower`, `upper`, `cumhaz`), `marks` (`strata`,
#'   `time`, `surv`), `risk` and `summary`.
#' @seealso [km_plot_data()], [autoplot.netsurv_curve()],
#'   [lines.netsurv_curve()]
#' @examples
#' fit <- km(Surv(pfs_months, pfs_event) ~ subtype, data = chan2012,
#'           conf.type = "log-log")
#' plot(fit, xlab = "Months", ylab = "Progression-free survival (%)", test = TRUE,
#'      hr = TRUE, median.lines = TRUE, panel = "A")
#' abline(h = 50, col = "grey")      # lands in the curve panel
#' plot(fit, conf.int = TRUE, xbreaks = seq(0, 72, 12), xlab = "Months",
#'      labels = c("Carcinoid", "Pancreatic NET"), risk.counts = c("n.risk", "events"))
#' # days on a years axis; the cumulative incidence
#' lung <- km(Surv(time, status) ~ sex, data = survival::lung)
#' plot(lung, xscale = 365.25, xlab = "Years", fun = "event")
#' # one curve, no risk table, probability scale
#' pd <- plot(km(Surv(time, status) ~ 1, data = survival::aml), xlab = "Weeks",
#'            risk.table = FALSE, percent = FALSE, legend = FALSE)
#' pd$risk
#' @export
plot.netsurv_curve <- function(x, conf.int = FALSE, mark.time = TRUE, col = NULL, lty = 1,
                               lwd = 1.5, xlab = "Time", ylab = NULL,
                               xlim = NULL, ylim = NULL, conf.style = c("band", "lines"),
                               legend = TRUE, pch = 3, cex = 0.6, xbreaks = NULL,
                               percent = TRUE, risk.table = NULL, test = NULL, hr = NULL,
                               median.lines = FALSE, annotation.pos = "legend",
                               panel = NULL, labels = NULL, digits = 1, main = NULL,
                               cex.text = 0.85, fun = "surv", xscale = 1, log = "",
                               risk.counts = "n.risk", ...) {
  check_unused("plot()", ...)
  coxcurve <- inherits(x, "netsurv_coxcurve")
  x <- check_curve(x)
  flag <- function(v, arg) {
    if (!is.logical(v) || length(v) != 1L || is.na(v))
      stop("`", arg, "` must be TRUE or FALSE", call. = FALSE)
    v
  }
  fun <- check_fun(fun)
  check_log(log, fun)
  conf.int <- flag(conf.int, "conf.int")
  if (fun %in% c("cumhaz", "cloglog")) {
    if (!missing(percent) && isTRUE(percent))
      stop("`percent`: only for fun = \"surv\" or \"event\"", call. = FALSE)
    percent <- FALSE
  }
  percent <- flag(percent, "percent")
  if (is.null(risk.table)) risk.table <- !coxcurve
  risk.table <- flag(risk.table, "risk.table")
  if (risk.table && coxcurve)
    stop("`risk.table`: the numbers at risk of a cox_curve() belong to the whole sample, ",
         "not to a covariate profile; plot a km() curve for a risk table", call. = FALSE)
  if (!is.character(risk.counts) || !length(risk.counts) ||
      !all(risk.counts %in% c("n.risk", "events", "censored")) || !"n.risk" %in% risk.counts)
    stop("`risk.counts` must hold \"n.risk\" and optionally \"events\", \"censored\"",
         call. = FALSE)
  median.lines <- flag(median.lines, "median.lines")
  if (median.lines && !fun %in% c("surv", "event"))
    stop("`median.lines`: only for fun = \"surv\" or \"event\"", call. = FALSE)
  if (conf.int && is.null(x$lower))
    stop("`conf.int`: the fit has no confidence limits (conf.type = \"none\")", call. = FALSE)
  check_mark_time(mark.time)
  conf.style <- match_choice(conf.style, c("band", "lines"), "conf.style")
  corners <- c("topright", "topleft", "bottomright", "bottomleft")
  if (isTRUE(legend)) legend <- "top"
  if (!isFALSE(legend) && !(is.character(legend) && length(legend) == 1L &&
                            legend %in% c("top", corners)))
    stop("`legend` must be TRUE, FALSE or one of ",
         paste0('"', c("top", corners), '"', collapse = ", "), call. = FALSE)
  if (isFALSE(legend)) legend <- "none"
  if (!(is.character(annotation.pos) && length(annotation.pos) == 1L &&
        annotation.pos %in% c("legend", corners)))
    stop("`annotation.pos` must be one of ",
         paste0('"', c("legend", corners), '"', collapse = ", "), call. = FALSE)
  if (!is.null(ylim) && (!is.numeric(ylim) || length(ylim) != 2L || anyNA(ylim) ||
                         ylim[1L] >= ylim[2L]))
    stop("`ylim` must be two increasing numbers", if (fun %in% c("surv", "event"))
      " on the probability scale", call. = FALSE)
  if (!is.numeric(cex.text) || length(cex.text) != 1L || !is.finite(cex.text) || cex.text <= 0)
    stop("`cex.text` must be a positive number", call. = FALSE)
  for (a in c("xlab", "ylab", "panel", "main")) {
    v <- get(a)
    if (!is.null(v) && !(is.character(v) && length(v) == 1L && !is.na(v)))
      stop("`", a, "` must be a single string", call. = FALSE)
  }
  if (fun == "cloglog" && !is.null(xlim) && xlim[1L] <= 0)
    stop("`xlim`: fun = \"cloglog\" draws time on a log axis; xlim must be positive",
         call. = FALSE)

  pd <- km_plot_data(x, xbreaks = xbreaks, xlim = xlim, mark.time = mark.time, test = test,
                     hr = hr, labels = labels, digits = digits, env = parent.frame(),
                     xscale = xscale)
  if (coxcurve && !is.null(pd$test))
    stop("`test`: a log-rank test compares groups of a sample, not the profiles of a cox_curve()",
         call. = FALSE)
  k <- length(pd$labels)
  if (is.null(col)) col <- default_colours(k)
  pd$style <- list(col = rep_len(col, k), lty = rep_len(lty, k), lwd = rep_len(lwd, k))
  pd$style$text_col <- legible_text_colour(pd$style$col)

  # axes in the scale of `fun` (x in the scaled time unit on the axis)
  scale <- if (percent) 100 else 1
  user_breaks <- !is.null(xbreaks)
  if (fun == "cloglog") {
    tpos <- pd$knots$time[pd$knots$time > 0]
    lim <- if (is.null(xlim)) range(tpos) else xlim
    if (!user_breaks) {
      b <- grDevices::axisTicks(log10(lim / xscale), log = TRUE) * xscale
      b <- b[b >= lim[1L] & b <= lim[2L]]
      if (!length(b)) b <- lim
      pd2 <- km_plot_data(x, xbreaks = b, xlim = lim, mark.time = mark.time, test = test, hr = hr,
                          labels = labels, digits = digits, env = parent.frame(), xscale = xscale)
      pd2$style <- pd$style
      pd <- pd2
    }
    pd$xlim <- lim
    xlim_draw <- lim * c(1, 1.05)
  } else {
    xlim_draw <- pd$xlim + c(0, 0.02) * diff(pd$xlim)
  }
  if (fun %in% c("surv", "event")) {
    if (is.null(ylim)) ylim <- c(0, 1)
    yticks <- (if (percent) seq(0, 100, 20) else seq(0, 1, 0.2))
    yticks <- yticks[yticks >= ylim[1L] * scale - 1e-9 & yticks <= ylim[2L] * scale + 1e-9]
    if (length(yticks) < 2L) yticks <- pretty(ylim * scale)
    ylim_draw <- c(ylim[1L], ylim[2L] + 0.03 * diff(ylim)) * scale
  } else {
    if (is.null(ylim)) {
      ys <- c(curve_y(pd$steps, fun), if (conf.int) c(curve_y(pd$steps, fun, "lower"),
                                                       curve_y(pd$steps, fun, "upper")))
      if (fun == "cloglog") ys <- ys[pd$steps$x > 0]
      ys <- ys[is.finite(ys)]
      ylim <- if (length(ys)) range(ys) else c(0, 1)
      if (fun == "cumhaz") ylim[1L] <- 0
    }
    yticks <- pretty(ylim)
    yticks <- yticks[yticks >= ylim[1L] - 1e-9 & yticks <= ylim[2L] + 1e-9]
    ylim_draw <- ylim + c(if (fun == "cloglog") -0.03 else 0, 0.03) * diff(ylim)
  }
  if (is.null(ylab)) ylab <- switch(fun,
    surv = if (percent) "Survival (%)" else "Survival probability",
    event = if (percent) "Cumulative incidence (%)" else "Cumulative incidence",
    cumhaz = "Cumulative hazard", cloglog = "log(-log(survival))")
  pd$ylim <- ylim
  pd$fun <- fun
  o <- list(fun = fun, scale = scale, conf.int = conf.int, conf.style = conf.style,
            pch = pch, cex = cex, xlab = xlab, ylab = ylab, legend = legend,
            annotation.pos = annotation.pos, median.lines = median.lines, panel = panel,
            main = main, cex.text = cex.text, digits = digits, risk.table = risk.table,
            risk.counts = risk.counts, coxcurve = coxcurve, text_col = pd$style$text_col,
            xlim_draw = xlim_draw / xscale, ylim_draw = ylim_draw, yticks = yticks,
            user_breaks = user_breaks)
  # the plot window is in the scaled time unit
  pd_draw <- pd
  pd_draw$breaks <- pd$breaks / xscale
  pd_draw$steps$x <- pd$steps$x / xscale
  pd_draw$marks$time <- pd$marks$time / xscale
  pd_draw$knots$time <- pd$knots$time / xscale
  pd_draw$summary$median <- pd$summary$median / xscale
  lay <- draw_km_figure(pd_draw, o)
  lay$breaks <- lay$breaks * xscale
  pd$layout <- lay[c("mai", "panel", "keep", "breaks", "items", "segments", "state", "msg",
                     "ok", "cex_axis", "cex_text")]
  invisible(pd)
}

#' Add survival curves to a plot
#'
#' `lines()` and `points()` methods for survival curves, as survival has for
#' `survfit`: they draw the curves (steps) or the censoring marks of a
#' [km()] or [cox_curve()] fit into the current plot, e.g. onto the curve
#' panel that [plot()][plot.netsurv_curve] leaves set up.
#'
#' @param x A survival curve.
#' @param fun,conf.int,conf.style,mark.time As in
#'   [plot()][plot.netsurv_curve].
#' @param col,lty,lwd Colour, line type and width, recycled over groups
#'   (default: the palette of `plot()`).
#' @param pch,cex Symbol and size of the marks (`points()`: of the curve's
#'   knots' censoring marks, or of every step when `mark.time = FALSE`).
#' @param xscale Divide the times by this (as the `plot()` you draw onto).
#' @param percent `TRUE` (default) draws probabilities in percent, as
#'   `plot()` does by default; `FALSE` on the probability scale.
#' @param ... Not used: any argument given here is an error naming it.
#' @return Invisibly, `x`.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' plot(fit, xlab = "Days", risk.table = FALSE, legend = FALSE)
#' lines(fit, conf.int = TRUE, conf.style = "lines", col = "grey50", mark.time = FALSE)
#' points(km(Surv(time, status) ~ 1, data = survival::lung), pch = 1)
#' @export
lines.netsurv_curve <- function(x, fun = "surv", conf.int = FALSE, mark.time = TRUE,
                                col = NULL, lty = 1, lwd = 1.5, pch = 3, cex = 0.6,
                                xscale = 1, percent = TRUE, conf.style = c("lines", "band"),
                                ...) {
  check_unused("lines()", ...)
  add_curves(x, fun, conf.int, mark.time, col, lty, lwd, pch, cex, xscale, percent,
             match_choice(conf.style, c("lines", "band"), "conf.style"), type = "s")
}

#' @rdname lines.netsurv_curve
#' @export
points.netsurv_curve <- function(x, fun = "surv", mark.time = TRUE, col = NULL, pch = 3,
                                 cex = 0.6, xscale = 1, percent = TRUE, ...) {
  check_unused("points()", ...)
  if (!isTRUE(mark.time) && !isFALSE(mark.time))
    stop("`mark.time` must be TRUE or FALSE for points()", call. = FALSE)
  add_curves(x, fun, FALSE, TRUE, col, 1, 1, pch, cex, xscale, percent, "lines",
             type = "p", all_knots = !mark.time)
}

add_curves <- function(x, fun, conf.int, mark.time, col, lty, lwd, pch, cex, xscale, percent,
                       conf.style, type, all_knots = FALSE) {
  x <- check_curve(x)
  fun <- check_fun(fun)
  if (!is.logical(conf.int) || length(conf.int) != 1L || is.na(conf.int))
    stop("`conf.int` must be TRUE or FALSE", call. = FALSE)
  if (conf.int && is.null(x$lower))
    stop("`conf.int`: the fit has no confidence limits (conf.type = \"none\")", call. = FALSE)
  check_mark_time(mark.time)
  if (!is.numeric(xscale) || length(xscale) != 1L || !is.finite(xscale) || xscale <= 0)
    stop("`xscale` must be a positive number", call. = FALSE)
  if (!is.logical(percent) || length(percent) != 1L || is.na(percent))
    stop("`percent` must be TRUE or FALSE", call. = FALSE)
  pd <- curve_plot_data(x, mark.time)
  if (all_knots) {
    kn <- pd$knots
    pd$marks <- data.frame(strata = kn$strata, time = kn$time, surv = kn$surv)
  }
  k <- length(pd$labels)
  if (is.null(col)) col <- default_colours(k)
  style <- list(col = rep_len(col, k), lty = rep_len(lty, k), lwd = rep_len(lwd, k))
  scale <- if (percent && fun %in% c("surv", "event")) 100 else 1
  draw_km_curves(pd, fun, scale, conf.int, conf.style, style, if (type == "p" || !isFALSE(mark.time)) pch,
                 cex, xscale = xscale, clip_x = fun == "cloglog", type = type)
  invisible(x)
}
