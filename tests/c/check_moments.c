/* check_moments.c -- the moments layer (moments.c) against the row-level
 * core on the same data: ns_km_from_moments vs ns_km_prepare/estimate,
 * ns_logrank_from_moments vs ns_logrank_test, ns_cox_moments_eval vs
 * ns_cox_fit evaluated at fixed coefficients (iter_max = 0), the Newton
 * iteration from moments (moments_newton.c) vs the whole ns_cox_fit, on seeded
 * random data with ties, strata, fractional and zero weights, late entry. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "internal.h" /* the linalg wrappers */
#include "check_main.h"

/* A small deterministic generator (splitmix64), so that the tests do not
 * depend on the C library's rand(). */
static unsigned long long rng_state;
static double unif(void)
{
  unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (double) (z >> 11) / 9007199254740992.0;
}

typedef struct {
  size_t n, p;
  int n_strata, n_group;
  double *time, *start, *w, *x, *eta;
  int *status, *stratum, *group;
} rows;

static void rows_free(rows *r)
{
  free(r->time); free(r->start); free(r->w); free(r->x); free(r->eta);
  free(r->status); free(r->stratum); free(r->group);
}

/* Times rounded to a grid (many ties); start < stop when counting. */
static rows make_rows(unsigned long long seed, size_t n, size_t p, int n_strata, int counting,
                      int weighted, int n_group)
{
  rng_state = seed;
  rows r = {n, p, n_strata, n_group, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
  r.time = malloc(n * sizeof *r.time);
  r.start = counting ? malloc(n * sizeof *r.start) : NULL;
  r.w = weighted ? malloc(n * sizeof *r.w) : NULL;
  r.x = malloc((n * p + 1) * sizeof *r.x);
  r.eta = malloc(n * sizeof *r.eta);
  r.status = malloc(n * sizeof *r.status);
  r.stratum = malloc(n * sizeof *r.stratum);
  r.group = malloc(n * sizeof *r.group);
  for (size_t i = 0; i < n; i++) {
    r.stratum[i] = (int) (unif() * n_strata);
    r.group[i] = (int) (unif() * n_group);
    double t = 1 + floor(unif() * 20);
    if (counting) {
      double s = floor(unif() * t);
      if (s >= t) s = t - 1;
      r.start[i] = s;
    }
    r.time[i] = t;
    r.status[i] = unif() < 0.6;
    if (weighted) {
      double u = unif();
      r.w[i] = u < 0.1 ? 0.25 : u < 0.4 ? 2.5 : 1.0;
    }
    for (size_t j = 0; j < p; j++) r.x[i + j * n] = j == 0 ? (double) (unif() < 0.5) : 2 * unif() - 1;
  }
  return r;
}

/* Distinct (stratum, time) keys of stop and start times, sorted. */
typedef struct { int s; double t; } key;
static int key_cmp(const void *a, const void *b)
{
  const key *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? -1 : 1;
  return (x->t > y->t) - (x->t < y->t);
}
static size_t make_keys(const rows *r, int use_strata, key **out)
{
  key *k = malloc(2 * r->n * sizeof *k);
  size_t m = 0;
  for (size_t i = 0; i < r->n; i++) {
    int s = use_strata ? r->stratum[i] : 0;
    k[m].s = s; k[m].t = r->time[i]; m++;
    if (r->start) { k[m].s = s; k[m].t = r->start[i]; m++; }
  }
  qsort(k, m, sizeof *k, key_cmp);
  size_t u = 0;
  for (size_t i = 0; i < m; i++)
    if (u == 0 || key_cmp(&k[u - 1], &k[i]) != 0) k[u++] = k[i];
  *out = k;
  return u;
}
static size_t find_key(const key *k, size_t m, int s, double t)
{
  key probe = {s, t};
  key *hit = bsearch(&probe, k, m, sizeof *k, key_cmp);
  ck_assert_ptr_nonnull(hit);
  return (size_t) (hit - k);
}

static void check_km(unsigned long long seed, int n_strata, int counting, int weighted)
{
  rows r = make_rows(seed, 300, 0, n_strata, counting, weighted, 2);
  key *k;
  size_t m = make_keys(&r, 1, &k);
  double *cnt = calloc(5 * m, sizeof *cnt);
  double *stop = cnt, *ev = cnt + m, *ce = cnt + 2 * m, *en = cnt + 3 * m, *tm = cnt + 4 * m;
  int *st = malloc(m * sizeof *st);
  for (size_t a = 0; a < m; a++) { st[a] = k[a].s; tm[a] = k[a].t; }
  for (size_t i = 0; i < r.n; i++) {
    double w = r.w ? r.w[i] : 1.0;
    size_t a = find_key(k, m, r.stratum[i], r.time[i]);
    stop[a] += 1;
    if (r.status[i]) ev[a] += w; else ce[a] += w;
    if (counting) en[find_key(k, m, r.stratum[i], r.start[i])] += w;
  }
  ns_km_moments mo = {m, n_strata, st, tm, stop, ev, ce, counting ? en : NULL};
  size_t nt = 0;
  double *o = calloc(8 * m, sizeof *o);
  int *stt = calloc((size_t) n_strata, sizeof *stt);
  ns_km_curve cm = {o, o + m, o + 2 * m, o + 3 * m, o + 4 * m, o + 5 * m, o + 6 * m, o + 7 * m,
                    NULL, stt, NULL};
  ck_assert_int_eq(ns_km_from_moments(&mo, &cm, &nt), NS_OK);

  ns_km_data kd = {r.n, r.time, r.start, r.status, r.w, r.stratum, n_strata, NS_KM_GREENWOOD, 0, NULL, 0, NULL};
  ns_km_work *work = NULL;
  size_t nt2 = 0;
  ck_assert_int_eq(ns_km_prepare(&kd, &work, &nt2, NULL, NULL), NS_OK);
  ck_assert_uint_eq(nt, nt2);
  double *o2 = calloc(8 * nt2 + 1, sizeof *o2);
  int *stt2 = calloc((size_t) n_strata, sizeof *stt2), *rows2 = calloc((size_t) n_strata, sizeof *rows2);
  ns_km_curve cr = {o2, o2 + nt2, o2 + 2 * nt2, o2 + 3 * nt2, o2 + 4 * nt2, o2 + 5 * nt2,
                    o2 + 6 * nt2, o2 + 7 * nt2, NULL, stt2, rows2};
  ck_assert_int_eq(ns_km_estimate(work, &cr, NULL, NULL), NS_OK);
  for (int s = 0; s < n_strata; s++) ck_assert_int_eq(stt[s], stt2[s]);
  const double *a[8] = {cm.time, cm.n_risk, cm.n_event, cm.n_censor, cm.surv, cm.std_err,
                        cm.cumhaz, cm.std_chaz};
  const double *b[8] = {cr.time, cr.n_risk, cr.n_event, cr.n_censor, cr.surv, cr.std_err,
                        cr.cumhaz, cr.std_chaz};
  for (int f = 0; f < 8; f++)
    for (size_t t = 0; t < nt; t++) {
      if (isinf(b[f][t])) { ck_assert(isinf(a[f][t])); continue; }
      ck_assert_near(a[f][t], b[f][t], 1e-12);
    }
  ns_km_free(work);
  free(o2); free(stt2); free(rows2); free(o); free(stt); free(cnt); free(st); free(k);
  rows_free(&r);
}

START_TEST(km_matches_rows)
{
  for (unsigned long long seed = 1; seed <= 6; seed++) {
    check_km(seed, 1, 0, 0);
    check_km(seed, 3, 0, 1);
    check_km(seed, 2, 1, 0);
    check_km(seed, 3, 1, 1);
  }
}
END_TEST

/* A curve of at most two time points, one stratum, in o[16] and stt[1]. */
static ns_km_curve two_times(double *o, int *stt)
{
  ns_km_curve c = {o, o + 2, o + 4, o + 6, o + 8, o + 10, o + 12, o + 14, NULL, stt, NULL};
  return c;
}

/* Weighted counts summed by an engine can leave the number at risk a
 * rounding below the events (0.3 - (0.1 + 0.2) < 0): the curve ends at 0,
 * never below, and its Greenwood term is +Inf, as ns_km_estimate's
 * (ns_km_survivors in internal.h). */
START_TEST(km_clamps_events_beyond_the_risk_set)
{
  double t[] = {1, 2}, stop[] = {1, 1}, event[] = {0.5, 0.3}, censor[] = {0, 0};
  double enter[] = {0.1, 0};
  enter[0] += 0.2; /* 0.30000000000000004 */
  double o[16];
  int stt[1];
  ns_km_curve c = two_times(o, stt);
  size_t nt;
  ns_km_moments mo = {2, 1, NULL, t, stop, event, censor, enter};
  ck_assert_int_eq(ns_km_from_moments(&mo, &c, &nt), NS_OK);
  ck_assert_uint_eq(nt, 2);
  ck_assert(c.n_risk[0] < c.n_event[0]); /* the case this test is about */
  for (int k = 0; k < 2; k++) {
    ck_assert(c.surv[k] == 0.0 && !signbit(c.surv[k]));
    ck_assert(isinf(c.std_err[k]) && c.std_err[k] > 0);
  }
}
END_TEST

START_TEST(km_rejects_bad_records)
{
  double t[] = {2, 1}, one[] = {1, 1}, zero[] = {0, 0}, neg[] = {-1, 0};
  double o[16];
  int stt[1];
  ns_km_curve c = two_times(o, stt);
  size_t nt;
  ns_km_moments unsorted = {2, 1, NULL, t, one, one, zero, NULL};
  ck_assert_int_eq(ns_km_from_moments(&unsorted, &c, &nt), NS_ERR_ARGUMENT);
  double t2[] = {1, 2};
  ns_km_moments negative = {2, 1, NULL, t2, one, neg, zero, NULL};
  ck_assert_int_eq(ns_km_from_moments(&negative, &c, &nt), NS_ERR_WEIGHT);
  ns_km_moments no_rows = {2, 1, NULL, t2, zero, one, zero, NULL};
  ck_assert_int_eq(ns_km_from_moments(&no_rows, &c, &nt), NS_ERR_ARGUMENT);
  int bad_stratum[] = {0, 1};
  ns_km_moments strata = {2, 1, bad_stratum, t2, one, one, zero, NULL};
  ck_assert_int_eq(ns_km_from_moments(&strata, &c, &nt), NS_ERR_STRATUM);
}
END_TEST

static void check_logrank(unsigned long long seed, int n_strata, int n_group, double rho,
                          double gamma)
{
  rows r = make_rows(seed, 250, 0, n_strata, 0, 0, n_group);
  key *k;
  size_t m = make_keys(&r, 1, &k);
  size_t G = (size_t) n_group;
  double *ev = calloc(m * G, sizeof *ev), *sp = calloc(m * G, sizeof *sp), *tm = malloc(m * sizeof *tm);
  int *st = malloc(m * sizeof *st);
  for (size_t a = 0; a < m; a++) { st[a] = k[a].s; tm[a] = k[a].t; }
  for (size_t i = 0; i < r.n; i++) {
    size_t a = find_key(k, m, r.stratum[i], r.time[i]) + (size_t) r.group[i] * m;
    sp[a] += 1;
    ev[a] += r.status[i];
  }
  ns_logrank_moments mo = {m, n_group, n_strata, st, tm, ev, sp};
  size_t S = (size_t) n_strata;
  double *o1 = calloc(2 * G * S + G * G, sizeof *o1), *o2 = calloc(2 * G * S + G * G, sizeof *o2);
  double c1, c2;
  int df1, df2;
  ck_assert_int_eq(ns_logrank_from_moments(&mo, rho, gamma, o1, o1 + G * S, o1 + 2 * G * S,
                                           &c1, &df1), NS_OK);
  ck_assert_int_eq(ns_logrank_test(r.n, r.time, r.status, r.group, r.stratum, n_group, n_strata,
                                   rho, gamma, o2, o2 + G * S, o2 + 2 * G * S, &c2, &df2), NS_OK);
  for (size_t i = 0; i < 2 * G * S + G * G; i++) ck_assert_near(o1[i], o2[i], 1e-12);
  ck_assert_near(c1, c2, 1e-10);
  ck_assert_int_eq(df1, df2);
  free(o1); free(o2); free(ev); free(sp); free(tm); free(st); free(k);
  rows_free(&r);
}

START_TEST(logrank_matches_rows)
{
  for (unsigned long long seed = 11; seed <= 16; seed++) {
    check_logrank(seed, 1, 2, 0, 0);
    check_logrank(seed, 3, 3, 0, 0);
    check_logrank(seed, 2, 4, 1, 0);
    check_logrank(seed, 2, 3, 0.5, 1.5);
  }
}
END_TEST

/* Issue #13 (fuzz_moments finding db94fdc2): a group that is the whole risk
 * set at each of its event times (alone in its stratum) has variance exactly
 * 0. The rows path formed its diagonal as r (1 - r / n), a rounding residue
 * of ~1e-16 that the rank rule counted (df 2) where the moments path, exact,
 * gave df 1. Both now form r (n - r) / n and share ns_logrank_chisq; the
 * statistic is the two-group test of stratum 0 alone. */
START_TEST(logrank_df_agrees_when_a_group_fills_its_risk_sets)
{
  enum { A = 8, MAXN = 70 };
  for (int n2 = 2; n2 <= 60; n2++) {
    size_t n = A + (size_t) n2;
    double time[A + MAXN], tm[A + MAXN], ev[3 * (A + MAXN)], sp[3 * (A + MAXN)];
    int status[A + MAXN], group[A + MAXN], stratum[A + MAXN], rs[A + MAXN];
    for (size_t i = 0; i < n; i++) {
      int first = i < A;
      time[i] = first ? (double) (1 + i / 2) : (double) (1 + (i - A) / 3);
      status[i] = first ? (i % 3 != 2) : 1;
      group[i] = first ? (int) (i % 2) : 2;
      stratum[i] = first ? 0 : 1;
    }
    /* the records: distinct (stratum, time), sorted */
    size_t m = 0;
    memset(ev, 0, sizeof ev);
    memset(sp, 0, sizeof sp);
    for (size_t i = 0; i < n; i++)
      if (i == 0 || stratum[i] != stratum[i - 1] || time[i] != time[i - 1]) {
        rs[m] = stratum[i]; tm[m] = time[i]; m++;
      }
    for (size_t i = 0; i < n; i++) {
      size_t a = 0;
      while (rs[a] != stratum[i] || tm[a] != time[i]) a++;
      sp[a + (size_t) group[i] * m] += 1;
      ev[a + (size_t) group[i] * m] += status[i];
    }
    ns_logrank_moments mo = {m, 3, 2, rs, tm, ev, sp};
    double o1[6], e1[6], v1[9], o2[6], e2[6], v2[9], o3[2], e3[2], v3[4], c1, c2, c3;
    int df1, df2, df3;
    ck_assert_int_eq(ns_logrank_from_moments(&mo, 0, 0, o1, e1, v1, &c1, &df1), NS_OK);
    ck_assert_int_eq(ns_logrank_test(n, time, status, group, stratum, 3, 2, 0, 0, o2, e2, v2,
                                     &c2, &df2), NS_OK);
    ck_assert_int_eq(ns_logrank_test(A, time, status, group, NULL, 2, 1, 0, 0, o3, e3, v3,
                                     &c3, &df3), NS_OK);
    ck_assert_msg(v1[8] == 0 && v2[8] == 0, "n2 = %d: var %g %g", n2, v1[8], v2[8]);
    ck_assert_int_eq(df1, 1);
    ck_assert_int_eq(df2, 1);
    ck_assert_near(c1, c3, 1e-12);
    ck_assert_near(c2, c3, 1e-12);
  }
}
END_TEST

/* The Cox sums of ns_cox_moments at beta from rows, the covariates xc
 * (n x p, shifted by any constant): what a database's GROUP BY computes. */
typedef struct {
  size_t m, p;
  key *k;
  int *st;
  double *mem, *tm, *s0, *s1, *s2, *i0, *i1, *i2, *d, *dw, *d0, *d1, *d2, *dx, *deta;
  ns_cox_moments mo;
} cox_sums;

static void cox_sums_fill(cox_sums *cs, const rows *r, const double *xc, const double *beta,
                          int counting)
{
  size_t n = r->n, p = r->p, q = p * (p + 1) / 2, m;
  if (!cs->k) {
    cs->m = make_keys(r, 1, &cs->k);
    cs->p = p;
    m = cs->m;
    size_t cols = 3 * (1 + p + q) + 3 + 2 * p + q;
    cs->mem = malloc(m * (cols + 1) * sizeof *cs->mem);
    cs->st = malloc(m * sizeof *cs->st);
  }
  m = cs->m;
  size_t cols = 3 * (1 + p + q) + 3 + 2 * p + q;
  memset(cs->mem, 0, m * (cols + 1) * sizeof *cs->mem);
  double *tm = cs->tm = cs->mem, *s0 = cs->s0 = tm + m, *s1 = cs->s1 = s0 + m,
         *s2 = cs->s2 = s1 + m * p, *i0 = cs->i0 = s2 + m * q, *i1 = cs->i1 = i0 + m,
         *i2 = cs->i2 = i1 + m * p, *d = cs->d = i2 + m * q, *dw = cs->dw = d + m,
         *d0 = cs->d0 = dw + m, *d1 = cs->d1 = d0 + m, *d2 = cs->d2 = d1 + m * p,
         *dx = cs->dx = d2 + m * q, *deta = cs->deta = dx + m * p;
  for (size_t a = 0; a < m; a++) { cs->st[a] = cs->k[a].s; tm[a] = cs->k[a].t; }
  for (size_t i = 0; i < n; i++) {
    double eta = 0;
    for (size_t j = 0; j < p; j++) eta += beta[j] * xc[i + j * n];
    double w = r->w ? r->w[i] : 1.0, wr = w * exp(eta);
    size_t a = find_key(cs->k, m, r->stratum[i], r->time[i]);
    size_t b = counting ? find_key(cs->k, m, r->stratum[i], r->start[i]) : 0;
    s0[a] += wr;
    if (counting) i0[b] += wr;
    if (r->status[i]) { d[a] += 1; dw[a] += w; d0[a] += wr; deta[a] += w * eta; }
    for (size_t j = 0; j < p; j++) {
      double xj = xc[i + j * n];
      s1[a + j * m] += wr * xj;
      if (counting) i1[b + j * m] += wr * xj;
      if (r->status[i]) { d1[a + j * m] += wr * xj; dx[a + j * m] += w * xj; }
      for (size_t l = 0; l <= j; l++) {
        size_t c = j * (j + 1) / 2 + l;
        double v = wr * xj * xc[i + l * n];
        s2[a + c * m] += v;
        if (counting) i2[b + c * m] += v;
        if (r->status[i]) d2[a + c * m] += v;
      }
    }
  }
  ns_cox_moments mo = {m, p, r->n_strata, cs->st, tm, s0, s1, s2,
                       counting ? i0 : NULL, counting ? i1 : NULL, counting ? i2 : NULL,
                       d, dw, d0, d1, d2, dx, deta};
  cs->mo = mo;
}

static void cox_sums_free(cox_sums *cs)
{
  free(cs->mem); free(cs->st); free(cs->k);
}

/* Rows for a Cox check: positive weights, covariates shifted by an
 * arbitrary constant (the moments do not care). */
static rows cox_rows(unsigned long long seed, size_t p, int n_strata, int counting, int weighted,
                     double **xc)
{
  rows r = make_rows(seed, 400, p, n_strata, counting, weighted, 2);
  size_t n = r.n;
  if (r.w) for (size_t i = 0; i < n; i++) if (r.w[i] == 0) r.w[i] = 0.5; /* cox: w > 0 */
  double shift[4] = {0.5, 0.1, -0.2, 0.3};
  *xc = malloc((n * p + 1) * sizeof **xc);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < p; j++) (*xc)[i + j * n] = r.x[i + j * n] - shift[j];
  return r;
}

/* Cox: sums at beta from rows, then the moments' loglik, score and the
 * inverse information against ns_cox_fit at init = beta, iter_max = 0. */
static void check_cox(unsigned long long seed, size_t p, int n_strata, int counting, int weighted,
                      ns_cox_ties ties)
{
  double *xc;
  rows r = cox_rows(seed, p, n_strata, counting, weighted, &xc);
  size_t n = r.n;
  double beta[4] = {0.4, -0.7, 0.25, 1.1};
  cox_sums cs = {0};
  cox_sums_fill(&cs, &r, xc, beta, counting);
  ns_cox_moments mo = cs.mo;
  double ll, u[4], imat[16], factor[16], inv[16], work[16];
  int keep[4], rank;
  ck_assert_int_eq(ns_cox_moments_eval(&mo, ties, NULL, &ll, u, imat), NS_OK);
  ck_assert_int_eq(ns_linalg_chol(p, imat, 1e-12, factor, keep, &rank), NS_OK);
  ck_assert_int_eq(rank, (int) p);
  ck_assert_int_eq(ns_linalg_chol_inverse(p, factor, keep, rank, inv, work), NS_OK);

  double init[4];
  for (size_t j = 0; j < p; j++) init[j] = beta[j];
  ns_cox_data cd = {n, p, r.x, r.time, r.start, r.status, r.w, NULL, r.stratum, NULL, NULL, 0};
  ns_cox_control ctl = {ties, 0, 1e-9, 1e-12, 1e-5, init, NULL, 0, 0, 1};
  double coef[4], var[16], uu[4], means[4];
  ns_cox_result res;
  memset(&res, 0, sizeof res);
  res.coef = coef; res.var = var; res.u = uu; res.means = means;
  ck_assert_int_eq(ns_cox_fit(&cd, &ctl, &res, NULL, NULL), NS_OK);
  ck_assert_near(ll, res.loglik[0], 1e-11);
  for (size_t j = 0; j < p; j++) ck_assert_near(u[j], uu[j], 1e-10);
  for (size_t j = 0; j < p * p; j++) ck_assert_near(inv[j], var[j], 1e-10);

  /* Scaling: u * scale and I * scale scale'. */
  double scale[4] = {2, 0.5, 3, 1.5}, u2[4], im2[16], ll2;
  ck_assert_int_eq(ns_cox_moments_eval(&mo, ties, scale, &ll2, u2, im2), NS_OK);
  ck_assert_near(ll2, ll, 1e-14);
  for (size_t j = 0; j < p; j++) {
    ck_assert_near(u2[j], u[j] * scale[j], 1e-13);
    for (size_t i = 0; i < p; i++)
      ck_assert_near(im2[i + j * p], imat[i + j * p] * scale[i] * scale[j], 1e-13);
  }
  cox_sums_free(&cs);
  free(xc);
  rows_free(&r);
}

/* The whole fit by reverse communication (ns_cox_newton_start, then
 * ns_cox_moments_step with the sums at each point it asks for) against
 * ns_cox_fit on the rows: coefficients, variance, log-likelihoods, tests,
 * iterations and the convergence flag. */
static void check_newton(unsigned long long seed, size_t p, int n_strata, int counting,
                         int weighted, ns_cox_ties ties, int iter_max, const double *scale)
{
  double *xc;
  rows r = cox_rows(seed, p, n_strata, counting, weighted, &xc);
  size_t n = r.n;
  double init[4] = {0.1, -0.2, 0.05, 0.3}, beta[4];
  ns_cox_control ctl = {ties, iter_max, 1e-9, 1e-12, 1e-5, init, NULL, 0, 0, 1};
  unsigned char *state = malloc(ns_cox_newton_size(p));
  ck_assert_int_eq(ns_cox_newton_start(p, &ctl, scale, state), NS_OK);
  cox_sums cs = {0};
  memcpy(beta, init, sizeof beta);
  int done = 0, turns = 0;
  while (!done) {
    cox_sums_fill(&cs, &r, xc, beta, counting);
    ck_assert_int_eq(ns_cox_moments_step(&cs.mo, state, beta, &done), NS_OK);
    ck_assert_int_le(++turns, iter_max + 2);
  }
  /* A finished state takes no more steps. */
  ck_assert_int_eq(ns_cox_moments_step(&cs.mo, state, beta, &done), NS_ERR_ARGUMENT);
  double coef[4], var[16], u[4];
  int inf[4];
  ns_cox_result a;
  memset(&a, 0, sizeof a);
  a.coef = coef; a.var = var; a.u = u; a.infinite = inf;
  ck_assert_int_eq(ns_cox_newton_result(state, &a), NS_OK);

  ns_cox_data cd = {n, p, r.x, r.time, r.start, r.status, r.w, NULL, r.stratum, NULL, NULL, 0};
  double coef2[4], var2[16], u2[4];
  int inf2[4];
  ns_cox_result b;
  memset(&b, 0, sizeof b);
  b.coef = coef2; b.var = var2; b.u = u2; b.infinite = inf2;
  ck_assert_int_eq(ns_cox_fit(&cd, &ctl, &b, NULL, NULL), NS_OK);
  ck_assert_int_eq(a.iter, b.iter);
  ck_assert_int_eq(a.converged, b.converged);
  ck_assert_int_eq(a.rank, b.rank);
  ck_assert_near(a.loglik[0], b.loglik[0], 1e-10);
  ck_assert_near(a.loglik[1], b.loglik[1], 1e-10);
  ck_assert_near(a.score_test, b.score_test, 1e-8 * (1 + fabs(b.score_test)));
  ck_assert_near(a.wald_test, b.wald_test, 1e-8 * (1 + fabs(b.wald_test)));
  for (size_t j = 0; j < p; j++) {
    ck_assert_near(coef[j], coef2[j], 1e-9 * (1 + fabs(coef2[j])));
    ck_assert_near(u[j], u2[j], 1e-8);
    ck_assert_int_eq(inf[j], inf2[j]);
  }
  for (size_t j = 0; j < p * p; j++) ck_assert_near(var[j], var2[j], 1e-9 * (1 + fabs(var2[j])));
  free(state);
  cox_sums_free(&cs);
  free(xc);
  rows_free(&r);
}

START_TEST(cox_matches_rows)
{
  for (unsigned long long seed = 21; seed <= 25; seed++) {
    for (int ties = 0; ties < 2; ties++) {
      ns_cox_ties t = ties ? NS_COX_EFRON : NS_COX_BRESLOW;
      check_cox(seed, 1, 1, 0, 0, t);
      check_cox(seed, 3, 2, 0, 1, t);
      check_cox(seed, 2, 1, 1, 0, t);
      check_cox(seed, 4, 3, 1, 1, t);
    }
  }
}
END_TEST

START_TEST(newton_matches_cox_fit)
{
  double scale[4] = {2, 0.5, 3, 1.5};
  for (unsigned long long seed = 31; seed <= 34; seed++) {
    for (int ties = 0; ties < 2; ties++) {
      ns_cox_ties t = ties ? NS_COX_EFRON : NS_COX_BRESLOW;
      check_newton(seed, 1, 1, 0, 0, t, 20, NULL);
      check_newton(seed, 3, 2, 0, 1, t, 20, scale);
      check_newton(seed, 2, 1, 1, 0, t, 20, NULL);
      check_newton(seed, 4, 3, 1, 1, t, 20, scale);
      check_newton(seed, 3, 2, 1, 1, t, 1, NULL);  /* out of iterations */
      check_newton(seed, 2, 1, 0, 1, t, 0, NULL);  /* evaluated at init */
    }
  }
}
END_TEST

START_TEST(newton_rejects_bad_use)
{
  ns_cox_control ctl = {NS_COX_EFRON, 20, 1e-9, 1e-12, 1e-5, NULL, NULL, 0, 0, 1};
  double state_buf[512]; /* aligned for double */
  unsigned char *state = (unsigned char *) state_buf;
  double bad[2] = {1, -1}, beta[2];
  int done;
  ck_assert_uint_ge(sizeof state_buf, ns_cox_newton_size(2));
  ck_assert_int_eq(ns_cox_newton_start(2, &ctl, bad, state), NS_ERR_ARGUMENT);
  ctl.robust = 1;
  ck_assert_int_eq(ns_cox_newton_start(2, &ctl, NULL, state), NS_ERR_ARGUMENT);
  ctl.robust = 0;
  ck_assert_int_eq(ns_cox_newton_start(2, &ctl, NULL, state), NS_OK);
  /* Sums of another p, and a result before the end. */
  double t[] = {1}, s0[] = {1}, d[] = {1}, dw[] = {1}, deta[] = {0};
  ns_cox_moments mo = {1, 0, 1, NULL, t, s0, NULL, NULL, NULL, NULL, NULL, d, dw, NULL, NULL,
                       NULL, NULL, deta};
  ck_assert_int_eq(ns_cox_moments_step(&mo, state, beta, &done), NS_ERR_ARGUMENT);
  double coef[2], var[4];
  ns_cox_result res;
  memset(&res, 0, sizeof res);
  res.coef = coef; res.var = var;
  ck_assert_int_eq(ns_cox_newton_result(state, &res), NS_ERR_ARGUMENT);
  /* A state never started. */
  memset(state_buf, 0, sizeof state_buf);
  mo.p = 2;
  ck_assert_int_eq(ns_cox_moments_step(&mo, state, beta, &done), NS_ERR_ARGUMENT);
}
END_TEST

START_TEST(cox_empty_risk_set_is_nonfinite)
{
  /* An event at time 1 whose risk set the entries cancel entirely. */
  double t[] = {1}, s0[] = {1}, in0[] = {1}, d[] = {1}, dw[] = {1}, deta[] = {0};
  ns_cox_moments mo = {1, 0, 1, NULL, t, s0, NULL, NULL, in0, NULL, NULL, d, dw, NULL, NULL,
                       NULL, NULL, deta};
  double ll;
  ck_assert_int_eq(ns_cox_moments_eval(&mo, NS_COX_BRESLOW, NULL, &ll, NULL, NULL),
                   NS_ERR_NONFINITE);
  double half[] = {0.5};
  mo.d = half;
  ck_assert_int_eq(ns_cox_moments_eval(&mo, NS_COX_BRESLOW, NULL, &ll, NULL, NULL),
                   NS_ERR_ARGUMENT);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("moments");
  TCase *tc = tcase_create("moments");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, km_matches_rows);
  tcase_add_test(tc, km_rejects_bad_records);
  tcase_add_test(tc, km_clamps_events_beyond_the_risk_set);
  tcase_add_test(tc, logrank_matches_rows);
  tcase_add_test(tc, logrank_df_agrees_when_a_group_fills_its_risk_sets);
  tcase_add_test(tc, cox_matches_rows);
  tcase_add_test(tc, cox_empty_risk_set_is_nonfinite);
  tcase_add_test(tc, newton_matches_cox_fit);
  tcase_add_test(tc, newton_rejects_bad_use);
  suite_add_tcase(s, tc);
  return s;
}
