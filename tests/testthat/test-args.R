# Nothing passed is ignored in silence: unused arguments, survival's special
# formula terms, status codes and the printed digits of Cox summaries.

lung <- survival::lung

test_that("curve methods name every argument they do not use", {
  fit <- km(Surv(time, status) ~ sex, data = lung)
  expect_error(summary(fit, times = 365, foo = 2), "argument `foo` is not used")
  expect_error(rmst(fit, tau = 365, compare = TRUE), "`compare`.*logrank\\(\\)")
  expect_error(quantile(fit, 0.5, type = 7), "`type`")
  expect_error(print(fit, scale = 2), "print\\(\\) of a survival curve: argument `scale`")
  expect_error(tidy(fit, conf.int = TRUE), "tidy\\(\\) of a survival curve: argument `conf.int`")
  expect_error(glance(km(Surv(time, status) ~ 1, data = lung), foo = 1), "`foo`")
  expect_error(as.data.frame(fit, bar = 1), "`bar`")
  expect_error(median(fit, FALSE, 3), "an unnamed argument \\(3\\)")
  expect_error(summary(fit, times = 1, a = 1, b = 2), "arguments `a`, `b` are not used")
})

test_that("Cox and log-rank methods name every argument they do not use", {
  cfit <- cox(Surv(time, status) ~ age + sex, data = lung)
  expect_error(summary(cfit, foo = 1), "summary\\(\\) of a cox\\(\\) fit: argument `foo`")
  expect_error(coef(cfit, complete = FALSE), "`complete`")
  expect_error(vcov(cfit, complete = FALSE), "`complete`")
  expect_error(logLik(cfit, REML = TRUE), "`REML`")
  expect_error(nobs(cfit, foo = TRUE), "`foo`")
  expect_error(tidy(cfit, exponentiated = TRUE), "`exponentiated`")
  expect_error(glance(cfit, foo = 1), "`foo`")
  expect_error(print(cfit, foo = 1), "`foo`")
  lr <- logrank(Surv(time, status) ~ sex, data = lung)
  expect_error(tidy(lr, foo = 1), "`foo`")
  expect_error(glance(lr, foo = 1), "`foo`")
  expect_error(print(lr, foo = 1), "`foo`")
})

test_that("summary(km, scale =) matches survival", {
  fit <- km(Surv(time, status) ~ sex, data = lung)
  ref <- survival::survfit(Surv(time, status) ~ sex, data = lung)
  for (args in list(list(times = c(180, 365, 730), scale = 365.25),
                    list(scale = 30.4375), list(scale = 7, censored = TRUE),
                    list(times = c(100, 2000), scale = 2, extend = TRUE))) {
    a <- do.call(summary, c(list(fit), args))
    b <- do.call(summary, c(list(ref), args))
    for (f in c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "lower", "upper"))
      expect_equal(a[[f]], b[[f]], tolerance = 1e-10, info = paste(f, deparse(args)))
    expect_equal(unname(a$table), unname(b$table), tolerance = 1e-10)
    expect_equal(dimnames(a$table), dimnames(b$table))
  }
  expect_error(summary(fit, scale = -1), "`scale`")
})

test_that("survival's special formula terms are refused by name", {
  expect_error(cox(Surv(time, status) ~ pspline(age) + sex, data = lung),
               "cox\\(\\) does not implement the survival term pspline\\(\\).*ns\\(")
  expect_error(cox(Surv(time, status) ~ frailty(inst) + sex, data = lung), "frailty\\(\\)")
  expect_error(cox(Surv(time, status) ~ age + frailty.gaussian(inst), data = lung),
               "frailty.gaussian\\(\\)")
  expect_error(cox(Surv(time, status) ~ ridge(age, sex, theta = 1), data = lung), "ridge\\(\\)")
  expect_error(cox(Surv(time, status) ~ survival::pspline(age), data = lung), "pspline\\(\\)")
  expect_error(km(Surv(time, status) ~ offset(age), data = lung), "km\\(\\).*offset\\(\\)")
  expect_error(km(Surv(time, status) ~ tt(age), data = lung), "tt\\(\\)")
  expect_error(logrank(Surv(time, status) ~ sex + cluster(inst), data = lung), "cluster\\(\\)")
  expect_error(logrank(Surv(time, status) ~ sex + pspline(age), data = lung), "pspline\\(\\)")
})

test_that("survival::strata() and survival::cluster() mean what strata() does", {
  a <- cox(Surv(time, status) ~ age + survival::strata(sex), data = lung)
  b <- survival::coxph(Surv(time, status) ~ age + strata(sex), data = lung)
  expect_equal(unname(coef(a)), unname(coef(b)), tolerance = 1e-8)
  expect_identical(names(coef(a)), "age")
  k <- km(Surv(time, status) ~ survival::strata(sex), data = lung)
  expect_length(k$strata, 2L)
})

test_that("status errors name the offending row and value", {
  d <- lung[1:20, ]
  d$status[c(3, 9)] <- c(2, 3)   # 1/2 coded with a stray 3 in row 9
  expect_error(km(Surv(time, status) ~ 1, data = d), "status in row 9 is 3")
  d <- lung[1:20, ]
  d$status[7] <- 0               # 0 among 1/2-coded data
  expect_error(km(Surv(time, status) ~ 1, data = d), "status in row 7 is 0 while other rows hold 2")
  d <- lung[1:20, ]
  d$status <- factor(d$status, labels = c("censor", "death"))
  expect_error(km(Surv(time, status) ~ 1, data = d), "status is a factor.*cuminc\\(\\)")
  expect_error(cox(Surv(time, status) ~ age, data = d), "cox\\(\\) needs a 0/1 status")
})

test_that("the messages read as intended", {
  fit <- km(Surv(time, status) ~ sex, data = lung)
  d <- lung[1:20, ]
  d$status[c(3, 9)] <- c(2, 3)
  f <- lung[1:20, ]
  f$status <- factor(f$status, labels = c("censor", "death"))
  expect_snapshot(error = TRUE, summary(fit, times = 365, dosum = TRUE))
  expect_snapshot(error = TRUE, rmst(fit, tau = 365, compare = TRUE))
  expect_snapshot(error = TRUE, cox(Surv(time, status) ~ pspline(age) + sex, data = lung))
  expect_snapshot(error = TRUE, cox(Surv(time, status) ~ frailty(inst) + sex, data = lung))
  expect_snapshot(error = TRUE, km(Surv(time, status) ~ 1, data = d))
  expect_snapshot(error = TRUE, km(Surv(time, status) ~ 1, data = f))
})

test_that("Cox summaries print survival's digits", {
  withr_opts <- options(digits = 7, show.signif.stars = TRUE, width = 80)
  on.exit(options(withr_opts), add = TRUE)
  a <- cox(Surv(time, status) ~ age + sex + wt.loss, data = lung)
  b <- survival::coxph(Surv(time, status) ~ age + sex + wt.loss, data = lung)
  body <- function(x) {
    out <- capture.output(print(x))
    out[-seq_len(grep("^$", out)[1L])]        # drop the call
  }
  expect_identical(body(summary(a)), body(summary(b)))
  expect_identical(body(a), body(b))
  r <- cox(Surv(time, status) ~ age + sex + cluster(inst), data = lung)
  rb <- survival::coxph(Surv(time, status) ~ age + sex + cluster(inst), data = lung)
  expect_identical(body(summary(r)), body(summary(rb)))
  expect_true(any(grepl("wt.loss    1.0008", capture.output(summary(a)), fixed = TRUE)))
})

test_that("anova() names an argument that is not a fit", {
  a <- cox(Surv(time, status) ~ age, data = lung)
  expect_error(anova(a, foo = 1), "`foo` not used")
})
