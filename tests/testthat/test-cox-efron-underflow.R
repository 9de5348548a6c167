# Issue #13, item 11: Efron ties with strata whose risk scores lie far apart.
# A stratum's shift cancels from its likelihood terms, so shifting one
# stratum's covariate by a constant must not change the fit; it used to
# underflow the product of a tied time's Efron denominators (log-likelihood
# +Inf, a wrong coefficient, a false monotone-likelihood warning).

efron_strata_cohort <- function(n = 400) {
  d <- data.frame(s = rep(1:2, each = n / 2), x = stats::rnorm(n))
  d$time <- pmax(1, round(stats::rexp(n, exp(1.1 * d$x)) * 3))  # heavy ties
  d$status <- stats::rbinom(n, 1, 0.9)
  d
}

test_that("the reproducer: one stratum's covariate shifted by -110 (Efron ties)", {
  set.seed(11)
  d <- efron_strata_cohort()
  shifted <- d
  shifted$x[shifted$s == 2] <- shifted$x[shifted$s == 2] - 110
  plain <- cox(Surv(time, status) ~ x + strata(s), d)
  fit <- expect_silent(cox(Surv(time, status) ~ x + strata(s), shifted))
  oracle <- coxph(Surv(time, status) ~ x + strata(s), shifted)
  expect_true(fit$converged)
  expect_equal(coef(fit), coef(oracle), tolerance = 1e-8)
  expect_equal(fit$loglik, oracle$loglik, tolerance = 1e-10)
  expect_equal(unname(fit$var), unname(oracle$var), tolerance = 1e-8)
  expect_equal(coef(fit), coef(plain), tolerance = 1e-10)
  expect_equal(fit$loglik, plain$loglik, tolerance = 1e-12)
})

test_that("shifting a stratum's covariates by constants changes nothing (seeded)", {
  set.seed(1111)
  for (rep in 1:12) {
    d <- efron_strata_cohort(sample(c(60, 200, 400), 1))
    d$z <- stats::rbinom(nrow(d), 1, 0.5)
    d$w <- if (rep %% 2) stats::runif(nrow(d), 0.5, 2) else 1
    ties <- if (rep %% 3) "efron" else "breslow"
    shifted <- d
    k <- shifted$s == 2
    shifted$x[k] <- shifted$x[k] + sample(c(-300, -150, -90, 90, 150), 1)
    shifted$z[k] <- shifted$z[k] + sample(c(-50, 40), 1)
    plain <- cox(Surv(time, status) ~ x + z + strata(s), d, weights = w, ties = ties)
    fit <- cox(Surv(time, status) ~ x + z + strata(s), shifted, weights = w, ties = ties)
    oracle <- coxph(Surv(time, status) ~ x + z + strata(s), d, weights = w, ties = ties)
    label <- paste("rep", rep, ties)
    expect_true(fit$converged, label = label)
    expect_equal(coef(fit), coef(plain), tolerance = 1e-9, label = paste("coef", label))
    expect_equal(unname(fit$var), unname(plain$var), tolerance = 1e-8, label = paste("var", label))
    expect_equal(fit$loglik, plain$loglik, tolerance = 1e-11, label = paste("loglik", label))
    expect_equal(coef(fit), coef(oracle), tolerance = 1e-8, label = paste("oracle", label))
    expect_equal(fit$loglik, oracle$loglik, tolerance = 1e-10, label = paste("oracle ll", label))
    # and the martingale residuals (cox_resid.c scales per time point too)
    expect_equal(residuals(fit), residuals(plain), tolerance = 1e-8, label = paste("resid", label))
  }
})

test_that("linear predictors spanning 1000s within a stratum: a fit, not an error", {
  # a risk set whose scores are all e^-700 below an earlier one's: the
  # scores are kept relative to each event time's largest, so no risk set
  # underflows (it stopped with "a value is not finite" or halved a
  # Newton step coxph takes)
  d <- data.frame(z = seq(-3, 3, length.out = 40), status = 1)
  d$time <- seq_len(40)
  d$status[c(3, 9, 17, 30)] <- 0
  fit <- suppressWarnings(cox(Surv(time, status) ~ z, d, init = -200,
                              control = cox_control(iter.max = 0)))
  oracle <- coxph(Surv(time, status) ~ z, d, init = -200, control = coxph.control(iter.max = 0))
  expect_gt(diff(range(fit$linear.predictors)), 1000)
  expect_true(is.finite(fit$loglik[1]))
  expect_equal(fit$loglik, oracle$loglik, tolerance = 1e-10)
  expect_true(all(is.finite(residuals(fit))))
  expect_equal(unname(residuals(fit)), unname(residuals(oracle)), tolerance = 1e-8)
})
