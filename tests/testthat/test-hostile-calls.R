# Issue #13, "no silent wrong answer on any input survival accepts": hostile
# but legal calls (NULL optional arguments, subset given every way, na.action,
# formulas with `.`, `- 1`, interactions and I(), character and logical
# columns, status coded 1/2 or absent, integer times, tibbles, variables from
# the calling environment, zero, one, all-censored and all-event data), each
# either equal to its oracle (survival, cmprsk, survRM2) to 1e-8 relative, or
# a clear error (pinned by snapshot) naming what netsurv does not do.

# --- the cohort and the comparisons ----------------------------------------------
hostile_data <- function(seed, n = 40) {
  set.seed(seed)
  d <- data.frame(time = round(rexp(n, 0.1), 1) + 0.1, status = rbinom(n, 1, 0.7),
                  x = rnorm(n), z = rbinom(n, 1, 0.5),
                  g = factor(sample(c("a", "b"), n, TRUE), levels = c("a", "b", "c")),
                  w = runif(n, 0.5, 2))
  d$ch <- as.character(d$g)
  d$lg <- d$status == 1
  d$s12 <- d$status + 1L
  d$ti <- as.integer(ceiling(d$time))
  d$xna <- d$x
  d$xna[c(3, 7)] <- NA
  d
}

# max relative difference of two numeric vectors (Inf when their lengths or
# their NA patterns differ; equal values, infinite ones included, differ by 0)
rel_diff <- function(a, b) {
  a <- as.numeric(a)
  b <- as.numeric(b)
  if (length(a) != length(b) || !identical(is.na(a), is.na(b))) return(Inf)
  ok <- !is.na(a) & a != b
  if (!any(ok)) return(0)
  max(abs(a[ok] - b[ok]) / pmax(abs(b[ok]), 1e-300))
}
# one expectation for several fields: each field's relative difference <= tol
expect_fields <- function(diffs, label, tol = 1e-8) {
  bad <- diffs[!(diffs <= tol)]
  expect(length(bad) == 0L,
         paste0(label, ": ", paste(names(bad), signif(bad, 3), sep = " differs by ",
                                   collapse = "; ")))
}
expect_rel <- function(a, b, label, tol = 1e-8)
  expect_fields(stats::setNames(rel_diff(a, b), "value"), label, tol)

km_fields <- c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "cumhaz", "std.chaz",
               "lower", "upper")
expect_km_oracle <- function(ours, theirs, label, strata = TRUE) {
  diffs <- vapply(km_fields, function(f) rel_diff(unclass(ours)[[f]], unclass(theirs)[[f]]), 0)
  expect_fields(diffs, label)
  if (strata) expect_identical(unclass(ours)$strata, theirs$strata, label = paste(label, "strata"))
}
expect_logrank_oracle <- function(ours, theirs, label) {
  f <- c("n", "obs", "exp", "var", "chisq")
  expect_fields(vapply(f, function(f) rel_diff(ours[[f]], theirs[[f]]), 0), label)
}
# coefficients and variance to 1e-7 (both fits converged to eps = 1e-12)
expect_cox_oracle <- function(ours, theirs, label, var = vcov(theirs)) {
  expect_identical(names(coef(ours)), names(coef(theirs)), label = paste(label, "names"))
  expect_fields(c(coef = rel_diff(coef(ours), coef(theirs)), var = rel_diff(vcov(ours), var),
                  loglik = rel_diff(ours$loglik, theirs$loglik)), label, tol = 1e-7)
}

# The calls: F is replaced by the netsurv function and by its oracle. Each
# case is evaluated in an environment holding the data `d`, its one-row, empty,
# all-censored and all-event versions, and the variables `tt`, `st`, `gg`,
# `ww` and `nul` (NULL) of a "calling environment".
hostile_cases <- list(
  null_args = quote(F(Surv(time, status) ~ g, data = d, weights = nul, subset = nul,
                      na.action = nul)),
  null_literal = quote(F(Surv(time, status) ~ g, data = d, weights = NULL, subset = NULL,
                         na.action = NULL)),
  all_censored = quote(F(Surv(time, status) ~ g, data = dc)),
  all_events = quote(F(Surv(time, status) ~ g, data = de)),
  unused_level = quote(F(Surv(time, status) ~ g, data = d)),
  character = quote(F(Surv(time, status) ~ ch, data = d)),
  logical_status = quote(F(Surv(time, lg) ~ g, data = d)),
  no_status = quote(F(Surv(time) ~ g, data = d)),
  status_12 = quote(F(Surv(time, s12) ~ g, data = d)),
  integer_time = quote(F(Surv(ti, status) ~ g, data = d)),
  subset_logical = quote(F(Surv(time, status) ~ g, data = d, subset = rep(c(TRUE, FALSE), 20))),
  subset_numeric = quote(F(Surv(time, status) ~ g, data = d, subset = c(1:30, 2:4))),
  subset_negative = quote(F(Surv(time, status) ~ g, data = d, subset = -(1:5))),
  subset_expression = quote(F(Surv(time, status) ~ g, data = d, subset = x > 0)),
  subset_names = quote(F(Surv(time, status) ~ g, data = d, subset = as.character(1:30))),
  na_exclude = quote(F(Surv(time, status) ~ g + xna, data = d, na.action = na.exclude)),
  na_omit = quote(F(Surv(time, status) ~ g + xna, data = d, na.action = na.omit)),
  dot = quote(F(Surv(time, status) ~ ., data = d[, c("time", "status", "g", "z")])),
  minus_one = quote(F(Surv(time, status) ~ g - 1, data = d)),
  I_term = quote(F(Surv(time, status) ~ I(x > 0), data = d)),
  calling_env = quote(F(Surv(tt, st) ~ gg)),
  weights = quote(F(Surv(time, status) ~ g, data = d, weights = w)),
  weights_env = quote(F(Surv(time, status) ~ g, data = d, weights = ww, subset = x > -1)),
  tibble = quote(F(Surv(time, status) ~ g, data = dplyr::as_tibble(d)))
)

hostile_env <- function(d) {
  list2env(list(d = d, d1 = d[1, ], d0 = d[0, ], dc = transform(d, status = 0L),
                de = transform(d, status = 1L), tt = d$time, st = d$status, gg = d$g,
                ww = d$w, nul = NULL),
           parent = environment())
}
call_as <- function(cl, fn) {
  cl[[1L]] <- fn
  cl
}

# --- the known leftovers ---------------------------------------------------------------
test_that("NULL weights, subset and na.action mean none, as in survival", {
  d <- hostile_data(1)
  nul <- NULL
  ref <- km(Surv(time, status) ~ g, data = d)
  expect_equal(km(Surv(time, status) ~ g, data = d, weights = nul, subset = nul,
                  na.action = nul)$surv, ref$surv, tolerance = 0)
  ref <- cox(Surv(time, status) ~ x, data = d)
  fit <- cox(Surv(time, status) ~ x, data = d, weights = nul, subset = nul, na.action = nul,
             id = nul, cluster = nul, init = NULL, tt = NULL)
  expect_equal(coef(fit), coef(ref), tolerance = 0)
  expect_equal(vcov(fit), vcov(ref), tolerance = 0)
  dd <- transform(d, ev = factor(status + z * status, 0:2, c("censor", "relapse", "death")))
  expect_equal(cuminc(Surv(time, ev) ~ g, data = dd, weights = nul, id = nul)$estimate,
               cuminc(Surv(time, ev) ~ g, data = dd)$estimate, tolerance = 0)
  expect_equal(coef(fine_gray(Surv(time, ev) ~ x, data = dd, cause = "death", weights = nul)),
               coef(fine_gray(Surv(time, ev) ~ x, data = dd, cause = "death")), tolerance = 0)
  expect_equal(logrank(Surv(time, status) ~ g, data = d, subset = nul, na.action = nul)$chisq,
               logrank(Surv(time, status) ~ g, data = d)$chisq, tolerance = 0)
  # and the survival functions agree on it
  expect_equal(coef(fit), coef(coxph(Surv(time, status) ~ x, data = d, weights = nul)),
               tolerance = 1e-8)
})

test_that("each argument of the call is evaluated once", {
  d <- hostile_data(2)
  n <- 0L
  once <- function(x) {
    n <<- n + 1L
    x
  }
  count <- function(expr) {
    n <<- 0L
    force(expr)
    n
  }
  # Surv() calls that go to survival::Surv() (type =, origin =, no status,
  # a factor status), and those built in C
  expect_identical(count(cox(Surv(once(time), status, type = "right") ~ x, data = d)), 1L)
  expect_identical(count(km(Surv(once(time), status, origin = 0) ~ g, data = d)), 1L)
  expect_identical(count(km(Surv(once(time)) ~ g, data = d)), 1L)
  expect_identical(count(cox(Surv(time, once(status)) ~ x, data = d)), 1L)
  expect_identical(count(km(Surv(time, once(status)) ~ 1, data = d)), 1L)
  # weights (checked before na.action, then framed), the competing-risks event
  expect_identical(count(cox(Surv(time, status) ~ x, data = d, weights = once(w))), 1L)
  expect_identical(count(km(Surv(time, status) ~ g, data = d, weights = once(w))), 1L)
  dd <- transform(d, ev = factor(status, 0:1, c("censor", "death")))
  expect_identical(count(cuminc(Surv(time, once(ev)) ~ g, data = dd, weights = once(w))), 2L)
  expect_identical(count(fine_gray(Surv(time, once(ev)) ~ x, data = dd, cause = "death")), 1L)
  expect_identical(count(cox(Surv(time, status) ~ x, data = d, subset = once(x > -1))), 1L)
  # what Surv() itself refuses keeps Surv()'s message and the user's call
  e <- tryCatch(netsurv:::surv_response(d$time, d$status[-1]), error = identity)
  expect_identical(conditionMessage(e), "Time and status are different lengths")
  expect_identical(conditionCall(e), quote(netsurv:::surv_response(d$time, d$status[-1])))
})

# --- the sweep ------------------------------------------------------------------------
test_that("km() equals survfit() on hostile calls, or both refuse", {
  for (seed in 1:2) {
    env <- hostile_env(hostile_data(seed))
    for (nm in names(hostile_cases)) {
      cl <- hostile_cases[[nm]]
      label <- paste("km", nm, "seed", seed)
      ours <- eval(call_as(cl, quote(km)), env)
      if (nm == "dot") {
        # survfit() refuses `.` ("'.' in formula and no 'data' argument"):
        # the oracle is the formula written out
        theirs <- survfit(Surv(time, status) ~ g + z, data = env$d)
        expect_km_oracle(ours, theirs, label)
        next
      }
      expect_km_oracle(ours, eval(call_as(cl, quote(survfit)), env), label)
    }
    # one row; one group present (survfit drops the strata of one group; km()
    # keeps its label, the numbers are survfit's)
    expect_km_oracle(km(Surv(time, status) ~ 1, data = env$d1),
                     survfit(Surv(time, status) ~ 1, data = env$d1), "km one row")
    expect_km_oracle(km(Surv(time, status) ~ g, data = env$d1),
                     survfit(Surv(time, status) ~ g, data = env$d1), "km one group", strata = FALSE)
  }
})

test_that("logrank() equals survdiff() on hostile calls, or refuses with a reason", {
  for (seed in 1:2) {
    env <- hostile_env(hostile_data(seed))
    for (nm in setdiff(names(hostile_cases), c("weights", "weights_env"))) {
      cl <- hostile_cases[[nm]]
      cl$weights <- NULL
      label <- paste("logrank", nm, "seed", seed)
      if (nm == "all_censored") {
        # survdiff answers chisq = 0 with warnings; netsurv says why not (item 10)
        expect_error(eval(call_as(cl, quote(logrank)), env), "there are no events")
        next
      }
      expect_logrank_oracle(eval(call_as(cl, quote(logrank)), env),
                            eval(call_as(cl, quote(survdiff)), env), label)
    }
  }
})

test_that("cox() equals coxph() on hostile calls, or refuses with a reason", {
  cox_cases <- hostile_cases
  cox_cases$interaction <- quote(F(Surv(time, status) ~ g * z, data = d))
  cox_cases$colon <- quote(F(Surv(time, status) ~ g:z + x, data = d))
  cox_cases$strata <- quote(F(Surv(time, status) ~ x + strata(ch), data = d))
  cox_cases$offset <- quote(F(Surv(time, status) ~ x + offset(z), data = d))
  for (seed in 1:2) {
    env <- hostile_env(hostile_data(seed))
    for (nm in names(cox_cases)) {
      cl <- cox_cases[[nm]]
      label <- paste("cox", nm, "seed", seed)
      ours <- call_as(cl, quote(cox))
      theirs <- call_as(cl, quote(coxph))
      ours$control <- quote(tight_cox())
      theirs$control <- quote(tight_coxph())
      if (nm == "all_censored") {
        # coxph returns a fit with no information; netsurv says why not (item 10)
        expect_error(eval(ours, env), "there are no events")
        next
      }
      fit <- eval(ours, env)
      oracle <- eval(theirs, env)
      if (nm %in% c("weights", "weights_env")) {
        # non-integer weights: cox() and coxph turn the robust variance on by
        # themselves; robust = FALSE gives coxph's naive.var
        expect_true(fit$robust)
        ours$robust <- FALSE
        expect_cox_oracle(eval(ours, env), oracle, label, var = oracle$naive.var)
      }
      expect_cox_oracle(fit, oracle, label)
    }
  }
})

test_that("cuminc(), fine_gray() and rmst_test() equal cmprsk and survRM2 on hostile calls", {
  skip_if_not_installed("cmprsk")
  skip_if_not_installed("survRM2")
  set.seed(14)
  n <- 60
  d <- data.frame(time = round(rexp(n, 0.1), 1) + 0.1,
                  code = sample(0:2, n, TRUE, prob = c(0.3, 0.4, 0.3)), x = rnorm(n),
                  g = factor(sample(c("a", "b"), n, TRUE), levels = c("a", "b", "c")))
  d$ev <- factor(d$code, 0:2, c("censor", "relapse", "death"))
  d$status <- as.integer(d$code > 0)
  d$ch <- as.character(d$g)
  d$ti <- as.integer(ceiling(d$time))
  d$gna <- d$g
  d$gna[c(4, 5)] <- NA
  d$xg <- as.numeric(d$gna == "b")
  nul <- NULL
  tt <- d$time; ee <- d$ev; ss <- d$status; gg <- d$g
  # each case: the call (EV stands for the event column) and the rows the
  # oracle is given
  cases <- list(
    null_args = list(quote(F(Surv(time, EV) ~ g, data = d, subset = nul, na.action = nul)), d),
    subset_logical = list(quote(F(Surv(time, EV) ~ g, data = d, subset = rep(c(TRUE, FALSE), 30))),
                          d[rep(c(TRUE, FALSE), 30), ]),
    subset_numeric = list(quote(F(Surv(time, EV) ~ g, data = d, subset = 1:40)), d[1:40, ]),
    subset_expression = list(quote(F(Surv(time, EV) ~ g, data = d, subset = x > 0)), d[d$x > 0, ]),
    subset_names = list(quote(F(Surv(time, EV) ~ g, data = d, subset = as.character(1:40))),
                        d[1:40, ]),
    na_exclude = list(quote(F(Surv(time, EV) ~ gna, data = d, na.action = na.exclude)),
                      transform(d[!is.na(d$gna), ], g = gna)),
    character = list(quote(F(Surv(time, EV) ~ ch, data = d)), d),
    integer_time = list(quote(F(Surv(ti, EV) ~ g, data = d)), transform(d, time = ti)),
    calling_env = list(quote(F(Surv(tt, ENV) ~ gg)), d),
    tibble = list(quote(F(Surv(time, EV) ~ g, data = dplyr::as_tibble(d))), d))
  with_event <- function(cl, ev, env_ev) {
    text <- gsub("ENV", env_ev, gsub("EV", ev, paste(deparse(cl), collapse = " ")))
    str2lang(text)
  }
  for (nm in names(cases)) {
    rows <- cases[[nm]][[2L]]
    # cuminc: the estimates at cmprsk's times and Gray's test
    fit <- eval(call_as(with_event(cases[[nm]][[1L]], "ev", "ee"), quote(cuminc)))
    oracle <- cmprsk::cuminc(rows$time, rows$code, rows$g)
    expect_rel(fit$tests$statistic, oracle$Tests[, "stat"], paste("cuminc", nm, "Gray"))
    for (curve in setdiff(names(oracle), "Tests")) {
      z <- oracle[[curve]]
      parts <- strsplit(curve, " ", fixed = TRUE)[[1L]]
      at <- which(sub(".*=", "", rep(names(fit$strata), fit$strata)) == parts[1L])
      keep <- !duplicated(z$time, fromLast = TRUE) & z$time >= min(fit$time[at])
      idx <- findInterval(z$time[keep], fit$time[at])
      expect_rel(fit$estimate[at, as.integer(parts[2L])][idx], z$est[keep],
                 paste("cuminc", nm, curve))
    }
    # fine_gray: coefficients and variance
    cl <- call_as(with_event(cases[[nm]][[1L]], "ev", "ee"), quote(fine_gray))
    cl[[2L]][[3L]] <- quote(x)
    cl$cause <- "relapse"
    if (nm == "calling_env") cl$data <- quote(d)
    if (nm == "na_exclude") cl[[2L]][[3L]] <- quote(x + xg)
    fit <- eval(cl)
    cov <- if (nm == "na_exclude") cbind(rows$x, rows$gna == "b") else cbind(rows$x)
    oracle <- cmprsk::crr(rows$time, rows$code, cov, failcode = 1)
    expect_rel(coef(fit), oracle$coef, paste("fine_gray", nm, "coef"))
    expect_rel(vcov(fit), oracle$var, paste("fine_gray", nm, "var"))
    # rmst_test: per-arm RMST and its standard error at tau = 10
    cl <- call_as(with_event(cases[[nm]][[1L]], "status", "ss"), quote(rmst_test))
    cl$tau <- 10
    fit <- eval(cl)
    oracle <- survRM2::rmst2(rows$time, rows$status, as.integer(rows$g == "b"), tau = 10)
    expect_rel(fit$arms$rmst, c(oracle$RMST.arm0$rmst[[1L]], oracle$RMST.arm1$rmst[[1L]]),
               paste("rmst_test", nm, "rmst"))
    expect_rel(fit$arms$rmst.se, c(oracle$RMST.arm0$rmst[[2L]], oracle$RMST.arm1$rmst[[2L]]),
               paste("rmst_test", nm, "se"))
  }
})

test_that("the trial summaries honour subset and na.action as the data subsetted by hand", {
  d <- hostile_data(5, n = 60)
  d$s <- sample(c("u", "v"), 60, TRUE)
  d$gna <- d$g
  d$gna[c(4, 5)] <- NA
  nul <- NULL
  strip <- function(x) {
    x <- unclass(x)
    x$call <- x$na.action <- NULL
    x
  }
  fns <- list(milestone = quote(milestone(times = c(5, 10))), followup = quote(followup()),
              subgroup_hr = quote(subgroup_hr(subgroups = "s")),
              pairwise_logrank = quote(pairwise_logrank(p.adjust.method = "none")),
              rmst_test = quote(rmst_test(tau = 8)))
  by_hand <- list(
    list(quote(F(Surv(time, status) ~ g, data = d, subset = nul, na.action = nul)), d),
    list(quote(F(Surv(time, status) ~ g, data = d, subset = rep(c(TRUE, FALSE), 30))),
         d[rep(c(TRUE, FALSE), 30), ]),
    list(quote(F(Surv(time, status) ~ g, data = d, subset = 1:40)), d[1:40, ]),
    list(quote(F(Surv(time, status) ~ g, data = d, subset = x > 0)), d[d$x > 0, ]),
    list(quote(F(Surv(time, status) ~ g, data = dplyr::as_tibble(d))), d),
    list(quote(F(Surv(time, lg) ~ g, data = d)), d),
    list(quote(F(Surv(ti, status) ~ g, data = d)), transform(d, time = ti)),
    list(quote(F(Surv(time, status) ~ g, data = transform(d, g = gna), na.action = na.exclude)),
         d[!is.na(d$gna), ]))
  for (fn in names(fns)) {
    for (case in by_hand) {
      cl <- case[[1L]]
      cl[[1L]] <- fns[[fn]][[1L]]
      for (a in names(fns[[fn]])[-1L]) cl[[a]] <- fns[[fn]][[a]]
      ref <- cl
      ref$subset <- ref$na.action <- NULL
      ref$data <- case[[2L]]
      ref[[2L]] <- quote(Surv(time, status) ~ g)
      expect_equal(strip(eval(cl)), strip(eval(ref)), tolerance = 1e-12,
                   label = paste(fn, deparse1(case[[1L]])))
    }
  }
})

# --- what netsurv refuses, and says so ---------------------------------------------------
test_that("rows kept by na.action = na.pass with a missing group, status or covariate are errors naming the row", {
  d <- hostile_data(3, n = 20)
  d$ev <- factor(d$status, 0:1, c("censor", "death"))
  gmiss <- transform(d, g = replace(g, 2, NA))
  smiss <- transform(d, status = replace(status, 3, NA), ev = replace(ev, 3, NA))
  xmiss <- transform(d, x = replace(x, 5, NA))
  expect_snapshot(error = TRUE, {
    km(Surv(time, status) ~ g, data = gmiss, na.action = na.pass)
    logrank(Surv(time, status) ~ g + strata(z), data = transform(d, z = replace(z, 4, NA)),
            na.action = na.pass)
    cox(Surv(time, status) ~ x + strata(g), data = gmiss, na.action = na.pass)
    cuminc(Surv(time, ev) ~ g, data = transform(gmiss, ev = ev), na.action = na.pass)
    followup(Surv(time, status) ~ g, data = gmiss, na.action = na.pass)
    km(Surv(time, status) ~ g, data = smiss, na.action = na.pass)
    cox(Surv(time, status) ~ x, data = smiss, na.action = na.pass)
    cuminc(Surv(time, ev) ~ g, data = smiss, na.action = na.pass)
    milestone(Surv(time, status) ~ g, data = smiss, times = 5, na.action = na.pass)
    rmst_test(Surv(time, status) ~ g, data = xmiss, covariates = ~ x, na.action = na.pass)
    rmst_test(Surv(time, status) ~ g, data = transform(d, x = replace(x, 6, Inf)),
              covariates = ~ x)
    km(Surv(time, status) ~ g, data = transform(d, id = replace(seq_len(20), 2, NA)),
       id = id, robust = TRUE, na.action = na.pass)
  })
})

test_that("zero rows are an error for every model function, as in survival", {
  d0 <- hostile_data(6)[0, ]
  d0$ev <- factor(character(), c("censor", "death"))
  calls <- list(quote(km(Surv(time, status) ~ g, d0)), quote(logrank(Surv(time, status) ~ g, d0)),
                quote(cox(Surv(time, status) ~ x, d0)), quote(cuminc(Surv(time, ev) ~ g, d0)),
                quote(fine_gray(Surv(time, ev) ~ x, d0, cause = "death")),
                quote(rmst_test(Surv(time, status) ~ g, d0)),
                quote(milestone(Surv(time, status) ~ g, d0, times = 1)),
                quote(followup(Surv(time, status) ~ g, d0)), quote(maxcombo(Surv(time, status) ~ g, d0)),
                quote(subgroup_hr(Surv(time, status) ~ g, d0, subgroups = "z")),
                quote(pairwise_logrank(Surv(time, status) ~ g, d0)))
  # survival::Surv() itself warns on empty columns ("no non-missing arguments
  # to max"), in survfit() too; the warning is survival's, the error netsurv's
  for (cl in calls)
    suppressWarnings(expect_error(eval(cl), "^no rows left to analyse$", label = deparse1(cl)))
  suppressWarnings(expect_error(survfit(Surv(time, status) ~ g, d0)))
  suppressWarnings(expect_error(coxph(Surv(time, status) ~ x, d0)))
})

test_that("`.` on the right of cuminc() and fine_gray() is the formula written out", {
  d <- hostile_data(7, n = 50)
  d$ev <- factor(d$status * sample(1:2, 50, TRUE), 0:2, c("censor", "relapse", "death"))
  expect_equal(cuminc(Surv(time, ev) ~ ., data = d[, c("time", "ev", "g")])$estimate,
               cuminc(Surv(time, ev) ~ g, data = d)$estimate, tolerance = 0)
  expect_equal(coef(fine_gray(Surv(time, ev) ~ ., data = d[, c("time", "ev", "x", "z")],
                              cause = "death")),
               coef(fine_gray(Surv(time, ev) ~ x + z, data = d, cause = "death")), tolerance = 0)
})

# Found by this sweep and left as they are (none is a wrong number):
# * A database table (R/sql*.R) takes `weights`/`subset` only as expressions of
#   its columns: a variable holding NULL is "`weights`: the table has no column
#   `nul`", and `na.action = NULL` is "supports only na.omit" (clear errors
#   naming the argument; a data frame accepts both).
# * cox(Surv(time, status) ~ 1)$loglik has two equal values (initial, final)
#   where coxph's null model has one.
# * A column without information (every event alone in its risk set) is NA in
#   cox() where coxph reports 0 with standard error 0; both warn that the fit
#   did not converge (the log-likelihood is 0 at every coefficient).
