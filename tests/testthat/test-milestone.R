# milestone() against summary(survfit(...), times =) with Greenwood variances
# and the difference / ratio formulas written out by hand.

oracle_milestone <- function(formula, data, times, conf.type = "log", level = 0.95) {
  sf <- summary(survfit(formula, data = data, conf.type = conf.type, conf.int = level),
                times = times, extend = TRUE)
  st <- if (is.null(sf$strata)) factor(rep(1, length(sf$time))) else sf$strata
  z <- qnorm(1 - (1 - level) / 2)
  out <- list(arm = data.frame(surv = sf$surv, se = sf$std.err, lower = sf$lower, upper = sf$upper,
                               n.risk = sf$n.risk))
  lev <- levels(st)
  i0 <- st == lev[1]
  out$ct <- do.call(rbind, lapply(lev[-1], function(l) {
    i <- st == l
    d <- sf$surv[i] - sf$surv[i0]; se <- sqrt(sf$std.err[i]^2 + sf$std.err[i0]^2)
    lr <- log(sf$surv[i] / sf$surv[i0])
    sr <- sqrt((sf$std.err[i] / sf$surv[i])^2 + (sf$std.err[i0] / sf$surv[i0])^2)
    cbind(d, d - z * se, d + z * se, 2 * pnorm(-abs(d / se)),
          exp(lr), exp(lr - z * sr), exp(lr + z * sr), 2 * pnorm(-abs(lr / sr)))
  }))
  out
}

ours <- function(fit) {
  as.matrix(fit$contrasts[, c("difference", "difference.low", "difference.high", "difference.p",
                              "ratio", "ratio.low", "ratio.high", "ratio.p")])
}

test_that("veteran and lung: equal to summary(survfit) + Greenwood formulas to 1e-10", {
  v <- survival::veteran
  for (ct in c("log", "log-log", "plain", "logit", "arcsin")) {
    f <- milestone(Surv(time, status) ~ trt, data = v, times = c(30, 90, 180, 365), conf.type = ct,
                   conf.level = 0.9)
    o <- oracle_milestone(Surv(time, status) ~ trt, v, c(30, 90, 180, 365), ct, 0.9)
    expect_equal(f$arms$surv, o$arm$surv, tolerance = 1e-10)
    expect_equal(f$arms$std.err, o$arm$se, tolerance = 1e-10)
    expect_equal(f$arms$lower, o$arm$lower, tolerance = 1e-10)
    expect_equal(f$arms$upper, o$arm$upper, tolerance = 1e-10)
    expect_equal(f$arms$n.risk, o$arm$n.risk, tolerance = 1e-10)
    expect_equal(unname(ours(f)), unname(o$ct), tolerance = 1e-10)
  }
  lung <- survival::lung[which(survival::lung$ph.ecog < 3), ]
  f <- milestone(Surv(time, status) ~ ph.ecog, data = lung, times = c(100, 200, 300))
  o <- oracle_milestone(Surv(time, status) ~ ph.ecog, lung, c(100, 200, 300))
  expect_equal(unname(ours(f)), unname(o$ct), tolerance = 1e-10)
  expect_equal(f$arms$surv, o$arm$surv, tolerance = 1e-10)
})

test_that("seeded random trials (ties, small arms, 2-3 arms) equal the oracle to 1e-10", {
  for (s in 1:25) {
    set.seed(s)
    k <- 2 + s %% 2
    n <- sample(6:60, 1)
    arm <- sample(letters[1:k], n, replace = TRUE)
    arm[1:k] <- letters[1:k]
    t <- rexp(n, 0.1); c <- runif(n, 1, 25)
    d <- data.frame(time = pmin(t, c), status = as.integer(t <= c), arm = arm)
    if (s %% 2 == 0) d$time <- ceiling(d$time)
    # milestone times within every arm's curve
    last <- min(tapply(d$time, d$arm, max))
    times <- sort(unique(c(0, round(runif(3, 0, last), 1))))
    f <- milestone(Surv(time, status) ~ arm, data = d, times = times)
    o <- oracle_milestone(Surv(time, status) ~ arm, d, times)
    expect_equal(f$arms$surv, o$arm$surv, tolerance = 1e-10)
    expect_equal(f$arms$upper, o$arm$upper, tolerance = 1e-10)
    got <- ours(f); want <- o$ct
    # NA where the oracle divides 0 by 0 (no event yet) or the curve is 0
    expect_equal(is.na(got[, 4]), !is.finite(want[, 4]) | is.na(want[, 4]))
    ok <- is.finite(want)
    expect_equal(got[ok], want[ok], tolerance = 1e-10)
  }
})

test_that("a time past a censored arm's end is an error naming the arm; past an event, S = 0", {
  d <- data.frame(time = c(1, 2, 3, 4, 2, 3, 5, 8), status = c(1, 1, 1, 0, 1, 0, 1, 1),
                  arm = rep(c("ctl", "trt"), each = 4))
  expect_error(milestone(Surv(time, status) ~ arm, data = d, times = c(2, 6)),
               "`times`: 6 is past the last observation of arm \"ctl\" \\(time 4, censored\\)")
  d$status[4] <- 1
  f <- milestone(Surv(time, status) ~ arm, data = d, times = c(2, 9))
  expect_equal(f$arms$surv[c(2, 4)], c(0, 0))
  expect_true(is.na(f$contrasts$ratio[2]))
  expect_error(milestone(Surv(time, status) ~ arm, data = d), "`times` is missing")
  expect_error(milestone(Surv(time, status) ~ arm, data = d, times = -1), "`times` must be")
  expect_error(milestone(Surv(time, status) ~ arm, data = d, times = 1, conf.type = "foo"), "`conf.type`")
  expect_error(milestone(Surv(time, status) ~ arm, data = d, times = 1, conf.type = "none"), "`conf.type`")
})

test_that("one group, print and tidy", {
  f <- milestone(Surv(time, status) ~ 1, data = survival::veteran, times = c(30, 90))
  expect_null(f$contrasts)
  expect_output(print(f), "Survival at milestone")
  f <- milestone(Surv(time, status) ~ trt, data = survival::veteran, times = c(30, 90))
  expect_output(print(f), "2 vs 1")
  expect_equal(names(tidy(f)), c("arm", "time", "n.risk", "estimate", "std.error", "conf.low", "conf.high"))
  expect_equal(tidy(f, type = "ratio")$estimate, f$contrasts$ratio)
  expect_error(tidy(f, type = "odds"), "`type` must be one of")
})
