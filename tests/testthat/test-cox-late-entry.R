# (start, stop] Cox fits whose rows entering later have scores far above the
# earlier risk sets (issue #13): a row's hazard over (start, stop] was formed
# as Lambda(stop) - Lambda(start), which cancels when the hazard before it
# entered outweighs its own: at a score e^30 above the earlier rows its
# expected count was off by 5e-4, from e^40 on it lost every digit (the
# martingale residual became 1). The runs of event times are now summed
# without differencing where that would lose more than 13 bits.

late_data <- data.frame(start = c(0, 0, 2.5, 3), stop = c(2, 3, 5, 6),
                        status = c(1, 0, 1, 1), x = c(0, 0, 1, 1))

test_that("martingale residuals of late entrants with scores up to e^430 above", {
  # by hand: t = 2, risk set {1, 2}: hazard 1/2; t = 5, {3, 4} with equal
  # scores: 1 / (2 r); t = 6, {4}: 1 / r. Residuals 1/2, -1/2, 1/2, -1/2
  # whatever r (coxph agrees: its sums do not mix the two groups here).
  for (b in c(10, 30, 40, 100, 300, 430)) {
    f <- cox(Surv(start, stop, status) ~ x, late_data, init = b, ties = "breslow",
             control = cox_control(iter.max = 0))
    s <- coxph(Surv(start, stop, status) ~ x, late_data, init = b, ties = "breslow",
               control = coxph.control(iter.max = 0))
    expect_equal(unname(residuals(f)), c(0.5, -0.5, 0.5, -0.5), tolerance = 1e-12,
                 label = paste("beta", b))
    expect_equal(residuals(f), residuals(s), tolerance = 1e-12)
    expect_equal(residuals(f, type = "deviance"), residuals(s, type = "deviance"),
                 tolerance = 1e-12)
    # score residuals: the same runs of hazard-weighted means
    expect_equal(residuals(f, type = "score"), residuals(s, type = "score"),
                 tolerance = 1e-10)
  }
})

test_that("seeded random late-entry data with spread scores match coxph", {
  # Scores up to e^20 apart: coxph's running sums and netsurv's risk-set
  # sums are both exact to ~1e-16 * e^20 here (beyond ~e^35 both cancel:
  # the risk-set sums of (start, stop] data are still formed from rounded
  # per-slot sums, NEWS); the residuals must also equal their definition.
  set.seed(4242)
  for (k in 1:8) {
    n <- 40
    # times on a 1/4 grid: exact in binary, so no near-ties for timefix
    start <- round(runif(n, 0, 5) * 4) / 4
    d <- data.frame(start = start, stop = start + round(runif(n, 0.25, 3) * 4) / 4,
                    status = rbinom(n, 1, 0.6), g = rbinom(n, 1, 0.5))
    # rows entering late carry the large covariate: scores e^(b x), later
    # entrants e^b above the first risk sets
    d$x <- ifelse(d$start > 2.5, 1, 0) + d$g * 0.1
    b <- c(5, 10, 15, 20)[(k - 1) %% 4 + 1]
    ties <- if (k > 4) "efron" else "breslow"
    f <- cox(Surv(start, stop, status) ~ x, d, init = b, ties = ties,
             control = cox_control(iter.max = 0))
    s <- coxph(Surv(start, stop, status) ~ x, d, init = b, ties = ties,
               control = coxph.control(iter.max = 0))
    expect_equal(f$loglik, s$loglik, tolerance = 1e-7)
    expect_equal(residuals(f), residuals(s), tolerance = 1e-7)
    expect_equal(residuals(f, type = "score"), residuals(s, type = "score"), tolerance = 1e-6)
    if (ties == "breslow") {
      # status - r * (the Breslow hazards of the event times in (start, stop])
      eta <- b * (d$x - f$means)
      tt <- sort(unique(d$stop[d$status == 1]))
      haz <- vapply(tt, function(t) sum(d$status[d$stop == t]) /
                      sum(exp(eta[d$start < t & d$stop >= t])), 0)
      e <- vapply(seq_len(n), function(i)
        sum(haz[tt > d$start[i] & tt <= d$stop[i]]) * exp(eta[i]), 0)
      # the risk-set sums carry ~1e-16 * e^b of rounding (see above)
      expect_equal(unname(residuals(f)), d$status - e, tolerance = max(1e-10, 1e-14 * exp(b)))
    }
  }
})
