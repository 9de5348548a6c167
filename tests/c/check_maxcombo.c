/* check_maxcombo.c -- ns_logrank_maxcombo_permutation against brute-force
 * enumeration built on ns_logrank_test (Z_k from its obs, exp and var). */
#include <math.h>
#include <stdlib.h>

#include "netsurv.h"
#include "check_main.h"

/* Nine rows with a tie at 10, 4 in group 0: 126 arrangements. */
static const double t9[] = {6, 7, 10, 10, 11, 13, 15, 16, 19};
static const int s9[] = {1, 1, 0, 1, 1, 1, 0, 1, 1};
static const int g9[] = {0, 0, 0, 0, 1, 1, 1, 1, 1};
static const double rho4[] = {0, 0, 1, 1};
static const double gamma4[] = {0, 1, 0, 1};

static double max_stat(const int *group, int sides, const int *stratum, int n_stratum)
{
  double obs[2 * 2], exp[2 * 2], var[4], chisq, best = -INFINITY;
  int df;
  for (int k = 0; k < 4; k++) {
    ck_assert_int_eq(ns_logrank_test(9, t9, s9, group, stratum, 2, n_stratum, rho4[k],
                                     gamma4[k], obs, exp, var, &chisq, &df), NS_OK);
    double o = 0, e = 0;
    for (int s = 0; s < n_stratum; s++) { o += obs[2 * s]; e += exp[2 * s]; }
    double z = var[0] > 0 ? (o - e) / sqrt(var[0]) : 0;
    double v = sides == 0 ? fabs(z) : sides > 0 ? z : -z;
    if (v > best) best = v;
  }
  return best;
}

static double brute_force_p(int sides, double *m_obs)
{
  int group[9];
  *m_obs = max_stat(g9, sides, NULL, 1);
  int total = 0, hits = 0;
  for (unsigned mask = 0; mask < 512u; mask++) {
    int ones = 0;
    for (int i = 0; i < 9; i++) ones += (mask >> i) & 1u;
    if (ones != 5) continue;
    for (int i = 0; i < 9; i++) group[i] = (mask >> i) & 1u;
    total++;
    hits += max_stat(group, sides, NULL, 1) >= *m_obs - 1e-9 * (1 + fabs(*m_obs));
  }
  ck_assert_int_eq(total, 126);
  return (double) hits / total;
}

START_TEST(enumeration_matches_brute_force)
{
  for (int sides = -1; sides <= 1; sides++) {
    double m_brute, m, p, se;
    double p_brute = brute_force_p(sides, &m_brute);
    size_t n_perm;
    int enumerated;
    ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g9, NULL, 1, 4, rho4, gamma4,
                                                     sides, 126, 3, NULL, NULL, &m, &p, &se,
                                                     &n_perm, &enumerated), NS_OK);
    ck_assert_int_eq(enumerated, 1);
    ck_assert_uint_eq(n_perm, 126);
    ck_assert_near(m, m_brute, 1e-12);
    ck_assert_near(p, p_brute, 1e-14);
    ck_assert_near(se, 0, 0);
  }
}
END_TEST

START_TEST(monte_carlo_is_reproducible_and_close)
{
  double m_brute, m1, m2, p1, p2, se1, se2;
  double p_brute = brute_force_p(0, &m_brute);
  size_t n1, n2;
  int e1, e2;
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g9, NULL, 1, 4, rho4, gamma4, 0,
                                                   20000, 11, NULL, NULL, &m1, &p1, &se1, &n1,
                                                   &e1), NS_OK);
  /* 126 <= 20000 arrangements: this is enumeration; force sampling with B < 126 */
  ck_assert_int_eq(e1, 1);
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g9, NULL, 1, 4, rho4, gamma4, 0,
                                                   100, 11, NULL, NULL, &m1, &p1, &se1, &n1,
                                                   &e1), NS_OK);
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g9, NULL, 1, 4, rho4, gamma4, 0,
                                                   100, 11, NULL, NULL, &m2, &p2, &se2, &n2,
                                                   &e2), NS_OK);
  ck_assert_int_eq(e1, 0);
  ck_assert_uint_eq(n1, 100);
  ck_assert_near(p1, p2, 0);
  ck_assert_near(m1, m_brute, 1e-12);
  /* 100 draws: within 5 Monte Carlo standard errors of the exact p */
  ck_assert(fabs(p1 - p_brute) < 5 * sqrt(p_brute * (1 - p_brute) / 100) + 0.02);
}
END_TEST

START_TEST(strata_enumerate_within)
{
  /* two strata of sizes 4 (2 + 2) and 5 (2 + 3): 6 * 10 = 60 arrangements */
  static const int st[] = {0, 0, 0, 0, 1, 1, 1, 1, 1};
  static const int g[] = {0, 1, 0, 1, 0, 1, 1, 0, 1};
  double m, p, se;
  size_t n_perm;
  int enumerated;
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g, st, 2, 4, rho4, gamma4, 0,
                                                   1000, 1, NULL, NULL, &m, &p, &se, &n_perm,
                                                   &enumerated), NS_OK);
  ck_assert_int_eq(enumerated, 1);
  ck_assert_uint_eq(n_perm, 60);
  ck_assert_near(m, max_stat(g, 0, st, 2), 1e-12);
  /* brute force over the 60 within-strata arrangements */
  int group[9], total = 0, hits = 0;
  for (unsigned a = 0; a < 16u; a++) {
    if (__builtin_popcount(a) != 2) continue;
    for (unsigned b = 0; b < 32u; b++) {
      if (__builtin_popcount(b) != 2) continue;
      for (int i = 0; i < 4; i++) group[i] = !((a >> i) & 1u);
      for (int i = 0; i < 5; i++) group[4 + i] = !((b >> i) & 1u);
      total++;
      hits += max_stat(group, 0, st, 2) >= m - 1e-9 * (1 + m);
    }
  }
  ck_assert_int_eq(total, 60);
  ck_assert_near(p, (double) hits / total, 1e-14);
}
END_TEST

START_TEST(rejects_bad_input)
{
  double m, p, se;
  size_t n_perm;
  int enumerated;
  static const double bad_rho[] = {0, -1};
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g9, NULL, 1, 2, bad_rho, gamma4,
                                                   0, 10, 1, NULL, NULL, &m, &p, &se, &n_perm,
                                                   &enumerated), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g9, NULL, 1, 4, rho4, gamma4,
                                                   2, 10, 1, NULL, NULL, &m, &p, &se, &n_perm,
                                                   &enumerated), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, g9, NULL, 1, 0, rho4, gamma4,
                                                   0, 10, 1, NULL, NULL, &m, &p, &se, &n_perm,
                                                   &enumerated), NS_ERR_ARGUMENT);
  static const int one_group[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  ck_assert_int_eq(ns_logrank_maxcombo_permutation(9, t9, s9, one_group, NULL, 1, 4, rho4,
                                                   gamma4, 0, 10, 1, NULL, NULL, &m, &p, &se,
                                                   &n_perm, &enumerated), NS_ERR_ONE_GROUP);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("maxcombo");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, enumeration_matches_brute_force);
  tcase_add_test(tc, monte_carlo_is_reproducible_and_close);
  tcase_add_test(tc, strata_enumerate_within);
  tcase_add_test(tc, rejects_bad_input);
  suite_add_tcase(s, tc);
  return s;
}
