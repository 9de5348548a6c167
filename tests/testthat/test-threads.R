# test-threads.R -- netsurv_threads(): the option, then OMP_NUM_THREADS, then
# the default, always capped by the processors OpenMP may use.

test_that("netsurv_threads follows the option, then OMP_NUM_THREADS, capped by the limit", {
  limit <- .Call(netsurv:::ffi_cox_threads)
  old <- options(netsurv.threads = NULL)
  on.exit(options(old), add = TRUE)
  old_env <- Sys.getenv("OMP_NUM_THREADS", unset = NA)
  on.exit(if (is.na(old_env)) Sys.unsetenv("OMP_NUM_THREADS")
          else Sys.setenv(OMP_NUM_THREADS = old_env), add = TRUE)

  Sys.unsetenv("OMP_NUM_THREADS")
  expect_identical(netsurv_threads(), as.integer(max(min(2L, limit), limit %/% 2L)))
  Sys.setenv(OMP_NUM_THREADS = "1")
  expect_identical(netsurv_threads(), 1L)
  Sys.setenv(OMP_NUM_THREADS = "1,4")
  expect_identical(netsurv_threads(), 1L)
  Sys.setenv(OMP_NUM_THREADS = "1000")
  expect_identical(netsurv_threads(), as.integer(limit))
  Sys.setenv(OMP_NUM_THREADS = "lots")
  expect_identical(netsurv_threads(), as.integer(max(min(2L, limit), limit %/% 2L)))
  Sys.setenv(OMP_NUM_THREADS = "0")
  expect_identical(netsurv_threads(), as.integer(max(min(2L, limit), limit %/% 2L)))

  # the option wins over the environment
  Sys.setenv(OMP_NUM_THREADS = "1")
  options(netsurv.threads = 2)
  expect_identical(netsurv_threads(), as.integer(min(2L, limit)))
  options(netsurv.threads = 1e6)
  expect_identical(netsurv_threads(), as.integer(limit))
  options(netsurv.threads = "two")
  expect_error(netsurv_threads(), "option `netsurv.threads` must be a single number >= 1")
})
