# The shortcuts taken for speed give coxph's answers on the paths they change:
# the intercept skipped in place (x_skip), the default na.action without a
# copy of the frame, and the concordance's cumulative-sum close of large
# strata with tied event times in score order. Tolerances as in
# test-cox-fit.R: coefficients and var 1e-6, loglik 1e-9, concordance 1e-4.

# The tight controls of helper-netsurv.R, as values in this file.
tight_coxph <- tight_coxph(toler.chol = 1e-15)
tight_cox <- tight_cox()

test_that("x = TRUE, no intercept and interacting strata keep coxph's design matrix", {
  a <- cox(Surv(time, status) ~ age + factor(ph.ecog) + sex, data = lung, x = TRUE,
           control = tight_cox)
  b <- coxph(Surv(time, status) ~ age + factor(ph.ecog) + sex, data = lung, x = TRUE,
             control = tight_coxph)
  expect_equal(unname(a$x), unname(b$x))
  expect_equal(colnames(a$x), colnames(b$x))
  expect_equal(attr(a$x, "assign"), attr(b$x, "assign"))
  expect_equal(coef(a), coef(b), tolerance = 1e-6)

  a <- cox(Surv(time, status) ~ age + sex - 1, data = lung, control = tight_cox)
  b <- coxph(Surv(time, status) ~ age + sex - 1, data = lung, control = tight_coxph)
  expect_equal(coef(a), coef(b), tolerance = 1e-6)
  expect_equal(a$loglik, b$loglik, tolerance = 1e-9)

  a <- cox(Surv(time, status) ~ age * strata(sex) + ph.karno, data = lung, control = tight_cox)
  b <- coxph(Surv(time, status) ~ age * strata(sex) + ph.karno, data = lung,
             control = tight_coxph)
  expect_equal(unname(coef(a)), unname(coef(b)), tolerance = 1e-6)
  expect_equal(unname(a$var), unname(b$var), tolerance = 1e-6)
})

test_that("a non-finite covariate is still reported by column and row", {
  d <- lung[!is.na(lung$ph.ecog), c("time", "status", "age", "ph.ecog")]
  d$age[7] <- Inf
  expect_error(cox(Surv(time, status) ~ ph.ecog + age, data = d), "covariate `age` in row 7")
})

test_that("the default na.action gives na.omit's frame, with and without missing values", {
  frame <- function(formula, data) netsurv:::survival_frame(
    quote(f(formula = formula, data = data)), environment())
  complete <- lung[stats::complete.cases(lung[c("time", "status", "age", "ph.ecog")]), ]
  fr <- frame(Surv(time, status) ~ age + ph.ecog, complete)
  ref <- stats::model.frame(Surv(time, status) ~ age + ph.ecog, complete, na.action = na.omit)
  expect_equal(lapply(fr$mf, identity), lapply(ref, identity))
  expect_identical(row.names(fr$mf), row.names(ref))
  expect_identical(fr$n_dropped, 0L)

  fr <- frame(Surv(time, status) ~ age + ph.ecog, lung)
  ref <- stats::model.frame(Surv(time, status) ~ age + ph.ecog, lung, na.action = na.omit)
  expect_identical(row.names(fr$mf), row.names(ref))
  expect_identical(fr$n_dropped, 1L)
  expect_identical(attr(fr$mf, "na.action"), attr(ref, "na.action"))

  a <- cox(Surv(time, status) ~ age + ph.ecog, data = lung, control = tight_cox)
  b <- coxph(Surv(time, status) ~ age + ph.ecog, data = lung, control = tight_coxph)
  expect_equal(coef(a), coef(b), tolerance = 1e-6)
  expect_identical(names(a$residuals), names(b$residuals))
  expect_equal(a$n, b$n)
})

test_that("concordance matches coxph with one large stratum, many small ones and tied scores", {
  set.seed(11)
  n <- 3000
  d <- data.frame(x1 = sample(0:4, n, TRUE), x2 = round(rnorm(n), 1),
                  time = sample(1:60, n, TRUE), status = rbinom(n, 1, 0.6),
                  w = sample(1:3, n, TRUE),
                  s = ifelse(seq_len(n) <= 2000, 0L, sample(1:40, n, TRUE)))
  for (f in list(Surv(time, status) ~ x1 + x2,
                 Surv(time, status) ~ x1 + x2 + strata(s))) {
    for (weighted in c(FALSE, TRUE)) {
      if (weighted) {
        a <- cox(f, data = d, weights = w, control = tight_cox)
        b <- coxph(f, data = d, weights = w, control = tight_coxph)
      } else {
        a <- cox(f, data = d, control = tight_cox)
        b <- coxph(f, data = d, control = tight_coxph)
      }
      expect_equal(a$concordance[["concordance"]], b$concordance[["concordance"]],
                   tolerance = 1e-4)
      expect_equal(a$concordance[["std"]], b$concordance[["std"]], tolerance = 1e-4)
      expect_equal(a$concordance[1:5], b$concordance[1:5], tolerance = 1e-4)
    }
  }
})
