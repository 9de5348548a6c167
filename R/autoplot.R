# autoplot.R -- ggplot2 version of the journal figure (ggplot2 is in Suggests;
# the methods are registered lazily through @exportS3Method ggplot2::autoplot).
# Every number comes from km_plot_data(), as in plot.netsurv_curve().

#' Survival curves with ggplot2
#'
#' `autoplot()` methods that draw the same figure as
#' [plot()][plot.netsurv_curve] with ggplot2 (which must be installed): the
#' curves from the plot data of [km_plot_data()] with censoring marks,
#' optional confidence bands, the y axis in percent, the x breaks, a legend
#' with events/N and the median (95\% CI), the log-rank / hazard-ratio
#' annotation (as the subtitle), and the numbers at risk in a panel under the curves that
#' shares the x axis (so every number sits at its break). Because both
#' methods read one plot-data object, the base and ggplot2 figures show
#' identical numbers.
#'
#' @param object A survival curve (e.g. from [km()]) or the plot data
#'   returned by [plot()][plot.netsurv_curve] / [km_plot_data()].
#' @param conf.int Draw confidence bands.
#' @param risk.table Add the numbers-at-risk panel.
#' @param percent Label the y axis in percent.
#' @param col Colours, one per stratum (default: Okabe-Ito, black for one
#'   curve).
#' @param xlab,ylab Axis labels.
#' @param ... For curves: arguments of [km_plot_data()] (`xbreaks`, `xlim`,
#'   `test`, `hr`, `labels`, `digits`, `mark.time`). Unused for plot data.
#' @return A ggplot object; its plot data is attached as attribute
#'   `"netsurv_plotdata"`.
#' @examplesIf requireNamespace("ggplot2", quietly = TRUE)
#' fit <- km(Surv(os_months, os_event) ~ subtype, data = chan2012,
#'           conf.type = "log-log")
#' ggplot2::autoplot(fit, test = TRUE, ylab = "Overall survival (%)")
#' # the same numbers as the base-graphics figure
#' pd <- plot(fit)
#' ggplot2::autoplot(pd)
#' @name autoplot.netsurv_curve
NULL

#' @rdname autoplot.netsurv_curve
#' @exportS3Method ggplot2::autoplot
autoplot.netsurv_curve <- function(object, conf.int = FALSE, risk.table = TRUE,
                                   percent = TRUE, col = NULL, xlab = "Time (months)",
                                   ylab = NULL, ...) {
  pd <- km_plot_data(object, ..., env = parent.frame())
  autoplot.netsurv_plotdata(pd, conf.int = conf.int, risk.table = risk.table,
                            percent = percent, col = col, xlab = xlab, ylab = ylab)
}

#' @rdname autoplot.netsurv_curve
#' @exportS3Method ggplot2::autoplot
autoplot.netsurv_plotdata <- function(object, conf.int = FALSE, risk.table = TRUE,
                                      percent = TRUE, col = NULL, xlab = "Time (months)",
                                      ylab = NULL, ...) {
  if (!requireNamespace("ggplot2", quietly = TRUE))
    stop("autoplot() needs the ggplot2 package", call. = FALSE)
  pd <- object
  if (is.null(pd$risk))
    stop("`object`: plot data without a risk table; make it with km_plot_data()",
         call. = FALSE)
  if (conf.int && all(is.na(pd$steps$lower)))
    stop("`conf.int`: the fit has no confidence limits", call. = FALSE)
  k <- length(pd$labels)
  if (is.null(col)) col <- if (!is.null(pd$style)) pd$style$col else default_colours(k)
  col <- rep_len(col, k)
  scale <- if (percent) 100 else 1
  if (is.null(ylab)) ylab <- if (percent) "Survival (%)" else "Survival probability"
  key <- paste0(pd$labels, "   ", pd$text$events, "   ", pd$text$median)
  lev <- function(strata) factor(key[as.integer(strata)], levels = key)
  names(col) <- key
  # Panel heights: 10 y units per risk-table row against 100 for the curves.
  unit <- scale / 10
  curve_panel <- "curve"
  risk_panel <- "No. at risk"
  panels <- c(curve_panel, if (risk.table) risk_panel)
  steps <- data.frame(panel = factor(curve_panel, panels), stratum = lev(pd$steps$strata),
                      x = pd$steps$x, y = pd$steps$surv * scale,
                      lower = pd$steps$lower * scale, upper = pd$steps$upper * scale)
  marks <- data.frame(panel = factor(rep(curve_panel, nrow(pd$marks)), panels),
                      stratum = lev(pd$marks$strata), x = pd$marks$time,
                      y = pd$marks$surv * scale)
  x <- y <- lower <- upper <- stratum <- label <- NULL  # ggplot2's aes() columns
  g <- ggplot2::ggplot(steps, ggplot2::aes(x = x, y = y, colour = stratum))
  if (conf.int) {
    band <- steps[!is.na(steps$lower) & !is.na(steps$upper), ]
    g <- g + ggplot2::geom_ribbon(data = band, ggplot2::aes(ymin = lower, ymax = upper,
                                                            fill = stratum),
                                  alpha = 0.18, colour = NA, show.legend = FALSE) +
      ggplot2::scale_fill_manual(values = col)
  }
  # the curve panel always spans 0-100% (0-1)
  g <- g + ggplot2::geom_blank(data = data.frame(panel = factor(curve_panel, panels),
                                                 x = pd$xlim[1L], y = c(0, scale)),
                               inherit.aes = FALSE, ggplot2::aes(x = x, y = y)) +
    ggplot2::geom_path(linewidth = 0.6) +
    ggplot2::geom_point(data = marks, shape = 3, size = 1.2, show.legend = FALSE) +
    ggplot2::scale_colour_manual(values = col, name = paste(pd$text$header, collapse = "   "))
  yticks <- seq(0, scale, length.out = 6)
  if (risk.table) {
    risk <- data.frame(panel = factor(risk_panel, panels), x = pd$risk$time,
                       y = -unit * as.integer(pd$risk$strata),
                       stratum = lev(pd$risk$strata),
                       label = format_num(pd$risk$n.risk,
                                          if (all(pd$risk$n.risk == round(pd$risk$n.risk))) 0 else 1))
    g <- g + ggplot2::geom_text(data = risk, ggplot2::aes(label = label), size = 3,
                                show.legend = FALSE) +
      ggplot2::geom_blank(data = data.frame(panel = factor(risk_panel, panels),
                                            x = pd$xlim[1L], y = -unit * (k + 0.5)),
                          inherit.aes = FALSE, ggplot2::aes(x = x, y = y)) +
      ggplot2::geom_blank(data = data.frame(panel = factor(risk_panel, panels),
                                            x = pd$xlim[1L], y = -unit * 0.5),
                          inherit.aes = FALSE, ggplot2::aes(x = x, y = y)) +
      ggplot2::facet_grid(panel ~ ., scales = "free_y", space = "free_y",
                          labeller = ggplot2::as_labeller(stats::setNames(c("", risk_panel),
                                                                          panels)))
  }
  labels <- pd$labels
  g <- g + ggplot2::scale_x_continuous(breaks = pd$breaks, limits = pd$xlim,
                                  expand = ggplot2::expansion(mult = c(0.04, 0.03))) +
    ggplot2::scale_y_continuous(
      breaks = function(lim) if (lim[2L] <= 0) -unit * seq_len(k) else yticks,
      labels = function(b) ifelse(b < 0, labels[pmax(1L, round(-b / unit))], format(b)),
      expand = ggplot2::expansion(mult = c(0.01, 0.03))) +
    ggplot2::labs(x = xlab, y = ylab,
                  subtitle = if (length(pd$text$annotation))
                    paste(pd$text$annotation, collapse = "; ")) +
    ggplot2::coord_cartesian(clip = "off") +
    ggplot2::theme_classic(base_size = 9) +
    ggplot2::theme(legend.position = "top", legend.justification = "left",
                   legend.direction = "vertical",
                   legend.background = ggplot2::element_blank(),
                   legend.title = ggplot2::element_text(size = 8, face = "bold"),
                   strip.background = ggplot2::element_blank(),
                   strip.text.y = ggplot2::element_text(angle = 0, hjust = 0, face = "bold"),
                   panel.spacing = ggplot2::unit(0.4, "lines"))
  attr(g, "netsurv_plotdata") <- pd
  g
}
