# km() against survival::survfit() (the oracle), field by field, and by hand.

# Every field of survfit's object, same names in the same order, same types,
# equal numbers (relative 1e-10, field by field); only the call differs (km vs
# survfit).
expect_same_fit <- function(fit, oracle, tolerance = 1e-10) {
  expect_s3_class(fit, c("netsurv_km", "netsurv_curve"), exact = TRUE)
  ours <- unclass(fit)
  theirs <- unclass(oracle)
  ours$call <- NULL
  theirs$call <- NULL
  expect_identical(names(ours), names(theirs))
  expect_identical(vapply(ours, typeof, ""), vapply(theirs, typeof, ""))
  expect_equal(ours, theirs, tolerance = tolerance)
}

# `strata()` in formulas, as a user with survival attached writes it.
strata <- survival::strata

conf_types <- c("log", "log-log", "plain", "logit", "arcsin", "none")

test_that("right-censored curves equal survfit's on public data sets", {
  lung <- survival::lung
  expect_same_fit(km(Surv(time, status) ~ 1, data = lung),
                  survival::survfit(Surv(time, status) ~ 1, data = lung))
  expect_same_fit(km(Surv(time, status) ~ sex, data = lung),
                  survival::survfit(Surv(time, status) ~ sex, data = lung))
  expect_same_fit(km(Surv(time, status) ~ celltype + trt, data = survival::veteran),
                  survival::survfit(Surv(time, status) ~ celltype + trt, data = survival::veteran))
  expect_same_fit(km(Surv(time, status) ~ x, data = survival::aml),
                  survival::survfit(Surv(time, status) ~ x, data = survival::aml))
  expect_same_fit(km(Surv(futime, fustat) ~ rx + resid.ds, data = survival::ovarian),
                  survival::survfit(Surv(futime, fustat) ~ rx + resid.ds, data = survival::ovarian))
  expect_same_fit(km(Surv(time, status) ~ rx + sex, data = survival::colon),
                  survival::survfit(Surv(time, status) ~ rx + sex, data = survival::colon))
  pbc <- survival::pbc
  pbc$dead <- as.integer(pbc$status == 2)
  expect_same_fit(km(Surv(time, dead) ~ trt, data = pbc),
                  survival::survfit(Surv(time, dead) ~ trt, data = pbc))
  expect_same_fit(km(Surv(time, status) ~ rx + sex, data = survival::rats),
                  survival::survfit(Surv(time, status) ~ rx + sex, data = survival::rats))
  # strata() and a character grouping variable label as survfit does
  expect_same_fit(km(Surv(time, status) ~ strata(sex), data = lung),
                  survival::survfit(Surv(time, status) ~ strata(sex), data = lung))
  expect_same_fit(km(Surv(time, status) ~ as.character(celltype), data = survival::veteran),
                  survival::survfit(Surv(time, status) ~ as.character(celltype), data = survival::veteran))
})

test_that("every conf.type and conf.int gives survfit's limits, NA where survfit has NA", {
  aml <- survival::aml # curves that reach 0 (std.err Inf) and stay at 1
  for (type in conf_types) {
    expect_same_fit(km(Surv(time, status) ~ sex, data = survival::lung, conf.type = type),
                    survival::survfit(Surv(time, status) ~ sex, data = survival::lung, conf.type = type))
    expect_same_fit(km(Surv(time, status) ~ 1, data = aml, conf.type = type, conf.int = 0.8),
                    survival::survfit(Surv(time, status) ~ 1, data = aml, conf.type = type, conf.int = 0.8))
    expect_same_fit(km(Surv(start, stop, event) ~ transplant, data = survival::heart, conf.type = type),
                    survival::survfit(Surv(start, stop, event) ~ transplant, data = survival::heart,
                                      conf.type = type))
  }
  d <- data.frame(time = c(1, 2, 3, 3), status = c(1, 0, 1, 1))
  fit <- km(Surv(time, status) ~ 1, data = d)
  expect_equal(fit$surv[3], 0)
  expect_identical(fit$std.err[3], Inf)
  expect_true(is.na(fit$lower[3]) && is.na(fit$upper[3]))
  expect_null(km(Surv(time, status) ~ 1, data = d, conf.type = "none")$lower)
})

test_that("degenerate curves: all censored, all dying at once, zero weights, one row", {
  cases <- list(
    list(d = data.frame(time = c(1, 2, 3), status = 0), w = NULL),
    list(d = data.frame(time = c(2, 2, 2), status = 1), w = NULL),
    list(d = data.frame(time = 5, status = 1), w = NULL),
    list(d = data.frame(time = c(1, 2, 3), status = c(1, 0, 1), w = 0), w = "w"),
    list(d = data.frame(time = c(2, 2, 3, 4), status = c(1, 1, 0, 1), w = c(0.5, 1.5, 2, 0.25)), w = "w")
  )
  for (case in cases) {
    for (type in conf_types) {
      d <- case$d
      if (is.null(case$w)) {
        fit <- km(Surv(time, status) ~ 1, data = d, conf.type = type)
        oracle <- survival::survfit(Surv(time, status) ~ 1, data = d, conf.type = type)
      } else {
        fit <- km(Surv(time, status) ~ 1, data = d, weights = w, conf.type = type)
        oracle <- survival::survfit(Surv(time, status) ~ 1, data = d, weights = w, conf.type = type)
      }
      expect_same_fit(fit, oracle)
    }
  }
})

test_that("counting-process data (left truncation) equal survfit's", {
  heart <- survival::heart
  expect_same_fit(km(Surv(start, stop, event) ~ 1, data = heart),
                  survival::survfit(Surv(start, stop, event) ~ 1, data = heart))
  expect_same_fit(km(Surv(start, stop, event) ~ transplant + surgery, data = heart),
                  survival::survfit(Surv(start, stop, event) ~ transplant + surgery, data = heart))
  # late entry into small risk sets; the curve reaches 0 and later entrants
  # bring the risk set back
  set.seed(11)
  n <- 400
  entry <- round(runif(n, 0, 60))
  d <- data.frame(start = entry, stop = entry + round(rexp(n, 1 / 20)) + 1,
                  event = rbinom(n, 1, 0.7), g = sample(c("a", "b", "c"), n, TRUE))
  expect_same_fit(km(Surv(start, stop, event) ~ g, data = d),
                  survival::survfit(Surv(start, stop, event) ~ g, data = d))
  # entry and stop times with rounding fuzz are merged together (aeqSurv)
  fuzzy <- heart
  fuzzy$start <- fuzzy$start * (1 + sample(c(0, 1e-13, -1e-13), nrow(heart), TRUE))
  fuzzy$stop <- fuzzy$stop + sample(c(0, 1e-12), nrow(heart), TRUE)
  expect_same_fit(km(Surv(start, stop, event) ~ transplant, data = fuzzy),
                  survival::survfit(Surv(start, stop, event) ~ transplant, data = fuzzy))
  d0 <- data.frame(start = c(0, 0, 5, 6, 6, 7), stop = c(2, 3, 8, 9, 10, 12),
                   event = c(1, 1, 1, 0, 1, 1), w = c(1.5, 0.5, 2, 1, 0.25, 3))
  expect_same_fit(km(Surv(start, stop, event) ~ 1, data = d0),
                  survival::survfit(Surv(start, stop, event) ~ 1, data = d0))
  expect_same_fit(km(Surv(start, stop, event) ~ 1, data = d0, weights = w),
                  survival::survfit(Surv(start, stop, event) ~ 1, data = d0, weights = w))
})

test_that("case weights: integer weights use Greenwood, fractional ones the jackknife, as survfit", {
  set.seed(3)
  lung <- survival::lung
  lung$wi <- sample(0:4, nrow(lung), replace = TRUE)
  lung$wf <- runif(nrow(lung), 0, 3)
  fit <- km(Surv(time, status) ~ sex, data = lung, weights = wi)
  expect_true(fit$logse)
  expect_same_fit(fit, survival::survfit(Surv(time, status) ~ sex, data = lung, weights = wi))
  for (type in conf_types) {
    fit <- km(Surv(time, status) ~ sex, data = lung, weights = wf, conf.type = type)
    expect_false(fit$logse)
    expect_same_fit(fit, survival::survfit(Surv(time, status) ~ sex, data = lung, weights = wf,
                                           conf.type = type))
  }
  heart <- survival::heart
  heart$wf <- runif(nrow(heart), 0.2, 2)
  fit <- km(Surv(start, stop, event) ~ transplant, data = heart, weights = wf)
  expect_false(is.null(fit$n.enter))
  expect_same_fit(fit, survival::survfit(Surv(start, stop, event) ~ transplant, data = heart,
                                         weights = wf))

  # frequency weights: weight 2 is the row twice
  d <- data.frame(time = c(2, 3, 3, 5, 8, 9), status = c(1, 1, 0, 1, 0, 1), w = c(1, 2, 1, 3, 1, 2))
  long <- d[rep(seq_len(nrow(d)), d$w), ]
  a <- km(Surv(time, status) ~ 1, data = d, weights = w)
  b <- km(Surv(time, status) ~ 1, data = long)
  for (field in c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz", "std.chaz"))
    expect_equal(a[[field]], b[[field]], tolerance = 1e-12, label = field)
})

test_that("generated data: heavy ties, many strata, one stratum per row, fuzz ties", {
  set.seed(7)
  n <- 5000
  d <- data.frame(time = round(rexp(n, 1 / 100)), status = rbinom(n, 1, 0.6),
                  g = sample(1:40, n, TRUE), h = sample(c("x", "y"), n, TRUE))
  d$time[1:50] <- 0 # events and censorings at time 0
  expect_same_fit(km(Surv(time, status) ~ g + h, data = d),
                  survival::survfit(Surv(time, status) ~ g + h, data = d))
  small <- d[1:300, ]
  small$id <- seq_len(nrow(small))
  expect_same_fit(km(Surv(time, status) ~ id, data = small),
                  survival::survfit(Surv(time, status) ~ id, data = small))
  # times equal up to rounding error are merged (survfit's timefix)
  fz <- data.frame(time = c(0.1 + 0.2, 0.3, 1, 1 + 1e-12, rexp(500)), status = rbinom(504, 1, 0.5))
  fz$g <- rep(1:2, length.out = nrow(fz))
  fit <- km(Surv(time, status) ~ 1, data = fz)
  expect_same_fit(fit, survival::survfit(Surv(time, status) ~ 1, data = fz))
  expect_true(any(fit$time == 0.3))
  expect_false(any(fit$time == 0.1 + 0.2))
  expect_same_fit(km(Surv(time, status) ~ g, data = fz),
                  survival::survfit(Surv(time, status) ~ g, data = fz))
  # continuous times: aeqSurv merges the closest pairs
  ct <- data.frame(time = rexp(20000), status = rbinom(20000, 1, 0.7))
  expect_same_fit(km(Surv(time, status) ~ 1, data = ct),
                  survival::survfit(Surv(time, status) ~ 1, data = ct))
  # large segments of few distinct times (the core's counting sort), with
  # integer and fractional weights, right-censored and counting data
  set.seed(8)
  n <- 12000
  entry <- round(runif(n, 0, 30))
  big <- data.frame(start = entry, stop = entry + round(rexp(n, 1 / 40)) + 1,
                    event = rbinom(n, 1, 0.75), g = sample(1:2, n, TRUE),
                    wi = sample(1:3, n, TRUE), wf = runif(n, 0.1, 2))
  expect_same_fit(km(Surv(stop, event) ~ g, data = big, weights = wi),
                  survival::survfit(Surv(stop, event) ~ g, data = big, weights = wi))
  expect_same_fit(km(Surv(stop, event) ~ g, data = big, weights = wf),
                  survival::survfit(Surv(stop, event) ~ g, data = big, weights = wf))
  expect_same_fit(km(Surv(start, stop, event) ~ g, data = big, weights = wf),
                  survival::survfit(Surv(start, stop, event) ~ g, data = big, weights = wf))
  expect_same_fit(km(Surv(start, stop, event) ~ g, data = big),
                  survival::survfit(Surv(start, stop, event) ~ g, data = big))
  # negative times are allowed for right-censored data
  ng <- data.frame(time = c(-3, -1, 0, 2, 2, 4), status = c(1, 0, 1, 1, 0, 1))
  expect_same_fit(km(Surv(time, status) ~ 1, data = ng),
                  survival::survfit(Surv(time, status) ~ 1, data = ng))
})

test_that("missing values, subset and na.action are handled as survfit handles them", {
  lung <- survival::lung
  fit <- km(Surv(time, status) ~ ph.ecog, data = lung)
  oracle <- survival::survfit(Surv(time, status) ~ ph.ecog, data = lung)
  expect_same_fit(fit, oracle)
  expect_identical(fit$na.action, oracle$na.action)
  expect_same_fit(km(Surv(time, status) ~ sex, data = lung, subset = age > 60),
                  survival::survfit(Surv(time, status) ~ sex, data = lung, subset = age > 60))
  expect_same_fit(km(Surv(time, status) ~ ph.ecog, data = lung, na.action = na.exclude),
                  survival::survfit(Surv(time, status) ~ ph.ecog, data = lung, na.action = na.exclude))
  expect_null(km(Surv(time, status) ~ sex, data = lung)$na.action)
  expect_error(km(Surv(time, status) ~ ph.ecog, data = lung, na.action = na.fail), "missing")
})

test_that("the object has survfit's shape", {
  fit <- km(Surv(time, status) ~ sex, data = survival::lung)
  expect_identical(names(fit$strata), c("sex=1", "sex=2"))
  expect_identical(fit$n, c(138L, 90L))
  expect_identical(sum(fit$strata), length(fit$time))
  expect_identical(fit$type, "right")
  expect_identical(fit$conf.type, "log")
  expect_identical(fit$conf.int, 0.95)
  expect_identical(fit$call[[1]], as.name("km"))
  one <- km(Surv(time, status) ~ 1, data = survival::lung)
  expect_false("strata" %in% names(one))
  expect_identical(one$n, 228L)
  expect_identical(km(Surv(start, stop, event) ~ 1, data = survival::heart)$type, "counting")
  none <- km(Surv(time, status) ~ 1, data = survival::lung, conf.type = "none")
  expect_false(any(c("lower", "upper") %in% names(none)))
})

test_that("a textbook example by hand: a tie and a censoring at an event time", {
  # t = 1: n 6 d 1; t = 2: n 5 d 2; t = 3: n 3 d 1 c 1 (censored row at risk); t = 5: n 1 c 1
  d <- data.frame(time = c(3, 2, 5, 1, 3, 2), status = c(0, 1, 0, 1, 1, 1))
  fit <- km(Surv(time, status) ~ 1, data = d)
  expect_equal(fit$time, c(1, 2, 3, 5))
  expect_equal(fit$n.risk, c(6, 5, 3, 1))
  expect_equal(fit$n.event, c(1, 2, 1, 0))
  expect_equal(fit$n.censor, c(0, 0, 1, 1))
  expect_equal(fit$surv, c(5 / 6, 1 / 2, 1 / 3, 1 / 3), tolerance = 1e-14)
  expect_equal(fit$std.err, sqrt(c(1 / 30, 1 / 6, 1 / 3, 1 / 3)), tolerance = 1e-14)
  expect_equal(fit$cumhaz, c(1 / 6, 17 / 30, 9 / 10, 9 / 10), tolerance = 1e-14)
  expect_equal(fit$std.chaz, sqrt(c(1 / 36, 97 / 900, 197 / 900, 197 / 900)), tolerance = 1e-14)
  z <- qnorm(0.975)
  expect_equal(fit$lower, exp(log(fit$surv) - z * fit$std.err), tolerance = 1e-14)
  expect_equal(fit$upper, pmin(exp(log(fit$surv) + z * fit$std.err), 1), tolerance = 1e-14)
})

test_that("the input is never modified", {
  d <- data.frame(time = c(0.1 + 0.2, 0.3, 2, 4, 4), status = c(1, 0, 1, 1, 0),
                  w = c(1.5, 2, 1, 0.5, 1), g = c(1, 1, 2, 2, 2))
  before <- d
  time_before <- d$time
  fit <- km(Surv(time, status) ~ g, data = d, weights = w)
  expect_identical(d, before)
  expect_identical(d$time, time_before)
  expect_identical(d$time[1], 0.1 + 0.2)
})

test_that("bad input gets an error that names the argument", {
  d <- data.frame(time = c(1, 2, Inf, 4), status = c(1, 0, 1, 1), w = c(1, 2, 3, 4))
  expect_error(km(Surv(time, status) ~ 1, data = d), "`formula`: the time in row 3 is Inf")
  d$time[3] <- NaN
  expect_error(km(Surv(time, status) ~ 1, data = d, na.action = na.fail), "missing")
  d$time[3] <- 3
  d$status[2] <- 5
  expect_error(km(Surv(time, status) ~ 1, data = d), "status in row 2 is 5")
  d$status[2] <- 0
  d$w[4] <- -1
  expect_error(km(Surv(time, status) ~ 1, data = d, weights = w), "`weights`: the weight in row 4 is -1")
  d$w[4] <- NA
  expect_error(km(Surv(time, status) ~ 1, data = d, weights = w), "`weights`.*row 4.*missing")
  expect_error(km(time ~ 1, data = d), "`formula`.*survival object")
  expect_error(km(Surv(time, status) ~ 1, data = d, conf.int = 1.5), "`conf.int`")
  expect_error(km(Surv(time, status) ~ 1, data = d, conf.int = 0), "`conf.int`")
  expect_error(km(Surv(time, status) ~ 1, data = d, conf.int = NA), "`conf.int`")
  expect_error(km(Surv(time, status) ~ 1, data = d, conf.int = c(0.9, 0.95)), "`conf.int`")
  expect_error(km(Surv(time, status) ~ 1, data = d, conf.type = "loglog"),
               "`conf.type` must be one of \"log\", \"log-log\", \"plain\", \"logit\", \"arcsin\", \"none\"")
  all_na <- data.frame(time = c(NA_real_, NA_real_), status = c(1, 1))
  expect_error(km(Surv(time, status) ~ 1, data = all_na), "no rows left")
  d2 <- data.frame(a = c(0, 2), b = c(1, 2), s = c(1, 1))
  expect_error(km(Surv(a, b, s) ~ 1, data = d2), "row 2 the interval \\(2, 2\\] has start >= stop")
  # an interval that collapses once fuzz-tied times merge
  d3 <- data.frame(a = c(0, 1), b = c(1, 1 + 1e-12), s = c(1, 1))
  expect_error(km(Surv(a, b, s) ~ 1, data = d3), "start < stop.*rounding error")
  expect_error(km(Surv(time, status) ~ sex * ph.ecog, data = survival::lung), "interaction")
  lung <- survival::lung
  lung$id <- seq_len(nrow(lung))
  # cluster() terms are supported now (test-km-options.R): robust SEs as survfit
  expect_equal(km(Surv(time, status) ~ cluster(id), data = lung)$std.err,
               survival::survfit(Surv(time, status) ~ cluster(id), data = lung)$std.err,
               tolerance = 1e-9)
  expect_error(km(Surv(time, time2, type = "interval2") ~ 1,
                  data = data.frame(time = c(1, 2), time2 = c(2, 3))), "not supported")
  expect_error(km(), "`formula` is missing")
})
