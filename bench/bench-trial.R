# bench-trial.R -- the trial-reporting functions against their oracles, side by
# side in one R process, interleaved, a full gc() before each timed call,
# median of `reps` runs: rmst_test() vs survRM2::rmst2(), maxcombo() vs
# nph::logrank.maxtest(), followup() vs prodlim(reverse = TRUE) + quantile(),
# milestone() vs summary(survfit(), times) (the oracle without the contrasts).
# Each pair is checked to give the same numbers first.
# Run: R_LIBS=lib Rscript bench/bench-trial.R
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})
for (p in c("survRM2", "nph", "prodlim"))
  if (!requireNamespace(p, quietly = TRUE)) stop("bench-trial.R needs ", p)

reps <- 5L

interleaved <- function(a, b) {
  ta <- tb <- numeric(reps)
  for (i in seq_len(reps)) {
    gc(FALSE); ta[i] <- system.time(a())[["elapsed"]]
    gc(FALSE); tb[i] <- system.time(b())[["elapsed"]]
  }
  c(stats::median(ta), stats::median(tb))
}

make_trial <- function(n, seed) {
  set.seed(seed)
  arm <- rep(0:1, length.out = n)
  t <- rexp(n, ifelse(arm == 1, 0.07, 0.1)); c <- runif(n, 1, 30)
  data.frame(time = round(pmin(t, c), 2), status = as.integer(t <= c), arm = arm)
}

rows <- list()
add <- function(task, n, times) {
  rows[[length(rows) + 1L]] <<- data.frame(task = task, n = n, oracle_s = times[1],
                                           netsurv_s = times[2], ratio = times[1] / times[2])
}

for (n in c(1e4, 1e5)) {
  d <- make_trial(n, 1)
  a <- rmst_test(Surv(time, status) ~ arm, data = d, tau = 20)
  b <- survRM2::rmst2(d$time, d$status, d$arm, tau = 20)
  stopifnot(isTRUE(all.equal(unname(as.matrix(a$contrasts[, 4:7])), unname(b$unadjusted.result),
                             tolerance = 1e-8)))
  add("rmst_test() vs rmst2()", n, interleaved(
    function() survRM2::rmst2(d$time, d$status, d$arm, tau = 20),
    function() rmst_test(Surv(time, status) ~ arm, data = d, tau = 20)))

  add("followup() vs prodlim(reverse) + quantile()", n, interleaved(
    function() quantile(prodlim::prodlim(prodlim::Hist(time, status) ~ arm, data = d,
                                         reverse = TRUE), 0.5),
    function() followup(Surv(time, status) ~ arm, data = d)))

  add("milestone() vs summary(survfit(), times)", n, interleaved(
    function() summary(survfit(Surv(time, status) ~ arm, data = d), times = c(5, 10, 20)),
    function() milestone(Surv(time, status) ~ arm, data = d, times = c(5, 10, 20))))
}

# nph's log-rank loops over the distinct times in R: a smaller n
for (n in c(2000, 10000)) {
  d <- make_trial(n, 2)
  set.seed(1)
  a <- maxcombo(Surv(time, status) ~ arm, data = d)
  b <- nph::logrank.maxtest(d$time, d$status, d$arm, rho = c(0, 0, 1, 1), gamma = c(0, 1, 0, 1))
  stopifnot(isTRUE(all.equal(a$tests$z, b$tests$z, tolerance = 1e-8)))
  add("maxcombo() vs logrank.maxtest()", n, interleaved(
    function() nph::logrank.maxtest(d$time, d$status, d$arm, rho = c(0, 0, 1, 1),
                                    gamma = c(0, 1, 0, 1)),
    function() maxcombo(Surv(time, status) ~ arm, data = d)))
}

out <- do.call(rbind, rows)
out$oracle_s <- signif(out$oracle_s, 3)
out$netsurv_s <- signif(out$netsurv_s, 3)
out$ratio <- signif(out$ratio, 3)
print(out, row.names = FALSE)
cat("(median of", reps, "interleaved runs; the machine is shared, so quote the ratios)\n")
