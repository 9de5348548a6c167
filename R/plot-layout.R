# plot-layout.R -- the measured layout of a figure with a curve panel, a
# legend table, annotation lines and a risk table (see the top of plot-km.R for
# how a figure type plugs in).
#
# Three steps, each its own function:
#   layout_metrics(strings)        the open device's text metrics: the width of
#                                  every character (plain and bold, in inches at
#                                  cex 1 of the current par("cex")) and the line
#                                  height par("csi"). The only step that asks
#                                  the device anything.
#   layout_solve(spec, metrics, fin)
#                                  a pure function: from the figure's content
#                                  (spec), the metrics and the figure region's
#                                  size (inches), the margins and the position
#                                  of every text item, in inches from the
#                                  figure's bottom-left corner.
#   layout_draw(lay, spec)         draws the solved layout on the device.
#
# Degradation order (layout_solve tries these states in turn and keeps the
# first in which everything fits: every text box inside the figure region, no
# two boxes overlapping, the curve panel at least `panel_floor` (1/2) of the
# figure's height and 40% of its width):
#   1. all text smaller, in steps of 8%, down to a floor of 6 points for the
#      table text (the axis text shrinks by the same factor);
#   2. long group labels wrapped onto several lines (legend and risk table);
#   3. a compact legend: the legend table split into side-by-side blocks;
#   4. legend columns dropped one at a time, in the order of spec$legend$
#      variants (for km: the median's CI, the median, events/N, the HRs),
#      then the risk table's extra rows (events, censored), then the legend
#      itself when a risk table names the groups, then the risk table (with
#      the legend back), then the legend -- each with a message() naming what
#      was dropped.
# Whatever the state, text is never clipped: a state that does not fit is not
# drawn. If even the last state does not fit, it is drawn with a smaller curve
# panel (and a message saying so), still without cutting or overlapping text.
# Independently of the states, x-axis breaks are thinned (every 2nd, 3rd, ...
# kept) when neighbouring tick labels or risk-table numbers would touch, so that
# every drawn tick is labelled and has exactly one risk-table column.

# ---- metrics -------------------------------------------------------------------

# Width of every character of `strings` on the open device, plain and bold,
# in inches at cex = 1 (relative to par("cex")), and the line height.
layout_metrics <- function(strings) {
  ch <- unique(c(strsplit(paste(c(strings, "Mm0123456789 .-"), collapse = ""), "")[[1L]]))
  w <- graphics::strwidth(ch, units = "inches", font = 1)
  wb <- graphics::strwidth(ch, units = "inches", font = 2)
  list(csi = graphics::par("csi"), plain = stats::setNames(w, ch),
       bold = stats::setNames(wb, ch), pt = graphics::par("ps") * graphics::par("cex"))
}

# Width in inches of each string at size `cex`; sums of character widths
# (what R's devices do, up to kerning: 2% slack).
text_width <- function(m, s, cex, bold = FALSE) {
  if (!length(s)) return(numeric(0))
  tab <- if (bold) m$bold else m$plain
  vapply(strsplit(as.character(s), ""), function(ch) {
    v <- tab[ch]
    v[is.na(v)] <- max(tab)
    sum(v)
  }, numeric(1)) * cex * 1.02
}

# Glyph height (the font size) and the row pitch, in inches, at size `cex`.
text_size <- function(m, cex) cex * m$csi / 1.2
text_pitch <- function(m, cex) 1.15 * text_size(m, cex)

# Greedy word wrap of `s` to `width` inches; words longer than the width are
# cut between characters. Returns the lines.
wrap_text <- function(m, s, width, cex, bold = FALSE) {
  words <- strsplit(s, " ", fixed = TRUE)[[1L]]
  if (!length(words)) return("")
  pieces <- character(0)
  for (wd in words) {
    while (nchar(wd) > 1L && text_width(m, wd, cex, bold) > width) {
      cw <- cumsum(text_width(m, strsplit(wd, "")[[1L]], cex, bold))
      n <- max(1L, sum(cw <= width))
      pieces <- c(pieces, substr(wd, 1L, n))
      wd <- substr(wd, n + 1L, nchar(wd))
    }
    pieces <- c(pieces, wd)
  }
  out <- character(0)
  cur <- pieces[1L]
  for (p in pieces[-1L]) {
    cand <- paste(cur, p)
    if (text_width(m, cand, cex, bold) <= width) cur <- cand else { out <- c(out, cur); cur <- p }
  }
  c(out, cur)
}

# ---- the solver ------------------------------------------------------------------

# The states tried in turn (see the degradation order above).
layout_states <- function(spec, m) {
  f_floor <- min(1, 6 / (m$pt * spec$cex_text))
  fs <- unique(c(1, pmax(f_floor, 0.92^(1:30)))); fs <- fs[fs >= f_floor]
  base <- list(wrap = FALSE, compact = FALSE, variant = 1L, extra = TRUE,
               legend = spec$legend$pos != "none", risk = !is.null(spec$risk), last = FALSE)
  st <- lapply(fs, function(f) utils::modifyList(base, list(f = f)))
  fl <- utils::modifyList(base, list(f = min(fs)))
  add <- function(s, msg = NULL) { s$msg <- c(fl$msg, msg); fl <<- s; st[[length(st) + 1L]] <<- s }
  add(utils::modifyList(fl, list(wrap = TRUE)))
  add(utils::modifyList(fl, list(compact = TRUE)))
  if (fl$legend) for (v in seq_along(spec$legend$variants)[-1L])
    add(utils::modifyList(fl, list(variant = v)), spec$legend$variants[[v]]$msg)
  if (fl$risk && length(spec$risk$extra)) add(utils::modifyList(fl, list(extra = FALSE)),
                                              "the risk table's events and censored rows")
  if (fl$risk && fl$legend) {
    keep <- fl
    add(utils::modifyList(fl, list(legend = FALSE)), "the legend (the risk table names the groups)")
    fl <- keep
  }
  if (fl$risk) add(utils::modifyList(fl, list(risk = FALSE)), "the risk table")
  if (fl$legend) add(utils::modifyList(fl, list(legend = FALSE)),
                     "the legend (the curves are unlabelled: enlarge the figure or shorten the labels)")
  fl$last <- TRUE
  st[[length(st) + 1L]] <- fl
  st
}

# Solve the layout: the first state that fits, or the last one drawn with a
# smaller curve panel. `fin` is the figure region's size in inches.
layout_solve <- function(spec, m, fin) {
  moved <- NULL
  if (spec$legend$pos %in% c("topright", "topleft", "bottomright", "bottomleft")) {
    # a corner legend is kept only when it fits there as asked
    g <- layout_geometry(spec, m, fin, layout_states(spec, m)[[1L]])
    if (g$ok) return(g)
    spec$legend$pos <- "top"
    moved <- "the legend from the corner (drawn above the curves)"
  }
  states <- layout_states(spec, m)
  if (!is.null(moved)) states <- lapply(states, function(s) { s$msg <- c(moved, s$msg); s })
  for (s in states) {
    g <- layout_geometry(spec, m, fin, s)
    if (g$ok || s$last) {
      if (!g$ok) g$msg <- c(g$msg, paste0("the figure is too small to keep the curve panel at ",
                                          round(100 * spec$panel_floor), "% of its height"))
      return(g)
    }
  }
}

# Geometry of one state. Everything in inches from the bottom-left corner of
# the figure region. Text items: x, y (the text's vertical centre), label,
# hadj (0 left, 0.5 centre, 1 right), cex, col, font, srt, role.
layout_geometry <- function(spec, m, fin, s) {
  W <- fin[1L]; H <- fin[2L]
  ca <- s$f * spec$cex_axis
  ct <- s$f * spec$cex_text
  sz_a <- text_size(m, ca); sz_t <- text_size(m, ct)
  pa <- text_pitch(m, ca); pt <- text_pitch(m, ct)
  pad <- max(0.03, 0.25 * sz_t)
  gap_t <- text_width(m, "m", ct)
  tick <- spec$tick_lines * m$csi
  # the last state is drawn whatever happens (it holds only axes and title)
  fail <- function(why) if (s$last) NULL else list(ok = FALSE, why = why, state = s)
  items <- list()
  item <- function(x, y, label, hadj = 0, cex = ct, col = "black", font = 1, srt = 0, role = "") {
    items[[length(items) + 1L]] <<- layout_item(x, y, label, hadj, cex, col, font, srt, role)
  }
  wrapw <- function(lbl, width, cex, bold = FALSE)
    lapply(lbl, function(l) if (s$wrap) wrap_text(m, l, width, cex, bold) else l)
  avail <- W - 2 * pad

  leg <- if (s$legend) layout_legend_table(spec, m, s, wrapw, ct, pt, gap_t, avail, W)
  ann <- character(0)
  if (length(spec$annotation)) ann <- unlist(lapply(spec$annotation, function(a)
    wrap_text(m, a, avail, ct)))
  ann_h <- length(ann) * pt
  corner <- s$legend && spec$legend$pos != "top"

  # -- top block
  top <- pad
  title_y <- NA
  if (!is.null(spec$panel) || !is.null(spec$main)) {
    title_y <- H - top - 0.6 * text_pitch(m, 1.2 * s$f)
    top <- top + text_pitch(m, 1.2 * s$f) + 0.2 * sz_t
  }
  leg_top <- H - top
  if (s$legend && !corner) {
    if (leg$w > avail) { r <- fail("legend width"); if (!is.null(r)) return(r) }
    top <- top + leg$h
  }
  ann_in_top <- length(ann) && (spec$annotation_pos == "legend" && (!s$legend || !corner))
  ann_top <- H - top
  if (ann_in_top) top <- top + ann_h
  top <- top + 0.4 * sz_a

  # -- left block: y tick labels and the y label, or the risk table's labels
  ylab_lines <- wrap_text(m, spec$y$lab, 0.5 * H - 0.1, ca)
  ytick_w <- max(text_width(m, spec$y$labels, ca), 0)
  left_y <- pad + length(ylab_lines) * pa + 0.4 * sz_a + ytick_w + 0.3 * sz_a + tick
  risk <- NULL
  left <- left_y
  rows <- list()
  if (s$risk) {
    rows <- spec$risk$rows
    if (!s$extra) rows <- Filter(function(r) !isTRUE(r$extra), rows)
    rlabs <- wrapw(vapply(rows, `[[`, "", "label"), 0.3 * W, ct)
    num_w <- vapply(rows, function(r) max(text_width(m, r$values, ct)), numeric(1))
    first_w <- max(vapply(rows, function(r) text_width(m, r$values[1L], ct), numeric(1)))
    lab_w <- max(text_width(m, unlist(rlabs), ct))
    left <- max(left, pad + lab_w + gap_t + 0.5 * first_w)
    risk <- list(rows = rows, labs = rlabs, nl = vapply(rlabs, length, 1L))
  }
  # -- right margin: half the last tick label / number sticks out
  last_w <- max(text_width(m, spec$x$labels[length(spec$x$labels)], ca),
                if (s$risk) max(vapply(rows, function(r)
                  text_width(m, r$values[length(r$values)], ct), numeric(1))) else 0)
  right <- pad + 0.5 * last_w
  pw <- W - left - right
  if (pw < 0.4 * W) { r <- fail("panel width"); if (!is.null(r)) return(r) }

  # -- x breaks: thin until neighbouring labels / numbers keep a gap
  xin <- function(u) left + pw * (u - spec$x$usr[1L]) / diff(spec$x$usr)
  at_in <- xin(spec$x$at)
  wid <- text_width(m, spec$x$labels, ca)
  if (s$risk) for (r in rows) wid <- pmax(wid, text_width(m, r$values, ct))
  keep <- layout_x_keep(at_in, wid, gap_t)

  # -- bottom block
  y_ticklab <- tick + 0.3 * sz_a + 0.5 * pa
  bottom <- tick + 0.3 * sz_a + pa
  xlab_lines <- wrap_text(m, spec$x$lab, avail, ca)
  xlab_y <- bottom + 0.5 * pa
  bottom <- bottom + length(xlab_lines) * pa
  risk_head_y <- NA
  if (s$risk) {
    bottom <- bottom + 0.4 * pt
    risk_head_y <- bottom + 0.5 * pt
    bottom <- bottom + pt * (1 + sum(risk$nl))
  }
  bottom <- bottom + pad
  ph <- H - top - bottom
  floor_h <- spec$panel_floor * H
  if (ph < floor_h && !s$last) return(fail("panel height"))
  if (ph < 0.1 * H) { r <- fail("panel height"); if (!is.null(r)) return(r) }
  if (corner && (leg$w + 2 * pad > pw || leg$h + ann_h * (spec$annotation_pos == "legend") +
                 2 * pad > ph) && !s$last) return(fail("corner legend"))
  ph <- max(ph, 0.05 * H)

  # ---- positions ----------------------------------------------------------------
  col_text <- spec$groups$text_col
  if (!is.na(title_y))
    items <- c(items, layout_title_items(spec, m, title_y, 1.2 * s$f, left, pw, pad, gap_t, W))
  segs <- NULL
  if (s$legend) {
    if (!corner) {
      x0 <- max(pad, min(left, W - pad - leg$w)); y0 <- leg_top
    } else {
      inset <- pad
      x0 <- if (grepl("right", spec$legend$pos)) left + pw - inset - leg$w else left + inset
      hh <- leg$h + if (spec$annotation_pos == "legend") ann_h else 0
      y0 <- if (grepl("top", spec$legend$pos)) H - top - inset else bottom + inset + hh
    }
    placed <- layout_legend_items(leg, x0, y0, col_text, ct, pt, gap_t)
    items <- c(items, placed$items)
    segs <- placed$segments
    if (length(ann) && spec$annotation_pos == "legend" && corner) {
      right_al <- grepl("right", spec$legend$pos)
      ya <- y0 - leg$h - (seq_along(ann) - 0.5) * pt
      item(if (right_al) x0 + leg$w else x0, ya, ann, if (right_al) 1 else 0, role = "annotation")
    }
  }
  if (length(ann) && ann_in_top) {
    x0a <- max(pad, min(left, W - pad - max(text_width(m, ann, ct))))
    item(x0a, ann_top - (seq_along(ann) - 0.5) * pt, ann, 0, role = "annotation")
  }
  if (length(ann) && spec$annotation_pos != "legend") {
    pos <- spec$annotation_pos
    right_al <- grepl("right", pos)
    ya <- if (grepl("top", pos)) H - top - pad - (seq_along(ann) - 0.5) * pt else
      bottom + pad + (rev(seq_along(ann)) - 0.5) * pt
    item(if (right_al) left + pw - pad else left + pad, ya, ann, if (right_al) 1 else 0,
         role = "annotation")
  }
  # axes
  item(at_in[keep], bottom - y_ticklab, spec$x$labels[keep], 0.5, ca, role = "xtick")
  for (l in seq_along(xlab_lines))
    item(left + pw / 2, bottom - xlab_y - (l - 1) * pa, xlab_lines[l], 0.5, ca, role = "xlab")
  yin <- bottom + ph * (spec$y$at - spec$y$usr[1L]) / diff(spec$y$usr)
  item(left - tick - 0.3 * sz_a, yin, spec$y$labels, 1, ca, role = "ytick")
  for (l in seq_along(ylab_lines))
    item(left - tick - 0.3 * sz_a - ytick_w - 0.4 * sz_a - (length(ylab_lines) - l + 0.5) * pa,
         bottom + ph / 2, ylab_lines[l], 0.5, ca, srt = 90, role = "ylab")
  if (s$risk)
    items <- c(items, layout_risk_items(spec$risk$header, risk, at_in[keep], keep,
                                        bottom - risk_head_y, pad, gap_t, ct, pt))
  list(ok = ph >= floor_h - 1e-9, state = s, msg = s$msg, mai = c(bottom, left, top, right),
       fin = fin, panel = c(width = pw, height = ph), keep = keep, items = do.call(rbind, items),
       segments = segs, cex_axis = ca, cex_text = ct, tick = tick)
}

# One text item of the layout (a row of its `items`).
layout_item <- function(x, y, label, hadj, cex, col, font, srt, role) {
  data.frame(x = x, y = y, label = label, hadj = hadj, cex = cex, col = col, font = font,
             srt = srt, role = role, stringsAsFactors = FALSE)
}

# The legend table of a state (the columns of its variant): the widths of
# the key, the labels (wrapped by wrapw) and the columns, and, in compact
# states, how many blocks side by side.
layout_legend_table <- function(spec, m, s, wrapw, ct, pt, gap_t, avail, W) {
  k <- length(spec$groups$label)
  cols <- spec$legend$variants[[s$variant]]$columns
  key_w <- text_width(m, "MMM", ct)
  col_w <- vapply(cols, function(cl) max(text_width(m, cl$header, ct, TRUE),
                                         text_width(m, cl$cells, ct)), numeric(1))
  fixed <- key_w + gap_t * 0.5 + sum(col_w) + gap_t * 1.5 * length(cols)
  lab_width <- max(0.25 * W, avail - fixed)
  labs <- wrapw(spec$groups$label, lab_width, ct)
  lab_w <- max(text_width(m, unlist(labs), ct))
  leg_w <- key_w + gap_t * 0.5 + lab_w + sum(col_w) + gap_t * 1.5 * length(cols)
  nb <- 1L
  if (s$compact && k > 1L) nb <- max(1L, min(k, floor((avail + 2 * gap_t) / (leg_w + 2 * gap_t))))
  per <- ceiling(k / nb)
  block <- rep(seq_len(nb), each = per)[seq_len(k)]
  nl <- vapply(labs, length, 1L)
  rows_h <- vapply(seq_len(nb), function(b) sum(nl[block == b]), numeric(1))
  header <- length(cols) > 0L
  leg_h <- (max(rows_h) + header) * pt
  tot_w <- nb * leg_w + (nb - 1) * 2 * gap_t
  list(cols = cols, col_w = col_w, key_w = key_w, lab_w = lab_w, labs = labs,
       nl = nl, w = tot_w, h = leg_h, nb = nb, block = block, block_w = leg_w,
       header = header)
}

# The x breaks kept: thinned (every stride-th) until neighbouring labels
# (tick labels, or the risk table's numbers, widths wid) keep a gap.
layout_x_keep <- function(at_in, wid, gap_t) {
  keep <- seq_along(at_in)
  for (stride in seq_along(at_in)) {
    keep <- seq(1L, length(at_in), by = stride)
    if (length(keep) < 2L) break
    d <- diff(at_in[keep]) - (wid[keep][-1L] + wid[keep][-length(keep)]) / 2
    if (all(d >= 0.8 * gap_t)) break
  }
  keep
}

# The panel label (bold, at the left) and the title (centred over the curve
# panel, moved clear of the panel label and the figure's edges) at height y.
layout_title_items <- function(spec, m, y, cex, left, pw, pad, gap_t, W) {
  items <- list()
  if (!is.null(spec$panel))
    items <- c(items, list(layout_item(pad, y, spec$panel, 0, cex, "black", 2, 0, "panel")))
  if (!is.null(spec$main)) {
    mx <- left + pw / 2
    mw <- text_width(m, spec$main, cex)
    pw0 <- if (!is.null(spec$panel)) pad + text_width(m, spec$panel, cex, TRUE) + gap_t else pad
    mx <- min(max(mx, pw0 + mw / 2), W - pad - mw / 2)
    items <- c(items, list(layout_item(mx, y, spec$main, 0.5, cex, "black", 1, 0, "main")))
  }
  items
}

# The risk table's text items: its header at height y0, then per row its
# (wrapped) label at the left and its numbers under the kept x breaks
# (x_keep, indices keep).
layout_risk_items <- function(header, risk, x_keep, keep, y0, pad, gap_t, ct, pt) {
  items <- list(layout_item(pad, y0, header, 0, ct, "black", 2, 0, "risk"))
  y <- y0 - pt
  for (i in seq_along(risk$rows)) {
    r <- risk$rows[[i]]
    for (l in seq_along(risk$labs[[i]]))
      items[[length(items) + 1L]] <- layout_item(pad + if (isTRUE(r$extra)) gap_t else 0,
                                                 y - (l - 1) * pt, risk$labs[[i]][l], 0, ct,
                                                 r$col, 1, 0, "risk")
    items[[length(items) + 1L]] <- layout_item(x_keep, y, r$values[keep], 0.5, ct, "black", 1,
                                               0, "risk")
    y <- y - risk$nl[i] * pt
  }
  items
}

# The legend table's text items and key segments, its top-left corner at
# (x0, y0): list(items, segments (x0, y0, x1, y1, group per row)).
layout_legend_items <- function(leg, x0, y0, col_text, ct, pt, gap_t) {
  items <- list()
  item <- function(x, y, label, col = "black", font = 1)
    items[[length(items) + 1L]] <<- layout_item(x, y, label, 0, ct, col, font, 0, "legend")
  seg <- list()
  for (b in seq_len(leg$nb)) {
    bx <- x0 + (b - 1) * (leg$block_w + 2 * gap_t)
    cx <- bx + leg$key_w + gap_t * 0.5 + leg$lab_w + gap_t * 1.5 +
      c(0, cumsum(leg$col_w + gap_t * 1.5))[seq_along(leg$cols)]
    y <- y0 - 0.5 * pt
    if (leg$header) {
      for (j in seq_along(leg$cols)) item(cx[j], y, leg$cols[[j]]$header, font = 2)
      y <- y - pt
    }
    for (i in which(leg$block == b)) {
      seg[[length(seg) + 1L]] <- c(bx, y, bx + leg$key_w * 0.85, y, i)
      for (l in seq_along(leg$labs[[i]]))
        item(bx + leg$key_w + gap_t * 0.5, y - (l - 1) * pt, leg$labs[[i]][l], col = col_text[i])
      for (j in seq_along(leg$cols)) item(cx[j], y, leg$cols[[j]]$cells[i])
      y <- y - leg$nl[i] * pt
    }
  }
  list(items = items, segments = do.call(rbind, seg))
}

# ---- drawing ----------------------------------------------------------------------

# Draw the solved text items and legend keys; the plot window must already be
# set up with par(mai = lay$mai). Figure inches -> user coordinates through the
# figure region's position on the device.
layout_draw <- function(lay, spec) {
  fx <- graphics::grconvertX(0, "nfc", "inches")
  fy <- graphics::grconvertY(0, "nfc", "inches")
  ux <- function(x) graphics::grconvertX(fx + x, "inches", "user")
  uy <- function(y) graphics::grconvertY(fy + y, "inches", "user")
  it <- lay$items
  for (i in seq_len(nrow(it))) {
    graphics::text(ux(it$x[i]), uy(it$y[i]), it$label[i], adj = c(it$hadj[i], 0.5),
                   cex = it$cex[i], col = it$col[i], font = it$font[i], srt = it$srt[i],
                   xpd = NA)
  }
  if (!is.null(lay$segments)) {
    for (r in seq_len(nrow(lay$segments))) {
      s <- lay$segments[r, ]
      i <- s[5L]
      graphics::segments(ux(s[1L]), uy(s[2L]), ux(s[3L]), uy(s[4L]), col = spec$groups$col[i],
                         lty = spec$groups$lty[i], lwd = spec$groups$lwd[i], xpd = NA)
    }
  }
  invisible(NULL)
}

# Text colour legible on white (WCAG contrast >= 4.5): the colour darkened
# towards black as far as needed.
legible_text_colour <- function(col) {
  lum <- function(rgb) {
    c <- rgb / 255
    c <- ifelse(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055)^2.4)
    sum(c(0.2126, 0.7152, 0.0722) * c)
  }
  vapply(col, function(cl) {
    rgb <- grDevices::col2rgb(cl)[, 1L]
    a <- 1
    while (a > 0 && (1.05) / (lum(rgb * a) + 0.05) < 4.5) a <- a - 0.05
    grDevices::rgb(rgb[1L] * a, rgb[2L] * a, rgb[3L] * a, maxColorValue = 255)
  }, "", USE.NAMES = FALSE)
}
