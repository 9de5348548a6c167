# cox(ties = "exact") against survival::coxph(ties = "exact") (the oracle),
# both fitted with tight controls (helper-netsurv.R). Tolerances: coef, var,
# loglik 1e-8 relative; score and Wald tests 1e-8 relative; linear predictors
# and martingale residuals 1e-8; concordance 1e-10; downstream quantities
# (curves, zph, predict) 1e-8.
#
# coxph's (start, stop] version (agexact) enumerates every subset of each
# risk set of the tie's size, C(n at risk, d) of them: its oracle data are
# kept small (risk sets of a few dozen, ties of at most 4). Larger (start,
# stop] data are checked against coxph's right-censored exact fit of the same
# data split into intervals, which leaves the likelihood unchanged.

expect_exact_matches <- function(fits, tol = 1e-8) {
  a <- fits$netsurv
  b <- fits$survival
  expect_identical(a$method, "exact")
  expect_equal(coef(a), coef(b), tolerance = tol)
  expect_equal(unname(a$var), unname(b$var), tolerance = tol)
  expect_equal(a$loglik, b$loglik, tolerance = tol)
  expect_equal(a$score, b$score, tolerance = tol)
  expect_equal(a$wald.test, unname(b$wald.test), tolerance = tol)
  expect_equal(a$linear.predictors, unname(drop(b$linear.predictors)), tolerance = tol)
  expect_equal(a$residuals, b$residuals, tolerance = tol)
  expect_equal(unname(a$means), unname(b$means), tolerance = tol)
  expect_equal(a$concordance[1:5], b$concordance[1:5], tolerance = 1e-10)
  expect_equal(a$concordance[["std"]], b$concordance[["std"]], tolerance = 1e-10)
  expect_equal(a$iter, as.integer(b$iter))
}

lung_months <- function() transform(lung, month = ceiling(time / 30.4), big = inst > 10)

test_that("fixed cases match coxph(ties = \"exact\"): lung by month, heart, veteran", {
  lm <- lung_months()
  # ties of up to 19 events per month
  expect_gt(max(table(lm$month[lm$status == 2])), 15)
  expect_exact_matches(fit_both(Surv(month, status) ~ age + sex + ph.ecog, lm, ties = "exact"))
  expect_exact_matches(fit_both(Surv(month, status) ~ age + sex + strata(big), lm, ties = "exact"))
  expect_exact_matches(fit_both(Surv(start, stop, event) ~ age + surgery + transplant, heart,
                                ties = "exact"))
  expect_exact_matches(fit_both(Surv(time, status) ~ trt + celltype + karno, veteran,
                                ties = "exact"))
  # the null model's likelihood (coxph: coxexact.fit with no covariates)
  a <- cox(Surv(month, status) ~ 1, lm, ties = "exact")
  b <- coxph(Surv(month, status) ~ 1, lm, ties = "exact")
  expect_equal(a$loglik[1], b$loglik[1], tolerance = 1e-10)
})

test_that("exact fits differ from Efron and Breslow when ties are heavy, and equal them without ties", {
  lm <- lung_months()
  e <- cox(Surv(month, status) ~ age + sex, lm, ties = "exact")
  f <- cox(Surv(month, status) ~ age + sex, lm, ties = "efron")
  expect_gt(abs(coef(e)[["sex"]] / coef(f)[["sex"]] - 1), 1e-3)
  d <- lung[!lung$time %in% lung$time[duplicated(lung$time)], ]
  e <- cox(Surv(time, status) ~ age + sex, d, ties = "exact", control = tight_cox())
  b <- cox(Surv(time, status) ~ age + sex, d, ties = "breslow", control = tight_cox())
  expect_equal(coef(e), coef(b), tolerance = 1e-10)
  expect_equal(e$loglik, b$loglik, tolerance = 1e-12)
})

# Random data: times on a coarse grid so that ties of 1 to 5 events are
# common; a covariate, a binary one, a factor, optionally strata, an offset
# and a collinear column.
rand_data <- function(n, ngrid) {
  d <- data.frame(time = sample.int(ngrid, n, TRUE), status = stats::rbinom(n, 1, 0.75),
                  x = stats::rnorm(n), z = stats::rbinom(n, 1, 0.4),
                  f = factor(sample(c("a", "b", "c"), n, TRUE)),
                  g = sample.int(3, n, TRUE), o = stats::runif(n, -1, 1))
  d$x2 <- d$x + 2 * d$z
  d
}

test_that("seeded random right-censored data match coxph (ties 1-5, strata, offsets, collinear)", {
  set.seed(20261130)
  for (rep in 1:12) {
    d <- rand_data(sample(60:200, 1), sample(15:60, 1))
    ev <- table(d$time[d$status == 1])
    expect_true(any(ev >= 2))
    form <- switch(1 + rep %% 4,
                   Surv(time, status) ~ x + z + f,
                   Surv(time, status) ~ x + z + strata(g),
                   Surv(time, status) ~ x + f + offset(o) + strata(g),
                   Surv(time, status) ~ x + z + x2)
    fits <- fit_both(form, d, ties = "exact")
    expect_exact_matches(fits)
    if (rep %% 4 == 3) {
      expect_true(is.na(coef(fits$netsurv)[["x2"]]))
      expect_identical(is.na(coef(fits$netsurv)), is.na(coef(fits$survival)))
    }
  }
})

test_that("seeded random (start, stop] data match coxph (small risk sets, ties 1-4)", {
  set.seed(11)
  for (rep in 1:8) {
    n <- sample(25:40, 1)
    d <- rand_data(n, sample(8:14, 1))
    d$start <- pmax(0, d$time - sample.int(8, n, TRUE))
    form <- switch(1 + rep %% 4,
                   Surv(start, time, status) ~ x + z,
                   Surv(start, time, status) ~ x + z + strata(g),
                   Surv(start, time, status) ~ x + offset(o),
                   Surv(start, time, status) ~ x + z + x2)
    # ties of at most 4 events keep coxph's subset enumeration small
    d$status[d$status == 1][stats::ave(d$time[d$status == 1], d$time[d$status == 1],
                                       FUN = seq_along) > 4] <- 0L
    tab <- table(d$time[d$status == 1])
    expect_true(max(tab) == 4 && any(tab < 4))
    expect_exact_matches(fit_both(form, d, ties = "exact"))
  }
})

test_that("larger (start, stop] data equal coxph's right-censored exact fit of the unsplit data", {
  set.seed(3)
  d <- rand_data(400, 40)
  d$id <- seq_len(nrow(d))
  s <- survival::survSplit(Surv(time, status) ~ ., data = d, cut = c(5, 12, 20, 31), id = "sid")
  expect_gt(nrow(s), 2 * nrow(d))
  for (form in list(quote(~ x + z + f), quote(~ x + offset(o) + strata(g)))) {
    a <- cox(stats::as.formula(call("~", quote(Surv(tstart, time, status)), form[[2]])), s,
             ties = "exact", control = tight_cox())
    b <- coxph(stats::as.formula(call("~", quote(Surv(time, status)), form[[2]])), d,
               ties = "exact", control = tight_coxph())
    expect_equal(coef(a), coef(b), tolerance = 1e-8)
    expect_equal(unname(a$var), unname(b$var), tolerance = 1e-8)
    expect_equal(a$loglik, b$loglik, tolerance = 1e-8)
    expect_equal(a$score, b$score, tolerance = 1e-8)
  }
})

test_that("downstream of an exact fit matches coxph's (Breslow hazard at the exact coefficients)", {
  lm <- lung_months()
  lm <- lm[stats::complete.cases(lm[, c("month", "status", "age", "sex", "ph.ecog")]), ]
  fits <- fit_both(Surv(month, status) ~ age + sex + strata(big), lm, ties = "exact")
  a <- fits$netsurv
  b <- fits$survival
  expect_equal(residuals(a, type = "deviance"), residuals(b, type = "deviance"), tolerance = 1e-8)
  expect_equal(predict(a, type = "expected"), predict(b, type = "expected"), tolerance = 1e-8)
  expect_equal(predict(a, type = "risk", se.fit = TRUE), predict(b, type = "risk", se.fit = TRUE),
               tolerance = 1e-8)
  expect_equal(basehaz(a)$hazard, survival::basehaz(b)$hazard, tolerance = 1e-8)
  ca <- cox_curve(a)
  cb <- survfit(b)
  expect_equal(ca$surv, cb$surv, tolerance = 1e-8)
  expect_equal(ca$std.err, cb$std.err, tolerance = 1e-8)
  za <- cox_zph(a)
  zb <- survival::cox.zph(b)
  expect_equal(unname(za$table), unname(zb$table), tolerance = 1e-8)
  aa <- anova(cox(Surv(month, status) ~ age + sex, lm, ties = "exact", control = tight_cox()))
  ab <- anova(coxph(Surv(month, status) ~ age + sex, lm, ties = "exact", control = tight_coxph()))
  expect_equal(aa$loglik, ab$loglik, tolerance = 1e-8)
  expect_equal(aa$Chisq, ab$Chisq, tolerance = 1e-7)
  expect_equal(summary(a)$coefficients, summary(b)$coefficients, tolerance = 1e-8)
})

test_that("profile-likelihood intervals of an exact fit are exact-likelihood profiles", {
  lm <- lung_months()
  a <- cox(Surv(month, status) ~ age + sex, lm, ties = "exact", control = tight_cox())
  ci <- confint(a, method = "profile")
  # At each limit, the exact fit with sex held there (an offset) has lost
  # qchisq(0.95, 1) / 2 of log-likelihood: the oracle is coxph.
  for (lim in ci["sex", ]) {
    lm$fixed <- lim * lm$sex
    b <- coxph(Surv(month, status) ~ age + offset(fixed), lm, ties = "exact",
               control = tight_coxph())
    expect_equal(2 * (a$loglik[2] - b$loglik[2]), stats::qchisq(0.95, 1), tolerance = 1e-6)
  }
})

test_that("unit weights are no weights; what exact fits refuse is an error that says so", {
  lm <- lung_months()
  a <- cox(Surv(month, status) ~ age + sex, lm, ties = "exact", weights = rep(1, nrow(lm)))
  b <- cox(Surv(month, status) ~ age + sex, lm, ties = "exact")
  expect_equal(coef(a), coef(b))
  expect_error(cox(Surv(month, status) ~ age, lm, ties = "exact", weights = rep(2, nrow(lm))),
               "case weights are not supported with `ties = \"exact\"`")
  expect_error(cox(Surv(month, status) ~ age, lm, ties = "exact", robust = TRUE),
               "no robust variance")
  expect_error(cox(Surv(month, status) ~ age + cluster(inst), lm, ties = "exact"),
               "a cluster cannot be used")
  expect_error(cox(Surv(month, status) ~ age, lm, ties = "exact", firth = TRUE),
               "firth = TRUE")
  for (type in c("score", "schoenfeld", "scaledsch", "dfbeta", "dfbetas"))
    expect_error(residuals(b, type = type), "not available for a fit with `ties = \"exact\"`")
  big <- data.frame(time = c(rep(1, 501), 2:100), status = 1, x = seq_len(600) %% 7)
  expect_error(cox(Surv(time, status) ~ x, big, ties = "exact"),
               "501 events are tied at time 1; .* at most 500")
})

test_that("an exact fit too large for one Newton step is refused, not run", {
  set.seed(5)
  n <- 20000
  X <- matrix(stats::rnorm(n * 20), n)
  d <- data.frame(time = sample.int(1000, n, TRUE), status = 1L, start = 0)
  expect_error(cox(Surv(start, time, status) ~ X, d, ties = "exact"),
               "more than 4e9 operations")
})

test_that("a database table with ties = \"exact\" is refused (the aggregates are per-time sums)", {
  skip_if_not_installed("RSQLite")
  skip_if_not_installed("dbplyr")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con))
  DBI::dbWriteTable(con, "d", data.frame(time = c(1, 1, 2, 3), status = c(1, 1, 1, 0),
                                         x = c(0, 1, 0, 1)))
  expect_error(cox(Surv(time, status) ~ x, data = dplyr::tbl(con, "d"), ties = "exact"),
               "`ties = \"exact\"` is not supported when `data` is a database table")
})
