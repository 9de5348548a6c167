# bench-logrank.R -- logrank() against survival::survdiff() at n = 1e6 with two
# groups, side by side in one R process: end to end (formula to result) and
# the engines alone (survival:::survdiff.fit against the C core through
# .Call, both given the same prepared, time-fixed columns). Two data sets:
# times rounded to 0.01 (many ties, as with day-level follow-up) and
# continuous times (no ties). Median of `reps` runs each.
# Run: R_LIBS=lib Rscript bench/bench-logrank.R
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})

reps <- 3L
n <- 1e6

median_time <- function(fun) {
  stats::median(vapply(seq_len(reps), function(i) {
    gc(FALSE)
    system.time(fun())[["elapsed"]]
  }, numeric(1)))
}

bench_one <- function(label, d) {
  # Same answer first, so that the timings compare like with like.
  a <- logrank(Surv(time, status) ~ arm, data = d)
  b <- survdiff(Surv(time, status) ~ arm, data = d)
  stopifnot(isTRUE(all.equal(unclass(a)[c("n", "obs", "exp", "var", "chisq", "pvalue")],
                             unclass(b)[c("n", "obs", "exp", "var", "chisq", "pvalue")],
                             tolerance = 1e-10)))

  # Prepared columns for the engines.
  y <- aeqSurv(Surv(d$time, d$status))
  groups <- strata(d["arm"])
  strat <- rep(1, nrow(d))
  time <- as.double(y[, 1])
  status <- as.integer(y[, 2])
  code <- as.integer(groups) - 1L
  core <- function() .Call(netsurv:::ffi_logrank_test, time, status, code, NULL, 2L, 1L, 0, 0)
  stopifnot(isTRUE(all.equal(as.vector(core()$var),
                             as.vector(survival:::survdiff.fit(y, groups, strat, 0)$var),
                             tolerance = 1e-10)))

  t_survdiff <- median_time(function() survdiff(Surv(time, status) ~ arm, data = d))
  t_logrank <- median_time(function() logrank(Surv(time, status) ~ arm, data = d))
  t_fit <- median_time(function() survival:::survdiff.fit(y, groups, strat, 0))
  t_core <- median_time(core)
  data.frame(
    data = label,
    comparison = c("end to end: survdiff() / logrank()", "engine: survdiff.fit / C core"),
    survival_s = c(t_survdiff, t_fit),
    netsurv_s = c(t_logrank, t_core),
    ratio = c(t_survdiff / t_logrank, t_fit / t_core),
    target = c(">= 3", ">= 5")
  )
}

set.seed(20261125)
d <- data.frame(
  time = rexp(n, rate = 0.1),
  status = rbinom(n, 1L, 0.7),
  arm = sample(c("control", "treatment"), n, replace = TRUE)
)
tied <- transform(d, time = round(time, 2))

res <- rbind(bench_one("ties (0.01)", tied), bench_one("continuous", d))
cat(sprintf("log-rank test, n = %g, 2 groups, median of %d runs (seconds)\n", n, reps))
print(res, digits = 3, row.names = FALSE)
