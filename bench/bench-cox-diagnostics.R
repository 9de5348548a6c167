# bench-cox-diagnostics.R -- residuals, cox_zph and cox_curve of a netsurv
# cox() fit against survival's residuals.coxph, cox.zph and survfit.coxph,
# side by side in one R process, on generated data: n rows (default 1e6),
# p = 5 normal covariates, times rounded to 0.01 (many ties), Efron ties,
# ~70% events. Both fits keep x and y (x = TRUE), so the timings are of the
# diagnostics, not of rebuilding the model frame.
#   R_LIBS=lib Rscript bench/bench-cox-diagnostics.R [n] [reps]
# Prints the median elapsed time of `reps` runs of each call and the ratio
# survival / netsurv (> 1: netsurv is faster).
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
})
args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1) as.numeric(args[1]) else 1e6
reps <- if (length(args) >= 2) as.integer(args[2]) else 3L
p <- 5L

source(file.path("bench", "cox-data.R"))
cohort <- cox_bench_data(n, p)
X <- cohort$X; time <- cohort$time; status <- cohort$status
d <- data.frame(time, status, X)
f <- cohort$formula
fit_s <- coxph(f, data = d, x = TRUE)
fit_n <- cox(f, data = d, x = TRUE)
nd <- data.frame(X[1:3, ])

elapsed <- function(expr) {
  expr <- substitute(expr)
  env <- parent.frame()
  median(vapply(seq_len(reps), function(i) {
    gc()
    system.time(eval(expr, env))[["elapsed"]]
  }, 1))
}

# survival's score residuals (hence dfbeta, dfbetas) take time that grows
# with n times the number of event times (48 s at n = 1e5 here), so they are
# compared on the first n_score rows; netsurv's are also timed at full n.
n_score <- min(n, 2e4)
ds <- d[seq_len(n_score), ]
fit_s2 <- coxph(f, data = ds, x = TRUE)
fit_n2 <- cox(f, data = ds, x = TRUE)
lab <- function(x) sprintf("%s (n = %g)", x, n_score)

rows <- list(
  "residuals martingale" = c(elapsed(residuals(fit_s)), elapsed(residuals(fit_n))),
  "residuals deviance" = c(elapsed(residuals(fit_s, type = "deviance")),
                           elapsed(residuals(fit_n, type = "deviance"))),
  "residuals schoenfeld" = c(elapsed(residuals(fit_s, type = "schoenfeld")),
                             elapsed(residuals(fit_n, type = "schoenfeld"))),
  "residuals scaledsch" = c(elapsed(residuals(fit_s, type = "scaledsch")),
                            elapsed(residuals(fit_n, type = "scaledsch"))),
  "residuals score" = c(NA, elapsed(residuals(fit_n, type = "score"))),
  "residuals dfbeta" = c(NA, elapsed(residuals(fit_n, type = "dfbeta"))),
  "residuals dfbetas" = c(NA, elapsed(residuals(fit_n, type = "dfbetas"))),
  "cox_zph (km)" = c(elapsed(cox.zph(fit_s)), elapsed(cox_zph(fit_n))),
  "cox_zph (identity)" = c(elapsed(cox.zph(fit_s, transform = "identity")),
                           elapsed(cox_zph(fit_n, transform = "identity"))),
  "cox_curve (means)" = c(elapsed(survfit(fit_s)), elapsed(cox_curve(fit_n))),
  "cox_curve (3 profiles)" = c(elapsed(survfit(fit_s, newdata = nd)),
                               elapsed(cox_curve(fit_n, nd))),
  "predict expected + se" = c(elapsed(predict(fit_s, type = "expected", se.fit = TRUE)),
                              elapsed(predict(fit_n, type = "expected", se.fit = TRUE)))
)
rows[[lab("residuals score")]] <- c(elapsed(residuals(fit_s2, type = "score")),
                                    elapsed(residuals(fit_n2, type = "score")))
rows[[lab("residuals dfbeta")]] <- c(elapsed(residuals(fit_s2, type = "dfbeta")),
                                     elapsed(residuals(fit_n2, type = "dfbeta")))
rows[[lab("residuals dfbetas")]] <- c(elapsed(residuals(fit_s2, type = "dfbetas")),
                                      elapsed(residuals(fit_n2, type = "dfbetas")))
tab <- data.frame(task = names(rows),
                  survival_s = vapply(rows, `[`, 1, 1L),
                  netsurv_s = vapply(rows, `[`, 1, 2L))
# elapsed() resolves 1 ms: a 0.000 s netsurv time counts as 1 ms.
tab$ratio <- round(tab$survival_s / pmax(tab$netsurv_s, 1e-3), 1)
cat(sprintf("n = %g, p = %d, Efron ties, %d unique times, median of %d run(s)\n",
            n, p, length(unique(time)), reps))
print(tab, row.names = FALSE, digits = 3)
