# bench-e2e.R -- the end-to-end comparison quoted in NEWS.md and README:
# km() vs survfit() with a grouping variable, logrank() vs survdiff(), and
# cox() vs coxph() (p = 10, Efron), from the formula to the result, side by
# side in this one R process.
#   R_LIBS=lib Rscript bench/bench-e2e.R [n] [reps] [growth sizes...]
# defaults: n = 1e6, reps = 5, growth at 1e4 1e5 1e6 1e7. reps = 0 skips
# parts 1 and 2, a growth size of 0 skips part 3 (to run them apart).
#
# 1. Ratios at n (default 1e6), generated data with ties: for each of `reps`
#    rounds the survival call and the netsurv call run one after the other
#    (interleaved, a full gc() before each), so that a loaded machine slows
#    both alike; reported: medians and the median of the per-round ratios.
#    cox() runs at the default thread count and with
#    options(netsurv.threads = 1).
# 2. Peak memory of one call each, each call in a fresh R process (so that
#    pages another call left resident do not hide its own): R's allocations
#    (gc()'s "max used" growth, Ncells + Vcells, MB) and the process's
#    resident-set growth (VmHWM after a reset through /proc/self/clear_refs;
#    it also sees the C core's malloc()s).
# 3. Growth: netsurv's time at each size (median of 5 runs, 3 at 1e7; one
#    warm-up call below 1e6), a full gc() before each: elapsed seconds, CPU
#    seconds (user + system), which a loaded machine disturbs less, and the
#    time per row (microseconds of CPU), which is flat when growth is linear.
# 4. The same growth again in a child process whose glibc malloc keeps every
#    block on its heap (MALLOC_MMAP_THRESHOLD_=4294967296,
#    MALLOC_TRIM_THRESHOLD_=4294967296, MALLOC_TOP_PAD_=1073741824): by
#    default glibc serves a block of 32 MiB or more (the ceiling of its
#    dynamic mmap threshold; a vector of 4-8 million doubles) with a fresh
#    mmap(), which the kernel zero-fills page by page on first touch and which
#    free() unmaps, so every n-sized temporary costs more per row at 1e7 than
#    at 1e6 (where the blocks are reused from the heap). The two tables side
#    by side show that step rather than hide it. BENCH_E2E_MALLOC=0 skips
#    part 4.
# The load average (uptime) is printed before and after: the machine is
# shared. BENCH_E2E_SKIP=cox (names among km, logrank, cox, comma-separated)
# leaves those calls out of every part (their columns are NA), e.g. to time
# km and logrank alone.
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})
args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1L) as.numeric(args[1L]) else 1e6
reps <- if (length(args) >= 2L) as.integer(args[2L]) else 5L
growth <- if (length(args) >= 3L) as.numeric(args[-(1:2)]) else c(1e4, 1e5, 1e6, 1e7)
growth <- growth[growth > 0]
source(file.path("bench", "cox-data.R"))
skip <- strsplit(Sys.getenv("BENCH_E2E_SKIP"), ",", fixed = TRUE)[[1L]]

# km / logrank data: exponential times rounded to days (ties), ~70% events,
# two groups.
km_data <- function(n, seed = 20240601) {
  set.seed(seed)
  data.frame(time = round(stats::rexp(n, 1 / 500)) + 1,
             status = stats::rbinom(n, 1, 0.7),
             grp = sample(1:2, n, replace = TRUE))
}
cox_data <- function(n) {
  b <- cox_bench_data(n, 10L)
  list(d = data.frame(time = b$time, status = b$status, b$X), formula = b$formula)
}

# c(elapsed, cpu) seconds of one call after a full gc(); cpu = user + system
# of this process (all its threads).
elapsed <- function(f) {
  gc(FALSE)
  s <- system.time(f())
  c(s[["elapsed"]], s[["user.self"]] + s[["sys.self"]])
}
one_thread <- function(f) function() {
  op <- options(netsurv.threads = 1L)
  on.exit(options(op))
  f()
}

# --- memory -----------------------------------------------------------------
read_kb <- function(field) {
  s <- readLines("/proc/self/status")
  as.numeric(gsub("[^0-9]", "", s[startsWith(s, field)]))
}
can_reset <- file.exists("/proc/self/clear_refs") &&
  isTRUE(tryCatch({ writeLines("5", "/proc/self/clear_refs"); TRUE },
                  error = function(e) FALSE, warning = function(w) FALSE))
peak_memory_here <- function(f) {
  gc(reset = TRUE)
  base <- sum(gc()[, "max used"] * c(56, 8)) / 2^20
  if (can_reset) writeLines("5", "/proc/self/clear_refs")
  rss0 <- read_kb("VmRSS:")
  value <- f()
  heap <- sum(gc()[, "max used"] * c(56, 8)) / 2^20 - base
  rss <- if (can_reset) (read_kb("VmHWM:") - rss0) / 1024 else NA_real_
  rm(value)
  c(heap = heap, rss = rss)
}

# --- 2, in a child process: one call's memory ------------------------------------
memory_job <- Sys.getenv("BENCH_E2E_MEMORY")
if (nzchar(memory_job)) {
  job <- strsplit(memory_job, ":")[[1L]]
  m <- as.numeric(job[3L])
  if (job[1L] == "cox") {
    cd <- cox_data(m)
    f <- if (job[2L] == "ref") function() coxph(cd$formula, data = cd$d)
         else function() cox(cd$formula, data = cd$d)
  } else {
    d <- km_data(m)
    f <- switch(paste(job[1L], job[2L]),
      "km ref" = function() survfit(Surv(time, status) ~ grp, data = d),
      "km ours" = function() km(Surv(time, status) ~ grp, data = d),
      "logrank ref" = function() survdiff(Surv(time, status) ~ grp, data = d),
      "logrank ours" = function() logrank(Surv(time, status) ~ grp, data = d))
  }
  mem <- peak_memory_here(f)
  cat(mem[["heap"]], mem[["rss"]], "\n")
  quit(save = "no")
}

# --- 1: ratios at n ----------------------------------------------------------------
load_average <- function() {
  if (file.exists("/proc/loadavg")) paste(strsplit(readLines("/proc/loadavg"), " ")[[1L]][1:3],
                                          collapse = " ")
  else NA_character_
}
load_before <- load_average()
if (reps > 0L) {
d <- km_data(n)
cd <- if (!"cox" %in% skip) cox_data(n)
calls <- list(
  km = list(ref = function() survfit(Surv(time, status) ~ grp, data = d),
            ours = function() km(Surv(time, status) ~ grp, data = d)),
  logrank = list(ref = function() survdiff(Surv(time, status) ~ grp, data = d),
                 ours = function() logrank(Surv(time, status) ~ grp, data = d)),
  cox = list(ref = function() coxph(cd$formula, data = cd$d),
             ours = function() cox(cd$formula, data = cd$d)),
  cox_1_thread = list(ref = function() coxph(cd$formula, data = cd$d),
                      ours = one_thread(function() cox(cd$formula, data = cd$d)))
)
calls <- calls[!sub("_1_thread", "", names(calls), fixed = TRUE) %in% skip]
# The same answers first (so that the timings compare like with like).
if (!"km" %in% skip)
  stopifnot(isTRUE(all.equal(calls$km$ours()$surv, calls$km$ref()$surv, tolerance = 1e-10)))
if (!"logrank" %in% skip)
  stopifnot(isTRUE(all.equal(calls$logrank$ours()$chisq, calls$logrank$ref()$chisq,
                             tolerance = 1e-10)))
if (!"cox" %in% skip) {
  cx <- calls$cox$ours()
  stopifnot(isTRUE(all.equal(unname(coef(cx)), unname(coef(calls$cox$ref())), tolerance = 1e-6)))
  rm(cx)
}

rows <- list()
for (name in setdiff(names(calls), "cox_1_thread")) {
  ref_t <- ours_t <- ours1_t <- matrix(NA_real_, reps, 2L)
  # coxph is slow: each round times it once, then cox() at the default thread
  # count and with one thread (the 1-thread row shares the round's coxph time).
  for (r in seq_len(reps)) {
    ref_t[r, ] <- elapsed(calls[[name]]$ref)
    ours_t[r, ] <- elapsed(calls[[name]]$ours)
    if (name == "cox") ours1_t[r, ] <- elapsed(calls$cox_1_thread$ours)
  }
  rows[[name]] <- list(ref_t = ref_t, ours_t = ours_t)
  if (name == "cox") rows$cox_1_thread <- list(ref_t = ref_t, ours_t = ours1_t)
}
table <- do.call(rbind, lapply(names(rows), function(name) {
  x <- rows[[name]]
  data.frame(call = name, n = format(n, scientific = TRUE), reps = reps,
             survival_s = stats::median(x$ref_t[, 1L]), netsurv_s = stats::median(x$ours_t[, 1L]),
             ratio = stats::median(x$ref_t[, 1L] / x$ours_t[, 1L]),
             ratio_min = min(x$ref_t[, 1L] / x$ours_t[, 1L]),
             ratio_cpu = stats::median(x$ref_t[, 2L] / x$ours_t[, 2L]))
}))
rm(d, cd, calls)
invisible(gc(FALSE))

# One call's peak memory in a fresh R process running this script's
# definitions (BENCH_E2E_MEMORY=<call>:<which>:<n>).
peak_memory <- function(name, which) {
  out <- system2(file.path(R.home("bin"), "Rscript"), c("bench/bench-e2e.R"),
                 env = paste0("BENCH_E2E_MEMORY=", name, ":", which, ":", n),
                 stdout = TRUE, stderr = FALSE)
  as.numeric(strsplit(out[length(out)], " ")[[1L]])
}
memory <- do.call(rbind, lapply(setdiff(c("km", "logrank", "cox"), skip), function(name) {
  ref <- peak_memory(name, "ref")
  ours <- peak_memory(name, "ours")
  data.frame(call = name, survival_heap_mb = ref[1L], netsurv_heap_mb = ours[1L],
             survival_rss_mb = ref[2L], netsurv_rss_mb = ours[2L])
}))
}

# --- 3: growth ------------------------------------------------------------------
# c(elapsed, cpu) medians of k runs (after one warm-up run when asked)
timed <- function(f, k, warm_up = TRUE) {
  if (warm_up) f()
  t <- replicate(k, {
    gc(FALSE)
    s <- system.time(f())
    c(s[["elapsed"]], s[["user.self"]] + s[["sys.self"]])
  })
  apply(t, 1L, stats::median)
}
growth_rows <- list()
for (m in growth) {
  k <- if (m >= 1e7) 3L else 5L
  warm <- m < 1e6
  dm <- km_data(m)
  skipped <- c(NA_real_, NA_real_)
  t_km <- if ("km" %in% skip) skipped
          else timed(function() km(Surv(time, status) ~ grp, data = dm), k, warm)
  t_lr <- if ("logrank" %in% skip) skipped
          else timed(function() logrank(Surv(time, status) ~ grp, data = dm), k, warm)
  rm(dm); invisible(gc(FALSE))
  t_cox <- skipped
  if (!"cox" %in% skip) {
    cm <- cox_data(m)
    t_cox <- timed(function() cox(cm$formula, data = cm$d), k, warm)
    rm(cm); invisible(gc(FALSE))
  }
  us <- function(t) 1e6 * t[2L] / m
  growth_rows[[length(growth_rows) + 1L]] <- data.frame(
    n = format(m, scientific = TRUE), runs = k,
    km_s = t_km[1L], km_cpu = t_km[2L], km_us_row = us(t_km),
    logrank_s = t_lr[1L], logrank_cpu = t_lr[2L], logrank_us_row = us(t_lr),
    cox_s = t_cox[1L], cox_cpu = t_cox[2L], cox_us_row = us(t_cox))
}
growth_table <- if (length(growth_rows)) do.call(rbind, growth_rows)
if (nzchar(Sys.getenv("BENCH_E2E_GROWTH_CSV"))) {
  # part 4's child: the growth table only, as CSV after a marker line
  cat("--- growth csv ---\n")
  utils::write.csv(growth_table, stdout(), row.names = FALSE)
  quit(save = "no")
}
malloc_env <- c("MALLOC_MMAP_THRESHOLD_=4294967296", "MALLOC_TRIM_THRESHOLD_=4294967296",
                "MALLOC_TOP_PAD_=1073741824")
growth_heap <- NULL
if (!is.null(growth_table) && Sys.getenv("BENCH_E2E_MALLOC") != "0") {
  out <- system2(file.path(R.home("bin"), "Rscript"),
                 c("bench/bench-e2e.R", "0", "0", format(growth, scientific = TRUE)),
                 env = c(malloc_env, "BENCH_E2E_GROWTH_CSV=1"), stdout = TRUE, stderr = FALSE)
  at <- match("--- growth csv ---", out)
  if (!is.na(at)) growth_heap <- utils::read.csv(text = out[-seq_len(at)],
                                                 colClasses = c(n = "character"))
}

show <- function(x) {
  num <- vapply(x, is.numeric, logical(1))
  x[num] <- lapply(x[num], function(v) signif(v, 3))
  print(x, row.names = FALSE)
}
cat("Threads (default): ", netsurv:::cox_threads(), "; cores: ", parallel::detectCores(), "\n", sep = "")
cat("Load average (1, 5, 15 min) before: ", load_before, "; after: ", load_average(), "\n\n", sep = "")
if (reps > 0L) {
cat("End to end at n = ", format(n, scientific = TRUE), ", interleaved, median seconds of ", reps,
    " rounds; ratio = median of the per-round survival / netsurv ratios of elapsed time",
    " (ratio_min: the worst round; ratio_cpu: of CPU time, user + system, all threads)\n",
    sep = "")
show(table)
cat("\nPeak memory of one call (MB): heap = R's allocations (gc max used), rss = resident-set growth (incl. the C core)\n")
show(memory)
}
if (!is.null(growth_table)) {
cat("\nGrowth: netsurv's median seconds (runs: 5, 3 at 1e7), elapsed (_s) and CPU (_cpu, user + system;",
    "cox's CPU time sums its threads), and CPU microseconds per row (_us_row)",
    "(km/logrank: 2 groups, days; cox: p = 10, Efron)\n")
show(growth_table)
}
if (!is.null(growth_heap)) {
cat("\nGrowth again in a child process with glibc malloc kept off mmap (",
    paste(malloc_env, collapse = " "), "):\n", sep = "")
show(growth_heap)
cat("\nCPU microseconds per row, default allocator / heap-only allocator:\n")
show(data.frame(n = growth_table$n,
                km = growth_table$km_us_row, km_heap = growth_heap$km_us_row,
                logrank = growth_table$logrank_us_row, logrank_heap = growth_heap$logrank_us_row,
                cox = growth_table$cox_us_row, cox_heap = growth_heap$cox_us_row))
}
