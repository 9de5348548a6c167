# bench-cox.R -- cox() against survival::coxph() side by side in one R
# process, on generated data: n rows (default 1e6), p = 10 normal covariates,
# event times rounded to 0.01 (many ties), Efron ties, ~70% events.
#   R_LIBS=lib Rscript bench/bench-cox.R [n] [reps]
# Reports the median elapsed time of `reps` runs, the ratio, and the peak
# memory of each call: R's own allocations (gc "max used", Vcells + Ncells)
# and the process's peak resident set growth (VmHWM, reset before each call
# through /proc/self/clear_refs; it also sees the C core's malloc()s).
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})
args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1) as.numeric(args[1]) else 1e6
reps <- if (length(args) >= 2) as.integer(args[2]) else 3L
p <- 10L

source(file.path("bench", "cox-data.R"))
cohort <- cox_bench_data(n, p)
X <- cohort$X; time <- cohort$time; status <- cohort$status; start <- cohort$start
d <- data.frame(time, status, start, X)
f <- cohort$formula
f2 <- cohort$formula_counting
y <- Surv(time, status)
y2 <- Surv(start, time, status)

hwm_kb <- function() {
  s <- readLines("/proc/self/status")
  as.numeric(sub("kB", "", sub("^VmHWM:\\s*", "", s[grepl("^VmHWM", s)])))
}
rss_kb <- function() {
  s <- readLines("/proc/self/status")
  as.numeric(sub("kB", "", sub("^VmRSS:\\s*", "", s[grepl("^VmRSS", s)])))
}
can_reset <- file.exists("/proc/self/clear_refs") &&
  isTRUE(tryCatch({ writeLines("5", "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE))

measure <- function(expr) {
  expr <- substitute(expr)
  env <- parent.frame()
  times <- numeric(reps)
  for (i in seq_len(reps)) {
    gc(reset = TRUE)
    base_r <- sum(gc()[, "max used"] * c(56, 8)) / 2^20
    if (can_reset) writeLines("5", "/proc/self/clear_refs")
    rss0 <- rss_kb()
    times[i] <- system.time(eval(expr, env))[["elapsed"]]
    peak_r <- sum(gc()[, "max used"] * c(56, 8)) / 2^20 - base_r
    peak_p <- if (can_reset) (hwm_kb() - rss0) / 1024 else NA
  }
  c(time = median(times), r_mb = peak_r, rss_mb = peak_p)
}

ctl <- cox_control()
threads <- netsurv:::cox_threads()
status_i <- as.integer(status)
# The core alone: the .Call that sorts, fits and returns lp and residuals
# (coxph.fit does the same, including its sort).
core <- function(Xm, tm, st, ss) {
  netsurv:::cox_core(Xm, tm, st, ss, NULL, NULL, NULL, NULL, NULL, 0L, "efron", NULL,
                     ctl, FALSE, FALSE)
}
one_thread <- function(expr) {
  old <- options(netsurv.threads = 1L)
  on.exit(options(old))
  expr
}
rows <- list(
  "cox() vs coxph(), end to end" =
    rbind(measure(cox(f, d)), measure(coxph(f, d))),
  "core vs coxph.fit, Surv(time, status)" =
    rbind(measure(core(X, time, NULL, status_i)),
          measure(coxph.fit(X, y, NULL, NULL, NULL, coxph.control(), NULL, "efron", NULL))),
  "  the same, netsurv on 1 thread" =
    rbind(measure(one_thread(core(X, time, NULL, status_i))),
          measure(coxph.fit(X, y, NULL, NULL, NULL, coxph.control(), NULL, "efron", NULL))),
  "core vs agreg.fit, Surv(start, stop, status)" =
    rbind(measure(core(X, time, start, status_i)),
          measure(agreg.fit(X, y2, NULL, NULL, NULL, coxph.control(), NULL, "efron", NULL))),
  "cox() vs coxph(), (start, stop] end to end" =
    rbind(measure(cox(f2, d)), measure(coxph(f2, d)))
)

cat(sprintf("n = %g, p = %d, Efron ties, %d distinct event times, %d thread(s), median of %d\n",
            n, p, length(unique(time[status == 1])), threads, reps))
cat(sprintf("%-46s %9s %9s %7s %12s %12s\n", "", "netsurv", "survival", "ratio",
            "peak MB ns", "peak MB surv"))
for (nm in names(rows)) {
  r <- rows[[nm]]
  cat(sprintf("%-46s %8.3fs %8.3fs %6.1fx %5.0f/%-6.0f %5.0f/%-6.0f\n", nm, r[1, "time"],
              r[2, "time"], r[2, "time"] / r[1, "time"], r[1, "r_mb"], r[1, "rss_mb"],
              r[2, "r_mb"], r[2, "rss_mb"]))
}
cat("(peak MB: R allocations (gc max used) / process resident-set growth; the second only\n",
    " shows pages the process had not touched before, so reused memory reads as 0, and\n",
    " gc does not see the C core's malloc(): about 30n bytes, 30 MB at n = 1e6, as the\n",
    " core reads X in place)\n", sep = "")
