# autoplot.R -- ggplot2 version of the journal figure (ggplot2 is in Suggests;
# the methods are registered lazily through @exportS3Method ggplot2::autoplot).
# Every number comes from km_plot_data(), as in plot.netsurv_curve().
#
# autoplot() returns the curve panel as a ggplot (class "netsurv_ggsurv"), so
# `+ theme_bw()`, `+ labs()`, `+ geom_*()` act on it as on any ggplot. The
# legend table, the annotation and the risk table are separate components
# composed around it when the figure is printed (print.netsurv_ggsurv, also
# what ggsave() calls): the risk table is a ggplot with the same x scale whose
# gtable columns are aligned with the curve panel's, the legend table a grid
# table with measured columns. At print time the components are measured on
# the device and degrade in the order of the base figure (R/plot-layout.R):
# smaller table text down to 6 points, then legend columns dropped, then the
# risk table, then the legend, each with a message; x breaks are thinned when
# neighbouring labels would touch. The user's theme sets the fonts of every
# component.

#' Survival curves with ggplot2
#'
#' `autoplot()` methods that draw the same figure as
#' [plot()][plot.netsurv_curve] with ggplot2 (which must be installed): the
#' curves from the plot data of [km_plot_data()] with censoring marks,
#' optional confidence bands, the y axis in percent, the x breaks, a legend
#' table with events/N and the median (95\% CI) in aligned columns, the
#' log-rank / hazard-ratio annotation, and the numbers at risk in a table under
#' the curves whose columns sit under the x-axis ticks. Because both methods
#' read one plot-data object, the base and ggplot2 figures show identical
#' numbers.
#'
#' The result is the curve panel as a ggplot (class `"netsurv_ggsurv"`):
#' add themes, labels or layers to it as usual (`+ ggplot2::theme_bw()`,
#' `+ ggplot2::labs(x = "Months")`). The legend table, annotation and risk
#' table are added when it is printed (or saved with `ggplot2::ggsave()`),
#' measured on the device: the curve panel keeps at least half the figure's
#' height, and when the components do not fit the table text shrinks (down to
#' 6 points), then legend columns, the risk table and the legend are dropped
#' with a message. `netsurv_ggsurv_grob()` returns the composed figure as a
#' grid grob.
#'
#' @param object A survival curve (e.g. from [km()]) or the plot data
#'   returned by [plot()][plot.netsurv_curve] / [km_plot_data()].
#' @param conf.int Draw confidence bands.
#' @param risk.table Add the numbers-at-risk table.
#' @param percent Label the y axis in percent.
#' @param col Colours, one per group (default: the palette of `plot()`).
#' @param xlab,ylab Axis labels (`xlab` defaults to `"Time"`: say the unit).
#' @param base_size Base font size (points) of the default theme.
#' @param ... For curves: arguments of [km_plot_data()] (`xbreaks`, `xlim`,
#'   `test`, `hr`, `labels`, `digits`, `mark.time`, `xscale`). For plot
#'   data: not used (an error naming them).
#' @return A ggplot object of class `"netsurv_ggsurv"`; its plot data is
#'   attached as attribute `"netsurv_plotdata"` and the risk table's ggplot
#'   as attribute `"netsurv_risk_plot"`.
#' @examplesIf requireNamespace("ggplot2", quietly = TRUE)
#' fit <- km(Surv(os_months, os_event) ~ subtype, data = chan2012,
#'           conf.type = "log-log")
#' ggplot2::autoplot(fit, test = TRUE, xlab = "Months", ylab = "Overall survival (%)")
#' # the same numbers as the base-graphics figure; any theme
#' pd <- plot(fit)
#' ggplot2::autoplot(pd) + ggplot2::theme_bw() + ggplot2::labs(x = "Months")
#' @name autoplot.netsurv_curve
NULL

#' @rdname autoplot.netsurv_curve
#' @exportS3Method ggplot2::autoplot
autoplot.netsurv_curve <- function(object, conf.int = FALSE, risk.table = TRUE,
                                   percent = TRUE, col = NULL, xlab = "Time",
                                   ylab = NULL, base_size = 9, ...) {
  pd <- km_plot_data(object, ..., env = parent.frame())
  autoplot.netsurv_plotdata(pd, conf.int = conf.int, risk.table = risk.table,
                            percent = percent, col = col, xlab = xlab, ylab = ylab,
                            base_size = base_size)
}

#' @rdname autoplot.netsurv_curve
#' @exportS3Method ggplot2::autoplot
autoplot.netsurv_plotdata <- function(object, conf.int = FALSE, risk.table = TRUE,
                                      percent = TRUE, col = NULL, xlab = "Time",
                                      ylab = NULL, base_size = 9, ...) {
  check_unused("autoplot()", ...)
  if (!requireNamespace("ggplot2", quietly = TRUE))
    stop("autoplot() needs the ggplot2 package", call. = FALSE)
  pd <- object
  if (is.null(pd$risk))
    stop("`object`: plot data without a risk table; make it with km_plot_data()",
         call. = FALSE)
  for (a in c("conf.int", "risk.table", "percent")) {
    v <- get(a)
    if (!is.logical(v) || length(v) != 1L || is.na(v))
      stop("`", a, "` must be TRUE or FALSE", call. = FALSE)
  }
  if (conf.int && all(is.na(pd$steps$lower)))
    stop("`conf.int`: the fit has no confidence limits", call. = FALSE)
  if (!is.numeric(base_size) || length(base_size) != 1L || !is.finite(base_size) || base_size <= 0)
    stop("`base_size` must be a positive number", call. = FALSE)
  k <- length(pd$labels)
  if (is.null(col)) col <- if (!is.null(pd$style)) pd$style$col else default_colours(k)
  col <- rep_len(col, k)
  if (is.null(pd$break_labels)) pd$break_labels <- format_breaks(pd$breaks)
  scale <- if (percent) 100 else 1
  if (is.null(ylab)) ylab <- if (percent) "Survival (%)" else "Survival probability"
  lev <- function(strata) factor(pd$labels[as.integer(strata)], levels = pd$labels)
  names(col) <- pd$labels
  steps <- data.frame(stratum = lev(pd$steps$strata), x = pd$steps$x, y = pd$steps$surv * scale,
                      lower = pd$steps$lower * scale, upper = pd$steps$upper * scale)
  marks <- data.frame(stratum = lev(pd$marks$strata), x = pd$marks$time,
                      y = pd$marks$surv * scale)
  x <- y <- lower <- upper <- stratum <- NULL  # ggplot2's aes() columns
  g <- ggplot2::ggplot(steps, ggplot2::aes(x = x, y = y, colour = stratum))
  if (conf.int) {
    band <- steps[!is.na(steps$lower) & !is.na(steps$upper), ]
    g <- g + ggplot2::geom_ribbon(data = band, ggplot2::aes(ymin = lower, ymax = upper,
                                                            fill = stratum),
                                  alpha = 0.18, colour = NA, show.legend = FALSE) +
      ggplot2::scale_fill_manual(values = col, guide = "none")
  }
  g <- g + ggplot2::geom_path(linewidth = 0.6) +
    ggplot2::geom_point(data = marks, shape = 3, size = 1.2, show.legend = FALSE) +
    ggplot2::scale_colour_manual(values = col, guide = "none") +
    gg_x_scale(pd, pd$breaks, pd$break_labels) +
    ggplot2::scale_y_continuous(breaks = seq(0, scale, length.out = 6),
                                limits = c(0, scale),
                                expand = ggplot2::expansion(mult = c(0, 0.03))) +
    ggplot2::labs(x = xlab, y = ylab) +
    ggplot2::theme_classic(base_size = base_size)
  class(g) <- c("netsurv_ggsurv", class(g))
  attr(g, "netsurv_plotdata") <- pd
  attr(g, "netsurv_options") <- list(risk.table = risk.table, col = col,
                                     text_col = legible_text_colour(col), base_size = base_size)
  attr(g, "netsurv_risk_plot") <- if (risk.table)
    gg_risk_plot(pd, seq_along(pd$breaks), legible_text_colour(col), 0.85 * base_size, g$theme)
  g
}

gg_x_scale <- function(pd, breaks, labels) {
  ggplot2::scale_x_continuous(breaks = breaks, labels = labels, limits = pd$xlim,
                              expand = ggplot2::expansion(mult = c(0.02, 0.02)))
}

# The risk table: a ggplot with the curve panel's x scale, one row per group
# (labels as the y axis text, in the groups' colours), numbers at the breaks.
gg_risk_plot <- function(pd, keep, text_col, size_pt, theme) {
  k <- length(pd$labels)
  digits <- if (all(pd$risk$n.risk == round(pd$risk$n.risk))) 0 else 1
  r <- pd$risk[pd$risk$time %in% pd$breaks[keep], , drop = FALSE]
  d <- data.frame(x = r$time, y = factor(pd$labels[as.integer(r$strata)], levels = rev(pd$labels)),
                  label = format_num(r$n.risk, digits))
  x <- y <- label <- NULL
  ggplot2::ggplot(d, ggplot2::aes(x = x, y = y, label = label)) +
    ggplot2::geom_text(size = size_pt / ggplot2::.pt) +
    gg_x_scale(pd, pd$breaks[keep], pd$break_labels[keep]) +
    ggplot2::scale_y_discrete(drop = FALSE, expand = ggplot2::expansion(add = 0.5)) +
    ggplot2::labs(title = "No. at risk", x = NULL, y = NULL) +
    ggplot2::theme_classic() + theme +
    ggplot2::theme(axis.line = ggplot2::element_blank(), axis.ticks = ggplot2::element_blank(),
                   axis.text.x = ggplot2::element_blank(), axis.title = ggplot2::element_blank(),
                   # one colour per row label: vectorised element_text() works in
                   # ggplot2 3.4 but warns that it is not official
                   axis.text.y = suppressWarnings(ggplot2::element_text(
                     colour = rev(text_col), size = size_pt, hjust = 0)),
                   panel.grid = ggplot2::element_blank(), panel.border = ggplot2::element_blank(),
                   panel.background = ggplot2::element_blank(),
                   plot.background = ggplot2::element_blank(),
                   plot.title = ggplot2::element_text(size = size_pt, face = "bold", hjust = 0),
                   plot.title.position = "plot", legend.position = "none",
                   plot.margin = ggplot2::margin(2, 5.5, 2, 5.5))
}

#' @export
print.netsurv_ggsurv <- function(x, newpage = is.null(vp), vp = NULL, ...) {
  check_unused("print()", ...)
  if (newpage) grid::grid.newpage()
  if (!is.null(vp)) {
    if (is.character(vp)) grid::seekViewport(vp) else grid::pushViewport(vp)
  }
  grid::grid.draw(netsurv_ggsurv_grob(x))
  if (!is.null(vp) && !is.character(vp)) grid::upViewport()
  invisible(x)
}

#' @rdname autoplot.netsurv_curve
#' @param x For `netsurv_ggsurv_grob()`: the result of `autoplot()`.
#' @param width,height The figure's size in inches (default: the current
#'   viewport's).
#' @export
netsurv_ggsurv_grob <- function(x, width = NULL, height = NULL) {
  if (!inherits(x, "netsurv_ggsurv")) stop("`x` must be a result of autoplot()", call. = FALSE)
  pd <- attr(x, "netsurv_plotdata")
  o <- attr(x, "netsurv_options")
  if (is.null(width)) width <- grid::convertWidth(grid::unit(1, "npc"), "in", valueOnly = TRUE)
  if (is.null(height)) height <- grid::convertHeight(grid::unit(1, "npc"), "in", valueOnly = TRUE)
  theme <- x$theme
  text_pt <- if (!is.null(theme$text$size)) theme$text$size else o$base_size
  family <- if (!is.null(theme$text$family)) theme$text$family else ""
  # width in inches of each string at `pt` points on the current device
  sw <- function(s, pt, face = 1) vapply(s, function(z) grid::convertWidth(grid::grobWidth(
    grid::textGrob(z, gp = grid::gpar(fontsize = pt, fontface = face, fontfamily = family))),
    "in", valueOnly = TRUE), 1, USE.NAMES = FALSE)
  k <- length(pd$labels)
  variants <- gg_legend_variants(pd)
  msgs <- character(0)
  size0 <- 0.85 * text_pt
  sizes <- unique(c(size0 * 0.88^(0:20)[size0 * 0.88^(0:20) >= 6], min(size0, 6)))
  states <- c(lapply(sizes, function(s) list(size = s, variant = 1L, risk = o$risk.table,
                                             legend = TRUE, wrap = FALSE, msg = NULL)))
  last <- utils::modifyList(states[[length(states)]], list(wrap = TRUE))
  states[[length(states) + 1L]] <- last
  for (v in seq_along(variants)[-1L]) {
    last <- utils::modifyList(last, list(variant = v, msg = c(last$msg, variants[[v]]$msg)))
    states[[length(states) + 1L]] <- last
  }
  if (last$risk) {
    last <- utils::modifyList(last, list(risk = FALSE, msg = c(last$msg, "the risk table")))
    states[[length(states) + 1L]] <- last
  }
  last <- utils::modifyList(last, list(legend = FALSE, msg = c(last$msg, "the legend")))
  states[[length(states) + 1L]] <- last
  for (si in seq_along(states)) {
    s <- states[[si]]
    comp <- gg_compose(x, pd, o, s, variants, width, height, sw)
    if (comp$ok || si == length(states)) break
  }
  if (length(s$msg))
    message("autoplot(): to fit the figure, dropped ", paste(s$msg, collapse = "; then "))
  comp$grob
}

gg_legend_variants <- function(pd) {
  ev <- list(header = pd$text$header[2L], cells = pd$text$events)
  med <- list(header = pd$text$header[3L], cells = pd$text$median)
  xs <- if (is.null(pd$xscale)) 1 else pd$xscale
  med_short <- list(header = "Median", cells = format_num(pd$summary$median / xs, 1))
  hrc <- if (!is.null(pd$text$hr)) list(header = pd$text$header[4L], cells = pd$text$hr)
  Filter(Negate(is.null), list(
    list(columns = c(list(ev, med), if (!is.null(hrc)) list(hrc))),
    if (!identical(med$cells, med_short$cells))
      list(columns = c(list(ev, med_short), if (!is.null(hrc)) list(hrc)), msg = "the median's CI"),
    list(columns = c(list(ev), if (!is.null(hrc)) list(hrc)), msg = "the median column"),
    if (!is.null(hrc)) list(columns = list(hrc), msg = "the events/N column"),
    list(columns = list(), msg = if (is.null(hrc)) "the events/N column" else "the HR column")))
}

# One composition attempt: returns list(ok, grob).
gg_compose <- function(x, pd, o, s, variants, W, H, sw) {
  pt <- s$size
  pitch <- 1.2 * pt / 72
  ok <- TRUE
  # group labels: wrapped onto several lines in the wrap state
  wrapped <- function(width) {
    if (!s$wrap) return(list(labels = pd$labels, nl = 1L))
    l <- lapply(pd$labels, function(z) gg_wrap(z, width, pt, sw))
    list(labels = vapply(l, paste, "", collapse = "\n"), nl = max(lengths(l)))
  }
  risk_labs <- wrapped(0.3 * W)
  if (s$risk && max(sw(unlist(strsplit(risk_labs$labels, "\n")), pt)) > 0.3 * W) ok <- FALSE
  family <- if (!is.null(x$theme$text$family)) x$theme$text$family else ""
  gp <- function(...) grid::gpar(fontsize = pt, fontfamily = family, ...)
  # main panel: title and subtitle move to the top of the figure
  main <- x
  class(main) <- setdiff(class(main), "netsurv_ggsurv")
  title <- main$labels$title
  subtitle <- main$labels$subtitle
  main$labels$title <- NULL
  main$labels$subtitle <- NULL
  main <- main + ggplot2::theme(legend.position = "none")
  # the curve panel and the risk table, with their gtable columns aligned
  build <- function(keep) {
    m <- main
    if (length(keep) < length(pd$breaks))
      m <- suppressMessages(m + gg_x_scale(pd, pd$breaks[keep], pd$break_labels[keep]))
    gm <- ggplot2::ggplotGrob(m)
    if (!s$risk) return(list(gm))
    pdr <- pd
    pdr$labels <- risk_labs$labels
    gr <- ggplot2::ggplotGrob(gg_risk_plot(pdr, keep, o$text_col, pt, x$theme))
    prow <- unique(gr$layout$t[grepl("^panel", gr$layout$name)])
    gr$heights[prow] <- grid::unit(length(pd$labels) * risk_labs$nl * pitch, "in")
    w <- grid::unit.pmax(gm$widths, gr$widths)
    gm$widths <- w
    gr$widths <- w
    list(gm, gr)
  }
  n <- length(pd$breaks)
  parts <- build(seq_len(n))
  # thin the x breaks until neighbouring tick labels / numbers keep a gap, on
  # the measured panel width
  w_fixed <- sum(grid::convertWidth(parts[[1]]$widths[!grid::unitType(parts[[1]]$widths) %in%
                                                        "null"], "in", valueOnly = TRUE))
  pw <- max(W - w_fixed, 0.1)
  tick_pt <- ggplot2::calc_element("axis.text.x.bottom", ggplot2::theme_get() + main$theme)$size
  wid <- sw(pd$break_labels, tick_pt)
  if (s$risk) for (i in seq_along(pd$labels)) wid <- pmax(wid, sw(format_num(
    pd$risk$n.risk[as.integer(pd$risk$strata) == i], 1L * any(pd$risk$n.risk != round(pd$risk$n.risk))), pt))
  at <- (pd$breaks - pd$xlim[1L]) / diff(pd$xlim) * pw / 1.04
  keep <- seq_len(n)
  for (stride in seq_len(n)) {
    keep <- seq(1L, n, by = stride)
    if (length(keep) < 2L) break
    if (all(diff(at[keep]) - (wid[keep][-1L] + wid[keep][-length(keep)]) / 2 >= 0.06)) break
  }
  if (length(keep) < n) parts <- build(keep)
  if (pw < 0.4 * W) ok <- FALSE
  gm <- parts[[1]]
  body <- do.call(rbind, c(parts, list(size = "first")))
  pcol <- unique(gm$layout$l[grepl("^panel", gm$layout$name)])
  left_in <- sum(grid::convertWidth(body$widths[seq_len(pcol - 1L)], "in", valueOnly = TRUE))
  # top rows: title/subtitle, legend table, annotation
  top <- list()
  heights <- numeric(0)
  if (!is.null(title) || !is.null(subtitle)) {
    tl <- c(title, subtitle)
    top[[length(top) + 1L]] <- grid::textGrob(tl, x = grid::unit(4, "pt"),
      y = grid::unit(1, "npc") - grid::unit((seq_along(tl) - 0.5) * 1.25 * pt * 1.2 / 72, "in"),
      just = "left", gp = gp(fontface = c(if (!is.null(title)) 2, if (!is.null(subtitle)) 1)))
    heights <- c(heights, length(tl) * 1.25 * pt * 1.2 / 72)
  }
  if (s$legend) {
    pdl <- pd
    cols <- variants[[s$variant]]$columns
    other <- sum(vapply(cols, function(cl) max(sw(cl$header, pt, 2), sw(cl$cells, pt)), 1)) +
      (1.5 * length(cols) + 0.5) * sw("mm", pt) + sw("MMM", pt)
    leg_labs <- wrapped(max(0.25 * W, W - 0.15 - other))
    pdl$labels <- leg_labs$labels
    lt <- gg_legend_table(pdl, cols, o, pt, family, sw, leg_labs$nl)
    top[[length(top) + 1L]] <- lt$grob
    heights <- c(heights, lt$height)
    if (lt$width > W - 0.1) ok <- FALSE
    lt_left <- min(left_in, max(0.05, W - 0.05 - lt$width))
    top[[length(top)]] <- grid::gTree(children = grid::gList(lt$grob),
      vp = grid::viewport(x = grid::unit(lt_left, "in"), width = grid::unit(lt$width, "in"),
                          just = "left"))
  }
  ann <- pd$text$annotation
  if (length(ann)) {
    ann <- unlist(lapply(ann, function(a) gg_wrap(a, W - 0.2, pt, sw)))
    top[[length(top) + 1L]] <- grid::textGrob(ann, x = grid::unit(min(left_in, max(0.05,
      W - 0.05 - max(sw(ann, pt)))), "in"),
      y = grid::unit(1, "npc") - grid::unit((seq_along(ann) - 0.5) * pitch, "in"),
      just = "left", gp = gp())
    heights <- c(heights, length(ann) * pitch)
  }
  for (i in rev(seq_along(top))) {
    body <- gtable::gtable_add_rows(body, grid::unit(heights[i], "in"), pos = 0)
    body <- gtable::gtable_add_grob(body, top[[i]], t = 1, l = 1, r = ncol(body), clip = "off",
                                    name = paste0("netsurv-top-", i))
  }
  fixed <- sum(grid::convertHeight(body$heights[!grid::unitType(body$heights) %in% "null"],
                                   "in", valueOnly = TRUE))
  panel_h <- H - fixed
  if (panel_h < 0.5 * H) ok <- FALSE
  if (W - sum(grid::convertWidth(body$widths[!grid::unitType(body$widths) %in% "null"], "in",
                                 valueOnly = TRUE)) < 0.4 * W) ok <- FALSE
  list(ok = ok, grob = body, panel_height = panel_h, keep = keep)
}

gg_wrap <- function(s, width, pt, sw) {
  if (sw(s, pt) <= width) return(s)
  words <- strsplit(s, " ", fixed = TRUE)[[1L]]
  out <- character(0)
  cur <- words[1L]
  for (w in words[-1L]) {
    cand <- paste(cur, w)
    if (sw(cand, pt) <= width) cur <- cand else { out <- c(out, cur); cur <- w }
  }
  c(out, cur)
}

# The legend table as a grid table with measured columns: key, label (in the
# group's colour), then the variant's columns, with a bold header row.
gg_legend_table <- function(pd, columns, o, pt, family, sw, nl = 1L) {
  k <- length(pd$labels)
  pitch <- 1.2 * pt / 72
  gap <- sw("mm", pt)
  key_w <- sw("MMM", pt)
  lab_w <- max(sw(unlist(strsplit(pd$labels, "\n")), pt))
  col_w <- vapply(columns, function(cl) max(sw(cl$header, pt, 2), sw(cl$cells, pt)), 1)
  xs <- c(0, key_w + 0.5 * gap, key_w + 0.5 * gap + lab_w + 1.5 * gap +
            c(0, cumsum(col_w + 1.5 * gap))[seq_along(columns)])
  width <- key_w + 0.5 * gap + lab_w + sum(col_w + 1.5 * gap)
  header <- length(columns) > 0L
  # row i (the header is row 1 when there is one): groups take nl lines each
  y <- function(i) grid::unit(1, "npc") - grid::unit(ifelse(header & i == 1, 0.5 * pitch,
    header * pitch + (i - header - 0.5) * nl * pitch), "in")
  gl <- grid::gList()
  gpt <- function(...) grid::gpar(fontsize = pt, fontfamily = family, ...)
  for (j in seq_along(columns)) {
    if (header) gl <- grid::gList(gl, grid::textGrob(columns[[j]]$header,
      x = grid::unit(xs[j + 2L], "in"), y = y(1), just = "left", gp = gpt(fontface = 2)))
    gl <- grid::gList(gl, grid::textGrob(columns[[j]]$cells, x = grid::unit(xs[j + 2L], "in"),
      y = y(header + seq_len(k)), just = "left", gp = gpt()))
  }
  gl <- grid::gList(gl,
    grid::segmentsGrob(x0 = grid::unit(0, "in"), x1 = grid::unit(key_w * 0.85, "in"),
                       y0 = y(header + seq_len(k)), y1 = y(header + seq_len(k)),
                       gp = grid::gpar(col = o$col, lwd = 1.5)),
    grid::textGrob(pd$labels, x = grid::unit(xs[2L], "in"), y = y(header + seq_len(k)),
                   just = "left", gp = gpt(col = o$text_col)))
  list(grob = grid::gTree(children = gl), width = width, height = (header + k * nl) * pitch)
}
