/* check_ipd.c -- ns_ipd_reconstruct against hand computations, its
 * preconditions, and invariants on seeded random cohorts whose exact
 * Kaplan-Meier curve is computed here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "check_main.h"

#define MAXP 4096
#define MAXN 4096

typedef struct {
  int events[MAXP], censored[MAXP], risk_hat[64], events_hat[64], censored_hat[64];
  double censor_time[MAXN];
  ns_ipd_result res;
} outputs;

static void outputs_init(outputs *o)
{
  memset(o, 0, sizeof *o);
  o->res.events = o->events;
  o->res.censored = o->censored;
  o->res.censor_time = o->censor_time;
  o->res.risk_hat = o->risk_hat;
  o->res.events_hat = o->events_hat;
  o->res.censored_hat = o->censored_hat;
}

/* Ten patients, no censoring: each point is one event, nothing is censored. */
START_TEST(no_censoring_one_event_per_step)
{
  double time[11], surv[11], rt[1] = {0};
  int nr[1] = {10};
  for (int k = 0; k <= 10; k++) { time[k] = k; surv[k] = 1.0 - k / 10.0; }
  ns_ipd_curve cv = {11, time, surv, 1, rt, nr, -1};
  outputs o;
  outputs_init(&o);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  ck_assert_int_eq(o.events[0], 0);
  for (int k = 1; k <= 10; k++) ck_assert_int_eq(o.events[k], 1);
  ck_assert_uint_eq(o.res.n_censored, 0);
  ck_assert_int_eq(o.events_hat[0], 10);
}
END_TEST

/* Five patients: 1 event, 2 censored, 3 event, 4 event, 5 censored.
 * KM: 0.8 at 1, 0.8 x 2/3 at 3, x 1/2 at 4. At risk: 5 at 0, 3 at 2.5. By
 * hand: interval [0, 2.5) needs c = 1 (5 - 1 event - 1 = 3). Censored in the
 * gap [0, 1) it would leave 4 at risk at 1 and a drop of 1/4 (KM 0.75, off
 * the curve by 0.05, 50 sigma); in the gap [1, 2.5) the drop is 1/5, exactly
 * the curve's: so it goes there, at the gap's middle 1.75;
 * last interval: 3 at risk, events round(3 (1 - (8/15) / 0.8)) = 1 at 3 and
 * round(2 (1 - 1/2)) = 1 at 4 with no censoring before the end (misfit 0),
 * the last patient censored at 5. */
START_TEST(five_patients_by_hand)
{
  double s1 = 0.8, s3 = 0.8 * 2 / 3, s4 = s3 / 2;
  double time[] = {0, 1, 2.5, 3, 4, 5}, surv[] = {1, s1, s1, s3, s4, s4};
  double rt[] = {0, 2.5};
  int nr[] = {5, 3};
  ns_ipd_curve cv = {6, time, surv, 2, rt, nr, -1};
  outputs o;
  outputs_init(&o);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  int want_events[] = {0, 1, 0, 1, 1, 0};
  for (int k = 0; k < 6; k++) ck_assert_int_eq(o.events[k], want_events[k]);
  ck_assert_uint_eq(o.res.n_censored, 2);
  ck_assert_near(o.censor_time[0], 1.75, 1e-15);
  ck_assert_near(o.censor_time[1], 5, 1e-15);
  ck_assert_int_eq(o.risk_hat[0], 5);
  ck_assert_int_eq(o.risk_hat[1], 3);
  ck_assert_int_eq(o.events_hat[0], 1);
  ck_assert_int_eq(o.censored_hat[0], 1);
  ck_assert_int_eq(o.events_hat[1], 2);
  ck_assert_int_eq(o.censored_hat[1], 1);
}
END_TEST

/* The drop heights show when the censorings came (dp_gaps): 10 at risk,
 * one event at 2 (S 0.9), one at 5 among 9 (S 0.8), three censored at 7, so
 * 5 at risk at 10; then flat to 12. Guyot's even spread over [0, 10) censors
 * at 2.5, 5 and 7.5, leaving 8 at risk at 5: a drop of 1/8 (KM 0.7875) where
 * the curve falls by 1/9. The censorings belong after 5: evenly in the gap
 * [5, 10), at 6.25, 7.5 and 8.75. */
START_TEST(drop_heights_place_censorings)
{
  double time[] = {0, 2, 5, 10, 12}, surv[] = {1, 0.9, 0.8, 0.8, 0.8}, rt[] = {0, 10};
  int nr[] = {10, 5};
  ns_ipd_curve cv = {5, time, surv, 2, rt, nr, -1};
  outputs o;
  outputs_init(&o);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  ck_assert_int_eq(o.events[1], 1);
  ck_assert_int_eq(o.events[2], 1);
  ck_assert_int_eq(o.censored[0] + o.censored[1], 0);
  ck_assert_int_eq(o.censored[2], 3);
  ck_assert_near(o.censor_time[0], 6.25, 1e-12);
  ck_assert_near(o.censor_time[1], 7.5, 1e-12);
  ck_assert_near(o.censor_time[2], 8.75, 1e-12);
  ck_assert_int_eq(o.risk_hat[1], 5);
  ck_assert_uint_eq(o.res.n_censored, 8); /* and the 5 left, censored by 12 */
}
END_TEST

/* Too many at risk in one interval for the dynamic programme: 60000 at
 * risk, 20000 left at 100, drops at 10 and 50; the even spread is kept and
 * the count at 100 is met. */
START_TEST(large_interval_keeps_even_spread)
{
  double time[] = {0, 10, 50, 100, 120}, surv[] = {1, 0.9, 0.8, 0.8, 0.8};
  double rt[] = {0, 100};
  int nr[] = {60000, 20000};
  ns_ipd_curve cv = {5, time, surv, 2, rt, nr, -1};
  static outputs o;
  outputs_init(&o);
  o.res.censor_time = malloc(60000 * sizeof(double));
  ck_assert_ptr_nonnull(o.res.censor_time);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  ck_assert_int_eq(o.risk_hat[1], 20000);
  /* even spread over [0, 100): censorings at 100 j / (c + 1); those before
   * 10 (j < (c + 1) / 10) leave before the drop there, a tenth of the rest */
  int c = o.censored_hat[0];
  ck_assert_near(o.res.censor_time[0], 100.0 / (c + 1), 1e-9);
  ck_assert_near(o.res.censor_time[c - 1], 100.0 * c / (c + 1), 1e-9);
  int before = (int) ceil((c + 1) / 10.0) - 1;
  ck_assert_int_eq(o.events[1], (int) floor((60000 - before) * 0.1 + 0.5));
  free(o.res.censor_time);
}
END_TEST

/* A drop smaller than half an event is carried to the next point (Guyot's
 * KM-at-last-event rule): 100 at risk, S 0.996 then 0.99 -> 0 events, then 1
 * event (round(100 x 0.01)) at the second point. */
START_TEST(small_drops_accumulate)
{
  double time[] = {0, 1, 2, 3}, surv[] = {1, 0.996, 0.99, 0.99}, rt[] = {0};
  int nr[] = {100};
  ns_ipd_curve cv = {4, time, surv, 1, rt, nr, 1};
  outputs o;
  outputs_init(&o);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  ck_assert_int_eq(o.events[1], 0);
  ck_assert_int_eq(o.events[2], 1);
  ck_assert_int_eq(o.events_hat[0], 1);
  ck_assert_uint_eq(o.res.n_censored, 99);
}
END_TEST

/* total_events decides how many are censored in a last interval whose
 * drops alone cannot tell: 20 at risk, S falls from 1 to 0.5 in one drop at
 * 1 then stays flat: 10 events with no early censoring; with total 10 exactly
 * 10 events. */
START_TEST(total_events_in_last_interval)
{
  double time[] = {0, 1, 10}, surv[] = {1, 0.5, 0.5}, rt[] = {0};
  int nr[] = {20};
  ns_ipd_curve cv = {3, time, surv, 1, rt, nr, 10};
  outputs o;
  outputs_init(&o);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  ck_assert_int_eq(o.events[1], 10);
  ck_assert_uint_eq(o.res.n_censored, 10);
  for (size_t j = 1; j < o.res.n_censored; j++)
    ck_assert(o.censor_time[j] >= o.censor_time[j - 1]);
}
END_TEST

START_TEST(preconditions)
{
  double time[] = {0, 1, 2}, surv[] = {1, 0.5, 0.4}, rt[] = {0, 1};
  int nr[] = {10, 5};
  outputs o;
  outputs_init(&o);
  ns_ipd_curve cv = {3, time, surv, 2, rt, nr, -1};
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  ck_assert_int_eq(ns_ipd_reconstruct(NULL, &o.res), NS_ERR_ARGUMENT);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, NULL), NS_ERR_ARGUMENT);
  double up[] = {1, 0.5, 0.6};       /* survival rises */
  cv.surv = up;
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_ERR_ARGUMENT);
  cv.surv = surv;
  double late[] = {0, 1.5};          /* not a point time */
  cv.risk_time = late;
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_ERR_ARGUMENT);
  cv.risk_time = rt;
  int grow[] = {10, 11};             /* numbers at risk grow */
  cv.n_risk = grow;
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_ERR_ARGUMENT);
  cv.n_risk = nr;
  double same[] = {0, 0};            /* an empty interval */
  cv.risk_time = same;
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_ERR_ARGUMENT);
  cv.risk_time = rt;
  double nan_time[] = {0, NAN, 2};
  cv.time = nan_time;
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_ERR_TIME);
  cv.time = time;
  double start[] = {0.5, 1, 2};      /* does not start at (0, 1) */
  cv.time = start;
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_ERR_ARGUMENT);
}
END_TEST

/* Nobody left at a later at-risk time: the rest of the curve gets nobody,
 * and a large cohort takes the coarse grid of the last interval. */
START_TEST(zero_at_risk_and_large_cohort)
{
  double time[] = {0, 1, 2, 3}, surv[] = {1, 0.5, 0.5, 0.5}, rt[] = {0, 2};
  int nr[] = {4, 0};
  ns_ipd_curve cv = {4, time, surv, 2, rt, nr, -1};
  outputs o;
  outputs_init(&o);
  ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
  /* a halving is 2 of 4 or 1 of 2 (censorings first): either uses all 4 */
  ck_assert(o.events[1] == 1 || o.events[1] == 2);
  ck_assert_int_eq(o.events[1] + (int) o.res.n_censored, 4);
  ck_assert_int_eq(o.risk_hat[1], 0);
  ck_assert_int_eq(o.events[2] + o.events[3], 0);
  /* 3000 at risk, one interval: the last-interval search uses a stride */
  double t2[] = {0, 1, 5}, s2[] = {1, 0.9, 0.9}, r2[] = {0};
  int n2[] = {3000};
  ns_ipd_curve big = {3, t2, s2, 1, r2, n2, -1};
  outputs_init(&o);
  ck_assert_int_eq(ns_ipd_reconstruct(&big, &o.res), NS_OK);
  ck_assert_int_eq(o.events[1], 300);
  ck_assert_uint_eq(o.res.n_censored, 2700);
}
END_TEST

/* Seeded random cohorts: exponential event and uniform censoring times
 * rounded to whole days, exact KM computed here, at-risk counts at ticks.
 * The reconstruction must reproduce every published number at risk, use up
 * every patient, and reproduce the number of events within 2% of n. */
static unsigned long long lcg(unsigned long long *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 11;
}
static double unif(unsigned long long *s) { return (lcg(s) + 0.5) / 9007199254740992.0; }

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

START_TEST(random_round_trip)
{
  for (unsigned long long seed = 1; seed <= 40; seed++) {
    unsigned long long s = seed;
    int n = 30 + (int) (unif(&s) * 400);
    static double t[MAXN];
    static int st[MAXN];
    double key[MAXN];
    int true_events = 0;
    for (int i = 0; i < n; i++) {
      double e = ceil(-log(unif(&s)) * 300), c = ceil(unif(&s) * 900);
      t[i] = e <= c ? e : c;
      st[i] = e <= c;
      true_events += st[i];
      key[i] = t[i] * 2 + (1 - st[i]); /* events first at a tie */
    }
    qsort(key, (size_t) n, sizeof key[0], cmp_double);
    static double time[MAXP], surv[MAXP];
    size_t K = 0;
    time[K] = 0; surv[K++] = 1;
    double S = 1;
    int at_risk = n, i = 0;
    double tmax = floor(key[n - 1] / 2);
    double rt[10];
    int nr[10];
    size_t m = 0;
    double tick = 100;
    while (i < n) {
      double ti = floor(key[i] / 2);
      int d = 0, c = 0;
      while (i < n && floor(key[i] / 2) == ti) { if (fmod(key[i], 2) == 0) d++; else c++; i++; }
      if (d > 0) { S *= 1.0 - (double) d / at_risk; time[K] = ti; surv[K++] = S; }
      at_risk -= d + c;
    }
    if (time[K - 1] < tmax) { time[K] = tmax; surv[K++] = S; }
    /* at-risk table: n with time >= tick, ticks within the curve */
    for (double T = 0; T <= tmax && m < 10; T += tick) {
      int r = 0;
      for (int j = 0; j < n; j++) r += t[j] >= T;
      rt[m] = T; nr[m++] = r;
    }
    /* insert the ticks as points on the step function */
    static double time2[MAXP], surv2[MAXP];
    size_t K2 = 0, k = 0;
    for (size_t q = 0; q < m; q++) {
      while (k < K && time[k] < rt[q]) { time2[K2] = time[k]; surv2[K2++] = surv[k]; k++; }
      if (k < K && time[k] == rt[q]) continue;
      time2[K2] = rt[q]; surv2[K2] = K2 > 0 ? surv2[K2 - 1] : 1; K2++;
    }
    while (k < K) { time2[K2] = time[k]; surv2[K2++] = surv[k]; k++; }
    ns_ipd_curve cv = {K2, time2, surv2, m, rt, nr, -1};
    static outputs o;
    outputs_init(&o);
    ck_assert_int_eq(ns_ipd_reconstruct(&cv, &o.res), NS_OK);
    int ev = 0;
    for (size_t q = 0; q < K2; q++) ev += o.events[q];
    ck_assert_int_eq(ev + (int) o.res.n_censored, n);
    for (size_t q = 0; q < m; q++) ck_assert_int_eq(o.risk_hat[q], nr[q]);
    ck_assert_msg(abs(ev - true_events) <= 0.02 * n + 1, "seed %llu: %d events, true %d",
                  seed, ev, true_events);
    for (size_t j = 0; j < o.res.n_censored; j++) {
      ck_assert(o.censor_time[j] >= 0 && o.censor_time[j] <= tmax);
      if (j > 0) ck_assert(o.censor_time[j] >= o.censor_time[j - 1]);
    }
  }
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("ipd");
  TCase *tc = tcase_create("reconstruct");
  tcase_add_test(tc, no_censoring_one_event_per_step);
  tcase_add_test(tc, five_patients_by_hand);
  tcase_add_test(tc, drop_heights_place_censorings);
  tcase_add_test(tc, large_interval_keeps_even_spread);
  tcase_add_test(tc, small_drops_accumulate);
  tcase_add_test(tc, total_events_in_last_interval);
  tcase_add_test(tc, preconditions);
  tcase_add_test(tc, zero_at_risk_and_large_cohort);
  tcase_add_test(tc, random_round_trip);
  suite_add_tcase(s, tc);
  return s;
}
