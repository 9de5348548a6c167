# subgroup_hr() against coxph() per subgroup and anova() of nested coxph fits;
# the forest plot's layout read back from a PDF with pdftotext -bbox.

colon_data <- function() {
  colon <- survival::colon[survival::colon$etype == 2 & survival::colon$rx != "Lev", ]
  colon$rx <- droplevels(colon$rx)
  colon$age_group <- cut(colon$age, c(0, 50, 65, Inf), c("< 50", "50-64", ">= 65"))
  colon$sex <- factor(colon$sex, 0:1, c("Female", "Male"))
  colon$differentiation <- factor(colon$differ, 1:3, c("Well differentiated",
                                  "Moderately differentiated", "Poorly differentiated"))
  colon
}

check_against_coxph <- function(fit, d, arm, subgroups, ties = "efron", level = 0.95) {
  z <- qnorm(1 - (1 - level) / 2)
  t <- fit$table
  f <- as.formula(paste("Surv(time, status) ~", arm))
  o <- coxph(f, data = d, ties = ties)
  expect_equal(t$estimate[1], unname(exp(coef(o))), tolerance = 1e-6)
  expect_equal(t$std.error[1], sqrt(o$var[1, 1]), tolerance = 1e-6)
  for (v in subgroups) {
    g <- d[[v]]
    known <- !is.na(g)
    dd <- d[known, ]
    dd$g <- factor(g[known])
    main <- suppressWarnings(coxph(update(f, . ~ . + g), data = dd, ties = ties))
    full <- suppressWarnings(coxph(as.formula(paste("Surv(time, status) ~", arm, "* g")),
                                   data = dd, ties = ties))
    lrt <- 2 * (full$loglik[2] - main$loglik[2])
    df <- sum(!is.na(coef(full))) - sum(!is.na(coef(main)))
    rows <- t[t$variable == v, ]
    expect_equal(rows$p.interaction[1], pchisq(lrt, df, lower.tail = FALSE), tolerance = 1e-6)
    expect_equal(rows$df.interaction[1], df)
    for (l in levels(dd$g)) {
      r <- rows[rows$level == l, ]
      sub <- dd[dd$g == l, ]
      ref <- sub[[arm]] == levels(factor(d[[arm]]))[1]
      expect_equal(c(r$n, r$n.ref, r$events.ref, r$n.trt, r$events.trt),
                   c(nrow(sub), sum(ref), sum(sub$status[ref]), sum(!ref), sum(sub$status[!ref])))
      if (sum(sub$status[ref]) == 0 || sum(sub$status[!ref]) == 0 || all(ref) || !any(ref)) {
        expect_true(is.na(r$estimate))
        next
      }
      warned <- FALSE
      o <- withCallingHandlers(coxph(f, data = sub, ties = ties), warning = function(w) {
        warned <<- TRUE
        invokeRestart("muffleWarning")
      })
      if (warned) {
        expect_true(is.na(r$estimate))
        expect_match(r$note, "monotone")
        next
      }
      b <- unname(coef(o)); se <- sqrt(o$var[1, 1])
      expect_equal(r$estimate, exp(b), tolerance = 1e-6)
      expect_equal(c(r$conf.low, r$conf.high), exp(b + c(-1, 1) * z * se), tolerance = 1e-6)
      expect_equal(r$p.value, 2 * pnorm(-abs(b / se)), tolerance = 1e-6)
    }
  }
}

test_that("colon: HRs, intervals, counts and interaction p equal coxph", {
  colon <- colon_data()
  subs <- c("sex", "age_group", "node4", "differentiation", "obstruct", "perfor")
  fit <- subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = subs)
  check_against_coxph(fit, colon, "rx", subs)
  fit <- subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = subs, ties = "breslow",
                     conf.level = 0.9)
  check_against_coxph(fit, colon, "rx", subs, ties = "breslow", level = 0.9)
  # differ has missing values: those rows leave that variable's rows and test only
  expect_equal(sum(fit$table$n[fit$table$variable == "differentiation"]),
               sum(!is.na(colon$differ)))
})

test_that("seeded random trials (ties, small and empty subgroups) equal coxph", {
  for (s in 1:12) {
    set.seed(s)
    n <- sample(40:150, 1)
    d <- data.frame(arm = sample(c("ctl", "exp"), n, replace = TRUE),
                    g1 = sample(c("a", "b", "c"), n, replace = TRUE, prob = c(0.6, 0.3, 0.1)),
                    g2 = sample(c(TRUE, FALSE), n, replace = TRUE))
    t <- rexp(n, ifelse(d$arm == "exp", 0.07, 0.1)); c <- runif(n, 1, 25)
    d$time <- ceiling(pmin(t, c)); d$status <- as.integer(t <= c)
    d$g1[sample(n, 3)] <- NA
    fit <- subgroup_hr(Surv(time, status) ~ arm, data = d, subgroups = c("g1", "g2"))
    check_against_coxph(fit, d, "arm", c("g1", "g2"))
  }
})

test_that("a subgroup level without events in an arm has counts and no HR", {
  d <- data.frame(time = c(1:12), status = c(1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0),
                  arm = rep(c("A", "B"), 6), g = rep(c("x", "y"), each = 6))
  d$status[d$g == "y" & d$arm == "A"] <- 0
  fit <- subgroup_hr(Surv(time, status) ~ arm, data = d, subgroups = "g")
  r <- fit$table[fit$table$level %in% "y", ]
  expect_true(is.na(r$estimate))
  expect_equal(r$note, "no events in an arm")
  expect_output(print(fit), "no events in an arm")
})

test_that("errors name the argument", {
  colon <- colon_data()
  expect_error(subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = "nope"),
               "`subgroups`: `nope` is not a column of `data`")
  expect_error(subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = "age"),
               "`subgroups`: `age` is numeric with")
  expect_error(subgroup_hr(Surv(time, status) ~ rx, data = colon), "`subgroups` must name")
  expect_error(subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = "rx"), "arm variable")
  expect_error(subgroup_hr(Surv(time, status) ~ rx, data = survival::colon, subgroups = "sex"),
               "compares exactly 2 arms")
  expect_error(subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = "sex", ties = "exact"),
               "`ties`")
  fit <- subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = "sex")
  expect_error(plot(fit, foo = 1), "`foo` is not used")
  expect_equal(names(tidy(fit))[1:3], c("term", "variable", "level"))
})

# ---- the forest plot's layout -------------------------------------------------

# Word boxes of a one-page PDF (points, origin top-left) from pdftotext -bbox.
pdf_words <- function(file) {
  html <- tempfile(fileext = ".html")
  system2("pdftotext", c("-bbox", shQuote(file), shQuote(html)))
  lines <- readLines(html, warn = FALSE)
  page <- regmatches(lines, regexpr('<page width="[0-9.]+" height="[0-9.]+"', lines))
  size <- as.numeric(regmatches(page, gregexpr("[0-9.]+", page))[[1]])
  w <- grep("<word ", lines, value = TRUE)
  num <- function(attr) as.numeric(sub(paste0('.*', attr, '="([0-9.]+)".*'), "\\1", w))
  list(page = size, words = data.frame(text = sub(".*>(.*)</word>.*", "\\1", w),
                                       x0 = num("xMin"), y0 = num("yMin"), x1 = num("xMax"),
                                       y1 = num("yMax"), stringsAsFactors = FALSE))
}

# What is wrong with a figure's text: words off the page, overlapping words.
layout_problems <- function(file) {
  p <- pdf_words(file)
  w <- p$words
  problems <- character()
  if (nrow(w) < 2L) return("fewer than two words")
  off <- w$x0 < -0.01 | w$y0 < -0.01 | w$x1 > p$page[1] + 0.01 | w$y1 > p$page[2] + 0.01
  if (any(off)) problems <- c(problems, paste("off the page:", w$text[off]))
  # no two words overlap (0.3 pt of slack for glyph side bearings)
  overlap_x <- outer(w$x1, w$x1, pmin) - outer(w$x0, w$x0, pmax)
  overlap_y <- outer(w$y1, w$y1, pmin) - outer(w$y0, w$y0, pmax)
  bad <- which(overlap_x > 0.3 & overlap_y > 0.3 & upper.tri(overlap_x), arr.ind = TRUE)
  if (nrow(bad)) problems <- c(problems, paste("overlap:", w$text[bad[, 1]], "/", w$text[bad[, 2]]))
  problems
}

expect_clean_layout <- function(file) {
  expect_equal(layout_problems(file), character())
  invisible(pdf_words(file)$words)
}

test_that("the layout check itself sees an overlap and a word off the page", {
  skip_if(Sys.which("pdftotext") == "", "pdftotext (poppler-utils) is not installed")
  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file, width = 4, height = 4)
  graphics::plot.new()
  graphics::text(0.5, 0.5, "overlapping words here")
  graphics::text(0.52, 0.51, "clash")
  for (i in 1:10) graphics::text(0.1, i / 11, paste("word", i))
  grDevices::dev.off()
  expect_match(layout_problems(file), "overlap: clash / overlapping|overlap: overlapping / clash",
               all = FALSE)
  grDevices::pdf(file, width = 4, height = 4)
  graphics::par(xpd = NA)
  graphics::plot.new()
  for (i in 1:10) graphics::text(0.1, i / 11, paste("word", i))
  graphics::text(1.2, 0.5, "off-page-word-that-runs-past-the-edge")
  grDevices::dev.off()
  expect_match(layout_problems(file), "off the page: off", all = FALSE)
  expect_length(layout_problems(file), 1L)
})

test_that("forest plot: nothing off-page or overlapping from 3.5 to 12 inches, long labels", {
  skip_if(Sys.which("pdftotext") == "", "pdftotext (poppler-utils) is not installed")
  colon <- colon_data()
  colon$nodes_group <- cut(colon$nodes, c(-1, 1, 3, 6, 10, Inf),
    c("0-1 nodes", "2-3 nodes", "4-6 nodes", "7-10 nodes", "more than ten positive lymph nodes"))
  subs <- c(Sex = "sex", "Age at randomisation (years)" = "age_group",
            "More than 4 positive lymph nodes" = "node4",
            "Tumour differentiation (pathology review)" = "differentiation",
            "Obstruction of colon by tumour" = "obstruct", Perforation = "perfor",
            "Extent of local spread" = "extent", "Number of positive nodes" = "nodes_group",
            "Surgery to registration (long vs short)" = "surg")
  fit <- subgroup_hr(Surv(time, status) ~ rx, data = colon, subgroups = subs)
  for (size in list(c(3.5, 7), c(5, 8), c(7, 7), c(9, 9), c(12, 6))) {
    file <- tempfile(fileext = ".pdf")
    grDevices::pdf(file, width = size[1], height = size[2])
    lay <- plot(fit)
    grDevices::dev.off()
    w <- expect_clean_layout(file)
    # every subgroup label (first word) and every shown HR text is drawn
    words <- w$text
    expect_true(all(c("Subgroup", "Overall", "Favours") %in% words))
    expect_true(all(formatC(fit$table$estimate, digits = 2, format = "f") %in% words))
    if (size[1] >= 9) expect_true(all(c("trt", "ref", "p") %in% lay$cols))
  }
  # too small a device is an error, not a cut figure
  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file, width = 2, height = 2)
  expect_error(plot(fit), "too small for this forest plot")
  grDevices::dev.off()
})

test_that("autoplot() builds a ggplot with every row", {
  skip_if_not_installed("ggplot2")
  fit <- subgroup_hr(Surv(time, status) ~ rx, data = colon_data(), subgroups = c("sex", "node4"))
  g <- ggplot2::autoplot(fit)
  expect_s3_class(g, "ggplot")
  expect_equal(nrow(attr(g, "netsurv_forestdata")$rows), 1 + 2 + 4)
  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file, width = 8, height = 5)
  print(g)
  grDevices::dev.off()
  skip_if(Sys.which("pdftotext") == "", "pdftotext (poppler-utils) is not installed")
  expect_clean_layout(file)
})
