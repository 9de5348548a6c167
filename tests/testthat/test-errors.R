# test-errors.R -- the error messages are part of netsurv's interface: each
# names the argument and, for bad data, the first offending row. Snapshot
# tests pin their exact text (tests/testthat/_snaps/errors.md); a change to a
# message shows up as a snapshot difference to review.

d <- data.frame(time = c(5, 3, 8, 2, 7, 4), status = c(1, 0, 1, 1, 0, 1),
                grp = c(1, 1, 2, 2, 1, 2), x = c(0.5, -1, 2, 0, 1, -0.5),
                start = c(0, 1, 2, 0, 3, 1), w = c(1, 2, 1, 1, 3, 1))

test_that("km() names the argument and the first bad row", {
  expect_snapshot(error = TRUE, {
    km(Surv(time, status) ~ grp, data = d, conf.int = 1.5)
    km(Surv(time, status) ~ grp, data = d, conf.type = "loglog")
    km(Surv(time, status) ~ grp, data = transform(d, status = c(1, 0, 3, 1, 0, 1)))
    km(Surv(time, status) ~ grp, data = transform(d, time = c(5, 3, Inf, 2, 7, 4)))
    km(Surv(start, time, status) ~ 1, data = transform(d, start = c(0, 4, 2, 0, 3, 1)))
    km(Surv(time, status) ~ grp, data = d, weights = c(1, 1, -1, 1, 1, 1))
    km(Surv(time, status) ~ grp, data = d, weights = c(1, NA, 1, 1, 1, 1))
    km(time ~ grp, data = d)
    km(Surv(time, status) ~ grp, data = d, subset = time > 100)
  })
})

test_that("logrank() and pairwise_logrank() say what they need", {
  expect_snapshot(error = TRUE, {
    logrank(Surv(time, status) ~ 1, data = d)
    logrank(Surv(time, status) ~ grp, data = transform(d, grp = 1))
    logrank(Surv(time, status) ~ grp, data = transform(d, status = 0))
    logrank(Surv(start, time, status) ~ grp, data = d)
    pairwise_logrank(Surv(time, status) ~ grp, data = d, p.adjust.method = "none2")
  })
})

test_that("cox() names the argument, the covariate and the row", {
  expect_snapshot(error = TRUE, {
    cox(Surv(time, status) ~ x, data = transform(d, x = c(1, 2, NaN, 4, 5, Inf)),
        na.action = stats::na.pass)
    cox(Surv(time, status) ~ x, data = d, weights = c(1, 1, 0, 1, 1, 1))
    cox(Surv(time, status) ~ x, data = transform(d, status = 0))
    cox(Surv(time, status) ~ x, data = d, init = c(1, 2))
    cox(Surv(time, status) ~ x, data = d, robust = NA)
    cox(Surv(time, status) ~ x, data = d, control = list(eps = 1e-9))
    cox(Surv(time, status) ~ x + cluster(grp) + cluster(start), data = d)
  })
})

test_that("the Cox diagnostics check their choices and inputs", {
  fit <- cox(Surv(time, status) ~ x, data = d)
  expect_snapshot(error = TRUE, {
    residuals(fit, type = "pearson")
    predict(fit, type = "link")
    predict(fit, reference = "median")
    cox_curve(fit, conf.type = "logit")
    cox_curve(fit, conf.int = 2)
    cox_zph(fit, transform = "sqrt")
    anova(fit, test = "F")
  })
})

test_that("the thread option is checked", {
  old <- options(netsurv.threads = 0)
  on.exit(options(old))
  expect_snapshot(error = TRUE, netsurv_threads())
})

test_that("cox(ties = \"exact\") says what it does not do", {
  big <- data.frame(time = c(rep(1, 501), 2:100), status = 1, x = seq_len(600) %% 7)
  fit <- cox(Surv(time, status) ~ x, data = d, ties = "exact")
  # one Newton step of ~7e9 operations: refused before it starts
  set.seed(1)
  wide <- data.frame(time = sample.int(400, 8000, TRUE), status = 1L, start = 0)
  wide$X <- matrix(stats::rnorm(8000 * 20), 8000)
  expect_snapshot(error = TRUE, {
    cox(Surv(time, status) ~ x, data = d, ties = "exact", weights = w)
    cox(Surv(time, status) ~ x, data = d, ties = "exact", robust = TRUE)
    cox(Surv(time, status) ~ x + cluster(grp), data = d, ties = "exact")
    cox(Surv(time, status) ~ x, data = d, ties = "exact", firth = TRUE)
    cox(Surv(time, status) ~ x, data = big, ties = "exact")
    residuals(fit, type = "dfbeta")
    cox(Surv(start, time, status) ~ X, data = wide, ties = "exact")
  })
})

# -- newdata and the diagnostics' further options (a11p) --------------------
test_that("newdata, reference = \"strata\" and a user's zph transform name what is wrong", {
  fit <- cox(Surv(time, status) ~ x, data = d)
  fs <- cox(Surv(time, status) ~ x + strata(grp), data = d)
  expect_snapshot(error = TRUE, {
    predict(fit, data.frame(x = 1, time = Inf), type = "expected")
    predict(fit, data.frame(x = 1, status = 1), type = "survival")
    predict(fs, data.frame(x = 1), type = "terms", reference = "strata")
    cox_zph(fit, transform = function(t) 1)
    cox_zph(fit, transform = function(t) log(t - 2))
    cox_zph(fit, transform = function(t) t * 1e9)
  })
})

# --- cox() with tt() terms (R/cox-tt.R) ---------------------------------------
test_that("cox() with tt() terms says what it needs and what it does not do", {
  f <- function(x, t, ...) x * log(t + 1)
  fit <- cox(Surv(time, status) ~ tt(x), data = d, tt = f)
  expect_snapshot(error = TRUE, {
    cox(Surv(time, status) ~ x, data = d, tt = f)
    cox(Surv(time, status) ~ tt(x) + tt(grp), data = d, tt = list(f, f, f))
    cox(Surv(time, status) ~ tt(x), data = d, tt = "log")
    cox(Surv(time, status) ~ tt(x), data = d, tt = function(x, t, ...) x[-1])
    cox(Surv(time, status) ~ tt(x), data = d, tt = function(x, t, ...) log(x))
    cox(Surv(time, status) ~ tt(x, grp), data = d, tt = f)
    cox(Surv(time, status) ~ tt(x), data = d, tt = f, firth = TRUE)
    with(d, cox(Surv(time, status) ~ tt(x), tt = f))
    predict(fit)
    cox_zph(fit)
    confint(fit, method = "profile")
  })
})
