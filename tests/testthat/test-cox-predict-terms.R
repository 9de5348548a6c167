# predict(type = "terms") against predict.coxph (tolerance 1e-8).

lung <- survival::lung

test_that("type = \"terms\" equals predict.coxph's", {
  d <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")])
  for (f in list(Surv(time, status) ~ age + sex,
                 Surv(time, status) ~ age + factor(ph.ecog) + sex:age,
                 Surv(time, status) ~ age + wt.loss + strata(sex))) {
    a <- cox(f, data = d)
    b <- survival::coxph(f, data = d)
    pa <- predict(a, type = "terms", se.fit = TRUE)
    pb <- predict(b, type = "terms", se.fit = TRUE)
    expect_equal(pa$fit, pb$fit, tolerance = 1e-8)
    expect_equal(pa$se.fit, pb$se.fit, tolerance = 1e-8)
    expect_equal(attr(pa$fit, "constant"), attr(pb$fit, "constant"), tolerance = 1e-8)
    nd <- d[c(3, 8, 20), ]
    expect_equal(predict(a, nd, type = "terms"), predict(b, nd, type = "terms"), tolerance = 1e-8)
    expect_equal(predict(a, type = "terms", reference = "zero"),
                 predict(b, type = "terms", reference = "zero"), tolerance = 1e-8)
  }
  a <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = d)
  b <- survival::coxph(Surv(time, status) ~ age + sex + ph.ecog, data = d)
  expect_equal(predict(a, type = "terms", terms = c("sex", "age")),
               predict(b, type = "terms", terms = c("sex", "age")), tolerance = 1e-8)
  expect_equal(predict(a, type = "terms", terms = 2), predict(b, type = "terms", terms = 2),
               tolerance = 1e-8)
  # the terms add up to the centred linear predictor
  expect_equal(unname(rowSums(predict(a, type = "terms"))), unname(predict(a, type = "lp")),
               tolerance = 1e-10)
  expect_error(predict(a, type = "terms", terms = "wt.loss"), "not a term")
  # without strata, reference = "strata" centres at the overall means (as
  # predict.coxph); stratified fits: test-cox-newdata.R
  expect_equal(predict(a, type = "terms", reference = "strata"),
               predict(b, type = "terms", reference = "strata"), tolerance = 1e-8)
})
