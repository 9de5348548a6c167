# The shared formula front end: what it accepts and how it refuses.
frame <- function(formula, data, weights, subset, na.action) {
  call <- match.call()
  netsurv:::survival_frame(call, parent.frame(), specials = c("strata", "cluster"))
}

test_that("right-censored and counting-process responses become plain columns", {
  fr <- frame(Surv(time, status) ~ sex, data = survival::lung)
  expect_identical(fr$type, "right")
  expect_identical(fr$time, as.double(survival::lung$time[!is.na(survival::lung$sex)]))
  expect_identical(fr$status, as.integer(survival::lung$status - 1L))
  expect_null(fr$start)

  fr2 <- frame(Surv(start, stop, event) ~ transplant, data = survival::heart)
  expect_identical(fr2$type, "counting")
  expect_identical(fr2$start, as.double(survival::heart$start))
})

test_that("missing values are dropped by na.action and counted", {
  d <- data.frame(time = c(1, 2, NA, 4, 5), status = c(1, 0, 1, 1, NA), g = c(1, 1, 2, 2, NA))
  fr <- frame(Surv(time, status) ~ g, data = d)
  expect_identical(fr$n_dropped, 2L)
  expect_identical(fr$time, c(1, 2, 4))
  expect_error(frame(Surv(time, status) ~ g, data = d, na.action = na.fail), "missing")
})

test_that("bad input gets an error naming the argument and the row", {
  d <- data.frame(time = c(1, 2, Inf, 4), status = c(1, 0, 1, 1), w = c(1, 2, 3, 4))
  expect_error(frame(Surv(time, status) ~ 1, data = d), "`formula`: the time in row 3 is Inf")
  d$time[3] <- 3
  d$status[2] <- 3
  expect_error(frame(Surv(time, status) ~ 1, data = d), "status in row 2 is 3")
  d$status[2] <- 0
  d$w[4] <- -1
  expect_error(frame(Surv(time, status) ~ 1, data = d, weights = w), "`weights`: the weight in row 4 is -1")
  d$w[4] <- NA
  expect_error(frame(Surv(time, status) ~ 1, data = d, weights = w), "row 4 is NA.*missing")
  expect_error(frame(time ~ 1, data = d), "must be a survival object")
  expect_error(frame(~ time, data = d), "two-sided")
  d2 <- data.frame(a = c(0, 2), b = c(1, 2), s = c(1, 1))
  expect_error(frame(Surv(a, b, s) ~ 1, data = d2), "row 2 the interval \\(2, 2\\] has start >= stop")
  all_na <- data.frame(time = c(NA_real_, NA_real_), status = c(1, 1))
  expect_error(frame(Surv(time, status) ~ 1, data = all_na), "no rows left.*removed 2")
})

test_that("the grouping factor is labelled as survfit labels its strata", {
  mf <- frame(Surv(time, status) ~ celltype + trt, data = survival::veteran)$mf
  s <- netsurv:::rhs_strata(mf)
  fit <- survival::survfit(Surv(time, status) ~ celltype + trt, data = survival::veteran)
  expect_identical(levels(droplevels(s)), names(fit$strata))
  expect_null(netsurv:::rhs_strata(frame(Surv(time, status) ~ 1, data = survival::veteran)$mf))
})
