# bench-reconstruct.R -- reconstruct_ipd() against IPDfromKM (preprocess() +
# getIPD(), arm by arm) on the same digitised inputs, in one R process:
#  1. accuracy: round trips on survival::lung by sex, survival::veteran by trt
#     and survival::colon (death) by rx -- step corners with +-1 pixel noise
#     on a 1000 x 700 panel (seeds 1-5) and a rendered PNG read back by
#     digitise_curve() -- errors against the original data (see
#     tests/testthat/helper-reconstruct.R for the definitions);
#  2. speed: the two interleaved, a full gc() before each timed call, median
#     of `reps` runs, quoted as ratios.
# Run from the package root: R_LIBS=lib Rscript bench/bench-reconstruct.R
suppressPackageStartupMessages({
  library(survival)
  library(netsurv)
  library(IPDfromKM)
})
source("tests/testthat/helper-reconstruct.R")

reps <- 7L
seeds <- 1:5
ds <- rt_datasets()

summarise_errors <- function(e) {
  c(sup = max(e$arms$sup_shift), median = max(e$arms$median),
    rmst = max(e$arms$rmst), log_hr = e$log_hr)
}

cat("== accuracy (max over arms; corners: mean and max over seeds 1-5)\n")
rows <- list()
inputs <- list()
for (nm in names(ds)) {
  d <- ds[[nm]]
  at_risk <- rt_at_risk(d$data, d$ticks)
  arms <- levels(d$data$arm)
  for (method in c("corners", "png")) {
    errs <- lapply(if (method == "corners") seeds else 1L, function(seed) {
      curve <- if (method == "corners") rt_corners(d$data, d$xlim, seed) else
        rt_digitise_png(d$data, d$xlim)
      if (seed == 1L) inputs[[paste(nm, method)]] <<- list(curve = curve, at_risk = at_risk, arms = arms)
      ours <- summarise_errors(rt_errors(d$data, reconstruct_ipd(curve, at_risk), d$xlim))
      theirs <- summarise_errors(rt_errors(d$data, suppressWarnings(
        rt_ipdfromkm(curve, at_risk, arms)), d$xlim))
      rbind(netsurv = ours, IPDfromKM = theirs)
    })
    for (who in c("netsurv", "IPDfromKM")) {
      m <- do.call(rbind, lapply(errs, function(x) x[who, ]))
      rows[[length(rows) + 1]] <- data.frame(
        data = nm, input = method, method = who,
        sup_mean = mean(m[, "sup"]), sup_max = max(m[, "sup"]),
        median_max = max(m[, "median"]), rmst_max = max(m[, "rmst"]),
        loghr_mean = mean(m[, "log_hr"]), loghr_max = max(m[, "log_hr"]))
    }
  }
}
acc <- do.call(rbind, rows)
num <- vapply(acc, is.numeric, TRUE)
acc[num] <- lapply(acc[num], round, 4)
print(acc, row.names = FALSE)

cat("\n== Radiationdata (IPDfromKM's example; published HR 0.68, 0.52-0.89)\n")
R <- Radiationdata
rad_arms <- c("Radiotherapy", "Radiotherapy plus cetuximab")
rad_curve <- rbind(data.frame(time = R$radio$V1, survival = R$radio$V2, arm = rad_arms[1]),
                   data.frame(time = R$radioplus$V1, survival = R$radioplus$V2, arm = rad_arms[2]))
rad_risk <- rbind(data.frame(time = R$trisk[1:6], n = R$nrisk.radio, arm = rad_arms[1]),
                  data.frame(time = R$trisk[1:6], n = R$nrisk.radioplus, arm = rad_arms[2]))
rad_curve$survival <- rad_curve$survival / 100
hr <- function(ipd) {
  f <- coxph(Surv(time, status) ~ arm, data = ipd)
  sprintf("%.3f (%.3f-%.3f)", exp(coef(f)), exp(confint(f))[1], exp(confint(f))[2])
}
cat("netsurv  ", hr(reconstruct_ipd(rad_curve, rad_risk)), "\n")
cat("IPDfromKM", hr(suppressWarnings(rt_ipdfromkm(rad_curve, rad_risk, rad_arms))), "\n")
inputs[["Radiationdata"]] <- list(curve = rad_curve, at_risk = rad_risk, arms = rad_arms)

cat("\n== speed: median of", reps, "interleaved runs, gc() before each; this 2-core machine is",
    "shared with other jobs, so ratios are what to quote\n")
timed <- function(f) {
  gc(FALSE)
  system.time(f())[["elapsed"]]
}
speed <- do.call(rbind, lapply(names(inputs), function(nm) {
  x <- inputs[[nm]]
  ours <- function() reconstruct_ipd(x$curve, x$at_risk)
  theirs <- function() suppressWarnings(rt_ipdfromkm(x$curve, x$at_risk, x$arms))
  t_ours <- t_theirs <- numeric(reps)
  for (i in seq_len(reps)) {
    t_theirs[i] <- timed(theirs)
    t_ours[i] <- timed(ours)
  }
  data.frame(input = nm, points = nrow(x$curve), IPDfromKM_s = median(t_theirs),
             netsurv_s = median(t_ours), ratio = median(t_theirs) / median(t_ours))
}))
speed[3:5] <- lapply(speed[3:5], signif, 3)
print(speed, row.names = FALSE)
