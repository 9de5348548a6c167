# The measured figure layout (R/plot-layout.R), checked on the drawn PDF: a
# matrix of cases (groups x figure sizes x point sizes x label lengths, single
# plots and par(mfrow) panels) is drawn with pdf(), every word's box is read
# back with pdftotext -bbox, and we assert: every word inside the page
# (tolerance 0.5 pt), no two words overlapping (by more than 0.25 pt both
# ways), the curve panel at least half the figure's height, and every
# risk-table number centred under its tick label (within 1 pt). The full
# matrix (more sizes, png/svg/cairo_pdf, ggplot2) is drawn by `make figures`.

# The cases and their data are defined once, in R/figure-cases.R (also used by
# `make figures`).
sim_groups <- figure_case_data
layout_cases <- function() figure_cases("plot")

# Draw one case per page; returns the plot data of every page.
draw_case_pages <- function(file, cases) {
  pds <- list()
  for (i in seq_len(nrow(cases))) {
    cs <- cases[i, ]
    sz <- c(cs$width, cs$height, cs$pointsize)
    if (i == 1L) grDevices::pdf(file, width = sz[1], height = sz[2], pointsize = sz[3])
    d <- sim_groups(cs$k, cs$long)
    fit <- if (cs$k == 1) km(Surv(time, status) ~ 1, data = d) else
      km(Surv(time, status) ~ arm, data = d)
    pds[[i]] <- suppressMessages(plot(fit, xlab = "Days since randomisation",
                                      test = cs$k > 1, hr = cs$k > 1, conf.int = TRUE,
                                      panel = "A", median.lines = TRUE))
    pds[[i]]$fin <- par("fin")
    pds[[i]]$fig_in <- c(grconvertX(0, "nfc", "inches"), grconvertY(0, "nfc", "inches"))
    pds[[i]]$dev_in <- par("din")
  }
  grDevices::dev.off()
  pds
}

# The words of one page checked against the page and the layout.
check_page <- function(w, pd, label) {
  din <- pd$dev_in * 72
  expect_true(all(w$xmin >= -0.5 & w$xmax <= din[1] + 0.5 & w$ymin >= -0.5 &
                    w$ymax <= din[2] + 0.5), info = paste(label, "words inside the page"))
  ov <- overlapping_words(w)
  expect_identical(ov, NULL, info = paste(label, "overlapping words"))
  expect_true(pd$layout$ok, info = label)
  expect_gte(pd$layout$panel[["height"]], 0.5 * pd$fin[2] - 1e-9)
  # locate the layout's single-word items on the page (points from top-left)
  it <- pd$layout$items
  to_pt <- function(x, y) cbind((pd$fig_in[1] + x) * 72, din[2] - (pd$fig_in[2] + y) * 72)
  find <- function(rows) {
    vapply(rows, function(r) {
      p <- to_pt(it$x[r], it$y[r])
      cand <- which(w$word == it$label[r] & abs((w$ymin + w$ymax) / 2 - p[2]) < 3)
      if (!length(cand)) return(NA_real_)
      cx <- (w$xmin[cand] + w$xmax[cand]) / 2
      cx[which.min(abs(cx - p[1]))]
    }, numeric(1))
  }
  ticks <- which(it$role == "xtick")
  tick_x <- find(ticks)
  expect_false(anyNA(tick_x), info = paste(label, "every tick label is a word of its own"))
  nums <- which(it$role == "risk" & it$hadj == 0.5)
  if (length(nums)) {
    num_x <- find(nums)
    expect_false(anyNA(num_x), info = paste(label, "every number at risk is a word of its own"))
    col <- match(round(it$x[nums], 6), round(it$x[ticks], 6))
    expect_false(anyNA(col))
    expect_lt(max(abs(num_x - tick_x[col])), 1, label = paste(label, "risk column offset (pt)"))
    expect_identical(length(nums) %% length(ticks), 0L)
  }
}

test_that("the layout holds on a matrix of groups x sizes x label lengths (pdftotext -bbox)", {
  skip_if_not(has_pdftotext(), "pdftotext (poppler-utils) is not installed")
  cases <- layout_cases()
  for (size in unique(cases$size)) {
    sub <- cases[cases$size == size, ]
    f <- tempfile(fileext = ".pdf")
    pds <- draw_case_pages(f, sub)
    w <- pdf_words(f)
    expect_identical(max(w$page), nrow(sub))
    for (i in seq_len(nrow(sub))) {
      check_page(w[w$page == i, ], pds[[i]],
                 sprintf("[%s, %d groups, %s labels]", size, sub$k[i],
                         if (sub$long[i]) "long" else "short"))
    }
  }
})

test_that("the layout holds in par(mfrow = c(2, 2)) panels", {
  skip_if_not(has_pdftotext(), "pdftotext (poppler-utils) is not installed")
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f, width = 7, height = 7.4, pointsize = 10)
  par(mfrow = c(2, 2))
  pds <- list()
  for (i in 1:4) {
    d <- sim_groups(c(2, 3, 1, 7)[i], long = i == 2)
    fit <- if (i == 3) km(Surv(time, status) ~ 1, data = d) else km(Surv(time, status) ~ arm, data = d)
    pds[[i]] <- suppressMessages(plot(fit, panel = LETTERS[i], test = i != 3, conf.int = TRUE))
    pds[[i]]$fin <- par("fin")
    pds[[i]]$fig_in <- c(grconvertX(0, "nfc", "inches"), grconvertY(0, "nfc", "inches"))
    pds[[i]]$dev_in <- par("din")
  }
  grDevices::dev.off()
  w <- pdf_words(f)
  expect_identical(max(w$page), 1L)
  expect_identical(overlapping_words(w), NULL)
  for (i in 1:4) {
    pd <- pds[[i]]
    fig <- c(pd$fig_in, pd$fig_in + pd$fin) * 72
    # each panel's words, found in its own figure region
    inside <- w$xmin >= fig[1] - 0.5 & w$xmax <= fig[3] + 0.5 &
      (pd$dev_in[2] * 72 - w$ymax) >= fig[2] - 0.5 & (pd$dev_in[2] * 72 - w$ymin) <= fig[4] + 0.5
    check_page(w[inside, ], pd, paste("panel", LETTERS[i]))
  }
  # no word crosses a panel border: every word lies in one of the four figures
  regions <- lapply(pds, function(pd) c(pd$fig_in, pd$fig_in + pd$fin) * 72)
  H <- pds[[1]]$dev_in[2] * 72
  in_one <- vapply(seq_len(nrow(w)), function(j) sum(vapply(regions, function(r)
    w$xmin[j] >= r[1] - 0.5 && w$xmax[j] <= r[3] + 0.5 && H - w$ymax[j] >= r[2] - 0.5 &&
      H - w$ymin[j] <= r[4] + 0.5, TRUE)), 0L)
  expect_true(all(in_one == 1L))
})

test_that("the degradation order: smaller text first, then wraps, compact legend, drops", {
  m <- list(csi = 0.2, pt = 12, plain = c(stats::setNames(rep(0.08, 95), strsplit(
    intToUtf8(32:126), "")[[1]])), bold = stats::setNames(rep(0.09, 95), strsplit(
    intToUtf8(32:126), "")[[1]]))
  cells <- function(k, s) rep(s, k)
  spec <- function(k, lab) list(
    groups = list(label = rep(lab, k), col = rep("black", k), text_col = rep("black", k),
                  lty = rep(1, k), lwd = rep(1, k)),
    legend = list(pos = "top", variants = list(
      list(columns = list(list(header = "Events/N", cells = cells(k, "10/20")),
                          list(header = "Median (95% CI)", cells = cells(k, "7.3 (5.1-9.9)")))),
      list(columns = list(list(header = "Events/N", cells = cells(k, "10/20")),
                          list(header = "Median", cells = cells(k, "7.3"))), msg = "the median's CI"),
      list(columns = list(list(header = "Events/N", cells = cells(k, "10/20"))), msg = "the median column"),
      list(columns = list(), msg = "the events/N column"))),
    annotation = character(0), annotation_pos = "legend",
    risk = list(header = "No. at risk", rows = lapply(seq_len(k), function(i)
      list(label = lab, col = "black", values = c("100", "50", "20")))),
    x = list(usr = c(0, 20), at = c(0, 10, 20), labels = c("0", "10", "20"), lab = "Time"),
    y = list(usr = c(0, 103), at = seq(0, 100, 20), labels = format(seq(0, 100, 20)), lab = "Survival"),
    panel = NULL, main = NULL, cex_axis = 1, cex_text = 1, tick_lines = 0.35, panel_floor = 0.5)
  # fits as asked
  g <- netsurv:::layout_solve(spec(2, "A"), m, c(7, 7))
  expect_identical(g$state$f, 1)
  expect_null(g$msg)
  # more groups: the text shrinks before anything is dropped
  g <- netsurv:::layout_solve(spec(10, "A"), m, c(7, 7))
  expect_lt(g$state$f, 1)
  expect_false(g$state$wrap)
  expect_null(g$msg)
  expect_true(g$ok)
  # a long label in a small figure: shrink to the floor, then wrap
  g <- netsurv:::layout_solve(spec(2, paste(rep("word", 12), collapse = " ")), m, c(4, 6))
  expect_true(g$state$wrap)
  expect_equal(g$state$f, 6 / 12)   # the 6-point floor
  expect_true(g$ok)
  # too many groups for the height: columns, then the legend, then the risk table go
  g <- netsurv:::layout_solve(spec(12, "A"), m, c(3, 3))
  expect_true(length(g$msg) >= 1L)
  expect_true(g$ok)
  expect_gte(g$panel[["height"]], 1.5)
  # the pure function: the same inputs give the same layout
  expect_identical(netsurv:::layout_solve(spec(12, "A"), m, c(3, 3)), g)
})

# Rows of words (by vertical centre, within 1.5 pt).
word_rows <- function(w) {
  yc <- (w$ymin + w$ymax) / 2
  o <- order(yc)
  grp <- cumsum(c(TRUE, diff(yc[o]) > 1.5))
  split(o, grp)
}

test_that("autoplot() figures hold on a matrix of groups x sizes (pdftotext -bbox)", {
  skip_if_not_installed("ggplot2")
  skip_if_not(has_pdftotext(), "pdftotext (poppler-utils) is not installed")
  # (the full matrix, with 5 x 4.2 in, is drawn by `make figures`)
  cases <- figure_cases("autoplot")
  for (i in seq_len(nrow(cases))) {
    cs <- cases[i, ]
    sz <- c(cs$width, cs$height)
    d <- sim_groups(cs$k, cs$long)
    fit <- if (cs$k == 1) km(Surv(time, status) ~ 1, data = d) else
      km(Surv(time, status) ~ arm, data = d)
    g <- ggplot2::autoplot(fit, xlab = "Days since randomisation")
    if (cs$theme == "bw") g <- g + ggplot2::theme_bw() + ggplot2::labs(title = "A title")
    pd <- attr(g, "netsurv_plotdata")
    f <- tempfile(fileext = ".pdf")
    grDevices::pdf(f, width = sz[1], height = sz[2], pointsize = cs$pointsize)
    gr <- NULL
    suppressMessages({
      gr <- netsurv_ggsurv_grob(g)
      grid::grid.newpage()
      grid::grid.draw(gr)
    })
    grDevices::dev.off()
    label <- sprintf("[autoplot %s, %d groups, %s labels, theme %s]", cs$size, cs$k,
                     if (cs$long) "long" else "short", cs$theme)
    w <- pdf_words(f)
    expect_true(all(w$xmin >= -0.5 & w$xmax <= sz[1] * 72 + 0.5 & w$ymin >= -0.5 &
                      w$ymax <= sz[2] * 72 + 0.5), info = paste(label, "words inside the page"))
    expect_identical(overlapping_words(w), NULL, info = label)
    # the curve panel keeps half the height
    fixed <- sum(grid::convertHeight(gr$heights[!grid::unitType(gr$heights) %in% "null"], "in",
                                     valueOnly = TRUE))
    expect_gte(sz[2] - fixed, 0.5 * sz[2] - 1e-9)
    # risk columns: every number centred under a tick label (1 pt)
    nar <- which(w$word == "No." & c(w$word[-1], "") == "at")
    if (length(nar)) {
      rows <- word_rows(w)
      ymid <- (w$ymin + w$ymax) / 2
      is_tick_row <- vapply(rows, function(r) length(r) >= 2L &&
                              all(w$word[r] %in% pd$break_labels) &&
                              mean(ymid[r]) < ymid[nar[1]], TRUE)
      expect_true(any(is_tick_row), info = label)
      tick_row <- rows[is_tick_row][[sum(is_tick_row)]]   # the lowest: the x axis
      tick_x <- (w$xmin[tick_row] + w$xmax[tick_row]) / 2
      below <- rows[vapply(rows, function(r) mean(ymid[r]) > ymid[nar[1]] + 1.5, TRUE)]
      n_rows <- 0L
      for (r in below) {
        cx <- (w$xmin[r] + w$xmax[r]) / 2
        num <- r[grepl("^[0-9]+$", w$word[r]) & cx > min(tick_x) - 6]
        if (!length(num)) next    # a wrapped label's continuation line
        n_rows <- n_rows + 1L
        ncx <- (w$xmin[num] + w$xmax[num]) / 2
        expect_identical(length(num), length(tick_x), info = paste(label, "one number per tick"))
        if (length(num) == length(tick_x))
          expect_lt(max(abs(sort(ncx) - sort(tick_x))), 1, label = paste(label, "risk column offset"))
      }
      expect_identical(n_rows, as.integer(max(1, cs$k)), info = paste(label, "one row per group"))
    }
  }
})

test_that("a replay on another device lays the figure out again (knitr records, then replays)", {
  skip_if_not(has_pdftotext())
  fit <- km(Surv(time, status) ~ sex, data = lung)
  draw <- function() suppressMessages(plot(fit, labels = c("Men", "Women"), xlab = "Days"))
  skip_if_not(capabilities("cairo"))
  direct <- tempfile(fileext = ".pdf")
  grDevices::cairo_pdf(direct, width = 5, height = 4.5, pointsize = 10)
  draw()
  grDevices::dev.off()
  # Recorded on pdf() (Helvetica's metrics) and replayed on cairo_pdf() (the
  # system's fonts, as png() uses): the replay must measure again and give
  # the figure drawn directly on cairo_pdf(), word for word.
  grDevices::pdf(NULL, width = 5, height = 4.5, pointsize = 10)
  grDevices::dev.control("enable")
  draw()
  rec <- grDevices::recordPlot()
  grDevices::dev.off()
  replayed <- tempfile(fileext = ".pdf")
  grDevices::cairo_pdf(replayed, width = 5, height = 4.5, pointsize = 10)
  suppressMessages(grDevices::replayPlot(rec))
  grDevices::dev.off()
  a <- pdf_words(direct)
  b <- pdf_words(replayed)
  expect_gt(nrow(a), 10L)
  expect_identical(b$word, a$word)
  # every text box within 0.5 pt (absolute) of where it is drawn directly
  box <- c("xmin", "ymin", "xmax", "ymax")
  expect_lt(max(abs(as.matrix(b[box]) - as.matrix(a[box]))), 0.5)
})
