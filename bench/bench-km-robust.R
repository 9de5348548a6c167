# bench-km-robust.R -- km() with a robust variance by cluster against
# survival::survfit() in one R process (interleaved, full gc() before each
# timed call, median of `reps`, quoted as ratios survfit / km).
#   R_LIBS=lib Rscript bench/bench-km-robust.R            (n = 1e5, 1e6)
#   R_LIBS=lib Rscript bench/bench-km-robust.R 1e5        (chosen sizes)
#   BENCH_REPS=3 BENCH_LAYOUTS=subjects BENCH_CTYPES=1 R_LIBS=lib Rscript ...
#     (fewer runs: survfit takes minutes per call at 1e6 rows in 2e5 clusters)
# Generated data: 2 strata, ~60% events, times in days (about 2000 distinct
# times per stratum), and two cluster layouts: subjects (n / 5 clusters, as
# with id =) and centres (100 clusters). Each is run with ctype = 1 and 2.
# survfit's robust variance costs O(event times x clusters); km()'s core
# (src/core/km_options.c) O(n).
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})

args <- commandArgs(trailingOnly = TRUE)
sizes <- if (length(args)) as.numeric(args) else c(1e5, 1e6)
reps <- as.integer(Sys.getenv("BENCH_REPS", "5"))
layout_names <- strsplit(Sys.getenv("BENCH_LAYOUTS", "subjects,centres"), ",")[[1L]]
ctypes <- as.integer(strsplit(Sys.getenv("BENCH_CTYPES", "1,2"), ",")[[1L]])

one_time <- function(f) {
  gc(FALSE)
  # NA when the call is refused (netsurv before 0.x refused ctype = 2 with
  # clusters: the bench also runs against an older installed copy)
  tryCatch(system.time(f())[["elapsed"]], error = function(e) NA_real_)
}

rows <- list()
for (n in sizes) {
  set.seed(20261130)
  d <- data.frame(time = ceiling(rexp(n, 1 / 500)), status = rbinom(n, 1, 0.6),
                  grp = sample(1:2, n, TRUE))
  layouts <- list(subjects = sample.int(n %/% 5, n, TRUE), centres = sample.int(100, n, TRUE))
  for (layout in intersect(layout_names, names(layouts))) {
    d$cl <- layouts[[layout]]
    for (ct in ctypes) {
      t_sf <- t_km <- numeric(reps)
      for (r in seq_len(reps)) {  # interleaved
        t_sf[r] <- one_time(function() survfit(Surv(time, status) ~ grp, d, cluster = cl, ctype = ct))
        t_km[r] <- one_time(function() km(Surv(time, status) ~ grp, d, cluster = cl, ctype = ct))
      }
      rows[[length(rows) + 1L]] <- data.frame(
        n = n, clusters = layout, ctype = ct, survfit_s = median(t_sf), km_s = median(t_km),
        ratio = round(median(t_sf) / median(t_km), 1))
      print(rows[[length(rows)]], row.names = FALSE)
    }
  }
}
cat("\nkm() robust by cluster vs survfit (", format(packageVersion("netsurv")), "):\n")
print(do.call(rbind, rows), row.names = FALSE)
