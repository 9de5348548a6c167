# test-group.R -- group codes from C (R/group.R) against factor() and
# survival::strata(), which they replace on the fast path: identical factors
# (codes, levels, labels), or NULL (the caller falls back).

test_that("group_codes gives factor()'s codes and levels", {
  set.seed(101)
  cases <- list(
    sample(c(3, 1, 2, 10), 500, TRUE),
    sample(1:7, 300, TRUE),
    sample(c(TRUE, FALSE), 50, TRUE),
    c(0.1 + 0.2, 0.3, 0.3, 1e-300, -0, 0, -2.5),  # values that print alike share a level
    round(rnorm(2000), 1),
    rnorm(100),
    c(5L, 5L, 5L),
    # integer codes take a tabulation: 1..L without gaps (the column is the
    # code), zero-based, gaps, negative, a span longer than the column (the
    # hashing path), the extremes of the integers
    sample(1:3, 400, TRUE),
    sample(0:1, 400, TRUE),
    sample(c(2L, 9L, 4L), 400, TRUE),
    sample(-3:2, 400, TRUE),
    c(1L, 1000000L, 1L),
    c(-.Machine$integer.max, .Machine$integer.max, 0L),
    c(.Machine$integer.max, .Machine$integer.max - 1L)
  )
  for (x in cases) {
    g <- netsurv:::group_codes(x)
    f <- factor(x)
    expect_identical(g$code, as.vector(unclass(f)))
    expect_identical(g$levels, levels(f))
  }
  f <- factor(c("b", "a", "b"), levels = c("c", "b", "a"))
  expect_identical(netsurv:::group_codes(f)$levels, c("c", "b", "a"))
  expect_null(netsurv:::group_codes(c(1, NA)))
  expect_null(netsurv:::group_codes(c("a", "b")))
  expect_null(netsurv:::group_codes(c(1, Inf)))
  expect_null(netsurv:::group_codes(as.Date("2020-01-01") + 0:2))
  expect_null(netsurv:::group_codes(matrix(1:4, 2)))
})

test_that("group_strata equals survival::strata, long and short labels", {
  set.seed(102)
  for (rep in 1:20) {
    n <- sample(c(1, 5, 200), 1)
    a <- sample(c(2, 1, 3), n, TRUE)
    b <- factor(sample(c("x", "y", "z"), n, TRUE), levels = c("z", "w", "x", "y"))
    cc <- sample(c(TRUE, FALSE), n, TRUE)
    d <- sample(c(10L, 100L), n, TRUE)
    for (cols in list(list(a = a), list(b = b), list(a = a, b = b), list(b = b, cc = cc, d = d),
                      list(d = d, a = a))) {
      for (short in c(FALSE, TRUE)) {
        expect_identical(netsurv:::group_strata(cols, shortlabel = short),
                         survival::strata(as.data.frame(cols), shortlabel = short))
      }
    }
  }
  expect_null(netsurv:::group_strata(list(a = c("u", "v"))))
})

test_that("strata_factor equals droplevels(as.factor()) of the strata variable", {
  mf <- data.frame(s = c(3, 1, 3, 2), f = factor(c("b", "b", "a", "b"), levels = c("a", "b", "c")))
  expect_identical(netsurv:::strata_factor(mf, "s"), droplevels(as.factor(mf$s)))
  expect_identical(netsurv:::strata_factor(mf, "f"), droplevels(mf$f))
  expect_identical(netsurv:::strata_factor(mf, c("s", "f")),
                   droplevels(as.factor(survival::strata(mf[, c("s", "f")], shortlabel = TRUE))))
})
