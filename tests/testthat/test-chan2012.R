# The shipped chan2012 data set against every number in the abstract of
# Chan et al., J Clin Oncol 2012;30(24):2963-8 (doi:10.1200/JCO.2011.40.3147).
# survival::survfit is the oracle for the Kaplan-Meier medians.

chan2012 <- netsurv::chan2012

# Median and log-log 95% CI per subtype and overall, as survival computes them.
km_table <- function(time, event) {
  by_subtype <- survival::survfit(
    survival::Surv(chan2012[[time]], chan2012[[event]]) ~ chan2012$subtype,
    conf.type = "log-log")
  overall <- survival::survfit(
    survival::Surv(chan2012[[time]], chan2012[[event]]) ~ 1,
    conf.type = "log-log")
  tab <- rbind(summary(by_subtype)$table[, c("median", "0.95LCL", "0.95UCL")],
               overall = summary(overall)$table[c("median", "0.95LCL",
                                                  "0.95UCL")])
  rownames(tab) <- c("carcinoid", "pancreatic NET", "overall")
  tab
}

test_that("columns, types and factor levels are as documented", {
  expect_s3_class(chan2012, "data.frame")
  expect_identical(nrow(chan2012), 34L)
  expect_identical(names(chan2012), c(
    "id", "subtype", "pfs_months", "pfs_event", "os_months", "os_event",
    "best_response", "lymphopenia_g34", "thrombocytopenia_g34"))
  expect_identical(chan2012$id, 1:34)
  expect_identical(levels(chan2012$subtype), c("carcinoid", "pancreatic NET"))
  expect_identical(levels(chan2012$best_response),
                   c("CR", "PR", "SD", "PD", "NE"))
  expect_type(chan2012$pfs_months, "double")
  expect_type(chan2012$os_months, "double")
  expect_type(chan2012$pfs_event, "integer")
  expect_type(chan2012$os_event, "integer")
  expect_type(chan2012$lymphopenia_g34, "logical")
  expect_type(chan2012$thrombocytopenia_g34, "logical")
  expect_false(anyNA(chan2012))
  expect_true(all(chan2012$pfs_event %in% 0:1))
  expect_true(all(chan2012$os_event %in% 0:1))
  # Times are recorded to 0.1 month.
  expect_equal(chan2012$pfs_months, round(chan2012$pfs_months, 1))
  expect_equal(chan2012$os_months, round(chan2012$os_months, 1))
})

test_that("19 carcinoid and 15 pancreatic NET patients (56% / 44%)", {
  expect_identical(sum(chan2012$subtype == "carcinoid"), 19L)
  expect_identical(sum(chan2012$subtype == "pancreatic NET"), 15L)
  expect_equal(round(100 * mean(chan2012$subtype == "carcinoid")), 56)
  expect_equal(round(100 * mean(chan2012$subtype == "pancreatic NET")), 44)
})

test_that("median PFS: 11.0 overall, 14.3 pancreatic NET, 7.3 carcinoid", {
  med <- km_table("pfs_months", "pfs_event")[, "median"]
  expect_equal(round(unname(med["overall"]), 1), 11.0)
  expect_equal(round(unname(med["pancreatic NET"]), 1), 14.3)
  expect_equal(round(unname(med["carcinoid"]), 1), 7.3)
  # The same through quantile(), the other way survival reports a median.
  fit <- survival::survfit(survival::Surv(pfs_months, pfs_event) ~ subtype,
                           data = chan2012)
  q <- quantile(fit, 0.5, conf.int = FALSE)
  expect_equal(round(unname(q[, 1]), 1), c(7.3, 14.3))
})

test_that("median OS: 33.3 overall, 41.7 pancreatic NET, 18.8 carcinoid", {
  med <- km_table("os_months", "os_event")[, "median"]
  expect_equal(round(unname(med["overall"]), 1), 33.3)
  expect_equal(round(unname(med["pancreatic NET"]), 1), 41.7)
  expect_equal(round(unname(med["carcinoid"]), 1), 18.8)
  fit <- survival::survfit(survival::Surv(os_months, os_event) ~ subtype,
                           data = chan2012)
  q <- quantile(fit, 0.5, conf.int = FALSE)
  expect_equal(round(unname(q[, 1]), 1), c(18.8, 41.7))
})

test_that("the pooled medians are observed event times, not midpoints", {
  # survival takes the midpoint of two event times when S(t) is exactly 0.5;
  # other software takes the first. The pooled curves step from above 0.5 to
  # below 0.5 exactly at the published values (two tied events), so every
  # convention gives 11.0 and 33.3.
  crosses_half_at <- function(time, event, at) {
    fit <- survival::survfit(survival::Surv(time, event) ~ 1)
    s <- summary(fit, times = c(at - 0.05, at))$surv
    s[1] > 0.5 + 1e-8 && s[2] < 0.5 - 1e-8
  }
  expect_true(crosses_half_at(chan2012$pfs_months, chan2012$pfs_event, 11.0))
  expect_true(crosses_half_at(chan2012$os_months, chan2012$os_event, 33.3))
})

test_that("all six medians have finite log-log 95% confidence limits", {
  pfs <- km_table("pfs_months", "pfs_event")
  os <- km_table("os_months", "os_event")
  expect_false(anyNA(pfs))
  expect_false(anyNA(os))
  expect_true(all(pfs[, "0.95LCL"] <= pfs[, "median"] &
                    pfs[, "median"] <= pfs[, "0.95UCL"]))
  expect_true(all(os[, "0.95LCL"] <= os[, "median"] &
                    os[, "median"] <= os[, "0.95UCL"]))
})

test_that("response: 5 of 34 PR, 5 of 15 pancreatic NET, 0 of 19 carcinoid", {
  resp <- table(chan2012$subtype, chan2012$best_response)
  expect_identical(sum(chan2012$best_response == "PR"), 5L)
  expect_equal(round(100 * mean(chan2012$best_response == "PR")), 15)
  expect_identical(resp["pancreatic NET", "PR"], 5L)
  expect_equal(round(100 * resp["pancreatic NET", "PR"] / 15), 33)
  expect_identical(resp["carcinoid", "PR"], 0L)
  expect_identical(sum(chan2012$best_response == "CR"), 0L)
})

test_that("grade 3-4 lymphopenia 18/34 (53%), thrombocytopenia 6/34 (18%)", {
  expect_identical(sum(chan2012$lymphopenia_g34), 18L)
  expect_equal(round(100 * mean(chan2012$lymphopenia_g34)), 53)
  expect_identical(sum(chan2012$thrombocytopenia_g34), 6L)
  expect_equal(round(100 * mean(chan2012$thrombocytopenia_g34)), 18)
})

test_that("PFS and OS are clinically coherent", {
  d <- chan2012
  expect_true(all(d$pfs_months > 0))
  expect_true(all(d$os_months >= d$pfs_months))
  # Censored for progression = alive and progression-free at last contact.
  cens <- d$pfs_event == 0L
  expect_true(all(d$os_event[cens] == 0L))
  expect_identical(d$os_months[cens], d$pfs_months[cens])
  # A death is always a PFS event, at or before the death.
  died <- d$os_event == 1L
  expect_true(all(d$pfs_event[died] == 1L))
  # Responders are pancreatic NET patients who had not progressed at the
  # first restaging.
  expect_true(all(d$pfs_months[d$best_response == "PR"] >= 3))
})

test_that("data-raw/chan2012.R rebuilds the shipped data identically", {
  script <- testthat::test_path("..", "..", "data-raw", "chan2012.R")
  # data-raw/ is not in the built package, so this runs from the source tree
  # only (not under R CMD check).
  skip_if_not(file.exists(script))
  env <- new.env()
  # The save() at the bottom of the script is guarded by sys.nframe() == 0L,
  # so sourcing only defines the functions.
  # The script attaches survival (as a user running it would); the test
  # suite must not leave it attached (see helper-netsurv.R).
  attached <- "package:survival" %in% search()
  on.exit(if (!attached && "package:survival" %in% search()) detach("package:survival"))
  source(script, local = env)
  expect_identical(env$build_chan2012(), chan2012)
})
