# Issue #13, Kaplan-Meier corner cases (items 2 and 13): reproducers against
# survival::survfit() and a seeded differential class on small hostile cohorts.

km_fields <- c("n", "time", "n.risk", "n.event", "n.censor", "surv", "std.err",
               "cumhaz", "std.chaz", "lower", "upper")

# Field-by-field equality with survfit (relative 1e-10, all.equal's mean
# relative difference, so values that are rounding noise around 0 in both
# agree), NA in the same places, and the median table identical.
expect_km_like_survfit <- function(fit, oracle, tolerance = 1e-10) {
  # Where survfit's S is rounding residue around 0 (its risk set formed by
  # subtraction, 0 < S < 1e-12), km()'s exact risk sets give S = 0: the
  # limits there are survfit's noise and NA in km(), as at any S = 0.
  noise <- oracle$surv > 0 & oracle$surv < 1e-12
  expect_true(all(fit$surv[noise] < 1e-12))
  for (f in km_fields) {
    a <- unclass(fit)[[f]]
    b <- unclass(oracle)[[f]]
    if (f %in% c("lower", "upper") && any(noise)) { a <- a[!noise]; b <- b[!noise] }
    expect_identical(is.na(a), is.na(b), label = paste(f, "NA pattern"))
    expect_equal(a, b, tolerance = tolerance, label = f)
  }
  # the median and its limits (survfit's se(rmean) itself underflows to NaN
  # with weights near 1e-170, so it is not compared here)
  cols <- c("records", "n.max", "n.start", "events", "rmean", "median", "0.95LCL", "0.95UCL")
  tab <- function(x) { t <- summary(x)$table; if (is.matrix(t)) t[, cols, drop = FALSE] else t[cols] }
  ta <- tab(fit)
  tb <- tab(oracle)
  if (any(noise)) { # the median's limits read the limits above
    cut6 <- function(t) if (is.matrix(t)) t[, 1:6, drop = FALSE] else t[1:6]
    ta <- cut6(ta)
    tb <- cut6(tb)
  }
  expect_equal(unname(ta), unname(tb),
               tolerance = tolerance, label = "summary table (median and its limits)")
}

test_that("item 2: zero weights on (start, stop] data give no NaN standard errors", {
  d <- data.frame(start = c(8.74, 18.04), stop = c(15.5, 26.5), status = c(1, 1),
                  w = c(0, 2.64))
  fit <- km(Surv(start, stop, status) ~ 1, data = d, weights = w)
  oracle <- survival::survfit(Surv(start, stop, status) ~ 1, data = d, weights = w)
  expect_false(anyNA(fit$std.err))
  expect_false(anyNA(fit$std.chaz))
  expect_km_like_survfit(fit, oracle)
})

test_that("item 13: the jackknife's running sums of squares never go negative", {
  d <- data.frame(start = c(0, 3), stop = c(1, 4), status = c(1, 1), w = c(0.3, 1.5))
  fit <- km(Surv(start, stop, status) ~ 1, data = d, weights = w)
  oracle <- survival::survfit(Surv(start, stop, status) ~ 1, data = d, weights = w)
  expect_false(anyNA(fit$std.err))
  expect_false(anyNA(fit$std.chaz))
  # survfit's values here are rounding noise around 0 (S(1) = 2.2e-16)
  expect_lt(max(abs(fit$std.err - oracle$std.err)), 1e-15)
  expect_lt(max(abs(fit$std.chaz - oracle$std.chaz)), 1e-15)
  expect_lt(max(abs(fit$surv - oracle$surv)), 1e-15)
})

test_that("item 13: tiny and huge equal weights give survfit's jackknife errors", {
  base <- data.frame(time = c(1, 2, 3, 4, 5, 5, 7), status = c(1, 0, 1, 1, 0, 1, 1))
  for (w in c(1e-160, 1e-300, 3.3e-200, 1e-155)) {
    d <- base
    d$w <- w * c(1, 1, 1, 1, 1, 1, 1.5) # not all integer: the jackknife
    fit <- km(Surv(time, status) ~ 1, data = d, weights = w)
    d$w1 <- d$w / w
    oracle <- survival::survfit(Surv(time, status) ~ 1, data = d, weights = w1)
    expect_false(anyNA(fit$std.err), label = paste("weight", w))
    expect_false(fit$logse)
    for (f in c("surv", "std.err", "std.chaz", "lower", "upper"))
      expect_equal(fit[[f]], oracle[[f]], tolerance = 1e-10, label = paste(f, "weight", w))
  }
})

test_that("seeded differential: fractional and zero weights, late entry, ties, tiny strata", {
  set.seed(20261130)
  for (rep in 1:150) {
    n <- sample(1:14, 1)
    start <- round(runif(n, 0, 6), sample(0:1, 1))
    stop <- start + round(runif(n, 0.1, 6), sample(0:1, 1))
    stop[stop <= start] <- start[stop <= start] + 1
    status <- rbinom(n, 1, 0.7)
    w <- switch(sample(4, 1),
                runif(n, 0, 3),
                sample(c(0, 0.5, 1, 2.64), n, replace = TRUE),
                rep(sample(c(1e-170, 0.3, 1e170), 1), n) * runif(n, 0.5, 1),
                sample(0:3, n, replace = TRUE) + 0)
    if (all(w == 0)) w[1] <- 0.7
    g <- sample(1:3, n, replace = TRUE)
    d <- data.frame(start, stop, status, w, g)
    counting <- rep %% 2 == 0
    f <- if (counting) Surv(start, stop, status) ~ g else Surv(stop, status) ~ g
    # survfit and km both warn "NaNs produced" when a tiny-weight curve reaches 0
    oracle <- suppressWarnings(try(survival::survfit(f, data = d, weights = w), silent = TRUE))
    if (inherits(oracle, "try-error")) next
    fit <- suppressWarnings(km(f, data = d, weights = w))
    expect_km_like_survfit(fit, oracle, tolerance = 1e-8)
  }
})
