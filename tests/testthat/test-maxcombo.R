# maxcombo() against nph::logrank.maxtest() (statistics and correlation to
# 1e-8, p to the integration accuracy: both are randomized Genz-Bretz
# estimates, seen to differ by up to ~1e-4, so 5e-4 absolute), logrank() for stratified statistics,
# and brute-force enumeration for the permutation p-value.

nph_max <- function(d, rho, gamma, alternative = "two.sided") {
  set.seed(1)
  nph::logrank.maxtest(d$time, d$status, d$arm, alternative = alternative, rho = rho, gamma = gamma)
}

test_that("veteran and colon: z, correlation and p equal nph", {
  skip_if_not_installed("nph")
  v <- survival::veteran
  v$arm <- v$trt
  for (alt in c("two.sided", "greater", "less")) {
    f <- maxcombo(Surv(time, status) ~ arm, data = v, alternative = alt)
    o <- nph_max(v, c(0, 0, 1, 1), c(0, 1, 0, 1), alt)
    expect_equal(f$tests$z, o$tests$z, tolerance = 1e-8)
    expect_equal(f$tests$p.value, o$tests$p, tolerance = 1e-8)
    expect_equal(unname(f$corr), unname(o$korr), tolerance = 1e-8)
    expect_lt(abs(as.double(f$p.value) - o$pmult), 5e-4)
    expect_equal(f$p.bonferroni, o$p.Bonf, tolerance = 1e-8)
  }
  colon <- survival::colon[survival::colon$etype == 2 & survival::colon$rx != "Lev", ]
  colon$arm <- droplevels(colon$rx)
  f <- maxcombo(Surv(time, status) ~ arm, data = colon, rho = c(0, 0, 1), gamma = c(0, 1, 0))
  o <- nph_max(colon, c(0, 0, 1), c(0, 1, 0))
  expect_equal(f$tests$z, o$tests$z, tolerance = 1e-8)
  expect_equal(unname(f$corr), unname(o$korr), tolerance = 1e-8)
  expect_lt(abs(as.double(f$p.value) - o$pmult), 5e-4)
})

test_that("seeded random trials (ties, small arms, fractional exponents) equal nph", {
  skip_if_not_installed("nph")
  for (s in 1:20) {
    set.seed(s)
    n0 <- sample(4:50, 1); n1 <- sample(4:50, 1)
    arm <- rep(c("ctl", "trt"), c(n0, n1))
    t <- rexp(n0 + n1, ifelse(arm == "trt", 0.06, 0.1)); c <- runif(n0 + n1, 2, 30)
    d <- data.frame(time = pmin(t, c), status = as.integer(t <= c), arm = arm)
    if (s %% 2 == 0) d$time <- ceiling(d$time)
    rho <- c(0, 0, 1, 0.5)[seq_len(2 + s %% 3)]
    gamma <- c(0, 1, 0, 0.5)[seq_len(2 + s %% 3)]
    f <- maxcombo(Surv(time, status) ~ arm, data = d, rho = rho, gamma = gamma)
    o <- nph_max(d, rho, gamma)
    expect_equal(f$tests$z, o$tests$z, tolerance = 1e-8)
    expect_equal(unname(f$corr), unname(o$korr), tolerance = 1e-8)
    expect_lt(abs(as.double(f$p.value) - o$pmult), 5e-4)
  }
})

test_that("each z squared is logrank()'s chi-square, stratified too", {
  v <- survival::veteran
  f <- maxcombo(Surv(time, status) ~ trt + strata(celltype), data = v)
  for (k in 1:4) {
    lr <- logrank(Surv(time, status) ~ trt + strata(celltype), data = v,
                  rho = f$tests$rho[k], gamma = f$tests$gamma[k])
    expect_equal(f$tests$z[k]^2, lr$chisq, tolerance = 1e-10)
    expect_equal(sign(f$tests$z[k]), sign(sum(lr$obs[1, ]) - sum(lr$exp[1, ])))
  }
  # one weight pair: the two-sided p is the log-rank p
  f1 <- maxcombo(Surv(time, status) ~ trt, data = v, rho = 0, gamma = 0)
  expect_equal(as.double(f1$p.value), logrank(Surv(time, status) ~ trt, data = v)$pvalue,
               tolerance = 1e-12)
})

test_that("permutation p: exact enumeration equals brute force; Monte Carlo is reproducible", {
  d <- data.frame(time = c(6, 7, 10, 10, 11, 13, 15, 16, 19),
                  status = c(1, 1, 0, 1, 1, 1, 0, 1, 1), arm = rep(c("a", "b"), c(4, 5)))
  f <- maxcombo(Surv(time, status) ~ arm, data = d, exact = TRUE, B = 1000, seed = 1)
  expect_true(f$permutation$enumerated)
  expect_equal(f$permutation$n, 126)
  expect_equal(f$permutation$statistic, f$statistic, tolerance = 1e-12)
  subsets <- combn(9, 4)
  stats <- apply(subsets, 2, function(i) {
    e <- d
    e$arm <- ifelse(seq_len(9) %in% i, "a", "b")
    suppressWarnings(maxcombo(Surv(time, status) ~ arm, data = e)$statistic)
  })
  expect_equal(f$permutation$p.value, mean(stats >= f$statistic - 1e-9 * (1 + f$statistic)),
               tolerance = 1e-14)
  for (alt in c("greater", "less")) {
    g <- maxcombo(Surv(time, status) ~ arm, data = d, alternative = alt, exact = TRUE, seed = 1)
    expect_equal(g$permutation$statistic, g$statistic, tolerance = 1e-12)
    s <- apply(subsets, 2, function(i) {
      e <- d
      e$arm <- ifelse(seq_len(9) %in% i, "a", "b")
      z <- suppressWarnings(maxcombo(Surv(time, status) ~ arm, data = e)$tests$z)
      if (alt == "greater") max(z) else -min(z)
    })
    m <- if (alt == "greater") g$statistic else -g$statistic
    expect_equal(g$permutation$p.value, mean(s >= m - 1e-9 * (1 + abs(m))), tolerance = 1e-14)
  }
  v <- survival::veteran[c(1:20, 70:89), ]
  a <- maxcombo(Surv(time, status) ~ trt, data = v, exact = TRUE, B = 500, seed = 7)
  b <- maxcombo(Surv(time, status) ~ trt, data = v, exact = TRUE, B = 500, seed = 7)
  expect_identical(a$permutation, b$permutation)
  expect_false(a$permutation$enumerated)
  expect_true(abs(a$permutation$p.value - a$p.value) < 0.15)
})

test_that("errors name the argument", {
  v <- survival::veteran
  expect_error(maxcombo(Surv(time, status) ~ celltype, data = v), "compares exactly 2 arms")
  expect_error(maxcombo(Surv(time, status) ~ trt, data = v, rho = c(0, 1), gamma = 0), "`gamma`")
  expect_error(maxcombo(Surv(time, status) ~ trt, data = v, rho = -1, gamma = 0), "`rho`")
  expect_error(maxcombo(Surv(time, status) ~ trt, data = v, rho = c(0, 0), gamma = c(1, 1)),
               "given twice")
  expect_error(maxcombo(Surv(time, status) ~ trt, data = v, alternative = "two"), "`alternative`")
  expect_error(maxcombo(Surv(time, status) ~ trt, data = v, B = 0, exact = TRUE), "`B`")
  f <- maxcombo(Surv(time, status) ~ trt, data = v, exact = TRUE, B = 200, seed = 2)
  expect_output(print(f), "Permutation p-value")
  expect_equal(names(tidy(f)), c("term", "rho", "gamma", "statistic", "p.value"))
  expect_equal(names(glance(f)), c("statistic", "p.value", "p.value.bonferroni", "alternative",
                                   "p.value.permutation", "std.error.permutation", "n.permutations"))
})
