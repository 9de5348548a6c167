/* fuzz_logrank.c -- ns_logrank_test, ns_logrank_test_cb (with a callback
 * that stops at once or never) and ns_logrank_permutation. Postconditions:
 * valid input is answered; per stratum the observed and expected counts
 * add up to the same total; for rho = gamma = 0 the observed counts are the
 * group's events; chisq is finite and >= 0, df < number of groups; the
 * callback versions agree with the plain one or stop cleanly; a
 * permutation p-value lies in (0, 1]; the permutation's observed chisq is
 * bitwise the test's; MaxCombo's observed statistic equals the largest
 * standardized statistic formed from ns_logrank_test's totals; obs, exp and
 * var equal the formulas of netsurv.h evaluated row by row at every event
 * time; an exact (enumerated) permutation or MaxCombo p-value on <= 6 rows
 * equals the share of all n! within-strata arrangements of the labels whose
 * statistic reaches the observed one. */
#include "fuzz_input.h"
#include "netsurv.h"
#include "internal.h" /* ns_time_fix */

static int stop_now(void *context, double fraction)
{
  (void) fraction;
  return *(int *) context;
}


/* ns_logrank_test's obs, exp and var written from the formulas in
 * netsurv.h, row by row: per stratum, at each distinct event time t, n and
 * r_k at risk (time >= t), d and d_k events at t, the pooled left-continuous
 * Kaplan-Meier S(t-) of the stratum, w = S^rho (1 - S)^gamma (0^0 = 1). */
static void naive_logrank(size_t n, const double *time, const int *status, const int *group,
                          const int *stratum, int G, int S, double rho, double gamma,
                          double *obs, double *exp_, double *var)
{
  double *r = calloc((size_t) G, sizeof *r), *dk = calloc((size_t) G, sizeof *dk);
  memset(obs, 0, (size_t) G * (size_t) S * sizeof *obs);
  memset(exp_, 0, (size_t) G * (size_t) S * sizeof *exp_);
  memset(var, 0, (size_t) G * (size_t) G * sizeof *var);
  for (int s = 0; s < S; s++) {
    double surv = 1.0, t = -INFINITY;
    for (;;) {
      /* the next event time of the stratum after t */
      double next = INFINITY;
      int found = 0;
      for (size_t i = 0; i < n; i++)
        if ((stratum ? stratum[i] : 0) == s && status[i] && time[i] > t &&
            (!found || time[i] < next)) { next = time[i]; found = 1; }
      if (!found) break;
      t = next;
      double nr = 0, d = 0;
      for (int k = 0; k < G; k++) r[k] = dk[k] = 0;
      for (size_t i = 0; i < n; i++) {
        if ((stratum ? stratum[i] : 0) != s || time[i] < t) continue;
        nr += 1; r[group[i]] += 1;
        if (time[i] == t && status[i]) { d += 1; dk[group[i]] += 1; }
      }
      double a = rho == 0 ? 1.0 : pow(surv, rho), b = gamma == 0 ? 1.0 : pow(1 - surv, gamma);
      double w = a * b;
      for (int k = 0; k < G; k++) {
        obs[s * G + k] += w * dk[k];
        exp_[s * G + k] += w * d * r[k] / nr;
      }
      if (nr > 1)
        for (int j = 0; j < G; j++)
          for (int k = 0; k < G; k++)
            var[j + k * G] += w * w * d * (nr - d) / (nr - 1) * (r[j] / nr) *
                              ((j == k) - r[k] / nr);
      surv *= 1 - d / nr;
    }
  }
  free(r); free(dk);
}

/* Every permutation of the rows that keeps each row's stratum (Heap's
 * algorithm over n <= 6 positions), the labels carried along: calls visit
 * with the permuted labels. */
typedef void (*visit_fn)(const int *labels, void *ctx);
static void each_arrangement(size_t n, const int *group, const int *stratum, visit_fn visit,
                             void *ctx)
{
  int perm[8], c[8] = {0}, lab[8];
  for (size_t i = 0; i < n; i++) perm[i] = (int) i;
  for (size_t step = 0;;) {
    int keeps = 1;
    for (size_t i = 0; i < n; i++) {
      if (stratum && stratum[perm[i]] != stratum[i]) keeps = 0;
      lab[i] = group[perm[i]];
    }
    if (keeps) visit(lab, ctx);
    while (step < n && c[step] >= (int) step) c[step++] = 0;
    if (step >= n) break;
    int j = (step % 2) ? c[step] : 0, tmp = perm[j];
    perm[j] = perm[step];
    perm[step] = tmp;
    c[step]++;
    step = 0;
  }
}

typedef struct {
  size_t n;
  const double *time;
  const int *status, *stratum;
  int G, S, K, sides;
  const double *rho, *gamma;
  double t_obs;
  size_t total, above;
} perm_ctx;

/* chisq (K == 0) or the MaxCombo statistic of one arrangement */
static double arrangement_stat(perm_ctx *p, const int *lab)
{
  double obs[64], exp_[64], var[64], chisq = 0;
  int df;
  if (p->K == 0) {
    ns_status r = ns_logrank_test(p->n, p->time, p->status, lab, p->stratum, p->G, p->S,
                                  p->rho[0], p->gamma[0], obs, exp_, var, &chisq, &df);
    FZ_CHECK(r == NS_OK, "arrangement refused: %s", ns_status_message(r));
    return chisq;
  }
  double best = -INFINITY;
  for (int k = 0; k < p->K; k++) {
    ns_status r = ns_logrank_test(p->n, p->time, p->status, lab, p->stratum, 2, p->S, p->rho[k],
                                  p->gamma[k], obs, exp_, var, &chisq, &df);
    FZ_CHECK(r == NS_OK, "arrangement refused: %s", ns_status_message(r));
    double o0 = 0, e0 = 0;
    for (int s = 0; s < p->S; s++) { o0 += obs[s * 2]; e0 += exp_[s * 2]; }
    double z = var[0] > 0 ? (o0 - e0) / sqrt(var[0]) : 0.0;
    double v = p->sides == 0 ? fabs(z) : p->sides > 0 ? z : -z;
    if (v > best) best = v;
  }
  return best;
}

static void count_arrangement(const int *lab, void *ctx)
{
  perm_ctx *p = ctx;
  double t = arrangement_stat(p, lab);
  p->total++;
  if (t >= p->t_obs - 1e-9 * (1 + fabs(p->t_obs))) p->above++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 200);
  int G = 1 + (int) fz_uint(&in, 8), S = 1 + (int) fz_uint(&in, 3);
  uint8_t opt = fz_byte(&in);
  double rho = (opt & 1) ? fz_double(&in, opt & 2) : 0.0;
  double gamma = (opt & 4) ? fz_double(&in, opt & 2) : 0.0;
  double *time = malloc((n + 1) * sizeof *time);
  int *status = malloc((n + 1) * sizeof *status), *group = malloc((n + 1) * sizeof *group);
  int *stratum = malloc((n + 1) * sizeof *stratum);
  for (size_t i = 0; i < n; i++) {
    time[i] = fz_double(&in, opt & 2);
    status[i] = fz_byte(&in) & 1;
    group[i] = (int) fz_uint(&in, (unsigned) G);
    stratum[i] = (int) fz_uint(&in, (unsigned) S);
  }
  size_t gs = (size_t) G * (size_t) S;
  double *obs = calloc(gs, sizeof *obs), *exp = calloc(gs, sizeof *exp);
  double *var = calloc((size_t) G * G, sizeof *var);
  double chisq = -1;
  int df = -1;
  const int *st = S > 1 ? stratum : NULL;
  ns_status r = ns_logrank_test(n, time, status, group, st, G, S, rho, gamma, obs, exp, var,
                                &chisq, &df);
  int valid = G >= 2 && isfinite(rho) && isfinite(gamma) && rho >= 0 && gamma >= 0;
  int events = 0, groups_used = 0, *used = calloc((size_t) G, sizeof *used);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i])) valid = 0;
    events += status[i];
    if (!used[group[i]]++) groups_used++;
  }
  if (r == NS_OK) {
    FZ_CHECK(valid && events > 0, "accepted invalid input");
    FZ_CHECK(isfinite(chisq) && chisq >= 0, "chisq %g", chisq);
    FZ_CHECK(df >= 0 && df < G, "df %d", df);
    for (int s = 0; s < S; s++) {
      double so = 0, se = 0;
      for (int k = 0; k < G; k++) { so += obs[s * G + k]; se += exp[s * G + k]; }
      FZ_CHECK(fz_close(so, se, 1e-9), "stratum %d: obs %g exp %g", s, so, se);
    }
    if (rho == 0 && gamma == 0)
      for (int k = 0; k < G; k++) {
        double ev = 0, tot = 0;
        for (size_t i = 0; i < n; i++) if (group[i] == k) ev += status[i];
        for (int s = 0; s < S; s++) tot += obs[s * G + k];
        FZ_CHECK(fz_close(ev, tot, 1e-12), "group %d: obs %g events %g", k, tot, ev);
      }
    {
      /* obs, exp, var against the formulas */
      double *no = calloc(gs, sizeof *no), *ne = calloc(gs, sizeof *ne);
      double *nv = calloc((size_t) G * G, sizeof *nv);
      naive_logrank(n, time, status, group, st, G, S, rho, gamma, no, ne, nv);
      for (size_t k = 0; k < gs; k++) {
        FZ_CHECK(fz_close(obs[k], no[k], 1e-9), "obs[%zu] %.17g vs naive %.17g", k, obs[k], no[k]);
        FZ_CHECK(fz_close(exp[k], ne[k], 1e-9), "exp[%zu] %.17g vs naive %.17g", k, exp[k], ne[k]);
      }
      for (size_t k = 0; k < (size_t) G * G; k++)
        FZ_CHECK(fz_close(var[k], nv[k], 1e-9), "var[%zu] %.17g vs naive %.17g", k, var[k], nv[k]);
      free(no); free(ne); free(nv);
    }
    {
      /* time_fix in the core (on the distinct pairs) equals ns_time_fix on
       * the rows followed by the plain test, bit for bit: times nudged by
       * less than the tolerance merge back, also across strata */
      const double tol = 1.4901161193847656e-08;
      double *tj = malloc((n + 1) * sizeof *tj), *tf = malloc((n + 1) * sizeof *tf);
      double *o1 = calloc(gs, sizeof *o1), *e1 = calloc(gs, sizeof *e1);
      double *o2 = calloc(gs, sizeof *o2), *e2 = calloc(gs, sizeof *e2);
      double *v1 = calloc((size_t) G * G, sizeof *v1), *v2 = calloc((size_t) G * G, sizeof *v2);
      for (size_t i = 0; i < n; i++)
        tj[i] = time[i] + (double) (i % 3) * 1e-10 * (1.0 + fabs(time[i]));
      double c1 = -1, c2 = -1;
      int d1 = -1, d2 = -1;
      ns_status rf = ns_time_fix(n, tj, NULL, tol, tf, NULL, NULL, NULL);
      FZ_CHECK(rf == NS_OK, "time_fix: %s", ns_status_message(rf));
      ns_status r1 = ns_logrank_test(n, tf, status, group, st, G, S, rho, gamma, o1, e1, v1,
                                     &c1, &d1);
      ns_status r2 = ns_logrank_test_cb(n, tj, status, group, st, G, S, rho, gamma, tol, o2,
                                        e2, v2, &c2, &d2, NULL, NULL);
      FZ_CHECK(r1 == r2, "time_fix in the core: %s vs %s", ns_status_message(r2),
               ns_status_message(r1));
      if (r1 == NS_OK) {
        FZ_CHECK(c1 == c2 && d1 == d2, "time_fix in the core: chisq %.17g vs %.17g", c2, c1);
        FZ_CHECK(memcmp(o1, o2, gs * sizeof *o1) == 0 && memcmp(e1, e2, gs * sizeof *e1) == 0 &&
                 memcmp(v1, v2, (size_t) G * G * sizeof *v1) == 0,
                 "time_fix in the core: obs, exp or var differ");
      }
      free(tj); free(tf); free(o1); free(e1); free(o2); free(e2); free(v1); free(v2);
    }
    for (int stop = 0; stop < 2; stop++) {
      double c2 = -1;
      int d2 = -1;
      ns_status r2 = ns_logrank_test_cb(n, time, status, group, st, G, S, rho, gamma, 0.0, obs, exp,
                                        var, &c2, &d2, stop_now, &stop);
      if (r2 == NS_OK) FZ_CHECK(c2 == chisq && d2 == df, "callback changes the answer");
      else FZ_CHECK(stop && r2 == NS_ERR_INTERRUPTED, "callback run: %s", ns_status_message(r2));
    }
    if (n <= 60) {
      double co, pv, se;
      size_t np;
      int en;
      int never = 0;
      ns_status r3 = ns_logrank_permutation(n, time, status, group, st, G, S, rho, gamma, 0.0, 50,
                                            fz_uint(&in, 65535), stop_now, &never, &co, &pv,
                                            &se, &np, &en);
      FZ_CHECK(r3 == NS_OK, "permutation: %s", ns_status_message(r3));
      /* the same additions in the same order: bitwise equal */
      FZ_CHECK(co == chisq, "permutation chisq %.17g vs %.17g", co, chisq);
      FZ_CHECK(pv > 0 && pv <= 1, "p %g", pv);
      FZ_CHECK(se >= 0 && isfinite(se), "se %g", se);
      if (en && n <= 6) {
        /* exact: the share of all within-strata arrangements at least as extreme */
        perm_ctx p = {n, time, status, st, G, S, 0, 0, &rho, &gamma, co, 0, 0};
        each_arrangement(n, group, st, count_arrangement, &p);
        double pn = (double) p.above / (double) p.total;
        FZ_CHECK(fz_close(pv, pn, 1e-12), "exact permutation p %.17g vs enumeration %.17g", pv, pn);
        FZ_CHECK(se == 0, "exact permutation with se %g", se);
      }
    }
    if (G == 2 && n <= 60) {
      /* MaxCombo: the largest standardized statistic over K weight pairs
       * equals the one formed from ns_logrank_test's group-0 totals */
      double rk[3] = {0.0, rho, 1.0}, gk[3] = {0.0, gamma, 0.5};
      int sides = (int) (opt >> 3) % 3 - 1, K = 3;
      double best = -INFINITY;
      for (int k = 0; k < K; k++) {
        double c3 = -1;
        int d3 = -1;
        ns_status r4 = ns_logrank_test(n, time, status, group, st, G, S, rk[k], gk[k], obs, exp,
                                       var, &c3, &d3);
        FZ_CHECK(r4 == NS_OK, "maxcombo weights refused: %s", ns_status_message(r4));
        double o0 = 0, e0 = 0;
        for (int s = 0; s < S; s++) { o0 += obs[s * G]; e0 += exp[s * G]; }
        double z = var[0] > 0 ? (o0 - e0) / sqrt(var[0]) : 0.0;
        double v = sides == 0 ? fabs(z) : sides > 0 ? z : -z;
        if (v > best) best = v;
      }
      double mo, pv, se;
      size_t np;
      int en, never = 0;
      ns_status r5 = ns_logrank_maxcombo_permutation(n, time, status, group, st, S, K, rk, gk,
                                                     sides, 40, fz_uint(&in, 65535), stop_now,
                                                     &never, &mo, &pv, &se, &np, &en);
      FZ_CHECK(r5 == NS_OK, "maxcombo: %s", ns_status_message(r5));
      FZ_CHECK(fz_close(mo, best, 1e-12), "maxcombo %.17g vs %.17g from the tests", mo, best);
      FZ_CHECK(pv > 0 && pv <= 1 && se >= 0 && isfinite(se), "maxcombo p %g se %g", pv, se);
      if (en && n <= 6) {
        perm_ctx p = {n, time, status, st, 2, S, K, sides, rk, gk, mo, 0, 0};
        each_arrangement(n, group, st, count_arrangement, &p);
        double pn = (double) p.above / (double) p.total;
        FZ_CHECK(fz_close(pv, pn, 1e-12), "exact MaxCombo p %.17g vs enumeration %.17g", pv, pn);
      }
    }
  } else {
    FZ_CHECK(!valid || events == 0 || groups_used < 2, "valid input refused: %s",
             ns_status_message(r));
  }
  free(time); free(status); free(group); free(stratum); free(obs); free(exp); free(var);
  free(used);
  return 0;
}
