# Issue #13, items 6 and 8: under monotone likelihood (a coefficient running
# to infinity) cox() stops where coxph() stops -- same convergence test,
# step halving and iteration count (coxfit6 for right-censored data, agfit4
# for (start, stop] data) -- and warns for the same coefficients.

# captures the warnings of one call
with_warnings <- function(expr) {
  msgs <- character()
  value <- withCallingHandlers(expr, warning = function(w) {
    msgs <<- c(msgs, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = msgs)
}

# cohorts where some coefficient runs to -infinity: a group without events
# (or a group whose events all come from one side of z)
monotone_cohort <- function(rep) {
  n <- sample(10:60, 1)
  d <- data.frame(time = round(stats::rexp(n), 1) + 0.1, z = stats::rnorm(n),
                  g = stats::rbinom(n, 1, 0.4), s = sample(1:2, n, TRUE),
                  w = if (rep %% 3 == 0) stats::runif(n, 0.3, 2) else 1,
                  status = stats::rbinom(n, 1, 0.7))
  d$status[d$g == 1] <- 0
  if (rep %% 5 == 1) d$status[d$g == 1 & d$z > 0.5] <- 1
  d$start <- if (rep %% 4 >= 2) d$time * stats::runif(n, 0, 0.5) else 0
  d
}

test_that("monotone likelihood: cox() stops at coxph's iterate (seeded differential)", {
  set.seed(613)
  checked <- 0
  monotone <- 0
  for (rep in 1:120) {
    d <- monotone_cohort(rep)
    if (sum(d$status) < 2) next
    ties <- if (rep %% 2) "efron" else "breslow"
    counting <- rep %% 4 >= 2
    rhs <- if (rep %% 3 == 0) "z + g" else "z + g + strata(s)"
    f <- stats::as.formula(paste(if (counting) "Surv(start, time, status)" else "Surv(time, status)",
                                 "~", rhs))
    o <- with_warnings(coxph(f, d, weights = w, ties = ties))
    # coxph converged (its own arithmetic intact: no column lost to underflow)
    if (any(grepl("Ran out", o$warnings)) || anyNA(coef(o$value))) next
    fit <- with_warnings(cox(f, d, weights = w, ties = ties))
    label <- paste("rep", rep, if (counting) "(start, stop]" else "right-censored", ties)
    expect_identical(fit$value$iter, o$value$iter, label = paste("iter", label))
    expect_equal(coef(fit$value), coef(o$value), tolerance = 1e-6, label = paste("coef", label))
    expect_equal(unname(fit$value$var), unname(o$value$var), tolerance = 1e-6,
                 label = paste("var", label))
    expect_equal(unname(fit$value$naive.var), unname(o$value$naive.var), tolerance = 1e-6,
                 label = paste("naive.var", label))
    expect_equal(fit$value$loglik, o$value$loglik, tolerance = 1e-9, label = paste("loglik", label))
    # the same coefficients flagged: coxph names them by position
    flagged <- grep("Loglik converged", o$warnings, value = TRUE)
    theirs <- if (length(flagged)) {
      as.integer(strsplit(sub(".*variable +([0-9,]+) *;.*", "\\1", flagged), ",")[[1]])
    } else integer()
    ours <- which(fit$value$infinite)
    expect_identical(unname(ours), theirs, label = paste("flagged", label))
    expect_identical(any(grepl("monotone likelihood", fit$warnings)), length(theirs) > 0,
                     label = paste("warning", label))
    checked <- checked + 1
    monotone <- monotone + (length(theirs) > 0)
  }
  expect_gt(checked, 80)
  expect_gt(monotone, 60)
})

test_that("iterations run out: the same count as coxph, both say so", {
  # complete separation: the log-likelihood tends to 0 and never converges
  set.seed(614)
  for (rep in 1:12) {
    n <- 30
    d <- data.frame(z = stats::rnorm(n), status = 1, s = rep(1:2, 15))
    d$time <- rank(d$z)
    d$start <- 0   # Surv(start, stop): agreg.fit's rules
    counting <- rep %% 2 == 0
    f <- if (counting) Surv(start, time, status) ~ z else Surv(time, status) ~ z + strata(s)
    o <- with_warnings(coxph(f, d))
    fit <- with_warnings(cox(f, d))
    expect_true(any(grepl("Ran out", o$warnings)))
    expect_true(any(grepl("did not converge", fit$warnings)))
    expect_false(fit$value$converged)
    # coxph.fit counts iter.max + 1 when coxfit6 runs out, agreg.fit iter.max
    expect_identical(fit$value$iter, o$value$iter)
    expect_identical(fit$value$iter, if (counting) 20L else 21L)
    expect_lt(coef(fit$value), -10)
    expect_true(is.finite(fit$value$loglik[2]) && fit$value$loglik[2] > fit$value$loglik[1])
  }
})

test_that("item 8: a monotone covariate with one that has no information within strata", {
  d <- data.frame(time = c(5, 2, 3, 2), status = c(0, 1, 1, 1),
                  x1 = c(2.131, -1.054, -0.025, -0.058), xs = c(0, 1, 1, 1), s = c(2, 1, 4, 4))
  o <- with_warnings(coxph(Surv(time, status) ~ x1 + xs + strata(s), d))
  fit <- with_warnings(cox(Surv(time, status) ~ x1 + xs + strata(s), d))
  # it stopped with "cox: a value is not finite"; coxph returns, and so does cox()
  # xs has no information: NA (coxph, having run out of iterations, reports
  # it as 0 with variance 0 -- a documented difference)
  expect_true(is.na(coef(fit$value)[["xs"]]))
  expect_identical(unname(coef(o$value)[["xs"]]), 0)
  expect_identical(o$value$var[2, 2], 0)
  expect_lt(coef(fit$value)[["x1"]], -100)
  expect_identical(fit$value$iter, o$value$iter)
  expect_true(any(grepl("did not converge", fit$warnings)))
  # both log-likelihoods tend to 0 (their last changes are rounding, so the
  # iterates where the two run out differ: see the README)
  expect_equal(fit$value$loglik, o$value$loglik, tolerance = 1e-6)
  expect_lt(abs(fit$value$loglik[2]), 1e-7)
})
