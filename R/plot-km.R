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
