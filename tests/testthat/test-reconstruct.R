# reconstruct_ipd(): Guyot's algorithm (C core) on digitised curves.
# Tolerances (issue #16): once a time shift of up to 0.6% of the x range is
# allowed, max |S_rec - S| <= 0.02 on a grid of 2000 points; medians within
# 2% of the x range; |log HR_rec - log HR| <= 0.05; RMST within 1% of tau.

expect_round_trip <- function(e, label) {
  expect_true(all(e$arms$sup_shift <= 0.02), label = paste(label, "sup |S_rec - S|"))
  expect_true(all(e$arms$median <= 0.02), label = paste(label, "median"))
  expect_true(all(e$arms$rmst <= 0.01), label = paste(label, "RMST"))
  expect_lte(e$log_hr, 0.05)
}

test_that("exact corners give back the published numbers at risk and the curve", {
  vet <- survival::veteran
  f <- survival::survfit(survival::Surv(time, status) ~ 1, data = vet)
  curve <- data.frame(time = c(0, f$time), survival = c(1, f$surv))
  ticks <- seq(0, 900, 100)
  at_risk <- data.frame(time = ticks, n = vapply(ticks, function(t) sum(vet$time >= t), 0))
  ipd <- reconstruct_ipd(curve, at_risk)
  expect_named(ipd, c("time", "status", "arm"))
  expect_equal(nrow(ipd), nrow(vet))
  iv <- attr(ipd, "intervals")
  expect_equal(iv$n_rec, iv$n)                     # every published count met
  expect_lte(abs(sum(ipd$status) - sum(vet$status)), 2)
  g <- seq(0, 999, length.out = 2000)
  S <- stats::stepfun(f$time, c(1, f$surv))
  f2 <- survival::survfit(survival::Surv(time, status) ~ 1, data = ipd)
  R <- stats::stepfun(f2$time, c(1, f2$surv))
  expect_lte(max(abs(S(g) - R(g))), 0.02)         # no shift needed on exact input
})

test_that("cleaning: row order, percent scale and wiggles do not matter", {
  d <- rt_datasets()$lung
  at_risk <- rt_at_risk(d$data, d$ticks)
  curve <- rt_corners(d$data, d$xlim, seed = 11)
  a <- reconstruct_ipd(curve, at_risk)
  # at_risk rows in any order within an arm; arms keep their order of appearance
  b <- reconstruct_ipd(curve[rev(seq_len(nrow(curve))), ],
                       at_risk[order(at_risk$arm != "Male", -at_risk$time), ])
  expect_identical(a, b)
  pct <- transform(curve, survival = 100 * survival)
  expect_identical(reconstruct_ipd(pct, at_risk), a)
  expect_identical(levels(a$arm), c("Male", "Female"))   # order of at_risk
  # values a little above 1 or below 0 are clipped; (0, 1) is added
  curve2 <- rbind(curve, data.frame(time = c(1, 1000), survival = c(1.01, -0.004),
                                    arm = c("Male", "Male")))
  expect_silent(reconstruct_ipd(curve2, at_risk))
  # the user's data are not modified
  before <- curve
  reconstruct_ipd(curve, at_risk)
  expect_identical(curve, before)
})

test_that("the result goes straight into km(), logrank() and cox()", {
  d <- rt_datasets()$veteran
  ipd <- reconstruct_ipd(rt_corners(d$data, d$xlim, seed = 1), rt_at_risk(d$data, d$ticks))
  fit <- km(Surv(time, status) ~ arm, data = ipd)
  ref <- survival::survfit(survival::Surv(time, status) ~ arm, data = ipd)
  expect_equal(fit$surv, ref$surv, tolerance = 1e-10)
  lr <- logrank(Surv(time, status) ~ arm, data = ipd)
  expect_equal(lr$chisq, survival::survdiff(survival::Surv(time, status) ~ arm, data = ipd)$chisq,
               tolerance = 1e-10)
  cx <- cox(Surv(time, status) ~ arm, data = ipd)
  expect_equal(unname(coef(cx)), unname(coef(survival::coxph(survival::Surv(time, status) ~ arm,
                                                             data = ipd))), tolerance = 1e-6)
})

test_that("round trip from noisy step corners: lung, veteran, colon (death) by arm", {
  ds <- rt_datasets()
  for (nm in names(ds)) {
    d <- ds[[nm]]
    at_risk <- rt_at_risk(d$data, d$ticks)
    for (seed in 1:3) {
      rec <- reconstruct_ipd(rt_corners(d$data, d$xlim, seed), at_risk)
      expect_round_trip(rt_errors(d$data, rec, d$xlim), paste(nm, "seed", seed))
    }
  }
})

test_that("round trip on seeded random cohorts with heavy late censoring", {
  for (seed in 1:4) {
    set.seed(seed)
    n <- 120 + 40 * seed
    arm <- factor(rep(c("A", "B"), length.out = n))
    event <- stats::rexp(n, ifelse(arm == "A", 1 / 20, 1 / 30))
    # administrative censoring: uniform accrual over 24, cut-off at 48,
    # plus a little loss to follow-up
    cens <- pmin(48 - stats::runif(n, 0, 24), stats::rexp(n, 1 / 200))
    data <- data.frame(time = round(pmin(event, cens), 1), status = as.integer(event <= cens),
                       arm = arm)
    xlim <- c(0, 50)
    rec <- reconstruct_ipd(rt_corners(data, xlim, seed), rt_at_risk(data, seq(0, 48, 6)))
    expect_round_trip(rt_errors(data, rec, xlim), paste("random cohort", seed))
  }
})

test_that("total_events is matched in the last interval", {
  d <- rt_datasets()$lung
  at_risk <- rt_at_risk(d$data, d$ticks)
  curve <- rt_corners(d$data, d$xlim, seed = 1)
  tot <- tapply(d$data$status, d$data$arm, sum)
  rec <- reconstruct_ipd(curve, at_risk, total_events = tot)
  got <- tapply(rec$status, rec$arm, sum)
  # the last interval can reach the total unless earlier intervals overshoot
  expect_true(all(abs(got - tot) <= 1))
  expect_identical(reconstruct_ipd(curve, at_risk, total_events = rev(tot)[c("Male", "Female")]), rec)
})

test_that("netsurv's errors are no larger than IPDfromKM's on the same inputs", {
  skip_if_not_installed("IPDfromKM")
  skip_if_not_installed("png")
  # The comparison table of NEWS and bench/bench-reconstruct.R as assertions:
  # for each data set, (a) noisy step corners, mean over seeds 1-3, and (b)
  # the 1000-pixel PNG read by digitise_curve() -- for colon the mean over
  # the bench's five sizes (800-1200 pixels), since single images of colon
  # go either way by a pixel's worth (its 1000-pixel image: curve 0.0105
  # against 0.0076, from a drop read 8 days early where Obs is hidden under
  # Lev+5FU) --; the largest error over arms. netsurv's must be no larger
  # than IPDfromKM's up to a stated tolerance: 0.0005 for the curve (a third
  # of a pixel of the 1000 x 700 PNG) and for medians (0.0005 of the range;
  # where both read the same digitised crossing of 0.5 they tie); 0.0005 of
  # tau for RMST; 0.002 for log HR (the largest excess here is 0.0015, on
  # the Radiationdata-shaped PNG where IPDfromKM's error is 0.0002 against
  # netsurv's 0.0017, both noise against a bound of 0.05).
  ds <- c(rt_datasets(), list(radiation = rt_radiation()))
  for (nm in names(ds)) {
    d <- ds[[nm]]
    at_risk <- rt_at_risk(d$data, d$ticks)
    arms <- levels(d$data$arm)
    errs <- function(curve) {
      ours <- rt_errors(d$data, reconstruct_ipd(curve, at_risk), d$xlim)
      theirs <- rt_errors(d$data, suppressWarnings(rt_ipdfromkm(curve, at_risk, arms)), d$xlim)
      f <- function(e) c(sup = max(e$arms$sup_shift), median = max(e$arms$median),
                         rmst = max(e$arms$rmst), log_hr = e$log_hr)
      cbind(netsurv = f(ours), IPDfromKM = f(theirs))
    }
    corners <- Reduce(`+`, lapply(1:3, function(seed) errs(rt_corners(d$data, d$xlim, seed)))) / 3
    widths <- if (nm == "colon") c(1000, 800, 900, 1100, 1200) else 1000
    png_in <- Reduce(`+`, lapply(widths, function(w)
      errs(rt_digitise_png(d$data, d$xlim, width = w)))) / length(widths)
    for (input in c("corners", "png")) {
      e <- if (input == "corners") corners else png_in
      lab <- paste(nm, input)
      expect_lte(e["sup", "netsurv"], e["sup", "IPDfromKM"] + 0.0005, label = paste(lab, "curve"))
      expect_lte(e["rmst", "netsurv"], e["rmst", "IPDfromKM"] + 0.0005, label = paste(lab, "RMST"))
      expect_lte(e["log_hr", "netsurv"], e["log_hr", "IPDfromKM"] + 0.002, label = paste(lab, "log HR"))
      expect_lte(e["median", "netsurv"], e["median", "IPDfromKM"] + 0.0005, label = paste(lab, "median"))
    }
    if (nm == "colon") {
      # colon's PNGs, the cell #16 was kept open for: netsurv's mean log HR
      # error is below IPDfromKM's (0.0029 against 0.0037 in the bench), and
      # every mean error is within the issue's bounds
      expect_lt(png_in["log_hr", "netsurv"], png_in["log_hr", "IPDfromKM"])
      expect_lte(png_in["sup", "netsurv"], 0.02)
      expect_lte(png_in["median", "netsurv"], 0.02)
      expect_lte(png_in["rmst", "netsurv"], 0.01)
      expect_lte(png_in["log_hr", "netsurv"], 0.05)
    }
  }
})

test_that("IPDfromKM's Radiationdata: the hazard ratio beside the published 0.68", {
  skip_if_not_installed("IPDfromKM")
  env <- new.env()
  utils::data("Radiationdata", package = "IPDfromKM", envir = env)
  R <- env$Radiationdata
  arms <- c("Radiotherapy", "Radiotherapy plus cetuximab")
  curve <- rbind(data.frame(time = R$radio$V1, survival = R$radio$V2, arm = arms[1]),
                 data.frame(time = R$radioplus$V1, survival = R$radioplus$V2, arm = arms[2]))
  at_risk <- rbind(data.frame(time = R$trisk[1:6], n = R$nrisk.radio, arm = arms[1]),
                   data.frame(time = R$trisk[1:6], n = R$nrisk.radioplus, arm = arms[2]))
  ipd <- reconstruct_ipd(curve, at_risk)
  iv <- attr(ipd, "intervals")
  expect_equal(iv$n_rec, iv$n)
  hr <- exp(unname(coef(cox(Surv(time, status) ~ arm, data = ipd))))
  expect_gt(hr, 0.52)                 # inside the published 95% CI 0.52-0.89
  expect_lt(hr, 0.89)
  # 0.72 against IPDfromKM's 0.717: neither is the published 0.68 (which may
  # come from another model, and the figure carries no exact censoring times)
  expect_lt(abs(log(hr / 0.68)), 0.07)
  expect_lt(abs(log(hr / 0.717)), 0.01)   # IPDfromKM's own reconstruction
})

test_that("bad input: clear errors naming the argument and the row", {
  curve <- data.frame(time = c(0, 5, 10, 20), survival = c(1, 0.8, 0.6, 0.5))
  at_risk <- data.frame(time = c(0, 10), n = c(50, 30))
  expect_silent(reconstruct_ipd(curve, at_risk))
  expect_error(reconstruct_ipd(curve, data.frame(time = c(0, 30), n = c(50, 30))),
               "`at_risk`: row 2 reports 30 at risk at time 30, after the curve ends \\(time 20\\)")
  expect_error(reconstruct_ipd(data.frame(time = c(0, 5, 10, 20), survival = c(1, 0.6, 0.8, 0.5)),
                               at_risk),
               "`curve`: survival rises from 0.600 \\(time 5, row 2\\) to 0.800 \\(time 10, row 3\\)")
  expect_error(reconstruct_ipd(curve, data.frame(time = c(0, 5, 10), n = c(50, 30, 35))),
               "`at_risk`: the number at risk grows from 30 \\(time 5, row 2\\) to 35 \\(time 10, row 3\\)")
  expect_error(reconstruct_ipd(curve, data.frame(time = c(0, 10, 10), n = c(50, 30, 30))),
               "`at_risk`: rows 2 and 3 both have time 10, an empty interval")
  expect_error(reconstruct_ipd(curve, data.frame(time = c(5, 10), n = c(50, 30))),
               "`at_risk` needs a row at time 0 \\(its first time is 5, row 1\\)")
  expect_error(reconstruct_ipd(curve, data.frame(time = c(0, 10), n = c(50, 30.5))),
               "`at_risk`: the number at risk in row 2 is 30.5")
  expect_error(reconstruct_ipd(transform(curve, time = c(0, NA, 10, 20)), at_risk),
               "`curve`: the time in row 2 is NA")
  expect_error(reconstruct_ipd(transform(curve, survival = c(100, 80, 60, 500)), at_risk),
               "`curve`: survival is read as a percentage .* row 4 has 500")
  expect_error(reconstruct_ipd(cbind(curve, lower = 0), at_risk),
               "`curve` has column\\(s\\) `lower` that reconstruct_ipd\\(\\) does not use")
  expect_error(reconstruct_ipd(curve[, 1, drop = FALSE], at_risk),
               "`curve` must have columns `time` and `survival`")
  expect_error(reconstruct_ipd(list(1), at_risk), "`curve` must be a data frame")
  expect_error(reconstruct_ipd(curve, at_risk, total_events = c(1, 2)),
               "`total_events` must be NULL or 1 whole number")
  two <- rbind(transform(curve, arm = "A"), transform(curve, arm = "B"))
  expect_error(reconstruct_ipd(two, transform(at_risk, arm = "A")),
               "`at_risk` has no rows for arm \"B\" of `curve`")
  expect_error(reconstruct_ipd(two, at_risk), "`curve` has an `arm` column, so `at_risk` needs one too")
  expect_error(reconstruct_ipd(two, rbind(transform(at_risk, arm = "A"),
                                          data.frame(time = c(0, 10), n = c(50, 60), arm = "B"))),
               "`at_risk` \\(arm \"B\"\\): the number at risk grows from 50 \\(time 0, row 3\\) to 60 \\(time 10, row 4\\)")
})
