# Regressions from fuzzing the core (issue #13, tests/fuzz): what the fuzz
# corpus replays in C, checked once more through the R interface.

test_that("km's jackknife refuses weights spanning more than 2^400 in a stratum", {
  # squared weights 1e-400 underflowed to 0 (or Inf * 0 = NaN std.chaz)
  d <- data.frame(time = c(1, 2, 3, 4), status = c(1, 1, 0, 1), w = c(1e-200, 1, 2, 1))
  expect_error(km(Surv(time, status) ~ 1, d, weights = w, robust = TRUE),
               "positive weights of each stratum to span a ratio below 2\\^400")
  # within range it answers, with finite standard errors
  d$w <- c(1e-100, 1, 2, 1)
  f <- km(Surv(time, status) ~ 1, d, weights = w, robust = TRUE)
  expect_true(all(is.finite(f$std.err[f$surv > 0])))
})

test_that("km on (start, stop] keeps a tiny risk set next to a weight near DBL_MAX", {
  # the exact risk-set sums fell back to a plain sum above 2^1000:
  # n.risk was -1 (or 0, as survfit's subtraction gives) instead of 1e-15
  d <- data.frame(start = c(0, 3), stop = c(1, 4), status = c(1, 1), w = c(1e-15, 1e300))
  f <- km(Surv(start, stop, status) ~ 1, d, weights = w, robust = FALSE)
  expect_equal(f$n.risk, c(1e-15, 1e300), tolerance = 1e-12)
  expect_equal(f$surv, c(0, 0))
})
