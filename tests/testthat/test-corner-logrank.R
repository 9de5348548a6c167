# Issue #13 item 16: logrank() can be interrupted (Ctrl-C, setTimeLimit) --
# the core's scan and its O(groups^3) statistic take a callback.

test_that("item 16: a logrank() with thousands of groups stops at setTimeLimit()", {
  set.seed(16)
  n <- 30000
  d <- data.frame(time = rexp(n), status = rbinom(n, 1, 0.8),
                  g = factor(sample(4000, n, replace = TRUE)))
  # uninterrupted this runs for minutes (O(4000^3) factorization)
  res <- tryCatch({
    setTimeLimit(elapsed = 1, transient = TRUE)
    utils::capture.output(out <- logrank(Surv(time, status) ~ g, data = d), type = "message")
    "finished"
  }, error = function(e) conditionMessage(e), finally = setTimeLimit())
  expect_match(res, "interrupted|time limit")
})

test_that("item 16: the interruptible path gives survdiff's statistic", {
  set.seed(161)
  d <- data.frame(time = rexp(400), status = rbinom(400, 1, 0.7),
                  g = factor(sample(30, 400, replace = TRUE)))
  fit <- logrank(Surv(time, status) ~ g, data = d)
  oracle <- survival::survdiff(Surv(time, status) ~ g, data = d)
  expect_equal(fit$chisq, oracle$chisq, tolerance = 1e-10)
})
