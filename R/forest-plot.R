# forest-plot.R -- the subgroup forest plot of subgroup_hr(): plot data
# (what is drawn), a layout measured on the open device (where it goes), then
# drawing. The layout is a pure function of the plot data and the device's
# text metrics, so that nothing is cut or overlaps at any device size.

# What the figure shows, one row per line: the overall row, then for each
# subgroup variable a heading row (with its interaction p) and its levels.
forest_plot_data <- function(x, digits = 2L) {
  t <- x$table
  fmt <- function(v) formatC(v, digits = digits, format = "f")
  hr_text <- ifelse(is.na(t$estimate), ifelse(nzchar(t$note), t$note, "NA"),
                    paste0(fmt(t$estimate), " (", fmt(t$conf.low), "-", fmt(t$conf.high), ")"))
  ev <- function(e, n) paste0(e, "/", n)
  rows <- list()
  add <- function(...) rows[[length(rows) + 1L]] <<- data.frame(..., stringsAsFactors = FALSE)
  for (i in seq_len(nrow(t))) {
    if (is.na(t$level[i])) {
      add(kind = "overall", label = "Overall", indent = 0, trt = ev(t$events.trt[i], t$n.trt[i]),
          ref = ev(t$events.ref[i], t$n.ref[i]), hr = hr_text[i], p = "",
          estimate = t$estimate[i], low = t$conf.low[i], high = t$conf.high[i],
          se = t$std.error[i])
      next
    }
    if (!is.na(t$df.interaction[i]) || i == 1L || t$variable[i] != t$variable[i - 1L]) {
      add(kind = "heading", label = t$label[i], indent = 0, trt = "", ref = "", hr = "",
          p = if (is.na(t$p.interaction[i])) "" else format_p_plot(t$p.interaction[i]),
          estimate = NA_real_, low = NA_real_, high = NA_real_, se = NA_real_)
    }
    add(kind = "level", label = t$level[i], indent = 1, trt = ev(t$events.trt[i], t$n.trt[i]),
        ref = ev(t$events.ref[i], t$n.ref[i]), hr = hr_text[i], p = "",
        estimate = t$estimate[i], low = t$conf.low[i], high = t$conf.high[i], se = t$std.error[i])
  }
  rows <- do.call(rbind, rows)
  structure(list(rows = rows, arms = x$arms, conf.level = x$conf.level),
            class = "netsurv_forestdata")
}

format_p_plot <- function(p) ifelse(p < 0.001, "<0.001", formatC(p, digits = 3, format = "f"))

# Ticks on the ratio scale: "nice" values inside the range.
forest_ticks <- function(lo, hi) {
  nice <- c(0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20, 50, 100)
  t <- nice[nice >= lo * 0.999 & nice <= hi * 1.001]
  if (length(t) < 2L) t <- sort(unique(c(signif(lo, 2), 1, signif(hi, 2))))
  t
}

# The layout in inches (origin bottom-left of the plot region), from the plot
# data, the region's size and a text measure (inches of each string at a cex
# and font). Tries cex from
# `cex` down to 0.5 and, when the columns still do not fit, leaves out the
# event columns, then the interaction p column; the panel keeps at least its
# axis labels' width. Returns every text item with its box, the panel and the
# rows' y positions.
forest_layout <- function(pd, width, height, measure, cex = 1, height_of = NULL) {
  rows <- pd$rows
  arms <- pd$arms
  ci_label <- paste0("HR (", round(100 * pd$conf.level), "% CI)")
  fav_l <- paste("Favours", arms[2L])
  fav_r <- paste("Favours", arms[1L])
  finite <- c(rows$low, rows$high, rows$estimate)
  finite <- finite[is.finite(finite) & finite > 0]
  lo <- min(c(finite, 1)); hi <- max(c(finite, 1))
  span <- log(hi / lo)
  if (span == 0) span <- log(4)
  lim <- exp(c(log(lo) - 0.06 * span, log(hi) + 0.06 * span))
  ticks <- forest_ticks(lim[1L], lim[2L])
  lim <- c(min(lim[1L], ticks), max(lim[2L], ticks))

  col_sets <- list(c("label", "trt", "ref", "panel", "hr", "p"), c("label", "panel", "hr", "p"),
                   c("label", "panel", "hr"))
  header <- list(label = c("Subgroup", ""), trt = c(arms[2L], "events/N"), ref = c(arms[1L], "events/N"),
                 hr = c(ci_label, ""), p = c("P for", "interaction"))
  # every column at a smaller size (down to 0.7) before fewer columns
  tries <- do.call(rbind, lapply(seq_along(col_sets), function(k)
    data.frame(set = k, cex = unique(c(seq(cex, if (k < length(col_sets)) min(cex, 0.7) else 0.5,
                                         by = -0.05), if (k == length(col_sets)) 0.5)))))
  for (try in seq_len(nrow(tries))) {
    s <- tries$cex[try]
    cols <- col_sets[[tries$set[try]]]
    em <- measure("M", s)
    char_h <- if (is.null(height_of)) measure_height(s) else height_of(s)
    line <- 1.5 * char_h
    if ((nrow(rows) + 5) * line > height) next
    tick_w <- max(measure(format(ticks), s))
    indent <- rows$indent * 1.5 * em
    font <- ifelse(rows$kind == "level", 1, 2)
    label_width <- function(lines_of, s) vapply(seq_along(lines_of), function(i)
      max(measure(lines_of[[i]], s, font[i])) + indent[i], 0)
    {
      # headings, the overall row and the header are bold: measure them so
      w <- c(label = max(label_width(rows$label, s), measure(header$label, s, 2)),
             trt = max(measure(rows$trt, s), measure(header$trt, s, 2)),
             ref = max(measure(rows$ref, s), measure(header$ref, s, 2)),
             hr = max(measure(rows$hr, s), measure(header$hr, s, 2)),
             p = max(measure(rows$p, s), measure(header$p, s, 2)))
      w <- w[setdiff(cols, "panel")]
      gap <- 1.2 * em
      fav <- measure(c(fav_l, fav_r), s)
      panel_min <- max(sum(fav) + 2 * em, 3 * (tick_w + em), 1)
      others <- sum(w[names(w) != "label"]) + gap * (length(cols) + 1)
      # long labels wrap at word boundaries when the label column must be narrower
      room <- width - others - panel_min
      lines <- if (w[["label"]] <= room) as.list(rows$label)
               else lapply(seq_along(rows$label), function(i)
                 wrap_words(rows$label[i], room - indent[i], measure, s, font[i]))
      if (any(vapply(lines, is.null, NA))) next
      w[["label"]] <- max(measure(header$label, s, 2), label_width(lines, s))
      n_line <- lengths(lines)
      total <- (sum(n_line) + 2 + 3) * line + 0.25 * line
      if (total > height) next
      # spread the rows over a tall device, up to twice the text height
      line <- max(line, min(height / (sum(n_line) + 5.25), 2 * char_h))
      panel_w <- width - others - w[["label"]]
      x <- gap
      left <- c()
      for (cname in cols) {
        left[cname] <- x
        x <- x + (if (cname == "panel") panel_w else w[[cname]]) + gap
      }
      panel <- c(left[["panel"]], left[["panel"]] + panel_w)
      shown <- thin_ticks(ticks, panel, lim, measure, s, em)
      top <- height - 0.25 * line
      bottom_of_row <- top - line * (2 + cumsum(n_line))
      y_rows <- bottom_of_row + line * n_line / 2
      return(list(cex = s, line = line, em = em, cols = cols, left = left, widths = w,
                  panel = panel, lim = lim, ticks = shown,
                  y_rows = y_rows, label_lines = lines, y_header = top - line * c(0.5, 1.5),
                  y_axis = min(bottom_of_row) - 0.1 * line, header = header, ci_label = ci_label,
                  fav = c(fav_l, fav_r), width = width, height = height))
    }
  }
  stop("the device (", format(round(width, 2)), " x ", format(round(height, 2)),
       " in) is too small for this forest plot at cex 0.5; make it larger", call. = FALSE)
}

# Keep the ticks whose labels have at least an em between them and stay in
# the panel, starting from 1 (the reference) outwards.
thin_ticks <- function(ticks, panel, lim, measure, cex, em) {
  x <- panel[1L] + diff(panel) * (log(ticks) - log(lim[1L])) / diff(log(lim))
  half <- measure(format(ticks), cex) / 2
  ok <- x - half >= panel[1L] - 1e-9 & x + half <= panel[2L] + 1e-9
  start <- which.min(abs(log(ticks)))
  order <- c(start, setdiff(order(abs(seq_along(ticks) - start)), start))
  keep <- logical(length(ticks))
  for (i in order) {
    if (!ok[i]) next
    clash <- keep & abs(x - x[i]) < half + half[i] + em
    if (!any(clash)) keep[i] <- TRUE
  }
  ticks[keep]
}

# Greedy word wrap to a width in inches; NULL when one word alone is wider.
wrap_words <- function(text, width, measure, cex, font = 1) {
  words <- strsplit(text, " ", fixed = TRUE)[[1L]]
  if (!length(words)) return(text)
  if (any(measure(words, cex, font) > width)) return(NULL)
  out <- character()
  cur <- words[1L]
  for (wd in words[-1L]) {
    cand <- paste(cur, wd)
    if (measure(cand, cex, font) <= width) cur <- cand
    else { out <- c(out, cur); cur <- wd }
  }
  c(out, cur)
}

measure_height <- function(cex) graphics::strheight("M", units = "inches", cex = cex)

#' Forest plot of subgroup hazard ratios
#'
#' Draws the [subgroup_hr()] results as a forest plot: the subgroup labels,
#' the events / patients of each arm, the hazard ratio and its confidence
#' interval as a square (area proportional to the inverse variance) with a
#' line on a log scale, the overall result as a diamond, the hazard ratio
#' (CI) as text, and the interaction p-value on each subgroup's heading row.
#'
#' The layout is measured on the open device: every column is as wide as
#' its widest text at the chosen size, the interval panel takes the rest, and
#' when the device is too narrow the text size shrinks (down to `cex` 0.5),
#' then the event columns, then the interaction column are left out, so that
#' no text is cut or overlaps (checked in the tests from 3.5 to 12 inches
#' wide). A device too small even then is an error.
#'
#' @param x a [subgroup_hr()] result.
#' @param cex the largest text size to use.
#' @param col colour of the squares, lines and diamond.
#' @param digits decimals of the hazard ratios.
#' @param ... not used (an error if given).
#' @return The layout (invisibly): a list with the text size used, the
#'   columns shown and the positions, in inches, of every row.
#' @examples
#' colon <- subset(survival::colon, etype == 2 & rx != "Lev")
#' colon$rx <- droplevels(colon$rx)
#' colon$sex <- factor(colon$sex, 0:1, c("Female", "Male"))
#' fit <- subgroup_hr(Surv(time, status) ~ rx, data = colon,
#'                    subgroups = c(Sex = "sex", "Obstruction" = "obstruct"))
#' plot(fit)
#' @export
plot.netsurv_subgroup <- function(x, cex = 1, col = "black", digits = 2L, ...) {
  check_unused("plot()", ...)
  if (!is.numeric(cex) || length(cex) != 1L || !is.finite(cex) || cex < 0.5)
    stop("`cex` must be a single number >= 0.5", call. = FALSE)
  pd <- forest_plot_data(x, digits)
  old <- graphics::par(mar = c(0, 0, 0, 0), xpd = NA)
  on.exit(graphics::par(old))
  graphics::plot.new()
  # recorded as one expression, so that a replay on another device (knitr
  # records on one device and replays on png and pdf; a resized window)
  # measures the text again on that device and lays the figure out anew
  lay <- grDevices::recordGraphics(forest_draw_on_device(pd, cex, col),
                                  list(pd = pd, cex = cex, col = col), asNamespace("netsurv"))
  invisible(lay)
}

forest_draw_on_device <- function(pd, cex, col) {
  pin <- graphics::par("pin")
  graphics::plot.window(xlim = c(0, pin[1L]), ylim = c(0, pin[2L]), xaxs = "i", yaxs = "i")
  measure <- function(s, cex, font = 1) graphics::strwidth(s, units = "inches", cex = cex, font = font)
  lay <- forest_layout(pd, pin[1L], pin[2L], measure, cex)
  draw_forest(pd, lay, col)
  lay
}

draw_forest <- function(pd, lay, col) {
  rows <- pd$rows
  s <- lay$cex
  xmap <- function(v) lay$panel[1L] + diff(lay$panel) * (log(v) - log(lay$lim[1L])) /
    diff(log(lay$lim))
  txt <- function(x, y, label, adj = 0, font = 1)
    graphics::text(x, y, label, adj = c(adj, 0.5), cex = s, font = font)
  right <- function(cname) lay$left[[cname]] + lay$widths[[cname]]
  # header
  for (k in 1:2) {
    y <- lay$y_header[k]
    txt(lay$left[["label"]], y, lay$header$label[k], font = 2)
    for (cname in intersect(c("trt", "ref", "p"), lay$cols))
      txt(right(cname), y, lay$header[[cname]][k], adj = 1, font = 2)
    if ("hr" %in% lay$cols) txt(lay$left[["hr"]], y, lay$header$hr[k], font = 2)
  }
  graphics::segments(lay$left[["label"]], lay$y_header[2L] - 0.5 * lay$line,
                     lay$width - lay$left[["label"]], lay$y_header[2L] - 0.5 * lay$line,
                     col = "grey60")
  # rows
  w <- 1 / rows$se^2
  wmax <- max(w[rows$kind == "level"], na.rm = TRUE)
  for (i in seq_len(nrow(rows))) {
    y <- lay$y_rows[i]
    r <- rows[i, ]
    font <- if (r$kind == "level") 1 else 2
    lab <- lay$label_lines[[i]]
    ys <- y + lay$line * ((length(lab) - 1) / 2 - (seq_along(lab) - 1))
    txt(lay$left[["label"]] + r$indent * 1.5 * lay$em, ys, lab, font = font)
    if ("trt" %in% lay$cols) txt(right("trt"), y, r$trt, adj = 1)
    if ("ref" %in% lay$cols) txt(right("ref"), y, r$ref, adj = 1)
    txt(lay$left[["hr"]], y, r$hr)
    if ("p" %in% lay$cols) txt(right("p"), y, r$p, adj = 1)
    if (is.finite(r$estimate)) {
      graphics::segments(xmap(r$low), y, xmap(r$high), y, col = col)
      h <- 0.3 * lay$line
      if (r$kind == "overall") {
        graphics::polygon(xmap(c(r$low, r$estimate, r$high, r$estimate)), y + c(0, h, 0, -h),
                          col = col, border = col)
      } else {
        half <- h * (0.35 + 0.65 * sqrt(w[i] / wmax))
        graphics::rect(xmap(r$estimate) - half, y - half, xmap(r$estimate) + half, y + half,
                       col = col, border = col)
      }
    }
  }
  # axis, reference line, favours labels
  ya <- lay$y_axis
  graphics::segments(lay$panel[1L], ya, lay$panel[2L], ya)
  graphics::segments(xmap(1), ya, xmap(1), lay$y_header[2L] - 0.5 * lay$line, lty = 2, col = "grey40")
  for (t in lay$ticks) {
    graphics::segments(xmap(t), ya, xmap(t), ya - 0.25 * lay$line)
    txt(xmap(t), ya - 0.75 * lay$line, format(t), adj = 0.5)
  }
  txt(lay$panel[1L], ya - 1.75 * lay$line, lay$fav[1L], adj = 0)
  txt(lay$panel[2L], ya - 1.75 * lay$line, lay$fav[2L], adj = 1)
  invisible(NULL)
}

#' Forest plot with ggplot2
#'
#' The forest plot of [plot()][plot.netsurv_subgroup] as a ggplot object:
#' the subgroup labels on the left axis, the hazard ratios with their
#' intervals on a log scale, the overall row as a diamond, and the hazard
#' ratio (CI), events and interaction p-values as the right-hand axis labels
#' (ggplot2 measures the axis text, so nothing is cut).
#'
#' @param object a [subgroup_hr()] result.
#' @param digits decimals of the hazard ratios.
#' @param ... not used (an error if given).
#' @return A ggplot object.
#' @examplesIf requireNamespace("ggplot2", quietly = TRUE)
#' v <- survival::veteran
#' v$prior <- factor(v$prior, c(0, 10), c("no", "yes"))
#' fit <- subgroup_hr(Surv(time, status) ~ trt, data = v, subgroups = c("celltype", "prior"))
#' ggplot2::autoplot(fit)
#' @exportS3Method ggplot2::autoplot
autoplot.netsurv_subgroup <- function(object, digits = 2L, ...) {
  check_unused("autoplot()", ...)
  if (!requireNamespace("ggplot2", quietly = TRUE))
    stop("autoplot() needs the ggplot2 package", call. = FALSE)
  pd <- forest_plot_data(object, digits)
  low <- high <- estimate <- y <- x <- size <- NULL  # ggplot2's aes() columns
  r <- pd$rows
  r$y <- rev(seq_len(nrow(r)))
  left <- ifelse(r$indent > 0, paste0("    ", r$label), r$label)
  right <- ifelse(r$kind == "heading", ifelse(nzchar(r$p), paste0("interaction p = ", r$p), ""),
                  paste0(r$hr, "   ", r$trt, " vs ", r$ref))
  est <- r[is.finite(r$estimate), ]
  w <- 1 / est$se^2
  est$size <- 1.5 + 3 * sqrt(w / max(w[est$kind == "level"]))
  ov <- est[est$kind == "overall", ]
  lv <- est[est$kind != "overall", ]
  dia <- if (nrow(ov)) data.frame(x = c(ov$low, ov$estimate, ov$high, ov$estimate),
                                  y = ov$y + c(0, 0.3, 0, -0.3)) else NULL
  g <- ggplot2::ggplot() +
    ggplot2::geom_vline(xintercept = 1, linetype = 2, colour = "grey40") +
    ggplot2::geom_segment(data = est, ggplot2::aes(x = low, xend = high,
                                                   y = y, yend = y)) +
    ggplot2::geom_point(data = lv, ggplot2::aes(x = estimate, y = y, size = size),
                        shape = 15) +
    ggplot2::scale_size_identity() +
    ggplot2::scale_x_log10() +
    ggplot2::scale_y_continuous(breaks = r$y, labels = left, expand = ggplot2::expansion(add = 0.6),
                                sec.axis = ggplot2::dup_axis(labels = right, name = NULL)) +
    ggplot2::labs(x = paste0("Hazard ratio (", round(100 * pd$conf.level), "% CI): ",
                             pd$arms[2L], " vs ", pd$arms[1L]), y = NULL,
                  subtitle = paste0("Right: hazard ratio (", round(100 * pd$conf.level),
                                    "% CI) and events/N, ", pd$arms[2L], " vs ", pd$arms[1L])) +
    ggplot2::theme_minimal() +
    ggplot2::theme(panel.grid.minor = ggplot2::element_blank(),
                   panel.grid.major.y = ggplot2::element_blank(),
                   axis.text.y.left = ggplot2::element_text(hjust = 0),
                   axis.text.y.right = ggplot2::element_text(hjust = 0))
  if (!is.null(dia)) g <- g + ggplot2::geom_polygon(data = dia, ggplot2::aes(x = x, y = y))
  attr(g, "netsurv_forestdata") <- pd
  g
}
