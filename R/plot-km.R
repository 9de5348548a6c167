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
  check_curve(x)
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

# Draw plot data: axes, optional CI (dashed steps or a shaded band), curves,
# censoring marks, optional legend. `style` holds per-stratum col/lty/lwd.
draw_curve_plot <- function(pd, style, conf.int, conf.style, xlab, ylab, xlim, ylim,
                            legend, pch, cex, ...) {
  graphics::plot(xlim, ylim, type = "n", xlab = xlab, ylab = ylab, ...)
  for (i in seq_along(pd$labels)) {
    st <- pd$steps[as.integer(pd$steps$strata) == i, , drop = FALSE]
    col <- style$col[i]
    if (conf.int) {
      if (conf.style == "band") {
        ok <- !is.na(st$lower) & !is.na(st$upper)
        graphics::polygon(c(st$x[ok], rev(st$x[ok])), c(st$lower[ok], rev(st$upper[ok])),
                          col = grDevices::adjustcolor(col, alpha.f = 0.2), border = NA)
      } else {
        graphics::lines(st$x, st$lower, col = col, lty = 2, lwd = style$lwd[i])
        graphics::lines(st$x, st$upper, col = col, lty = 2, lwd = style$lwd[i])
      }
    }
    graphics::lines(st$x, st$surv, col = col, lty = style$lty[i], lwd = style$lwd[i])
    mk <- pd$marks[as.integer(pd$marks$strata) == i, , drop = FALSE]
    if (nrow(mk)) graphics::points(mk$time, mk$surv, pch = pch, col = col, cex = cex)
  }
  if (!isFALSE(legend) && !is.null(legend)) {
    pos <- if (isTRUE(legend)) "topright" else legend
    graphics::legend(pos, legend = pd$labels, col = style$col, lty = style$lty,
                     lwd = style$lwd, bty = "n")
  }
  invisible(NULL)
}

#' Plot survival curves
#'
#' Draws each stratum's survival curve as a step function in base graphics,
#' with tick marks at censoring times and optional pointwise confidence
#' intervals, and returns the coordinates it drew.
#'
#' @param x A survival curve from [km()].
#' @param conf.int Draw the confidence interval of each curve (the fit's
#'   `lower`/`upper`; an error when the fit has none).
#' @param mark.time `TRUE` marks censoring times with `pch` on the curve;
#'   `FALSE` draws no marks; a numeric vector marks those times instead.
#' @param col,lty,lwd Colour, line type and width, recycled over strata. The
#'   default colours are 1, 2, ... (the palette), one per stratum.
#' @param xlab,ylab Axis labels.
#' @param xlim,ylim Axis ranges; by default from the curve's origin to its last
#'   time, and \[0, 1\].
#' @param conf.style `"lines"` (dashed steps, default) or `"band"` (a shaded
#'   area) for the confidence interval.
#' @param legend `TRUE`/`FALSE`, or a legend position keyword such as
#'   `"bottomleft"`. Default: a legend at the top right when there are strata.
#' @param pch,cex Symbol and size of the censoring marks (default `3`, a "+").
#' @param ... Further graphical parameters for [graphics::plot()] (e.g. `main`).
#' @return Invisibly, the plot data (class `"netsurv_plotdata"`): a list with
#'   data frames `knots` (per stratum, one row per time starting at the
#'   origin: `strata`, `time`, `surv`, `lower`, `upper`, `n.risk`, `n.event`,
#'   `n.censor`), `steps` (the drawn step paths: `strata`, `x`, `surv`,
#'   `lower`, `upper`) and `marks` (`strata`, `time`, `surv`), the stratum
#'   `labels`, `xlim`, `ylim`, and `style` (`col`, `lty`, `lwd` per stratum).
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' plot(fit, conf.int = TRUE, xlab = "Days")
#' pd <- plot(fit, conf.int = TRUE, conf.style = "band", legend = "bottomleft")
#' head(pd$steps)
#' @export
plot.netsurv_curve <- function(x, conf.int = FALSE, mark.time = TRUE, col = NULL, lty = 1,
                               lwd = 1, xlab = "Time", ylab = "Survival probability",
                               xlim = NULL, ylim = NULL, conf.style = c("lines", "band"),
                               legend = NULL, pch = 3, cex = 1, ...) {
  check_curve(x)
  if (!is.logical(conf.int) || length(conf.int) != 1L || is.na(conf.int))
    stop("`conf.int` must be TRUE or FALSE", call. = FALSE)
  if (conf.int && is.null(x$lower))
    stop("`conf.int`: the fit has no confidence limits (conf.type = \"none\")", call. = FALSE)
  if (!(is.numeric(mark.time) && !anyNA(mark.time)) &&
      !(is.logical(mark.time) && length(mark.time) == 1L && !is.na(mark.time)))
    stop("`mark.time` must be TRUE, FALSE or a numeric vector of times", call. = FALSE)
  conf.style <- match.arg(conf.style)
  pd <- curve_plot_data(x, mark.time)
  k <- length(pd$labels)
  if (is.null(col)) col <- seq_len(k)
  pd$style <- list(col = rep_len(col, k), lty = rep_len(lty, k), lwd = rep_len(lwd, k))
  if (is.null(xlim)) xlim <- pd$xlim
  if (is.null(ylim)) ylim <- pd$ylim
  if (is.null(legend)) legend <- !is.null(x$strata)
  draw_curve_plot(pd, pd$style, conf.int, conf.style, xlab, ylab, xlim, ylim, legend,
                  pch, cex, ...)
  invisible(pd)
}
