# km()'s survfit options against survival::survfit (tolerance 1e-9, every
# field): start.time, stype/ctype, se.fit, cluster()/cluster =/id =/robust.

lung <- survival::lung
heart <- survival::heart
cgd <- survival::cgd

same_fit <- function(a, b, info) {
  a <- unclass(a); b <- unclass(b)
  a$call <- b$call <- NULL
  expect_identical(names(a), names(b), label = paste(info, "names"))
  for (f in intersect(names(a), names(b)))
    expect_equal(a[[f]], b[[f]], tolerance = 1e-9, label = paste(info, f))
}

test_that("start.time, stype, ctype and se.fit give survfit's curves", {
  sf <- survival::survfit
  same_fit(km(Surv(time, status) ~ sex, lung, start.time = 100),
           sf(Surv(time, status) ~ sex, lung, start.time = 100), "start.time")
  same_fit(km(Surv(start, stop, event) ~ 1, heart, start.time = 30),
           sf(Surv(start, stop, event) ~ 1, heart, start.time = 30), "start.time counting")
  for (s in 1:2) for (ct in 1:2) {
    same_fit(km(Surv(time, status) ~ sex, lung, stype = s, ctype = ct),
             sf(Surv(time, status) ~ sex, lung, stype = s, ctype = ct), paste("type", s, ct))
    same_fit(km(Surv(time, status) ~ celltype, survival::veteran, stype = s, ctype = ct,
                weights = rep(1:3, length.out = 137)),
             sf(Surv(time, status) ~ celltype, survival::veteran, stype = s, ctype = ct,
                weights = rep(1:3, length.out = 137)), paste("weighted type", s, ct))
  }
  same_fit(km(Surv(time, status) ~ sex, lung, se.fit = FALSE),
           sf(Surv(time, status) ~ sex, lung, se.fit = FALSE), "se.fit")
  expect_error(km(Surv(time, status) ~ sex, lung, stype = 3), "`stype` must be 1 or 2")
  expect_error(km(Surv(time, status) ~ sex, lung, start.time = 5000), "`start.time`")
  # methods work on the option curves
  fit <- km(Surv(time, status) ~ sex, lung, start.time = 100)
  ref <- sf(Surv(time, status) ~ sex, lung, start.time = 100)
  expect_equal(quantile(fit, 0.5)$quantile, quantile(ref, 0.5)$quantile, ignore_attr = TRUE)
  expect_equal(summary(fit, times = c(150, 400))$surv, summary(ref, times = c(150, 400))$surv,
               tolerance = 1e-10)
  expect_output(print(km(Surv(time, status) ~ sex, lung, se.fit = FALSE)), "median")
})

test_that("cluster() terms, cluster = and robust variances equal survfit's", {
  sf <- survival::survfit
  same_fit(km(Surv(time, status) ~ sex + cluster(inst), lung),
           sf(Surv(time, status) ~ sex + cluster(inst), lung), "cluster term")
  same_fit(km(Surv(time, status) ~ sex, lung, cluster = inst),
           sf(Surv(time, status) ~ sex, lung, cluster = inst), "cluster arg")
  same_fit(km(Surv(time, status) ~ sex, lung, cluster = inst, stype = 2),
           sf(Surv(time, status) ~ sex, lung, cluster = inst, stype = 2), "cluster stype 2")
  same_fit(km(Surv(time, status) ~ 1, lung, cluster = inst, conf.type = "log-log"),
           sf(Surv(time, status) ~ 1, lung, cluster = inst, conf.type = "log-log"), "log-log")
  set.seed(11)
  w <- runif(nrow(lung), 0.2, 3)
  same_fit(km(Surv(time, status) ~ sex, lung, weights = w, cluster = inst),
           sf(Surv(time, status) ~ sex, lung, weights = w, cluster = inst), "weights + cluster")
  same_fit(km(Surv(time, status) ~ 1, lung, robust = TRUE),
           sf(Surv(time, status) ~ 1, lung, robust = TRUE), "robust, one row per cluster")
  same_fit(km(Surv(tstart, tstop, status) ~ treat, cgd, cluster = id),
           sf(Surv(tstart, tstop, status) ~ treat, cgd, cluster = id), "counting + cluster")
  # seeded random data: ties, fractional weights, clusters of varying size
  for (seed in 1:5) {
    set.seed(seed)
    n <- 150
    d <- data.frame(time = sample(1:40, n, TRUE), status = rbinom(n, 1, 0.6),
                    g = sample(1:2, n, TRUE), cl = sample(1:30, n, TRUE),
                    w = round(runif(n, 0.1, 2), 2))
    same_fit(km(Surv(time, status) ~ g, d, cluster = cl, weights = w),
             sf(Surv(time, status) ~ g, d, cluster = cl, weights = w), paste("random", seed))
    same_fit(km(Surv(time, status) ~ g, d, cluster = cl, stype = 2),
             sf(Surv(time, status) ~ g, d, cluster = cl, stype = 2), paste("random stype2", seed))
  }
  expect_error(km(Surv(time, status) ~ sex, lung, cluster = inst, robust = FALSE),
               "cluster would be ignored")
  expect_error(km(Surv(time, status) ~ sex, lung, cluster = inst, ctype = 2), "ctype = 2")
  expect_error(km(Surv(time, status) ~ sex + cluster(inst), lung, cluster = inst), "not both")
})

test_that("id = follows subjects through their (start, stop] rows as survfit does", {
  sf <- survival::survfit
  same_fit(km(Surv(start, stop, event) ~ 1, heart, id = id),
           sf(Surv(start, stop, event) ~ 1, heart, id = id), "heart id")
  same_fit(km(Surv(start, stop, event) ~ 1, heart, id = id, robust = TRUE),
           sf(Surv(start, stop, event) ~ 1, heart, id = id, robust = TRUE), "heart id robust")
  same_fit(km(Surv(tstart, tstop, status) ~ 1, cgd, id = id),
           sf(Surv(tstart, tstop, status) ~ 1, cgd, id = id), "cgd id (several events: robust)")
  # With strata survival 3.5 reads the position flags of the wrong rows
  # (fixed in later versions); each stratum on its own is the oracle.
  a <- km(Surv(start, stop, event) ~ transplant, heart, id = id)
  for (g in 0:1) {
    b <- sf(Surv(start, stop, event) ~ 1, heart[heart$transplant == g, ], id = id)
    one <- unclass(a[paste0("transplant=", g)])
    for (f in c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "lower", "upper"))
      expect_equal(one[[f]], b[[f]], tolerance = 1e-9, label = paste("heart stratum", g, f))
  }
  a <- km(Surv(tstart, tstop, status) ~ treat, cgd, id = id)
  for (g in levels(cgd$treat)) {
    b <- sf(Surv(tstart, tstop, status) ~ 1, cgd[cgd$treat == g, ], id = id)
    one <- unclass(a[paste0("treat=", g)])
    for (f in c("time", "n.risk", "n.event", "n.censor", "n.enter", "surv", "std.err", "cumhaz",
                "std.chaz", "lower", "upper"))
      expect_equal(one[[f]], b[[f]], tolerance = 1e-9, label = paste("cgd stratum", g, f))
  }
  expect_error(km(Surv(start, stop, event) ~ 1, heart, robust = TRUE), "needs `id` or `cluster`")
})
