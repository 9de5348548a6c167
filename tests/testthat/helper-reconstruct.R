# Round trips for reconstruct_ipd() and digitise_curve(): draw a KM figure of
# public individual data, digitise it, reconstruct, compare with the data.
# Shared by test-reconstruct.R, test-digitise.R and bench/bench-reconstruct.R.

# The three public data sets, each with its arm column, x range and ticks.
rt_datasets <- function() {
  lung <- survival::lung
  lung <- data.frame(time = lung$time, status = lung$status - 1L,
                     arm = factor(lung$sex, 1:2, c("Male", "Female")))
  vet <- survival::veteran
  vet <- data.frame(time = vet$time, status = vet$status,
                    arm = factor(vet$trt, 1:2, c("Standard", "Test")))
  colon <- survival::colon[survival::colon$etype == 2, ]  # death
  colon <- data.frame(time = colon$time, status = colon$status, arm = colon$rx)
  list(
    lung = list(data = lung, xlim = c(0, 1050), ticks = seq(0, 1000, 200)),
    veteran = list(data = vet, xlim = c(0, 1000), ticks = seq(0, 900, 100)),
    colon = list(data = colon, xlim = c(0, 3400), ticks = seq(0, 3000, 500))
  )
}

# A fourth data set shaped like a published trial: patients drawn (seed 1)
# from IPDfromKM's Radiationdata (Bonner et al. 2006, digitised with ScanIt;
# 213 and 211 patients, numbers at risk every 10 months to 50): event times
# from the digitised curve S(t) read as a step function; censoring times from
# the distribution G that the numbers at risk imply, G(T_i) = n_i / (n_0
# S(T_i)), made non-increasing, linear between the ticks and 0 at the curve's
# end (administrative censoring). Neither method made these data. NULL when
# IPDfromKM is not installed.
rt_radiation <- function() {
  if (!requireNamespace("IPDfromKM", quietly = TRUE)) return(NULL)
  env <- new.env()
  utils::data("Radiationdata", package = "IPDfromKM", envir = env)
  R <- env$Radiationdata
  arms <- c("Radiotherapy", "Radiotherapy plus cetuximab")
  pts <- list(R$radio, R$radioplus)
  nrisk <- list(R$nrisk.radio, R$nrisk.radioplus)
  ticks <- R$trisk[1:6]
  old <- if (exists(".Random.seed", globalenv())) get(".Random.seed", globalenv()) else NULL
  on.exit(if (!is.null(old)) assign(".Random.seed", old, globalenv()))
  set.seed(1)
  data <- do.call(rbind, lapply(1:2, function(k) {
    p <- pts[[k]][order(pts[[k]]$V1), ]
    t <- pmax(p$V1, 0); s <- cummin(pmin(p$V2 / 100, 1))
    end <- max(t)
    n0 <- nrisk[[k]][1]
    S_at <- stats::stepfun(t, c(1, s))
    G <- cummin(pmin(nrisk[[k]] / (n0 * S_at(ticks - 1e-9)), 1))
    u <- stats::runif(n0); v <- stats::runif(n0)
    # T = first point time with S <= u; beyond the curve when S(end) > u
    ev <- vapply(u, function(x) { i <- which(s <= x); if (length(i)) t[i[1]] else Inf }, 0)
    cen <- stats::approx(c(0, rev(G)), c(end, rev(ticks)), xout = v, ties = min)$y
    cen[v > 1] <- 0
    time <- pmin(ev, cen)
    data.frame(time = pmax(round(time, 2), 0.01), status = as.integer(ev <= cen),
               arm = factor(arms[k], levels = arms))
  }))
  curve <- rbind(data.frame(time = R$radio$V1, survival = R$radio$V2 / 100, arm = arms[1]),
                 data.frame(time = R$radioplus$V1, survival = R$radioplus$V2 / 100, arm = arms[2]))
  at_risk <- rbind(data.frame(time = ticks, n = R$nrisk.radio, arm = arms[1]),
                   data.frame(time = ticks, n = R$nrisk.radioplus, arm = arms[2]))
  list(data = data, xlim = c(0, 70), ticks = seq(0, 50, 10), curve = curve, at_risk = at_risk)
}

rt_colours <- c("red", "blue", "darkgreen")

# Published numbers at risk at the ticks (ticks after an arm's last time with
# nobody at risk are kept as 0, as journals print them).
rt_at_risk <- function(data, ticks) {
  do.call(rbind, lapply(levels(data$arm), function(a) {
    t <- data$time[data$arm == a]
    data.frame(time = ticks, n = vapply(ticks, function(x) sum(t >= x), 0),
               arm = a, stringsAsFactors = FALSE)
  }))
}

# (a) exact step corners of each arm's KM curve with uniform noise of +-1
# pixel on a 1000 x 700 pixel panel, rows shuffled.
rt_corners <- function(data, xlim, seed) {
  set.seed(seed)
  out <- do.call(rbind, lapply(levels(data$arm), function(a) {
    f <- survival::survfit(survival::Surv(time, status) ~ 1, data = data[data$arm == a, ])
    t <- c(0, rep(f$time, each = 2))
    s <- c(1, 1, rep(f$surv, each = 2))[seq_along(t)]
    data.frame(time = t + stats::runif(length(t), -1, 1) * diff(xlim) / 1000,
               survival = s + stats::runif(length(s), -1, 1) / 700,
               arm = a, stringsAsFactors = FALSE)
  }))
  out[sample(nrow(out)), ]
}

# (b) a PNG drawn with base graphics (shaded confidence bands in a lighter
# shade, censoring marks), returning the panel's pixel box.
rt_render <- function(file, data, xlim, ylim = c(0, 1.02), width = 1000, height = 700) {
  fit <- survival::survfit(survival::Surv(time, status) ~ arm, data = data)
  cols <- rt_colours[seq_along(levels(data$arm))]
  grDevices::png(file, width = width, height = height)
  on.exit(grDevices::dev.off())
  graphics::par(mar = c(5, 5, 2, 2), xaxs = "i", yaxs = "i")
  graphics::plot(NA, xlim = xlim, ylim = ylim, xlab = "Time", ylab = "Survival")
  strata <- rep(seq_along(fit$strata), fit$strata)
  for (k in seq_along(cols)) {
    i <- strata == k
    t <- c(0, fit$time[i]); lo <- c(1, fit$lower[i]); up <- c(1, fit$upper[i])
    lo[is.na(lo)] <- 0; up[is.na(up)] <- 1
    xs <- c(rep(t, each = 2)[-1], t[length(t)])
    graphics::polygon(c(xs, rev(xs)), c(rep(up, each = 2), rev(rep(lo, each = 2))),
                      col = grDevices::adjustcolor(cols[k], 0.2), border = NA)
  }
  graphics::lines(fit, col = cols, lwd = 2, mark.time = TRUE)
  c(graphics::grconvertX(xlim, "user", "device"),
    graphics::grconvertY(rev(ylim), "user", "device"))
}

rt_digitise_png <- function(data, xlim, file = tempfile(fileext = ".png"), width = 1000) {
  box <- rt_render(file, data, xlim, width = width, height = round(0.7 * width))
  cols <- rt_colours[seq_along(levels(data$arm))]
  names(cols) <- levels(data$arm)
  digitise_curve(file, cols, xlim = xlim, ylim = c(0, 1.02), box = box)
}

# Errors of a reconstruction against the original data, per arm: the largest
# |S_rec(t) - S(t)| on a grid of 2000 points once a time shift of up to 0.6%
# of the x range is allowed (and without), the difference of medians, of
# RMST at tau (the shortest arm's last time); and the largest |log HR| error.
rt_errors <- function(orig, rec, xlim) {
  range <- diff(xlim)
  shift <- 0.006 * range
  tau <- min(tapply(orig$time, orig$arm, max))
  step_fun <- function(d) {
    f <- survival::survfit(survival::Surv(time, status) ~ 1, data = d)
    stats::stepfun(f$time, c(1, f$surv))
  }
  rmst <- function(S, tau) {
    k <- stats::knots(S); k <- k[k < tau]
    x <- c(0, k, tau)
    sum(diff(x) * S(x[-length(x)]))
  }
  med <- function(d) unname(summary(survival::survfit(survival::Surv(time, status) ~ 1,
                                                       data = d))$table["median"])
  per_arm <- do.call(rbind, lapply(levels(orig$arm), function(a) {
    o <- orig[orig$arm == a, ]; r <- rec[rec$arm == a, ]
    S <- step_fun(o); R <- step_fun(r)
    g <- seq(0, max(o$time), length.out = 2000)
    s <- S(g); lo <- R(g + shift); hi <- R(pmax(g - shift, 0))
    sup_shift <- max(pmax(lo - s, s - hi, 0))
    m0 <- med(o); m1 <- med(r)
    data.frame(arm = a, sup = max(abs(s - R(g))), sup_shift = sup_shift,
               median = if (is.na(m0) && is.na(m1)) 0 else abs(m1 - m0) / range,
               rmst = abs(rmst(R, tau) - rmst(S, tau)) / tau,
               stringsAsFactors = FALSE)
  }))
  b0 <- stats::coef(survival::coxph(survival::Surv(time, status) ~ arm, data = orig))
  b1 <- stats::coef(survival::coxph(survival::Surv(time, status) ~ arm, data = rec))
  list(arms = per_arm, log_hr = max(abs(b1 - b0)), hr = exp(b1), hr_orig = exp(b0))
}

# IPDfromKM on the same inputs, arm by arm, as a data frame like ours.
# IPDfromKM's preprocess() calls dplyr's n() unqualified (and sets a local
# `n` to NULL), so it only runs with dplyr attached: attach it for the call
# and detach it afterwards, so that other tests see the usual search path.
rt_ipdfromkm <- function(curve, at_risk, arms) {
  if (!"package:dplyr" %in% search()) {
    suppressPackageStartupMessages(attachNamespace("dplyr"))
    on.exit(detach("package:dplyr"), add = TRUE)
  }
  do.call(rbind, lapply(seq_along(arms), function(i) {
    a <- arms[i]
    pts <- curve[curve$arm == a, c("time", "survival")]
    ar <- at_risk[at_risk$arm == a, ]
    ar <- ar[ar$time <= max(pts$time), ]
    prep <- IPDfromKM::preprocess(dat = pts, trisk = ar$time, nrisk = ar$n, maxy = 1)
    ipd <- IPDfromKM::getIPD(prep = prep, armID = i)$IPD
    data.frame(time = ipd$time, status = ipd$status,
               arm = factor(a, levels = arms))
  }))
}
