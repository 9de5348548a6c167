# plot-km.R -- base-graphics plot of survival curves.
#
# Two steps, kept apart so that a richer figure (risk table, journal styling)
# can reuse the first: curve_plot_data() turns a curve into plain data frames
# of coordinates (no graphics), draw_curve_plot() draws them.

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
#          n.risk, n.event, n.censor;
#   steps  the step path: strata, x, surv, lower, upper (shared x);
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
                    n.risk = s$n.risk, n.event = s$n.event, n.censor = s$n.censor)
    if (k$time[1L] != origin) {
      k <- rbind(data.frame(time = origin, surv = 1, lower = if (has_ci) 1 else NA_real_,
                            upper = if (has_ci) 1 else NA_real_, n.risk = k$n.risk[1L],
                            n.event = 0, n.censor = 0), k)
    }
    sp <- step_path(k$time, k$surv)
    steps[[i]] <- data.frame(strata = labels[i], x = sp$x, surv = sp$y,
                             lower = step_path(k$time, k$lower)$y,
                             upper = step_path(k$time, k$upper)$y)
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

# Okabe & Ito's colour-blind-safe palette, in an order that keeps the first
# curves far apart in hue and lightness (yellow last: faint on white).
okabe_ito <- c("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
               "#000000", "#F0E442")

# Default colours: black for a single curve, the palette for strata.
default_colours <- function(k) {
  if (k == 1L) "black" else rep_len(okabe_ito, k)
}

# Default x breaks from the origin: every 6 (months) up to 72, every 12 up to
# 144, otherwise pretty() breaks; always covering the last time.
default_xbreaks <- function(from, to) {
  span <- to - from
  if (span <= 0) return(from)
  by <- if (span <= 72) 6 else if (span <= 144) 12 else NA
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
#'   `test = TRUE` / `hr = TRUE`.
#' @return An object of class `"netsurv_plotdata"`, a list with
#'   `knots`, `steps`, `marks` (as documented in [plot.netsurv_curve()]),
#'   `strata` (the fit's stratum names, `""` without strata), `labels`
#'   (display labels), `xlim`, `ylim` (on the probability scale),
#'   `breaks`, `risk` (data frame: `strata`, `time`, `n.risk`),
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
                         hr = NULL, labels = NULL, digits = 1, env = parent.frame()) {
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
  if (is.null(labels)) labels <- display_labels(strata)
  if (!is.character(labels) || length(labels) != k)
    stop("`labels` must be a character vector with one label per stratum (", k, ")",
         call. = FALSE)
  origin <- curve_origin(x)
  last <- max(x$time)
  if (is.null(xbreaks)) {
    to <- if (is.null(xlim)) last else xlim[2L]
    xbreaks <- default_xbreaks(if (is.null(xlim)) origin else xlim[1L], to)
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
  hr <- plot_hr(hr, x, env, conf.level = if (is.null(x$conf.int)) 0.95 else x$conf.int)

  level <- if (is.null(x$conf.int)) 0.95 else x$conf.int
  ci_text <- if (is.null(x$lower)) "" else
    paste0(" (", format_num(lo, digits), "-", format_num(hi, digits), ")")
  text <- list(
    header = c("", "Events/N", if (is.null(x$lower)) "Median" else
               paste0("Median (", format(100 * level), "% CI)")),
    events = paste0(format_num(events, 0), "/", format_num(n, 0)),
    median = paste0(format_num(med, digits), ci_text),
    annotation = character(0))
  if (!is.null(test)) {
    text$annotation <- c(text$annotation, paste0(
      "Log-rank P ", format_p(test$p.value),
      if (!is.na(test$perm.p.value)) paste0(" (permutation P ", format_p(test$perm.p.value), ")")))
  }
  if (!is.null(hr)) {
    lab <- if (nrow(hr) > 1L) paste0(hr$term, ": ") else ""
    text$annotation <- c(text$annotation, paste0(
      lab, "HR ", format_num(hr$estimate, 2), " (", format(100 * hr$level[1L]), "% CI ",
      format_num(hr$conf.low, 2), "-", format_num(hr$conf.high, 2), ")"))
  }

  pd$strata <- strata
  pd$labels <- labels
  pd$xlim <- xlim
  pd$breaks <- xbreaks
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

plot_hr <- function(hr, x, env, conf.level) {
  if (is.null(hr) || isFALSE(hr)) return(NULL)
  if (isTRUE(hr)) hr <- refit_from_call("cox", x, env, "hr")
  if (!inherits(hr, "netsurv_cox"))
    stop("`hr` must be TRUE, FALSE, NULL or a cox() result", call. = FALSE)
  beta <- hr$coefficients
  ci <- stats::confint(hr, level = conf.level)
  data.frame(term = names(beta), estimate = unname(exp(beta)),
             conf.low = unname(exp(ci[, 1L])), conf.high = unname(exp(ci[, 2L])),
             level = conf.level, stringsAsFactors = FALSE)
}

# ---- drawing (base graphics) ------------------------------------------------

# Margin layout in text lines, from the number of strata and the widths of the
# labels; every risk-table row is a fixed line of the bottom margin, so the
# layout holds for any device size (margins are in lines, not inches).
plot_layout <- function(pd, risk.table, cex.text, ylab_width, has_top, legend_rows = 0) {
  line_in <- graphics::par("csi") * graphics::par("mex")
  w <- function(s) max(graphics::strwidth(s, units = "inches", cex = cex.text)) / line_in
  row_h <- max(0.95, 1.15 * cex.text)
  k <- length(pd$labels)
  risk_lines <- numeric(0)
  header_line <- NA_real_
  bottom <- 3.2
  left <- ylab_width + 2.4
  if (risk.table) {
    header_line <- 3.3
    risk_lines <- header_line + row_h * seq_len(k)
    bottom <- max(risk_lines) + 1.3
    numbers <- format_num(pd$risk$n.risk, if (all(pd$risk$n.risk == round(pd$risk$n.risk))) 0 else 1)
    gap <- 0.5 * w(numbers) + 0.6
    left <- max(left, w(c(pd$labels, "No. at risk")) + gap + 0.4)
  }
  top <- (if (has_top) 1.8 else 0.8) + legend_rows * 1.25 * cex.text
  list(mar = c(bottom, left, top, 1.2), header_line = header_line,
       risk_lines = risk_lines, label_gap = if (risk.table) gap else NA_real_,
       ylab_line = ylab_width + 0.8, row_h = row_h)
}

# The events/N and median legend, as a small table at a corner of the plot.
draw_info_legend <- function(pd, style, pos, cex.text, annotation = character(0)) {
  usr <- graphics::par("usr")
  pin <- graphics::par("pin")
  xin <- function(u) (u - usr[1L]) / diff(usr[1:2]) * pin[1L]   # user -> inches
  xu <- function(i) usr[1L] + i / pin[1L] * diff(usr[1:2])      # inches -> user
  yu <- function(i) usr[3L] + i / pin[2L] * diff(usr[3:4])
  sw <- function(s) max(graphics::strwidth(s, units = "inches", cex = cex.text))
  line_in <- graphics::par("csi") * cex.text * 1.25
  seg <- sw("MM")
  cols <- list(pd$labels, pd$text$events, pd$text$median)
  widths <- c(seg + sw("m") + sw(c(pd$labels, "")), sw(c(pd$text$events, "Events/N")),
              sw(c(pd$text$median, pd$text$header[3L])))
  gap <- sw("mm")
  total_w <- sum(widths) + 2 * gap
  if (length(annotation)) total_w <- max(total_w, sw(annotation))
  k <- length(pd$labels)
  total_h <- (k + 1 + length(annotation) + 0.2 * (length(annotation) > 0)) * line_in
  inset <- 0.03 * pin
  x0 <- if (grepl("right", pos)) pin[1L] - inset[1L] - total_w else inset[1L]
  y0 <- if (grepl("top", pos)) pin[2L] - inset[2L] else inset[2L] + total_h
  if (pos == "top") y0 <- pin[2L] + 0.3 * line_in + total_h  # in the top margin
  colx <- x0 + c(0, widths[1L] + gap, widths[1L] + widths[2L] + 2 * gap)
  ys <- y0 - line_in * (seq_len(k + 1) - 0.5)
  if (length(annotation)) {
    # The p-value and hazard ratio lines go right under the legend rows.
    ya <- ys[k + 1L] - line_in * (seq_along(annotation) + 0.2)
    right <- grepl("right", pos)
    graphics::text(xu(if (right) x0 + total_w else x0), yu(ya), annotation,
                   adj = c(if (right) 1 else 0, 0.5), cex = cex.text, xpd = NA)
  }
  graphics::text(xu(colx[2:3]), yu(ys[1L]), pd$text$header[2:3], adj = c(0, 0.5),
                 cex = cex.text, font = 2, xpd = NA)
  for (i in seq_len(k)) {
    y <- yu(ys[i + 1L])
    graphics::segments(xu(colx[1L]), y, xu(colx[1L] + seg), y, col = style$col[i],
                       lty = style$lty[i], lwd = style$lwd[i], xpd = NA)
    graphics::text(xu(colx[1L] + seg + sw("m")), y, pd$labels[i], adj = c(0, 0.5),
                   cex = cex.text, col = style$col[i], xpd = NA)
    graphics::text(xu(colx[2L]), y, pd$text$events[i], adj = c(0, 0.5), cex = cex.text, xpd = NA)
    graphics::text(xu(colx[3L]), y, pd$text$median[i], adj = c(0, 0.5), cex = cex.text, xpd = NA)
  }
  invisible(NULL)
}

draw_annotation <- function(lines, pos, cex.text) {
  if (!length(lines)) return(invisible(NULL))
  usr <- graphics::par("usr")
  pin <- graphics::par("pin")
  line_in <- graphics::par("csi") * cex.text * 1.25
  inset <- 0.03 * pin
  right <- grepl("right", pos)
  top <- grepl("top", pos)
  yi <- if (top) pin[2L] - inset[2L] - line_in * (seq_along(lines) - 0.5)
        else inset[2L] + line_in * (rev(seq_along(lines)) - 0.5)
  xi <- if (right) pin[1L] - inset[1L] else inset[1L]
  graphics::text(usr[1L] + xi / pin[1L] * diff(usr[1:2]),
                 usr[3L] + yi / pin[2L] * diff(usr[3:4]), lines,
                 adj = c(if (right) 1 else 0, 0.5), cex = cex.text, xpd = NA)
  invisible(NULL)
}

# Draw plot data in base graphics; returns the layout used (for tests).
draw_journal_plot <- function(pd, style, conf.int, conf.style, xlab, ylab, ylim, percent,
                              risk.table, legend, annotation.pos, median.lines, panel,
                              pch, cex, cex.text, main, ...) {
  scale <- if (percent) 100 else 1
  yticks <- if (percent) seq(0, 100, 20) else seq(0, 1, 0.2)
  yticks <- yticks[yticks >= ylim[1L] * scale - 1e-9 & yticks <= ylim[2L] * scale + 1e-9]
  ylab_width <- max(graphics::strwidth(format(yticks), units = "inches")) /
    (graphics::par("csi") * graphics::par("mex"))
  n_ann <- if (identical(annotation.pos, "legend")) length(pd$text$annotation) else 0L
  legend_rows <- if (identical(legend, "top"))
    length(pd$labels) + 1L + n_ann + 0.2 * (n_ann > 0L) + 0.3 else 0
  lay <- plot_layout(pd, risk.table, cex.text, ylab_width,
                     has_top = !is.null(panel) || !is.null(main), legend_rows = legend_rows)
  old <- graphics::par(mar = lay$mar)
  on.exit(graphics::par(old))
  xlim <- pd$xlim
  graphics::plot.new()
  graphics::plot.window(xlim = xlim + c(0, 0.02) * diff(xlim),
                        ylim = c(ylim[1L], ylim[2L] + 0.03 * diff(ylim)) * scale,
                        xaxs = "i", yaxs = "i", ...)
  graphics::axis(1, at = pd$breaks, labels = format(pd$breaks, trim = TRUE), mgp = c(3, 0.55, 0),
                 tcl = -0.35)
  graphics::axis(2, at = yticks, labels = format(yticks, trim = TRUE), las = 1, mgp = c(3, 0.6, 0),
                 tcl = -0.35)
  graphics::box(bty = "l")
  graphics::title(xlab = xlab, line = 1.7)
  graphics::title(ylab = ylab, line = lay$ylab_line)
  if (!is.null(main)) graphics::title(main = main, line = lay$mar[3L] - 1.2, font.main = 1)

  if (median.lines) {
    med <- pd$summary$median
    ok <- !is.na(med)
    if (any(ok)) {
      graphics::segments(xlim[1L], 0.5 * scale, max(med[ok]), 0.5 * scale,
                         lty = 3, col = "grey40")
      graphics::segments(med[ok], 0, med[ok], 0.5 * scale, lty = 3, col = "grey40")
    }
  }
  for (i in seq_along(pd$labels)) {
    st <- pd$steps[as.integer(pd$steps$strata) == i, , drop = FALSE]
    col <- style$col[i]
    if (conf.int) {
      ok <- !is.na(st$lower) & !is.na(st$upper)
      if (conf.style == "band") {
        graphics::polygon(c(st$x[ok], rev(st$x[ok])),
                          c(st$lower[ok], rev(st$upper[ok])) * scale,
                          col = grDevices::adjustcolor(col, alpha.f = 0.18), border = NA)
      } else {
        graphics::lines(st$x, st$lower * scale, col = col, lty = 2, lwd = style$lwd[i] * 0.7)
        graphics::lines(st$x, st$upper * scale, col = col, lty = 2, lwd = style$lwd[i] * 0.7)
      }
    }
    graphics::lines(st$x, st$surv * scale, col = col, lty = style$lty[i], lwd = style$lwd[i])
    mk <- pd$marks[as.integer(pd$marks$strata) == i, , drop = FALSE]
    if (nrow(mk)) graphics::points(mk$time, mk$surv * scale, pch = pch, col = col, cex = cex)
  }
  if (identical(annotation.pos, "legend") && !isFALSE(legend)) {
    draw_info_legend(pd, style, legend, cex.text, pd$text$annotation)
  } else {
    if (!isFALSE(legend)) draw_info_legend(pd, style, legend, cex.text)
    draw_annotation(pd$text$annotation,
                    if (annotation.pos == "legend") "topright" else annotation.pos, cex.text)
  }

  if (risk.table) {
    # Numbers sit at the axis' own user x coordinates (pd$breaks), in fixed
    # margin lines: aligned with the ticks whatever the device size.
    at_label <- graphics::grconvertX(
      graphics::grconvertX(xlim[1L], "user", "inches") -
        lay$label_gap * graphics::par("csi") * graphics::par("mex"), "inches", "user")
    digits <- if (all(pd$risk$n.risk == round(pd$risk$n.risk))) 0 else 1
    mcex <- cex.text * graphics::par("cex")  # mtext's cex ignores par("cex")
    graphics::mtext("No. at risk", side = 1, line = lay$header_line, at = at_label,
                    adj = 1, cex = mcex, font = 2)
    for (i in seq_along(pd$labels)) {
      r <- pd$risk[as.integer(pd$risk$strata) == i, , drop = FALSE]
      graphics::mtext(pd$labels[i], side = 1, line = lay$risk_lines[i], at = at_label,
                      adj = 1, cex = mcex, col = style$col[i])
      graphics::mtext(format_num(r$n.risk, digits), side = 1, line = lay$risk_lines[i],
                      at = r$time, adj = 0.5, cex = mcex)
    }
  }
  if (!is.null(panel)) {
    graphics::mtext(panel, side = 3, line = lay$mar[3L] - 1.2,
                    at = graphics::grconvertX(0.01, "nfc", "user"), adj = 0,
                    font = 2, cex = 1.2 * graphics::par("cex"))
  }
  invisible(lay)
}

#' Plot survival curves as a journal figure
#'
#' Draws survival curves the way oncology journals print them, in base
#' graphics: the y axis in percent, the x axis with breaks every 6 months,
#' step curves with censoring marks, optional confidence bands, a
#' "No. at risk" table whose columns sit under the x-axis ticks, a legend with
#' events/N and the median (95\% CI) of each stratum, optional log-rank p-value
#' and hazard ratio, median reference lines and a panel letter. Works for any
#' survival curve (`"netsurv_curve"`), e.g. from [km()].
#'
#' All numbers drawn come from [km_plot_data()], returned invisibly; the
#' `ggplot2::autoplot()` method draws the same object. The risk table is
#' written in the bottom margin at the same user x coordinates as the axis
#' ticks, on fixed margin lines; the bottom and left margins are set from the
#' number of strata and the label widths (in text lines, so the layout holds
#' for any device size and for multi-panel layouts), and `par()` is restored
#' on exit. Text scales with the device's point size and `par(cex)`: for a
#' journal single column (about 3.5 in wide) open the device with
#' `pointsize = 8`.
#'
#' The default colours are the Okabe-Ito colour-blind-safe palette (blue
#' `"#0072B2"`, vermillion `"#D55E00"`, green `"#009E73"`, purple
#' `"#CC79A7"`, ...), black for a single curve.
#'
#' @param x A survival curve, e.g. from [km()].
#' @param conf.int Draw the confidence interval of each curve (the fit's
#'   `lower`/`upper`; an error when the fit has none).
#' @param mark.time `TRUE` marks censoring times with `pch` on the curve;
#'   `FALSE` draws no marks; a numeric vector marks those times instead.
#' @param col,lty,lwd Colour, line type and width, recycled over strata.
#' @param xlab,ylab Axis labels. The y label defaults to `"Survival (\%)"`
#'   (`"Survival probability"` with `percent = FALSE`); use e.g.
#'   `ylab = "Progression-free survival (\%)"`.
#' @param xlim,ylim Axis ranges; `ylim` on the probability scale (\[0, 1\] by
#'   default) even when the axis is in percent.
#' @param conf.style `"band"` (a shaded area, default) or `"lines"` (dashed
#'   steps).
#' @param legend Position of the events/N and median legend: `TRUE` or
#'   `"top"` (default: above the plot, in a top margin sized for it, where it
#'   cannot hide a curve), a corner inside the plot (`"topright"`,
#'   `"topleft"`, `"bottomleft"`, `"bottomright"`), or `FALSE`.
#' @param pch,cex Symbol and size of the censoring marks.
#' @param xbreaks,test,hr,labels,digits See [km_plot_data()]: x-axis breaks
#'   (also the risk-table times), log-rank test (a [logrank()] result or
#'   `TRUE`), hazard ratio (a [cox()] result or `TRUE`), stratum labels and
#'   decimals.
#' @param percent Label the y axis in percent (0-100).
#' @param risk.table Draw the "No. at risk" table under the plot.
#' @param median.lines Draw dotted reference lines at 50\% and at each median.
#' @param annotation.pos Where the p-value / hazard-ratio lines go:
#'   `"legend"` (default: under the legend rows; top right without a legend)
#'   or a corner such as `"bottomleft"`.
#' @param panel Optional panel letter (e.g. `"A"`), drawn bold at the top left.
#' @param main Optional title.
#' @param cex.text Size of the legend, annotation and risk-table text,
#'   relative to `par("cex")`.
#' @param ... Further arguments for [graphics::plot.window()].
#' @return Invisibly, the plot data from [km_plot_data()] (class
#'   `"netsurv_plotdata"`) with `style` (`col`, `lty`, `lwd` per stratum) and
#'   `layout` (the margins and the margin lines of the risk table) added.
#'   Its data frames: `knots` (per stratum, one row per time starting at the
#'   origin: `strata`, `time`, `surv`, `lower`, `upper`, `n.risk`,
#'   `n.event`, `n.censor`), `steps` (the drawn step paths: `strata`, `x`,
#'   `surv`, `lower`, `upper`), `marks` (`strata`, `time`, `surv`), `risk`
#'   and `summary`.
#' @seealso [km_plot_data()], [autoplot.netsurv_curve()]
#' @examples
#' fit <- km(Surv(pfs_months, pfs_event) ~ subtype, data = chan2012,
#'           conf.type = "log-log")
#' plot(fit, ylab = "Progression-free survival (%)", test = TRUE, hr = TRUE,
#'      median.lines = TRUE, panel = "A")
#' plot(fit, conf.int = TRUE, xbreaks = seq(0, 72, 12),
#'      labels = c("Carcinoid", "Pancreatic NET"), legend = "topright")
#' # one curve, no risk table, probability scale
#' pd <- plot(km(Surv(time, status) ~ 1, data = survival::aml), xlab = "Weeks",
#'            risk.table = FALSE, percent = FALSE, legend = FALSE)
#' pd$risk
#' @export
plot.netsurv_curve <- function(x, conf.int = FALSE, mark.time = TRUE, col = NULL, lty = 1,
                               lwd = 1.5, xlab = "Time (months)", ylab = NULL,
                               xlim = NULL, ylim = NULL, conf.style = c("band", "lines"),
                               legend = TRUE, pch = 3, cex = 0.6, xbreaks = NULL,
                               percent = TRUE, risk.table = TRUE, test = NULL, hr = NULL,
                               median.lines = FALSE, annotation.pos = "legend",
                               panel = NULL, labels = NULL, digits = 1, main = NULL,
                               cex.text = 0.85, ...) {
  x <- check_curve(x)
  flag <- function(v, arg) {
    if (!is.logical(v) || length(v) != 1L || is.na(v))
      stop("`", arg, "` must be TRUE or FALSE", call. = FALSE)
    v
  }
  conf.int <- flag(conf.int, "conf.int")
  percent <- flag(percent, "percent")
  risk.table <- flag(risk.table, "risk.table")
  median.lines <- flag(median.lines, "median.lines")
  if (conf.int && is.null(x$lower))
    stop("`conf.int`: the fit has no confidence limits (conf.type = \"none\")", call. = FALSE)
  check_mark_time(mark.time)
  conf.style <- match.arg(conf.style)
  corners <- c("topright", "topleft", "bottomright", "bottomleft")
  if (isTRUE(legend)) legend <- "top"
  if (!isFALSE(legend) && !(is.character(legend) && length(legend) == 1L &&
                            legend %in% c("top", corners)))
    stop("`legend` must be TRUE, FALSE or one of ",
         paste0('"', c("top", corners), '"', collapse = ", "), call. = FALSE)
  if (!(is.character(annotation.pos) && length(annotation.pos) == 1L &&
        annotation.pos %in% c("legend", corners)))
    stop("`annotation.pos` must be one of ",
         paste0('"', c("legend", corners), '"', collapse = ", "), call. = FALSE)
  if (!is.null(ylim) && (!is.numeric(ylim) || length(ylim) != 2L || anyNA(ylim) ||
                         ylim[1L] >= ylim[2L]))
    stop("`ylim` must be two increasing numbers on the probability scale", call. = FALSE)
  if (is.null(ylim)) ylim <- c(0, 1)
  if (is.null(ylab)) ylab <- if (percent) "Survival (%)" else "Survival probability"
  if (!is.numeric(cex.text) || length(cex.text) != 1L || !is.finite(cex.text) || cex.text <= 0)
    stop("`cex.text` must be a positive number", call. = FALSE)

  pd <- km_plot_data(x, xbreaks = xbreaks, xlim = xlim, mark.time = mark.time, test = test,
                     hr = hr, labels = labels, digits = digits, env = parent.frame())
  k <- length(pd$labels)
  if (is.null(col)) col <- default_colours(k)
  pd$style <- list(col = rep_len(col, k), lty = rep_len(lty, k), lwd = rep_len(lwd, k))
  pd$ylim <- ylim
  pd$layout <- draw_journal_plot(pd, pd$style, conf.int, conf.style, xlab, ylab, ylim,
                                 percent, risk.table, legend, annotation.pos, median.lines,
                                 panel, pch, cex, cex.text, main, ...)
  invisible(pd)
}
