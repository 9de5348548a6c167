# Issue #13: regressions from fuzzing the core (tests/fuzz, branch g13o),
# checked against the oracles: the Fine-Gray pseudo-likelihood when scores
# spread (cmprsk::crr), the Aalen-Johansen estimate with a lone tiny weight at
# risk (survival::survfit), the log-rank df when a group fills its risk sets
# (survdiff, and the database path ns_logrank_from_moments).

test_that("Fine-Gray: risk sets e^-80 of the first keep crr's log pseudo-likelihood", {
  skip_if_not_installed("cmprsk")
  # scores fall ~e^-2 per time: late risk sets are ~e^-80 of the first, where
  # (all rows) - (rows that left) cancelled (fuzz_competing finegray-loglik)
  t <- rep(1:20, each = 2)
  code <- rep(c(1, 2, 1, 0, 1), 8)
  x <- -2 * t + 0.25 * (seq_along(t) %% 3)
  st <- ifelse(code == 0, 0L, ifelse(code == 1, 1L, 2L))
  for (b in c(-0.5, 0.5, 1, 2)) {
    o <- cmprsk::crr(t, code, cbind(x), init = b, maxiter = 0)
    # the core at a fixed coefficient (fine_gray() has no `init`)
    core <- .Call(netsurv:::ffi_finegray_fit, cbind(x), as.double(t), st, NULL, NULL, 1L, 0L,
                  1e-6, b)
    expect_equal(core$loglik, o$loglik, tolerance = 1e-12)
    expect_equal(unname(core$score), unname(o$score), tolerance = 1e-9)
    expect_equal(unname(core$info), unname(o$inf), tolerance = 1e-9)
  }
  d <- data.frame(t, code = factor(code, 0:2), x)
  fit <- fine_gray(Surv(t, code) ~ x, data = d, cause = "1", iter.max = 50)
  o <- cmprsk::crr(t, code, cbind(x), maxiter = 50)
  expect_equal(unname(fit$coefficients), unname(o$coef), tolerance = 1e-8)
  expect_equal(fit$loglik, c(o$loglik.null, o$loglik), tolerance = 1e-12)
  expect_equal(unname(fit$var), unname(o$var), tolerance = 1e-7)
})

test_that("cuminc: a lone tiny weight at risk still has its event (hand, survfit)", {
  # (all weights) - (weights that left) was 3.5 - 3.5 = 0: the event at t = 1
  # was skipped and S stayed 1 (fuzz_competing 6f4ab183). By hand: one row at
  # risk at t = 1, its event of cause 2: S(1) = 0, F1(1) = 0, F2(1) = 1.
  # survfit agrees for a weight of 1e-3; it subtracts too (1e-10 gives it
  # S(1) = 8e-8, a subnormal one -Inf / NaN), so below that the hand values.
  for (w2 in c(1e-3, 1e-10, 3.3156e-315)) {
    d <- data.frame(time = c(0, 1, 0, 0), code = factor(c(0, 2, 0, 0), 0:2),
                    w = c(3.5, w2, 0, 0))
    fit <- cuminc(Surv(time, code) ~ 1, data = d, weights = w, conf.type = "none")
    expect_identical(fit$surv[fit$time == 1], 0)
    expect_equal(unname(fit$estimate[fit$time == 1, ]), c(0, 1), tolerance = 1e-15)
    if (w2 == 1e-3) {
      oracle <- survfit(Surv(time, code) ~ 1, data = d, weights = w, conf.type = "none")
      expect_equal(fit$surv, oracle$pstate[, 1], tolerance = 1e-12)
      expect_equal(unname(fit$estimate), unname(oracle$pstate[, -1]), tolerance = 1e-12)
    }
  }
})

test_that("log-rank: a group alone in its stratum has variance 0 and adds no df", {
  # group c fills every risk set of stratum 2: its variance is exactly 0, so
  # the test is the a-vs-b test of stratum 1 on 1 df. survdiff stops there
  # (singular); rows and database paths agree (fuzz_moments db94fdc2).
  for (n2 in c(5, 7, 49)) {
    d <- data.frame(time = c(1, 1, 2, 2, 3, 3, 4, 4, 1 + (seq_len(n2) - 1) %/% 3),
                    status = c(1, 1, 0, 1, 1, 0, 1, 1, rep(1, n2)),
                    g = c(rep(c("a", "b"), 4), rep("c", n2)),
                    s = c(rep(1, 8), rep(2, n2)))
    fit <- logrank(Surv(time, status) ~ g + strata(s), data = d)
    one <- survdiff(Surv(time, status) ~ g, data = d[d$s == 1, ])
    expect_identical(fit$df, 1L)
    expect_identical(fit$var[3, 3], 0)
    expect_equal(fit$chisq, one$chisq, tolerance = 1e-12)
    expect_error(survdiff(Surv(time, status) ~ g + strata(s), data = d), "singular")
    skip_if_not_installed("RSQLite")
    con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
    DBI::dbWriteTable(con, "d", d)
    db <- logrank(Surv(time, status) ~ g + strata(s), data = dplyr::tbl(con, "d"))
    DBI::dbDisconnect(con)
    expect_identical(db$df, 1L)
    expect_equal(db$chisq, fit$chisq, tolerance = 1e-12)
  }
})
