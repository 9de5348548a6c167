# predict.netsurv_cox and basehaz against survival (predictions 1e-6,
# standard errors 1e-5; observed ~1e-13).

expect_predict_match <- function(n, s, newdata = NULL, types = c("lp", "risk", "expected", "survival"),
                                 refs = c("strata", "sample", "zero")) {
  for (ty in types) for (ref in refs) {
    a <- if (is.null(newdata)) predict(n, type = ty, se.fit = TRUE, reference = ref)
         else predict(n, newdata, type = ty, se.fit = TRUE, reference = ref)
    b <- if (is.null(newdata)) predict(s, type = ty, se.fit = TRUE, reference = ref)
         else predict(s, newdata, type = ty, se.fit = TRUE, reference = ref)
    expect_equal(a$fit, b$fit, tolerance = 1e-6, label = paste("predict", ty, ref))
    expect_equal(a$se.fit, b$se.fit, tolerance = 1e-5, label = paste("se", ty, ref))
    a0 <- if (is.null(newdata)) predict(n, type = ty, reference = ref)
          else predict(n, newdata, type = ty, reference = ref)
    b0 <- if (is.null(newdata)) predict(s, type = ty, reference = ref)
          else predict(s, newdata, type = ty, reference = ref)
    expect_equal(a0, b0, tolerance = 1e-6, label = paste("predict", ty, ref, "without se"))
  }
}

test_that("predict matches predict.coxph on lung, with and without newdata", {
  lung <- survival::lung
  nd <- data.frame(age = c(50, 70, 61), sex = c(1, 2, 2), ph.ecog = c(0, 2, 1),
                   time = c(200, 400, 10), status = c(1, 0, 1))
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
                         control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
             control = tight_cox())
    expect_predict_match(n, s)
    expect_predict_match(n, s, nd)
    s <- survival::coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung,
                         ties = ties, control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung, ties = ties,
             control = tight_cox())
    expect_predict_match(n, s)
    expect_predict_match(n, s, nd)
  }
})

test_that("predict matches on (start, stop] data, factors and generated data", {
  heart <- survival::heart
  s <- survival::coxph(Surv(start, stop, event) ~ age + transplant, data = heart,
                       control = tight_coxph())
  n <- cox(Surv(start, stop, event) ~ age + transplant, data = heart, control = tight_cox())
  expect_predict_match(n, s)
  veteran <- survival::veteran
  s <- survival::coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran,
                       ties = "breslow", control = tight_coxph())
  n <- cox(Surv(time, status) ~ trt + celltype + karno, data = veteran, ties = "breslow",
           control = tight_cox())
  nd <- data.frame(trt = c(1, 2), celltype = c("squamous", "large"), karno = c(60, 80),
                   time = c(100, 50), status = c(1, 0))
  expect_predict_match(n, s)
  expect_predict_match(n, s, nd)
  dat <- gen_cox_data(300, seed = 2)
  s <- survival::coxph(Surv(time, status) ~ x1 + grp + strata(st), data = dat, weights = w,
                       control = tight_coxph())
  n <- cox(Surv(time, status) ~ x1 + grp + strata(st), data = dat, weights = w,
           control = tight_cox())
  expect_predict_match(n, s)
  expect_predict_match(n, s, dat[1:20, ])
})

test_that("predict keeps na.exclude padding and collapses", {
  lung <- survival::lung
  s <- survival::coxph(Surv(time, status) ~ age + ph.ecog, data = lung,
                       na.action = na.exclude, control = tight_coxph())
  n <- cox(Surv(time, status) ~ age + ph.ecog, data = lung, na.action = na.exclude,
           control = tight_cox())
  expect_equal(predict(n, type = "risk"), predict(s, type = "risk"), tolerance = 1e-6)
  expect_length(predict(n, type = "risk"), nrow(lung))
  s <- survival::coxph(Surv(time, status) ~ age + ph.ecog, data = lung, control = tight_coxph())
  n <- cox(Surv(time, status) ~ age + ph.ecog, data = lung, control = tight_cox())
  g <- rep(1:4, length.out = sum(!is.na(lung$ph.ecog)))
  expect_equal(predict(n, type = "lp", se.fit = TRUE, collapse = g),
               predict(s, type = "lp", se.fit = TRUE, collapse = g), tolerance = 1e-6)
})

test_that("basehaz matches survival::basehaz", {
  lung <- survival::lung
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(time, status) ~ age + sex, data = lung, ties = ties,
                         control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + sex, data = lung, ties = ties, control = tight_cox())
    expect_equal(basehaz(n), survival::basehaz(s), tolerance = 1e-6)
    expect_equal(basehaz(n, centered = FALSE), survival::basehaz(s, centered = FALSE),
                 tolerance = 1e-6)
    s <- survival::coxph(Surv(time, status) ~ age + strata(sex), data = lung, ties = ties,
                         control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + strata(sex), data = lung, ties = ties,
             control = tight_cox())
    expect_equal(basehaz(n), survival::basehaz(s), tolerance = 1e-6)
  }
  heart <- survival::heart
  s <- survival::coxph(Surv(start, stop, event) ~ age + transplant, data = heart,
                       control = tight_coxph())
  n <- cox(Surv(start, stop, event) ~ age + transplant, data = heart, control = tight_cox())
  expect_equal(basehaz(n), survival::basehaz(s), tolerance = 1e-6)
})

test_that("basehaz by hand: no covariate effect gives the Nelson-Aalen hazard", {
  d <- data.frame(time = c(1, 2, 2, 3, 4), status = c(1, 1, 0, 1, 0), x = c(1, 1, 2, 2, 3))
  n <- suppressWarnings(cox(Surv(time, status) ~ x, data = d, ties = "breslow",
                            control = cox_control(iter.max = 0)))
  expect_equal(basehaz(n)$hazard, cumsum(c(1/5, 1/4, 1/2, 0)), tolerance = 1e-12)
  expect_equal(basehaz(n)$time, c(1, 2, 3, 4))
})

test_that("bad newdata and type give errors naming the column", {
  lung <- survival::lung
  n <- cox(Surv(time, status) ~ age + factor(ph.ecog) + sex, data = lung)
  expect_error(predict(n, data.frame(age = 60, sex = 1)),
               "`newdata` lacks the column `ph.ecog`")
  expect_error(predict(n, data.frame(age = 60, sex = 1, ph.ecog = 7)),
               "column `ph.ecog` has the level \"7\" in row 1 that the fit did not see")
  expect_error(predict(n, data.frame(age = c(60, NA), sex = 1, ph.ecog = 1)),
               "column `age` is missing \\(NA\\) in row 2")
  # type = "terms" is available now (test-cox-predict-terms.R)
  expect_error(predict(n, type = "partial"),
               "`type` must be one of \"lp\", \"risk\", \"expected\", \"terms\", \"survival\"; not \"partial\"")
  expect_error(predict(n, data.frame(age = 60, sex = 1, ph.ecog = 1), type = "expected"),
               "lacks the column `time`")
  expect_error(predict(n, reference = "median"), "`reference` must be one of")
  ns <- cox(Surv(time, status) ~ age + strata(sex), data = lung)
  expect_error(predict(ns, data.frame(age = 60, sex = 3), type = "expected"),
               "lacks the column `time`")
  expect_error(predict(ns, data.frame(age = 60, sex = 3, time = 100, status = 1),
                       type = "expected"), "column `sex` has the level \"sex=3\" in row 1 that the fit did not see")
})

test_that("offsets: predictions, curves and the zph test match coxph", {
  lung <- survival::lung
  lung$o <- lung$wt.loss / 100
  lung2 <- na.omit(lung[, c("time", "status", "age", "sex", "o")])
  s <- survival::coxph(Surv(time, status) ~ age + sex + offset(o), data = lung2,
                       control = tight_coxph())
  n <- cox(Surv(time, status) ~ age + sex + offset(o), data = lung2, control = tight_cox())
  nd <- data.frame(age = c(50, 60), sex = 1:2, o = c(0.1, -0.2), time = 100, status = 1)
  expect_predict_match(n, s, types = c("lp", "risk", "expected"), refs = "sample")
  # predict.coxph centres a new offset at the fit's mean offset with
  # se.fit = TRUE but not without; netsurv always does (the first).
  for (ty in c("lp", "risk")) {
    b <- predict(s, nd, type = ty, se.fit = TRUE)
    expect_equal(predict(n, nd, type = ty, se.fit = TRUE), b, tolerance = 1e-6)
    expect_equal(predict(n, nd, type = ty), b$fit, tolerance = 1e-6)
  }
  expect_equal(cox_curve(n, nd)$surv, survival::survfit(s, newdata = nd)$surv, tolerance = 1e-6)
  expect_equal(residuals(n, type = "dfbeta"), residuals(s, type = "dfbeta"), tolerance = 1e-5)
  expect_equal(cox_zph(n)$table, survival::cox.zph(s)$table, tolerance = 1e-5)
})
