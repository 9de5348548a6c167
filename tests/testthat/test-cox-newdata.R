# test-cox-newdata.R -- predict() and cox_curve() on new data (issue #13
# item 7, #11's newdata bullet), and the diagnostics' further options (#11):
# predict(type = "terms", reference = "strata"), residuals(type = "partial"),
# cox_zph(transform = <function>), concordance()$cvar. Everything is checked
# against survival to 1e-8 (relative), except where survival is wrong, which
# the comments name (and ?predict.netsurv_cox documents): there netsurv is
# checked against its own predictions without newdata and against
# survfit.coxph.

# The cumulative hazard and its standard error of survfit(s, newdata = row)
# at time t, for each row of nd: the oracle of predict(type = "expected")
# where predict.coxph mishandles offsets.
survfit_expected <- function(s, nd, t) {
  out <- t(vapply(seq_len(nrow(nd)), function(i) {
    sf <- survfit(s, newdata = nd[i, , drop = FALSE])
    tt <- sf$time
    ch <- sf$cumhaz
    se <- sf$std.err
    if (!is.null(sf$strata)) {
      # the row's own stratum
      k <- rep(seq_along(sf$strata), sf$strata)
      keep <- k == 1L
      tt <- tt[keep]; ch <- ch[keep]; se <- se[keep]
    }
    j <- findInterval(t[i], tt)
    if (j == 0L) c(0, 0) else c(ch[j], se[j])
  }, numeric(2)))
  list(fit = out[, 1L], se.fit = out[, 2L])
}

lung_nd <- function() {
  lung <- survival::lung
  lung$id <- seq_len(nrow(lung))
  lung
}

test_that("#13 item 7: offset() and cluster() together, predict and cox_curve on newdata", {
  lung <- lung_nd()
  f <- Surv(time, status) ~ age + sex + offset(ph.ecog / 10) + cluster(inst)
  a <- cox(f, lung, control = tight_cox())
  b <- coxph(f, lung, control = tight_coxph())
  nd <- lung[c(1:5, 20, 40), ]
  for (ty in c("lp", "risk", "terms")) {
    pa <- predict(a, newdata = nd, type = ty, se.fit = TRUE)
    pb <- predict(b, newdata = nd, type = ty, se.fit = TRUE)
    expect_equal(pa, pb, tolerance = 1e-8)
  }
  # predict.coxph leaves a new offset uncentred without se.fit (and centres
  # it with se.fit = TRUE, above); netsurv centres it both ways
  expect_equal(predict(a, newdata = nd), predict(b, newdata = nd, se.fit = TRUE)$fit,
               tolerance = 1e-8)
  off_mean <- mean(stats::model.offset(stats::model.frame(b)))
  expect_equal(unname(predict(a, newdata = nd) - predict(b, newdata = nd)),
               rep(-off_mean, nrow(nd)), tolerance = 1e-8)
  # expected / survival: survfit.coxph's cumulative hazard at each row's time
  # (predict.coxph computes exp(lp) + offset there)
  nd2 <- nd[!is.na(nd$ph.ecog), ]
  oracle <- survfit_expected(b, nd2, nd2$time)
  pa <- predict(a, newdata = nd2, type = "expected", se.fit = TRUE)
  expect_equal(unname(pa$fit), oracle$fit, tolerance = 1e-8)
  expect_equal(unname(pa$se.fit), oracle$se.fit, tolerance = 1e-8)
  ps <- predict(a, newdata = nd2, type = "survival", se.fit = TRUE)
  expect_equal(unname(ps$fit), exp(-oracle$fit), tolerance = 1e-8)
  expect_equal(unname(ps$se.fit), oracle$se.fit * exp(-oracle$fit), tolerance = 1e-8)
  # the curves
  ca <- cox_curve(a, newdata = nd2)
  cb <- survfit(b, newdata = nd2)
  for (k in c("time", "surv", "cumhaz", "std.err", "lower", "upper"))
    expect_equal(unname(ca[[k]]), unname(cb[[k]]), tolerance = 1e-8, info = k)
})

test_that("#13 item 7: a formula that refers to an object outside the data", {
  lung <- lung_nd()
  fit1 <- cox(Surv(time, status) ~ age + ph.ecog, lung, control = tight_cox())
  fit2 <- cox(Surv(time, status) ~ age + offset(ph.ecog * fit1$coefficients[2]), lung,
              control = tight_cox())
  c1 <- coxph(Surv(time, status) ~ age + ph.ecog, lung, control = tight_coxph())
  c2 <- coxph(Surv(time, status) ~ age + offset(ph.ecog * c1$coefficients[2]), lung,
              control = tight_coxph())
  nd <- lung[1:5, ]
  expect_equal(predict(fit2, newdata = nd), predict(c2, newdata = nd, se.fit = TRUE)$fit,
               tolerance = 1e-8)
  expect_equal(predict(fit2, newdata = nd, type = "risk", se.fit = TRUE),
               predict(c2, newdata = nd, type = "risk", se.fit = TRUE), tolerance = 1e-8)
  expect_equal(predict(fit2, newdata = nd, type = "terms"), predict(c2, newdata = nd, type = "terms"),
               tolerance = 1e-8)
  ca <- cox_curve(fit2, newdata = nd)
  cb <- survfit(c2, newdata = nd)
  expect_equal(unname(ca$surv), unname(cb$surv), tolerance = 1e-8)
  expect_equal(unname(ca$std.err), unname(cb$std.err), tolerance = 1e-8)
  # new data equal to the fit's rows give the fit's own linear predictor
  expect_equal(unname(predict(fit2, newdata = lung[!is.na(lung$ph.ecog), ])),
               fit2$linear.predictors, tolerance = 1e-10)

  # The formula's environment, not the caller's: `k` exists only inside
  # make_fit(); survival's predict finds it the same way.
  make_formula <- function() {
    k <- 0.3
    Surv(time, status) ~ age + offset(k * sex)
  }
  fm <- make_formula()
  a <- cox(fm, lung, control = tight_cox())
  b <- coxph(fm, lung, control = tight_coxph())
  expect_false(exists("k", inherits = FALSE))
  expect_equal(predict(a, newdata = nd, se.fit = TRUE), predict(b, newdata = nd, se.fit = TRUE),
               tolerance = 1e-8)
  # A column of the fit's data must come from newdata, even when a variable
  # of that name exists where the formula was made (no silent substitute).
  age <- rep(50, nrow(lung))
  g <- cox(Surv(time, status) ~ age + sex, lung)
  expect_error(predict(g, newdata = data.frame(sex = 1)), "`newdata` lacks the column `age`")
})

test_that("#13 item 7: types that do not use the response do not need it; expected takes an NA status", {
  lung <- lung_nd()
  a <- cox(Surv(time, status) ~ age + sex + strata(ph.ecog), lung, control = tight_cox())
  b <- coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), lung, control = tight_coxph())
  nd <- lung[c(1:6, 30), ]
  bare <- nd[, c("age", "sex", "ph.ecog")]
  for (ty in c("lp", "risk", "terms"))
    for (ref in c("strata", "sample", "zero")) {
      expect_equal(predict(a, newdata = bare, type = ty, reference = ref, se.fit = TRUE),
                   predict(b, newdata = nd, type = ty, reference = ref, se.fit = TRUE),
                   tolerance = 1e-8, ignore_attr = "names")
    }
  # expected and survival use the times only: an NA status is accepted, as
  # predict.coxph accepts it, and so is a newdata without the status column
  # (predict.coxph needs the column there, to build Surv()).
  na_status <- nd
  na_status$status[c(2, 5)] <- NA
  no_status <- nd
  no_status$status <- NULL
  for (ty in c("expected", "survival")) {
    ref <- predict(b, newdata = na_status, type = ty, se.fit = TRUE)
    expect_equal(predict(a, newdata = na_status, type = ty, se.fit = TRUE), ref,
                 tolerance = 1e-8, ignore_attr = "names")
    expect_equal(predict(a, newdata = no_status, type = ty, se.fit = TRUE), ref,
                 tolerance = 1e-8, ignore_attr = "names")
    expect_equal(predict(a, newdata = nd, type = ty, se.fit = TRUE), ref,
                 tolerance = 1e-8, ignore_attr = "names")
  }
  # the time is needed, and a missing time is named
  no_time <- nd
  no_time$time[3] <- NA
  expect_error(predict(a, newdata = no_time, type = "expected"),
               "column `time` is missing \\(NA\\) in row 3")
  expect_error(predict(a, newdata = bare, type = "expected"), "lacks the column `time`")
  # (start, stop] fits: both times, any status
  h <- survival::heart
  ah <- cox(Surv(start, stop, event) ~ age + transplant, h, control = tight_cox())
  bh <- coxph(Surv(start, stop, event) ~ age + transplant, h, control = tight_coxph())
  hn <- h[c(1, 4, 9, 30), ]
  hn$event <- NA
  expect_equal(predict(ah, newdata = hn, type = "expected"),
               predict(bh, newdata = hn, type = "expected"), tolerance = 1e-8,
               ignore_attr = "names")
  hn$start <- NULL
  expect_error(predict(ah, newdata = hn, type = "expected"), "lacks the column `start`")
})

test_that("newdata keeps the fit's spline bases and interacting strata (with offset and cluster)", {
  lung2 <- na.omit(survival::lung)
  f <- Surv(time, status) ~ splines::ns(age, df = 3) + poly(wt.loss, 2) + sex +
    offset(ph.ecog / 10) + cluster(inst)
  a <- cox(f, lung2, control = tight_cox())
  b <- coxph(f, lung2, control = tight_coxph())
  nd <- lung2[c(1, 5, 9), ]
  for (ty in c("lp", "risk", "terms"))
    expect_equal(predict(a, nd, type = ty, se.fit = TRUE), predict(b, nd, type = ty, se.fit = TRUE),
                 tolerance = 1e-8, info = ty)
  expect_equal(unname(cox_curve(a, nd)$surv), unname(survfit(b, newdata = nd)$surv),
               tolerance = 1e-8)
  expect_equal(model.matrix(a), model.matrix(b), tolerance = 1e-12, ignore_attr = TRUE)
  expect_identical(a$assign, b$assign)
  # strata inside an interaction stay in the design
  d <- data.frame(time = c(5, 3, 8, 2, 7, 4, 9, 6, 1, 10), status = c(1, 0, 1, 1, 0, 1, 1, 1, 1, 0),
                  x = c(0.5, -1, 2, 0, 1, -0.5, 0.3, 1.2, -0.7, 0.1), s = rep(1:2, 5))
  a <- cox(Surv(time, status) ~ x + strata(s):x, d, control = tight_cox())
  b <- coxph(Surv(time, status) ~ x + strata(s):x, d, control = tight_coxph())
  for (ty in c("lp", "risk", "terms", "expected"))
    expect_equal(predict(a, d[c(2, 5, 8), ], type = ty, se.fit = TRUE),
                 predict(b, d[c(2, 5, 8), ], type = ty, se.fit = TRUE), tolerance = 1e-8, info = ty)
})

# ---- seeded random differential tests ----------------------------------------

newdata_cohort <- function(seed, n = 70, counting = FALSE) {
  set.seed(seed)
  d <- data.frame(time = round(rexp(n, 0.1), 1) + 0.1, status = rbinom(n, 1, 0.7),
                  x1 = rnorm(n), f = factor(sample(c("a", "b", "c"), n, TRUE)),
                  s = sample(1:3, n, TRUE), g = sample(1:9, n, TRUE),
                  w = sample(1:3, n, TRUE), o = runif(n, -0.5, 0.5), junk = rnorm(n))
  d$junk[sample(n, 6)] <- NA # a column the models do not use
  if (counting) {
    d$start <- round(runif(n) * d$time * 0.6, 1)
    d$start[d$start >= d$time] <- 0
  }
  d
}

test_that("random cohorts: predict(newdata) of every type and reference, and cox_curve, equal survival's", {
  forms <- list(
    Surv(time, status) ~ x1 + f + offset(o) + cluster(g),
    Surv(time, status) ~ x1 + f + offset(o) + strata(s),
    Surv(time, status) ~ x1 * f + strata(s) + cluster(g),
    Surv(time, status) ~ x1 * f + offset(o)
  )
  for (seed in 1:4) {
    d <- newdata_cohort(seed)
    nd <- d[c(3, 7, 11, 20, 33), ]
    for (fm in forms) for (weighted in c(FALSE, TRUE)) {
      info <- paste(seed, deparse(fm), weighted)
      fits <- if (weighted) fit_both(fm, d, weights = w) else fit_both(fm, d)
      a <- fits$netsurv
      b <- fits$survival
      has_offset <- !is.null(attr(terms(fm), "offset"))
      for (ty in c("lp", "risk", "terms")) for (ref in c("strata", "sample", "zero")) {
        expect_equal(predict(a, newdata = nd, type = ty, reference = ref, se.fit = TRUE),
                     predict(b, newdata = nd, type = ty, reference = ref, se.fit = TRUE),
                     tolerance = 1e-8, info = paste(info, ty, ref))
        expect_equal(predict(a, type = ty, reference = ref, se.fit = TRUE),
                     predict(b, type = ty, reference = ref, se.fit = TRUE),
                     tolerance = 1e-8, info = paste(info, ty, ref, "own data"))
        if (!has_offset)
          expect_equal(predict(a, newdata = nd, type = ty, reference = ref),
                       predict(b, newdata = nd, type = ty, reference = ref),
                       tolerance = 1e-8, info = paste(info, ty, ref, "no se"))
      }
      for (ty in c("expected", "survival")) {
        expect_equal(predict(a, type = ty, se.fit = TRUE), predict(b, type = ty, se.fit = TRUE),
                     tolerance = 1e-8, info = paste(info, ty, "own data"))
        pa <- predict(a, newdata = nd, type = ty, se.fit = TRUE)
        if (!has_offset) {
          expect_equal(pa, predict(b, newdata = nd, type = ty, se.fit = TRUE),
                       tolerance = 1e-8, info = paste(info, ty))
        } else if (ty == "expected") {
          oracle <- survfit_expected(b, nd, nd$time)
          expect_equal(unname(pa$fit), oracle$fit, tolerance = 1e-8, info = paste(info, ty))
          expect_equal(unname(pa$se.fit), oracle$se.fit, tolerance = 1e-8, info = paste(info, ty))
        }
      }
      ca <- cox_curve(a, newdata = nd)
      cb <- survfit(b, newdata = nd)
      for (k in c("surv", "std.err", "lower", "upper"))
        expect_equal(unname(ca[[k]]), unname(cb[[k]]), tolerance = 1e-8, info = paste(info, k))
    }
  }
})

test_that("random (start, stop] cohorts: predict(newdata) equals survival's, or netsurv's own rows", {
  forms <- list(Surv(start, time, status) ~ x1 + f + cluster(g),
                Surv(start, time, status) ~ x1 + f + offset(o) + strata(s))
  for (seed in 11:13) {
    d <- newdata_cohort(seed, counting = TRUE)
    nd <- d[c(2, 9, 17, 25), ]
    for (fm in forms) for (ties in c("efron", "breslow")) {
      info <- paste(seed, deparse(fm), ties)
      a <- cox(fm, d, weights = w, ties = ties, control = tight_cox())
      b <- coxph(fm, d, weights = w, ties = ties, control = tight_coxph())
      for (ty in c("lp", "risk", "terms"))
        expect_equal(predict(a, newdata = nd, type = ty, se.fit = TRUE),
                     predict(b, newdata = nd, type = ty, se.fit = TRUE),
                     tolerance = 1e-8, info = paste(info, ty))
      for (ty in c("expected", "survival"))
        expect_equal(predict(a, type = ty, se.fit = TRUE), predict(b, type = ty, se.fit = TRUE),
                     tolerance = 1e-8, info = paste(info, ty, "own data"))
      pa <- predict(a, newdata = nd, type = "expected", se.fit = TRUE)
      # predict.coxph's newdata standard errors for (start, stop] rows read
      # the wrong rows (NaN or wrong values); its fit is right without an
      # offset. netsurv's equal its own predictions for the fit's rows.
      if (is.null(attr(terms(fm), "offset")))
        expect_equal(pa$fit, predict(b, newdata = nd, type = "expected"), tolerance = 1e-8,
                     info = info)
      own <- predict(a, type = "expected", se.fit = TRUE)
      rows <- match(rownames(nd), names(a$residuals))
      expect_equal(unname(pa$se.fit), unname(own$se.fit[rows]), tolerance = 1e-8, info = info)
      if (ties == "breslow") # Efron's own-row values take the tied events' share
        expect_equal(unname(pa$fit), unname(own$fit[rows]), tolerance = 1e-8, info = info)
    }
  }
})

# ---- the diagnostics' further options -------------------------------------------

test_that("predict(type = \"terms\", reference = \"strata\") equals predict.coxph's", {
  lung <- lung_nd()
  for (weighted in c(FALSE, TRUE)) {
    a <- if (weighted) cox(Surv(time, status) ~ age + factor(ph.ecog) + strata(sex), lung,
                           weights = id %% 3 + 1, control = tight_cox())
         else cox(Surv(time, status) ~ age + factor(ph.ecog) + strata(sex), lung,
                  control = tight_cox())
    b <- if (weighted) coxph(Surv(time, status) ~ age + factor(ph.ecog) + strata(sex), lung,
                             weights = id %% 3 + 1, control = tight_coxph())
         else coxph(Surv(time, status) ~ age + factor(ph.ecog) + strata(sex), lung,
                    control = tight_coxph())
    nd <- lung[c(1, 5, 9, 30), ]
    expect_equal(predict(a, type = "terms", reference = "strata", se.fit = TRUE),
                 predict(b, type = "terms", reference = "strata", se.fit = TRUE), tolerance = 1e-8)
    expect_equal(predict(a, nd, type = "terms", reference = "strata", se.fit = TRUE),
                 predict(b, nd, type = "terms", reference = "strata", se.fit = TRUE),
                 tolerance = 1e-8)
    expect_equal(predict(a, nd, type = "terms", reference = "strata", terms = 1),
                 predict(b, nd, type = "terms", reference = "strata", terms = 1), tolerance = 1e-8)
  }
  # the terms add up to the linear predictor with the same reference
  expect_equal(unname(rowSums(predict(a, type = "terms", reference = "strata"))),
               unname(predict(a, type = "lp", reference = "strata")), tolerance = 1e-10)
})

test_that("residuals(type = \"partial\") equal residuals.coxph's", {
  lung <- lung_nd()
  f <- Surv(time, status) ~ age + factor(ph.ecog) + strata(sex)
  a <- cox(f, lung, control = tight_cox())
  b <- coxph(f, lung, control = tight_coxph())
  ra <- residuals(a, type = "partial")
  rb <- residuals(b, type = "partial")
  expect_equal(ra, rb, tolerance = 1e-8)
  expect_equal(dimnames(ra), dimnames(rb))
  expect_equal(residuals(a, type = "partial", weighted = TRUE),
               residuals(b, type = "partial", weighted = TRUE), tolerance = 1e-8)
  # na.exclude pads; collapse sums
  a2 <- cox(Surv(time, status) ~ age + ph.ecog, lung, na.action = na.exclude, control = tight_cox())
  b2 <- coxph(Surv(time, status) ~ age + ph.ecog, lung, na.action = na.exclude,
              control = tight_coxph())
  expect_equal(residuals(a2, type = "partial"), residuals(b2, type = "partial"),
               tolerance = 1e-8, ignore_attr = "constant")
  grp <- lung$id %% 7
  expect_equal(residuals(a2, type = "partial", collapse = grp),
               residuals(b2, type = "partial", collapse = grp), tolerance = 1e-8,
               ignore_attr = "constant")
  # weighted (start, stop] fit with a cluster
  h <- survival::heart
  ah <- cox(Surv(start, stop, event) ~ age + surgery + cluster(id), h, weights = (id %% 3) + 1,
            control = tight_cox())
  bh <- coxph(Surv(start, stop, event) ~ age + surgery + cluster(id), h, weights = (id %% 3) + 1,
              control = tight_coxph())
  expect_equal(residuals(ah, type = "partial"), residuals(bh, type = "partial"), tolerance = 1e-8)
})

test_that("cox_zph(transform = <function>) equals cox.zph's", {
  lung <- lung_nd()
  f <- Surv(time, status) ~ age + factor(ph.ecog) + strata(sex)
  a <- cox(f, lung, control = tight_cox())
  b <- coxph(f, lung, control = tight_coxph())
  za <- cox_zph(a, transform = sqrt)
  zb <- survival::cox.zph(b, transform = sqrt)
  expect_equal(za$table, zb$table, tolerance = 1e-8)
  expect_equal(za$x, zb$x, tolerance = 1e-12)
  expect_equal(unname(za$y), unname(zb$y), tolerance = 1e-8)
  expect_identical(za$transform, "sqrt")
  g <- function(t) (t / 1000)^2
  expect_equal(cox_zph(a, transform = g, terms = FALSE)$table,
               survival::cox.zph(b, transform = g, terms = FALSE)$table, tolerance = 1e-8)
  za <- cox_zph(a, transform = function(t) pmin(t, 400))
  zb <- survival::cox.zph(b, transform = function(t) pmin(t, 400))
  expect_equal(za$table, zb$table, tolerance = 1e-8)
  expect_identical(za$transform, zb$transform)
  # a user's transform equal to a named one gives the same test
  expect_equal(cox_zph(a, transform = function(t) t)$table,
               cox_zph(a, transform = "identity")$table, tolerance = 1e-12)
  # (start, stop] data with weights
  h <- survival::heart
  ah <- cox(Surv(start, stop, event) ~ age + surgery, h, weights = (id %% 3) + 1,
            control = tight_cox())
  bh <- coxph(Surv(start, stop, event) ~ age + surgery, h, weights = (id %% 3) + 1,
              control = tight_coxph())
  expect_equal(cox_zph(ah, transform = log1p)$table,
               survival::cox.zph(bh, transform = log1p)$table, tolerance = 1e-8)
  with_null_device(expect_invisible(plot(za, resid = FALSE)))
})

test_that("concordance()$cvar and $var equal survival's on random cohorts", {
  for (seed in 21:24) for (counting in c(FALSE, TRUE)) {
    d <- newdata_cohort(seed, n = 90, counting = counting)
    d$x1[sample(90, 15)] <- 0 # ties in the score
    lhs <- if (counting) "Surv(start, time, status)" else "Surv(time, status)"
    for (rhs in c("x1 + f", "x1 + f + strata(s)", "x1 + cluster(g)")) {
      fm <- stats::as.formula(paste(lhs, "~", rhs))
      for (weighted in c(FALSE, TRUE)) {
        info <- paste(seed, lhs, rhs, weighted)
        fits <- if (weighted) fit_both(fm, d, weights = w) else fit_both(fm, d)
        a <- fits$netsurv
        b <- fits$survival
        ca <- concordance(a)
        cb <- concordance(b)
        expect_equal(ca$concordance, cb$concordance, tolerance = 1e-10, info = info)
        expect_equal(ca$cvar, cb$cvar, tolerance = 1e-10, info = info)
        expect_equal(ca$var, cb$var, tolerance = 1e-10, info = info)
        expect_true(ca$cvar > 0, info = info)
      }
    }
  }
})
