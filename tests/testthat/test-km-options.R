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
  # one product-limit step (ns_km_factor): the curve is the same to the bit
  # whichever variance comes with it
  set.seed(12)
  d <- data.frame(time = sample(1:60, 300, TRUE), status = rbinom(300, 1, 0.7),
                  w = sample(1:3, 300, TRUE), cl = sample(1:300))
  expect_identical(km(Surv(time, status) ~ 1, d, weights = w, cluster = cl)$surv,
                   km(Surv(time, status) ~ 1, d, weights = w)$surv)
  expect_error(km(Surv(time, status) ~ sex, lung, cluster = inst, robust = FALSE),
               "cluster would be ignored")
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

test_that("ctype = 2 with a robust variance equals survfit's (tolerance 1e-9)", {
  sf <- survival::survfit
  for (s in 1:2) {
    same_fit(km(Surv(time, status) ~ sex, lung, cluster = inst, ctype = 2, stype = s),
             sf(Surv(time, status) ~ sex, lung, cluster = inst, ctype = 2, stype = s),
             paste("lung cluster ctype 2 stype", s))
    same_fit(km(Surv(tstart, tstop, status) ~ treat, cgd, cluster = id, ctype = 2, stype = s),
             sf(Surv(tstart, tstop, status) ~ treat, cgd, cluster = id, ctype = 2, stype = s),
             paste("cgd cluster ctype 2 stype", s))
    same_fit(km(Surv(tstart, tstop, status) ~ 1, cgd, id = id, ctype = 2, stype = s),
             sf(Surv(tstart, tstop, status) ~ 1, cgd, id = id, ctype = 2, stype = s),
             paste("cgd id ctype 2 stype", s))
    # fractional weights, no cluster: each row its own cluster
    w <- rep(c(0.5, 1.25, 2), length.out = nrow(lung))
    same_fit(km(Surv(time, status) ~ sex, lung, weights = w, ctype = 2, stype = s),
             sf(Surv(time, status) ~ sex, lung, weights = w, ctype = 2, stype = s),
             paste("lung fractional weights ctype 2 stype", s))
    same_fit(km(Surv(time, status) ~ 1, lung, robust = TRUE, ctype = 2, stype = s),
             sf(Surv(time, status) ~ 1, lung, robust = TRUE, ctype = 2, stype = s),
             paste("lung robust ctype 2 stype", s))
  }
  # survfit's rule, kept: with ctype = 2 the robust std.err of stype = 1 is
  # that of S (as with ctype = 1) and logse is TRUE
  a <- km(Surv(time, status) ~ 1, lung, cluster = inst, ctype = 2)
  b <- km(Surv(time, status) ~ 1, lung, cluster = inst)
  expect_equal(a$std.err, b$std.err, tolerance = 1e-12)
  expect_true(a$logse)
  expect_false(b$logse)
})

test_that("robust variances by cluster equal survfit's on seeded random data", {
  sf <- survival::survfit
  # ties, zero and fractional weights, strata, clusters of varying size,
  # clusters spanning strata, late entry; every (stype, ctype)
  for (seed in 1:12) {
    set.seed(100 + seed)
    n <- sample(c(30, 200, 600), 1)
    d <- data.frame(time = sample(1:25, n, TRUE) + if (seed %% 3 == 0) runif(n) else 0,
                    status = rbinom(n, 1, 0.55), g = sample(c("a", "b", "c"), n, TRUE),
                    cl = sample(seq_len(max(2, n %/% sample(c(2, 5, 40), 1))), n, TRUE),
                    w = ifelse(runif(n) < 0.1, 0, round(runif(n, 0.05, 3), 3)))
    d$entry <- pmax(0, d$time - sample(1:20, n, TRUE) - 0.5)
    for (s in 1:2) for (ct in 1:2) {
      info <- paste("seed", seed, "type", s, ct)
      same_fit(km(Surv(time, status) ~ g, d, cluster = cl, weights = w, stype = s, ctype = ct),
               sf(Surv(time, status) ~ g, d, cluster = cl, weights = w, stype = s, ctype = ct),
               paste(info, "right"))
      same_fit(km(Surv(entry, time, status) ~ g, d, cluster = cl, stype = s, ctype = ct),
               sf(Surv(entry, time, status) ~ g, d, cluster = cl, stype = s, ctype = ct),
               paste(info, "counting"))
      same_fit(km(Surv(entry, time, status) ~ 1, d, cluster = cl, weights = w, stype = s,
                  ctype = ct),
               sf(Surv(entry, time, status) ~ 1, d, cluster = cl, weights = w, stype = s,
                  ctype = ct), paste(info, "counting weighted"))
    }
  }
})

test_that("robust variances stay exact where the clusters' influences cancel", {
  sf <- survival::survfit
  # clusters as characters, factors (with unused levels) and sparse numbers
  d <- transform(lung[!is.na(lung$inst), ], chr = paste0("c", inst),
                 fac = factor(inst, levels = 0:40), big = inst * 1e6, neg = -inst)
  ref <- sf(Surv(time, status) ~ sex, d, cluster = inst)
  for (v in c("chr", "fac", "big", "neg"))
    same_fit(eval(bquote(km(Surv(time, status) ~ sex, d, cluster = .(as.name(v))))), ref,
             paste("cluster coded as", v))
  # One cluster per stratum: every influence is 0 (survfit: rounding noise).
  a <- km(Surv(time, status) ~ sex, lung, cluster = sex)
  expect_lt(max(a$std.err, a$std.chaz), 1e-12)
  # Two big clusters in one stratum and one row per cluster: the O(n) update
  # against survfit's direct sums, at n = 5000 with few distinct times.
  set.seed(7)
  n <- 5000
  d <- data.frame(time = sample(1:60, n, TRUE), status = rbinom(n, 1, 0.7),
                  two = sample(1:2, n, TRUE), w = runif(n, 0.5, 1.5))
  for (cl in list(d$two, seq_len(n)))
    for (ct in 1:2) {
      d$cl <- cl
      same_fit(km(Surv(time, status) ~ 1, d, cluster = cl, weights = w, ctype = ct),
               sf(Surv(time, status) ~ 1, d, cluster = cl, weights = w, ctype = ct),
               paste("big clusters", length(unique(cl)), ct))
    }
})
