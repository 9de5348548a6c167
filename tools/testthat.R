# Runs tests/testthat against the installed netsurv and writes
# "<passed> <failed>" (expectations; errors count as failures) to the file
# named by the first argument.
args <- commandArgs(trailingOnly = TRUE)
out <- args[[1]]
library(testthat)
# Report every failure, not the first ten: the closing line counts them all.
options(testthat.progress.max_fails = Inf)
results <- testthat::test_dir("tests/testthat", package = "netsurv",
                              load_package = "installed",
                              reporter = ProgressReporter$new(show_praise = FALSE),
                              stop_on_failure = FALSE, stop_on_warning = FALSE)
df <- as.data.frame(results)
n_failed <- sum(df$failed) + sum(df$error)
n_passed <- sum(df$passed)
writeLines(paste(n_passed, n_failed), out)
