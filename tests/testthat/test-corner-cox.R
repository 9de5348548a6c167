# Issue #13, Cox corner cases: reproducers against survival::coxph() and its
# survfit/basehaz, and a seeded differential class on small hostile cohorts.

strata <- survival::strata
cluster <- survival::cluster

item1_data <- function() {
  data.frame(time = c(19, 19, 19, 1, 4, 2, 1, 2), status = c(1, 0, 0, 1, 1, 0, 1, 1),
             x1 = c(-.897, -1.555, 1.21, -.009, -.343, -.225, -.859, .239),
             x2 = c(1, 1, 1, 0, 1, 0, 0, 0), s = c(1, 1, 2, 1, 2, 1, 1, 1),
             w = c(2, 2, 2, 2, 3, 3, 1, 3))
}

test_that("item 1: an NA coefficient counts as 0 in basehaz() and cox_curve(), as in survfit", {
  d <- item1_data()
  fit <- cox(Surv(time, status) ~ x1 + x2 + strata(s), d, weights = w, ties = "breslow",
             control = cox_control(eps = 1e-12, iter.max = 50))
  oracle <- suppressWarnings(survival::coxph(Surv(time, status) ~ x1 + x2 + strata(s), d,
                                             weights = w, ties = "breslow",
                                             control = survival::coxph.control(eps = 1e-12, iter.max = 50)))
  expect_true(is.na(coef(fit)[["x2"]]))
  expect_equal(coef(fit)[["x1"]], coef(oracle)[["x1"]], tolerance = 1e-8)
  bh <- netsurv::basehaz(fit)
  expect_equal(bh$hazard, survival::basehaz(oracle)$hazard, tolerance = 1e-8)
  expect_equal(bh$hazard[1:3], c(0.200, 0.452, 0.758), tolerance = 1e-3)
  expect_equal(netsurv::basehaz(fit, centered = FALSE)$hazard,
               survival::basehaz(oracle, centered = FALSE)$hazard, tolerance = 1e-8)
  cc <- cox_curve(fit)
  sf <- survival::survfit(oracle)
  expect_equal(cc$surv, sf$surv, tolerance = 1e-8)
  expect_equal(cc$std.err, sf$std.err, tolerance = 1e-8)
  expect_gt(min(cc$surv), 0.1)
})

test_that("item 3: weighted (start, stop] fits have coxph's unweighted means and weighted offset centring", {
  h <- survival::heart
  set.seed(13)
  h$w <- runif(nrow(h), 0.5, 2)
  h$off <- rnorm(nrow(h), 0, 0.3)
  for (f in list(Surv(start, stop, event) ~ age + surgery,
                 Surv(start, stop, event) ~ age + surgery + offset(off),
                 Surv(stop, event) ~ age + surgery + offset(off))) {
    fit <- cox(f, h, weights = w)
    oracle <- eval(bquote(survival::coxph(.(f), h, weights = w)))
    expect_equal(fit$means, oracle$means, tolerance = 1e-10)
    expect_equal(fit$linear.predictors, oracle$linear.predictors, tolerance = 1e-8)
    expect_equal(predict(fit, type = "risk"), predict(oracle, type = "risk"), tolerance = 1e-8)
    expect_equal(netsurv::basehaz(fit)$hazard, survival::basehaz(oracle)$hazard, tolerance = 1e-8)
    expect_equal(cox_curve(fit)$surv, survival::survfit(oracle)$surv, tolerance = 1e-8)
  }
})

test_that("item 5: `~ f - 1` codes a factor by contrasts, as coxph", {
  d <- na.omit(survival::lung[, c("time", "status", "ph.ecog")])
  fit <- cox(Surv(time, status) ~ factor(ph.ecog) - 1, d)
  oracle <- survival::coxph(Surv(time, status) ~ factor(ph.ecog) - 1, d)
  expect_identical(names(coef(fit)), names(coef(oracle)))
  expect_equal(coef(fit), coef(oracle), tolerance = 1e-8)
  expect_false(anyNA(coef(fit)))
  expect_equal(predict(fit, d[1:5, ]), predict(oracle, d[1:5, ]), tolerance = 1e-8)
  fit <- cox(Surv(time, status) ~ factor(ph.ecog) + 0, d)
  expect_equal(coef(fit), coef(oracle), tolerance = 1e-8, ignore_attr = TRUE)
})

lung_cc <- function() {
  d <- na.omit(survival::lung[, c("time", "status", "age", "ph.ecog", "sex")])
  d$status <- d$status - 1
  d
}

test_that("item 4: fixed-coefficient fits keep init for every column and do not warn", {
  d <- lung_cc()
  d$age2 <- 2 * d$age
  init <- c(0.01, 0.4, 0.001)
  expect_silent(fit <- cox(Surv(time, status) ~ age + ph.ecog + age2, d, init = init,
                           control = cox_control(iter.max = 0)))
  oracle <- survival::coxph(Surv(time, status) ~ age + ph.ecog + age2, d, init = init,
                            control = survival::coxph.control(iter.max = 0))
  expect_equal(unname(coef(fit)), init, tolerance = 1e-15)
  expect_equal(coef(fit), coef(oracle), tolerance = 1e-15)
  expect_false(any(fit$infinite))
  expect_equal(fit$loglik, oracle$loglik, tolerance = 1e-10)
  expect_equal(fit$linear.predictors, oracle$linear.predictors, tolerance = 1e-10)
  expect_equal(cox_curve(fit)$surv, survival::survfit(oracle)$surv, tolerance = 1e-8)
  expect_silent(cox(Surv(time, status) ~ age + sex, d, init = c(0.02, -0.5),
                    control = cox_control(iter.max = 0)))
})

test_that("item 9: cox_zph(transform = 'log') with a censored time 0 answers as cox.zph", {
  d <- lung_cc()
  d <- rbind(d, transform(d[1, ], time = 0, status = 0))
  fit <- cox(Surv(time, status) ~ age + sex, d)
  oracle <- survival::cox.zph(survival::coxph(Surv(time, status) ~ age + sex, d), transform = "log")
  expect_equal(cox_zph(fit, transform = "log")$table, oracle$table, tolerance = 1e-8)
})

test_that("item 10: no events at all is a plain error for cox() and logrank(), a flat curve for km()", {
  d <- lung_cc()
  d$status <- 0
  expect_error(cox(Surv(time, status) ~ age, d), "there are no events")
  expect_error(logrank(Surv(time, status) ~ sex, d), "there are no events")
  k <- km(Surv(time, status) ~ 1, d)
  expect_equal(k$surv, survival::survfit(Surv(time, status) ~ 1, d)$surv)
  expect_true(all(k$surv == 1))
})

test_that("item 14: the robust variance is exactly symmetric and positive semi-definite", {
  d <- lung_cc()
  for (n in c(2, 3, 6, 40)) {
    dd <- d[seq_len(n), ]
    dd$status[1] <- 1
    fit <- suppressWarnings(cox(Surv(time, status) ~ age + sex, dd, robust = TRUE))
    v <- vcov(fit)
    ok <- !is.na(diag(v))
    expect_true(isSymmetric(unname(v)), label = paste("n =", n))
    expect_true(all(diag(v)[ok] >= 0), label = paste("n =", n))
    ev <- eigen(v[ok, ok, drop = FALSE], symmetric = TRUE, only.values = TRUE)$values
    expect_gte(min(ev), -1e-12 * max(abs(ev), 1))
  }
  fit <- cox(Surv(time, status) ~ age + sex + cluster(ph.ecog), d)
  oracle <- survival::coxph(Surv(time, status) ~ age + sex + cluster(ph.ecog), d)
  expect_equal(vcov(fit), vcov(oracle), tolerance = 1e-8, ignore_attr = TRUE)
})

test_that("item 15: a dropped tiny-scale column has no NaN variance", {
  d <- lung_cc()
  d$tiny <- d$age * 1e-200
  fit <- cox(Surv(time, status) ~ age + tiny, d)
  # (coxph itself stops on this column; its fit without it is the oracle)
  oracle <- survival::coxph(Surv(time, status) ~ age, d)
  expect_true(is.na(coef(fit)[["tiny"]]))
  expect_false(any(is.nan(fit$var)))
  expect_equal(coef(fit)[["age"]], coef(oracle)[["age"]], tolerance = 1e-8)
  expect_equal(fit$var[1, 1], oracle$var[1, 1], tolerance = 1e-8)
})

test_that("items 17, 18: empty newdata and out-of-range arguments are errors naming the argument", {
  d <- lung_cc()
  fit <- cox(Surv(time, status) ~ age, d)
  expect_error(cox_curve(fit, newdata = d[0, ]), "`newdata` has 0 rows")
  expect_error(cox(Surv(time, status) ~ age, d, init = 1e300), "`init`.*row")
  expect_error(cox(Surv(time, status) ~ age, d, weights = rep(1e308, nrow(d))), "`weights`")
  expect_error(quantile(km(Surv(time, status) ~ 1, d), probs = numeric(0)),
               "`probs` must be numeric probabilities, at least one; got length 0")
})

test_that("item 12: (start, stop] risk sets with widely spread risk scores are summed exactly", {
  set.seed(12)
  n <- 300
  start <- runif(n, 0, 50)
  d <- data.frame(start = start, stop = start + rexp(n, 0.05) + 0.1,
                  x = seq(-9, 9, length.out = n) + rnorm(n, 0, 0.01),
                  z = rnorm(n), w = runif(n, 0.5, 2))
  d$event <- rbinom(n, 1, plogis(-d$x))
  fit <- cox(Surv(start, stop, event) ~ x + z, d, weights = w)
  oracle <- survival::coxph(Surv(start, stop, event) ~ x + z, d, weights = w)
  expect_equal(coef(fit), coef(oracle), tolerance = 1e-8)
  expect_equal(fit$loglik, oracle$loglik, tolerance = 1e-10)
  # non-integer weights: both report the robust variance, and the
  # model-based one as naive.var
  expect_equal(unname(fit$var), unname(oracle$var), tolerance = 1e-7)
  expect_equal(unname(fit$naive.var), unname(oracle$naive.var), tolerance = 1e-7)
  # weighted martingale residuals sum to 0 at the estimate (score of the
  # baseline hazard), with the exact risk sets
  expect_lt(abs(sum(d$w * residuals(fit))), 1e-8 * sum(d$w))
  expect_equal(cox_zph(fit)$table, survival::cox.zph(oracle)$table, tolerance = 1e-6)
  # the log-likelihood at the initial value from its definition
  ll0 <- 0
  for (i in which(d$event == 1)) {
    at <- d$start < d$stop[i] & d$stop >= d$stop[i]
    ll0 <- ll0 - d$w[i] * log(sum(d$w[at]))
  }
  expect_equal(fit$loglik[1], ll0 + 0, tolerance = 1e-12)
})

test_that("seeded differential against coxph: ties, weights, strata, late entry, offsets, clusters, fixed fits", {
  set.seed(1313)
  checked <- 0
  for (rep in 1:60) {
    n <- sample(8:40, 1)
    counting <- rep %% 2 == 0
    start <- round(runif(n, 0, 5))
    stop <- start + sample(1:6, n, replace = TRUE)
    d <- data.frame(start, stop, status = rbinom(n, 1, 0.6),
                    x1 = round(rnorm(n), 1), x2 = rbinom(n, 1, 0.4),
                    s = sample(1:3, n, replace = TRUE), cl = sample(1:5, n, replace = TRUE),
                    off = round(rnorm(n, 0, 0.3), 2),
                    w = switch(sample(3, 1), rep(1, n), runif(n, 0.2, 3), sample(1:3, n, TRUE)))
    if (rep %% 7 == 0) d$x3 <- 2 * d$x1 + 1 else d$x3 <- rnorm(n) # collinear sometimes
    if (sum(d$status) < 2) next
    ties <- if (rep %% 3 == 0) "breslow" else "efron"
    rhs <- c("x1 + x2 + x3", "x1 + x2 + strata(s)", "x1 + x3 + offset(off)",
             "x1 + x2 + cluster(cl)")[1 + rep %% 4]
    f <- stats::as.formula(paste(if (counting) "Surv(start, stop, status)" else "Surv(stop, status)",
                                 "~", rhs))
    oracle <- tryCatch(suppressWarnings(eval(bquote(
      survival::coxph(.(f), d, weights = w, ties = .(ties))))), error = function(e) NULL)
    if (is.null(oracle) || any(!is.finite(oracle$loglik)) || oracle$iter >= 20 ||
        any(abs(coef(oracle)) > 5, na.rm = TRUE)) next # monotone likelihood: item 6
    fit <- suppressWarnings(cox(f, d, weights = w, ties = ties))
    expect_equal(coef(fit), coef(oracle), tolerance = 1e-6, label = paste("coef", rep))
    expect_equal(fit$loglik, oracle$loglik, tolerance = 1e-8, label = paste("loglik", rep))
    expect_equal(fit$linear.predictors, oracle$linear.predictors, tolerance = 1e-6,
                 label = paste("lp", rep))
    ok <- !is.na(coef(oracle))
    ov <- if (!is.null(oracle$naive.var) && is.null(fit$naive.var)) oracle$naive.var else oracle$var
    expect_equal(unname(fit$var[ok, ok]), unname(ov[ok, ok]), tolerance = 1e-6,
                 label = paste("var", rep))
    expect_equal(netsurv::basehaz(fit)$hazard, survival::basehaz(oracle)$hazard,
                 tolerance = 1e-6, label = paste("basehaz", rep))
    # the fixed-coefficient fit at coxph's estimate gives coxph's loglik
    b <- ifelse(is.na(coef(oracle)), 0, coef(oracle))
    fixed <- suppressWarnings(cox(f, d, weights = w, ties = ties, init = b,
                                  control = cox_control(iter.max = 0)))
    expect_equal(fixed$loglik[2], oracle$loglik[2], tolerance = 1e-8,
                 label = paste("fixed", rep))
    checked <- checked + 1
  }
  expect_gt(checked, 30)
})
