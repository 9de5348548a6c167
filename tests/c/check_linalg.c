/* check_linalg.c -- the BLAS/LAPACK wrappers: rank-k update, Cholesky with
 * a dropped collinear column, solve, inverse and quadratic form. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "check_main.h"

START_TEST(syrk_matches_loops)
{
  /* a is 2 x 3 (p x k): c = a a' */
  const double a[] = {1, 2, 3, 4, 5, 6};
  double c[4] = {1, 0, 0, 1};
  ck_assert_int_eq(ns_linalg_syrk(2, 3, 1.0, a, 1.0, c), NS_OK);
  ck_assert_near(c[0], 1 + 1 + 9 + 25, 1e-15);
  ck_assert_near(c[2], 2 + 12 + 30, 1e-15);
  ck_assert_near(c[3], 1 + 4 + 16 + 36, 1e-15);
}
END_TEST

START_TEST(chol_solve_inverse)
{
  /* A = [[4,2],[2,3]]: A^-1 = [[3,-2],[-2,4]] / 8 */
  const double a[] = {4, 2, 2, 3};
  double factor[4], inv[4], work[4], b[] = {1, 1};
  int keep[2], rank;
  ck_assert_int_eq(ns_linalg_chol(2, a, 1e-12, factor, keep, &rank), NS_OK);
  ck_assert_int_eq(rank, 2);
  ck_assert_int_eq(ns_linalg_chol_solve(2, factor, keep, rank, b, work), NS_OK);
  ck_assert_near(b[0], 1.0 / 8, 1e-15);
  ck_assert_near(b[1], 2.0 / 8, 1e-15);
  ck_assert_int_eq(ns_linalg_chol_inverse(2, factor, keep, rank, inv, work), NS_OK);
  ck_assert_near(inv[0], 3.0 / 8, 1e-15);
  ck_assert_near(inv[1], -2.0 / 8, 1e-15);
  ck_assert_near(inv[2], -2.0 / 8, 1e-15);
  ck_assert_near(inv[3], 4.0 / 8, 1e-15);
  double q;
  const double x[] = {1, 1};
  ck_assert_int_eq(ns_linalg_quad_inverse(2, a, x, 1e-12, &q), NS_OK);
  ck_assert_near(q, 3.0 / 8, 1e-15);
}
END_TEST

START_TEST(collinear_column_is_dropped)
{
  /* Columns: v1, v2, v1 + v2 of a Gram matrix; the third is dropped. */
  const double v1[] = {1, 0, 2, 1}, v2[] = {0, 1, 1, 3};
  double cols[12], a[9];
  for (int i = 0; i < 4; i++) { cols[i] = v1[i]; cols[4 + i] = v2[i]; cols[8 + i] = v1[i] + v2[i]; }
  for (int j = 0; j < 3; j++)
    for (int k = 0; k < 3; k++) {
      double s = 0;
      for (int i = 0; i < 4; i++) s += cols[4 * j + i] * cols[4 * k + i];
      a[j + 3 * k] = s;
    }
  double factor[9], inv[9], work[9], b[] = {1, 2, 3};
  int keep[3], rank;
  ck_assert_int_eq(ns_linalg_chol(3, a, 1e-10, factor, keep, &rank), NS_OK);
  ck_assert_int_eq(rank, 2);
  ck_assert_int_eq(keep[0], 1);
  ck_assert_int_eq(keep[1], 1);
  ck_assert_int_eq(keep[2], 0);
  ck_assert_int_eq(ns_linalg_chol_solve(3, factor, keep, rank, b, work), NS_OK);
  ck_assert(b[2] == 0);
  /* The kept 2 x 2 block solves exactly: [[6,5],[5,11]] b = (1, 2). */
  ck_assert_near(6 * b[0] + 5 * b[1], 1, 1e-13);
  ck_assert_near(5 * b[0] + 11 * b[1], 2, 1e-13);
  ck_assert_int_eq(ns_linalg_chol_inverse(3, factor, keep, rank, inv, work), NS_OK);
  for (int i = 0; i < 3; i++) ck_assert(inv[2 + 3 * i] == 0 && inv[i + 3 * 2] == 0);
}
END_TEST

START_TEST(nonfinite_is_refused)
{
  const double a[] = {1, NAN, NAN, 1};
  double factor[4];
  int keep[2], rank;
  ck_assert_int_eq(ns_linalg_chol(2, a, 1e-12, factor, keep, &rank), NS_ERR_NONFINITE);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("linalg");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, syrk_matches_loops);
  tcase_add_test(tc, chol_solve_inverse);
  tcase_add_test(tc, collinear_column_is_dropped);
  tcase_add_test(tc, nonfinite_is_refused);
  suite_add_tcase(s, tc);
  return s;
}
