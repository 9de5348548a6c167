# test-concordance-weights.R -- cox()'s concordance with positive case weights
# far apart (issue #13: the weights at risk above a score were a total less
# partial sums, a stratum's tree was emptied by subtraction, and tied.y /
# tied.xy were (S^2 - sum w^2) / 2, so beside weights ~1e12 times larger the
# small weights' pairs were lost: counts off, and the concordance could leave
# [0, 1]). Oracle: survival's concordance of coxph with the same fixed
# coefficient (init, iter.max = 0), so both score the rows identically; with
# integer weights 1..3 and 1e13 every sum survival forms is an exact integer
# below 2^53, so its counts are exact. Tolerances: counts, concordance and
# the concordance's variances (IJ var and cvar) 1e-10 relative; the 1e17
# cases (beyond survival's exact range) against a hand count, exactly.

fixed_both <- function(formula, data, beta) {
  a <- cox(formula, data, weights = w, init = beta, control = cox_control(iter.max = 0))
  b <- coxph(formula, data, weights = w, init = beta, iter.max = 0, model = TRUE)
  list(netsurv = concordance(a), survival = survival::concordance(b))
}

expect_same_concordance <- function(ab, info) {
  a <- ab$netsurv
  b <- ab$survival
  for (k in names(b$count))
    expect_equal(unname(a$count[k]), unname(b$count[k]), tolerance = 1e-10,
                 info = paste(info, k))
  expect_equal(a$concordance, b$concordance, tolerance = 1e-10, info = info)
  expect_equal(a$var, b$var, tolerance = 1e-10, info = info)
  expect_equal(a$cvar, b$cvar, tolerance = 1e-10, info = info)
  expect_true(a$concordance >= 0 && a$concordance <= 1, info = info)
}

test_that("six rows with weights 1 and 1e17: the one comparable pair, concordance 0", {
  # the reproducer: the old code gave concordant -2, discordant 3, C = -2
  d <- data.frame(time = c(2, 1, 1, 2, 2, 4), status = c(1, 0, 0, 0, 0, 1),
                  x = c(0, 0, 0, 2, 0, 3), s = c(1, 1, 0, 1, 0, 0),
                  w = c(1, 1e17, 1, 1, 1e17, 1))
  fit <- cox(Surv(time, status) ~ x + strata(s), d, weights = w, init = 1,
             control = cox_control(iter.max = 0))
  cc <- concordance(fit)
  # stratum 1 at t = 2: the event (x = 0) against the censored row (x = 2),
  # weight 1 x 1, the event with the lower risk: discordant; nothing else
  expect_identical(unname(cc$count), c(0, 1, 0, 0, 0))
  expect_identical(cc$concordance, 0)
  # the same rows with 1e13 in place of 1e17: survival agrees
  d$w[d$w > 1] <- 1e13
  expect_same_concordance(fixed_both(Surv(time, status) ~ x + strata(s), d, 1), "six rows")
})

test_that("weights 1e17 beside 1 in a tied event group: tied.y and tied.xy are the pair sums", {
  d <- data.frame(time = c(1, 1, 1, 1, 2, 3), status = c(1, 1, 1, 1, 0, 1),
                  x = c(0, 0, 1, 2, 1, 0), w = c(1e17, 1, 1, 1e17, 1, 1))
  cc <- concordance(cox(Surv(time, status) ~ x, d, weights = w, init = 1,
                        control = cox_control(iter.max = 0)))
  # tied at t = 1 on the same score: rows 1, 2 (1e17 x 1); on different
  # scores: 1-3, 1-4, 2-3, 2-4, 3-4 (1e17 + 1e34 + 1 + 1e17 + 1e17)
  expect_equal(unname(cc$count["tied.xy"]), 1e17, tolerance = 1e-15)
  expect_equal(unname(cc$count["tied.y"]), 1e34 + 3e17 + 1, tolerance = 1e-15)
  # events at t = 1 against the censored row at 2 (x = 1) and the event at 3 (x = 0)
  w <- d$w[1:4]
  x <- d$x[1:4]
  expect_equal(unname(cc$count["concordant"]), sum(w * ((x > 1) + (x > 0))), tolerance = 1e-15)
  expect_equal(unname(cc$count["discordant"]), sum(w * ((x < 1) + (x < 0))), tolerance = 1e-15)
  expect_equal(unname(cc$count["tied.x"]), sum(w * ((x == 1) + (x == 0))), tolerance = 1e-15)
})

test_that("random cohorts with weights 1..3 and 1e13 mixed equal survival's concordance", {
  for (seed in 1:6) for (counting in c(FALSE, TRUE)) {
    set.seed(seed)
    n <- 80
    d <- data.frame(time = sample(1:12, n, TRUE), status = rbinom(n, 1, 0.6),
                    x = sample(c(-1, 0, 0.5, 1, 2), n, TRUE), s = sample(1:3, n, TRUE))
    d$start <- d$time - sample(c(0.5, 1, 3), n, TRUE)
    big <- rbinom(n, 1, if (seed %% 2) 0.3 else 0.05) == 1
    # big weights in one stratum only (seeds 3, 4): the other strata's
    # pairs are all small, and the tree is emptied between strata
    if (seed %in% 3:4) big <- big & d$s == 3
    d$w <- ifelse(big, 1e13, sample(1:3, n, TRUE))
    lhs <- if (counting) "Surv(start, time, status)" else "Surv(time, status)"
    for (rhs in c("x", "x + strata(s)")) {
      fm <- stats::as.formula(paste(lhs, "~", rhs))
      expect_same_concordance(fixed_both(fm, d, 0.7), paste(seed, lhs, rhs))
    }
  }
})
