# bench-sql.R -- scale of the database path and of the in-memory fits.
#
# 1. Through PostgreSQL (a throw-away server, tests/testthat/helper-postgres.R):
#    a cohort of n rows with p = 10 normal covariates, times rounded to 0.01
#    (a few thousand distinct times) and ~70% events is generated inside the
#    server; cox(), km() and logrank() run on dplyr::tbl(con, "cohort").
#    Reported: total fit time, time per Cox iteration (the spacing of the
#    queries), the rows that came back, and R's peak memory during the fit
#    above what was live before it (gc()'s "max used" after a reset), which
#    follows the number of distinct times, not n, because only aggregates
#    come back. At the smallest n the fit is checked against
#    cox() on the collected rows.
# 2. In memory: km(), logrank() and cox() (p = 10, Efron, default threads) at
#    growing n: median elapsed and CPU time (user + system of the process,
#    all threads; the system part, where page faults count, shown apart)
#    and CPU time per row, the process's peak resident memory
#    above the data (VmHWM, reset through /proc/self/clear_refs) per row, and
#    the pages swapped out during the fits (/proc/vmstat pswpout, machine-wide;
#    0 means nothing swapped). Run one size per R process for the big sizes
#    (NETSURV_BENCH_MEM_N=5e7 NETSURV_BENCH_SQL_N=none), under `ulimit -v`: the
#    bench stops before building a size's data when /proc/meminfo's
#    MemAvailable is below its estimated need (data + ~200 B/row for the fits)
#    plus NETSURV_BENCH_MEM_MARGIN_GB (default 3), rather than push a shared
#    machine into the OOM killer. NETSURV_BENCH_MEM_REPS overrides the number
#    of runs per fit (default 5, 3 at n >= 1e7, 1 at n >= 5e7). glibc's
#    MALLOC_* environment variables, if set, are printed with the results.
#
# Sizes: NETSURV_BENCH_SQL_N (default "1e5,1e6") and NETSURV_BENCH_MEM_N
# (default "1e6,3e6"), "none" to skip a part; NETSURV_BENCH_MEM_FUNS (default
# "km,logrank,cox") the in-memory fits to run; the NEWS.md numbers used
# NETSURV_BENCH_SQL_N=1e6,1e7 and, for the in-memory table, one fresh process
# per size (NETSURV_BENCH_SQL_N=none, NETSURV_BENCH_MEM_N=1e6, then 1e7, then
# 5e7 with NETSURV_BENCH_MEM_REPS=3 under `ulimit -v 18874368`). The table is
# generated inside the server (no rows travel from R; faster than COPY), once
# per size. The in-memory cohort is built column by column (no n x p matrix
# next to the data frame). The machine is shared: timings are indicative,
# medians of repeated runs.
suppressPackageStartupMessages(library(netsurv))
library(survival, warn.conflicts = FALSE)

sizes <- function(var, default) {
  v <- Sys.getenv(var, default)
  if (v %in% c("", "none")) numeric() else as.numeric(strsplit(v, ",")[[1L]])
}
sql_n <- sizes("NETSURV_BENCH_SQL_N", "1e5,1e6")
mem_n <- sizes("NETSURV_BENCH_MEM_N", "1e6,3e6")
p <- 10L
reps <- as.integer(Sys.getenv("NETSURV_BENCH_REPS", "5"))

peak_reset <- function() {
  invisible(gc(reset = TRUE))
  try(suppressWarnings(writeLines("5", "/proc/self/clear_refs")), silent = TRUE)
}
vm <- function(field) {
  x <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", x)) * 1024  # bytes
}
# R's heap: what is live now (after a collection) and the "max used" since
# the last reset, in bytes; a fit's own peak is the difference.
r_used <- function() sum(gc()[, 2L]) * 2^20
r_max_used <- function() sum(gc()[, 6L]) * 2^20

# ---- 1. PostgreSQL -------------------------------------------------------------
pg_env <- new.env()
pg <- if (length(sql_n)) tryCatch({
  source("tests/testthat/helper-postgres.R", local = TRUE)
  local_postgres(pg_env)
}, error = function(e) {
  cat("PostgreSQL part skipped:", conditionMessage(e), "\n")
  NULL
})
if (!is.null(pg) && length(sql_n)) {
  xs <- paste0("SQRT(-2 * LN(1 - random())) * COS(2 * PI() * random()) AS x", seq_len(p))
  beta <- seq(-0.5, 0.5, length.out = p)
  eta <- paste(sprintf("(%.4f) * x%d", beta, seq_len(p)), collapse = " + ")
  rows <- list()
  for (n in sql_n) {
    DBI::dbExecute(pg$con, "DROP TABLE IF EXISTS cohort")
    suppressWarnings(DBI::dbGetQuery(pg$con, "SELECT setseed(0.42)"))
    t_load <- system.time(DBI::dbExecute(pg$con, paste0(
      "CREATE TABLE cohort AS SELECT ", paste0("x", seq_len(p), collapse = ", "),
      ", CEIL(-LN(1 - random()) / EXP(", eta, ") * 100) / 100 AS time,",
      " CASE WHEN random() < 0.7 THEN 1 ELSE 0 END AS status,",
      " CASE WHEN random() < 0.5 THEN 'A' ELSE 'B' END AS arm",
      " FROM (SELECT ", paste(xs, collapse = ", "), " FROM generate_series(1, ",
      format(n, scientific = FALSE), ") g) s")))[["elapsed"]]
    DBI::dbExecute(pg$con, "ANALYZE cohort")
    tbl <- suppressWarnings(dplyr::tbl(pg$con, "cohort"))
    form <- as.formula(paste("Surv(time, status) ~", paste0("x", seq_len(p), collapse = " + ")))
    stamps <- numeric()
    back <- 0
    options(netsurv.sql_log = function(q) stamps <<- c(stamps, proc.time()[["elapsed"]]))
    peak_reset()
    live <- r_used()
    t_cox <- system.time(fit <- cox(form, data = tbl))[["elapsed"]]
    end <- proc.time()[["elapsed"]]
    mem_cox <- r_max_used() - live
    options(netsurv.sql_log = NULL)
    # queries: start, first iteration, then one per iteration
    per_iter <- stats::median(diff(c(stamps, end))[-1L])
    ntimes <- DBI::dbGetQuery(pg$con, "SELECT COUNT(DISTINCT time) AS m FROM cohort")$m
    peak_reset()
    live <- r_used()
    t_km <- system.time(km(Surv(time, status) ~ arm, data = tbl))[["elapsed"]]
    t_lr <- system.time(logrank(Surv(time, status) ~ arm, data = tbl))[["elapsed"]]
    mem_km <- r_max_used() - live
    check <- NA_real_
    if (n == min(sql_n)) {
      local <- as.data.frame(dplyr::collect(tbl))
      mem <- cox(form, data = local)
      check <- max(abs(fit$coefficients - mem$coefficients) / abs(mem$coefficients))
      rm(local, mem)
      invisible(gc())
    }
    rows[[length(rows) + 1L]] <- data.frame(
      n = n, load_s = t_load, cox_total_s = t_cox, cox_iter = fit$iter,
      s_per_iteration = per_iter, distinct_times = as.numeric(ntimes),
      R_fit_peak_MB_cox = mem_cox / 2^20, km_s = t_km, logrank_s = t_lr,
      R_fit_peak_MB_km_logrank = mem_km / 2^20, max_rel_diff_vs_memory = check)
  }
  DBI::dbExecute(pg$con, "DROP TABLE IF EXISTS cohort")
  withr::deferred_run(pg_env)
  cat("\nThrough PostgreSQL 15 (p = 10 for cox; the machine is shared and loaded):\n")
  print(do.call(rbind, rows), digits = 3, row.names = FALSE)
}

# ---- 2. In memory ---------------------------------------------------------------
# km and logrank run on a data frame of the three columns they use; the ten
# covariates are then added (regenerated from their own seeds) for cox, so
# that the largest n fits in a shared machine's memory. Peak memory is the
# resident high-water mark above the data frame, per fit.
meminfo <- function(field) {
  x <- grep(paste0("^", field, ":"), readLines("/proc/meminfo"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", x)) * 1024  # bytes
}
pswpout <- function() {
  x <- grep("^pswpout ", readLines("/proc/vmstat"), value = TRUE)
  if (length(x)) as.numeric(sub("^pswpout ", "", x)) else NA_real_
}
loadavg <- function() strsplit(readLines("/proc/loadavg"), " ")[[1L]][1L]
mem_reps <- Sys.getenv("NETSURV_BENCH_MEM_REPS", "")
mem_margin <- as.numeric(Sys.getenv("NETSURV_BENCH_MEM_MARGIN_GB", "3")) * 2^30
mem_fit <- function(f, fun, n, df) {
  times <- cpus <- syss <- numeric()
  peak <- 0
  invisible(gc())
  base <- vm("VmRSS")
  swap0 <- pswpout()
  nrep <- if (nzchar(mem_reps)) as.integer(mem_reps) else
    if (n >= 5e7) 1L else if (n >= 1e7) min(reps, 3L) else reps
  for (r in seq_len(nrep)) {
    peak_reset()
    st <- system.time(fun())
    times <- c(times, st[["elapsed"]])
    cpus <- c(cpus, st[["user.self"]] + st[["sys.self"]])
    syss <- c(syss, st[["sys.self"]])
    peak <- max(peak, vm("VmHWM") - base)
  }
  swapped <- pswpout() - swap0
  el <- stats::median(times)
  cpu <- stats::median(cpus)
  sys <- stats::median(syss)
  cat(sprintf(paste0("  %-8s n = %.0e: %.2f s (CPU %.2f s of which system %.2f s, %.3f us/row; runs: %s), peak %.0f MB",
                     " above the data, %.0f B/row, pages swapped out %.0f, load %s\n"),
              f, n, el, cpu, sys, cpu / n * 1e6, paste(sprintf("%.2f", times), collapse = " "),
              peak / 2^20, peak / n, swapped, loadavg()))
  data.frame(fun = f, n = n, runs = nrep, median_s = el, cpu_s = cpu, sys_s = sys,
             cpu_us_per_row = cpu / n * 1e6, peak_extra_MB = peak / 2^20,
             bytes_per_row = peak / n, pswpout = swapped, load = loadavg())
}
covariate <- function(j, n) {
  set.seed(1000 + j)
  rnorm(n)
}
funs <- strsplit(Sys.getenv("NETSURV_BENCH_MEM_FUNS", "km,logrank,cox"), ",")[[1L]]
res <- list()
for (n in mem_n) {
  # estimated need: the cox data frame (time, status, p covariates) plus
  # ~200 B/row for the fits (measured peaks: 85-230 B/row, the
  # most at small n)
  need <- n * (8 + 4 + 8 * p + 200)
  if (meminfo("MemAvailable") < need + mem_margin)
    stop(sprintf("n = %.0e needs about %.1f GB + %.1f GB margin; MemAvailable is %.1f GB",
                 n, need / 2^30, mem_margin / 2^30, meminfo("MemAvailable") / 2^30))
  cat(sprintf("n = %.0e: MemAvailable %.1f GB, load %s\n", n,
              meminfo("MemAvailable") / 2^30, loadavg()))
  eta <- numeric(n)
  for (j in seq_len(p)) eta <- eta + seq(-0.5, 0.5, length.out = p)[j] * covariate(j, n)
  set.seed(42)
  df <- data.frame(time = round(rexp(n, exp(eta)) * 100) / 100 + 0.01,
                   status = rbinom(n, 1, 0.7), arm = rep_len(c("A", "B"), n))
  rm(eta)
  invisible(gc())
  for (f in intersect(funs, c("km", "logrank"))) {
    fun <- match.fun(f)
    res[[length(res) + 1L]] <- mem_fit(f, function() fun(Surv(time, status) ~ arm, data = df), n, df)
  }
  if ("cox" %in% funs) {
    df$arm <- NULL
    for (j in seq_len(p)) df[[paste0("x", j)]] <- covariate(j, n)
    invisible(gc())
    form <- as.formula(paste("Surv(time, status) ~", paste0("x", seq_len(p), collapse = " + ")))
    res[[length(res) + 1L]] <- mem_fit("cox", function() cox(form, data = df), n, df)
  }
  rm(df)
  invisible(gc())
}
if (length(res)) {
  cat("\nIn memory (data frame already in R; peak resident memory above the data; ",
      "the machine is shared and loaded):\n", sep = "")
  print(do.call(rbind, res), digits = 3, row.names = FALSE)
  env <- Sys.getenv(c("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                      "OMP_NUM_THREADS"))
  cat("netsurv threads:", netsurv_threads(), "; environment:",
      if (any(nzchar(env))) paste(names(env)[nzchar(env)], env[nzchar(env)], sep = "=") else "(none set)",
      "\n")
}
