# bench-logrank.R -- logrank() against survival::survdiff() at n = 1e6 with two
# groups, side by side in one R process: end to end (formula to result) and
# the engines alone (survival:::survdiff.fit against the C core through
# .Call, both given the same prepared columns). Median of `reps` runs.
# Run: R_LIBS=lib Rscript bench/bench-logrank.R
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})

reps <- 3L
n <- 1e6
set.seed(20261125)
d <- data.frame(
  time = round(rexp(n, rate = 0.1), 2),   # ties, as in day-level follow-up
  status = rbinom(n, 1L, 0.7),
  arm = sample(c("control", "treatment"), n, replace = TRUE)
)

median_time <- function(expr_fun) {
  times <- vapply(seq_len(reps), function(i) {
    gc(FALSE)
    system.time(expr_fun())[["elapsed"]]
  }, numeric(1))
  stats::median(times)
}

# Same answer first, so that the timings compare like with like.
a <- logrank(Surv(time, status) ~ arm, data = d)
b <- survdiff(Surv(time, status) ~ arm, data = d)
stopifnot(isTRUE(all.equal(a$chisq, b$chisq, tolerance = 1e-10)),
          isTRUE(all.equal(a$exp, b$exp, tolerance = 1e-10)))

# Prepared columns for the engines (time-fixed as survdiff does).
y <- aeqSurv(Surv(d$time, d$status))
groups <- strata(d["arm"])
strat <- rep(1, n)
time <- as.double(y[, 1])
status <- as.integer(y[, 2])
code <- as.integer(groups) - 1L
core <- function() .Call(netsurv:::ffi_logrank_test, time, status, code, NULL, 2L, 1L, 0, 0)
fit_c <- core()
fit_r <- survival:::survdiff.fit(y, groups, strat, 0)
stopifnot(isTRUE(all.equal(as.vector(fit_c$var), as.vector(fit_r$var), tolerance = 1e-10)))

t_survdiff <- median_time(function() survdiff(Surv(time, status) ~ arm, data = d))
t_logrank <- median_time(function() logrank(Surv(time, status) ~ arm, data = d))
t_fit <- median_time(function() survival:::survdiff.fit(y, groups, strat, 0))
t_core <- median_time(core)

res <- data.frame(
  comparison = c("end to end: survdiff() vs logrank()",
                 "engine: survdiff.fit vs C core (.Call)"),
  survival_s = c(t_survdiff, t_fit),
  netsurv_s = c(t_logrank, t_core),
  ratio = c(t_survdiff / t_logrank, t_fit / t_core),
  target = c(">= 3", ">= 5")
)
cat(sprintf("log-rank test, n = %g, 2 groups, median of %d runs\n", n, reps))
print(res, digits = 3, row.names = FALSE)
