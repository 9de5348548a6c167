# rmst_test() against survRM2::rmst2() (unadjusted and Tian-adjusted).

rmst2_matrix <- function(fit, adjusted = FALSE) {
  ct <- if (adjusted) fit$adjusted else fit$contrasts
  as.matrix(ct[, c("estimate", "conf.low", "conf.high", "p.value")])
}

random_trial <- function(seed, n0, n1, ties = TRUE, k = 2) {
  set.seed(seed)
  n <- n0 + n1
  arm <- rep(0:1, c(n0, n1))
  t <- rexp(n, ifelse(arm == 1, 0.07, 0.1))
  c <- runif(n, 2, 30)
  time <- pmin(t, c)
  if (ties) time <- ceiling(time)
  data.frame(time = time, status = as.integer(t <= c), arm = arm,
             x1 = rnorm(n), x2 = rbinom(n, 1, 0.4))
}

test_that("veteran: per-arm and contrasts equal rmst2 to 1e-8", {
  skip_if_not_installed("survRM2")
  v <- survival::veteran
  for (tau in list(NULL, 100, 365, 553)) {
    f <- rmst_test(Surv(time, status) ~ trt, data = v, tau = tau, conf.level = 0.9)
    o <- survRM2::rmst2(v$time, v$status, v$trt - 1, tau = tau, alpha = 0.1)
    expect_equal(f$tau, o$tau, tolerance = 0)
    expect_equal(unname(rmst2_matrix(f)), unname(o$unadjusted.result), tolerance = 1e-8)
    expect_equal(f$arms$rmst, c(o$RMST.arm0$rmst[[1]], o$RMST.arm1$rmst[[1]]), tolerance = 1e-8)
    expect_equal(f$arms$rmst.se, c(o$RMST.arm0$rmst[[2]], o$RMST.arm1$rmst[[2]]), tolerance = 1e-8)
    expect_equal(f$arms$rmst.lower, c(o$RMST.arm0$rmst[[3]], o$RMST.arm1$rmst[[3]]), tolerance = 1e-8)
    expect_equal(f$arms$rmtl.upper, c(o$RMST.arm0$rmtl[[4]], o$RMST.arm1$rmtl[[4]]), tolerance = 1e-8)
    expect_equal(f$arms$rmtl, c(o$RMST.arm0$rmtl[[1]], o$RMST.arm1$rmtl[[1]]), tolerance = 1e-8)
  }
})

test_that("seeded random trials (ties, small arms): rmst2 to 1e-8, default tau included", {
  skip_if_not_installed("survRM2")
  for (s in 1:30) {
    d <- random_trial(s, n0 = sample(3:40, 1), n1 = sample(3:40, 1), ties = s %% 2 == 0)
    f <- rmst_test(Surv(time, status) ~ arm, data = d)
    o <- survRM2::rmst2(d$time, d$status, d$arm)
    expect_equal(f$tau, o$tau, tolerance = 0)
    expect_equal(unname(rmst2_matrix(f)), unname(o$unadjusted.result), tolerance = 1e-8)
    tau <- f$tau * runif(1, 0.3, 1)
    f <- rmst_test(Surv(time, status) ~ arm, data = d, tau = tau)
    o <- survRM2::rmst2(d$time, d$status, d$arm, tau = tau)
    expect_equal(unname(rmst2_matrix(f)), unname(o$unadjusted.result), tolerance = 1e-8)
  }
})

test_that("several arms: each arm against the first equals rmst2 on that pair", {
  skip_if_not_installed("survRM2")
  v <- survival::veteran
  f <- rmst_test(Surv(time, status) ~ celltype, data = v, tau = 200)
  expect_equal(nrow(f$contrasts), 9L)
  lev <- levels(v$celltype)
  for (k in 2:4) {
    d <- v[v$celltype %in% lev[c(1, k)], ]
    o <- survRM2::rmst2(d$time, d$status, as.integer(d$celltype == lev[k]), tau = 200)
    got <- f$contrasts[f$contrasts$arm == lev[k], c("estimate", "conf.low", "conf.high", "p.value")]
    expect_equal(unname(as.matrix(got)), unname(o$unadjusted.result), tolerance = 1e-8)
  }
})

test_that("covariate-adjusted contrasts equal rmst2(covariates =) to 1e-8", {
  skip_if_not_installed("survRM2")
  v <- survival::veteran
  f <- rmst_test(Surv(time, status) ~ trt, data = v, tau = 365, covariates = ~ karno + age)
  o <- survRM2::rmst2(v$time, v$status, v$trt - 1, tau = 365, covariates = v[, c("karno", "age")])
  expect_equal(unname(rmst2_matrix(f, TRUE)), unname(o$adjusted.result), tolerance = 1e-8)
  for (s in 1:10) {
    d <- random_trial(100 + s, n0 = sample(25:60, 1), n1 = sample(25:60, 1), ties = s %% 2 == 0)
    tau <- 0.8 * rmst_test(Surv(time, status) ~ arm, data = d)$tau
    f <- rmst_test(Surv(time, status) ~ arm, data = d, tau = tau, covariates = ~ x1 + x2)
    o <- survRM2::rmst2(d$time, d$status, d$arm, tau = tau, covariates = d[, c("x1", "x2")])
    expect_equal(unname(rmst2_matrix(f, TRUE)), unname(o$adjusted.result), tolerance = 1e-8)
  }
  # factors enter as dummy columns
  f <- rmst_test(Surv(time, status) ~ trt, data = v, tau = 365, covariates = ~ celltype)
  mm <- model.matrix(~ celltype, v)[, -1]
  o <- survRM2::rmst2(v$time, v$status, v$trt - 1, tau = 365, covariates = mm)
  expect_equal(unname(rmst2_matrix(f, TRUE)), unname(o$adjusted.result), tolerance = 1e-8)
})

test_that("tau past a censored arm's last observation is an error naming tau and the arm", {
  d <- data.frame(time = c(1, 2, 3, 4, 2, 3, 5, 8), status = c(1, 1, 1, 0, 1, 0, 1, 1),
                  arm = rep(c("ctl", "trt"), each = 4))
  expect_equal(rmst_test(Surv(time, status) ~ arm, data = d)$tau, 4)
  expect_error(rmst_test(Surv(time, status) ~ arm, data = d, tau = 5),
               "`tau` = 5 is past the last observation of arm \"ctl\" \\(time 4, censored\\)")
  d$status[4] <- 1
  expect_equal(rmst_test(Surv(time, status) ~ arm, data = d)$tau, 8)
  expect_error(rmst_test(Surv(time, status) ~ arm, data = d, tau = 9),
               "`tau` = 9 is past the largest observed time \\(8\\)")
  expect_error(rmst_test(Surv(time, status) ~ arm, data = d, tau = -1), "`tau` must be NULL or a single positive")
  expect_error(rmst_test(Surv(time, status) ~ arm, data = d, conf.level = 95), "`conf.level`")
  expect_error(rmst_test(Surv(time, status) ~ 1, data = d), "no arms to compare")
  expect_error(rmst_test(Surv(time, status) ~ arm + strata(arm), data = d), "strata\\(\\) terms are not supported")
  d$time[2] <- -1
  expect_error(rmst_test(Surv(time, status) ~ arm, data = d), "`formula`: the time in row 2 is -1")
  expect_error(rmst_test(Surv(time, status) ~ arm, data = d, covariates = "x"), "`covariates`")
})

test_that("print, tidy and glance", {
  f <- rmst_test(Surv(time, status) ~ trt, data = survival::veteran, tau = 365,
                 covariates = ~ karno)
  expect_output(print(f), "RMST difference: 2 vs 1")
  expect_output(print(f), "Adjusted for karno")
  td <- tidy(f)
  expect_equal(names(td), c("term", "contrast", "arm", "reference", "estimate", "conf.low",
                            "conf.high", "p.value", "adjusted"))
  expect_equal(nrow(td), 6L)
  expect_equal(glance(f)$nobs, 137)
  expect_error(tidy(f, foo = 1), "`foo` is not used")
})
