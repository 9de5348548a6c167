# confint(method = "profile") against the profile likelihood computed with
# coxph: for coefficient j at value b, coxph(... + offset(b * x_j)) with the
# other covariates maximises the likelihood with beta_j fixed at b.

test_that("profile-likelihood limits equal coxph's profile, to 1e-5", {
  lung <- na.omit(survival::lung[, c("time", "status", "age", "sex", "ph.ecog")])
  fit <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
  ci <- confint(fit, method = "profile")
  ref <- survival::coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
  lmax <- ref$loglik[2]
  vars <- c("age", "sex", "ph.ecog")
  for (j in seq_along(vars)) {
    others <- setdiff(vars, vars[j])
    prof <- function(b) {
      lung$off <- b * lung[[vars[j]]]
      f <- stats::as.formula(paste("Surv(time, status) ~", paste(others, collapse = " + "),
                                   "+ offset(off)"))
      m <- survival::coxph(f, data = lung, control = survival::coxph.control(eps = 1e-12, toler.chol = 1e-13))
      2 * (lmax - m$loglik[2]) - qchisq(0.95, 1)
    }
    for (side in 1:2) {
      expect_lt(abs(prof(ci[j, side])), 1e-6)
      # and the Wald limit is on the right side of the root
    }
    expect_true(ci[j, 1] < coef(fit)[j] && coef(fit)[j] < ci[j, 2])
  }
  # close to Wald for a near-quadratic likelihood
  expect_equal(unname(ci), unname(confint(fit)), tolerance = 0.05)
  expect_identical(dimnames(ci), dimnames(confint(fit)))
  ci90 <- confint(fit, parm = "sex", level = 0.9, method = "profile")
  expect_true(ci90[1] > ci["sex", 1] && ci90[2] < ci["sex", 2])
  expect_error(confint(fit, method = "boot"), "`method`")
})

test_that("profile limits with strata, ties and Breslow", {
  v <- survival::veteran
  fit <- cox(Surv(time, status) ~ karno + strata(celltype), data = v, ties = "breslow")
  ci <- confint(fit, method = "profile", level = 0.9)
  ref <- survival::coxph(Surv(time, status) ~ karno + strata(celltype), data = v, ties = "breslow")
  prof <- function(b) {
    m <- survival::coxph(Surv(time, status) ~ offset(b * karno) + strata(celltype), data = v,
                         ties = "breslow")
    2 * (ref$loglik[2] - m$loglik) - qchisq(0.9, 1)
  }
  expect_lt(abs(prof(ci[1, 1])), 1e-6)
  expect_lt(abs(prof(ci[1, 2])), 1e-6)
})
