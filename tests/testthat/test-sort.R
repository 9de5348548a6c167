test_that("the core sort equals a stable order() by stratum then time", {
  set.seed(1)
  n <- 5000
  time <- round(rexp(n), 2)
  time[1:10] <- c(-0, 0, -1e-300, 1e300, -1e300, 5, 5, 5, 0, -0)
  stratum <- sample(0:6, n, replace = TRUE)
  expect_identical(netsurv:::sort_order(time), order(time, method = "radix"))
  expect_identical(netsurv:::sort_order(time, stratum),
                   order(stratum, time, method = "radix"))
})

test_that("the core sort refuses non-finite times with an R error", {
  expect_error(netsurv:::sort_order(c(1, NA, 3)), "finite")
  expect_error(netsurv:::sort_order(c(1, Inf)), "finite")
})

test_that("time_fix merges fuzz-tied times exactly as survival::aeqSurv", {
  set.seed(2)
  time <- c(0.1 + 0.2, 0.3, 1, 1 + 1e-12, 2, round(rexp(200), 3), 5 - 1e-9)
  status <- rep(c(1, 0), length.out = length(time))
  ref <- survival::aeqSurv(survival::Surv(time, status))
  fixed <- netsurv:::time_fix(time)
  expect_identical(fixed[[1]], unclass(ref)[, 1])
  expect_false(identical(fixed[[1]], time))

  start <- pmax(time - 0.5, 0)
  start[3] <- 0.3 + 1e-14
  ref2 <- survival::aeqSurv(survival::Surv(start, time + 1, status))
  fixed2 <- netsurv:::time_fix(time + 1, start)
  expect_identical(fixed2[[1]], unclass(ref2)[, 2])
  expect_identical(fixed2[[2]], unclass(ref2)[, 1])
})

test_that("time_fix reports an interval that collapses to zero length", {
  expect_error(netsurv:::time_fix(c(2, 1 + 1e-12), c(0, 1)), "start < stop")
})
