# cox(firth = TRUE) -- Firth's penalised partial likelihood (Heinze &
# Schemper 2001), checked two ways:
#  1. against coxphf 1.13.4 (Heinze et al.) on its breast-cancer example, the
#     data set of Heinze & Schemper (2001): 100 patients, covariates tumour
#     stage T, nodal status N, grading G (monotone likelihood: no deaths with
#     G = 0) and cathepsin-D CD. The reference numbers below were produced
#     by coxphf in a temporary library; coxphf is not a dependency.
#  2. against a direct R implementation of the penalised likelihood
#     l(beta) + log|I(beta)| / 2, with l and I from survival::coxph.

breast <- as.data.frame(list(T = c(1L, 0L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 0L, 0L, 
1L, 1L, 0L, 0L, 1L, 1L, 0L, 1L, 1L, 1L, 0L, 1L, 1L, 0L, 0L, 0L, 
0L, 0L, 1L, 1L, 1L, 1L, 1L, 1L, 0L, 0L, 1L, 1L, 0L, 1L, 0L, 1L, 
0L, 0L, 0L, 0L, 1L, 0L, 0L, 1L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 
0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 1L, 0L, 0L, 
1L, 1L, 0L, 1L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 1L, 1L, 1L, 1L, 
0L, 0L, 1L, 0L, 0L, 0L, 0L), N = c(0L, 0L, 1L, 0L, 1L, 1L, 0L, 
1L, 0L, 1L, 1L, 1L, 1L, 0L, 1L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 
0L, 0L, 0L, 0L, 0L, 1L, 1L, 1L, 1L, 0L, 1L, 0L, 0L, 1L, 0L, 1L, 
0L, 1L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 1L, 0L, 0L, 1L, 1L, 0L, 0L, 
1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 1L, 1L, 1L, 
0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 
1L, 0L, 0L, 0L, 1L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 1L), G = c(1L, 
1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 0L, 1L, 
1L, 1L, 0L, 1L, 1L, 1L, 1L, 1L, 1L, 0L, 1L, 1L, 1L, 1L, 1L, 1L, 
1L, 0L, 0L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 0L, 0L, 1L, 1L, 
0L, 1L, 0L, 1L, 1L, 1L, 1L, 1L, 0L, 0L, 1L, 1L, 0L, 1L, 1L, 0L, 
1L, 1L, 0L, 1L, 1L, 1L, 0L, 1L, 0L, 1L, 0L, 0L, 1L, 1L, 1L, 1L, 
0L, 0L, 1L, 1L, 1L, 0L, 1L, 1L, 1L, 1L, 1L, 0L, 0L, 0L, 1L, 1L, 
0L, 1L, 0L), CD = c(0L, 1L, 1L, 1L, 0L, 1L, 0L, 1L, 0L, 1L, 1L, 
0L, 0L, 1L, 1L, 0L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 1L, 0L, 1L, 0L, 
0L, 0L, 0L, 0L, 1L, 0L, 1L, 0L, 0L, 1L, 0L, 0L, 0L, 1L, 0L, 0L, 
0L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 0L, 1L, 1L, 0L, 0L, 
1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 0L, 0L, 0L, 
1L, 0L, 0L, 0L, 0L, 1L, 0L, 0L, 0L, 1L, 0L, 0L, 0L, 1L, 0L, 1L, 
1L, 0L, 0L, 0L, 0L, 1L, 1L, 0L, 0L), TIME = c(1.546052632, 3.519736842, 
8.059210526, 8.651315789, 12.13815789, 12.36842105, 13.05921053, 
14.76973684, 18.84868421, 20.03289474, 20.72368421, 21.64473684, 
23.35526316, 23.68421053, 26.61184211, 27.96052632, 28.35526316, 
30.42763158, 30.52631579, 30.92105263, 33.09210526, 36.90789474, 
37.26973684, 39.90131579, 40.16447368, 41.25, 41.61184211, 44.93421053, 
47.46710526, 47.46710526, 47.96052632, 49.04605263, 50, 55.26315789, 
56.77631579, 58.02631579, 58.35526316, 58.71710526, 59.67105263, 
60.23026316, 60.59210526, 62.36842105, 62.56578947, 63.48684211, 
64.17763158, 64.90131579, 67.30263158, 70.09868421, 70.32894737, 
72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 
72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 
72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 
72, 72, 72), CENS = c(1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 
1L, 1L, 0L, 1L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 1L, 
0L, 1L, 0L, 1L, 0L, 1L, 0L, 1L, 0L, 0L, 1L, 0L, 1L, 1L, 1L, 0L, 
1L, 0L, 0L, 0L, 0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 
0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 
0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 
0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L)))

test_that("Firth fit, variance, profile CIs and p-values match coxphf (breast data)", {
  fit <- cox(Surv(TIME, CENS) ~ T + N + G + CD, data = breast, firth = TRUE,
             control = cox_control(eps = 1e-12, iter.max = 50))
  expect_equal(unname(coef(fit)), c(1.224438800330, 0.918888185116, 2.424414134655, 0.397118086184),
               tolerance = 1e-6)
  expect_equal(unname(diag(vcov(fit))), c(0.241674914502, 0.178568240013, 2.171338806427,
                                         0.195236193210), tolerance = 1e-6)
  ci <- confint(fit)
  expect_equal(unname(ci[, 1]), c(0.309501877383, 0.113735055125, 0.382310767950, -0.467020615505),
               tolerance = 1e-5)
  expect_equal(unname(ci[, 2]), c(2.24835953339, 1.76350790988, 7.28065996213, 1.25612406881),
               tolerance = 1e-5)
  expect_equal(unname(summary(fit)$coefficients[, "Pr(>|z|)"]),
               c(0.00822520350478, 0.02528283049965, 0.01358987570700, 0.36450243965950),
               tolerance = 1e-5)
  # coxphf reports l* after dividing each covariate by its SD, which shifts
  # log|I| by a constant: the likelihood-ratio statistic is the same.
  expect_equal(diff(fit$loglik), diff(c(-107.2782236600, -89.3025134809)), tolerance = 1e-8)
  sds <- vapply(breast[c("T", "N", "G", "CD")], sd, 0)
  expect_equal(fit$loglik - sum(log(sds)), c(-107.2782236600, -89.3025134809), tolerance = 1e-8)
  expect_false(any(fit$infinite))
  expect_output(print(fit), "Penalized likelihood ratio test")
  td <- tidy(fit, conf.int = TRUE)
  expect_equal(td$conf.low, unname(ci[, 1]))
})

# The penalised log-likelihood by hand: l and I at beta from coxph with
# iter.max = 0 (Breslow ties).
pen_loglik <- function(beta, formula, data) {
  f <- coxph(formula, data = data, ties = "breslow", init = beta,
             control = coxph.control(iter.max = 0))
  info <- tryCatch(solve(f$var), error = function(e) NULL)
  if (is.null(info)) return(-1e10)
  f$loglik[1] + 0.5 * determinant(info)$modulus[[1]]
}

test_that("Firth estimates maximise l + log|I|/2 computed independently (lung subset)", {
  # Monotone likelihood: no deaths among rows with `grp` = 1.
  d <- survival::lung[1:40, c("time", "status", "age", "sex")]
  d$grp <- as.integer(d$status == 1 & seq_len(nrow(d)) %% 2 == 0)
  expect_warning(cox(Surv(time, status) ~ age + sex + grp, d), "`grp`")
  fit <- cox(Surv(time, status) ~ age + sex + grp, d, firth = TRUE,
             control = cox_control(eps = 1e-12, iter.max = 50))
  expect_true(all(is.finite(coef(fit))))
  f <- Surv(time, status) ~ age + sex + grp
  opt <- optim(coef(fit) + c(0.01, 0.1, 0.5), function(b) -pen_loglik(b, f, d), method = "BFGS",
               control = list(reltol = 1e-14, maxit = 500))
  expect_equal(unname(coef(fit)), unname(opt$par), tolerance = 1e-4)
  expect_equal(fit$loglik[2], -opt$value, tolerance = 1e-8)
  expect_equal(fit$loglik[1], pen_loglik(c(0, 0, 0), f, d), tolerance = 1e-10)
  # The profile limit of grp: 2 (l*max - max over the others) = qchisq(.95, 1).
  lim <- confint(fit)["grp", 2]
  prof <- optim(coef(fit)[1:2], function(b) -pen_loglik(c(b, lim), f, d), method = "BFGS",
                control = list(reltol = 1e-14))
  expect_equal(2 * (fit$loglik[2] + prof$value), qchisq(0.95, 1), tolerance = 1e-4)
})

test_that("firth = TRUE takes Breslow ties and refuses an explicit efron", {
  expect_error(cox(Surv(TIME, CENS) ~ T, breast, firth = TRUE, ties = "efron"), "Breslow")
  expect_identical(cox(Surv(TIME, CENS) ~ T, breast, firth = TRUE)$method, "breslow")
})

test_that("Firth with case weights and strata: l* is maximal where cox() stops", {
  d <- survival::lung
  d$w <- rep(1:3, length.out = nrow(d))
  fit <- cox(Surv(time, status) ~ age + sex + strata(ph.ecog), d, weights = w, firth = TRUE,
             control = cox_control(eps = 1e-12, iter.max = 50))
  f <- Surv(time, status) ~ age + sex + strata(ph.ecog)
  pen <- function(b) {
    g <- coxph(f, data = d, weights = w, ties = "breslow", init = b,
               control = coxph.control(iter.max = 0))
    g$loglik[1] + 0.5 * determinant(solve(g$var))$modulus[[1]]
  }
  b <- unname(coef(fit))
  expect_equal(fit$loglik[2], pen(b), tolerance = 1e-10)
  h <- 1e-5
  grad <- vapply(1:2, function(j) {
    e <- replace(numeric(2), j, h)
    (pen(b + e) - pen(b - e)) / (2 * h)
  }, 0)
  expect_lt(max(abs(grad)), 1e-4)
})
