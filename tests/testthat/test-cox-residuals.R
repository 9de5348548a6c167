# residuals.netsurv_cox against survival::residuals.coxph (tolerance 1e-5;
# observed differences ~1e-13).
types <- c("martingale", "deviance", "score", "schoenfeld", "scaledsch", "dfbeta", "dfbetas")

expect_resid_match <- function(n, s, tol = 1e-5) {
  for (ty in types) {
    a <- residuals(n, type = ty)
    b <- residuals(s, type = ty)
    expect_equal(a, b, tolerance = tol, label = paste("residuals", ty))
  }
}

test_that("residuals match coxph on lung (efron, breslow, strata)", {
  lung <- survival::lung
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
                         control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
             control = tight_cox())
    expect_resid_match(n, s)
    s <- survival::coxph(Surv(time, status) ~ age + strata(sex), data = lung, ties = ties,
                         control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + strata(sex), data = lung, ties = ties,
             control = tight_cox())
    expect_resid_match(n, s)
  }
})

test_that("residuals match coxph on (start, stop] data: heart", {
  heart <- survival::heart
  for (ties in c("efron", "breslow")) {
    fits <- fit_both(Surv(start, stop, event) ~ age + transplant + surgery, data = heart,
                     ties = ties)
    n <- fits$netsurv
    s <- fits$survival
    expect_resid_match(n, s)
    # collapse by subject, as for time-dependent data
    expect_equal(residuals(n, type = "dfbeta", collapse = heart$id),
                 residuals(s, type = "dfbeta", collapse = heart$id), tolerance = 1e-5)
    expect_equal(residuals(n, type = "deviance", collapse = heart$id),
                 residuals(s, type = "deviance", collapse = heart$id), tolerance = 1e-5)
  }
})

test_that("residuals match coxph on veteran, colon, pbc (factors, many ties)", {
  veteran <- survival::veteran
  s <- survival::coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran,
                       control = tight_coxph())
  n <- cox(Surv(time, status) ~ trt + celltype + karno, data = veteran, control = tight_cox())
  expect_resid_match(n, s)
  colon <- survival::colon[survival::colon$etype == 2, ]
  s <- survival::coxph(Surv(time, status) ~ rx + age + strata(sex), data = colon,
                       ties = "breslow", control = tight_coxph())
  n <- cox(Surv(time, status) ~ rx + age + strata(sex), data = colon, ties = "breslow",
           control = tight_cox())
  expect_resid_match(n, s)
  pbc <- survival::pbc
  pbc$dead <- as.integer(pbc$status == 2)
  s <- survival::coxph(Surv(time, dead) ~ age + log(bili) + edema, data = pbc,
                       control = tight_coxph(), na.action = na.exclude)
  n <- cox(Surv(time, dead) ~ age + log(bili) + edema, data = pbc, control = tight_cox(),
           na.action = na.exclude)
  expect_resid_match(n, s)
})

test_that("residuals match coxph on generated data with weights, strata and intervals", {
  dat <- gen_cox_data()
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(time, status) ~ x1 + x2 + grp + strata(st), data = dat,
                         weights = w, ties = ties, control = tight_coxph())
    n <- cox(Surv(time, status) ~ x1 + x2 + grp + strata(st), data = dat, weights = w,
             ties = ties, control = tight_cox())
    expect_resid_match(n, s)
    # survival 3.5 multiplies by weights[deaths] with `deaths` in sorted
    # order but the weights in data order (a mismatch); netsurv uses each
    # event's own weight.
    sch <- residuals(s, type = "schoenfeld")
    ev <- dat$status == 1
    ord <- order(dat$st[ev], dat$time[ev])
    expect_equal(unname(residuals(n, type = "schoenfeld", weighted = TRUE)),
                 unname(sch * dat$w[ev][ord]), tolerance = 1e-5)
    s <- survival::coxph(Surv(start, time, status) ~ x1 + x2 + strata(st), data = dat,
                         ties = ties, control = tight_coxph())
    n <- cox(Surv(start, time, status) ~ x1 + x2 + strata(st), data = dat, ties = ties,
             control = tight_cox())
    expect_resid_match(n, s)
  }
})

test_that("residuals work from a fit that stored x and y", {
  lung <- survival::lung
  n <- cox(Surv(time, status) ~ age + sex, data = lung, x = TRUE, control = tight_cox())
  s <- survival::coxph(Surv(time, status) ~ age + sex, data = lung, control = tight_coxph())
  expect_resid_match(n, s)
})

test_that("a hand-computable case: two events, Breslow", {
  # Rows (time, status, x): (1, 1, 0), (2, 1, 1), (3, 0, 0); beta fixed at 0
  # by iter.max = 0, so every risk score is 1. At t = 1: 3 at risk,
  # xbar = 1/3, dLambda = 1/3; at t = 2: 2 at risk, xbar = 1/2, dLambda = 1/2.
  d <- data.frame(time = c(1, 2, 3), status = c(1, 1, 0), x = c(0, 1, 0))
  n <- suppressWarnings(cox(Surv(time, status) ~ x, data = d, ties = "breslow",
                            control = cox_control(iter.max = 0)))
  expect_equal(unname(residuals(n)), c(1 - 1/3, 1 - 5/6, -5/6), tolerance = 1e-12)
  # Schoenfeld: x - xbar at each event
  expect_equal(unname(residuals(n, type = "schoenfeld")), c(-1/3, 1/2), tolerance = 1e-12)
  # score: row 1: (0 - 1/3) - (0 - 1/3)/3 = -2/9; row 2: (1 - 1/2) - [(1 - 1/3)/3 +
  # (1 - 1/2)/2] = 1/2 - 2/9 - 1/4; row 3: -[(0 - 1/3)/3 + (0 - 1/2)/2]
  expect_equal(unname(residuals(n, type = "score")),
               c(-2/9, 1/2 - 2/9 - 1/4, 1/9 + 1/4), tolerance = 1e-12)
})

test_that("bad type and collapse give clear errors", {
  n <- cox(Surv(time, status) ~ age, data = survival::lung)
  expect_error(residuals(n, type = "pearson"),
               "`type` must be one of \"martingale\", \"deviance\", \"score\".*not \"pearson\"")
  expect_error(residuals(n, type = "score", collapse = 1:3), "`collapse` must have one value per row")
})

test_that("a collinear column (NA coefficient) gives coxph's residuals", {
  lung <- survival::lung
  lung$age2 <- lung$age * 2
  s <- survival::coxph(Surv(time, status) ~ age + sex + age2, data = lung, control = tight_coxph())
  n <- cox(Surv(time, status) ~ age + sex + age2, data = lung, control = tight_cox())
  expect_true(is.na(coef(n)[["age2"]]))
  expect_resid_match(n, s)
})

test_that("robust (cluster) fits: dfbeta uses the model-based variance, as coxph", {
  heart <- survival::heart
  s <- survival::coxph(Surv(start, stop, event) ~ age + transplant + cluster(id), data = heart,
                       control = tight_coxph())
  n <- cox(Surv(start, stop, event) ~ age + transplant + cluster(id), data = heart,
           control = tight_cox())
  expect_resid_match(n, s)
  expect_equal(predict(n, se.fit = TRUE), predict(s, se.fit = TRUE), tolerance = 1e-5)
})
