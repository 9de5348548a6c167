# cox_curve against survfit.coxph (time, surv, std.err, lower, upper,
# cumhaz to 1e-6; observed ~1e-14).
curve_fields <- c("n", "time", "n.risk", "n.event", "n.censor", "strata", "surv", "cumhaz",
                  "std.err", "std.chaz", "lower", "upper", "conf.type", "conf.int", "logse")

expect_curve_match <- function(a, b) {
  expect_s3_class(a, c("netsurv_coxcurve", "netsurv_curve"), exact = TRUE)
  expect_identical(names(unclass(a)), names(unclass(b)))
  for (f in curve_fields)
    expect_equal(a[[f]], b[[f]], tolerance = 1e-6, label = paste("cox_curve field", f))
}

test_that("cox_curve matches survfit.coxph at the means and for profiles", {
  lung <- survival::lung
  nd <- data.frame(age = c(50, 70), sex = c(1, 2), ph.ecog = c(0, 2))
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
                         control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = ties,
             control = tight_cox())
    expect_curve_match(cox_curve(n), survival::survfit(s))
    expect_curve_match(cox_curve(n, nd), survival::survfit(s, newdata = nd))
    expect_curve_match(cox_curve(n, nd[2, ]), survival::survfit(s, newdata = nd[2, ]))
    for (ct in c("log-log", "plain", "none"))
      expect_curve_match(cox_curve(n, nd, conf.type = ct, conf.int = 0.9),
                         survival::survfit(s, newdata = nd, conf.type = ct, conf.int = 0.9))
  }
})

test_that("cox_curve matches survfit.coxph with strata", {
  lung <- survival::lung
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung,
                         ties = ties, control = tight_coxph())
    n <- cox(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung, ties = ties,
             control = tight_cox())
    expect_curve_match(cox_curve(n), survival::survfit(s))
    # newdata without the strata variable: every profile in every stratum
    nd <- data.frame(age = c(50, 70), ph.ecog = c(0, 2))
    expect_curve_match(cox_curve(n, nd), survival::survfit(s, newdata = nd))
    # with it: one curve per row, in its own stratum
    nd$sex <- c(2, 1)
    expect_curve_match(cox_curve(n, nd), survival::survfit(s, newdata = nd))
  }
})

test_that("cox_curve matches on (start, stop] data, veteran, colon and generated data", {
  heart <- survival::heart
  s <- survival::coxph(Surv(start, stop, event) ~ age + transplant, data = heart,
                       control = tight_coxph())
  n <- cox(Surv(start, stop, event) ~ age + transplant, data = heart, control = tight_cox())
  nd <- data.frame(age = c(-10, 5), transplant = factor(c(0, 1)))
  expect_curve_match(cox_curve(n), survival::survfit(s))
  expect_curve_match(cox_curve(n, nd), survival::survfit(s, newdata = nd))
  veteran <- survival::veteran
  s <- survival::coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran,
                       control = tight_coxph())
  n <- cox(Surv(time, status) ~ trt + celltype + karno, data = veteran, control = tight_cox())
  nd <- data.frame(trt = 1, celltype = c("squamous", "adeno"), karno = 70)
  expect_curve_match(cox_curve(n, nd), survival::survfit(s, newdata = nd))
  colon <- survival::colon[survival::colon$etype == 2, ]
  s <- survival::coxph(Surv(time, status) ~ rx + age + strata(sex), data = colon,
                       ties = "breslow", control = tight_coxph())
  n <- cox(Surv(time, status) ~ rx + age + strata(sex), data = colon, ties = "breslow",
           control = tight_cox())
  expect_curve_match(cox_curve(n), survival::survfit(s))
  dat <- gen_cox_data(300, seed = 3)
  for (ties in c("efron", "breslow")) {
    s <- survival::coxph(Surv(start, time, status) ~ x1 + x2 + strata(st), data = dat,
                         weights = w, ties = ties, control = tight_coxph())
    n <- cox(Surv(start, time, status) ~ x1 + x2 + strata(st), data = dat, weights = w,
             ties = ties, control = tight_cox())
    # cox() centres weighted (start, stop] fits at the weighted means, coxph
    # at the unweighted ones: compare the curves at one profile.
    at_means <- data.frame(x1 = n$means[["x1"]], x2 = n$means[["x2"]])
    expect_curve_match(cox_curve(n, at_means), survival::survfit(s, newdata = at_means))
    expect_curve_match(cox_curve(n, dat[1:3, ]), survival::survfit(s, newdata = dat[1:3, ]))
    s <- survival::coxph(Surv(start, time, status) ~ x1 + x2 + strata(st), data = dat,
                         ties = ties, control = tight_coxph())
    n <- cox(Surv(start, time, status) ~ x1 + x2 + strata(st), data = dat, ties = ties,
             control = tight_cox())
    expect_curve_match(cox_curve(n), survival::survfit(s))
  }
})

test_that("cox_curve by hand: Breslow curve of a model without effect", {
  d <- data.frame(time = c(1, 2, 2, 3, 4), status = c(1, 1, 0, 1, 0), x = c(1, 1, 2, 2, 3))
  n <- suppressWarnings(cox(Surv(time, status) ~ x, data = d, ties = "breslow",
                            control = cox_control(iter.max = 0)))
  cc <- cox_curve(n)
  expect_equal(cc$cumhaz, cumsum(c(1/5, 1/4, 1/2, 0)), tolerance = 1e-12)
  expect_equal(cc$surv, exp(-cc$cumhaz), tolerance = 1e-12)
  expect_equal(cc$n.risk, c(5, 4, 2, 1))
})

test_that("cox_curve rejects bad input", {
  lung <- survival::lung
  n <- cox(Surv(time, status) ~ age + factor(ph.ecog), data = lung)
  expect_error(cox_curve(n, data.frame(age = 60)), "`newdata` lacks the column `ph.ecog`")
  expect_error(cox_curve(n, data.frame(age = 60, ph.ecog = 9)),
               "column `ph.ecog` has the level \"9\"")
  expect_error(cox_curve(n, data.frame(age = NA, ph.ecog = 1)), "column `age` is missing")
  expect_error(cox_curve(n, conf.type = "logit"), "`conf.type` must be one of")
  expect_error(cox_curve(n, conf.int = 2), "`conf.int` must be a single number")
  expect_error(cox_curve(lm(1 ~ 1)), "`fit` must be a fit from cox\\(\\)")
})

test_that("the curve methods work on cox_curve() as on survfit.coxph", {
  fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
  ref <- survival::coxph(Surv(time, status) ~ age + sex, data = survival::lung,
                         control = tight_coxph())
  profiles <- data.frame(age = c(50, 70), sex = 1:2)
  cc <- cox_curve(fit, newdata = profiles)
  sf <- survival::survfit(ref, newdata = profiles)
  # one row per profile in the print table, as print.survfit shows them
  expect_output(print(cc), "events +median")
  q <- quantile(cc, probs = c(0.25, 0.5))
  q_ref <- quantile(sf, probs = c(0.25, 0.5))
  expect_equal(unname(q$quantile), unname(q_ref$quantile), tolerance = 1e-6)
  expect_equal(unname(q$lower), unname(q_ref$lower), tolerance = 1e-6)
  s <- summary(cc, times = c(100, 300, 500))
  s_ref <- summary(sf, times = c(100, 300, 500))
  expect_equal(s$surv, as.vector(s_ref$surv), tolerance = 1e-6)
  expect_equal(s$upper, as.vector(s_ref$upper), tolerance = 1e-6)
  one <- cox_curve(fit, newdata = profiles[1, ])
  expect_equal(unname(median(one)), unname(quantile(sf[1], 0.5)$quantile), tolerance = 1e-6)
  drawn <- with_null_device(plot(cc))
  expect_s3_class(drawn, "netsurv_plotdata")
  expect_equal(nrow(tidy(cc)), 2L * length(cc$time))
})

test_that("a factor given by its codes in newdata takes the fit's levels", {
  heart <- survival::heart
  n <- cox(Surv(start, stop, event) ~ age + transplant, data = heart)
  a <- cox_curve(n, data.frame(age = c(-10, 5), transplant = c(0, 1)))
  b <- cox_curve(n, data.frame(age = c(-10, 5), transplant = factor(c(0, 1))))
  expect_equal(a$surv, b$surv, tolerance = 1e-12)
  expect_error(cox_curve(n, data.frame(age = 1, transplant = 2)),
               "column `transplant` has the level \"2\"")
})
