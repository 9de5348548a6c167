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
