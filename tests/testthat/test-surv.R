# The formula's Surv(...) response built in C (R/surv.R, src/r_surv.c): the
# same object, warnings and errors as survival::Surv(), and the same fits.

# Evaluates `call` with Surv bound to `fun` and the columns `values`: the
# value (or the error) and the warnings, conditions with their calls.
surv_outcome <- function(fun, call, values) {
  # as in model.frame(): the columns in front, the function behind them
  env <- list2env(values, parent = list2env(list(Surv = fun), parent = baseenv()))
  warnings <- list()
  value <- tryCatch(
    withCallingHandlers(eval(call, env), warning = function(w) {
      warnings[[length(warnings) + 1L]] <<- w
      invokeRestart("muffleWarning")
    }),
    error = function(e) e)
  list(value = value, warnings = warnings)
}
expect_same_surv <- function(call, values) {
  ours <- surv_outcome(netsurv:::surv_response, call, values)
  theirs <- surv_outcome(survival::Surv, call, values)
  expect_identical(ours, theirs, label = deparse(call))
}

# A random status of one kind, with missing and invalid values sometimes.
random_status <- function(n, kind) {
  s <- switch(kind,
    logical = sample(c(TRUE, FALSE), n, replace = TRUE),
    int01 = sample(0:1, n, replace = TRUE),
    int12 = sample(1:2, n, replace = TRUE),
    dbl01 = as.double(sample(0:1, n, replace = TRUE)),
    dbl12 = as.double(sample(1:2, n, replace = TRUE)),
    dbl012 = as.double(sample(0:2, n, replace = TRUE)),
    odd = sample(c(0, 1, 2, 3, 0.5, -1, Inf, -0, NaN), n, replace = TRUE))
  if (runif(1) < 0.4) s[sample(n, 1 + n %/% 5)] <- NA
  if (runif(1) < 0.2 && is.double(s)) s[sample(n, 1)] <- NaN
  if (runif(1) < 0.1) s[] <- NA
  s
}
random_time <- function(n) {
  t <- if (runif(1) < 0.3) sample(0:20, n, replace = TRUE) else round(rexp(n, 0.2), 1)
  if (runif(1) < 0.3) t[sample(n, 1 + n %/% 6)] <- NA
  if (runif(1) < 0.2 && is.double(t)) t[sample(n, 1)] <- sample(c(NaN, Inf, -Inf, -0), 1)
  t
}

test_that("right-censored responses equal survival::Surv's, warnings and NA included", {
  set.seed(20261130)
  kinds <- c("logical", "int01", "int12", "dbl01", "dbl12", "dbl012", "odd")
  for (i in 1:300) {
    n <- sample(c(1:12, 40), 1)
    v <- list(t = random_time(n), s = random_status(n, sample(kinds, 1)))
    expect_same_surv(quote(Surv(t, s)), v)
    expect_same_surv(quote(Surv(t, event = s)), v)
    expect_same_surv(quote(Surv(time = t, time2 = s)), v)
  }
})

test_that("counting-process responses equal survival::Surv's, bad intervals included", {
  set.seed(20261201)
  kinds <- c("logical", "int01", "int12", "dbl01", "dbl12", "odd")
  for (i in 1:300) {
    n <- sample(c(1:12, 40), 1)
    start <- random_time(n)
    stop <- start + sample(c(-1, 0, 1, 2.5), n, replace = TRUE, prob = c(0.1, 0.1, 0.4, 0.4))
    if (runif(1) < 0.3) stop[sample(n, 1)] <- NA
    v <- list(a = start, b = stop, s = random_status(n, sample(kinds, 1)))
    expect_same_surv(quote(Surv(a, b, s)), v)
    expect_same_surv(quote(Surv(time = a, event = s, time2 = b)), v)
  }
})

test_that("what the C route does not take goes to survival::Surv, errors and all", {
  v <- list(t = c(3, 1, 2), s = c(1, 0, 1), f = factor(c("a", "b", "a")),
            d = as.difftime(c(3, 1, 2), units = "days"), named = c(a = 3, b = 1, c = 2),
            ch = c("1", "0", "1"), short = c(1, 0), na = c(NA_real_, NA_real_, NA_real_),
            lt = c(TRUE, FALSE, TRUE), zero = numeric(), s0 = numeric())
  calls <- list(quote(Surv(t, f)), quote(Surv(d, s)), quote(Surv(named, s)), quote(Surv(t, ch)),
                quote(Surv(t, short)), quote(Surv(t, na)), quote(Surv(t)), quote(Surv(lt, s)),
                quote(Surv(t, s, type = "right")), quote(Surv(t, s, origin = 1)),
                quote(Surv(t, t + 1, s, type = "counting")), quote(Surv(t, t + 1, type = "interval2")),
                quote(Surv(t, t + 1, f)), quote(Surv(t, short, s)), quote(Surv(zero, s0)),
                quote(Surv(t, ty = "left", s)), quote(Surv(t, s, type = "mstate")),
                quote(Surv()), quote(Surv(t, nonexistent)), quote(Surv(nonexistent, s)))
  for (cl in calls) expect_same_surv(cl, v)
  # a column named Surv stays visible, also when the call is deferred
  v2 <- list(Surv = c(3, 1, 2), s = c(1, 0, 1), ch = c("1", "0", "1"))
  expect_same_surv(quote(Surv(Surv, s)), v2)
  ours <- surv_outcome(netsurv:::surv_response, quote(Surv(Surv, ch)), v2)
  theirs <- surv_outcome(survival::Surv, quote(Surv(Surv, ch)), v2)
  expect_identical(conditionMessage(ours$value), conditionMessage(theirs$value))
})

test_that("the model frame holds survival's response and the formula's own environment", {
  frame <- function(formula, data, weights, subset, na.action)
    netsurv:::survival_frame(match.call(), parent.frame(), specials = c("strata", "cluster"))
  set.seed(3)
  d <- data.frame(time = c(NA, round(rexp(29, 0.1), 1)), status = sample(1:2, 30, TRUE),
                  g = sample(c("a", "b", NA), 30, TRUE), w = runif(30))
  fr <- frame(Surv(time, status) ~ g, data = d, weights = w, subset = time > 1)
  mf <- stats::model.frame(survival::Surv(time, status) ~ g, data = d, weights = w,
                           subset = time > 1)
  expect_identical(fr$mf[[1L]], mf[[1L]])
  expect_identical(row.names(fr$mf), row.names(mf))
  # the C route was taken (the response's Surv resolved to survival's)
  expect_type(netsurv:::surv_fast_env(Surv(time, status) ~ g), "environment")
  expect_null(netsurv:::surv_fast_env(survival::Surv(time, status) ~ g))
  expect_null(netsurv:::surv_fast_env(local({ Surv <- function(...) 1; Surv(time, status) ~ g })))
  expect_identical(environment(fr$terms), environment())
  expect_identical(environment(attr(fr$mf, "terms")), environment())
  expect_identical(fr$time, unname(mf[[1L]][, 1L]))
  expect_identical(fr$status, as.integer(mf[[1L]][, 2L]))
  expect_identical(fr$weights, unname(mf[["(weights)"]]))
  expect_identical(fr$n_dropped, length(attr(mf, "na.action")))

  dc <- data.frame(a = c(0, 1, 0, 2), b = c(1, 3, 2, 5), s = c(TRUE, FALSE, TRUE, NA))
  fc <- frame(Surv(a, b, s) ~ 1, data = dc)
  expect_identical(fc$start, c(0, 1, 0))
  expect_identical(fc$time, c(1, 3, 2))
  expect_identical(fc$status, c(1L, 0L, 1L))
  expect_identical(fc$n_dropped, 1L)
})

test_that("a user's own Surv, survival::Surv and a column named Surv are honoured", {
  d <- data.frame(time = c(5, 3, 8, 2, 7, 4), status = c(1, 0, 1, 1, 0, 1), g = c(1, 1, 1, 2, 2, 2))
  # a user's Surv that reverses the status: it, not netsurv's, builds the response
  Surv <- function(time, event) survival::Surv(time, 1 - event)
  ours <- km(Surv(time, status) ~ g, data = d)
  theirs <- survfit(Surv(time, status) ~ g, data = d)
  expect_equal(ours$surv, theirs$surv, tolerance = 1e-12)
  expect_equal(ours$n.event, theirs$n.event)
  rm(Surv)
  a <- km(survival::Surv(time, status) ~ g, data = d)
  b <- km(Surv(time, status) ~ g, data = d)
  expect_equal(a$surv, b$surv, tolerance = 1e-12)
  d$Surv <- d$time
  c2 <- km(Surv(Surv, status) ~ g, data = d)
  expect_equal(c2$surv, b$surv, tolerance = 1e-12)
})

test_that("km, logrank and cox fits equal survival's with the C-built response", {
  set.seed(20261202)
  for (i in 1:12) {
    n <- c(15, 60, 200)[i %% 3 + 1]
    d <- data.frame(time = round(rexp(n, 0.1)) + 1, x = rnorm(n), g = sample(1:3, n, TRUE))
    code <- i %% 3
    d$status <- switch(code + 1, rbinom(n, 1, 0.7) == 1, rbinom(n, 1, 0.7),
                       rbinom(n, 1, 0.7) + 1L)
    d$time[sample(n, 2)] <- NA
    d$w <- runif(n, 0.5, 2)
    k <- km(Surv(time, status) ~ g, data = d, weights = w, subset = x > -1.5)
    s <- survfit(Surv(time, status) ~ g, data = d, weights = w, subset = x > -1.5)
    expect_equal(k$surv, s$surv, tolerance = 1e-10)
    expect_equal(k$std.err, s$std.err, tolerance = 1e-10)
    expect_equal(unname(k$strata), unname(s$strata))
    expect_equal(k$na.action, s$na.action)
    l <- logrank(Surv(time, status) ~ g, data = d)
    sd <- survdiff(Surv(time, status) ~ g, data = d)
    expect_equal(l$chisq, sd$chisq, tolerance = 1e-10)
    expect_equal(unname(l$obs), unname(sd$obs), tolerance = 1e-12)
    # counting-process data
    dc <- data.frame(start = d$time - 1 - rbinom(n, 1, 0.5) * 0.5, stop = d$time,
                     status = d$status, x = d$x)
    kc <- km(Surv(start, stop, status) ~ 1, data = dc)
    sc <- survfit(Surv(start, stop, status) ~ 1, data = dc)
    expect_equal(kc$surv, sc$surv, tolerance = 1e-10)
    if (n < 60) next # (at 15 rows the Cox likelihood can be monotone)
    cx <- cox(Surv(time, status) ~ x + strata(g), data = d, control = tight_cox())
    cs <- coxph(Surv(time, status) ~ x + strata(g), data = d, control = tight_coxph())
    expect_equal(unname(coef(cx)), unname(coef(cs)), tolerance = 1e-8)
    expect_equal(unname(vcov(cx)), unname(vcov(cs)), tolerance = 1e-8)
    expect_equal(unname(predict(cx, newdata = d[1:5, ], type = "lp")),
                 unname(predict(cs, newdata = d[1:5, ], type = "lp")), tolerance = 1e-8)
    expect_equal(unname(residuals(cx)), unname(residuals(cs)), tolerance = 1e-8)
    cc <- cox(Surv(start, stop, status) ~ x, data = dc, control = tight_cox())
    scc <- coxph(Surv(start, stop, status) ~ x, data = dc, control = tight_coxph())
    expect_equal(unname(coef(cc)), unname(coef(scc)), tolerance = 1e-8)
  }
})

test_that("Surv's warnings still become errors naming the row", {
  d <- data.frame(time = c(1, 2, 3), status = c(1, 3, 0))
  expect_error(km(Surv(time, status) ~ 1, data = d), "the status in row 2 is 3")
  dc <- data.frame(a = c(0, 2, 1), b = c(1, 2, 3), s = c(1, 1, 0))
  expect_error(km(Surv(a, b, s) ~ 1, data = dc), "row 2 the interval \\(2, 2\\] has start >= stop")
})

test_that("new_surv() builds survival::Surv's object from checked columns", {
  set.seed(7)
  t <- round(rexp(50, 0.1), 2) + 0.01
  s <- rbinom(50, 1, 0.6)
  st <- t * runif(50) - 0.001
  expect_identical(netsurv:::new_surv(t, s), survival::Surv(t, s))
  expect_identical(netsurv:::new_surv(t, s, st), survival::Surv(st, t, s))
  expect_identical(netsurv:::new_surv(t, c(s[-1], NA)), survival::Surv(t, c(s[-1], NA)))
})
