# The README's R code runs as written (plots drawn to a null PDF device).

test_that("the README's R block runs", {
  readme <- test_path("..", "..", "README.md")
  skip_if_not(file.exists(readme), "README.md is not part of the built package")
  lines <- readLines(readme, encoding = "UTF-8")
  open <- which(lines == "```r")
  expect_gte(length(open), 1L)
  close <- which(lines == "```")
  code <- unlist(lapply(open, function(o) lines[(o + 1L):(min(close[close > o]) - 1L)]))
  expect_gt(length(code), 5L)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  env <- new.env(parent = globalenv())
  exprs <- parse(text = code, keep.source = FALSE)
  for (e in exprs) {
    out <- utils::capture.output(value <- withVisible(eval(e, env)))
    if (value$visible) utils::capture.output(print(value$value))
  }
  expect_s3_class(env$fit, "netsurv_km")
  expect_s3_class(env$cfit, "netsurv_cox")
  expect_s3_class(env$cc, "netsurv_curve")
})
