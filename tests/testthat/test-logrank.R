# logrank(): survival::survdiff() is the oracle for gamma = 0; a direct R
# transcription of the Fleming-Harrington formulas for gamma > 0; brute-force
# enumeration for the permutation p-values.

fields <- c("n", "obs", "exp", "var", "chisq", "pvalue")

expect_survdiff <- function(formula, data, rho = 0, ..., tolerance = 1e-10) {
  ours <- eval(bquote(logrank(.(formula), data = data, rho = .(rho), ...)))
  theirs <- eval(bquote(survdiff(.(formula), data = data, rho = .(rho), ...)))
  expect_s3_class(ours, "netsurv_logrank")
  expect_equal(unclass(ours)[fields], unclass(theirs)[fields], tolerance = tolerance)
  expect_equal(ours$strata, theirs$strata)
  expect_equal(ours$na.action, theirs$na.action)
  invisible(ours)
}

# Fleming-Harrington G(rho, gamma), transcribed from the definitions: at each
# distinct event time t of a stratum, S(t-) is the pooled Kaplan-Meier just
# before t, w = S^rho (1 - S)^gamma, and with n at risk, d deaths, r_k at risk
# in group k: O_k += w d_k, E_k += w d r_k / n,
# V_jk += w^2 d (n - d) / (n - 1) * r_j / n * (1[j = k] - r_k / n).
# The statistic drops groups with E = 0 and the first remaining group.
fh_reference <- function(time, status, group, stratum = rep(1, length(time)), rho, gamma) {
  group <- factor(group)
  k <- nlevels(group)
  O <- E <- numeric(k)
  V <- matrix(0, k, k)
  for (s in unique(stratum)) {
    in_s <- stratum == s
    surv <- 1
    for (t in sort(unique(time[in_s & status == 1]))) {
      at_risk <- in_s & time >= t
      dead <- in_s & time == t & status == 1
      n <- sum(at_risk)
      d <- sum(dead)
      r <- as.numeric(table(group[at_risk]))
      # pooled KM just before t: product over earlier event times
      earlier <- sort(unique(time[in_s & status == 1 & time < t]))
      surv <- prod(vapply(earlier, function(u) {
        1 - sum(in_s & time == u & status == 1) / sum(in_s & time >= u)
      }, numeric(1)))
      w <- surv^rho * (1 - surv)^gamma
      O <- O + w * as.numeric(table(group[dead]))
      E <- E + w * d * r / n
      if (n > 1) V <- V + w^2 * d * (n - d) / (n - 1) * (diag(r / n, k) - outer(r / n, r / n))
    }
  }
  keep <- which(E > 0)[-1]
  u <- (O - E)[keep]
  chisq <- if (length(keep)) sum(solve(V[keep, keep, drop = FALSE], u) * u) else 0
  list(obs = O, exp = E, var = V, chisq = chisq)
}

test_that("rho = 0, 0.5, 1 match survdiff on public data sets", {
  lung <- survival::lung
  for (rho in c(0, 0.5, 1)) {
    expect_survdiff(Surv(time, status) ~ sex, lung, rho)
    expect_survdiff(Surv(time, status) ~ ph.ecog, lung, rho)          # a group of 1, NA dropped
    expect_survdiff(Surv(time, status) ~ sex + strata(inst), lung, rho)
    expect_survdiff(Surv(time, status) ~ celltype + trt, survival::veteran, rho)  # 8 groups
    expect_survdiff(Surv(futime, fustat) ~ rx, survival::ovarian, rho)
    expect_survdiff(Surv(time, status) ~ rx + strata(sex), survival::colon, rho)
    expect_survdiff(Surv(time, status == 2) ~ edema, survival::pbc, rho)
    expect_survdiff(Surv(time, status) ~ x, survival::aml, rho)
    expect_survdiff(Surv(time, status) ~ rx + strata(litter), survival::rats, rho)
  }
})

test_that("ties, several strata terms, subset and unused levels match survdiff", {
  set.seed(11)
  n <- 400
  d <- data.frame(time = round(rexp(n) * 8), status = rbinom(n, 1, 0.6),
                  g = factor(sample(c("a", "b", "c", "d"), n, TRUE), levels = c("a", "b", "c", "d", "z")),
                  s1 = sample(1:3, n, TRUE), s2 = factor(sample(c("x", "y"), n, TRUE), levels = c("x", "y", "w")),
                  h = sample(c(TRUE, FALSE), n, TRUE))
  d$g[1:4] <- NA
  expect_gt(anyDuplicated(d$time), 0)
  for (rho in c(0, 0.5, 1)) {
    expect_survdiff(Surv(time, status) ~ g, d, rho)
    expect_survdiff(Surv(time, status) ~ g + strata(s1) + strata(s2), d, rho)
    expect_survdiff(Surv(time, status) ~ g + strata(s1, s2), d, rho)
    expect_survdiff(Surv(time, status) ~ g + h, d[d$s1 != 2, ], rho)
    expect_equal(unclass(logrank(Surv(time, status) ~ g + h, data = d, subset = s1 != 2, rho = rho))[fields],
                 unclass(survdiff(Surv(time, status) ~ g + h, data = d, subset = s1 != 2, rho = rho))[fields],
                 tolerance = 1e-10)
  }
  expect_identical(names(logrank(Surv(time, status) ~ g + h, data = d)$n),
                   names(survdiff(Surv(time, status) ~ g + h, data = d)$n))
})

test_that("times that differ by fuzz are tied as survdiff ties them", {
  d <- data.frame(time = c(0.1 + 0.2, 0.3, 1, 2, 0.3, 5, 0.7 - 0.4), status = c(1, 1, 0, 1, 1, 1, 0),
                  g = c(1, 2, 1, 2, 1, 2, 2))
  expect_false(d$time[1] == d$time[2])
  fit <- expect_survdiff(Surv(time, status) ~ g, d)
  expect_survdiff(Surv(time, status) ~ g, d, rho = 1)
  # tied: the same test as on the cleaned times
  clean <- transform(d, time = round(time, 8))
  expect_equal(unclass(fit)[fields], unclass(logrank(Surv(time, status) ~ g, data = clean))[fields],
               tolerance = 1e-12)
})

test_that("fuzz-tied times are merged in the core as time_fix() merges them, on many rows", {
  # >= 1024 rows with few distinct times: the hashing path of the ranking;
  # fuzz on a third of the rows, strata, three groups with a gap in their
  # integer codes, zero-based strata codes
  set.seed(1010)
  n <- 6000
  base <- round(rexp(n, 1 / 50)) + 1
  d <- data.frame(time = base * (1 + sample(c(0, 1e-12, -1e-12), n, TRUE)),
                  status = rbinom(n, 1, 0.6), g = sample(c(1L, 2L, 5L), n, TRUE),
                  s = sample(0:2, n, TRUE))
  expect_gt(length(unique(d$time)), length(unique(base)))
  for (rho in c(0, 1)) {
    expect_survdiff(Surv(time, status) ~ g, d, rho = rho)
    expect_survdiff(Surv(time, status) ~ g + strata(s), d, rho = rho)
  }
  # the same numbers as on times merged in R first, to the last bit
  fixed <- transform(d, time = netsurv:::time_fix(time)[[1L]])
  ours <- logrank(Surv(time, status) ~ g + strata(s), data = d, rho = 0.5, gamma = 0.5)
  ref <- logrank(Surv(time, status) ~ g + strata(s), data = fixed, rho = 0.5, gamma = 0.5)
  expect_identical(unclass(ours)[fields], unclass(ref)[fields])
  # and the permutation p-value, which walks the same label order
  p1 <- logrank(Surv(time, status) ~ g, data = d[1:1500, ], exact = TRUE, B = 200, seed = 4)
  p2 <- logrank(Surv(time, status) ~ g, data = fixed[1:1500, ], exact = TRUE, B = 200, seed = 4)
  expect_identical(p1$permutation, p2$permutation)
  expect_identical(tidy(ours)$g, c("1", "2", "5"))
})

test_that("groups with zero expected events are left out as survdiff leaves them", {
  d <- data.frame(time = c(1:10, 0.5, 0.6, 0.2), status = c(1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0),
                  g = c(rep(c("A", "B"), 5), "C", "C", "C"))
  for (rho in c(0, 0.5, 1)) {
    fit <- expect_survdiff(Surv(time, status) ~ g, d, rho)
    expect_equal(fit$exp[3], 0)
    expect_identical(fit$df, 1L)
  }
  # only one group with expected > 0: no test, chisq 0 on 0 df, p = 1
  d2 <- data.frame(time = c(1:5, 0.1, 0.2), status = c(1, 1, 0, 1, 1, 0, 0), g = c(rep("A", 5), "B", "B"))
  fit <- expect_survdiff(Surv(time, status) ~ g, d2)
  expect_identical(c(fit$chisq, fit$df, fit$pvalue), c(0, 0, 1))
})

test_that("a singular variance (groups nested in strata) gives df = its rank", {
  d <- data.frame(time = c(1:8, 1:8), status = 1, g = rep(c("a", "b", "c", "d"), each = 4),
                  s = rep(1:2, each = 8))
  expect_error(survdiff(Surv(time, status) ~ g + strata(s), data = d), "singular")
  fit <- logrank(Surv(time, status) ~ g + strata(s), data = d)
  one <- survdiff(Surv(time, status) ~ g, data = d[d$s == 1, ])
  two <- survdiff(Surv(time, status) ~ g, data = d[d$s == 2, ])
  expect_identical(fit$df, 2L)
  expect_equal(fit$chisq, one$chisq + two$chisq, tolerance = 1e-10)
  expect_equal(fit$pvalue, pchisq(one$chisq + two$chisq, 2, lower.tail = FALSE), tolerance = 1e-10)
})

test_that("gamma > 0 equals a direct transcription of the FH(rho, gamma) formulas", {
  vet <- survival::veteran
  lung <- survival::lung[!is.na(survival::lung$ph.ecog), ]
  set.seed(5)
  gen <- data.frame(time = round(rexp(150) * 5), status = rbinom(150, 1, 0.7),
                    g = sample(1:3, 150, TRUE), s = sample(1:2, 150, TRUE))
  # the transcription itself reproduces survdiff when gamma = 0
  ref0 <- fh_reference(vet$time, vet$status, vet$celltype, rho = 1, gamma = 0)
  sd0 <- survdiff(Surv(time, status) ~ celltype, data = vet, rho = 1)
  expect_equal(ref0$chisq, sd0$chisq, tolerance = 1e-10)
  expect_equal(ref0$var, sd0$var, tolerance = 1e-10)

  for (pars in list(c(0, 1), c(1, 1), c(0.5, 2), c(0, 0.5))) {
    rho <- pars[1]
    gamma <- pars[2]
    fit <- logrank(Surv(time, status) ~ celltype, data = vet, rho = rho, gamma = gamma)
    ref <- fh_reference(vet$time, vet$status, vet$celltype, rho = rho, gamma = gamma)
    expect_equal(fit$obs, ref$obs, tolerance = 1e-10)
    expect_equal(fit$exp, ref$exp, tolerance = 1e-10)
    expect_equal(fit$var, ref$var, tolerance = 1e-10)
    expect_equal(fit$chisq, ref$chisq, tolerance = 1e-10)
    expect_equal(fit$pvalue, pchisq(ref$chisq, 3, lower.tail = FALSE), tolerance = 1e-10)

    fit <- logrank(Surv(time, status) ~ ph.ecog, data = lung, rho = rho, gamma = gamma)
    ref <- fh_reference(lung$time, lung$status - 1, lung$ph.ecog, rho = rho, gamma = gamma)
    expect_equal(fit$chisq, ref$chisq, tolerance = 1e-10)

    fit <- logrank(Surv(time, status) ~ g + strata(s), data = gen, rho = rho, gamma = gamma)
    ref <- fh_reference(gen$time, gen$status, gen$g, gen$s, rho = rho, gamma = gamma)
    expect_equal(rowSums(fit$obs), ref$obs, tolerance = 1e-10)
    expect_equal(rowSums(fit$exp), ref$exp, tolerance = 1e-10)
    expect_equal(fit$var, ref$var, tolerance = 1e-10)
    expect_equal(fit$chisq, ref$chisq, tolerance = 1e-10)
  }
  # gamma > 0 is a different test: it must not quietly be the log-rank test
  expect_gt(abs(logrank(Surv(time, status) ~ celltype, data = vet, gamma = 1)$chisq -
                  survdiff(Surv(time, status) ~ celltype, data = vet)$chisq), 0.1)
})

test_that("print has survdiff's layout", {
  body <- function(x) {
    out <- capture.output(print(x))
    out[-seq_len(which(out == "")[1L])]  # drop the Call block
  }
  lung <- survival::lung
  expect_identical(body(logrank(Surv(time, status) ~ sex, data = lung)),
                   body(survdiff(Surv(time, status) ~ sex, data = lung)))
  expect_identical(body(logrank(Surv(time, status) ~ ph.ecog + strata(inst), data = lung)),
                   body(survdiff(Surv(time, status) ~ ph.ecog + strata(inst), data = lung)))
  out <- capture.output(print(logrank(Surv(time, status) ~ sex, data = lung, rho = 1, gamma = 1)))
  expect_true(any(grepl("rho = 1, gamma = 1", out)))
  out <- capture.output(print(logrank(Surv(time, status) ~ sex, data = lung, exact = TRUE, B = 50, seed = 1)))
  expect_true(any(grepl("Permutation p=.*50 random permutations", out)))
})

test_that("tidy and glance give broom's survdiff columns", {
  fit <- logrank(Surv(time, status) ~ sex + strata(inst), data = survival::lung)
  sd <- survdiff(Surv(time, status) ~ sex + strata(inst), data = survival::lung)
  td <- tidy(fit)
  expect_identical(names(td), c("sex", "N", "obs", "exp"))
  expect_identical(td$sex, c("1", "2"))
  expect_equal(td$N, as.numeric(sd$n))
  expect_equal(td$obs, unname(rowSums(sd$obs)), tolerance = 1e-10)
  expect_equal(td$exp, unname(rowSums(sd$exp)), tolerance = 1e-10)
  gl <- glance(fit)
  expect_identical(names(gl), c("statistic", "df", "p.value"))
  expect_equal(gl$statistic, sd$chisq, tolerance = 1e-10)
  expect_identical(gl$df, 1L)
  expect_equal(gl$p.value, 1 - pchisq(sd$chisq, 1), tolerance = 1e-10)

  td2 <- tidy(logrank(Surv(time, status) ~ celltype + trt, data = survival::veteran))
  expect_identical(names(td2), c("celltype", "trt", "N", "obs", "exp"))
  expect_identical(td2$celltype, rep(levels(survival::veteran$celltype), each = 2))
  expect_identical(td2$trt, rep(c("1", "2"), 4))
  gl2 <- glance(logrank(Surv(time, status) ~ sex, data = survival::lung, exact = TRUE, B = 20, seed = 2))
  expect_identical(names(gl2), c("statistic", "df", "p.value", "p.value.permutation",
                                 "std.error.permutation", "n.permutations"))
})

# Nine rows, 4 in arm A: 126 distinct arrangements of the labels.
small <- data.frame(time = c(6, 7, 9, 10, 11, 13, 15, 16, 19), status = c(1, 1, 0, 1, 1, 1, 0, 1, 1),
                    arm = rep(c("A", "B"), c(4, 5)))

brute_force_p <- function(data, formula, rho = 0, within = NULL) {
  t_obs <- survdiff(formula, data = data, rho = rho)$chisq
  rows <- if (is.null(within)) list(seq_len(nrow(data))) else split(seq_len(nrow(data)), within)
  # every distinct labelling: the positions of the "A"s within each stratum
  choices <- lapply(rows, function(r) combn(r, sum(data$arm[r] == "A"), simplify = FALSE))
  grid <- expand.grid(lapply(choices, seq_along))
  stats <- apply(grid, 1L, function(pick) {
    a <- unlist(Map(function(ch, i) ch[[i]], choices, pick))
    d <- data
    d$arm <- ifelse(seq_len(nrow(d)) %in% a, "A", "B")
    survdiff(formula, data = d, rho = rho)$chisq
  })
  c(p = mean(stats >= t_obs - 1e-9 * (1 + t_obs)), n = length(stats))
}

test_that("exact = TRUE enumerates all arrangements when there are at most B", {
  for (rho in c(0, 1)) {
    bf <- brute_force_p(small, Surv(time, status) ~ arm, rho = rho)
    fit <- logrank(Surv(time, status) ~ arm, data = small, rho = rho, exact = TRUE, B = 126)
    expect_true(fit$permutation$enumerated)
    expect_identical(fit$permutation$n, 126)
    expect_equal(fit$permutation$p.value, bf[["p"]], tolerance = 1e-12)
    expect_identical(fit$permutation$std.error, 0)
  }
  # within strata: C(4, 2) * C(5, 2) = 60 arrangements
  st <- small
  st$s <- rep(1:2, c(4, 5))
  st$arm <- c("A", "B", "A", "B", "B", "A", "B", "A", "B")
  bf <- brute_force_p(st, Surv(time, status) ~ arm + strata(s), within = st$s)
  expect_identical(bf[["n"]], 60)
  fit <- logrank(Surv(time, status) ~ arm + strata(s), data = st, exact = TRUE, B = 1000)
  expect_identical(fit$permutation$n, 60)
  expect_equal(fit$permutation$p.value, bf[["p"]], tolerance = 1e-12)
})

test_that("Monte Carlo permutation p-values agree with enumeration and are reproducible", {
  exact <- logrank(Surv(time, status) ~ arm, data = small, exact = TRUE, B = 1000)$permutation$p.value
  mc <- logrank(Surv(time, status) ~ arm, data = small, exact = TRUE, B = 125, seed = 3)$permutation
  expect_false(mc$enumerated)
  expect_identical(mc$n, 125)
  expect_lt(abs(mc$p.value - exact), 4 * mc$std.error + 0.01)
  again <- logrank(Surv(time, status) ~ arm, data = small, exact = TRUE, B = 125, seed = 3)$permutation
  expect_identical(again$p.value, mc$p.value)
  set.seed(99)
  a <- logrank(Surv(time, status) ~ arm, data = small, exact = TRUE, B = 125)$permutation
  set.seed(99)
  b <- logrank(Surv(time, status) ~ arm, data = small, exact = TRUE, B = 125)$permutation
  expect_identical(a[c("p.value", "seed")], b[c("p.value", "seed")])
})

test_that("the permutation loop drives a progress function and stops when it fails", {
  n <- 400
  time <- as.double(1:n %% 37 + 1)
  status <- as.integer(1:n %% 3 != 0)
  group <- as.integer(1:n %% 2)
  seen <- numeric()
  res <- .Call(netsurv:::ffi_logrank_permutation, time, status, group, NULL, 2L, 1L, 0, 0,
               0, 20000, 1, function(f) seen <<- c(seen, f))
  expect_gt(length(seen), 2L)
  expect_false(is.unsorted(seen))
  expect_identical(tail(seen, 1L), 1)
  # a jump out of the progress update (as an interrupt makes) stops the loop
  expect_error(.Call(netsurv:::ffi_logrank_permutation, time, status, group, NULL, 2L, 1L, 0, 0,
                     0, 20000, 1, function(f) invokeRestart("abort")),
               "logrank(): interrupted", fixed = TRUE)
  expect_identical(res$n, 20000)
})

test_that("with large n the permutation p-value converges to the asymptotic one", {
  # |p_perm - p_asym| < 4 * mcse + 0.01, for log-rank and FH weights, stratified too
  set.seed(2024)
  n <- 1500
  d <- data.frame(arm = rep(0:1, length.out = n), s = sample(1:3, n, TRUE))
  d$time <- round(rexp(n, rate = ifelse(d$arm == 1, 1.08, 1)), 2)
  d$status <- rbinom(n, 1, 0.8)
  for (pars in list(c(0, 0), c(1, 0), c(0, 1))) {
    fit <- logrank(Surv(time, status) ~ arm + strata(s), data = d, rho = pars[1], gamma = pars[2],
                   exact = TRUE, B = 4000, seed = 17)
    expect_gt(fit$pvalue, 0.02)  # a p-value where the comparison is informative
    expect_lt(abs(fit$permutation$p.value - fit$pvalue), 4 * fit$permutation$std.error + 0.01)
  }
})

test_that("pairwise_logrank tests every pair and adjusts the p-values", {
  vet <- survival::veteran
  pw <- pairwise_logrank(Surv(time, status) ~ celltype, data = vet)
  expect_identical(names(pw), c("group1", "group2", "statistic", "df", "p.value", "p.adjusted", "method"))
  expect_identical(nrow(pw), 6L)
  levs <- levels(vet$celltype)
  expect_identical(pw$group1[1:3], rep("celltype=squamous", 3))
  for (i in seq_len(nrow(pw))) {
    pair <- sub("celltype=", "", c(pw$group1[i], pw$group2[i]))
    sd <- survdiff(Surv(time, status) ~ celltype, data = vet[vet$celltype %in% pair, ])
    expect_equal(pw$statistic[i], sd$chisq, tolerance = 1e-10)
    expect_equal(pw$p.value[i], sd$pvalue, tolerance = 1e-10)
  }
  expect_equal(pw$p.adjusted, p.adjust(pw$p.value, "holm"))
  expect_identical(unique(pw$method), "Log-rank test")

  pw2 <- pairwise_logrank(Surv(time, status) ~ celltype + strata(trt), data = vet,
                          p.adjust.method = "BH", rho = 1, subset = karno > 30)
  sd <- survdiff(Surv(time, status) ~ celltype + strata(trt), rho = 1,
                 data = vet[vet$karno > 30 & vet$celltype %in% c("smallcell", "large"), ])
  expect_equal(pw2$statistic[5], sd$chisq, tolerance = 1e-10)
  expect_equal(pw2$p.adjusted, p.adjust(pw2$p.value, "BH"))

  pw3 <- pairwise_logrank(Surv(time, status) ~ arm, data = small, exact = TRUE, B = 500)
  expect_equal(pw3$p.value, logrank(Surv(time, status) ~ arm, data = small, exact = TRUE,
                                    B = 500)$permutation$p.value)
  expect_error(pairwise_logrank(Surv(time, status) ~ celltype, data = vet, p.adjust.method = "nope"),
               "`p.adjust.method` must be one of")
  expect_error(pairwise_logrank(Surv(time, status) ~ celltype, data = vet, bogus = 1),
               "`...` takes only named arguments of logrank")
})

test_that("bad input gets a clear error, and the data are not modified", {
  lung <- survival::lung
  before <- lung
  expect_error(logrank(Surv(time, status) ~ sex, data = lung[lung$sex == 1, ]),
               "only one group \\(sex=1\\)")
  expect_error(logrank(Surv(time, status) ~ sex, data = lung, rho = -1),
               "`rho` must be a single non-negative number, not -1")
  expect_error(logrank(Surv(time, status) ~ sex, data = lung, gamma = -0.5),
               "`gamma` must be a single non-negative number, not -0.5")
  expect_error(logrank(Surv(time, status) ~ sex, data = lung, exact = TRUE, B = 0),
               "`B` must be a whole number >= 1, not 0")
  expect_error(logrank(Surv(time, status) ~ sex, data = lung, exact = TRUE, seed = 1.5),
               "`seed` must be NULL or a single whole number")
  expect_error(logrank(Surv(start, stop, event) ~ transplant, data = survival::heart),
               "counting-process data.*not supported")
  expect_error(logrank(Surv(time, status == 3) ~ sex, data = lung),
               "no events")
  expect_error(logrank(Surv(time, status) ~ 1, data = lung), "no groups to compare")
  expect_error(logrank(Surv(time, status) ~ strata(inst), data = lung), "no groups to compare")
  expect_error(logrank(Surv(time, status) ~ sex, data = lung, exact = NA), "`exact` must be TRUE or FALSE")
  expect_identical(lung, before)
})
