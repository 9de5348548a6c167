# bench-km.R -- km() against survival::survfit() in one R process.
#   R_LIBS=lib Rscript bench/bench-km.R            (n = 1e5, 1e6, 1e7)
#   R_LIBS=lib Rscript bench/bench-km.R 1e5 1e6    (chosen sizes)
# Generated data, 2 strata, ~70% events; times rounded to days (realistic
# ties) and continuous. For each: median elapsed time of
#   end to end   survfit(Surv(time, status) ~ grp, data)  vs  km(same)
#   core         survival:::survfitKM(x, y, w) (sort + C scan, no model frame,
#                no aeqSurv)  vs  the .Call into netsurv's core (sort + scan;
#                "core+fix" also merges fuzz-tied times as km() does)
# and the peak memory of each end-to-end call: R heap by gc() ("max used"
# after gc(reset = TRUE)), and the process's peak resident set growth, which
# also counts the C core's malloc'd scratch (Linux: VmHWM after clear_refs).
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})

args <- commandArgs(trailingOnly = TRUE)
sizes <- if (length(args)) as.numeric(args) else c(1e5, 1e6, 1e7)
reps_for <- function(n) if (n >= 1e7) 1L else if (n >= 1e6) 3L else 11L

median_time <- function(f, reps) {
  stats::median(vapply(seq_len(reps), function(i) {
    gc(FALSE)
    system.time(f())[["elapsed"]]
  }, numeric(1)))
}

rss_peak_mb <- function() {
  status <- tryCatch(readLines("/proc/self/status"), error = function(e) NULL)
  line <- grep("^VmHWM:", status, value = TRUE)
  if (!length(line)) return(NA_real_)
  as.numeric(gsub("[^0-9]", "", line)) / 1024
}
rss_now_mb <- function() {
  status <- tryCatch(readLines("/proc/self/status"), error = function(e) NULL)
  line <- grep("^VmRSS:", status, value = TRUE)
  if (!length(line)) return(NA_real_)
  as.numeric(gsub("[^0-9]", "", line)) / 1024
}
reset_rss_peak <- function() {
  tryCatch({ writeLines("5", "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE, warning = function(w) FALSE)
}

# Peak memory of one call: R heap growth (gc "max used", Mb) and resident set growth (MB).
peak_memory <- function(f) {
  gc(FALSE)
  before <- sum(gc(reset = TRUE)[, 2L])
  rss_ok <- reset_rss_peak()
  rss_before <- rss_now_mb()
  value <- f()
  mem <- gc()
  heap <- sum(mem[, ncol(mem)]) - before
  rss <- if (rss_ok) rss_peak_mb() - rss_before else NA_real_
  rm(value)
  c(heap = heap, rss = rss)
}

make_data <- function(n, continuous) {
  set.seed(20240601)
  t <- stats::rexp(n, 1 / 500)
  data.frame(time = if (continuous) t else round(t) + 1,
             status = stats::rbinom(n, 1, 0.7),
             grp = sample(1:2, n, replace = TRUE))
}

rows <- list()
for (n in sizes) {
  for (continuous in c(FALSE, TRUE)) {
    d <- make_data(n, continuous)
    reps <- reps_for(n)
    # inputs of the two cores, built once, outside the timings
    x <- factor(d$grp)
    y <- Surv(d$time, d$status)
    w <- rep(1, n)
    status <- as.integer(d$status)
    codes <- d$grp - 1L
    tol <- sqrt(.Machine$double.eps)

    t_survfit <- median_time(function() survfit(Surv(time, status) ~ grp, data = d), reps)
    t_km <- median_time(function() km(Surv(time, status) ~ grp, data = d), reps)
    t_survfitkm <- median_time(function() survival:::survfitKM(x, y, w), reps)
    t_core <- median_time(function() .Call(netsurv:::ffi_km_fit, d$time, status, NULL, NULL,
                                           codes, 2L, FALSE, 0), reps)
    t_core_fix <- median_time(function() .Call(netsurv:::ffi_km_fit, d$time, status, NULL, NULL,
                                               codes, 2L, FALSE, tol), reps)
    m_survfit <- peak_memory(function() survfit(Surv(time, status) ~ grp, data = d))
    m_km <- peak_memory(function() km(Surv(time, status) ~ grp, data = d))

    rows[[length(rows) + 1L]] <- data.frame(
      n = format(n, scientific = TRUE), times = if (continuous) "continuous" else "days",
      survfit = t_survfit, km = t_km, e2e_ratio = t_survfit / t_km,
      survfitKM = t_survfitkm, core = t_core, core_ratio = t_survfitkm / t_core,
      core_fix = t_core_fix,
      heap_survfit = m_survfit[["heap"]], heap_km = m_km[["heap"]],
      rss_survfit = m_survfit[["rss"]], rss_km = m_km[["rss"]])
    rm(d, x, y, w, status, codes)
    gc(FALSE)
  }
}
table <- do.call(rbind, rows)
cat("km() vs survfit(): median elapsed seconds (", paste(vapply(sizes, reps_for, 1L), collapse = "/"),
    " repetitions), ratios = survival / netsurv;\n",
    "peak memory in MB: heap_* = R heap growth by gc(), rss_* = resident set growth (incl. C scratch)\n\n",
    sep = "")
num <- vapply(table, is.numeric, logical(1))
table[num] <- lapply(table[num], function(v) round(v, 3))
print(table, row.names = FALSE)
