# cuminc() against survival::survfit() (estimates, jackknife standard errors,
# counts) and cmprsk::cuminc() (its variance and Gray's test), fixed cases and
# seeded random differential tests.

strata <- survival::strata

# Estimates to 1e-10, standard errors to 1e-8, and the time points and row
# counts exactly, against survfit's multi-state fit.
expect_matches_survfit <- function(fit, oracle) {
  expect_equal(fit$time, oracle$time, tolerance = 1e-12)
  expect_equal(unname(fit$estimate), unname(oracle$pstate[, -1, drop = FALSE]), tolerance = 1e-10)
  expect_lt(max(abs(fit$std.err - oracle$std.err[, -1, drop = FALSE])), 1e-8)
  expect_equal(fit$n.risk, oracle$n.risk[, 1])
  expect_equal(unname(fit$n.event), unname(oracle$n.event[, -1, drop = FALSE]))
  expect_equal(fit$n.censor, oracle$n.censor)
  expect_equal(fit$surv, oracle$pstate[, 1], tolerance = 1e-10)
  if (!is.null(oracle$strata)) expect_equal(unname(fit$strata), unname(oracle$strata))
  if (!is.null(fit$lower)) {
    expect_equal(unname(fit$lower), unname(oracle$lower[, -1, drop = FALSE]), tolerance = 1e-7)
    expect_equal(unname(fit$upper), unname(oracle$upper[, -1, drop = FALSE]), tolerance = 1e-7)
  }
}

# cmprsk's curves list the corners of the step function (each jump twice);
# compare our step function at its post-jump points: estimates to 1e-10,
# variances to 1e-8.
expect_matches_cmprsk_curves <- function(fit, oracle, group_label = function(g) g) {
  for (nm in setdiff(names(oracle), "Tests")) {
    z <- oracle[[nm]]
    parts <- strsplit(nm, " ", fixed = TRUE)[[1L]]
    k <- match(parts[2L], fit$causes)
    rows <- if (is.null(fit$strata)) seq_along(fit$time)
            else which(rep(names(fit$strata), fit$strata) == group_label(parts[1L]))
    keep <- !duplicated(z$time, fromLast = TRUE) & z$time >= min(fit$time[rows])
    idx <- findInterval(z$time[keep], fit$time[rows])
    expect_equal(fit$estimate[rows, k][idx], z$est[keep], tolerance = 1e-10)
    expect_lt(max(abs(fit$std.err[rows, k][idx]^2 - z$var[keep])), 1e-8)
  }
}

expect_matches_cmprsk_tests <- function(fit, oracle) {
  tt <- oracle$Tests
  expect_equal(fit$tests$statistic, unname(tt[, "stat"]), tolerance = 1e-8)
  expect_equal(fit$tests$p.value, unname(tt[, "pv"]), tolerance = 1e-8)
  expect_equal(fit$tests$df, as.integer(tt[, "df"]))
}

test_that("mgus2: estimates, standard errors and counts equal survfit's", {
  mg <- mgus_cr()
  expect_matches_survfit(cuminc(Surv(etime, event) ~ 1, data = mg),
                         survival::survfit(Surv(etime, event) ~ 1, data = mg))
  expect_matches_survfit(cuminc(Surv(etime, event) ~ sex, data = mg),
                         survival::survfit(Surv(etime, event) ~ sex, data = mg))
  expect_matches_survfit(cuminc(Surv(etime, event) ~ sex + agegrp, data = mg),
                         survival::survfit(Surv(etime, event) ~ sex + agegrp, data = mg))
  # (survfit drops the dimensions of its arcsin limits for multi-state curves,
  # so that type is left out here; it shares km()'s code.)
  for (ct in c("log-log", "plain", "logit"))
    expect_matches_survfit(cuminc(Surv(etime, event) ~ sex, data = mg, conf.type = ct, conf.int = 0.9),
                           survival::survfit(Surv(etime, event) ~ sex, data = mg, conf.type = ct,
                                             conf.int = 0.9))
})

test_that("integer event codes (Surv's status 2) equal the factor form", {
  mg <- mgus_cr()
  a <- cuminc(Surv(etime, code) ~ sex, data = mg)
  b <- cuminc(Surv(etime, event) ~ sex, data = mg)
  expect_identical(a$causes, c("1", "2"))
  expect_equal(unname(a$estimate), unname(b$estimate), tolerance = 0)
  expect_equal(unname(a$std.err), unname(b$std.err), tolerance = 0)
  expect_equal(a$tests$statistic, b$tests$statistic, tolerance = 0)
  # logical event: one cause, 1 - Kaplan-Meier
  lung <- survival::lung
  f <- cuminc(Surv(time, status == 2) ~ sex, data = lung)
  k <- km(Surv(time, status) ~ sex, data = lung)
  expect_equal(as.vector(f$estimate), 1 - k$surv, tolerance = 1e-12)
})

test_that("mgus2: cmprsk's variance and Gray's test equal cmprsk::cuminc", {
  skip_if_not_installed("cmprsk")
  mg <- mgus_cr()
  oracle <- cmprsk::cuminc(mg$etime, mg$code, mg$sex)
  fit <- cuminc(Surv(etime, code) ~ sex, data = mg, variance = "cmprsk")
  expect_matches_cmprsk_curves(fit, oracle, function(g) paste0("sex=", g))
  expect_matches_cmprsk_tests(fit, oracle)
  # the tests do not depend on the variance chosen for the curves
  expect_equal(cuminc(Surv(etime, code) ~ sex, data = mg)$tests, fit$tests)
  # four groups, stratified, rho = 1
  oracle <- cmprsk::cuminc(mg$etime, mg$code, mg$agegrp, strata = mg$sex, rho = 1)
  fit <- cuminc(Surv(etime, code) ~ agegrp + strata(sex), data = mg, rho = 1, variance = "cmprsk")
  expect_matches_cmprsk_tests(fit, oracle)
  expect_matches_cmprsk_curves(fit, oracle, function(g) paste0("agegrp=", g))
  expect_equal(length(fit$strata), 4L)  # strata() splits the test only
})

random_cr <- function(n, n_group = 3, n_cause = 3, seed = 1) {
  set.seed(seed)
  data.frame(time = round(rexp(n) * 6) / 2 + 0.5,
             code = sample(0:n_cause, n, TRUE),
             g = sample(letters[seq_len(n_group)], n, TRUE),
             s = sample(c("u", "v"), n, TRUE),
             w = round(runif(n, 0.2, 3), 2),
             iw = sample(0:3, n, TRUE))
}

test_that("random data with ties, fractional and zero weights equal survfit", {
  for (seed in 1:6) {
    d <- random_cr(80 + 20 * seed, n_group = 1 + seed %% 4, seed = seed)
    d$ev <- factor(d$code, 0:3, c("cens", "a", "b", "c"))
    if (seed %% 2 == 0) d$w[sample(nrow(d), 5)] <- 0
    rhs <- if (length(unique(d$g)) > 1) "g" else "1"
    f <- stats::as.formula(paste("Surv(time, ev) ~", rhs))
    # (survfit warns "NaNs produced" from its own confidence limits at zero
    # weights; the numbers compared are unaffected.)
    expect_matches_survfit(cuminc(f, data = d), suppressWarnings(survival::survfit(f, data = d)))
    expect_matches_survfit(cuminc(f, data = d, weights = w),
                           suppressWarnings(survival::survfit(f, data = d, weights = w)))
  }
})

test_that("random data: cmprsk variance and Gray's test, with strata and integer weights", {
  skip_if_not_installed("cmprsk")
  for (seed in 1:6) {
    d <- random_cr(60 + 30 * seed, n_group = 2 + seed %% 3, seed = 100 + seed)
    oracle <- cmprsk::cuminc(d$time, d$code, d$g, strata = d$s, rho = (seed %% 3) / 2)
    fit <- cuminc(Surv(time, code) ~ g + strata(s), data = d, variance = "cmprsk",
                  rho = (seed %% 3) / 2)
    expect_matches_cmprsk_curves(fit, oracle, function(g) paste0("g=", g))
    expect_matches_cmprsk_tests(fit, oracle)
    # whole-number weights act as replicated rows
    rep_rows <- d[rep(seq_len(nrow(d)), d$iw), ]
    oracle <- cmprsk::cuminc(rep_rows$time, rep_rows$code, rep_rows$g)
    fit <- cuminc(Surv(time, code) ~ g, data = d, weights = iw, variance = "cmprsk")
    expect_matches_cmprsk_tests(fit, oracle)
    expect_matches_cmprsk_curves(fit, oracle, function(g) paste0("g=", g))
  }
})

test_that("an indefinite Gray variance gives NA where cmprsk gives a negative statistic", {
  skip_if_not_installed("cmprsk")
  # fuzz_competing 0b387f27: every row at risk in groups 0 and 2 fails at time 3
  d <- data.frame(time = c(5, 0, 3, 3, 0, 0), code = c(2, 1, 1, 1, 0, 0),
                  w = c(2, 5, 7, 2, 0, 0), g = c(1, 0, 2, 0, 0, 0))
  r <- d[rep(seq_len(nrow(d)), d$w), ]
  oracle <- cmprsk::cuminc(r$time, r$code, r$g)$Tests
  expect_lt(oracle[1, "stat"], 0) # cmprsk: -19.5, p = 1
  fit <- cuminc(Surv(time, code) ~ g, data = d, weights = w)
  expect_true(all(is.na(fit$tests$statistic)))
  expect_true(all(is.na(fit$tests$p.value)))
  expect_output(print(fit), "NA: the cause has no events, or Gray's variance estimate is singular")
  # a well-defined test prints no such note
  expect_false(any(grepl("^NA:", capture.output(print(cuminc(Surv(time, code) ~ g,
                                                               data = random_cr(200, n_group = 2, seed = 3)))))))
})

test_that("counting-process data and id clusters equal survfit", {
  for (seed in 1:4) {
    set.seed(seed)
    n <- 60
    s <- data.frame(id = seq_len(n), T = round(rexp(n) * 5) / 2 + 1, code = sample(0:2, n, TRUE),
                    g = sample(c("a", "b"), n, TRUE), w = runif(n, 0.5, 2))
    s$cut <- round(s$T * runif(n, 0.2, 0.8), 1)
    # each subject split in two rows; only the second carries the event
    d <- rbind(data.frame(id = s$id, start = 0, stop = s$cut, code = 0, g = s$g, w = s$w),
               data.frame(id = s$id, start = s$cut, stop = s$T, code = s$code, g = s$g, w = s$w))
    d$ev <- factor(d$code, 0:2, c("censor", "x", "y"))
    expect_matches_survfit(
      cuminc(Surv(start, stop, ev) ~ g, data = d, id = id, weights = w),
      survival::survfit(Surv(start, stop, ev) ~ g, data = d, id = id, weights = w))
    # delayed entry, one row per subject
    s$entry <- pmax(0, s$T - runif(n, 0.3, 4))
    s$ev <- factor(s$code, 0:2, c("censor", "x", "y"))
    expect_matches_survfit(cuminc(Surv(entry, T, ev) ~ g, data = s),
                           survival::survfit(Surv(entry, T, ev) ~ g, data = s, id = id))
  }
})

test_that("times that differ by rounding error are merged, as survfit", {
  d <- data.frame(time = c(0.1 + 0.2, 0.3, 1, 2, 2, 3), code = c(1, 2, 1, 0, 2, 1))
  d$ev <- factor(d$code, 0:2, c("censor", "a", "b"))
  expect_matches_survfit(cuminc(Surv(time, ev) ~ 1, data = d),
                         survival::survfit(Surv(time, ev) ~ 1, data = d))
  expect_length(cuminc(Surv(time, ev) ~ 1, data = d)$time, 4L)
})

test_that("a hand computation: two causes, a tie and a censoring", {
  # t = 1: n 5, cause a; t = 2: n 4, one a and one b; t = 3: censored;
  # t = 4: n 1, cause b.  S = 4/5, 2/5, 2/5, 0.
  d <- data.frame(time = c(1, 2, 2, 3, 4), code = c(1, 1, 2, 0, 2))
  fit <- cuminc(Surv(time, code) ~ 1, data = d)
  expect_equal(fit$time, c(1, 2, 3, 4))
  expect_equal(unname(fit$estimate[, 1]), c(1 / 5, 1 / 5 + 4 / 5 / 4, 2 / 5, 2 / 5), tolerance = 1e-15)
  expect_equal(unname(fit$estimate[, 2]), c(0, 1 / 5, 1 / 5, 1 / 5 + 2 / 5), tolerance = 1e-15)
  expect_equal(fit$n.risk, c(5, 4, 2, 1))
})

test_that("a cause that never occurs and a group without events are documented results", {
  d <- random_cr(80, n_group = 2, n_cause = 2, seed = 9)
  d$ev <- factor(d$code, 0:3, c("censor", "x", "y", "never"))
  fit <- cuminc(Surv(time, ev) ~ g, data = d)
  expect_identical(fit$causes, c("x", "y", "never"))
  expect_true(all(fit$estimate[, "never"] == 0))
  expect_true(is.na(fit$tests$statistic[3]))
  expect_matches_survfit(fit, survival::survfit(Surv(time, ev) ~ g, data = d))
  # group a has no events of cause y: its incidence of y is 0; the test is defined
  d$code[d$g == "a" & d$code == 2] <- 1
  fit <- cuminc(Surv(time, code) ~ g, data = d)
  expect_true(all(fit$estimate[rep(names(fit$strata), fit$strata) == "g=a", "2"] == 0))
  skip_if_not_installed("cmprsk")
  expect_matches_cmprsk_tests(fit, cmprsk::cuminc(d$time, d$code, d$g))
})

test_that("bad input stops with a message naming the argument and the row", {
  d <- data.frame(time = c(1, 2, 3, 4), code = c(0, 1, 2, 1), g = c(1, 1, 2, 2))
  d$bad_factor <- factor(c("death", "pcm", "death", "alive"), levels = c("death", "pcm", "alive"))
  expect_error(cuminc(Surv(time, bad_factor) ~ 1, data = d),
               "first level of the event factor, \"death\", must mean censored")
  fit <- cuminc(Surv(time, bad_factor) ~ 1, data = d, censor = "alive")
  expect_identical(fit$causes, c("death", "pcm"))
  expect_equal(unname(fit$n.event[, "death"]), c(1, 0, 1, 0))
  expect_error(cuminc(Surv(time, bad_factor) ~ 1, data = d, censor = "zombie"), "`censor` must be one level")
  d$neg <- c(0, 1, -1, 1)
  expect_error(cuminc(Surv(time, neg) ~ 1, data = d), "event in row 3 is -1")
  d$frac <- c(0, 1, 1.5, 1)
  expect_error(cuminc(Surv(time, frac) ~ 1, data = d), "event in row 3 is 1.5")
  d$t2 <- c(1, NaN, 3, 4)
  expect_error(cuminc(Surv(time, code) ~ 1, data = d, weights = c(1, -1, 1, 1)), "`weights`.*row 2")
  expect_error(cuminc(Surv(time, code) ~ strata(g), data = d), "needs at least two groups")
  expect_error(cuminc(Surv(time, code) ~ 1, data = d, variance = "cmprsk", weights = c(1, 0.5, 1, 1)),
               "whole-number weights")
  d$start <- c(0, 0, 1, 5)
  expect_error(cuminc(Surv(start, time, code) ~ 1, data = d), "row 4 the interval \\(5, 4\\]")
  expect_error(cuminc(Surv(start, time, code) ~ 1, data = d[1:3, ], variance = "cmprsk"),
               "right-censored")
  expect_error(cuminc(Surv(time, code) ~ 1, data = d, variance = "greenwood"), "`variance` must be")
  expect_error(cuminc(time ~ 1, data = d), "response must be Surv")
  d$surv12 <- c(1, 2, 2, 1)
  expect_error(cuminc(Surv(time, surv12) ~ 1, data = d), "event codes are 1 and 2 and none is 0")
  d$none <- 0
  expect_error(cuminc(Surv(time, none) ~ 1, data = d), "no row has an event")
  expect_error(print(cuminc(Surv(time, code) ~ 1, data = d), foo = 1), "`foo` is not used")
})

test_that("summary, quantile and tidy read the step function", {
  mg <- mgus_cr()
  fit <- cuminc(Surv(etime, event) ~ sex, data = mg)
  s <- summary(fit, times = c(0, 60, 120, 1000))
  rows <- rep(names(fit$strata), fit$strata) == "sex=M"
  at120 <- max(which(fit$time[rows] <= 120))
  got <- s[s$group == "sex=M" & s$cause == "death" & s$time == 120, ]
  expect_equal(got$estimate, unname(fit$estimate[rows, "death"][at120]))
  expect_equal(got$std.err, unname(fit$std.err[rows, "death"][at120]))
  expect_equal(got$n.event, sum(fit$n.event[rows, "death"][fit$time[rows] <= 120]))
  expect_equal(s$estimate[s$time == 0], rep(0, 4))
  oracle <- summary(survival::survfit(Surv(etime, event) ~ sex, data = mg), times = c(60, 120))
  ours <- s[s$time %in% c(60, 120) & s$cause == "pcm", ]
  expect_equal(ours$estimate, unname(oracle$pstate[, 2]), tolerance = 1e-10)
  expect_equal(ours$n.risk, unname(oracle$n.risk[, 1]))
  q <- quantile(fit, probs = 0.25)
  qd <- q[q$group == "sex=F" & q$cause == "death", ]
  rowsF <- rep(names(fit$strata), fit$strata) == "sex=F"
  expect_equal(qd$quantile, fit$time[rowsF][which(fit$estimate[rowsF, "death"] >= 0.25)[1]])
  expect_true(is.na(q$quantile[q$cause == "pcm"][1]))  # never reaches 25%
  td <- tidy(fit)
  expect_named(td, c("strata", "cause", "time", "n.risk", "n.event", "n.censor", "estimate",
                     "std.error", "conf.low", "conf.high"))
  expect_equal(nrow(td), 2 * length(fit$time))
  td1 <- tidy(cuminc(Surv(etime, event) ~ 1, data = mg))
  expect_named(td1, c("cause", "time", "n.risk", "n.event", "n.censor", "estimate",
                      "std.error", "conf.low", "conf.high"))
  expect_equal(td$estimate[td$cause == "pcm"], unname(fit$estimate[, "pcm"]))
  g <- glance(fit)
  expect_equal(g$p.value.death, fit$tests$p.value[2])
  out <- capture.output(print(fit))
  expect_true(any(grepl("Gray's test", out)))
  expect_true(any(grepl("death", out)))
})

test_that("figure data: rising curves, numbers at risk and Gray's p from the fit", {
  mg <- mgus_cr()
  mg$years <- mg$etime / 12
  fit <- cuminc(Surv(years, event) ~ sex, data = mg)
  pds <- cuminc_plot_data(fit, xbreaks = seq(0, 30, 10))
  expect_named(pds, c("pcm", "death"))
  pd <- pds$death
  expect_s3_class(pd, "netsurv_plotdata")
  s <- summary(fit, times = seq(0, 30, 10))
  expect_equal(pd$risk$n.risk, s$n.risk[s$cause == "death"])
  # the drawn step path visits every estimate and never falls
  for (g in levels(pd$steps$strata)) {
    y <- pd$steps$surv[pd$steps$strata == g]
    expect_true(all(diff(y) >= 0))
    expect_equal(max(y), max(fit$estimate[rep(names(fit$strata), fit$strata) == g, "death"]))
  }
  expect_equal(pd$test$p.value, fit$tests$p.value[2])
  expect_match(pd$text$annotation, "Gray's test P < 0.001")
  at30 <- s[s$time == 30 & s$cause == "death", ]
  expect_equal(pd$summary$cuminc, at30$estimate)
  deaths <- tapply(fit$n.event[, "death"], rep(names(fit$strata), fit$strata), sum)
  expect_equal(pd$text$events, paste0(deaths[names(fit$strata)], "/", fit$n))
  st <- cuminc_plot_data(fit, stacked = TRUE)$all
  expect_length(st$labels, 4L)
  expect_error(cuminc_plot_data(fit, cause = "relapse"), "`cause` must name causes")
  # drawing: base graphics and ggplot2 from the same data
  path <- tempfile(fileext = ".png")
  grDevices::png(path, width = 1200, height = 600)
  drawn <- plot(fit, xbreaks = seq(0, 30, 10), conf.int = TRUE)
  drawn2 <- plot(fit, stacked = TRUE)
  grDevices::dev.off()
  expect_equal(drawn$death$risk, pd$risk)
  expect_true(file.size(path) > 0)
  skip_if_not_installed("ggplot2")
  g <- ggplot2::autoplot(fit, cause = "pcm", xbreaks = seq(0, 30, 10))
  expect_s3_class(g, "ggplot")
  expect_equal(attr(g, "netsurv_plotdata")$risk, pds$pcm$risk)
})
