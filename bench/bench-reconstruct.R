# bench-reconstruct.R -- reconstruct_ipd() against IPDfromKM (preprocess() +
# getIPD(), arm by arm) on the same digitised inputs, in one R process:
#  1. accuracy: round trips on survival::lung by sex, survival::veteran by trt,
#     survival::colon (death) by rx and a Radiationdata-shaped set (IPDfromKM's
#     own reconstruction of its example, see rt_radiation()) -- step corners
#     with +-1 pixel noise on a 1000 x 700 panel (seeds 1-10) and PNGs of five
#     sizes (800-1200 pixels wide) read back by digitise_curve() -- errors
#     against the original data (see tests/testthat/helper-reconstruct.R);
#     colon also from PNGs of ten more sizes (700-1500 pixels);
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
seeds <- 1:10
widths <- c(1000, 800, 900, 1100, 1200)
ds <- c(rt_datasets(), list(radiation = rt_radiation()))

summarise_errors <- function(e) {
  c(sup = max(e$arms$sup_shift), median = max(e$arms$median),
    rmst = max(e$arms$rmst), log_hr = e$log_hr)
}
png_curve <- function(d, width) {
  file <- tempfile(fileext = ".png")
  box <- rt_render(file, d$data, d$xlim, width = width, height = round(0.7 * width))
  cols <- rt_colours[seq_along(levels(d$data$arm))]
  names(cols) <- levels(d$data$arm)
  digitise_curve(file, cols, xlim = d$xlim, ylim = c(0, 1.02), box = box)
}

cat("== accuracy: largest error over arms, mean over seeds 1-10 (corners) or five image",
    "sizes (PNG); 'worse' counts the runs where netsurv's error exceeds IPDfromKM's\n")
rows <- list()
inputs <- list()
for (nm in names(ds)) {
  d <- ds[[nm]]
  at_risk <- rt_at_risk(d$data, d$ticks)
  arms <- levels(d$data$arm)
  for (method in c("corners", "png")) {
    runs <- if (method == "corners") seeds else widths
    errs <- lapply(runs, function(run) {
      curve <- if (method == "corners") rt_corners(d$data, d$xlim, run) else png_curve(d, run)
      if (run == runs[1]) inputs[[paste(nm, method)]] <<- list(curve = curve, at_risk = at_risk, arms = arms)
      ours <- summarise_errors(rt_errors(d$data, reconstruct_ipd(curve, at_risk), d$xlim))
      theirs <- summarise_errors(rt_errors(d$data, suppressWarnings(
        rt_ipdfromkm(curve, at_risk, arms)), d$xlim))
      rbind(netsurv = ours, IPDfromKM = theirs)
    })
    ours <- do.call(rbind, lapply(errs, function(x) x["netsurv", ]))
    theirs <- do.call(rbind, lapply(errs, function(x) x["IPDfromKM", ]))
    cell <- function(m) sprintf("%.4f / %.4f (%d)", mean(ours[, m]), mean(theirs[, m]),
                                sum(ours[, m] > theirs[, m] + 1e-12))
    rows[[length(rows) + 1]] <- data.frame(
      data = nm, input = method, curve = cell("sup"), median = cell("median"),
      rmst = cell("rmst"), log_hr = cell("log_hr"))
  }
}
acc <- do.call(rbind, rows)
cat("| data | input | curve | median | RMST | log HR |\n|---|---|---|---|---|---|\n")
cat(sprintf("| %s | %s | %s | %s | %s | %s |\n", acc$data, acc$input, acc$curve, acc$median,
            acc$rmst, acc$log_hr), sep = "")

cat("\n== colon (death) from PNGs of ten more sizes (700-1500 pixels wide), as above\n")
d <- ds$colon
at_risk <- rt_at_risk(d$data, d$ticks)
arms <- levels(d$data$arm)
more <- c(700, 750, 850, 950, 1050, 1150, 1250, 1300, 1400, 1500)
errs <- lapply(more, function(w) {
  curve <- png_curve(d, w)
  rbind(netsurv = summarise_errors(rt_errors(d$data, reconstruct_ipd(curve, at_risk), d$xlim)),
        IPDfromKM = summarise_errors(rt_errors(d$data, suppressWarnings(
          rt_ipdfromkm(curve, at_risk, arms)), d$xlim)))
})
ours <- do.call(rbind, lapply(errs, function(x) x["netsurv", ]))
theirs <- do.call(rbind, lapply(errs, function(x) x["IPDfromKM", ]))
cell <- function(m) sprintf("%.4f / %.4f (%d)", mean(ours[, m]), mean(theirs[, m]),
                            sum(ours[, m] > theirs[, m] + 1e-12))
cat(sprintf("| colon | PNG x10 | %s | %s | %s | %s |\n", cell("sup"), cell("median"), cell("rmst"),
            cell("log_hr")))
cat("median error per size (netsurv / IPDfromKM):",
    sprintf("%d: %.4f/%.4f", more, ours[, "median"], theirs[, "median"]), "\n")

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
