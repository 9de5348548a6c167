# augment(), and tidy()/glance() of cox_zph tests and anova tables, against
# broom's methods for the survival objects.

lung <- survival::lung

test_that("augment() of a Cox fit equals broom's augment.coxph", {
  skip_if_not_installed("broom")
  for (f in list(Surv(time, status) ~ age + sex, Surv(time, status) ~ age + wt.loss + strata(sex))) {
    a <- cox(f, data = lung)
    b <- survival::coxph(f, data = lung)
    for (tp in c("lp", "risk", "expected")) {
      x <- augment(a, data = lung, type.predict = tp)
      y <- as.data.frame(broom::augment(b, data = lung, type.predict = tp))
      expect_identical(names(x), names(y))
      expect_equal(x$.fitted, y$.fitted, tolerance = 1e-6, info = tp)
      expect_equal(x$.se.fit, y$.se.fit, tolerance = 1e-6, info = tp)
      expect_equal(x$.resid, y$.resid, tolerance = 1e-6, info = tp)
      expect_identical(nrow(x), nrow(y))
    }
    x <- augment(a, data = lung, type.residuals = "deviance")
    y <- as.data.frame(broom::augment(b, data = lung, type.residuals = "deviance"))
    expect_equal(x$.resid, y$.resid, tolerance = 1e-6)
  }
  a <- cox(Surv(time, status) ~ age + sex, data = lung)
  b <- survival::coxph(Surv(time, status) ~ age + sex, data = lung)
  nd <- data.frame(age = c(50, 60, 70), sex = c(1, 2, 1))
  x <- augment(a, newdata = nd, type.predict = "risk")
  y <- as.data.frame(broom::augment(b, newdata = nd, type.predict = "risk"))
  expect_identical(names(x), names(y))
  expect_equal(x$.fitted, y$.fitted, tolerance = 1e-8)
  expect_equal(x$.se.fit, y$.se.fit, tolerance = 1e-8)
  expect_error(augment(a), "`data`")
  expect_error(augment(a, data = lung[1:10, ]), "rows")
  expect_error(augment(a, data = lung, foo = 1), "`foo`")
})

test_that("augment() of a km curve reads the curve at each row's time", {
  fit <- km(Surv(time, status) ~ sex, data = lung)
  ref <- survival::survfit(Surv(time, status) ~ sex, data = lung)
  x <- augment(fit, data = lung)
  expect_identical(nrow(x), nrow(lung))
  for (i in c(1, 17, 100, 228)) {
    s <- summary(ref[paste0("sex=", lung$sex[i])], times = lung$time[i])
    expect_equal(x$.fitted[i], s$surv, tolerance = 1e-12)
    expect_equal(x$.se.fit[i], s$std.err, tolerance = 1e-12)
    expect_equal(x$.cumhaz[i], s$cumhaz, tolerance = 1e-12)
    expect_identical(x$.strata[i], paste0("sex=", lung$sex[i]))
  }
  x1 <- augment(km(Surv(time, status) ~ 1, data = lung, subset = age > 60), data = lung)
  expect_identical(nrow(x1), sum(lung$age > 60))
})

test_that("tidy() and glance() of cox_zph and anova use broom's columns", {
  skip_if_not_installed("broom")
  a <- cox(Surv(time, status) ~ age + sex, data = lung)
  b <- survival::coxph(Surv(time, status) ~ age + sex, data = lung)
  zp <- cox_zph(a)
  tz <- tidy(zp)
  ref <- survival::cox.zph(b)$table
  expect_identical(tz$term, c("age", "sex", "GLOBAL"))
  expect_equal(tz$statistic, unname(ref[, "chisq"]), tolerance = 1e-6)
  expect_equal(tz$p.value, unname(ref[, "p"]), tolerance = 1e-6)
  gz <- glance(zp)
  expect_identical(names(gz), c("statistic", "df", "p.value"))
  expect_equal(gz$statistic, unname(ref["GLOBAL", "chisq"]), tolerance = 1e-6)
  ta <- tidy(anova(a))
  tb <- as.data.frame(broom::tidy(anova(b)))
  expect_identical(names(ta), names(tb))
  expect_identical(ta$term, tb$term)
  expect_equal(ta$statistic, tb$statistic, tolerance = 1e-6)
  expect_equal(ta$p.value, tb$p.value, tolerance = 1e-6)
  a1 <- cox(Surv(time, status) ~ age, data = lung)
  b1 <- survival::coxph(Surv(time, status) ~ age, data = lung)
  tc <- tidy(anova(a1, a))
  td <- as.data.frame(broom::tidy(anova(b1, b)))
  expect_identical(tc$term, td$term)
  expect_equal(tc$logLik, td$logLik, tolerance = 1e-8)
  expect_equal(tc$statistic, td$statistic, tolerance = 1e-6)
  expect_identical(dim(glance(anova(a))), dim(as.data.frame(broom::glance(anova(b)))))
  expect_output(print(anova(a)), "Analysis of Deviance")
})
