# cox(): bad input, warnings, numerical robustness and the methods.

test_that("non-finite covariates are named with their row", {
  d <- survival::lung[1:50, c("time", "status", "age", "sex")]
  d$age[7] <- Inf
  expect_error(cox(Surv(time, status) ~ sex + age, d), "covariate `age` in row 7 is Inf")
  d$age <- 70
  d$age[7] <- 60
  expect_error(cox(Surv(time, status) ~ sex + log(age - 60), d),
               "covariate `log\\(age - 60\\)` in row 7 is -Inf")
})

test_that("weights <= 0, no events and bad arguments are errors", {
  d <- survival::lung[1:50, c("time", "status", "age")]
  d$w <- 1
  d$w[3] <- 0
  expect_error(cox(Surv(time, status) ~ age, d, weights = w), "weight in row 3 is 0.*> 0")
  d$w[3] <- -1
  expect_error(cox(Surv(time, status) ~ age, d, weights = w), "row 3 is -1")
  d$status <- 1
  expect_error(cox(Surv(time, status - 1) ~ age, d), "no events")
  expect_error(cox(Surv(time, status) ~ age, d, control = list(eps = 1)), "cox_control")
  expect_error(cox(Surv(time, status) ~ age, d, robust = NA), "`robust` must be TRUE or FALSE")
  expect_error(cox(Surv(time, status) ~ age, d, init = c(1, 2)), "`init` must be 1 finite")
  expect_error(cox_control(eps = -1), "`eps` must be a single number")
  expect_error(cox_control(iter.max = 1.5), "`iter.max`")
  d2 <- data.frame(start = c(0, 2, 1), stop = c(1, 2, 3), status = c(1, 0, 1), x = 1:3)
  expect_error(cox(Surv(start, stop, status) ~ x, d2), "row 2.*start >= stop")
})

test_that("more covariates than rows does not crash: extra columns are NA", {
  set.seed(3)
  d <- data.frame(time = rexp(6), status = c(1, 1, 0, 1, 1, 0), matrix(rnorm(60), 6, 10))
  fit <- suppressWarnings(cox(Surv(time, status) ~ ., d))
  expect_s3_class(fit, "netsurv_cox")
  expect_true(any(is.na(coef(fit))))
  expect_true(all(is.finite(fit$loglik)))
})

test_that("monotone likelihood warns and names the covariate", {
  # No events in group 1: its coefficient runs to -infinity.
  d <- data.frame(time = c(5, 6, 7, 8, 1, 2, 3, 4, 4.5, 9),
                  status = c(0, 0, 0, 0, 1, 1, 1, 1, 1, 1),
                  grp = c(1, 1, 1, 1, 0, 0, 0, 0, 0, 0), age = c(50, 61, 47, 58, 62, 55, 49, 66, 60, 52))
  expect_warning(fit <- cox(Surv(time, status) ~ age + grp, d), "coefficient of `grp`")
  expect_true(fit$infinite[["grp"]])
  expect_false(fit$infinite[["age"]])
  w <- capture_warnings(cox(Surv(time, status) ~ age + grp, d, control = cox_control(iter.max = 2)))
  expect_match(w, "did not converge", all = FALSE)
})

test_that("the hazard ratio per unit does not change when a covariate is rescaled by 1e10", {
  d <- survival::lung
  d$age_big <- d$age * 1e10
  d$age_small <- d$age * 1e-10
  a <- cox(Surv(time, status) ~ age + sex, d)
  b <- cox(Surv(time, status) ~ age_big + sex, d)
  s <- cox(Surv(time, status) ~ age_small + sex, d)
  expect_equal(coef(b)[["age_big"]], coef(a)[["age"]] / 1e10, tolerance = 1e-9)
  expect_equal(coef(s)[["age_small"]], coef(a)[["age"]] * 1e10, tolerance = 1e-9)
  expect_equal(b$loglik, a$loglik, tolerance = 1e-12)
  expect_equal(vcov(b)[1, 1], vcov(a)[1, 1] / 1e20, tolerance = 1e-9)
})

test_that("large linear predictors do not overflow exp()", {
  # The subject with x = 40 is in every risk set; at init = 20 its linear
  # predictor is about 800 above the others, so exp() of it overflows (coxph
  # refuses such initial values). The log partial likelihood is finite;
  # compare with log-sum-exp by hand (Breslow).
  d <- data.frame(time = c(1:9, 10), status = c(1, 1, 0, 1, 1, 1, 0, 1, 1, 0),
                  x = c(0, 1, 0, 2, 1, 0, 1, 2, 0, 40))
  fit <- cox(Surv(time, status) ~ x, d, init = 20, ties = "breslow",
             control = cox_control(iter.max = 0))
  eta <- 20 * d$x
  lse <- function(v) max(v) + log(sum(exp(v - max(v))))
  ll <- sum(vapply(which(d$status == 1), function(i) eta[i] - lse(eta[d$time >= d$time[i]]), 0))
  expect_equal(fit$loglik[1], ll, tolerance = 1e-12)
  expect_true(all(is.finite(fit$residuals)))
})

test_that("inputs are not modified", {
  d <- survival::lung[, c("time", "status", "age", "sex")]
  d2 <- d
  X <- d$age
  cox(Surv(time, status) ~ age + sex, d)
  expect_identical(d, d2)
  expect_identical(X, d2$age)
})

test_that("print, summary, confint, logLik, AIC, BIC, nobs, tidy and glance agree with coxph", {
  a <- cox(Surv(time, status) ~ age + sex + ph.ecog, survival::lung)
  b <- coxph(Surv(time, status) ~ age + sex + ph.ecog, survival::lung)
  expect_output(print(a), "Likelihood ratio test=")
  expect_output(print(summary(a)), "Concordance=")
  sa <- summary(a)
  sb <- summary(b)
  expect_equal(sa$coefficients, sb$coefficients, tolerance = 1e-6)
  expect_equal(unname(sa$conf.int), unname(sb$conf.int), tolerance = 1e-6)
  expect_equal(sa$logtest, sb$logtest, tolerance = 1e-6)
  expect_equal(sa$waldtest[c(1, 3)], sb$waldtest[c(1, 3)], tolerance = 1e-4)
  expect_equal(sa$sctest, sb$sctest, tolerance = 1e-6)
  expect_equal(unname(sa$rsq), unname(sb$rsq), tolerance = 1e-6)
  expect_equal(confint(a), confint(b), tolerance = 1e-6)
  expect_equal(vcov(a), vcov(b), tolerance = 1e-6)
  expect_equal(as.numeric(logLik(a)), as.numeric(logLik(b)), tolerance = 1e-9)
  expect_equal(AIC(a), AIC(b), tolerance = 1e-9)
  expect_equal(BIC(a), BIC(b), tolerance = 1e-9)
  expect_identical(nobs(a), nobs(b))
  skip_if_not_installed("broom")
  ta <- tidy(a, exponentiate = TRUE, conf.int = TRUE)
  tb <- as.data.frame(broom::tidy(b, exponentiate = TRUE, conf.int = TRUE))
  expect_identical(names(ta), names(tb))
  expect_equal(ta$estimate, tb$estimate, tolerance = 1e-6)
  expect_equal(ta$conf.low, tb$conf.low, tolerance = 1e-6)
  expect_equal(ta$p.value, tb$p.value, tolerance = 1e-6)
  ga <- glance(a)
  gb <- as.data.frame(broom::glance(b))
  expect_identical(names(ga), names(gb))
  num <- setdiff(names(gb), c("statistic.robust", "p.value.robust"))
  expect_equal(unlist(ga[num]), unlist(gb[num]), tolerance = 1e-4)
  r <- cox(Surv(time, status) ~ age + sex + cluster(inst), survival::lung)
  rb <- coxph(Surv(time, status) ~ age + sex + cluster(inst), survival::lung)
  expect_identical(names(tidy(r)), names(broom::tidy(rb)))
  expect_equal(tidy(r)$robust.se, broom::tidy(rb)$robust.se, tolerance = 1e-6)
  expect_equal(glance(r)$statistic.robust, unname(broom::glance(rb)$statistic.robust), tolerance = 1e-6)
})

test_that("x = TRUE and y = TRUE keep the model matrix and the (time-fixed) response", {
  a <- cox(Surv(time, status) ~ age + factor(ph.ecog), survival::lung, x = TRUE)
  b <- coxph(Surv(time, status) ~ age + factor(ph.ecog), survival::lung, x = TRUE)
  expect_equal(unname(a$x), unname(b$x))
  expect_equal(unclass(a$y), unclass(b$y), ignore_attr = TRUE)
  expect_null(cox(Surv(time, status) ~ age, survival::lung, y = FALSE)$y)
})

test_that("thread count follows option netsurv.threads and gives the same fit", {
  old <- options(netsurv.threads = 2)
  on.exit(options(old))
  set.seed(9)
  n <- 20000
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), time = round(rexp(n), 2) + 0.01,
                  status = rbinom(n, 1, 0.8))
  a <- cox(Surv(time, status) ~ x1 + x2, d)
  options(netsurv.threads = 1)
  b <- cox(Surv(time, status) ~ x1 + x2, d)
  expect_equal(coef(a), coef(b), tolerance = 1e-12)
  expect_equal(a$var, b$var, tolerance = 1e-12)
  expect_error({ options(netsurv.threads = 0); cox(Surv(time, status) ~ x1, d) }, "netsurv.threads")
})

test_that("threaded passes match coxph with strata, weights, (start, stop] data and many slots", {
  # n above the threading cut-off (4 blocks of 256 rows). Rounded times give
  # few slots (per-thread bins); continuous times give one slot per event,
  # too many for per-thread bins (one thread fills them).
  old <- options(netsurv.threads = 2)
  on.exit(options(old))
  set.seed(21)
  n <- 6000
  x1 <- rnorm(n); x2 <- rbinom(n, 1, 0.4)
  stop_t <- rexp(n, exp(0.4 * x1 - 0.3 * x2)) + 0.01
  d <- data.frame(x1, x2, g = rep(1:3, length.out = n), w = runif(n, 0.5, 2),
                  status = rbinom(n, 1, 0.75))
  d$start <- stop_t * runif(n) * rbinom(n, 1, 0.5)
  tight <- tight_coxph()
  for (rounded in c(TRUE, FALSE)) {
    d$stop <- if (rounded) round(stop_t, 1) + 0.1 else stop_t
    d$start <- pmin(d$start, d$stop - 0.05)
    d$start[d$start < 0] <- 0
    f <- Surv(start, stop, status) ~ x1 + x2 + strata(g)
    for (ties in c("efron", "breslow")) {
      a <- cox(f, d, weights = w, ties = ties, control = cox_control(eps = 1e-12, iter.max = 50))
      b <- coxph(f, d, weights = w, ties = ties, control = tight)
      expect_equal(coef(a), coef(b), tolerance = 1e-8)
      # fractional weights: both switch to the robust variance
      expect_equal(a$var, b$var, tolerance = 1e-8)
      expect_equal(a$naive.var, b$naive.var, tolerance = 1e-8)
      expect_equal(a$loglik, b$loglik, tolerance = 1e-10)
      expect_equal(unname(a$residuals), unname(b$residuals), tolerance = 1e-8)
      options(netsurv.threads = 1)
      a1 <- cox(f, d, weights = w, ties = ties, control = cox_control(eps = 1e-12, iter.max = 50))
      options(netsurv.threads = 2)
      expect_equal(coef(a), coef(a1), tolerance = 1e-12)
    }
  }
})
