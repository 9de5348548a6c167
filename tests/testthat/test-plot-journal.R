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
recorded_calls <- function(code) {
  grDevices::dev.control("enable")
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

# Every risk-table number is drawn at the x of an axis tick, in the bottom margin.
check_alignment <- function(calls, pd) {
  name <- vapply(calls, `[[`, "", "name")
  axis1 <- Filter(function(e) e$name == "C_axis" && e$args[[1L]] == 1, calls)
  expect_length(axis1, 1L)
  ticks <- axis1[[1L]]$args[[2L]]
  expect_equal(ticks, pd$breaks)
  mt <- calls[name == "C_mtext"]
  rows <- Filter(function(e) length(e$args[[1L]]) > 1L || e$args[[1L]] %in% pd$text$events, mt)
  k <- length(pd$labels)
  numbers <- Filter(function(e) length(e$args[[5L]]) == length(pd$breaks) &&
                      isTRUE(all.equal(e$args[[5L]], ticks)), mt)
  expect_length(numbers, k)
  for (i in seq_len(k)) {
    expect_identical(numbers[[i]]$args[[5L]], ticks)     # the same x as the axis
    r <- pd$risk$n.risk[as.integer(pd$risk$strata) == i]
    expect_identical(numbers[[i]]$args[[1L]], netsurv:::format_num(r, 0))
    expect_equal(numbers[[i]]$args[[3L]], pd$layout$risk_lines[i])
  }
  # row labels in the curves' colours, on the same lines, left of the axis
  labels <- Filter(function(e) length(e$args[[1L]]) == 1L && e$args[[1L]] %in% pd$labels, mt)
  expect_length(labels, k)
  expect_identical(vapply(labels, function(e) e$args[[1L]], ""), pd$labels)
  expect_identical(vapply(labels, function(e) e$args[[9L]], ""), pd$style$col)
  expect_equal(vapply(labels, function(e) e$args[[3L]], 1), pd$layout$risk_lines)
  expect_true(all(vapply(labels, function(e) e$args[[5L]], 1) < pd$xlim[1L]))
  # the margin holds the last row
  expect_gt(pd$layout$mar[1L], max(pd$layout$risk_lines) + 0.9)
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
      grDevices::dev.off()
      expect_gt(file.size(f), 1000)
      check_alignment(calls, pd)
      if (capabilities("png")) {
        f <- tempfile(fileext = ".png")
        grDevices::png(f, width = sz[1], height = sz[2], units = "in", res = 100,
                       pointsize = sz[3])
        calls <- recorded_calls(pd2 <- plot(fit))
        grDevices::dev.off()
        expect_gt(file.size(f), 1000)
        check_alignment(calls, pd2)
        # in lines: the bottom margin does not depend on the device or its size
        expect_identical(pd2$layout$mar[1L], pd$layout$mar[1L])
      }
    }
  }
})

test_that("margins grow with the number of strata and par() is restored", {
  with_null_device({
    old <- par(mar = c(1, 1, 1, 1))
    m1 <- plot(os_all)$layout$mar
    m2 <- plot(pfs)$layout$mar
    m4 <- plot(vet)$layout$mar
    expect_equal(par("mar"), c(1, 1, 1, 1))
    par(old)
  })
  expect_equal(2 * (m2[1] - m1[1]), m4[1] - m2[1], tolerance = 1e-8)
  expect_gt(m4[1], m2[1])
  expect_lt(with_null_device(plot(pfs, risk.table = FALSE))$layout$mar[1], m2[1])
  # a 2 x 2 figure of panels A-D works and keeps the alignment
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f, width = 7, height = 7, pointsize = 8)
  par(mfrow = c(2, 2))
  for (p in c("A", "B", "C", "D")) {
    calls <- recorded_calls(pd <- plot(if (p %in% c("A", "B")) pfs else os_all, panel = p))
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
  expect_identical(attr(g, "netsurv_plotdata"), pd)
  b <- with_null_device(ggplot2::ggplot_build(g))
  risk_layer <- Filter(function(d) "label" %in% names(d) && nrow(d) == nrow(pd$risk), b$data)
  expect_length(risk_layer, 1L)
  expect_equal(risk_layer[[1]]$x, pd$risk$time)
  expect_identical(as.character(risk_layer[[1]]$label), netsurv:::format_num(pd$risk$n.risk, 0))
  expect_equal(b$layout$panel_scales_x[[1]]$get_breaks(), pd$breaks)
  expect_identical(g$labels$subtitle, paste(pd$text$annotation, collapse = "; "))
  g2 <- ggplot2::autoplot(os_all, risk.table = FALSE)
  expect_s3_class(g2, "ggplot")
  f <- tempfile(fileext = ".png")
  if (capabilities("png")) {
    ggplot2::ggsave(f, ggplot2::autoplot(vet, xbreaks = seq(0, 900, 150)),
                    width = 5, height = 4, dpi = 72)
    expect_gt(file.size(f), 1000)
  }
  expect_error(ggplot2::autoplot(km(Surv(time, status) ~ 1, data = survival::aml,
                                    conf.type = "none"), conf.int = TRUE), "no confidence")
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
