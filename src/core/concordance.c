/*
 * concordance.c -- Harrell's concordance of a fitted risk score with the
 * survival times, as survival's concordancefit computes it for coxph
 * (ns_cox_concordance in netsurv.h), and its variance under the Cox model
 * (ns_cox_concordance_cvar).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* The weights of the rows at risk (component 0) and of the events seen so
 * far (component 1), in a sum tree over the rows laid out in score order
 * (one leaf per row, ties on the score adjacent, the leaves padded to a power
 * of two N): node p (1 <= p < 2N, leaves N..2N-1) keeps its two components at
 * t[2p] and t[2p + 1], and every inner node is the sum of its two children,
 * recomputed (never adjusted) when a leaf is set. So the tree is a function
 * of the current leaves only -- a row that leaves, or a stratum that is
 * emptied, leaves no residue -- and every weight read from it ("below",
 * "at" and "above" a score) is a sum of nonnegative terms: no total less
 * partial sums, which lost the small weights' pairs beside weights ~1e12
 * times larger (issue #13). O(log n) a leaf set or a query. */
typedef struct { size_t N; double *t; } sumtree;

/* Set row position pos's risk weight (which 0), event weight (1) or both
 * (2) to v, and recompute the sums above it. */
static void st_put(sumtree *s, size_t pos, int which, double v)
{
  double *t = s->t;
  size_t p = s->N + pos;
  if (which != 1) t[2 * p] = v;
  if (which != 0) t[2 * p + 1] = v;
  for (p >>= 1; p >= 1; p >>= 1) {
    t[2 * p] = t[4 * p] + t[4 * p + 2];
    t[2 * p + 1] = t[4 * p + 1] + t[4 * p + 3];
  }
}

/* Weights below, at and above the score whose rows occupy positions
 * [l, r], for both components: out[3 * c + k] with k = 0 less, 1 equal,
 * 2 greater. The paths from leaves l and r to the root: siblings left of
 * the l path are below, right of the r path above, between the two paths
 * (until they meet) at the score. */
static void st_query(const sumtree *s, size_t l, size_t r, double *out)
{
  const double *t = s->t;
  /* acc: above (0, 1), below (2, 3), at (4, 5), both components; a sibling
   * is routed by its side without a branch (the sides are random) */
  double acc[6] = {0, 0, 0, 0, 0, 0};
  size_t pl = s->N + l, pr = s->N + r;
  acc[4] = t[2 * pl]; acc[5] = t[2 * pl + 1];
  if (pl != pr) {
    acc[4] += t[2 * pr]; acc[5] += t[2 * pr + 1];
    while ((pl >> 1) != (pr >> 1)) {
      const double *sl = t + 2 * (pl ^ 1), *sr = t + 2 * (pr ^ 1);
      double *dl = acc + 4 - 2 * (pl & 1), *dr = acc + 4 * (pr & 1);
      dl[0] += sl[0]; dl[1] += sl[1];
      dr[0] += sr[0]; dr[1] += sr[1];
      pl >>= 1; pr >>= 1;
    }
    pl >>= 1;
  }
  for (size_t p = pl; p > 1; p >>= 1) {
    const double *sb = t + 2 * (p ^ 1);
    double *d = acc + 2 * (p & 1);
    d[0] += sb[0]; d[1] += sb[1];
  }
  out[0] = acc[2]; out[1] = acc[4]; out[2] = acc[0];
  out[3] = acc[3]; out[4] = acc[5]; out[5] = acc[1];
}

typedef struct { size_t rank; double w; size_t row; } rank_weight;

/* A row's place in the tree: its leaf (its place in score order) and its
 * score's leaves [first, last]; first serves as the score's rank (rows tie
 * on the score iff equal, and order by score as these do). One record, so
 * that a row's reads and the permutations touch one place. */
typedef struct { uint32_t first, last, pos; } row_leaf;

/* The Cox-model variance of the concordance (survival's cvar) needs, at
 * each event time, z2 = sum over the risk set of w_i r_i^2, where r_i =
 * (weight at risk with a higher score) - (weight with a lower score): the
 * weighted variance of the scores' ranks, whose mean is 0. When a row of
 * weight w joins a risk set in which weights lo, eq and hi lie below, at
 * and above its score, its own r is hi - lo, every r above it falls by w and
 * every r below rises by w; since sum_{above} w_j r_j = -hi (lo + eq) and
 * sum_{below} w_j r_j = lo (hi + eq), z2 grows by the amount below. A row
 * that leaves takes the same amount away (computed without its own weight
 * in eq). */
static double z2_step(double w, double lo, double eq, double hi)
{
  /* lo, eq and hi are sums of nonnegative weights (see sumtree) */
  return w * (hi * (w + 2 * (lo + eq)) + lo * (w + 2 * (hi + eq)) + (hi - lo) * (hi - lo));
}

/* The rows of one computation, renumbered in (stratum, time) order with ties
 * kept in score order: columns in that order let the sweep read status,
 * ranks and weights and update the influence sums sequentially, leaving only
 * the sum tree to be addressed at random. (The variance is a sum over
 * rows, so it does not mind the numbering.) */
typedef struct {
  size_t n, m;          /* rows; distinct scores */
  const double *time, *start, *weight; /* permuted copies below, or NULL */
  const int *status, *stratum, *cluster;
  row_leaf *lf;         /* each row's leaf and score (see row_leaf) */
  size_t *rs;           /* m + 1: the first leaf of each score (rs[m] = n) */
  int *ord;             /* rows in sweep order: the identity once permuted */
  int *ord2;            /* rows by (stratum, start), (start, stop] data only */
  double *infl;         /* 3 per row: see conc_sweep */
  rank_weight *grp;     /* scratch: the events tied at one time */
  sumtree st;
  double z2;            /* sum over the risk set of w_i r_i^2 (see z2_step) */
  double vcox;          /* sum over event times of d_t z2 / W_t */
  double *pt, *pw, *pstart; /* owned copies */
  int *pst, *pss, *pcl;
} conc_work;

#define W(c, i) ((c)->weight ? (c)->weight[i] : 1.0)
#define STRAT(c, i) ((c)->stratum ? (c)->stratum[i] : 0)
/* row i's score: its leaves [rs[rank], rs[rank + 1]) */
#define QUERY(c, i, q) st_query(&(c)->st, (c)->lf[i].first, (c)->lf[i].last, (q))

static void conc_free(conc_work *c)
{
  free(c->ord); free(c->ord2); free(c->lf); free(c->rs);
  free(c->infl);
  free(c->grp); free(c->st.t);
  free(c->pt); free(c->pw); free(c->pstart); free(c->pst); free(c->pss); free(c->pcl);
}

/* Step 1: dense ranks of the scores (ord: rows by score), each row's leaf
 * (its place in that order), the first leaf of each rank, and the sum tree. */
static ns_status conc_rank_scores(conc_work *c, const double *score)
{
  size_t n = c->n;
  ns_status st = ns_sort_order(n, NULL, score, c->ord);
  if (st != NS_OK) return st;
  size_t m = 0;
  c->rs[0] = 0;
  for (size_t k = 0; k < n; k++) {
    if (k > 0 && score[c->ord[k]] != score[c->ord[k - 1]]) c->rs[++m] = k;
    c->lf[c->ord[k]].first = (uint32_t) c->rs[m];
    c->lf[c->ord[k]].pos = (uint32_t) k;
  }
  m++;
  c->rs[m] = n;
  c->m = m;
  for (size_t r = 0; r < m; r++)
    for (size_t k = c->rs[r]; k < c->rs[r + 1]; k++)
      c->lf[c->ord[k]].last = (uint32_t) (c->rs[r + 1] - 1);
  size_t N = 1;
  while (N < n) N *= 2;
  c->st.N = N;
  c->st.t = calloc(4 * N, sizeof *c->st.t);
  if (!c->st.t) return NS_ERR_NOMEM;
  return NS_OK;
}

/* Step 2: time order with ties kept in score order -- the stable sort by
 * (stratum, time) runs on the columns laid out in score order, so each group
 * of tied events comes out already sorted by rank (no per-group sort) --
 * then the columns copied in that order (see conc_work) and, for (start,
 * stop] data, the order of the starts. */
static ns_status conc_time_order(conc_work *c, const double *time, const double *start,
                                 const int *status, const double *weight,
                                 const int *stratum, const int *cluster)
{
  size_t n = c->n;
  int *ord = c->ord;
  ns_status st;
  {
    double *ts = malloc(n * sizeof *ts);
    int *ss = stratum ? malloc(n * sizeof *ss) : NULL;
    int *o2 = malloc(n * sizeof *o2);
    if (!ts || (stratum && !ss) || !o2) {
      free(ts); free(ss); free(o2);
      return NS_ERR_NOMEM;
    }
    for (size_t k = 0; k < n; k++) ts[k] = time[ord[k]];
    if (stratum) for (size_t k = 0; k < n; k++) ss[k] = stratum[ord[k]];
    st = ns_sort_order(n, ss, ts, o2);
    if (st == NS_OK)
      for (size_t k = 0; k < n; k++) o2[k] = ord[o2[k]];
    free(ts); free(ss);
    free(ord);
    c->ord = ord = o2;
  }
  if (st != NS_OK) return st;
  row_leaf *plf = malloc(n * sizeof *plf);
  c->pt = malloc(n * sizeof *c->pt);
  c->pst = malloc(n * sizeof *c->pst);
  if (weight) c->pw = malloc(n * sizeof *c->pw);
  if (stratum) c->pss = malloc(n * sizeof *c->pss);
  if (start) c->pstart = malloc(n * sizeof *c->pstart);
  if (cluster) c->pcl = malloc(n * sizeof *c->pcl);
  if (!plf || !c->pt || !c->pst || (weight && !c->pw) || (stratum && !c->pss) ||
      (start && !c->pstart) || (cluster && !c->pcl)) {
    free(plf);
    return NS_ERR_NOMEM;
  }
  for (size_t k = 0; k < n; k++) {
    size_t i = (size_t) ord[k];
    plf[k] = c->lf[i];
    c->pt[k] = time[i];
    c->pst[k] = status[i];
  }
  if (weight) for (size_t k = 0; k < n; k++) c->pw[k] = weight[ord[k]];
  if (stratum) for (size_t k = 0; k < n; k++) c->pss[k] = stratum[ord[k]];
  if (start) for (size_t k = 0; k < n; k++) c->pstart[k] = start[ord[k]];
  if (cluster) for (size_t k = 0; k < n; k++) c->pcl[k] = cluster[ord[k]];
  free(c->lf);
  c->lf = plf;
  c->time = c->pt; c->status = c->pst; c->weight = c->pw; c->stratum = c->pss;
  c->start = c->pstart; c->cluster = c->pcl;
  for (size_t k = 0; k < n; k++) ord[k] = (int) k;
  if (start) return ns_sort_order(n, c->stratum, c->start, c->ord2);
  return NS_OK;
}

/* The events tied at time t, rows [g, k) of the sweep order: their pairs
 * with the rows still at risk, and among themselves (tied.y on different
 * scores, tied.xy on the same score: each a sum over the pairs, of
 * nonnegative terms). cnt and infl as in conc_sweep. */
static void conc_event_group(conc_work *c, size_t g, size_t k, double *cnt)
{
  const int *ord = c->ord;
  double *infl = c->infl;
  rank_weight *grp = c->grp;
  double q[6];
  size_t ng = 0;
  double dsum = 0;
  for (size_t r = g; r < k; r++) {
    size_t i = (size_t) ord[r];
    if (!c->status[i]) continue;
    grp[ng].rank = c->lf[i].first; grp[ng].w = W(c, i); grp[ng].row = i; ng++;
    dsum += W(c, i);
  }
  /* Already in rank order (see conc_time_order); only times equal under ==
   * but apart in the sort's bit order (-0 and +0) can break it, and then an
   * insertion sort restores it. */
  for (size_t a = 1; a < ng; a++) {
    rank_weight v = grp[a];
    size_t e = a;
    while (e > 0 && grp[e - 1].rank > v.rank) { grp[e] = grp[e - 1]; e--; }
    grp[e] = v;
  }
  double below = 0;
  for (size_t a = 0; a < ng;) {
    size_t b = a;
    double gs = 0;
    /* pairs on the same score: each weight times those before it */
    while (b < ng && grp[b].rank == grp[a].rank) { cnt[4] += grp[b].w * gs; gs += grp[b].w; b++; }
    cnt[3] += gs * below;
    double seen = 0; /* the block's events before e */
    for (size_t e = a; e < b; e++) {
      size_t i = grp[e].row;
      double w = grp[e].w;
      /* Comparable pairs with this event: the rows still at risk. */
      QUERY(c, i, q);
      cnt[0] += w * q[2]; cnt[1] += w * q[0]; cnt[2] += w * q[1];
      infl[3 * i] += q[2]; infl[3 * i + 1] += q[0]; infl[3 * i + 2] += q[1];
      /* Its own window opens now; the events tied with it (itself
       * included) are not its partners, so they count as seen (those
       * above its score: the pass below). */
      infl[3 * i] -= q[3] + below; infl[3 * i + 1] -= q[5]; infl[3 * i + 2] -= q[4] + gs;
      /* The events join the risk set in this (rank) order once all are
       * counted: e joins a risk set that also holds the group's events
       * below its score and those before it at its score (see z2_step). */
      c->z2 += z2_step(w, q[0] + below, q[1] + seen, q[2]);
      seen += w;
    }
    below += gs;
    a = b;
  }
  /* the tied events above each score, summed from the top */
  double above = 0;
  for (size_t b = ng; b > 0;) {
    size_t a = b - 1;
    double gs = grp[a].w;
    while (a > 0 && grp[a - 1].rank == grp[b - 1].rank) { a--; gs += grp[a].w; }
    for (size_t e = a; e < b; e++) infl[3 * grp[e].row + 1] -= above;
    above += gs;
    b = a;
  }
  /* All queries above saw the tree before any of these events: now the
   * events join both the risk set and the seen events, and the risk set,
   * complete at t, adds its rank variance (survival's count[5]). */
  for (size_t e = 0; e < ng; e++) st_put(&c->st, c->lf[grp[e].row].pos, 2, grp[e].w);
  double wrisk = c->st.t[2]; /* the root: the weight at risk */
  if (wrisk > 0) c->vcox += dsum * c->z2 / wrisk;
}

/* Close a stratum, rows [lo, hi) of the sweep order (and [lo2, i2) of the
 * start order): rows still at risk take their final influence, then the
 * stratum's leaves are cleared (not needed after the last stratum). */
static ns_status conc_close_stratum(conc_work *c, size_t lo, size_t hi, size_t lo2, size_t i2)
{
  const int *ord = c->ord;
  double *infl = c->infl;
  sumtree *st = &c->st;
  double q[6];
  if (c->start) {
    while (i2 > lo2) {
      size_t i = (size_t) c->ord2[--i2];
      QUERY(c, i, q);
      infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
    }
  } else if (hi - lo >= c->n / 4) {
    /* Every row of a large stratum reads the final event weights: sums
     * over the leaves by score answer them all, instead of a tree query
     * per row (at most 4 strata are this large). Indexed by a score's
     * first leaf (rank): ev, the event weight at the score; lw and up, at
     * the scores below and above. */
    size_t m = c->m, N = st->N, n = c->n;
    double *ev = malloc(3 * n * sizeof *ev);
    if (!ev) return NS_ERR_NOMEM;
    double *lw = ev + n, *up = ev + 2 * n;
    for (size_t r = 0; r < m; r++) {
      double s = 0;
      for (size_t p = c->rs[r]; p < c->rs[r + 1]; p++) s += st->t[2 * (N + p) + 1];
      ev[c->rs[r]] = s;
    }
    double s = 0;
    for (size_t r = 0; r < m; r++) { lw[c->rs[r]] = s; s += ev[c->rs[r]]; }
    s = 0;
    for (size_t r = m; r > 0; r--) { up[c->rs[r - 1]] = s; s += ev[c->rs[r - 1]]; }
    for (size_t r = lo; r < hi; r++) {
      size_t i = (size_t) ord[r], ri = c->lf[i].first;
      infl[3 * i] += lw[ri]; infl[3 * i + 1] += up[ri]; infl[3 * i + 2] += ev[ri];
    }
    free(ev);
  } else {
    for (size_t r = lo; r < hi; r++) {
      size_t i = (size_t) ord[r];
      QUERY(c, i, q);
      infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
    }
  }
  if (lo > 0)
    for (size_t r = lo; r < hi; r++) st_put(st, c->lf[ord[r]].pos, 2, 0.0);
  return NS_OK;
}

/* Step 3: the sweep, strata from the last, times from the latest. cnt:
 * concordant, discordant, tied.x, tied.y, tied.xy weights (tied.y on
 * different scores only). infl[3i + k]: for row i, the weight of its
 * comparable partners that are concordant (k = 0), discordant (1) or tied
 * on the score (2), in survival's orientation (a longer survivor with a
 * larger score is concordant); reversed only at the end. A row's partners
 * as the longer survivor are the events inside its risk window: the event
 * weights read when it leaves the window minus when it enters. */
static ns_status conc_sweep(conc_work *c, double *cnt)
{
  const int *ord = c->ord;
  double *infl = c->infl;
  double q[6];
  size_t n = c->n, hi = n, hi2 = n;
  while (hi > 0) {
    /* One stratum: rows [lo, hi) of ord (and [lo2, hi2) of ord2). */
    size_t lo = hi - 1;
    int s = STRAT(c, ord[lo]);
    while (lo > 0 && STRAT(c, ord[lo - 1]) == s) lo--;
    size_t lo2 = hi2, i2 = hi2;
    if (c->start) { lo2 = hi2 - (hi - lo); i2 = hi2; }
    c->z2 = 0; /* a new stratum starts with an empty risk set */
    size_t k = hi;
    while (k > lo) {
      /* The rows tied at this time: [g, k). */
      double t = c->time[ord[k - 1]];
      size_t g = k - 1;
      while (g > lo && c->time[ord[g - 1]] == t) g--;
      int any_dead = 0;
      /* Censored first: they are at risk at t (and after). */
      for (size_t r = g; r < k; r++) {
        size_t i = (size_t) ord[r];
        if (c->status[i]) { any_dead = 1; continue; }
        QUERY(c, i, q);
        infl[3 * i] -= q[3]; infl[3 * i + 1] -= q[5]; infl[3 * i + 2] -= q[4];
        c->z2 += z2_step(W(c, i), q[0], q[1], q[2]);
        st_put(&c->st, c->lf[i].pos, 0, W(c, i));
      }
      if (!any_dead) { k = g; continue; }
      if (c->start) {
        /* Rows whose interval starts at or after t are not at risk: the
         * leaf cleared first, the query then sees the risk set without it. */
        while (i2 > lo2 && c->start[c->ord2[i2 - 1]] >= t) {
          size_t i = (size_t) c->ord2[--i2];
          st_put(&c->st, c->lf[i].pos, 0, 0.0);
          QUERY(c, i, q);
          infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
          c->z2 -= z2_step(W(c, i), q[0], q[1], q[2]);
          if (c->z2 < 0) c->z2 = 0; /* a sum of squares: below 0 only by rounding */
        }
      }
      conc_event_group(c, g, k, cnt);
      k = g;
    }
    ns_status st = conc_close_stratum(c, lo, hi, lo2, i2);
    if (st != NS_OK) return st;
    hi = lo;
    hi2 = lo2;
  }
  return NS_OK;
}

/* Step 4: the counts in survival's (reversed) orientation, the concordance
 * and its infinitesimal-jackknife standard error (collapsed by cluster). */
static ns_status conc_finish(const conc_work *c, const double *cnt, size_t n_cluster,
                             double *count, double *concordance, double *std, double *cvar)
{
  size_t n = c->n;
  const double *infl = c->infl;
  double npair = cnt[0] + cnt[1] + cnt[2];
  /* survival reports the reversed orientation for a Cox risk score. */
  count[0] = cnt[1]; count[1] = cnt[0];
  count[2] = cnt[2]; count[3] = cnt[3]; count[4] = cnt[4];
  if (!(npair > 0)) return NS_OK;
  double somer = (cnt[0] - cnt[1]) / npair;
  *concordance = 1.0 - (somer + 1.0) / 2.0;
  if (cvar) *cvar = c->vcox / (4.0 * npair * npair);
  double v = 0;
  if (c->cluster) {
    double *dfb = calloc(n_cluster, sizeof *dfb);
    if (!dfb) return NS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
      const double *f = infl + 3 * i;
      dfb[c->cluster[i]] += W(c, i) * ((f[0] - f[1]) / npair - somer / npair * (f[0] + f[1] + f[2]));
    }
    for (size_t k = 0; k < n_cluster; k++) v += dfb[k] * dfb[k];
    free(dfb);
  } else {
    for (size_t i = 0; i < n; i++) {
      const double *f = infl + 3 * i;
      double d = W(c, i) * ((f[0] - f[1]) / npair - somer / npair * (f[0] + f[1] + f[2]));
      v += d * d;
    }
  }
  *std = sqrt(v / 4.0);
  return NS_OK;
}

ns_status ns_cox_concordance(size_t n, const double *time, const double *start,
                             const int *status, const double *weight,
                             const int *stratum, const double *score,
                             const int *cluster, size_t n_cluster,
                             double *count, double *concordance, double *std)
{
  return ns_cox_concordance_cvar(n, time, start, status, weight, stratum, score, cluster,
                                 n_cluster, count, concordance, std, NULL);
}

/* See netsurv.h. The variance under the Cox model rides along the sweep of
 * ns_cox_concordance: z2 is kept up to date as rows join and leave the
 * risk set (z2_step), and each event time adds d_t z2 / W_t. */
ns_status ns_cox_concordance_cvar(size_t n, const double *time, const double *start,
                                  const int *status, const double *weight,
                                  const int *stratum, const double *score,
                                  const int *cluster, size_t n_cluster,
                                  double *count, double *concordance, double *std,
                                  double *cvar)
{
  if (!time || !status || !score || !count || !concordance || !std) return NS_ERR_ARGUMENT;
  for (int k = 0; k < 5; k++) count[k] = 0;
  *concordance = NAN;
  *std = NAN;
  if (cvar) *cvar = NAN;
  if (n == 0) return NS_OK;
  if (n > 2147483647u) return NS_ERR_ARGUMENT;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(score[i])) return NS_ERR_NONFINITE;
    if (status[i] != 0 && status[i] != 1) return NS_ERR_STATUS;
    if (weight && !(weight[i] >= 0 && isfinite(weight[i]))) return NS_ERR_WEIGHT;
    if (!isfinite(time[i]) || (start && !isfinite(start[i]))) return NS_ERR_TIME;
    /* an interval with start >= stop is at risk nowhere (it would count
     * negative pairs, a concordance above 1); refused as ns_cox_fit does */
    if (start && !(start[i] < time[i])) return NS_ERR_START_STOP;
  }
  if (cluster)
    for (size_t i = 0; i < n; i++)
      if (cluster[i] < 0 || (size_t) cluster[i] >= n_cluster) return NS_ERR_ARGUMENT;

  conc_work c;
  memset(&c, 0, sizeof c);
  c.n = n;
  c.ord = malloc(n * sizeof *c.ord);
  c.ord2 = start ? malloc(n * sizeof *c.ord2) : NULL;
  c.lf = malloc(n * sizeof *c.lf);
  c.rs = malloc((n + 1) * sizeof *c.rs);
  c.infl = calloc(3 * n, sizeof *c.infl);
  c.grp = malloc(n * sizeof *c.grp);
  ns_status st = NS_OK;
  if (!c.ord || (start && !c.ord2) || !c.lf || !c.rs || !c.infl || !c.grp) st = NS_ERR_NOMEM;
  double cnt[5] = {0, 0, 0, 0, 0};
  if (st == NS_OK) st = conc_rank_scores(&c, score);
  if (st == NS_OK) st = conc_time_order(&c, time, start, status, weight, stratum, cluster);
  if (st == NS_OK) st = conc_sweep(&c, cnt);
  if (st == NS_OK) st = conc_finish(&c, cnt, n_cluster, count, concordance, std, cvar);
  conc_free(&c);
  return st;
}

#undef W
#undef STRAT
#undef QUERY
