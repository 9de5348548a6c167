# followup() against prodlim::prodlim(reverse = TRUE) and its quantile(): the
# reverse Kaplan-Meier curve and standard errors to 1e-10, medians and limits
# exactly (they are observed times).

prodlim_quantiles <- function(p) {
  q <- quantile(p, 0.5)
  tabs <- if (is.data.frame(q[[1]])) unclass(q) else q
  do.call(rbind, lapply(tabs, function(x) unlist(x[1, c("quantile", "lower", "upper")])))
}

# prodlim skips curve values of exactly 0: where a curve falls from >= 1/2
# straight to 0 it gives NA and followup() the time of that fall (documented).
agree <- function(ours, theirs, curve_time, curve_value) {
  for (j in seq_along(ours)) {
    if (is.na(theirs[j]) && !is.na(ours[j])) {
      expect_equal(curve_value[match(ours[j], curve_time)], 0)
    } else {
      expect_identical(ours[j], unname(theirs[j]))
    }
  }
}

check_against_prodlim <- function(d) {
  f <- followup(Surv(time, status) ~ arm, data = d)
  one <- length(unique(d$arm)) == 1L
  p <- if (one) prodlim::prodlim(prodlim::Hist(time, status) ~ 1, data = d, reverse = TRUE)
       else prodlim::prodlim(prodlim::Hist(time, status) ~ arm, data = d, reverse = TRUE)
  expect_equal(f$fit$time, p$time, tolerance = 1e-10)
  expect_equal(f$fit$surv, p$surv, tolerance = 1e-10)
  se <- f$fit$std.err * f$fit$surv
  ok <- is.finite(se) & is.finite(p$se.surv)
  expect_equal(se[ok], p$se.surv[ok], tolerance = 1e-10)
  expect_equal(f$fit$n.risk, p$n.risk, tolerance = 0)
  if (!one) expect_equal(unname(f$fit$strata), p$size.strata)
  q <- prodlim_quantiles(p)
  tab <- f$table[f$table$arm != "Overall", ]
  st <- if (one) rep(1L, length(f$fit$time)) else rep(seq_along(f$fit$strata), f$fit$strata)
  for (k in seq_len(nrow(tab))) {
    i <- st == k
    agree(c(tab$median[k], tab$upper[k]), q[k, c("quantile", "upper")], f$fit$time[i], f$fit$surv[i])
    agree(tab$lower[k], q[k, "lower"], f$fit$time[i], f$fit$lower[i])
  }
  p1 <- prodlim::prodlim(prodlim::Hist(time, status) ~ 1, data = d, reverse = TRUE)
  q1 <- prodlim_quantiles(p1)
  ov <- f$table[if (one) 1L else f$table$arm == "Overall", ]
  expect_true(is.na(q1[1, "quantile"]) || ov$median == q1[1, "quantile"])
  expect_equal(f$table$observed, c(tapply(d$time, d$arm, median), if (!one) median(d$time)),
               ignore_attr = TRUE)
}

test_that("colon and veteran: reverse KM and medians equal prodlim", {
  skip_if_not_installed("prodlim")
  colon <- survival::colon[survival::colon$etype == 2, ]
  colon$arm <- colon$rx
  check_against_prodlim(colon)
  v <- survival::veteran
  v$arm <- v$celltype
  check_against_prodlim(v)
})

test_that("seeded random data (heavy ties between events and censorings, small arms)", {
  skip_if_not_installed("prodlim")
  for (s in 1:30) {
    set.seed(s)
    k <- 1 + s %% 3
    n <- sample(4:25, 1) * k
    # prodlim's quantile() fails on an arm whose curve has a single time, so
    # every arm gets censorings at two distinct times
    d <- data.frame(time = ceiling(rexp(n, 0.15) * (1 + s %% 3)), status = rbinom(n, 1, 0.5),
                    arm = rep(c("A", "B", "C")[seq_len(k)], length.out = n))
    d$status[seq_len(2 * k)] <- 0
    d$time[seq_len(k)] <- 100
    if (s %% 4 == 0) d$time <- d$time + runif(n) # no ties
    check_against_prodlim(d)
  }
})

test_that("ties: events leave before censorings at the same time (by hand)", {
  d <- data.frame(time = c(1, 1, 2, 2, 3, 4), status = c(1, 0, 1, 0, 0, 1))
  f <- followup(Surv(time, status) ~ 1, data = d)
  # t=1: at risk 6 - 1 event = 5, 1 censoring: 4/5; t=2: 4 - 1 = 3, 1: 2/3;
  # t=3: 2, 1: 1/2
  expect_equal(f$fit$surv[f$fit$time %in% 1:3], c(4 / 5, 4 / 5 * 2 / 3, 4 / 5 * 2 / 3 / 2),
               tolerance = 1e-14)
  expect_equal(f$table$median, 3)
  expect_equal(f$table$observed, 2)
  expect_equal(nrow(f$table), 1L)
})

test_that("print, tidy and errors", {
  f <- followup(Surv(time, status) ~ trt, data = survival::veteran)
  expect_output(print(f), "Overall")
  expect_equal(names(tidy(f)), c("arm", "n", "events", "censored", "estimate", "conf.low",
                                 "conf.high", "observed", "max"))
  expect_error(followup(Surv(time, status) ~ trt, data = survival::veteran, conf.level = 2),
               "`conf.level`")
  expect_error(followup(Surv(time, status) ~ trt + celltype, data = survival::veteran),
               "compares the arms of one variable")
  expect_error(print(f, foo = 1), "`foo` is not used")
})
