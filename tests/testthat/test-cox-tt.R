# cox() with tt() time-transformed covariates against survival::coxph(tt = ):
# coefficients, variance, log-likelihood, score and Wald tests, means, n,
# nevent and the concordance counts to 1e-8 (both fits converged far below
# that with the tight controls of helper-netsurv.R); fixed cases, then seeded
# random data with ties, weights, strata, late entry and clusters.

same_tt_fit <- function(a, b, info, tol = 1e-8) {
  expect_s3_class(a, "netsurv_cox_tt")
  expect_identical(names(a$coefficients), names(b$coefficients), label = paste(info, "names"))
  expect_equal(a$coefficients, b$coefficients, tolerance = tol, label = paste(info, "coef"))
  expect_equal(unname(a$var), unname(b$var), tolerance = tol, label = paste(info, "var"))
  expect_equal(a$loglik, b$loglik, tolerance = tol, label = paste(info, "loglik"))
  expect_equal(a$score, b$score, tolerance = 1e-6, label = paste(info, "score"))
  expect_equal(a$wald.test, b$wald.test, tolerance = 1e-6, label = paste(info, "wald"))
  expect_equal(unname(a$means), unname(b$means), tolerance = tol, label = paste(info, "means"))
  expect_identical(a$n, b$n, label = paste(info, "n"))
  expect_equal(a$nevent, b$nevent, label = paste(info, "nevent"))
  if (!is.null(b$naive.var))
    expect_equal(unname(a$naive.var), unname(b$naive.var), tolerance = tol,
                 label = paste(info, "naive.var"))
  expect_equal(unname(a$concordance[1:5]), unname(b$concordance[1:5]), label = paste(info, "concordance"))
  # the expansion: one row per (event time, row at risk), as coxph's
  expect_identical(length(a$linear.predictors), length(b$linear.predictors),
                   label = paste(info, "risk-set rows"))
}

test_that("tt() fits equal coxph's on lung (tolerance 1e-8)", {
  f1 <- function(x, t, ...) x * log(t + 20)
  both <- fit_both(Surv(time, status) ~ ph.ecog + tt(age), data = lung, tt = f1)
  same_tt_fit(both$netsurv, both$survival, "lung log(t + 20)")
  both <- fit_both(Surv(time, status) ~ ph.ecog + tt(age), data = lung, tt = f1,
                   ties = "breslow")
  same_tt_fit(both$netsurv, both$survival, "lung breslow")
  # a list of functions, one per term, and two terms sharing one function
  both <- fit_both(Surv(time, status) ~ sex + tt(age) + tt(wt.loss), data = lung,
                   tt = list(f1, function(x, t, ...) x * (t > 200)))
  same_tt_fit(both$netsurv, both$survival, "two functions")
  both <- fit_both(Surv(time, status) ~ tt(age) + tt(wt.loss), data = lung,
                   tt = function(x, t, ...) x * t / 365)
  same_tt_fit(both$netsurv, both$survival, "one function, two terms")
  # coxph's default transform (O'Brien's rank within each risk set)
  both <- fit_both(Surv(time, status) ~ ph.ecog + tt(age), data = lung)
  same_tt_fit(both$netsurv, both$survival, "default tt")
  # a matrix-valued transform, strata, a factor beside it
  both <- fit_both(Surv(time, status) ~ factor(ph.ecog) + tt(age) + strata(sex), data = lung,
                   tt = function(x, t, ...) cbind(x, x * log(t)))
  same_tt_fit(both$netsurv, both$survival, "matrix tt, strata")
  # counting-process data
  both <- fit_both(Surv(start, stop, event) ~ transplant + tt(age), data = heart,
                   tt = function(x, t, ...) x * log(t + 1))
  same_tt_fit(both$netsurv, both$survival, "heart (start, stop]")
  # survival::tt() spelled with its namespace, subset and a print
  a <- cox(Surv(time, status) ~ ph.ecog + tt(age), data = lung, tt = f1,
           subset = sex == 1, control = tight_cox())
  b <- coxph(Surv(time, status) ~ ph.ecog + tt(age), data = lung, tt = f1,
             subset = sex == 1, control = tight_coxph())
  same_tt_fit(a, b, "subset")
  expect_output(print(a), "tt\\(age\\)")
  expect_output(print(summary(a)), "tt\\(age\\)")
  expect_equal(confint(a), confint(b), tolerance = 1e-8)
  expect_equal(AIC(a), AIC(b), tolerance = 1e-10)
  expect_identical(nobs(a), nobs(b))
})

test_that("tt() fits equal coxph's on seeded random data", {
  for (seed in 1:10) {
    set.seed(1000 + seed)
    n <- sample(c(40, 120, 300), 1)
    d <- data.frame(time = if (seed %% 2) sample(1:30, n, TRUE) else round(rexp(n, 0.1), 1) + 0.1,
                    status = rbinom(n, 1, 0.6), x = rnorm(n), z = rbinom(n, 1, 0.4),
                    g = sample(c("a", "b"), n, TRUE), cl = sample(1:15, n, TRUE),
                    w = round(runif(n, 0.2, 3), 2))
    d$status[1] <- 1
    d$entry <- pmax(0, d$time - sample(1:25, n, TRUE) - 0.5)
    f <- function(x, t, ...) x * log(t + 3)
    ties <- if (seed %% 3 == 0) "breslow" else "efron"
    both <- fit_both(Surv(time, status) ~ z + tt(x), data = d, tt = f, ties = ties)
    same_tt_fit(both$netsurv, both$survival, paste("seed", seed, "plain"))
    both <- fit_both(Surv(time, status) ~ z + tt(x) + strata(g), data = d, tt = f,
                     weights = w, ties = ties, robust = TRUE)
    same_tt_fit(both$netsurv, both$survival, paste("seed", seed, "weights strata"))
    # robust not given: the non-integer weights make it so, in both
    both <- fit_both(Surv(time, status) ~ z + tt(x), data = d, tt = f, weights = w, ties = ties)
    expect_true(both$netsurv$robust)
    same_tt_fit(both$netsurv, both$survival, paste("seed", seed, "weights, default robust"))
    both <- fit_both(Surv(entry, time, status) ~ z + tt(x), data = d, tt = f, ties = ties)
    same_tt_fit(both$netsurv, both$survival, paste("seed", seed, "late entry"))
    both <- fit_both(Surv(time, status) ~ z + tt(x) + cluster(cl), data = d, tt = f,
                     ties = ties)
    same_tt_fit(both$netsurv, both$survival, paste("seed", seed, "cluster"))
  }
})

test_that("what a tt() fit does not do is refused by name", {
  fit <- cox(Surv(time, status) ~ ph.ecog + tt(age), data = lung,
             tt = function(x, t, ...) x * log(t + 20))
  msg <- "is not available for a cox\\(\\) model with tt\\(\\) terms"
  expect_error(predict(fit), paste("predict\\(\\)", msg))
  expect_error(residuals(fit), paste("residuals\\(\\)", msg))
  expect_error(anova(fit), paste("anova\\(\\)", msg))
  expect_error(model.matrix(fit), paste("model.matrix\\(\\)", msg))
  expect_error(concordance(fit), paste("concordance\\(\\)", msg))
  expect_error(drop1(fit), msg)
  expect_error(cox_zph(fit), paste("cox_zph\\(\\)", msg))
  expect_error(cox_curve(fit), paste("cox_curve\\(\\)", msg))
  expect_error(basehaz(fit), paste("basehaz\\(\\)", msg))
  expect_error(confint(fit, method = "profile"), msg)
  expect_error(augment(fit), msg)
  # a tt() term is still refused where it has no meaning
  expect_error(km(Surv(time, status) ~ tt(age), data = lung), "tt\\(\\)")
})
