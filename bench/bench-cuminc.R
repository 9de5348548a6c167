# bench-cuminc.R -- cuminc() and fine_gray() against survival and cmprsk, side
# by side in one R process: the two packages interleaved call by call, a full
# gc() before every timed call, median elapsed seconds of 5 calls each.
#   R_LIBS=lib Rscript bench/bench-cuminc.R
# Data: exponential times with three outcomes (censored, cause 1, cause 2),
# two groups, two covariates (one normal, one binary).
#  1. cuminc() at n = 1e6 vs survfit(Surv(time, factor) ~ group, se.fit =
#     FALSE): survfit's standard errors for multi-state curves grow with the
#     square of n (190 s at 1e5 measured while writing this), so at 1e6 only
#     its estimates are timed; cuminc() computes estimates, jackknife
#     standard errors, limits and Gray's tests.
#  2. cuminc() vs survfit() with standard errors (its default) at n = 2e4.
#  3. fine_gray() vs cmprsk::crr() at n = 2e3 and 5e3 (crr grows faster than
#     n^2: 44 s at 5e3), and the ratio extrapolated to n = 2e4 from crr's
#     measured growth.
#  4. fine_gray() alone at n = 1e4, 1e5, 1e6: time per row stays flat.
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})

reps <- 5L
timed <- function(f) {
  gc(FALSE)
  system.time(f())[["elapsed"]]
}
# Interleaved: a, b, a, b, ... ; medians of each.
side_by_side <- function(a, b, reps) {
  t <- matrix(NA_real_, reps, 2L)
  for (i in seq_len(reps)) {
    t[i, 1L] <- timed(a)
    t[i, 2L] <- timed(b)
  }
  apply(t, 2L, stats::median)
}

make_data <- function(n, seed = 1) {
  set.seed(seed)
  d <- data.frame(x1 = stats::rnorm(n), x2 = stats::rbinom(n, 1L, 0.5),
                  g = sample(c("a", "b"), n, TRUE))
  t1 <- stats::rexp(n, 0.10 * exp(0.4 * d$x1 - 0.3 * d$x2))
  t2 <- stats::rexp(n, 0.08)
  cens <- stats::rexp(n, 0.05)
  d$time <- pmin(t1, t2, cens)
  d$code <- ifelse(cens <= pmin(t1, t2), 0L, ifelse(t1 < t2, 1L, 2L))
  d$event <- factor(d$code, 0:2, c("censor", "cause1", "cause2"))
  d
}

row <- function(what, n, ours, theirs) {
  cat(sprintf("%-44s n = %-7s netsurv %8.3f s   reference %8.3f s   ratio %6.1fx\n",
              what, format(n, scientific = TRUE), ours, theirs, theirs / ours))
}

cat("cuminc / fine_gray benchmark (median of", reps, "interleaved calls; elapsed seconds)\n")

d <- make_data(1e6)
m <- side_by_side(function() cuminc(Surv(time, event) ~ g, data = d),
                  function() survfit(Surv(time, event) ~ g, data = d, se.fit = FALSE), reps)
row("cuminc() vs survfit(se.fit = FALSE)", 1e6, m[1L], m[2L])

d <- make_data(2e4)
m <- side_by_side(function() cuminc(Surv(time, event) ~ g, data = d),
                  function() survfit(Surv(time, event) ~ g, data = d), reps)
row("cuminc() vs survfit() with standard errors", 2e4, m[1L], m[2L])

crr_times <- c()
for (n in c(2e3, 5e3)) {
  d <- make_data(n)
  X <- cbind(d$x1, d$x2)
  m <- side_by_side(function() fine_gray(Surv(time, code) ~ x1 + x2, data = d),
                    function() cmprsk::crr(d$time, d$code, X), reps)
  row("fine_gray() vs cmprsk::crr()", n, m[1L], m[2L])
  crr_times[as.character(n)] <- m[2L]
}
power <- log(crr_times[["5000"]] / crr_times[["2000"]]) / log(2.5)
crr_2e4 <- crr_times[["5000"]] * 4^power
d <- make_data(2e4)
fg_2e4 <- stats::median(vapply(seq_len(reps), function(i)
  timed(function() fine_gray(Surv(time, code) ~ x1 + x2, data = d)), 0))
cat(sprintf("crr time grows as n^%.2f; extrapolated crr at n = 2e4: %.0f s; fine_gray() %.3f s; ratio ~%.0fx\n",
            power, crr_2e4, fg_2e4, crr_2e4 / fg_2e4))

for (n in c(1e4, 1e5, 1e6)) {
  d <- make_data(n)
  t <- stats::median(vapply(seq_len(reps), function(i)
    timed(function() fine_gray(Surv(time, code) ~ x1 + x2, data = d)), 0))
  cat(sprintf("fine_gray() n = %-7s %8.3f s   %.2f microseconds per row\n",
              format(n, scientific = TRUE), t, 1e6 * t / n))
}
