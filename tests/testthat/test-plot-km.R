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
  expect_error(with_null_device(plot(fit_sex, conf.style = "dots")), "should be one of")
  expect_error(with_null_device(plot(fit_sex, legend = "middle")), "`legend` must be")
  expect_error(with_null_device(plot(fit_sex, risk.table = NA)), "`risk.table` must be TRUE or FALSE")
  expect_error(with_null_device(plot(fit_sex, ylim = c(1, 0))), "`ylim` must be")
  expect_error(with_null_device(plot(fit_sex, labels = "one")), "`labels` must be")
  expect_error(with_null_device(plot(fit_sex, xbreaks = c(NA, 1))), "`xbreaks` must be")
  expect_error(with_null_device(plot(fit_sex, test = "yes")), "`test` must be")
  expect_error(with_null_device(plot(fit_sex, hr = 1)), "`hr` must be")
  expect_error(with_null_device(plot(fit_sex, annotation.pos = "left")), "`annotation.pos`")
})
