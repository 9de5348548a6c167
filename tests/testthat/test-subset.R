# `[` and dim() of curves and `[` of cox_zph results, against survival's.

lung <- survival::lung
fields <- c("n", "time", "n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz",
            "std.chaz", "lower", "upper", "strata")

same_curve <- function(a, b, info = "") {
  for (f in fields) {
    expect_equal(unclass(a)[[f]], unclass(b)[[f]], tolerance = 1e-8, info = paste(info, f),
                 ignore_attr = TRUE)
    expect_equal(names(unclass(a)[[f]]), names(unclass(b)[[f]]), info = paste(info, f, "names"))
  }
}

test_that("km curves index by stratum as survfit does", {
  a <- km(Surv(time, status) ~ ph.ecog, data = lung)
  b <- survival::survfit(Surv(time, status) ~ ph.ecog, data = lung)
  expect_identical(dim(a), dim(b))
  expect_identical(length(a), length(unclass(a)))
  expect_identical(dim(km(Surv(time, status) ~ 1, data = lung)), NULL)
  for (i in list(2, c(1, 3), "ph.ecog=1", c("ph.ecog=2", "ph.ecog=0"), c(TRUE, FALSE, TRUE, FALSE), -1))
    same_curve(a[i], b[i], deparse(i))
  same_curve(a[2, drop = FALSE], b[2, drop = FALSE], "drop = FALSE")
  expect_null(a[2]$strata)
  expect_s3_class(a[2], "netsurv_km")
  expect_equal(quantile(a[2], 0.5, conf.int = FALSE), quantile(b[2], 0.5, conf.int = FALSE),
               ignore_attr = TRUE)
  expect_error(a["ph.ecog=7"], "stratum \"ph.ecog=7\" not found")
  expect_error(km(Surv(time, status) ~ 1, data = lung)[2], "no strata")
  expect_error(a[1, 2], "`j`")
})

test_that("model-based curves index by stratum and profile as survfit.coxph does", {
  f <- cox(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung)
  g <- survival::coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung)
  nd <- data.frame(age = c(50, 60, 70), sex = c(1, 2, 1))
  a <- cox_curve(f, nd)
  b <- survival::survfit(g, newdata = nd)
  expect_identical(dim(a), dim(b))
  same_curve(a[2, 3], b[2, 3], "[2, 3]")
  same_curve(a[c(1, 3), 2:3], b[c(1, 3), 2:3], "[c(1,3), 2:3]")
  same_curve(a[2, ], b[2, ], "[2, ]")
  expect_error(a[2], "fit\\[strata, profiles\\]")
  f1 <- cox(Surv(time, status) ~ age + sex, data = lung)
  g1 <- survival::coxph(Surv(time, status) ~ age + sex, data = lung)
  a1 <- cox_curve(f1, nd)
  b1 <- survival::survfit(g1, newdata = nd)
  expect_identical(dim(a1), dim(b1))
  same_curve(a1[2], b1[2], "profile 2")
  same_curve(a1[c(1, 3)], b1[c(1, 3)], "profiles 1, 3")
})

test_that("cox_zph results index by term and plot one term", {
  a <- cox_zph(cox(Surv(time, status) ~ age + sex + factor(ph.ecog), data = lung))
  b <- survival::cox.zph(survival::coxph(Surv(time, status) ~ age + sex + factor(ph.ecog), data = lung))
  expect_identical(a["sex"], a[2])     # survival's own `[` fails on names here
  for (i in list(2, c(1, 3))) {
    for (f in c("table", "x", "time", "y", "var"))
      expect_equal(unclass(a[i])[[f]], unclass(b[i])[[f]], tolerance = 1e-6, info = f)
  }
  s <- cox_zph(cox(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung))
  t <- survival::cox.zph(survival::coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung))
  expect_equal(unclass(s[2])$y, unclass(t[2])$y, tolerance = 1e-6)
  pdf(NULL)
  on.exit(dev.off(), add = TRUE)
  expect_no_error(plot(a[2]))
  expect_error(a["wt.loss"], "no such term")
})

test_that("cox_zph prints survival's digits", {
  old <- options(digits = 7)
  on.exit(options(old), add = TRUE)
  a <- cox_zph(cox(Surv(time, status) ~ age + sex + wt.loss, data = lung))
  b <- survival::cox.zph(survival::coxph(Surv(time, status) ~ age + sex + wt.loss, data = lung))
  expect_identical(capture.output(print(a)), capture.output(print(b)))
  expect_error(print(a, foo = 1), "`foo`")
})
