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

rank_distinct_reference <- function(time, stratum) {
  o <- order(stratum, time, method = "radix")
  n <- length(time)
  new <- c(TRUE, stratum[o][-1] != stratum[o][-n] | time[o][-1] != time[o][-n])
  rank <- integer(n)
  rank[o] <- cumsum(new)
  list(rank = rank, first_row = o[new])
}

test_that("rank_distinct ranks rows among the distinct (stratum, time) pairs", {
  set.seed(3)
  n <- 20000
  rounded <- round(rexp(n) * 5, 2)           # ~2000 distinct: hash path
  rounded[1:6] <- c(-0, 0, -2.5, 1e300, -0, 3)
  continuous <- rexp(n)                      # all distinct: radix path
  stratum <- sample(0:3, n, replace = TRUE)
  one <- rep(0L, n)
  for (time in list(rounded, continuous)) {
    expect_identical(netsurv:::rank_distinct(time),
                     rank_distinct_reference(time, one))
    expect_identical(netsurv:::rank_distinct(time, stratum),
                     rank_distinct_reference(time, stratum))
  }
  r <- netsurv:::rank_distinct(rounded)
  expect_identical(r$rank[1:2], c(r$rank[1], r$rank[1]))  # -0 ties 0
  expect_identical(netsurv:::rank_distinct(numeric()),
                   list(rank = integer(), first_row = integer()))
  expect_error(netsurv:::rank_distinct(c(1, NaN)), "finite")
  expect_error(netsurv:::rank_distinct(c(1, 2), c(0L, -1L)), "stratum")
})
