# Journal-style figures (R/plot-km.R, R/autoplot.R): the plot-data object is
# checked against km()'s own methods and against survival (survfit, survdiff,
# coxph); the drawing is checked through the device's display list -- the
# numbers at risk are written at exactly the x positions of the axis ticks,
# on margin lines that fit in the bottom margin, for 1-4 strata and several
# devices and sizes.

tol <- 1e-10
chan <- netsurv::chan2012
pfs <- km(Surv(pfs_months, pfs_event) ~ subtype, data = chan, conf.type = "log-log")
os_all <- km(Surv(os_months, os_event) ~ 1, data = chan, conf.type = "log-log")
vet <- km(Surv(time, status) ~ celltype, data = survival::veteran)
lung3 <- km(Surv(time, status) ~ ph.ecog, data = survival::lung,
            subset = ph.ecog < 3)
heart <- km(Surv(start, stop, event) ~ transplant, data = survival::heart)

# with_null_device(): helper-netsurv.R

# The calls recorded on the device's display list while `code` draws:
# a list of list(name = <C entry point>, args = <arguments>).
# plot() records its layout as one recordGraphics() expression (so that a
# replay measures again); the option asks for the single calls instead.
recorded_calls <- function(code) {
  grDevices::dev.control("enable")
  op <- options(netsurv.record_layout = FALSE)
  on.exit(options(op))
  force(code)
  dl <- grDevices::recordPlot()[[1L]]
  lapply(dl, function(e) {
    f <- e[[2L]][[1L]]
    list(name = if (is.list(f)) f$name else "", args = as.list(e[[2L]])[-1L])
  })
}

test_that("plot data: numbers at risk are summary(fit, times = breaks, extend = TRUE)", {
  for (fit in list(pfs, os_all, vet, lung3, heart)) {
    pd <- km_plot_data(fit)
    s <- summary(fit, times = pd$breaks, extend = TRUE)
    expect_equal(pd$risk$n.risk, s$n.risk)
    expect_equal(pd$risk$time, s$time)
    k <- max(1L, length(fit$strata))
    expect_identical(nrow(pd$risk), k * length(pd$breaks))
    expect_equal(pd$risk$time, rep(pd$breaks, k))
  }
  # and survival's own numbers at risk
  sf <- survival::survfit(Surv(time, status) ~ celltype, data = survival::veteran)
  pd <- km_plot_data(vet, xbreaks = c(0, 30, 90, 180, 365, 999))
  expect_equal(pd$risk$n.risk, summary(sf, times = pd$breaks, extend = TRUE)$n.risk)
  expect_identical(as.character(pd$risk$strata),
                   as.character(summary(sf, times = pd$breaks, extend = TRUE)$strata))
})

test_that("plot data: medians, limits and events/N equal quantile() and survfit", {
  for (fit in list(pfs, os_all, vet, lung3)) {
    pd <- km_plot_data(fit)
    q <- quantile(fit, probs = 0.5)
    expect_equal(pd$summary$median, unname(as.vector(q$quantile)), tolerance = tol)
    expect_equal(pd$summary$lower, unname(as.vector(q$lower)), tolerance = tol)
    expect_equal(pd$summary$upper, unname(as.vector(q$upper)), tolerance = tol)
    tab <- summary(fit)$table
    if (!is.matrix(tab)) tab <- t(tab)
    expect_equal(pd$summary$events, unname(tab[, "events"]))
    expect_equal(pd$summary$n, unname(tab[, "records"]))
  }
  sf <- survival::survfit(Surv(pfs_months, pfs_event) ~ subtype, data = chan,
                          conf.type = "log-log")
  pd <- km_plot_data(pfs)
  expect_equal(pd$summary$median, unname(quantile(sf, 0.5)$quantile[, 1]), tolerance = tol)
  expect_equal(pd$summary$events, unname(summary(sf)$table[, "events"]))
  expect_identical(pd$summary$n, c(19, 15))
  expect_identical(pd$text$events, c("17/19", "14/15"))
  expect_identical(pd$text$median[1], sprintf("%.1f (%.1f-%.1f)", 7.3,
                                              pd$summary$lower[1], pd$summary$upper[1]))
  # a median that is not reached prints as NR
  pd <- km_plot_data(km(Surv(time, status) ~ 1, data = data.frame(time = 1:4, status = c(1, 0, 0, 0))))
  expect_true(is.na(pd$summary$median))
  expect_match(pd$text$median, "^NR")
})

test_that("plot data: default breaks every 6 months, labels, limits", {
  pd <- km_plot_data(pfs)
  expect_equal(pd$breaks, seq(0, 60, 6))
  expect_equal(pd$xlim, c(0, 60))
  expect_identical(pd$labels, c("carcinoid", "pancreatic NET"))
  expect_identical(pd$strata, c("subtype=carcinoid", "subtype=pancreatic NET"))
  expect_equal(km_plot_data(os_all)$breaks, seq(0, 72, 6))
  expect_identical(km_plot_data(os_all)$labels, "All patients")
  expect_equal(km_plot_data(vet)$breaks, seq(0, 1000, 100))  # days: pretty() breaks
  pd <- km_plot_data(pfs, xbreaks = c(0, 12, 24, 36), xlim = c(0, 30), labels = c("C", "P"))
  expect_equal(pd$breaks, c(0, 12, 24))
  expect_identical(pd$labels, c("C", "P"))
  two <- km(Surv(time, status) ~ sex + ph.ecog, data = survival::lung)
  expect_identical(km_plot_data(two)$labels, names(two$strata))
})

test_that("plot data: log-rank p-values and hazard ratios", {
  lr <- logrank(Surv(pfs_months, pfs_event) ~ subtype, data = chan, exact = TRUE, seed = 42)
  cx <- cox(Surv(pfs_months, pfs_event) ~ subtype, data = chan)
  pd <- km_plot_data(pfs, test = lr, hr = cx)
  sd <- survival::survdiff(Surv(pfs_months, pfs_event) ~ subtype, data = chan)
  expect_equal(pd$test$p.value, sd$pvalue, tolerance = 1e-10)
  expect_equal(pd$test$perm.p.value, lr$permutation$p.value)
  cph <- survival::coxph(Surv(pfs_months, pfs_event) ~ subtype, data = chan)
  expect_equal(pd$hr$estimate, unname(exp(coef(cph))), tolerance = 1e-6)
  expect_equal(unname(c(pd$hr$conf.low, pd$hr$conf.high)),
               unname(exp(confint(cph))[1, ]), tolerance = 1e-6)
  expect_identical(pd$text$annotation[1],
                   paste0("Log-rank P ", netsurv:::format_p(sd$pvalue), " (permutation P ",
                          netsurv:::format_p(lr$permutation$p.value), ")"))
  expect_match(pd$text$annotation[2], "^HR 0\\.79 \\(95% CI 0\\.39-1\\.62\\)$")

  # TRUE recomputes from the curve's call, in the caller's environment
  f <- function() {
    d <- chan[chan$id > 2, ]
    fit <- km(Surv(os_months, os_event) ~ subtype, data = d)
    km_plot_data(fit, test = TRUE, hr = TRUE)
  }
  pd <- f()
  d <- chan[chan$id > 2, ]
  expect_equal(pd$test$p.value,
               survival::survdiff(Surv(os_months, os_event) ~ subtype, data = d)$pvalue,
               tolerance = 1e-10)
  expect_equal(pd$hr$estimate,
               unname(exp(coef(survival::coxph(Surv(os_months, os_event) ~ subtype, data = d)))),
               tolerance = 1e-6)
  expect_true(is.na(pd$test$perm.p.value))
  expect_identical(length(pd$text$annotation), 2L)
  expect_error(km_plot_data(os_all, test = TRUE), "could not recompute")
  no_call <- pfs
  no_call$call <- NULL
  expect_error(km_plot_data(no_call, hr = TRUE), "has no call")
})

# Every risk-table number is drawn at the x of a labelled axis tick, below the
# axis, one row per group, with the group's label in its colour left of the
# panel, and inside the figure.
text_calls <- function(calls) {
  tx <- Filter(function(e) e$name == "C_text", calls)
  data.frame(x = vapply(tx, function(e) e$args[[1L]]$x, 1),
             y = vapply(tx, function(e) e$args[[1L]]$y, 1),
             label = vapply(tx, function(e) e$args[[2L]], ""),
             col = vapply(tx, function(e) as.character(e$args[[8L]]), ""),
             stringsAsFactors = FALSE)
}
check_alignment <- function(calls, pd, usr) {
  axis1 <- Filter(function(e) e$name == "C_axis" && e$args[[1L]] == 1, calls)
  expect_length(axis1, 1L)
  ticks <- axis1[[1L]]$args[[2L]]
  expect_equal(ticks, pd$layout$breaks)
  expect_true(all(pd$layout$breaks %in% pd$breaks))
  tx <- text_calls(calls)
  xr <- diff(usr[1:2])
  below <- usr[3L] - 0.01 * diff(usr[3:4])   # under the panel (not a y tick label at 0)
  # every drawn tick is labelled, at its x, below the panel
  keep <- pd$layout$keep
  lab <- tx[tx$label %in% pd$break_labels[keep] & tx$y < below, ]
  for (j in seq_along(keep)) {
    hit <- lab[lab$label == pd$break_labels[keep[j]] & abs(lab$x - ticks[j]) < 1e-8 * xr, ]
    expect_gte(nrow(hit), 1L)
  }
  k <- length(pd$labels)
  digits <- if (all(pd$risk$n.risk == round(pd$risk$n.risk))) 0 else 1
  row_y <- numeric(k)
  for (i in seq_len(k)) {
    # the group's label, in its text colour, left of the panel
    li <- tx[tx$label == pd$labels[i] & tx$x < usr[1L] & tx$y < below, ]
    expect_identical(nrow(li), 1L)
    expect_identical(li$col, toupper(pd$style$text_col[i]))
    row_y[i] <- li$y
    # its numbers at risk: exactly one per labelled tick, on the label's line
    r <- pd$risk$n.risk[as.integer(pd$risk$strata) == i][keep]
    on_row <- tx[abs(tx$y - li$y) < 1e-4 * diff(usr[3:4]) & tx$x >= usr[1L] - 1e-8 * xr, ]
    expect_identical(nrow(on_row), length(keep))
    expect_equal(on_row$x, ticks, tolerance = 1e-8 * xr)
    expect_identical(on_row$label, netsurv:::format_num(r, digits))
  }
  # rows top to bottom in group order, all inside the figure
  expect_false(is.unsorted(rev(row_y)))
  it <- pd$layout$items
  expect_true(all(it$y > 0 & it$y < sum(pd$layout$mai[c(1, 3)]) + pd$layout$panel[["height"]]))
}

test_that("the risk table sits under the axis ticks for 1-4 strata on png and pdf", {
  fits <- list(os_all, pfs, lung3, vet)
  sizes <- list(c(3.5, 3.6, 8), c(7, 5, 12), c(5, 7, 10))
  for (fit in fits) {
    k <- max(1L, length(fit$strata))
    for (sz in sizes) {
      f <- tempfile(fileext = ".pdf")
      grDevices::pdf(f, width = sz[1], height = sz[2], pointsize = sz[3])
      calls <- recorded_calls(pd <- plot(fit, conf.int = TRUE, test = k > 1, panel = "A",
                                         median.lines = TRUE))
      usr <- par("usr")
      grDevices::dev.off()
      expect_gt(file.size(f), 1000)
      check_alignment(calls, pd, usr)
      if (capabilities("png")) {
        f <- tempfile(fileext = ".png")
        grDevices::png(f, width = sz[1], height = sz[2], units = "in", res = 100,
                       pointsize = sz[3])
        calls <- recorded_calls(pd2 <- plot(fit))
        usr <- par("usr")
        grDevices::dev.off()
        expect_gt(file.size(f), 1000)
        check_alignment(calls, pd2, usr)
      }
    }
  }
})

test_that("margins grow with the number of strata; par() is left on the curve panel", {
  with_null_device({
    m1 <- plot(os_all)$layout$mai
    m2 <- plot(pfs)$layout$mai
    m4 <- plot(vet)$layout$mai
    pd <- plot(pfs, xlab = "Months")
    # the plot region is the curve panel: usr spans xlim and 0-100 (+3%)
    expect_equal(par("usr"), c(0, 61.2, 0, 103), tolerance = 1e-12)
    expect_equal(par("mai"), pd$layout$mai, tolerance = 1e-12)
    expect_equal(par("pin"), unname(pd$layout$panel), tolerance = 1e-12)
    # a user abline()/lines() lands on the curves: 50% is half the panel height
    expect_equal(grconvertY(50, "user", "inches") - grconvertY(0, "user", "inches"),
                 pd$layout$panel[["height"]] * 50 / 103, tolerance = 1e-12)
  })
  expect_gt(m2[1], m1[1])
  expect_gt(m4[1], m2[1])
  expect_lt(with_null_device(plot(pfs, risk.table = FALSE))$layout$mai[1], m2[1])
  # a 2 x 2 figure of panels A-D works and keeps the alignment
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f, width = 7, height = 7, pointsize = 8)
  par(mfrow = c(2, 2))
  for (p in c("A", "B", "C", "D")) {
    calls <- recorded_calls(pd <- plot(if (p %in% c("A", "B")) pfs else os_all, panel = p))
    check_alignment(calls, pd, par("usr"))
    expect_gte(pd$layout$panel[["height"]], 0.5 * par("fin")[2] - 1e-9)
  }
  grDevices::dev.off()
  expect_gt(file.size(f), 1000)
})

test_that("plot() returns km_plot_data()'s numbers and draws them", {
  pd <- with_null_device(plot(pfs, test = TRUE, xbreaks = seq(0, 60, 12)))
  ref <- km_plot_data(pfs, test = TRUE, xbreaks = seq(0, 60, 12))
  for (f in c("risk", "summary", "test", "text", "breaks", "steps", "marks"))
    expect_identical(pd[[f]], ref[[f]])
  calls <- with_null_device(recorded_calls(plot(pfs, test = TRUE)))
  txt <- unlist(lapply(Filter(function(e) e$name == "C_text", calls), function(e) e$args[[2L]]))
  expect_true(all(c(pd$text$events, pd$text$median, pd$text$annotation) %in% txt))
})

test_that("autoplot() draws the plot data's numbers with ggplot2", {
  skip_if_not_installed("ggplot2")
  pd <- with_null_device(plot(pfs, test = TRUE))
  g <- ggplot2::autoplot(pd, conf.int = TRUE)
  expect_s3_class(g, "ggplot")
  expect_s3_class(g, "netsurv_ggsurv")
  expect_identical(attr(g, "netsurv_plotdata"), pd)
  b <- with_null_device(ggplot2::ggplot_build(g))
  expect_equal(b$layout$panel_scales_x[[1]]$get_breaks(), pd$breaks)
  # the risk table: a ggplot on the same x scale, numbers at the breaks
  rp <- attr(g, "netsurv_risk_plot")
  br <- with_null_device(ggplot2::ggplot_build(rp))
  risk_layer <- Filter(function(d) "label" %in% names(d), br$data)
  expect_length(risk_layer, 1L)
  expect_equal(risk_layer[[1]]$x, pd$risk$time)
  expect_identical(as.character(risk_layer[[1]]$label), netsurv:::format_num(pd$risk$n.risk, 0))
  expect_equal(br$layout$panel_scales_x[[1]]$get_breaks(), pd$breaks)
  expect_equal(br$layout$panel_scales_x[[1]]$get_limits(),
               b$layout$panel_scales_x[[1]]$get_limits())
  # the annotation and the legend table are components, not the title
  expect_null(g$labels$subtitle)
  gr <- with_null_device(netsurv_ggsurv_grob(g, width = 5, height = 4.5))
  top <- gr$grobs[match(c("netsurv-top-1", "netsurv-top-2"), gr$layout$name)]
  expect_false(any(grepl("^netsurv-top-3", gr$layout$name)))
  # the legend table above the annotation, both above the curve panel
  expect_lt(gr$layout$t[gr$layout$name == "netsurv-top-1"],
            gr$layout$t[gr$layout$name == "netsurv-top-2"])
  expect_identical(top[[2]]$label, pd$text$annotation)
  leg <- top[[1]]$children[[1]]$children
  txt <- unlist(lapply(leg, function(ch) if (inherits(ch, "text")) ch$label))
  expect_true(all(c(pd$labels, pd$text$events, pd$text$median, "Events/N") %in% txt))
  # aligned columns: each column's header and cells share one x
  for (ch in Filter(function(ch) inherits(ch, "text"), leg))
    expect_identical(length(unique(as.character(ch$x))), 1L)
  g2 <- ggplot2::autoplot(os_all, risk.table = FALSE)
  expect_s3_class(g2, "ggplot")
  expect_null(attr(g2, "netsurv_risk_plot"))
  f <- tempfile(fileext = ".png")
  if (capabilities("png")) {
    suppressMessages(ggplot2::ggsave(f, ggplot2::autoplot(vet, xbreaks = seq(0, 900, 150)),
                                     width = 5, height = 4, dpi = 72))
    expect_gt(file.size(f), 1000)
    # robust to a complete theme and labs()
    expect_message(ggplot2::ggsave(f, ggplot2::autoplot(vet) + ggplot2::theme_bw() +
                      ggplot2::labs(x = "Days", title = "veteran"), width = 3.5, height = 3.5,
                      dpi = 72), "autoplot\\(\\): to fit the figure, dropped")
    expect_gt(file.size(f), 1000)
  }
  expect_error(ggplot2::autoplot(km(Surv(time, status) ~ 1, data = survival::aml,
                                    conf.type = "none"), conf.int = TRUE), "no confidence")
  expect_error(ggplot2::autoplot(pd, linewidth = 2), "`linewidth` is not used")
  expect_error(ggplot2::autoplot(pfs, foo = 2), "unused argument")
})

test_that("a model-based curve with survfit's fields plots from the same plot data", {
  # Stand-in for the coming Cox curve class: survfit.coxph's fields.
  cph <- survival::coxph(Surv(time, status) ~ age + strata(sex), data = survival::lung)
  sf <- survival::survfit(cph)
  x <- unclass(sf)
  class(x) <- c("netsurv_coxcurve", "netsurv_curve")
  pd <- with_null_device(plot(x, xlab = "Days", conf.int = TRUE))
  expect_equal(pd$risk$n.risk, summary(sf, times = pd$breaks, extend = TRUE)$n.risk)
  expect_equal(pd$summary$median, unname(quantile(sf, 0.5)$quantile[, 1]), tolerance = tol)
  expect_equal(pd$summary$lower, unname(quantile(sf, 0.5)$lower[, 1]), tolerance = tol)
  expect_identical(pd$strata, c("sex=1", "sex=2"))
})
