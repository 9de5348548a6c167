# cox() against survival::coxph (the oracle) fitted with a tight tolerance.
# Tolerances (relative unless said): coefficients, var, score and Wald tests
# 1e-6; loglik 1e-9; linear predictors and martingale residuals 1e-6
# (absolute); concordance and its standard error 1e-4.

# The tight controls of helper-netsurv.R, as values in this file.
tight_coxph <- tight_coxph(toler.chol = 1e-15)
tight_cox <- tight_cox()

# Fits both models from one formula and argument list (built with bquote so
# that weights and cluster variables are looked up in `data`).
both <- function(formula, data, ...) {
  args <- list(...)
  a <- eval(bquote(cox(.(formula), data = data, control = tight_cox, ..(args)), splice = TRUE))
  b <- suppressWarnings(eval(bquote(coxph(.(formula), data = data, control = tight_coxph,
                                          ..(args)), splice = TRUE)))
  list(a = a, b = b)
}

expect_matches_coxph <- function(fits, robust = FALSE) {
  a <- fits$a
  b <- fits$b
  expect_s3_class(a, "netsurv_cox")
  expect_equal(coef(a), coef(b), tolerance = 1e-6)
  expect_equal(unname(a$var), unname(b$var), tolerance = 1e-6)
  expect_equal(a$loglik, b$loglik, tolerance = 1e-9)
  expect_equal(a$score, b$score, tolerance = 1e-6)
  expect_equal(a$wald.test, unname(b$wald.test), tolerance = 1e-6)
  expect_equal(a$linear.predictors, b$linear.predictors, tolerance = 1e-6)
  expect_equal(a$residuals, b$residuals, tolerance = 1e-6)
  expect_equal(a$means, b$means, tolerance = 1e-9)
  expect_identical(a$n, b$n)
  expect_equal(a$nevent, b$nevent)
  expect_equal(a$concordance[["concordance"]], b$concordance[["concordance"]], tolerance = 1e-4)
  expect_equal(a$concordance[["std"]], b$concordance[["std"]], tolerance = 1e-4)
  expect_equal(a$concordance[1:5], b$concordance[1:5], tolerance = 1e-4)
  if (robust) {
    expect_equal(unname(a$naive.var), unname(b$naive.var), tolerance = 1e-6)
    expect_equal(a$rscore, b$rscore, tolerance = 1e-6)
  }
}

test_that("right-censored fits match coxph: lung, veteran, colon, pbc, ovarian (efron and breslow)", {
  for (ties in c("efron", "breslow")) {
    expect_matches_coxph(both(Surv(time, status) ~ age + sex + ph.karno, survival::lung, ties = ties))
    expect_matches_coxph(both(Surv(time, status) ~ trt + celltype + karno + diagtime + age + prior,
                              survival::veteran, ties = ties))
    expect_matches_coxph(both(Surv(time, status) ~ rx + sex + age + obstruct + nodes,
                              subset(survival::colon, etype == 2), ties = ties))
    expect_matches_coxph(both(Surv(time, status == 2) ~ age + edema + log(bili) + log(albumin),
                              survival::pbc, ties = ties))
    expect_matches_coxph(both(Surv(futime, fustat) ~ age + ecog.ps + rx, survival::ovarian,
                              ties = ties))
  }
})

test_that("factors, interactions and transformations match coxph", {
  fits <- both(Surv(time, status) ~ age * sex + factor(ph.ecog) + log(meal.cal), survival::lung)
  expect_matches_coxph(fits)
  expect_identical(names(coef(fits$a)), names(coef(fits$b)))
  expect_identical(fits$a$xlevels, fits$b$xlevels)
  expect_identical(fits$a$assign, fits$b$assign)
  expect_identical(fits$a$contrasts, fits$b$contrasts)
})

test_that("strata match coxph (colon by etype, lung by inst, cgd by hospital)", {
  expect_matches_coxph(both(Surv(time, status) ~ rx + sex + age + nodes + strata(etype),
                            survival::colon))
  expect_matches_coxph(both(Surv(time, status) ~ age + sex + strata(inst), survival::lung,
                            ties = "breslow"))
  fits <- both(Surv(time, status) ~ age + strata(sex, ph.ecog), survival::lung)
  expect_matches_coxph(fits)
  b <- coxph(Surv(time, status) ~ age + strata(sex, ph.ecog), survival::lung, x = TRUE)
  expect_identical(as.character(fits$a$strata), as.character(b$strata))
})

test_that("case weights and offsets match coxph", {
  d <- survival::lung
  d$w <- rep(c(1, 2, 3), length.out = nrow(d))
  expect_matches_coxph(both(Surv(time, status) ~ age + sex + ph.ecog, d, weights = quote(w)))
  expect_matches_coxph(both(Surv(time, status) ~ age + sex + ph.ecog, d, weights = quote(w),
                            ties = "breslow"))
  d$w2 <- rep(c(0.5, 1.7, 3.1), length.out = nrow(d))
  expect_matches_coxph(both(Surv(time, status) ~ age + sex, d, weights = quote(w2),
                            robust = FALSE))
  expect_matches_coxph(both(Surv(futime, fustat) ~ ecog.ps + rx + offset(log(age)),
                            survival::ovarian))
})

test_that("(start, stop] data match coxph (heart, cgd) including strata", {
  for (ties in c("efron", "breslow")) {
    expect_matches_coxph(both(Surv(start, stop, event) ~ age + year + surgery + transplant,
                              survival::heart, ties = ties))
    expect_matches_coxph(both(Surv(tstart, tstop, status) ~ treat + sex + age + inherit +
                                steroids + strata(hos.cat), survival::cgd, ties = ties))
  }
})

test_that("cluster() and robust = TRUE match coxph's sandwich variance (lung, rats, heart, cgd)", {
  expect_matches_coxph(both(Surv(time, status) ~ age + sex + cluster(inst), survival::lung),
                       robust = TRUE)
  expect_matches_coxph(both(Surv(time, status) ~ age + sex, survival::lung, robust = TRUE),
                       robust = TRUE)
  expect_matches_coxph(both(Surv(time, status) ~ rx + sex + cluster(litter), survival::rats,
                            ties = "breslow"), robust = TRUE)
  expect_matches_coxph(both(Surv(start, stop, event) ~ age + surgery + transplant + cluster(id),
                            survival::heart), robust = TRUE)
  expect_matches_coxph(both(Surv(tstart, tstop, status) ~ treat + age + cluster(id) +
                              strata(hos.cat), survival::cgd), robust = TRUE)
  d <- survival::lung
  d$w <- rep(c(0.5, 1.7, 3.1), length.out = nrow(d))
  expect_matches_coxph(both(Surv(time, status) ~ age + sex + cluster(inst), d, weights = quote(w)),
                       robust = TRUE)
})

test_that("collinear and constant columns get NA coefficients, as in coxph", {
  d <- survival::lung
  d$age2 <- 2 * d$age + 1
  d$one <- 1
  fits <- both(Surv(time, status) ~ age + sex + age2 + one + ph.ecog, d)
  expect_matches_coxph(fits)
  expect_identical(is.na(coef(fits$a)), is.na(coef(fits$b)))
  expect_true(all(is.na(coef(fits$a)[c("age2", "one")])))
  expect_equal(unname(diag(fits$a$var))[3:4], c(0, 0))
})

test_that("generated data with heavy ties, strata, weights and counting process match coxph", {
  set.seed(20240401)
  n <- 3000
  d <- data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.4), x3 = runif(n, 0, 10),
                  g = factor(sample(letters[1:4], n, TRUE)), s = sample(1:3, n, TRUE),
                  w = runif(n, 0.2, 3), cl = sample(1:200, n, TRUE))
  lin <- 0.5 * d$x1 - 0.7 * d$x2 + 0.1 * d$x3 + c(0, 0.3, -0.2, 0.5)[as.integer(d$g)]
  d$time <- round(rexp(n, exp(lin)) * 10) / 10 + 0.1
  d$status <- rbinom(n, 1, 0.7)
  d$start <- pmax(0, d$time - round(runif(n, 0.1, 2), 1))
  d$start[d$start >= d$time] <- 0
  for (ties in c("efron", "breslow")) {
    # coxph turns robust on by itself for non-integer weights: ask for the
    # model-based variance explicitly.
    expect_matches_coxph(both(Surv(time, status) ~ x1 + x2 + x3 + g + strata(s), d,
                              weights = quote(w), ties = ties, robust = FALSE))
    expect_matches_coxph(both(Surv(start, time, status) ~ x1 + x2 + x3 + g + cluster(cl), d,
                              ties = ties), robust = TRUE)
  }
})

test_that("non-integer weights make the variance robust by default, as in coxph", {
  set.seed(20261201)
  n <- 400
  d <- data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.4), s = sample(1:3, n, TRUE),
                  w = sample(c(0.5, 1, 1.5, 2.25, 3), n, TRUE), cl = sample(1:40, n, TRUE))
  d$time <- round(rexp(n, exp(0.5 * d$x1 - 0.4 * d$x2)) * 20) / 20 + 0.05
  d$status <- rbinom(n, 1, 0.7)
  d$start <- pmax(0, d$time - round(runif(n, 0.1, 1), 1))
  d$start[d$start >= d$time] <- 0
  for (ties in c("efron", "breslow")) {
    # robust not given: coxph's default, each row its own cluster, on both kinds of data
    for (f in list(Surv(time, status) ~ x1 + x2 + strata(s),
                   Surv(start, time, status) ~ x1 + x2)) {
      fits <- both(f, d, weights = quote(w), ties = ties)
      expect_true(fits$a$robust)
      expect_matches_coxph(fits, robust = TRUE)
    }
    # robust = FALSE keeps the model-based variance (coxph's too)
    fits <- both(Surv(time, status) ~ x1 + x2, d, weights = quote(w), ties = ties, robust = FALSE)
    expect_false(fits$a$robust)
    expect_null(fits$a$naive.var)
    expect_matches_coxph(fits)
  }
  # whole-number weights are frequencies: no robust variance unless asked for
  d$iw <- round(2 * d$w)
  fits <- both(Surv(time, status) ~ x1 + x2, d, weights = quote(iw))
  expect_false(fits$a$robust)
  expect_matches_coxph(fits)
  # Firth's fits follow coxphf, which has no such rule
  expect_false(cox(Surv(time, status) ~ x1 + x2, d, weights = w, firth = TRUE)$robust)
})

test_that("defaults converge to the same answer as the tight fit", {
  a <- cox(Surv(time, status) ~ age + sex + ph.ecog, survival::lung)
  b <- coxph(Surv(time, status) ~ age + sex + ph.ecog, survival::lung, control = tight_coxph)
  expect_equal(coef(a), coef(b), tolerance = 1e-6)
  expect_equal(a$loglik, b$loglik, tolerance = 1e-9)
  expect_true(a$converged)
})
