# Methods for survival curves (R/km-methods.R, R/tidy.R): every number is
# compared with survival's own methods applied to survfit() on the same call.

tol <- 1e-10

# Evaluate a km(...) call and the same call with survival::survfit in its place.
pair <- function(call) {
  call <- substitute(call)
  env <- parent.frame()
  sf_call <- call
  sf_call[[1L]] <- quote(survival::survfit)
  list(km = eval(call, env), sf = eval(sf_call, env))
}

# Generated data: ties (rounded times), three strata, case weights.
gen <- local({
  set.seed(20240611)
  n <- 300
  data.frame(time = round(rexp(n, 0.1), 1) + 0.1, status = rbinom(n, 1, 0.7),
             grp = sample(c("a", "b", "c"), n, replace = TRUE), w = runif(n, 0.2, 3))
})
lung_na <- survival::lung
lung_na$ph.ecog[c(3, 10, 20)] <- NA
# km() refuses missing weights (survfit drops those rows): keep complete ph.karno.
lung_karno <- survival::lung[!is.na(survival::lung$ph.karno), ]

cases <- list(
  lung1 = pair(km(Surv(time, status) ~ 1, data = survival::lung)),
  lung_sex = pair(km(Surv(time, status) ~ sex, data = survival::lung)),
  lung_wt = pair(km(Surv(time, status) ~ sex, data = lung_karno, weights = ph.karno / 100)),
  lung_na = pair(km(Surv(time, status) ~ ph.ecog, data = lung_na)),
  lung_sub = pair(km(Surv(time, status) ~ sex, data = survival::lung, subset = age > 60)),
  veteran = pair(km(Surv(time, status) ~ celltype + trt, data = survival::veteran)),
  aml = pair(km(Surv(time, status) ~ x, data = survival::aml)),
  aml1 = pair(km(Surv(time, status) ~ 1, data = survival::aml)),
  ovarian = pair(km(Surv(futime, fustat) ~ rx, data = survival::ovarian)),
  heart = pair(km(Surv(start, stop, event) ~ transplant, data = survival::heart)),
  heart1 = pair(km(Surv(start, stop, event) ~ 1, data = survival::heart)),
  gen = pair(km(Surv(time, status) ~ grp, data = gen, weights = w)),
  loglog = pair(km(Surv(time, status) ~ sex, data = survival::lung, conf.type = "log-log")),
  plain = pair(km(Surv(time, status) ~ sex, data = survival::lung, conf.type = "plain")),
  logit = pair(km(Surv(time, status) ~ sex, data = survival::lung, conf.type = "logit")),
  arcsin = pair(km(Surv(time, status) ~ 1, data = survival::aml, conf.type = "arcsin")),
  none = pair(km(Surv(time, status) ~ sex, data = survival::lung, conf.type = "none")),
  ci90 = pair(km(Surv(time, status) ~ x, data = survival::aml, conf.int = 0.9))
)

summary_fields <- c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "lower",
                    "upper", "cumhaz", "std.chaz", "strata")

expect_summary_equal <- function(s_km, s_sf, label) {
  expect_s3_class(s_km, "summary.netsurv_curve")
  fields <- intersect(summary_fields, names(s_sf))
  expect_identical(intersect(summary_fields, names(s_km)), fields, label = label)
  expect_equal(unclass(s_km)[fields], unclass(s_sf)[fields], tolerance = tol, label = label)
}

# Output lines after the "Call:" block (the calls differ: km vs survfit).
after_call <- function(lines) lines[-seq_len(which(lines == "")[1L])]

test_that("the fits under test are the curves of the km() contract", {
  for (nm in names(cases)) {
    expect_s3_class(cases[[nm]]$km, c("netsurv_km", "netsurv_curve"))
    expect_equal(cases[[nm]]$km$surv, cases[[nm]]$sf$surv, tolerance = tol, label = nm)
  }
})

test_that("print shows n, events, median and its CI as print.survfit does", {
  for (nm in setdiff(names(cases), c("lung1", "aml1", "heart1", "arcsin"))) {
    out_km <- capture.output(res <- print(cases[[nm]]$km))
    expect_identical(after_call(out_km), after_call(capture.output(print(cases[[nm]]$sf))),
                     label = nm)
    expect_identical(res, cases[[nm]]$km)
  }
  # The same with a restricted mean column.
  for (tau in list(400, "common", "individual")) {
    expect_identical(after_call(capture.output(print(cases$lung_sex$km, rmean = tau))),
                     after_call(capture.output(print(cases$lung_sex$sf, rmean = tau))))
  }
  out <- capture.output(print(cases$lung_sex$km))
  expect_match(out[1], "^Call: km\\(")
  expect_true(any(grepl("n events median 0.95LCL 0.95UCL", out, fixed = TRUE)))
  expect_false(any(grepl("deleted", out)))
})

test_that("print reports rows deleted for missingness", {
  # lung has one missing ph.ecog already; three more were blanked above
  expect_identical(length(cases$lung_na$sf$na.action), 4L)
  out <- capture.output(print(cases$lung_na$km))
  expect_true(any(grepl("^ +4 observations deleted due to missingness", out)))
  # with case weights: lung_karno keeps lung's one missing ph.ecog
  out <- capture.output(print(km(Surv(time, status) ~ ph.ecog, data = lung_karno,
                                 weights = ph.karno / 100)))
  expect_true(any(grepl("1 observation deleted due to missingness", out)))
})

test_that("print of a single curve has the numbers of print.survfit", {
  out <- capture.output(print(cases$lung1$km))
  expect_match(out[length(out) - 1L], "n events median 0.95LCL 0.95UCL", fixed = TRUE)
  expect_match(out[length(out)], "^ +228 +165 +310 +285 +363 *$")
  # counting-process data: records and n differ, both are shown
  out <- capture.output(print(cases$heart1$km))
  expect_match(out[length(out) - 1L], "records   n events median 0.95LCL 0.95UCL", fixed = TRUE)
  expect_match(out[length(out)], "^ +172 +103 +75 +100 +72 +263 *$")
})

test_that("summary()$table equals summary.survfit's table (all rmean choices)", {
  for (nm in names(cases)) {
    expect_equal(summary(cases[[nm]]$km)$table, summary(cases[[nm]]$sf)$table,
                 tolerance = tol, label = nm)
  }
  for (rm in list("individual", "none", 200, 1000)) {
    for (nm in c("lung_sex", "aml", "gen", "heart", "lung1")) {
      s_km <- summary(cases[[nm]]$km, rmean = rm)
      s_sf <- summary(cases[[nm]]$sf, rmean = rm)
      expect_equal(s_km$table, s_sf$table, tolerance = tol, label = paste(nm, rm))
      expect_equal(s_km$rmean.endtime, s_sf$rmean.endtime, label = paste(nm, rm))
    }
  }
})

test_that("summary at the event times equals summary.survfit", {
  for (nm in names(cases)) {
    s_km <- summary(cases[[nm]]$km)
    s_sf <- summary(cases[[nm]]$sf)
    expect_summary_equal(s_km, s_sf, nm)
    expect_true(all(s_km$n.event > 0))
  }
  # n.censor accumulates the censorings since the previous event time
  s <- summary(cases$aml1$km)
  expect_equal(s$time, c(5, 8, 9, 12, 13, 18, 23, 27, 30, 31, 33, 34, 43, 45, 48))
  expect_equal(s$n.censor, c(0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0))
})

test_that("summary(censored = TRUE) lists every time, as summary.survfit", {
  for (nm in names(cases)) {
    expect_summary_equal(summary(cases[[nm]]$km, censored = TRUE),
                         summary(cases[[nm]]$sf, censored = TRUE), nm)
  }
  s <- summary(cases$aml1$km, censored = TRUE)
  expect_equal(s$time, cases$aml1$km$time)
})

test_that("summary at chosen times, with and without extend, equals summary.survfit", {
  times_list <- list(c(0, 100, 365, 1000), c(500, 5, 5, 200), c(-1, 0, 0.5, 3000), 30.5)
  for (nm in names(cases)) {
    for (times in times_list) {
      for (extend in c(FALSE, TRUE)) {
        s_sf <- tryCatch(summary(cases[[nm]]$sf, times = times, extend = extend),
                         error = function(e) e)
        if (inherits(s_sf, "error")) {
          expect_error(summary(cases[[nm]]$km, times = times, extend = extend), "extend")
        } else {
          expect_summary_equal(summary(cases[[nm]]$km, times = times, extend = extend), s_sf,
                               paste(nm, paste(times, collapse = ","), extend))
        }
      }
    }
  }
  # a hand check: aml, one curve; events between requested times accumulate
  s <- summary(cases$aml1$km, times = c(10, 40, 200), extend = TRUE)
  expect_equal(s$time, c(10, 40, 200))
  expect_equal(s$n.event, c(5, 10, 3))
  expect_equal(s$n.risk, c(18, 5, 0))
  s <- summary(cases$aml1$km, times = c(10, 40, 200))
  expect_equal(s$time, c(10, 40))
  # beyond every stratum's last time, nothing is left without extend
  expect_error(summary(cases$aml$km, times = 1e4), "extend = TRUE")
  expect_equal(summary(cases$aml$km, times = 1e4, extend = TRUE)$n.risk, c(0, 0))
})

test_that("print of the summary matches print.summary.survfit", {
  for (nm in c("lung_sex", "aml1", "lung_na", "heart", "none")) {
    out_km <- capture.output(res <- print(summary(cases[[nm]]$km, times = c(0, 10, 100, 500))))
    out_sf <- capture.output(print(summary(cases[[nm]]$sf, times = c(0, 10, 100, 500))))
    expect_identical(after_call(out_km), after_call(out_sf), label = nm)
    expect_s3_class(res, "summary.netsurv_curve")
  }
})

test_that("quantile() and median() equal quantile.survfit and median.survfit", {
  probs_list <- list(c(0.25, 0.5, 0.75), c(0.1, 0.5, 0.9, 1), 0.5, c(0, 0.3))
  for (nm in setdiff(names(cases), "lung_na")) {
    for (probs in probs_list) {
      for (ci in c(TRUE, FALSE)) {
        expect_equal(quantile(cases[[nm]]$km, probs = probs, conf.int = ci),
                     quantile(cases[[nm]]$sf, probs = probs, conf.int = ci),
                     tolerance = tol, label = paste(nm, paste(probs, collapse = ","), ci))
      }
    }
    m_sf <- median(cases[[nm]]$sf)
    m_km <- median(cases[[nm]]$km)
    expect_equal(unname(m_km), as.vector(m_sf), tolerance = tol, label = nm)
    expect_identical(names(m_km), names(cases[[nm]]$km$strata))
  }
  # the one-subject stratum of lung_na (survival's approx() fails there for p = 0)
  expect_equal(quantile(cases$lung_na$km), quantile(cases$lung_na$sf), tolerance = tol)
  expect_identical(median(cases$lung1$km), 310)
})

test_that("quantile uses the midpoint of a stretch where the curve is exactly 1 - p", {
  # 4 subjects: deaths at 1 and 2 (S = 0.5 on [2, 4)), death at 4, censored at 6
  flat <- data.frame(time = c(1, 2, 4, 6), status = c(1, 1, 1, 0))
  p <- pair(km(Surv(time, status) ~ 1, data = flat))
  expect_equal(median(p$km), 3)
  expect_equal(quantile(p$km, probs = c(0.25, 0.5, 0.75), conf.int = FALSE),
               c(`25` = 1.5, `50` = 3, `75` = 5))
  expect_equal(quantile(p$km), quantile(p$sf), tolerance = tol)
  expect_equal(summary(p$km)$table, summary(p$sf)$table, tolerance = tol)
  expect_equal(unname(summary(p$km)$table["median"]), 3)

  # the curve ends at exactly 0.5: quantile takes the midpoint up to the last
  # time, the print table the time 0.5 was reached -- as in survival
  ends <- data.frame(time = c(1, 3, 5, 8), status = c(1, 0, 1, 0), g = c(1, 1, 2, 2))
  p <- pair(km(Surv(time, status) ~ g, data = ends))
  expect_equal(median(p$km), c(`g=1` = 2, `g=2` = 6.5))
  expect_equal(quantile(p$km), quantile(p$sf), tolerance = tol)
  expect_equal(summary(p$km)$table[, "median"], c(`g=1` = 1, `g=2` = 5))
  expect_equal(summary(p$km)$table, summary(p$sf)$table, tolerance = tol)

  # weighted: weights 1, 1, 2 -> S = 0.5 exactly after the first two deaths
  w <- data.frame(time = c(2, 3, 7, 9), status = c(1, 1, 1, 0), w = c(1, 1, 2, 2))
  p <- pair(km(Surv(time, status) ~ 1, data = w, weights = w))
  expect_equal(p$km$surv[2], 2 / 3)
  expect_equal(quantile(p$km, probs = 1 / 3), quantile(p$sf, probs = 1 / 3), tolerance = tol)
  expect_equal(unname(quantile(p$km, probs = 1 / 3, conf.int = FALSE)), 5)
})

test_that("edge cases: events at 0, negative times, a stratum without events, one row per stratum", {
  edge <- list(
    at0 = data.frame(time = c(0, 1, 2, 3, 0, 2, 4), status = c(1, 1, 0, 1, 0, 1, 1),
                     g = c(1, 1, 1, 1, 2, 2, 2)),
    negative = data.frame(time = c(-1, 1, 2, 3, 0.5, 2, 4), status = c(1, 1, 0, 1, 0, 1, 1),
                          g = c(1, 1, 1, 1, 2, 2, 2)),
    no_events = data.frame(time = c(1, 2, 3, 1, 2, 4), status = c(0, 0, 0, 1, 1, 1),
                           g = c(1, 1, 1, 2, 2, 2)),
    singletons = data.frame(time = c(1, 2, 3, 5), status = c(1, 0, 1, 1), g = 1:4)
  )
  for (nm in names(edge)) {
    d <- edge[[nm]]
    p <- pair(km(Surv(time, status) ~ g, data = d))
    expect_equal(summary(p$km)$table, summary(p$sf)$table, tolerance = tol, label = nm)
    expect_summary_equal(summary(p$km), summary(p$sf), nm)
    expect_summary_equal(summary(p$km, times = c(-2, 0, 1, 2.5, 10), extend = TRUE),
                         summary(p$sf, times = c(-2, 0, 1, 2.5, 10), extend = TRUE), nm)
    expect_equal(quantile(p$km), quantile(p$sf), tolerance = tol, label = nm)
    expect_identical(after_call(capture.output(print(p$km))),
                     after_call(capture.output(print(p$sf))), label = nm)
  }
})

test_that("rmst() equals survival's restricted mean and its standard error", {
  for (nm in names(cases)) {
    fit <- cases[[nm]]$km
    last <- max(fit$time)
    taus <- c(min(fit$time[fit$time > 0]), last / 3, last / 2, last, 1.5 * last)
    r <- rmst(fit, tau = taus)
    k <- max(1L, length(fit$strata))
    expect_identical(nrow(r), k * length(taus))
    expect_identical(names(r), c(if (!is.null(fit$strata)) "strata", "tau", "rmst", "se"))
    for (j in seq_along(taus)) {
      tab <- summary(cases[[nm]]$sf, rmean = taus[j])$table
      tab <- if (is.matrix(tab)) tab else t(tab)
      got <- r[r$tau == taus[j], ]
      expect_equal(got$rmst, unname(tab[, "rmean"]), tolerance = tol, label = paste(nm, j))
      expect_equal(got$se, unname(tab[, "se(rmean)"]), tolerance = tol, label = paste(nm, j))
      if (!is.null(fit$strata)) expect_identical(as.character(got$strata), names(fit$strata))
    }
  }
  # hand computation: aml, one curve, tau = 12
  # S = 1 on [0, 5), 21/23 on [5, 8), 21/23 * 19/21 on [8, 9), ... on [9, 12)
  s1 <- 21 / 23; s2 <- s1 * 19 / 21; s3 <- s2 * 18 / 19
  r <- rmst(cases$aml1$km, tau = 12)
  expect_equal(r$rmst, 5 + 3 * s1 + 1 * s2 + 3 * s3, tolerance = tol)
  a <- c(3 * s1 + s2 + 3 * s3, s2 + 3 * s3, 3 * s3)          # area from 5, 8, 9 to 12
  v <- a[1]^2 * 2 / (23 * 21) + a[2]^2 * 2 / (21 * 19) + a[3]^2 * 1 / (19 * 18)
  expect_equal(r$se, sqrt(v), tolerance = tol)
  # before the first event the RMST is tau itself (survival refuses tau < min time)
  expect_equal(rmst(cases$aml1$km, tau = 3), data.frame(tau = 3, rmst = 3, se = 0))
})

test_that("rmst() refuses bad tau", {
  fit <- cases$lung_sex$km
  expect_error(rmst(fit), "`tau` is missing")
  expect_error(rmst(fit, tau = -1), "`tau` \\(-1\\) is before the start of the curve")
  expect_error(rmst(fit, tau = NA_real_), "`tau` must be finite")
  expect_error(rmst(fit, tau = "a"), "`tau` must be finite")
  expect_error(rmst(fit, tau = Inf), "`tau` must be finite")
  expect_error(print(fit, rmean = -5), "`rmean` \\(-5\\) is before the start")
  expect_error(summary(fit, rmean = "sometimes"), "`rmean` must be")
})

test_that("as.data.frame() has one row per time with the fit's fields", {
  for (nm in names(cases)) {
    fit <- cases[[nm]]$km
    df <- as.data.frame(fit)
    expect_s3_class(df, "data.frame")
    expect_identical(nrow(df), length(fit$time))
    fields <- intersect(c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz",
                          "std.chaz", "lower", "upper"), names(fit))
    expect_identical(names(df), c(if (!is.null(fit$strata)) "strata", fields))
    for (f in fields) expect_identical(df[[f]], fit[[f]], label = paste(nm, f))
    if (!is.null(fit$strata)) {
      expect_identical(levels(df$strata), names(fit$strata))
      expect_identical(as.vector(table(df$strata)), as.vector(fit$strata))
    }
  }
  s <- summary(cases$lung_sex$km, times = c(100, 200))
  sd <- as.data.frame(s)
  expect_identical(names(sd)[1:3], c("strata", "time", "n.risk"))
  expect_equal(sd$surv, s$surv)
  expect_identical(nrow(sd), 4L)
})

test_that("tidy() has broom's tidy.survfit columns and values", {
  for (nm in names(cases)) {
    fit <- cases[[nm]]$km
    sf <- cases[[nm]]$sf
    td <- tidy(fit)
    ci <- !is.null(sf$upper)
    expect_identical(names(td), c("time", "n.risk", "n.event", "n.censor", "estimate",
                                  "std.error", if (ci) c("conf.high", "conf.low"),
                                  if (!is.null(sf$strata)) "strata"))
    expect_equal(td$time, sf$time, tolerance = tol)
    expect_equal(td$n.risk, sf$n.risk, tolerance = tol)
    expect_equal(td$n.event, sf$n.event, tolerance = tol)
    expect_equal(td$n.censor, sf$n.censor, tolerance = tol)
    expect_equal(td$estimate, sf$surv, tolerance = tol)
    expect_equal(td$std.error, sf$std.err, tolerance = tol)
    if (ci) {
      expect_equal(td$conf.high, sf$upper, tolerance = tol)
      expect_equal(td$conf.low, sf$lower, tolerance = tol)
    }
    if (!is.null(sf$strata)) expect_identical(td$strata, rep(names(sf$strata), sf$strata))
  }
})

test_that("glance() has broom's glance.survfit columns and refuses several strata", {
  cols <- c("records", "n.max", "n.start", "events", "rmean", "rmean.std.error", "median",
            "conf.low", "conf.high", "nobs")
  for (nm in c("lung1", "aml1", "heart1", "arcsin")) {
    g <- glance(cases[[nm]]$km)
    tab <- summary(cases[[nm]]$sf)$table
    expect_identical(names(g), cols)
    expect_identical(nrow(g), 1L)
    expect_equal(unlist(g[1, 1:9], use.names = FALSE), unname(tab), tolerance = tol, label = nm)
    expect_identical(g$nobs, cases[[nm]]$sf$n)
  }
  g <- glance(cases$lung1$km, rmean = 365)
  expect_equal(g$rmean, unname(summary(cases$lung1$sf, rmean = 365)$table["rmean"]),
               tolerance = tol)
  g <- glance(km(Surv(time, status) ~ 1, data = survival::aml, conf.type = "none"))
  expect_true(is.na(g$conf.low) && is.na(g$conf.high))
  expect_equal(g$median, 27)
  expect_error(glance(cases$lung_sex$km), "Cannot glance\\(\\) a curve with several strata")
})

test_that("methods refuse bad arguments with messages naming them", {
  fit <- cases$lung_sex$km
  expect_error(quantile(fit, probs = 1.5), "`probs` must lie in \\[0, 1\\]")
  expect_error(quantile(fit, probs = NA), "`probs` must be numeric")
  expect_error(quantile(fit, conf.int = NA), "`conf.int` must be TRUE or FALSE")
  expect_error(summary(fit, times = "a"), "`times` must be a numeric vector")
  expect_error(summary(fit, times = c(1, NA)), "`times` must be a numeric vector")
  expect_error(summary(fit, extend = NA), "`extend` must be TRUE or FALSE")
  expect_error(summary(fit, censored = "yes"), "`censored` must be TRUE or FALSE")
  not_a_curve <- structure(list(a = 1), class = "netsurv_curve")
  expect_error(rmst(not_a_curve, 1), "`x` must be a survival curve from km\\(\\)")
  expect_error(summary(not_a_curve), "`object` must be a survival curve from km\\(\\)")
})

test_that("methods leave the fit unchanged", {
  fit <- cases$gen$km
  copy <- fit
  invisible(capture.output(print(fit), print(summary(fit, times = 1:5))))
  invisible(quantile(fit)); invisible(rmst(fit, 10)); invisible(tidy(fit))
  expect_identical(fit, copy)
})
