# figure-cases.R -- the matrix of figure cases (groups x figure sizes x point
# sizes x label lengths) on which the measured layout is checked: a subset by
# the layout test (tests/testthat/test-plot-layout.R, read back with
# pdftotext -bbox), all of it by `make figures` (tools/render-figures.R), which
# renders PNGs to look at. One definition, so that the two cannot drift apart.
# Internal (netsurv:::figure_cases()).

# Simulated survival data for a case: k groups of n rows with rising hazards,
# labelled "Group 1", ... or (long = TRUE) with 60-character labels.
figure_case_data <- function(k, long = FALSE, n = 30, seed = 1) {
  set.seed(seed)
  g <- rep(seq_len(k), each = n)
  time <- round(stats::rexp(k * n, rate = 0.02 * (1 + g / 4)) * 30 + 1)
  status <- stats::rbinom(k * n, 1, 0.75)
  lab <- if (long) substr(paste0("Arm ", seq_len(k), ": a long descriptive label of this ",
                                 "treatment group and its dose schedule"), 1, 60)
         else paste0("Group ", seq_len(k))
  data.frame(time = time, status = status, arm = factor(lab[g], levels = lab))
}

# The cases, one row each: k (groups), long (labels), width, height (inches),
# pointsize and size (their label, "3.5x3.8@8"); for ggplot2's autoplot() also theme ("classic" or "bw", the
# latter with a title). which: "plot" or "autoplot"; full: every case (make
# figures) rather than the test's subset. One curve has no long labels.
figure_cases <- function(which = c("plot", "autoplot"), full = FALSE) {
  which <- match_choice(which, c("plot", "autoplot"), "which")
  k <- if (full) c(1, 2, 4, 7, 12) else c(1, 2, 7, 12)
  if (which == "plot") {
    sizes <- list(c(3, 3, 8), c(3.5, 3.8, 8), c(5, 4, 10), c(7, 5, 12), c(12, 9, 14),
                  c(3, 3, 14))
    if (!full) sizes <- sizes[-3L]
    themes <- "classic"
  } else {
    k <- c(1, 2, 7, 12)
    sizes <- if (full) list(c(3.5, 3.5, 10), c(5, 4.2, 10), c(7, 5, 10))
             else list(c(3.5, 3.5, 10), c(7, 5, 10))
    themes <- c("classic", "bw")
  }
  size <- do.call(rbind, sizes)
  cases <- expand.grid(k = k, long = c(FALSE, TRUE), size = seq_along(sizes), theme = themes,
                       stringsAsFactors = FALSE)
  cases <- cases[!(cases$k == 1 & cases$long), ]
  # the test draws theme_bw() only where it adds something: short labels, 2 or 12 groups
  if (which == "autoplot" && !full)
    cases <- cases[!(cases$theme == "bw" & (cases$long | cases$k %in% c(1, 7))), ]
  out <- data.frame(k = cases$k, long = cases$long, width = size[cases$size, 1L],
                    height = size[cases$size, 2L], pointsize = size[cases$size, 3L],
                    theme = cases$theme, stringsAsFactors = FALSE)
  out$size <- sprintf("%gx%g@%g", out$width, out$height, out$pointsize)
  if (which == "plot") out$theme <- NULL
  out
}
