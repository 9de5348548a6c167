# survival's idioms on cox() fits, against coxph: model.matrix, extractAIC,
# drop1/step, concordance, id = and cluster =, ties = "exact" accepted.

lung <- survival::lung

test_that("model.matrix() and extractAIC() equal coxph's; drop1() and step() work", {
  d <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss", "inst")])
  for (f in list(Surv(time, status) ~ age + sex + ph.ecog + strata(inst > 10),
                 Surv(time, status) ~ age + factor(ph.ecog),
                 Surv(time, status) ~ age * sex + cluster(inst))) {
    a <- cox(f, data = d)
    b <- survival::coxph(f, data = d)
    expect_equal(model.matrix(a), model.matrix(b), tolerance = 1e-12)
    expect_equal(model.matrix(cox(f, data = d, x = TRUE)), model.matrix(b), tolerance = 1e-12,
                 ignore_attr = TRUE)
    expect_equal(extractAIC(a), extractAIC(b), tolerance = 1e-9)
    expect_equal(extractAIC(a, k = log(a$nevent)), extractAIC(b, k = log(b$nevent)), tolerance = 1e-9)
    da <- drop1(a)
    db <- drop1(b)
    expect_equal(da$AIC, db$AIC, tolerance = 1e-8)
    expect_equal(da$Df, db$Df)
    expect_identical(rownames(da), rownames(db))
  }
  f <- Surv(time, status) ~ age + sex + ph.ecog + wt.loss
  s1 <- step(cox(f, data = d), trace = 0)
  s2 <- step(survival::coxph(f, data = d), trace = 0)
  expect_equal(coef(s1), coef(s2), tolerance = 1e-6)
  expect_equal(s1$anova$AIC, s2$anova$AIC, tolerance = 1e-8)
  expect_error(model.matrix(cox(f, data = d), data = d), "`data`")
})

test_that("concordance() gives coxph's concordance and variance", {
  for (f in list(Surv(time, status) ~ age + sex, Surv(time, status) ~ age + strata(sex),
                 Surv(time, status) ~ ph.ecog + cluster(inst))) {
    a <- concordance(cox(f, data = lung))
    b <- survival::concordance(survival::coxph(f, data = lung))
    expect_s3_class(a, "concordance")
    expect_equal(a$concordance, b$concordance, tolerance = 1e-9)
    expect_equal(a$var, b$var, tolerance = 1e-8)
    expect_equal(a$n, b$n)
    expect_equal(unname(a$count), unname(if (is.matrix(b$count)) colSums(b$count) else b$count))
  }
  expect_output(print(a), "Concordance=")
  fit <- cox(Surv(time, status) ~ age, data = lung)
  expect_error(concordance(fit, timewt = "n/G2"), "`timewt`")
  expect_error(concordance(fit, fit), "unnamed argument")
})

test_that("id = and cluster = give coxph's robust variance", {
  cgd <- survival::cgd
  a <- cox(Surv(tstart, tstop, status) ~ treat + age, data = cgd, id = id)
  b <- survival::coxph(Surv(tstart, tstop, status) ~ treat + age, data = cgd, id = id)
  expect_equal(unname(vcov(a)), unname(vcov(b)), tolerance = 1e-6)
  expect_equal(unname(a$naive.var), unname(b$naive.var), tolerance = 1e-6)
  expect_equal(unname(a$rscore), unname(b$rscore), tolerance = 1e-6)
  # id with one event per subject: no robust variance, as coxph
  h <- survival::heart
  a <- cox(Surv(start, stop, event) ~ age + transplant, data = h, id = id)
  b <- survival::coxph(Surv(start, stop, event) ~ age + transplant, data = h, id = id)
  expect_null(a$naive.var)
  expect_equal(unname(vcov(a)), unname(vcov(b)), tolerance = 1e-6)
  a <- cox(Surv(start, stop, event) ~ age + transplant, data = h, id = id, robust = TRUE)
  b <- survival::coxph(Surv(start, stop, event) ~ age + transplant, data = h, id = id, robust = TRUE)
  expect_equal(unname(vcov(a)), unname(vcov(b)), tolerance = 1e-6)
  a <- cox(Surv(time, status) ~ age + sex, data = lung, cluster = inst)
  b <- survival::coxph(Surv(time, status) ~ age + sex, data = lung, cluster = inst)
  expect_equal(unname(vcov(a)), unname(vcov(b)), tolerance = 1e-6)
  expect_equal(unname(vcov(a)),
               unname(vcov(cox(Surv(time, status) ~ age + sex + cluster(inst), data = lung))),
               tolerance = 1e-12)
  expect_error(cox(Surv(time, status) ~ age + cluster(inst), data = lung, cluster = inst),
               "not both")
  expect_error(cox(Surv(time, status) ~ age, data = lung, cluster = inst, robust = FALSE),
               "would be ignored")
  # diagnostics rebuild the data of such fits
  expect_equal(unname(residuals(a, type = "dfbeta")),
               unname(residuals(b, type = "dfbeta")), tolerance = 1e-6)
})

test_that("ties = \"exact\" is accepted (its numbers: test-cox-exact.R)", {
  expect_identical(cox(Surv(time, status) ~ age, data = lung, ties = "exact")$method, "exact")
})
