# plot-cuminc.R -- cumulative incidence figures: cuminc()'s fit turned into
# the survival figures' plot data, and its plot() and autoplot() methods.

# ---- figures -------------------------------------------------------------------
#
# The survival figures' engine (R/plot-km.R, R/autoplot.R) draws a plot-data
# object (km_plot_data()'s structure); the cumulative incidence curves are
# turned into that structure (rising curves in the `surv` column) and drawn by
# the same internal functions, draw_journal_plot() and
# autoplot.netsurv_plotdata(), so the layout guarantees and the risk table are
# the survival figures' own.

#' Plot data for cumulative incidence figures
#'
#' Turns a [cuminc()] fit into the plot data that the survival figures draw
#' (see [km_plot_data()]): one object per cause (groups as strata), or one
#' object with every group-cause curve (`stacked = TRUE`). The legend columns
#' are events/N and the cumulative incidence (with its confidence interval)
#' at the last x break; the annotation is Gray's test for the cause.
#'
#' @param x A fit from [cuminc()].
#' @param cause Causes to show (labels); default all.
#' @param stacked One object with all causes' curves, instead of one per cause.
#' @param xbreaks,xlim,mark.time,labels,digits As in [km_plot_data()];
#'   `labels` label the groups.
#' @return A list of `"netsurv_plotdata"` objects named by cause (one element,
#'   `"all"`, when `stacked`); each has `knots`, `steps`, `marks`, `risk`,
#'   `summary`, `text`, `breaks`, `xlim`, `labels`, `strata`, `test`
#'   (Gray's statistic, df and p for the cause, or `NULL`).
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' pd <- cuminc_plot_data(cuminc(Surv(etime, event) ~ sex, data = mg))
#' pd$progression$risk
#' pd$death$text
#' @export
cuminc_plot_data <- function(x, cause = NULL, stacked = FALSE, xbreaks = NULL, xlim = NULL,
                             mark.time = TRUE, labels = NULL, digits = 1) {
  if (!inherits(x, "netsurv_cuminc")) stop("`x` must be a cuminc() fit", call. = FALSE)
  if (is.null(cause)) cause <- x$causes
  if (!is.character(cause) || !length(cause) || !all(cause %in% x$causes))
    stop("`cause` must name causes of the fit (", toString(dQuote(x$causes, FALSE)), ")",
         call. = FALSE)
  check_mark_time(mark.time)
  if (!is.logical(stacked) || length(stacked) != 1L || is.na(stacked))
    stop("`stacked` must be TRUE or FALSE", call. = FALSE)
  rows <- cuminc_group_rows(x)
  groups <- if (is.null(x$strata)) "" else names(x$strata)
  glabels <- if (is.null(labels)) display_labels(groups) else labels
  if (length(glabels) != length(groups))
    stop("`labels` must give one label per group (", length(groups), ")", call. = FALSE)
  if (!is.null(xlim) && (!is.numeric(xlim) || length(xlim) != 2L || anyNA(xlim) || xlim[1L] >= xlim[2L]))
    stop("`xlim` must be two increasing numbers", call. = FALSE)
  origin <- min(0, x$time)
  last <- max(x$time)
  if (is.null(xbreaks))
    xbreaks <- default_xbreaks(if (is.null(xlim)) origin else xlim[1L], if (is.null(xlim)) last else xlim[2L])
  xbreaks <- sort(unique(xbreaks))
  if (is.null(xlim)) xlim <- c(min(origin, xbreaks[1L]), max(last, xbreaks))
  xbreaks <- xbreaks[xbreaks >= xlim[1L] & xbreaks <= xlim[2L]]
  if (!length(xbreaks)) stop("`xbreaks`: no break lies within `xlim`", call. = FALSE)
  at <- max(xbreaks[xbreaks <= last], origin)
  s <- summary.netsurv_cuminc(x, times = c(xbreaks, at))
  if (is.null(s$group)) s$group <- ""
  level <- x$conf.int

  one <- function(causes) {
    curves <- expand.grid(g = seq_along(groups), k = match(causes, x$causes))
    strata <- if (length(causes) == 1L) groups else paste0(groups[curves$g], ", ", x$causes[curves$k])
    if (length(causes) > 1L && identical(groups, "")) strata <- x$causes[curves$k]
    lab <- if (length(causes) == 1L) glabels
           else if (identical(groups, "")) x$causes[curves$k]
           else paste0(glabels[curves$g], ", ", x$causes[curves$k])
    knots <- steps <- marks <- risk <- vector("list", nrow(curves))
    events <- cif <- lo <- hi <- numeric(nrow(curves))
    for (i in seq_len(nrow(curves))) {
      r <- rows[[curves$g[i]]]
      k <- curves$k[i]
      kn <- data.frame(time = c(origin, x$time[r]), surv = c(0, x$estimate[r, k]),
                       lower = c(0, if (!is.null(x$lower)) x$lower[r, k] else rep(NA_real_, length(r))),
                       upper = c(0, if (!is.null(x$upper)) x$upper[r, k] else rep(NA_real_, length(r))),
                       n.risk = c(x$n.risk[r][1L], x$n.risk[r]), n.event = c(0, x$n.event[r, k]),
                       n.censor = c(0, x$n.censor[r]))
      if (x$time[r][1L] == origin) kn <- kn[-1L, ]
      if (is.null(x$lower)) kn$lower[1L] <- kn$upper[1L] <- NA_real_
      steps[[i]] <- curve_steps(kn, strata[i])
      marks[[i]] <- curve_marks(kn, strata[i], mark.time)
      knots[[i]] <- cbind(strata = strata[i], kn)
      sg <- s[s$group == groups[curves$g[i]] & s$cause == x$causes[k], ]
      risk[[i]] <- data.frame(strata = strata[i], time = xbreaks,
                              n.risk = sg$n.risk[match(xbreaks, sg$time)])
      fin <- sg[sg$time == at, ][1L, ]
      events[i] <- sum(x$n.event[r, k])
      cif[i] <- fin$estimate; lo[i] <- fin$lower; hi[i] <- fin$upper
    }
    n <- x$n[curves$g]
    pct <- function(v) format_num(100 * v, digits)
    text <- list(header = c("", "Events/N", paste0("At ", format(at), if (!is.null(x$lower))
                   paste0(" (", format(100 * level), "% CI)"))),
                 events = paste0(format_num(events, 0), "/", format_num(n, 0)),
                 median = paste0(pct(cif), "%", if (!is.null(x$lower))
                   paste0(" (", pct(lo), "-", pct(hi), ")")),
                 annotation = character(0))
    test <- NULL
    if (length(causes) == 1L && !is.null(x$tests)) {
      tt <- x$tests[x$tests$cause == causes, ]
      test <- list(statistic = tt$statistic, df = tt$df, p.value = tt$p.value)
      text$annotation <- paste0("Gray's test P ", format_p(tt$p.value))
    } else if (!is.null(x$tests)) {
      text$annotation <- paste0("Gray's test: ", paste0(x$tests$cause, " P ",
                                vapply(x$tests$p.value, format_p, ""), collapse = "; "))
    }
    summ <- data.frame(strata = factor(strata, levels = strata), label = lab, n = n,
                       events = events, median = NA_real_, lower = lo, upper = hi,
                       cuminc = cif, stringsAsFactors = FALSE)
    structure(list(knots = bind_curves(knots, strata), steps = bind_curves(steps, strata),
                   marks = bind_curves(marks, strata), labels = lab, strata = strata,
                   xlim = xlim, ylim = c(0, 1), breaks = xbreaks, risk = bind_curves(risk, strata), summary = summ, conf.int = level,
                   test = test, hr = NULL, text = text, at = at),
              class = "netsurv_plotdata")
  }
  if (stacked) return(list(all = one(cause)))
  stats::setNames(lapply(cause, one), cause)
}

# The figure's content for the layout engine (R/plot-layout.R): the survival
# figure's spec with the legend's columns of a cumulative incidence figure
# (events/N and the incidence at the last break with its CI), degrading to
# fewer columns when they do not fit.
cuminc_layout_spec <- function(pd, o) {
  spec <- km_layout_spec(pd, o)
  ev <- list(header = pd$text$header[2L], cells = pd$text$events)
  at <- list(header = pd$text$header[3L], cells = pd$text$median)
  at_short <- list(header = paste0("At ", format(pd$at)),
                   cells = paste0(format_num(100 * pd$summary$cuminc, o$digits), "%"))
  spec$legend$variants <- Filter(Negate(is.null), list(
    list(columns = list(ev, at)),
    if (!identical(at$cells, at_short$cells)) list(columns = list(ev, at_short), msg = "the CI"),
    list(columns = list(ev), msg = "the cumulative incidence column"),
    list(columns = list(), msg = "the events/N column")))
  spec
}

#' Plot cumulative incidence curves
#'
#' Draws the cumulative incidence of each cause, one panel per cause (groups
#' as curves) or all curves in one panel (`stacked = TRUE`, colour per group
#' and line type per cause), with the numbers at risk under the x-axis breaks,
#' a legend with events/N and the incidence at the last break, and Gray's
#' p-value. The figure is drawn by the survival figures' engine (see
#' [plot.netsurv_curve()]) from [cuminc_plot_data()].
#'
#' @param x A fit from [cuminc()].
#' @param cause,stacked,xbreaks,xlim,mark.time,labels,digits See
#'   [cuminc_plot_data()].
#' @param conf.int Draw confidence bands.
#' @param col,lty,lwd Colours (per group), line types (per cause when
#'   stacked) and width.
#' @param xlab,ylab Axis labels.
#' @param ylim Range on the probability scale (default 0 to 1).
#' @param percent Label the y axis in percent.
#' @param risk.table Draw the numbers at risk.
#' @param legend,annotation.pos,pch,cex,cex.text As in [plot.netsurv_curve()].
#' @param ... Must be empty.
#' @return Invisibly, the list of plot data drawn.
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime) / 12
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- cuminc(Surv(etime, event) ~ sex, data = mg)
#' plot(fit, xlab = "Years")
#' plot(fit, stacked = TRUE, xlab = "Years")
#' @export
plot.netsurv_cuminc <- function(x, cause = NULL, stacked = FALSE, conf.int = FALSE,
                                mark.time = FALSE, col = NULL, lty = NULL, lwd = 1.5,
                                xlab = "Time", ylab = NULL, xlim = NULL, ylim = c(0, 1),
                                xbreaks = NULL, percent = TRUE, risk.table = TRUE,
                                legend = TRUE, annotation.pos = "legend", labels = NULL,
                                digits = 1, pch = 3, cex = 0.6, cex.text = 0.85, ...) {
  check_unused("plot()", ...)
  if (conf.int && is.null(x$lower))
    stop("`conf.int`: the fit has no confidence limits (conf.type = \"none\")", call. = FALSE)
  if (!is.numeric(ylim) || length(ylim) != 2L || anyNA(ylim) || ylim[1L] >= ylim[2L])
    stop("`ylim` must be two increasing numbers on the probability scale", call. = FALSE)
  if (isTRUE(legend)) legend <- "top"
  pds <- cuminc_plot_data(x, cause = cause, stacked = stacked, xbreaks = xbreaks, xlim = xlim,
                          mark.time = mark.time, labels = labels, digits = digits)
  if (is.null(ylab)) ylab <- if (percent) "Cumulative incidence (%)" else "Cumulative incidence"
  n_groups <- max(1L, length(x$strata))
  if (length(pds) > 1L) {
    old <- graphics::par(mfrow = c(1L, length(pds)))
    on.exit(graphics::par(old))
  }
  if (!is.numeric(cex.text) || length(cex.text) != 1L || !is.finite(cex.text) || cex.text <= 0)
    stop("`cex.text` must be a positive number", call. = FALSE)
  scale <- if (percent) 100 else 1
  yticks <- (if (percent) seq(0, 100, 20) else seq(0, 1, 0.2))
  yticks <- yticks[yticks >= ylim[1L] * scale - 1e-9 & yticks <= ylim[2L] * scale + 1e-9]
  if (length(yticks) < 2L) yticks <- pretty(ylim * scale)
  for (nm in names(pds)) {
    pd <- pds[[nm]]
    k <- length(pd$labels)
    if (stacked) {
      ncause <- k / n_groups
      cl <- rep_len(if (is.null(col)) default_colours(n_groups) else col, n_groups)
      st <- list(col = rep(cl, times = ncause),
                 lty = rep(rep_len(if (is.null(lty)) seq_len(ncause) else lty, ncause), each = n_groups),
                 lwd = rep_len(lwd, k))
    } else {
      st <- list(col = rep_len(if (is.null(col)) default_colours(k) else col, k),
                 lty = rep_len(if (is.null(lty)) 1 else lty, k), lwd = rep_len(lwd, k))
    }
    st$text_col <- legible_text_colour(st$col)
    pd$style <- st
    pd$ylim <- ylim
    pd$xscale <- 1
    pd$break_labels <- format_breaks(pd$breaks)
    # The curves are drawn as they are (rising): "surv" in the engine's
    # terms means "the y values of the steps", here the cumulative incidence.
    o <- list(fun = "surv", scale = scale, conf.int = conf.int, conf.style = "band",
              pch = if (isFALSE(mark.time)) NULL else pch, cex = cex, xlab = xlab, ylab = ylab,
              legend = if (isFALSE(legend)) "none" else legend,
              annotation.pos = annotation.pos, median.lines = FALSE, panel = NULL,
              main = if (stacked) NULL else nm, cex.text = cex.text, digits = digits,
              risk.table = risk.table, risk.counts = "n.risk", coxcurve = FALSE,
              text_col = st$text_col,
              xlim_draw = pd$xlim + c(0, 0.02) * diff(pd$xlim),
              ylim_draw = c(ylim[1L], ylim[2L] + 0.03 * diff(ylim)) * scale,
              yticks = yticks, user_breaks = !is.null(xbreaks))
    pd$layout <- draw_km_figure(pd, o, spec = cuminc_layout_spec(pd, o))
    pds[[nm]] <- pd
  }
  invisible(pds)
}

#' Cumulative incidence curves with ggplot2
#'
#' The ggplot2 version of [plot()][plot.netsurv_cuminc], drawn by the
#' survival figures' `autoplot()` method from the same plot data: one cause
#' (`cause`), or all curves stacked in one panel when `cause` is not given
#' and the fit has several causes.
#' @param object A fit from [cuminc()].
#' @param cause One cause to draw; default: all, stacked.
#' @param conf.int,risk.table,percent,col,xlab,ylab As in
#'   [autoplot.netsurv_curve()].
#' @param mark.time Censoring marks (see [cuminc_plot_data()]); none by
#'   default.
#' @param ... Arguments of [cuminc_plot_data()] (`xbreaks`, `xlim`,
#'   `labels`, `digits`).
#' @return A ggplot object.
#' @examplesIf requireNamespace("ggplot2", quietly = TRUE)
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime) / 12
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- cuminc(Surv(etime, event) ~ sex, data = mg)
#' ggplot2::autoplot(fit, cause = "progression", xlab = "Years")
#' @name autoplot.netsurv_cuminc
#' @exportS3Method ggplot2::autoplot
autoplot.netsurv_cuminc <- function(object, cause = NULL, conf.int = FALSE, risk.table = TRUE,
                                    percent = TRUE, col = NULL, xlab = "Time", ylab = NULL,
                                    mark.time = FALSE, ...) {
  if (!is.null(cause) && length(cause) != 1L) stop("`cause` must be one cause", call. = FALSE)
  stacked <- is.null(cause) && length(object$causes) > 1L
  pd <- cuminc_plot_data(object, cause = cause, stacked = stacked, mark.time = mark.time, ...)[[1L]]
  if (is.null(ylab)) ylab <- if (percent) "Cumulative incidence (%)" else "Cumulative incidence"
  autoplot.netsurv_plotdata(pd, conf.int = conf.int, risk.table = risk.table, percent = percent,
                            col = col, xlab = xlab, ylab = ylab)
}
