# cox-data.R -- the generated cohort both Cox benchmarks time (sourced by
# bench-cox.R and bench-cox-diagnostics.R; not a benchmark itself): n rows, p
# normal covariates with log hazard ratios from -0.5 to 0.5, event times
# rounded to 0.01 (many ties), ~70% events, and for (start, stop] data each
# subject's follow-up split at a random time.
cox_bench_data <- function(n, p, seed = 42) {
  set.seed(seed)
  X <- matrix(rnorm(n * p), n, p, dimnames = list(NULL, paste0("x", seq_len(p))))
  beta <- seq(-0.5, 0.5, length.out = p)
  time <- round(rexp(n, exp(drop(X %*% beta))) * 100) / 100 + 0.01
  status <- rbinom(n, 1, 0.7)
  start <- round(time * runif(n), 2)
  start[start > time - 0.005] <- 0  # no intervals shorter than the rounding
  list(X = X, time = time, status = status, start = start,
       formula = as.formula(paste("Surv(time, status) ~", paste(colnames(X), collapse = " + "))),
       formula_counting = as.formula(paste("Surv(start, time, status) ~",
                                           paste(colnames(X), collapse = " + "))))
}
