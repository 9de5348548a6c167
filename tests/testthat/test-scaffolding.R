# test-scaffolding.R -- the test suite's own rules (helper-netsurv.R): no
# test file attaches survival (its basehaz() would mask netsurv's in the
# files that run after it); the shared helpers behave as documented.

test_that("no test file leaves survival attached", {
  expect_false("package:survival" %in% search())
})

test_that("fit_both fits both packages from one call, as written", {
  fits <- fit_both(Surv(time, status) ~ age + sex, lung, ties = "breslow")
  expect_s3_class(fits$netsurv, "netsurv_cox")
  expect_s3_class(fits$survival, "coxph")
  expect_equal(unname(coef(fits$netsurv)), unname(coef(fits$survival)), tolerance = 1e-8)
  expect_identical(fits$netsurv$call$data, quote(lung))
  expect_identical(fits$netsurv$method, "breslow")
})

test_that("with_null_device closes its device even on error", {
  before <- grDevices::dev.list()
  expect_error(with_null_device(stop("drawing failed")), "drawing failed")
  expect_identical(grDevices::dev.list(), before)
  expect_identical(with_null_device({ graphics::plot.new(); 42 }), 42)
})
