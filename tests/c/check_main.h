/*
 * check_main.h -- the shared main() of the core's Check test programs. Each
 * tests/c/check_<concept>.c defines `Suite *make_suite(void)` and includes
 * this header once, so every concept is its own program and its own binary.
 */
#ifndef NETSURV_CHECK_MAIN_H
#define NETSURV_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

Suite *make_suite(void);

int main(void)
{
  SRunner *runner = srunner_create(make_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* A progress callback that asks to stop at once; it counts its calls in
 * *(int *) context when context is not NULL. */
static inline int stop_now(void *context, double fraction_done)
{
  (void) fraction_done;
  if (context) ++*(int *) context;
  return 1;
}

/* Relative closeness for floating-point results. */
#define ck_assert_near(a, b, tol)                                              \
  do {                                                                         \
    double a_ = (a), b_ = (b);                                                 \
    double scale_ = fabs(b_) > 1.0 ? fabs(b_) : 1.0;                           \
    ck_assert_msg(fabs(a_ - b_) <= (tol) * scale_,                             \
                  "%s = %.17g, expected %.17g (tol %g)", #a, a_, b_,           \
                  (double) (tol));                                             \
  } while (0)

#endif
