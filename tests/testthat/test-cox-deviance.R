# Deviance residuals where the martingale residual rounds to its status
# (issue #13, fuzz_cox_diag finding 05ee5194): an event with risk score e^1
# in a risk set holding e^128 has expected count E = e^-127, m = 1 - E is
# exactly 1 in doubles and survival's sign(m) sqrt(-2 (m + d log(d - m)))
# gives +Inf. cox() keeps log E (formed in logs) and the deviance is
# sqrt(-2 (1 - E + log E)) = 15.87; every row survival gives finite is
# equal to survival's.

dev_data <- data.frame(time = c(1.5, 4.5, 5.5, 15.5), status = c(1, 0, 1, 0),
                       x = c(1, 1, 128, 15))

test_that("a deviance residual is finite where the martingale residual rounds to 1", {
  f <- cox(Surv(time, status) ~ x, dev_data, init = 1, ties = "breslow",
           control = cox_control(iter.max = 0))
  s <- coxph(Surv(time, status) ~ x, dev_data, init = 1, ties = "breslow",
             control = coxph.control(iter.max = 0))
  expect_identical(unname(residuals(f)[1]), 1)
  le <- 1 - (128 + log1p((2 * exp(1) + exp(15)) * exp(-128)))
  dv <- residuals(f, type = "deviance")
  ds <- residuals(s, type = "deviance")
  expect_equal(unname(dv[1]), sqrt(-2 * (1 - exp(le) + le)), tolerance = 1e-13)
  expect_identical(unname(ds[1]), Inf)  # survival's answer from m alone
  expect_equal(dv[-1], ds[-1], tolerance = 1e-12)
  # collapsed: log of the summed expected counts (rows 1 and 2: e^-127 + E_2)
  dc <- residuals(f, type = "deviance", collapse = c(1, 1, 2, 2))
  ltot <- log(exp(le) - residuals(f)[[2]])
  expect_equal(unname(dc[1]), sqrt(-2 * (1 - exp(ltot) + ltot)), tolerance = 1e-12)
  expect_equal(unname(dc[2]),
               unname(residuals(s, type = "deviance", collapse = c(1, 1, 2, 2))[2]),
               tolerance = 1e-12)
})

test_that("deviance residuals equal survival's on seeded random fits", {
  set.seed(1313)
  for (k in 1:6) {
    n <- 60
    d <- data.frame(time = round(rexp(n), 1) + 0.1, status = rbinom(n, 1, 0.7),
                    x = rnorm(n), g = sample(1:3, n, TRUE), w = runif(n, 0.5, 2))
    d$start <- if (k > 3) d$time * runif(n, 0, 0.9) else 0
    y <- if (k > 3) quote(Surv(start, time, status)) else quote(Surv(time, status))
    fm <- eval(bquote(.(y) ~ x + strata(g)))
    wts <- if (k %% 2 == 0) d$w else rep(1, n)
    f <- cox(fm, d, weights = wts, ties = "efron")
    s <- coxph(fm, d, weights = wts, ties = "efron")
    expect_equal(residuals(f, type = "deviance"), residuals(s, type = "deviance"),
                 tolerance = 1e-7)
    # collapsed counts above 1 can make survival's formula NaN (sqrt of a
    # negative); netsurv keeps the same definition, NaN where it is NaN
    cl <- rep(1:20, length.out = n)
    expect_equal(residuals(f, type = "deviance", collapse = cl),
                 suppressWarnings(residuals(s, type = "deviance", collapse = cl)),
                 tolerance = 1e-7)
  }
})
