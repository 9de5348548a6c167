# make figures: render the layout test's case matrix (groups x sizes x point
# sizes x label lengths, base plot() and ggplot2 autoplot()), the par(mfrow)
# panels and the chan2012 vignette's figures as PNGs, plus one page per device
# (pdf, cairo_pdf, svg), with an index page, into output/figures/ (or the
# directory given as the first argument). Look at them: that is the test.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1L] else "output/figures"
dir.create(out, recursive = TRUE, showWarnings = FALSE)
suppressPackageStartupMessages(library(netsurv))

# The case matrix and its data: one definition, shared with the layout test
# (R/figure-cases.R).
figure_cases <- netsurv:::figure_cases
fit_for <- function(k, long) {
  d <<- netsurv:::figure_case_data(k, long)   # global: test = TRUE / hr = TRUE refit from the call
  if (k == 1) km(Surv(time, status) ~ 1, data = d) else km(Surv(time, status) ~ arm, data = d)
}
rows <- list()
add <- function(file, caption) rows[[length(rows) + 1L]] <<- c(file, caption)
png_fig <- function(name, w, h, ps, code, caption) {
  f <- file.path(out, paste0(name, ".png"))
  grDevices::png(f, width = w, height = h, units = "in", res = 120, pointsize = ps)
  msg <- character(0)
  withCallingHandlers(force(code), message = function(m) {
    msg <<- c(msg, conditionMessage(m)); invokeRestart("muffleMessage")
  })
  grDevices::dev.off()
  add(basename(f), paste0(caption, if (length(msg)) paste0(" -- ", paste(trimws(msg), collapse = " / "))))
}

cases <- figure_cases("plot", full = TRUE)
for (i in seq_len(nrow(cases))) {
  k <- cases$k[i]
  long <- cases$long[i]
  sz <- c(cases$width[i], cases$height[i], cases$pointsize[i])
  fit <- fit_for(k, long)
  name <- sprintf("base-%gx%g-%gpt-%02dgroups-%s", sz[1], sz[2], sz[3], k, if (long) "long" else "short")
  png_fig(name, sz[1], sz[2], sz[3],
          plot(fit, xlab = "Days", test = k > 1, hr = k > 1, conf.int = TRUE, panel = "A",
               median.lines = TRUE),
          sprintf("plot(): %g x %g in, %g pt, %d groups, %s labels", sz[1], sz[2], sz[3], k,
                  if (long) "60-character" else "short"))
}
# years on the axis, cumulative incidence, KMunicate rows, cox_curve
lung <- km(Surv(time, status) ~ sex, data = survival::lung)
png_fig("feature-xscale-event", 5, 4.5, 10,
        plot(lung, xscale = 365.25, xlab = "Years", fun = "event", conf.int = TRUE,
             risk.counts = c("n.risk", "events", "censored"), test = TRUE, hr = TRUE),
        "lung by sex: fun = \"event\", xscale = 365.25 (years), KMunicate rows")
png_fig("feature-cumhaz", 5, 4.5, 10, plot(lung, fun = "cumhaz", xlab = "Days", conf.int = TRUE),
        "fun = \"cumhaz\"")
png_fig("feature-cloglog", 5, 4.5, 10, plot(lung, fun = "cloglog", xlab = "Days"),
        "fun = \"cloglog\" (log time axis)")
vet <- km(Surv(time, status) ~ celltype + trt, data = survival::veteran)
png_fig("feature-veteran-8groups", 7, 5, 12, plot(vet, xlab = "Days", hr = TRUE, test = TRUE),
        "veteran, celltype + trt (8 groups), hr = TRUE: one HR per group")
cf <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
nd <- data.frame(age = c(50, 70), sex = c(1, 2))
png_fig("feature-cox-curve", 5, 4.5, 10,
        plot(cox_curve(cf, newdata = nd), xlab = "Days", conf.int = TRUE),
        "cox_curve(): labelled by covariate values, no risk table")
png_fig("feature-lines-abline", 5, 4.5, 10, {
  plot(lung, xlab = "Days")
  abline(h = 50, col = "red", lty = 2)
  abline(v = 365, col = "red", lty = 2)
  lines(km(Surv(time, status) ~ 1, data = survival::lung), col = "grey40", mark.time = FALSE)
}, "abline(h = 50), abline(v = 365) and lines() after plot() land on the curve panel")
png_fig("mfrow-2x2-3.5in", 7, 7, 10, {
  op <- par(mfrow = c(2, 2))
  for (i in 1:4) plot(fit_for(c(2, 7, 1, 12)[i], i == 2), panel = LETTERS[i], xlab = "Days",
                      test = i != 3)
  par(op)
}, "par(mfrow = c(2, 2)) on 7 x 7 in: 2 groups, 7 long labels, 1 curve, 12 groups")

# the chan2012 vignette's figures
chan <- netsurv::chan2012
pfs <- km(Surv(pfs_months, pfs_event) ~ subtype, data = chan, conf.type = "log-log")
os <- km(Surv(os_months, os_event) ~ subtype, data = chan, conf.type = "log-log")
pfs_all <- km(Surv(pfs_months, pfs_event) ~ 1, data = chan, conf.type = "log-log")
os_all <- km(Surv(os_months, os_event) ~ 1, data = chan, conf.type = "log-log")
lab <- c("Carcinoid", "Pancreatic NET")
lr_pfs <- logrank(Surv(pfs_months, pfs_event) ~ subtype, data = chan)
lr_os <- logrank(Surv(os_months, os_event) ~ subtype, data = chan)
cox_pfs <- cox(Surv(pfs_months, pfs_event) ~ subtype, data = chan)
cox_os <- cox(Surv(os_months, os_event) ~ subtype, data = chan)
panels <- list(
  A = function() plot(pfs, xlab = "Time (months)", ylab = "Progression-free survival (%)",
                      labels = lab, test = lr_pfs, hr = cox_pfs, median.lines = TRUE, panel = "A"),
  B = function() plot(os, xlab = "Time (months)", ylab = "Overall survival (%)", labels = lab,
                      xbreaks = seq(0, 72, 12), test = lr_os, hr = cox_os, median.lines = TRUE,
                      panel = "B"),
  C = function() plot(pfs_all, xlab = "Time (months)", ylab = "Progression-free survival (%)",
                      conf.int = TRUE, median.lines = TRUE, panel = "C"),
  D = function() plot(os_all, xlab = "Time (months)", ylab = "Overall survival (%)",
                      conf.int = TRUE, xbreaks = seq(0, 72, 12), median.lines = TRUE, panel = "D"))
for (p in names(panels))
  png_fig(paste0("vignette-fig1", p), 3.5, if (p %in% c("A", "B")) 4.1 else 3.8, 8, panels[[p]](),
          paste0("chan2012 vignette, Figure 1", p, " (3.5 in, 8 pt)"))
png_fig("vignette-fig1-2x2", 7, 7.4, 10, {
  op <- par(mfrow = c(2, 2)); for (p in names(panels)) panels[[p]](); par(op)
}, "chan2012 vignette, Figure 1 A-D as one 7 x 7.4 in figure (10 pt)")
if (requireNamespace("ggplot2", quietly = TRUE)) {
  pd <- km_plot_data(pfs, labels = lab, test = lr_pfs, hr = cox_pfs)
  png_fig("vignette-fig2-ggplot", 5, 4.2, 12,
          print(ggplot2::autoplot(pd, xlab = "Time (months)", ylab = "Progression-free survival (%)")),
          "chan2012 vignette, Figure 2 (ggplot2, 5 x 4.2 in)")
  cases <- figure_cases("autoplot", full = TRUE)
  for (i in seq_len(nrow(cases))) {
    k <- cases$k[i]
    long <- cases$long[i]
    bw <- cases$theme[i] == "bw"
    sz <- c(cases$width[i], cases$height[i])
    g <- ggplot2::autoplot(fit_for(k, long), xlab = "Days", test = k > 1, hr = k > 1)
    if (bw) g <- g + ggplot2::theme_bw() + ggplot2::labs(title = "theme_bw() + labs(title)")
    png_fig(sprintf("ggplot-%gx%g-%02dgroups-%s%s", sz[1], sz[2], k, if (long) "long" else "short",
                    if (bw) "-bw" else ""), sz[1], sz[2], cases$pointsize[i], print(g),
            sprintf("autoplot(): %g x %g in, %d groups, %s labels%s", sz[1], sz[2], k,
                    if (long) "60-character" else "short", if (bw) ", + theme_bw()" else ""))
  }
}
# the other devices (one page each)
for (dev in c("pdf", "cairo_pdf", "svg")) {
  f <- file.path(out, paste0("device-", dev, ".", if (dev == "svg") "svg" else "pdf"))
  switch(dev, pdf = grDevices::pdf(f, 3.5, 3.8, pointsize = 8),
         cairo_pdf = grDevices::cairo_pdf(f, 3.5, 3.8, pointsize = 8),
         svg = grDevices::svg(f, 3.5, 3.8, pointsize = 8))
  suppressMessages(panels$A())
  grDevices::dev.off()
  add(basename(f), paste("Figure 1A on the", dev, "device"))
}

html <- c("<!doctype html><html><head><meta charset='utf-8'><title>netsurv figures</title>",
          "<style>body{font-family:sans-serif} figure{display:inline-block;margin:8px;",
          "vertical-align:top;max-width:520px} img{max-width:500px;border:1px solid #ccc}",
          "figcaption{font-size:12px}</style></head><body><h1>netsurv figures</h1>",
          vapply(rows, function(r) if (grepl("\\.png$", r[1])) sprintf(
            "<figure><a href='%s'><img src='%s'></a><figcaption>%s</figcaption></figure>",
            r[1], r[1], r[2]) else sprintf("<p><a href='%s'>%s</a>: %s</p>", r[1], r[1], r[2]), ""),
          "</body></html>")
writeLines(html, file.path(out, "index.html"))
cat(length(rows), "figures in", out, "\n")
