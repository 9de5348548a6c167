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

/* The five counts by direct enumeration of the pairs (survival's
 * orientation: count[0] = the earlier event has the larger score). */
static void counts_direct(int n, const double *time, const double *start, const int *status,
                          const double *w, const int *stratum, const double *score,
                          double *nv)
{
  for (int k = 0; k < 5; k++) nv[k] = 0;
  for (int i = 0; i < n; i++) {
    if (!status[i]) continue;
    for (int j = 0; j < n; j++) {
      if (j == i || (stratum && stratum[j] != stratum[i])) continue;
      if (!(time[j] >= time[i] && (!start || start[j] < time[i]))) continue;
      if (status[j] && time[j] == time[i]) {
        if (j > i) nv[score[i] == score[j] ? 4 : 3] += w[i] * w[j];
        continue;
      }
      nv[score[i] > score[j] ? 0 : score[i] < score[j] ? 1 : 2] += w[i] * w[j];
    }
  }
}

/* Issue #13: positive weights ~1e12 or more apart. The weights below or
 * above a score were a total less partial sums and a stratum's tree was
 * emptied by subtraction, so the small weights' pairs were lost (here: a
 * count of -2 and a concordance of -2 from 6 rows); tied.y and tied.xy
 * were (S^2 - sum w^2) / 2. Every count is now a sum of nonnegative terms:
 * the 6 rows give the exact counts, and 300 random rows with weights 1 and
 * 1e13 or 1e17 mixed (strata, ties, (start, stop]) give each count to a
 * relative 1e-12 of itself. */
START_TEST(weights_far_apart)
{
  {
    double time[6] = {2, 1, 1, 2, 2, 4}, w[6] = {1, 1e17, 1, 1, 1e17, 1};
    double score[6] = {0, 0, 0, 2, 0, 3}, count[5], conc, sd, cvar;
    int status[6] = {1, 0, 0, 0, 0, 1}, stratum[6] = {1, 1, 0, 1, 0, 0};
    ck_assert_int_eq(ns_cox_concordance_cvar(6, time, NULL, status, w, stratum, score, NULL, 0,
                                             count, &conc, &sd, &cvar), NS_OK);
    /* one comparable pair (stratum 1, t = 2: the event's score 0 below the
     * censored row's 2), weight 1: discordant */
    double want[5] = {0, 1, 0, 0, 0};
    for (int k = 0; k < 5; k++) ck_assert(count[k] == want[k]);
    ck_assert(conc == 0);
  }
  enum { N = 300 };
  double time[N], start[N], score[N], w[N];
  int status[N], stratum[N];
  unsigned long long seed = 913;
#define NEXT() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (seed >> 33) % 1000)
  for (int big = 0; big < 2; big++) {
    for (int i = 0; i < N; i++) {
      time[i] = 1 + (double) (NEXT() % 20);
      start[i] = (double) (NEXT() % 3) * time[i] / 4;
      score[i] = (double) (NEXT() % 7) / 2 - 1;
      status[i] = NEXT() % 10 < 6;
      w[i] = NEXT() % 3 == 0 ? (big ? 1e17 : 1e13) : 1 + (double) (NEXT() % 3);
      stratum[i] = (int) (NEXT() % 3);
    }
    for (int variant = 0; variant < 4; variant++) {
      const double *st = variant & 1 ? start : NULL;
      const int *sg = variant & 2 ? stratum : NULL;
      double count[5], conc, sd, nv[5];
      ck_assert_int_eq(ns_cox_concordance(N, time, st, status, w, sg, score, NULL, 0, count,
                                          &conc, &sd), NS_OK);
      counts_direct(N, time, st, status, w, sg, score, nv);
      for (int k = 0; k < 5; k++) {
        ck_assert(nv[k] > 0);
        ck_assert_near(count[k] / nv[k], 1.0, 1e-12);
      }
      ck_assert_near(conc, (nv[0] + nv[2] / 2) / (nv[0] + nv[1] + nv[2]), 1e-12);
      /* the small weights' pairs alone (the big rows' weights 0) */
      double w0[N];
      for (int i = 0; i < N; i++) w0[i] = w[i] > 10 ? 0 : w[i];
      double count0[5], nv0[5];
      ck_assert_int_eq(ns_cox_concordance(N, time, st, status, w0, sg, score, NULL, 0, count0,
                                          &conc, &sd), NS_OK);
      counts_direct(N, time, st, status, w0, sg, score, nv0);
      for (int k = 0; k < 5; k++) ck_assert(count0[k] == nv0[k]); /* small integers: exact */
    }
  }
#undef NEXT
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("concordance");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, cvar_against_definition);
  tcase_add_test(tc, cvar_edges);
  tcase_add_test(tc, weights_far_apart);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}
