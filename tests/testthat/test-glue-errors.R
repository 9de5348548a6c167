# The glue's errors (src/glue.c): labelled with the user-facing R function,
# and a core error about one row names that row of the user's data.

test_that("an interval that collapses once fuzz-tied times merge names its row of `data`", {
  d <- data.frame(a = c(0, 1, 1, 2, 0), b = c(1, 1 + 1e-12, 2, 3, 4), s = c(1, 0, 1, 1, 1),
                  x = c(1, 2, 3, 5, 4),
                  e = factor(c("censor", "a", "b", "a", "b"), c("censor", "a", "b")))
  rownames(d) <- paste0("p", 1:5)
  msg <- "row p2 of `data`: its interval has start < stop only by rounding error"
  expect_error(km(Surv(a, b, s) ~ 1, data = d), paste0("^km\\(\\): ", msg))
  expect_error(cox(Surv(a, b, s) ~ x, data = d), paste0("^cox\\(\\): ", msg))
  expect_error(cuminc(Surv(a, b, e) ~ 1, data = d), paste0("^cuminc\\(\\): ", msg))
  # the row of `data`, not the position among the rows analysed
  expect_error(km(Surv(a, b, s) ~ 1, data = d, subset = x > 1), "row p2 of `data`")
  d2 <- d[c(5, 1, 3, 2, 4), ]
  rownames(d2) <- NULL
  expect_error(km(Surv(a, b, s) ~ 1, data = d2), "row 4 of `data`")
  expect_error(cox(Surv(a, b, s) ~ x, data = d2[-1, ]), "row 4 of `data`")
  # survival refuses the same data
  expect_error(coxph(Surv(a, b, s) ~ x, data = d), "effective length 0")
})

test_that("the log-rank and MaxCombo permutation entry points decode arguments one way", {
  time <- c(1, 2, 3, 4)
  status <- c(1L, 1L, 0L, 1L)
  group <- c(0L, 1L, 0L, 1L)
  expect_error(.Call(netsurv:::ffi_logrank_permutation, time, status, group, NULL, 2L, 1L, 0, 0,
                     0, 0, 1, NULL), "^logrank\\(\\): `B` must be one number >= 1$")
  expect_error(.Call(netsurv:::ffi_logrank_maxcombo_permutation, time, status, group, NULL, 1L,
                     c(0, 1), c(0, 0), 0L, 0, 1), "^maxcombo\\(\\): `B` must be one number >= 1$")
  expect_error(.Call(netsurv:::ffi_logrank_permutation, time, status, group, NULL, 2L, 1L, 0, 0,
                     0, 10, 0.5, NULL), "^logrank\\(\\): `seed` must be one whole number$")
  expect_error(.Call(netsurv:::ffi_logrank_maxcombo_permutation, time, status, group, NULL, 1L,
                     c(0, 1), c(0, 0), 0L, 10, 0.5), "^maxcombo\\(\\): `seed` must be one whole number$")
  expect_error(.Call(netsurv:::ffi_logrank_maxcombo_permutation, time, status[-1], group, NULL,
                     1L, 0, 0, 0L, 10, 1),
               "^maxcombo\\(\\): `status` must be an integer vector of length 4$")
  expect_error(.Call(netsurv:::ffi_logrank_permutation, time, status[-1], group, NULL, 2L, 1L, 0,
                     0, 0, 10, 1, NULL), "^logrank\\(\\): `status` must be an integer vector of length 4$")
  expect_error(.Call(netsurv:::ffi_logrank_maxcombo_permutation, time, status, group, NULL, 1L,
                     c(0, 1), 0, 0L, 10, 1),
               "^maxcombo\\(\\): `gamma` must be a double vector of length 2$")
})
