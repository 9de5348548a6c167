/* check_concordance.c -- ns_cox_concordance_cvar: the variance of the
 * concordance under the Cox model against its definition evaluated
 * directly over every risk set, and its agreement with ns_cox_concordance. */
#include <math.h>

#include "check_main.h"
#include "check_concordance_naive.h"
#include "netsurv.h"

START_TEST(cvar_against_definition)
{
  enum { N = 120 };
  double time[N], start[N], score[N], w[N];
  int status[N], stratum[N];
  unsigned long long seed = 2024;
#define NEXT() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (seed >> 33) % 1000)
  for (int i = 0; i < N; i++) {
    time[i] = 1 + (double) (NEXT() % 15);
    start[i] = (double) (NEXT() % 3) * time[i] / 4;
    score[i] = (double) (NEXT() % 9) / 3 - 1;
    status[i] = NEXT() % 10 < 6;
    w[i] = 0.5 + (double) (NEXT() % 4) / 2;
    stratum[i] = i < 80 ? 0 : 1 + (int) (NEXT() % 4);
  }
#undef NEXT
  for (int variant = 0; variant < 8; variant++) {
    const double *st = variant & 1 ? start : NULL;
    const int *sg = variant & 2 ? stratum : NULL;
    const double *wt = variant & 4 ? w : NULL;
    double ones[N];
    for (int i = 0; i < N; i++) ones[i] = 1;
    double count[5], conc, sd, cvar, count2[5], conc2, sd2;
    ck_assert_int_eq(ns_cox_concordance_cvar(N, time, st, status, wt, sg, score, NULL, 0,
                                             count, &conc, &sd, &cvar), NS_OK);
    double ref = naive_cvar(N, time, st, status, wt ? wt : ones, sg, score);
    ck_assert(ref > 0);
    ck_assert_near(cvar / ref, 1.0, 1e-12);
    /* the rest is ns_cox_concordance's, bit for bit */
    ck_assert_int_eq(ns_cox_concordance(N, time, st, status, wt, sg, score, NULL, 0,
                                        count2, &conc2, &sd2), NS_OK);
    for (int k = 0; k < 5; k++) ck_assert(count[k] == count2[k]);
    ck_assert(conc == conc2 && sd == sd2);
  }
}
END_TEST

/* A NULL cvar is allowed; with no events there is no pair and cvar is NaN. */
START_TEST(cvar_edges)
{
  double time[3] = {1, 2, 3}, score[3] = {0.5, 0.1, 0.2}, count[5], conc, sd, cvar;
  int status[3] = {0, 0, 0};
  ck_assert_int_eq(ns_cox_concordance_cvar(3, time, NULL, status, NULL, NULL, score, NULL, 0,
                                           count, &conc, &sd, &cvar), NS_OK);
  ck_assert(isnan(cvar));
  status[0] = 1;
  ck_assert_int_eq(ns_cox_concordance_cvar(3, time, NULL, status, NULL, NULL, score, NULL, 0,
                                           count, &conc, &sd, NULL), NS_OK);
  /* one event at t = 1 with all three at risk: the scores 0.5, 0.1, 0.2
   * give r = (-2, 2, 0), so d z2 / W = 8 / 3; the event has 2 partners */
  ck_assert_int_eq(ns_cox_concordance_cvar(3, time, NULL, status, NULL, NULL, score, NULL, 0,
                                           count, &conc, &sd, &cvar), NS_OK);
  ck_assert_near(cvar, (8.0 / 3.0) / (4 * 2.0 * 2.0), 1e-15);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("concordance");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, cvar_against_definition);
  tcase_add_test(tc, cvar_edges);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}
