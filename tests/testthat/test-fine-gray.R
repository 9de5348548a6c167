# fine_gray() against cmprsk::crr(): coefficients, sandwich variance, inverse
# information, log pseudo-likelihoods and predicted cumulative incidence, to
# 1e-6 (relative); fixed cases and seeded random differential tests.

strata <- survival::strata

expect_matches_crr <- function(fit, oracle, tolerance = 1e-6) {
  expect_true(fit$converged)
  expect_equal(unname(fit$coefficients), unname(oracle$coef), tolerance = tolerance)
  expect_equal(unname(fit$var), unname(oracle$var), tolerance = tolerance)
  expect_equal(unname(fit$naive.var), unname(oracle$invinf), tolerance = tolerance)
  expect_equal(unname(fit$info), unname(oracle$inf), tolerance = tolerance)
  expect_equal(unname(fit$loglik), c(oracle$loglik.null, oracle$loglik), tolerance = 1e-9)
  expect_lt(max(abs(fit$score - oracle$score)), 1e-6)
  expect_equal(fit$base.time, oracle$uftime)
  expect_equal(fit$base.hazard, oracle$bfitj, tolerance = tolerance)
  s <- summary(fit)
  so <- summary(oracle)
  expect_equal(unname(s$coefficients[, 1:4]), unname(so$coef[, 1:4]), tolerance = tolerance)
  expect_equal(unname(s$logtest[1:2]), unname(so$logtest), tolerance = 1e-8)
}

test_that("mgus2: both causes, factors, equal crr", {
  skip_if_not_installed("cmprsk")
  mg <- mgus_cr(complete = TRUE)
  X <- stats::model.matrix(~ age + sex + hgb + agegrp, mg)[, -1]
  for (k in 1:2) {
    fit <- fine_gray(Surv(etime, event) ~ age + sex + hgb + agegrp, data = mg,
                     cause = c("pcm", "death")[k])
    expect_matches_crr(fit, cmprsk::crr(mg$etime, mg$code, X, failcode = k))
  }
  # integer codes give the same fit
  a <- fine_gray(Surv(etime, code) ~ age + sex, data = mg, cause = 2)
  b <- fine_gray(Surv(etime, event) ~ age + sex, data = mg, cause = "death")
  expect_equal(a$coefficients, b$coefficients, tolerance = 0)
  expect_equal(fine_gray(Surv(etime, event) ~ age, data = mg)$cause, "pcm")
})

test_that("strata() is crr's cengroup", {
  skip_if_not_installed("cmprsk")
  mg <- mgus_cr(complete = TRUE)
  X <- stats::model.matrix(~ age + hgb + mspike, mg)[, -1]
  fit <- fine_gray(Surv(etime, event) ~ age + hgb + mspike + strata(agegrp), data = mg)
  expect_matches_crr(fit, cmprsk::crr(mg$etime, mg$code, X, cengroup = mg$agegrp))
  expect_identical(fit$cengroup, levels(mg$agegrp))
})

test_that("predicted cumulative incidence equals predict.crr", {
  skip_if_not_installed("cmprsk")
  mg <- mgus_cr(complete = TRUE)
  fit <- fine_gray(Surv(etime, event) ~ age + sex + hgb, data = mg, cause = "pcm")
  X <- stats::model.matrix(~ age + sex + hgb, mg)[, -1]
  cr <- cmprsk::crr(mg$etime, mg$code, X)
  nd <- data.frame(age = c(55, 70, 85), sex = c("F", "M", "M"), hgb = c(11, 13, 15))
  ours <- predict(fit, nd)
  theirs <- unclass(predict(cr, cbind(nd$age, nd$sex == "M", nd$hgb)))
  expect_equal(unname(ours), unname(theirs), tolerance = 1e-8)
  expect_identical(colnames(ours), c("time", "1", "2", "3"))
  expect_error(predict(fit, data.frame(age = 50)), "lacks the covariate\\(s\\) sex, hgb")
})

random_fg <- function(n, seed) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.4), f = factor(sample(c("a", "b", "c"), n, TRUE)),
                  cg = sample(c("u", "v", "w"), n, TRUE))
  lp <- 0.5 * d$x1 - 0.4 * d$x2
  t1 <- rexp(n, 0.1 * exp(lp))
  t2 <- rexp(n, 0.08)
  cens <- rexp(n, 0.05)
  d$time <- round(pmin(t1, t2, cens), 1) + 0.1          # rounding makes ties
  d$code <- ifelse(cens <= pmin(t1, t2), 0, ifelse(t1 < t2, 1, 2))
  d$iw <- sample(1:3, n, TRUE)
  d
}

test_that("random data with ties, factors and censoring groups equal crr", {
  skip_if_not_installed("cmprsk")
  for (seed in 1:6) {
    d <- random_fg(150 + 50 * seed, seed)
    X <- stats::model.matrix(~ x1 + x2 + f, d)[, -1]
    k <- 1 + seed %% 2
    if (seed %% 3 == 0) {
      fit <- fine_gray(Surv(time, code) ~ x1 + x2 + f + strata(cg), data = d, cause = k)
      oracle <- cmprsk::crr(d$time, d$code, X, failcode = k, cengroup = d$cg)
    } else {
      fit <- fine_gray(Surv(time, code) ~ x1 + x2 + f, data = d, cause = k)
      oracle <- cmprsk::crr(d$time, d$code, X, failcode = k)
    }
    expect_matches_crr(fit, oracle)
  }
})

test_that("whole-number weights equal replicated rows in crr", {
  skip_if_not_installed("cmprsk")
  for (seed in 7:9) {
    d <- random_fg(120, seed)
    r <- d[rep(seq_len(nrow(d)), d$iw), ]
    fit <- fine_gray(Surv(time, code) ~ x1 + x2 + strata(cg), data = d, weights = iw)
    oracle <- cmprsk::crr(r$time, r$code, cbind(r$x1, r$x2), cengroup = r$cg)
    expect_matches_crr(fit, oracle)
    # zero weights leave rows out
    d$w0 <- ifelse(seq_len(nrow(d)) %% 7 == 0, 0, 1)
    a <- fine_gray(Surv(time, code) ~ x1 + x2, data = d, weights = w0)
    b <- fine_gray(Surv(time, code) ~ x1 + x2, data = d[d$w0 > 0, ])
    expect_equal(a$coefficients, b$coefficients, tolerance = 1e-12)
    expect_equal(a$var, b$var, tolerance = 1e-12)
  }
})

test_that("methods: confint, vcov, tidy, glance, print", {
  mg <- mgus_cr(complete = TRUE)
  fit <- fine_gray(Surv(etime, event) ~ age + sex, data = mg, cause = "death")
  se <- sqrt(diag(vcov(fit)))
  ci <- confint(fit, level = 0.9)
  expect_equal(unname(ci[, 1]), unname(coef(fit) - stats::qnorm(0.95) * se), tolerance = 1e-14)
  td <- tidy(fit, exponentiate = TRUE, conf.int = TRUE)
  expect_named(td, c("term", "estimate", "std.error", "statistic", "p.value", "conf.low", "conf.high"))
  expect_equal(td$estimate, unname(exp(coef(fit))))
  expect_equal(td$conf.high, unname(exp(confint(fit)[, 2])))
  expect_equal(td$p.value, unname(2 * stats::pnorm(-abs(coef(fit) / se))))
  g <- glance(fit)
  expect_equal(g$statistic.log, 2 * diff(fit$loglik))
  expect_equal(g$statistic.wald, drop(coef(fit) %*% solve(vcov(fit), coef(fit))), tolerance = 1e-12)
  expect_equal(nobs(fit), nrow(mg))
  out <- capture.output(print(fit))
  expect_true(any(grepl("cause \"death\"", out)))
  expect_true(any(grepl("Pseudo likelihood ratio", capture.output(print(summary(fit))))))
})

test_that("bad input stops with a clear message", {
  mg <- mgus_cr(complete = TRUE)
  expect_error(fine_gray(Surv(etime, event) ~ age, data = mg, cause = "relapse"),
               "`cause` must be one of the causes")
  expect_error(fine_gray(Surv(etime, event) ~ 1, data = mg), "at least one covariate")
  expect_error(fine_gray(Surv(etime, event) ~ strata(sex), data = mg), "at least one covariate")
  mg$ev3 <- factor(mg$code, 0:3, c("censor", "pcm", "death", "other"))
  expect_error(fine_gray(Surv(etime, ev3) ~ age, data = mg, cause = "other"),
               "no row has an event of cause \"other\"")
  mg$start <- 0
  expect_error(fine_gray(Surv(start, etime, event) ~ age, data = mg), "does not support \\(start, stop\\]")
  mg$bad <- mg$age
  mg$bad[5] <- Inf
  expect_error(fine_gray(Surv(etime, event) ~ bad, data = mg), "covariate bad in row .* not finite")
  mg$const <- 1
  expect_error(fine_gray(Surv(etime, event) ~ age + const, data = mg), "singular")
  expect_error(fine_gray(Surv(etime, event) ~ age, data = mg, gtol = -1), "`gtol` must be")
  expect_warning(fine_gray(Surv(etime, event) ~ age, data = mg, iter.max = 1), "did not converge")
  # fuzz_competing aa85b081: weights so large that the log pseudo-likelihood
  # overflows (it was -Inf, returned as a fit)
  mg$w <- 1
  mg$w[which(mg$event == "pcm")[1]] <- 1e308
  expect_error(fine_gray(Surv(etime, event) ~ age, data = mg, weights = w),
               "`weights`: the log pseudo-likelihood is not finite .*row [0-9]+ has 1e\\+308")
  # fuzz_competing 4d9cb394: weights summing past the largest double
  mg$w[2] <- 1e308
  expect_error(fine_gray(Surv(etime, event) ~ age, data = mg, weights = w),
               "`weights`: the weights sum to more than a double holds")
})
