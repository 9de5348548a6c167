# cox_zph against survival::cox.zph (tables, scaled residuals, var to 1e-5;
# observed ~1e-12), and anova against anova.coxph.

expect_zph_match <- function(n, s, ...) {
  for (tr in c("km", "rank", "identity", "log")) {
    a <- cox_zph(n, transform = tr, ...)
    b <- survival::cox.zph(s, transform = tr, ...)
    expect_s3_class(a, "netsurv_zph")
    expect_equal(a$table, b$table, tolerance = 1e-5, label = paste("zph table", tr))
    expect_equal(a$y, b$y, tolerance = 1e-5, label = paste("zph y", tr))
    expect_equal(a$x, b$x, tolerance = 1e-5)
    expect_equal(a$time, b$time, tolerance = 1e-5)
    expect_equal(a$var, b$var, tolerance = 1e-5)
    expect_equal(a$strata, b$strata)
    expect_identical(a$transform, b$transform)
  }
}

test_that("cox_zph matches cox.zph on lung, veteran and colon", {
  lung <- survival::lung
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
                         control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
             control = tight_cox())
    expect_zph_match(n, s)
    s <- survival::coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung,
                         ties = ties, control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung, ties = ties,
             control = tight_cox())
    expect_zph_match(n, s)
  }
  veteran <- survival::veteran
  s <- survival::coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran,
                       control = tight_coxph())
  n <- cox(Surv(time, status) ~ trt + celltype + karno, data = veteran, control = tight_cox())
  expect_zph_match(n, s)
  expect_zph_match(n, s, terms = FALSE)
  expect_equal(cox_zph(n, global = FALSE)$table, survival::cox.zph(s, global = FALSE)$table,
               tolerance = 1e-5)
  colon <- survival::colon[survival::colon$etype == 2, ]
  s <- survival::coxph(Surv(time, status) ~ rx + age + strata(sex), data = colon,
                       control = tight_coxph())
  n <- cox(Surv(time, status) ~ rx + age + strata(sex), data = colon, control = tight_cox())
  expect_zph_match(n, s)
})

test_that("cox_zph matches cox.zph on (start, stop] and generated data", {
  heart <- survival::heart
  for (ties in c("efron", "breslow")) {
    fits <- fit_both(Surv(start, stop, event) ~ age + transplant + surgery, data = heart,
                     ties = ties)
    n <- fits$netsurv
    s <- fits$survival
    expect_zph_match(n, s)
  }
  dat <- gen_cox_data(400, seed = 4)
  s <- survival::coxph(Surv(time, status) ~ x1 + x2 + grp + strata(st), data = dat,
                       weights = w, control = tight_coxph())
  n <- cox(Surv(time, status) ~ x1 + x2 + grp + strata(st), data = dat, weights = w,
           control = tight_cox())
  expect_zph_match(n, s)
  s <- survival::coxph(Surv(start, time, status) ~ x1 + x2, data = dat, control = tight_coxph())
  n <- cox(Surv(start, time, status) ~ x1 + x2, data = dat, control = tight_cox())
  expect_zph_match(n, s)
})

test_that("cox_zph prints, plots and rejects bad input", {
  lung <- survival::lung
  n <- cox(Surv(time, status) ~ age + sex, data = lung)
  zp <- cox_zph(n)
  expect_output(print(zp), "GLOBAL")
  with_null_device({
    expect_invisible(plot(zp))
    expect_invisible(plot(zp, resid = FALSE, se = FALSE, var = "sex"))
    expect_error(plot(zp, var = "nope"), "`var` must name or number terms")
  })
  expect_error(cox_zph(n, transform = "sqrt"),
               "`transform` must be one of \"km\", \"rank\", \"identity\", \"log\"; not \"sqrt\"")
  expect_error(cox_zph(lung), "`fit` must be a fit from cox\\(\\)")
})

test_that("anova matches anova.coxph, nested and sequential", {
  lung <- na.omit(survival::lung[, c("time", "status", "age", "sex", "ph.ecog")])
  s1 <- survival::coxph(Surv(time, status) ~ age, data = lung, control = tight_coxph())
  s2 <- survival::coxph(Surv(time, status) ~ age + sex + factor(ph.ecog), data = lung,
                        control = tight_coxph())
  n1 <- cox(Surv(time, status) ~ age, data = lung, control = tight_cox())
  n2 <- cox(Surv(time, status) ~ age + sex + factor(ph.ecog), data = lung, control = tight_cox())
  a <- anova(n1, n2)
  b <- anova(s1, s2)
  expect_s3_class(a, "anova")
  expect_equal(as.data.frame(a), as.data.frame(b), tolerance = 1e-6, ignore_attr = TRUE)
  a <- anova(n2)
  b <- anova(s2)
  expect_equal(row.names(a), row.names(b))
  expect_equal(as.data.frame(a), as.data.frame(b), tolerance = 1e-6, ignore_attr = TRUE)
  s3 <- survival::coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung,
                        ties = "breslow", control = tight_coxph())
  n3 <- cox(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung, ties = "breslow",
            control = tight_cox())
  expect_equal(as.data.frame(anova(n3)), as.data.frame(anova(s3)), tolerance = 1e-6,
               ignore_attr = TRUE)
  expect_output(print(anova(n3)), "Terms added sequentially")
  n4 <- cox(Surv(time, status) ~ age, data = survival::lung)
  expect_error(anova(n1, n4), "same number of rows")
  expect_error(anova(n1, lm(1 ~ 1)), "must be a fit from cox\\(\\)")
  # robust fits: refused, as anova.coxph refuses them
  lung$w <- rep(c(0.5, 1.5), length.out = nrow(lung))
  r1 <- cox(Surv(time, status) ~ age + sex, data = lung, weights = w)
  expect_error(anova(survival::coxph(Surv(time, status) ~ age + sex, data = lung,
                                 weights = w)), "robust")
  expect_error(anova(r1), "the fit uses the robust variance")
  expect_error(anova(n1, cox(Surv(time, status) ~ age + cluster(sex), data = lung)),
               "model 2 uses the robust variance")
  # robust = FALSE: the model-based fit. (anova.coxph's sequential refits
  # drop the weights in survival 3.5-3, giving a chi-square of -10.4 here;
  # the oracle is the weighted submodels fitted by coxph directly.)
  r0 <- cox(Surv(time, status) ~ age + sex, data = lung, weights = w, robust = FALSE,
            control = tight_cox())
  ll <- vapply(list(~ age, ~ age + sex), function(rhs) {
    f <- stats::update(Surv(time, status) ~ 1, rhs)
    survival::coxph(f, data = lung, weights = w, robust = FALSE, control = tight_coxph())$loglik[2]
  }, 1)
  null <- survival::coxph(Surv(time, status) ~ age, data = lung, weights = w)$loglik[1]
  a <- anova(r0)
  expect_equal(a$loglik, c(null, ll), tolerance = 1e-9)
  expect_equal(a$Chisq[-1], 2 * diff(c(null, ll)), tolerance = 1e-6)
})
