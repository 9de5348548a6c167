# Shared by the Cox-diagnostics tests: generated data with tied times,
# weights, strata and (start, stop] intervals. (The tight controls are in
# helper-netsurv.R.)

gen_cox_data <- function(n = 400, seed = 1) {
  set.seed(seed)
  x1 <- rnorm(n)
  x2 <- rbinom(n, 1, 0.4)
  grp <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
  st <- sample(1:2, n, replace = TRUE)
  haz <- exp(0.5 * x1 - 0.7 * x2 + 0.3 * (grp == "b"))
  t <- round(rexp(n, haz) * 20) + 1          # many ties
  cens <- round(runif(n, 5, 60))
  time <- pmin(t, cens)
  status <- as.integer(t <= cens)
  w <- as.numeric(sample(1:3, n, replace = TRUE)) # integer: coxph turns robust for fractional weights
  start <- pmax(0, time - round(runif(n, 1, 30)))
  start[start >= time] <- time[start >= time] - 0.5
  data.frame(time, status, x1, x2, grp, st, w, start)
}
