# bench-cox-exact.R -- cox(ties = "exact") against survival::coxph(ties =
# "exact") side by side in one R process, interleaved, a full gc() before
# each timed call, median of `reps` runs, quoted as ratios (survival /
# netsurv: > 1 means netsurv is faster).
#   R_LIBS=lib Rscript bench/bench-cox-exact.R [reps]
# Data sets:
#  * lung, times in months (164 events on 34 months, ties up to 19), 3 covariates;
#  * generated right-censored: n = 5000, p = 5, times on a grid of 200 (about
#    17 tied events per time);
#  * heart ((start, stop], ties up to 3), 3 covariates;
#  * generated (start, stop]: n = 300, p = 3, ties of at most 3. coxph's
#    (start, stop] exact fit enumerates every subset of the risk set of the
#    tie's size (C(n at risk, d)), so larger ties or risk sets are out of its
#    reach; netsurv's recursion is polynomial in both.
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})
args <- commandArgs(trailingOnly = TRUE)
reps <- if (length(args) >= 1) as.integer(args[1]) else 5L

set.seed(20261130)
lung_m <- transform(survival::lung, month = ceiling(time / 30.4))
n <- 5000
gen_rc <- data.frame(time = sample.int(200, n, TRUE), status = rbinom(n, 1, 0.7),
                     matrix(rnorm(n * 5), n, dimnames = list(NULL, paste0("x", 1:5))))
n2 <- 300
gen_ct <- data.frame(time = sample.int(150, n2, TRUE), status = rbinom(n2, 1, 0.7),
                     x1 = rnorm(n2), x2 = rbinom(n2, 1, 0.5), x3 = rnorm(n2))
gen_ct$start <- pmax(0, gen_ct$time - sample.int(60, n2, TRUE))
ev <- gen_ct$status == 1
gen_ct$status[ev][ave(gen_ct$time[ev], gen_ct$time[ev], FUN = seq_along) > 3] <- 0L

cases <- list(
  "lung by month (n 228, ties <= 19)" =
    list(Surv(month, status) ~ age + sex + ph.ecog, lung_m),
  "generated right-censored (n 5000, p 5, ~17 per time)" =
    list(Surv(time, status) ~ x1 + x2 + x3 + x4 + x5, gen_rc),
  "heart, (start, stop] (n 172, ties <= 3)" =
    list(Surv(start, stop, event) ~ age + surgery + transplant, survival::heart),
  "generated (start, stop] (n 300, ties <= 3)" =
    list(Surv(start, time, status) ~ x1 + x2 + x3, gen_ct)
)

timed <- function(expr) {
  gc(full = TRUE)
  system.time(expr)[["elapsed"]]
}

cat(sprintf("reps = %d, median elapsed seconds; the machine is shared with other jobs, so\n", reps),
    "absolute times vary: the interleaved ratios are what to quote.\n\n", sep = "")
res <- NULL
for (nm in names(cases)) {
  f <- cases[[nm]][[1]]
  d <- cases[[nm]][[2]]
  a <- cox(f, d, ties = "exact")
  b <- coxph(f, d, ties = "exact")
  stopifnot(isTRUE(all.equal(unname(coef(a)), unname(coef(b)), tolerance = 1e-8)))
  tn <- ts <- numeric(reps)
  for (i in seq_len(reps)) {
    tn[i] <- timed(cox(f, d, ties = "exact"))
    ts[i] <- timed(coxph(f, d, ties = "exact"))
  }
  res <- rbind(res, data.frame(data = nm, netsurv = median(tn), survival = median(ts),
                               ratio = median(ts) / median(tn)))
}
print(res, digits = 3, row.names = FALSE)
