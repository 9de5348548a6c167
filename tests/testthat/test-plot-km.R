# plot() of survival curves (R/plot-km.R): the plot data are checked against
# the fit and against survival's summary at arbitrary times; drawing is
# checked to run on null and png devices.

tol <- 1e-10

fit_sex <- km(Surv(time, status) ~ sex, data = survival::lung)
sf_sex <- survival::survfit(Surv(time, status) ~ sex, data = survival::lung)
fit_one <- km(Surv(time, status) ~ 1, data = survival::aml)
fit_heart <- km(Surv(start, stop, event) ~ transplant, data = survival::heart)

# Value of a drawn step path at time t: the last point at or before t.
path_at <- function(x, y, t) y[findInterval(t, x)]

# with_null_device(): helper-netsurv.R

test_that("plot data: knots are the fit's rows after an origin row at (0, 1)", {
  pd <- with_null_device(plot(fit_sex))
  expect_s3_class(pd, "netsurv_plotdata")
  expect_identical(pd$strata, c("sex=1", "sex=2"))
  expect_identical(pd$labels, c("1", "2"))
  for (i in 1:2) {
    k <- pd$knots[as.integer(pd$knots$strata) == i, ]
    rows <- if (i == 1) seq_len(fit_sex$strata[1]) else fit_sex$strata[1] + seq_len(fit_sex$strata[2])
    expect_equal(k$time, c(0, fit_sex$time[rows]))
    expect_equal(k$surv, c(1, fit_sex$surv[rows]), tolerance = tol)
    expect_equal(k$lower, c(1, fit_sex$lower[rows]), tolerance = tol)
    expect_equal(k$upper, c(1, fit_sex$upper[rows]), tolerance = tol)
    expect_equal(k$n.censor, c(0, fit_sex$n.censor[rows]))
  }
  expect_equal(pd$xlim[1L], 0)
  expect_gte(pd$xlim[2L], max(fit_sex$time))
  expect_equal(pd$ylim, c(0, 1))
  expect_identical(pd$style$col, c("#0072B2", "#D55E00"))  # Okabe-Ito
  pd <- with_null_device(plot(fit_one))
  expect_identical(pd$style$col, "black")
})

test_that("plot data: the step paths are survival's curve at every time", {
  pd <- with_null_device(plot(fit_sex, conf.int = TRUE))
  set.seed(1)
  t <- sort(c(runif(200, 0, 1100), fit_sex$time, fit_sex$time - 0.5))
  t <- t[t >= 0]
  for (i in 1:2) {
    st <- pd$steps[as.integer(pd$steps$strata) == i, ]
    m <- sum(as.integer(pd$knots$strata) == i)
    expect_identical(nrow(st), 2L * m - 1L)
    expect_false(is.unsorted(st$x))
    ti <- t[t <= max(st$x)]
    s <- summary(sf_sex[i], times = ti)
    expect_equal(path_at(st$x, st$surv, ti), s$surv, tolerance = tol)
    expect_equal(path_at(st$x, st$lower, ti), s$lower, tolerance = tol)
    expect_equal(path_at(st$x, st$upper, ti), s$upper, tolerance = tol)
    # horizontal then vertical: consecutive points share y, then x
    expect_true(all(st$surv[seq(2, nrow(st), 2)] == st$surv[seq(1, nrow(st) - 1, 2)]))
    expect_true(all(st$x[seq(2, nrow(st), 2)] == st$x[seq(3, nrow(st), 2)]))
  }
})

test_that("plot data: censoring marks sit on the curve at the censoring times", {
  pd <- with_null_device(plot(fit_sex))
  cens <- fit_sex$n.censor > 0
  expect_equal(pd$marks$time, fit_sex$time[cens])
  expect_equal(pd$marks$surv, fit_sex$surv[cens], tolerance = tol)
  expect_identical(as.character(pd$marks$strata),
                   rep(names(fit_sex$strata), fit_sex$strata)[cens])

  pd <- with_null_device(plot(fit_one, mark.time = FALSE))
  expect_identical(nrow(pd$marks), 0L)
  pd <- with_null_device(plot(fit_one, mark.time = c(0, 10, 40, 500)))
  expect_equal(pd$marks$time, c(0, 10, 40))
  expect_equal(pd$marks$surv, summary(fit_one, times = c(0, 10, 40))$surv, tolerance = tol)
})

test_that("plot data of counting-process and CI-less fits", {
  pd <- with_null_device(plot(fit_heart))
  expect_equal(pd$knots$surv[pd$knots$time > 0], fit_heart$surv, tolerance = tol)
  expect_equal(sum(pd$knots$time == 0), 2L)
  fit_none <- km(Surv(time, status) ~ 1, data = survival::aml, conf.type = "none")
  pd <- with_null_device(plot(fit_none))
  expect_true(all(is.na(pd$steps$lower)))
  expect_error(with_null_device(plot(fit_none, conf.int = TRUE)), "no confidence limits")
})

test_that("plotting works on pdf and png devices with every option", {
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  expect_silent(plot(fit_sex))
  expect_silent(plot(fit_sex, conf.int = TRUE, col = c("navy", "darkred"), lty = 1:2,
                     lwd = 2, xlab = "Days", main = "lung"))
  expect_silent(plot(fit_sex, conf.int = TRUE, conf.style = "band", legend = "bottomleft"))
  expect_silent(plot(fit_one, conf.int = TRUE, xlim = c(0, 60), ylim = c(0.2, 1), legend = TRUE))
  expect_silent(plot(fit_heart, mark.time = FALSE))
  grDevices::dev.off()
  expect_gt(file.size(f), 1000)
  if (capabilities("png")) {
    f <- tempfile(fileext = ".png")
    grDevices::png(f)
    plot(fit_sex, conf.int = TRUE)
    grDevices::dev.off()
    expect_gt(file.size(f), 1000)
  }
})

test_that("plot refuses bad arguments", {
  expect_error(with_null_device(plot(fit_sex, conf.int = NA)), "`conf.int` must be TRUE or FALSE")
  expect_error(with_null_device(plot(fit_sex, mark.time = "yes")), "`mark.time` must be")
  expect_error(with_null_device(plot(fit_sex, conf.style = "dots")), "`conf.style` must be one of \"band\", \"lines\"")
  expect_error(with_null_device(plot(fit_sex, legend = "middle")), "`legend` must be")
  expect_error(with_null_device(plot(fit_sex, risk.table = NA)), "`risk.table` must be TRUE or FALSE")
  expect_error(with_null_device(plot(fit_sex, ylim = c(1, 0))), "`ylim` must be")
  expect_error(with_null_device(plot(fit_sex, labels = "one")), "`labels` must be")
  expect_error(with_null_device(plot(fit_sex, xbreaks = c(NA, 1))), "`xbreaks` must be")
  expect_error(with_null_device(plot(fit_sex, test = "yes")), "`test` must be")
  expect_error(with_null_device(plot(fit_sex, hr = 1)), "`hr` must be")
  expect_error(with_null_device(plot(fit_sex, annotation.pos = "left")), "`annotation.pos`")
})

test_that("fun = event / cumhaz / cloglog draw survival's transformed curves", {
  sf <- survival::survfit(Surv(time, status) ~ sex, data = survival::lung)
  t <- c(5, 100, 250.5, 400, 700)
  for (fun in c("event", "cumhaz", "cloglog")) {
    pd <- with_null_device(plot(fit_sex, fun = fun, conf.int = fun != "cloglog",
                                risk.table = fun != "cloglog", xlab = "Days"))
    expect_identical(pd$fun, fun)
    for (i in 1:2) {
      st <- pd$steps[as.integer(pd$steps$strata) == i, ]
      if (fun == "cloglog") t <- t[-1]   # S = 1 at t = 5: log(-log(1)) = -Inf is not drawn
      y <- path_at(st$x, netsurv:::curve_y(st, fun), t)
      s <- summary(sf[i], times = t)
      ref <- switch(fun, event = 1 - s$surv, cumhaz = s$cumhaz, cloglog = log(-log(s$surv)))
      expect_equal(y, ref, tolerance = tol)
      if (fun == "event") {
        expect_equal(path_at(st$x, netsurv:::curve_y(st, fun, "lower"), t), 1 - s$upper, tolerance = tol)
        expect_equal(path_at(st$x, netsurv:::curve_y(st, fun, "upper"), t), 1 - s$lower, tolerance = tol)
      }
    }
  }
  # default y labels say what is drawn
  items <- with_null_device(plot(fit_sex, fun = "event"))$layout$items
  expect_true("Cumulative incidence (%)" %in% items$label)
  expect_error(with_null_device(plot(fit_sex, fun = "log")), "`fun` must be one of")
  expect_error(with_null_device(plot(fit_sex, fun = "cumhaz", percent = TRUE)), "`percent`")
})

test_that("log = \"y\" is refused clearly; unused arguments are errors naming them", {
  expect_error(with_null_device(plot(fit_sex, log = "y")), "`log = \"y\"` is not drawn")
  expect_error(with_null_device(plot(fit_sex, log = "x")), "only drawn with fun = \"cloglog\"")
  expect_error(with_null_device(plot(fit_sex, firstx = 10)), "`firstx` is not used")
  expect_error(with_null_device(plot(fit_sex, bty = "n", yaxt = "n")), "`bty`, `yaxt` are not used")
  expect_error(with_null_device(lines(fit_sex, foo = 1)), "lines\\(\\): argument `foo` is not used")
  expect_error(with_null_device(points(fit_sex, type = "l")), "points\\(\\): argument `type` is not used")
})

test_that("xscale: breaks chosen on the scaled axis, risk table at those times", {
  pd <- with_null_device(plot(fit_sex, xscale = 365.25, xlab = "Years"))
  expect_equal(pd$breaks / 365.25, c(0, 0.5, 1, 1.5, 2, 2.5, 3))
  expect_identical(pd$break_labels, c("0", "0.5", "1", "1.5", "2", "2.5", "3"))
  expect_equal(pd$risk$n.risk, summary(sf_sex, times = pd$breaks, extend = TRUE)$n.risk)
  # the panel's x coordinates are years: abline(v = 1) is one year
  with_null_device({
    plot(fit_sex, xscale = 365.25)
    expect_equal(par("usr")[1:2], c(0, 3 * 1.02), tolerance = 1e-12)
  })
  # the legend's medians are on the axis' scale (years)
  q <- quantile(fit_sex, probs = 0.5)
  expect_identical(pd$text$median, sprintf("%.1f (%.1f-%.1f)", q$quantile / 365.25,
                                           q$lower / 365.25, q$upper / 365.25))
  expect_equal(pd$summary$median, unname(as.vector(q$quantile)))   # data unit
  expect_error(km_plot_data(fit_sex, xscale = 0), "`xscale` must be a positive number")
  # the neutral default label
  items <- with_null_device(plot(fit_sex))$layout$items
  expect_true("Time" %in% items$label)
  expect_false(any(grepl("months", items$label)))
})

test_that("risk table rows of cumulative events and censorings (KMunicate)", {
  pd <- with_null_device(plot(fit_sex, risk.counts = c("n.risk", "events", "censored"),
                              xlab = "Days"))
  d <- survival::lung
  for (i in 1:2) {
    r <- pd$risk[as.integer(pd$risk$strata) == i, ]
    di <- d[d$sex == i, ]
    expect_equal(r$cum.event, vapply(r$time, function(t) sum(di$status == 2 & di$time <= t), 1))
    expect_equal(r$cum.censor, vapply(r$time, function(t) sum(di$status == 1 & di$time <= t), 1))
  }
  labs <- pd$layout$items$label[pd$layout$items$role == "risk"]
  expect_identical(sum(labs == "Events"), 2L)
  expect_identical(sum(labs == "Censored"), 2L)
  expect_error(with_null_device(plot(fit_sex, risk.counts = "events")), "`risk.counts`")
})

test_that("hr = TRUE with 3+ groups: each group's HR against the first, as coxph", {
  vet <- km(Surv(time, status) ~ celltype, data = survival::veteran)
  pd <- km_plot_data(vet, hr = TRUE)
  cph <- survival::coxph(Surv(time, status) ~ celltype, data = survival::veteran)
  expect_equal(pd$hr$estimate, unname(exp(coef(cph))), tolerance = 1e-6)
  expect_equal(pd$hr$conf.low, unname(exp(confint(cph))[, 1]), tolerance = 1e-6)
  expect_identical(pd$hr$group, 2:4)
  expect_identical(pd$text$hr[1], "1 (reference)")
  expect_identical(pd$text$hr[3], sprintf("%.2f (%.2f-%.2f)", exp(coef(cph))[2],
                                          exp(confint(cph))[2, 1], exp(confint(cph))[2, 2]))
  expect_identical(pd$text$header[4], "HR (95% CI)")
  # a numeric grouping variable is still one HR per level, not a trend
  lung3 <- km(Surv(time, status) ~ ph.ecog, data = survival::lung, subset = ph.ecog < 3)
  pd <- km_plot_data(lung3, hr = TRUE)
  cph <- survival::coxph(Surv(time, status) ~ factor(ph.ecog), data = survival::lung,
                         subset = ph.ecog < 3)
  # (coxph keeps the level emptied by subset, with an NA coefficient; we drop it)
  expect_equal(pd$hr$estimate, unname(exp(coef(cph)))[1:2], tolerance = 1e-6)
  expect_true(is.na(coef(cph)[3]))
  expect_identical(length(pd$text$hr), 3L)
  # two groups: the annotation line as before
  expect_null(km_plot_data(fit_sex, hr = TRUE)$text$hr)
})

test_that("the palette: 12 distinct colours, every label legible as text", {
  cols <- netsurv:::default_colours(12)
  expect_identical(length(unique(cols)), 12L)
  expect_false("#F0E442" %in% cols)   # Okabe-Ito yellow
  lum <- function(col) {
    c <- grDevices::col2rgb(col)[, 1] / 255
    c <- ifelse(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055)^2.4)
    sum(c(0.2126, 0.7152, 0.0722) * c)
  }
  txt <- netsurv:::legible_text_colour(cols)
  expect_true(all(vapply(txt, function(cl) 1.05 / (lum(cl) + 0.05), 1) >= 4.5))
  expect_identical(txt[1], "#0072B2")   # already legible: unchanged
})

test_that("cox_curve figures: labelled by covariate values, no whole-sample risk table", {
  cf <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
  nd <- data.frame(age = c(50, 70), sex = c(1, 2))
  cc <- cox_curve(cf, newdata = nd)
  pd <- with_null_device(plot(cc, xlab = "Days"))
  expect_identical(pd$labels, c("age=50, sex=1", "age=70, sex=2"))
  expect_false(any(pd$layout$items$role == "risk"))
  expect_false(any(pd$layout$items$label == "Events/N"))
  expect_error(with_null_device(plot(cc, risk.table = TRUE)), "belong to the whole sample")
})

test_that("lines() and points() add survival's curve to the panel", {
  rec <- function(code) {
    grDevices::pdf(NULL)
    on.exit(grDevices::dev.off())
    grDevices::dev.control("enable")
    plot(fit_sex, xlab = "Days")
    n0 <- length(grDevices::recordPlot()[[1]])
    force(code)
    dl <- grDevices::recordPlot()[[1]]
    dl[(n0 + 1):length(dl)]
  }
  dl <- rec(lines(fit_one, mark.time = FALSE))
  expect_length(dl, 1L)
  xy <- dl[[1]][[2]][[2]]
  ref <- summary(survival::survfit(Surv(time, status) ~ 1, data = survival::aml))
  expect_equal(path_at(xy$x, xy$y, ref$time), 100 * ref$surv, tolerance = tol)
  dl <- rec(points(fit_one))
  expect_length(dl, 1L)
  cens <- fit_one$n.censor > 0
  expect_equal(dl[[1]][[2]][[2]]$x, fit_one$time[cens])
})
