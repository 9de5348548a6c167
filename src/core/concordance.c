/*
 * concordance.c -- Harrell's concordance of a fitted risk score with the
 * survival times, as survival's concordancefit computes it for coxph
 * (ns_cox_concordance in netsurv.h), and its variance under the Cox model
 * (ns_cox_concordance_cvar).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Two Fenwick trees over the score ranks 0..m-1, interleaved so that one
 * traversal serves both: component 0 holds the weights of the rows at risk,
 * component 1 the weights of the events seen so far. node[] keeps the weight
 * at each rank, so "less", "equal" and "greater" are O(log m). */
typedef struct { size_t m; double *tree, *node, total[2]; } fenwick2;

static void fw_add(fenwick2 *f, size_t rank, double w_risk, double w_event)
{
  f->node[2 * rank] += w_risk;
  f->node[2 * rank + 1] += w_event;
  f->total[0] += w_risk;
  f->total[1] += w_event;
  for (size_t i = rank + 1; i <= f->m; i += i & (~i + 1)) {
    f->tree[2 * i] += w_risk;
    f->tree[2 * i + 1] += w_event;
  }
}

/* Weights below, at and above a rank, for both components: out[3 * c + k]
 * with k = 0 less, 1 equal, 2 greater. */
static void fw_query(const fenwick2 *f, size_t rank, double *out)
{
  double s0 = 0, s1 = 0;
  for (size_t i = rank; i > 0; i -= i & (~i + 1)) {
    s0 += f->tree[2 * i];
    s1 += f->tree[2 * i + 1];
  }
  out[0] = s0; out[1] = f->node[2 * rank]; out[2] = f->total[0] - s0 - out[1];
  out[3] = s1; out[4] = f->node[2 * rank + 1]; out[5] = f->total[1] - s1 - out[4];
}

typedef struct { size_t rank; double w; size_t row; } rank_weight;

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
  /* "hi" is a total less two partial sums: a rounding residue may make it
   * a hair negative, where the weight really is 0 */
  if (lo < 0) lo = 0;
  if (eq < 0) eq = 0;
  if (hi < 0) hi = 0;
  return w * (hi * (w + 2 * (lo + eq)) + lo * (w + 2 * (hi + eq)) + (hi - lo) * (hi - lo));
}

/* The rows of one computation, renumbered in (stratum, time) order with ties
 * kept in score order: columns in that order let the sweep read status,
 * ranks and weights and update the influence sums sequentially, leaving only
 * the Fenwick tree to be addressed at random. (The variance is a sum over
 * rows, so it does not mind the numbering.) */
typedef struct {
  size_t n, m;          /* rows; distinct scores */
  const double *time, *start, *weight; /* permuted copies below, or NULL */
  const int *status, *stratum, *cluster;
  size_t *rank;         /* score rank (0..m-1) of each row */
  int *ord;             /* rows in sweep order: the identity once permuted */
  int *ord2;            /* rows by (stratum, start), (start, stop] data only */
  double *infl;         /* 3 per row: see conc_sweep */
  rank_weight *grp;     /* scratch: the events tied at one time */
  fenwick2 fw;
  double z2;            /* sum over the risk set of w_i r_i^2 (see z2_step) */
  double vcox;          /* sum over event times of d_t z2 / W_t */
  double *pt, *pw, *pstart; /* owned copies */
  int *pst, *pss, *pcl;
} conc_work;

#define W(c, i) ((c)->weight ? (c)->weight[i] : 1.0)
#define STRAT(c, i) ((c)->stratum ? (c)->stratum[i] : 0)

static void conc_free(conc_work *c)
{
  free(c->ord); free(c->ord2); free(c->rank); free(c->infl); free(c->grp);
  free(c->fw.tree); free(c->fw.node);
  free(c->pt); free(c->pw); free(c->pstart); free(c->pst); free(c->pss); free(c->pcl);
}

/* Step 1: dense ranks of the scores (ord: rows by score), and the Fenwick
 * trees over them. */
static ns_status conc_rank_scores(conc_work *c, const double *score)
{
  size_t n = c->n;
  ns_status st = ns_sort_order(n, NULL, score, c->ord);
  if (st != NS_OK) return st;
  size_t m = 0;
  for (size_t k = 0; k < n; k++) {
    if (k > 0 && score[c->ord[k]] != score[c->ord[k - 1]]) m++;
    c->rank[c->ord[k]] = m;
  }
  m++;
  c->m = m;
  c->fw.m = m;
  c->fw.tree = calloc(2 * (m + 1), sizeof *c->fw.tree);
  c->fw.node = calloc(2 * m, sizeof *c->fw.node);
  if (!c->fw.tree || !c->fw.node) return NS_ERR_NOMEM;
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
  size_t *prk = malloc(n * sizeof *prk);
  c->pt = malloc(n * sizeof *c->pt);
  c->pst = malloc(n * sizeof *c->pst);
  if (weight) c->pw = malloc(n * sizeof *c->pw);
  if (stratum) c->pss = malloc(n * sizeof *c->pss);
  if (start) c->pstart = malloc(n * sizeof *c->pstart);
  if (cluster) c->pcl = malloc(n * sizeof *c->pcl);
  if (!prk || !c->pt || !c->pst || (weight && !c->pw) || (stratum && !c->pss) ||
      (start && !c->pstart) || (cluster && !c->pcl)) {
    free(prk);
    return NS_ERR_NOMEM;
  }
  for (size_t k = 0; k < n; k++) {
    size_t i = (size_t) ord[k];
    prk[k] = c->rank[i];
    c->pt[k] = time[i];
    c->pst[k] = status[i];
  }
  if (weight) for (size_t k = 0; k < n; k++) c->pw[k] = weight[ord[k]];
  if (stratum) for (size_t k = 0; k < n; k++) c->pss[k] = stratum[ord[k]];
  if (start) for (size_t k = 0; k < n; k++) c->pstart[k] = start[ord[k]];
  if (cluster) for (size_t k = 0; k < n; k++) c->pcl[k] = cluster[ord[k]];
  free(c->rank);
  c->rank = prk;
  c->time = c->pt; c->status = c->pst; c->weight = c->pw; c->stratum = c->pss;
  c->start = c->pstart; c->cluster = c->pcl;
  for (size_t k = 0; k < n; k++) ord[k] = (int) k;
  if (start) return ns_sort_order(n, c->stratum, c->start, c->ord2);
  return NS_OK;
}

/* The events tied at time t, rows [g, k) of the sweep order: their pairs
 * with the rows still at risk, and among themselves (tied.y, and tied.xy
 * when the score ties too). cnt and infl as in conc_sweep. */
static void conc_event_group(conc_work *c, size_t g, size_t k, double *cnt)
{
  const int *ord = c->ord;
  const size_t *rank = c->rank;
  double *infl = c->infl;
  rank_weight *grp = c->grp;
  double q[6];
  size_t ng = 0;
  double dsum = 0, dsq = 0;
  for (size_t r = g; r < k; r++) {
    size_t i = (size_t) ord[r];
    if (!c->status[i]) continue;
    grp[ng].rank = rank[i]; grp[ng].w = W(c, i); grp[ng].row = i; ng++;
    dsum += W(c, i); dsq += W(c, i) * W(c, i);
  }
  cnt[3] += (dsum * dsum - dsq) / 2;
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
    double gs = 0, gq = 0;
    while (b < ng && grp[b].rank == grp[a].rank) { gs += grp[b].w; gq += grp[b].w * grp[b].w; b++; }
    cnt[4] += (gs * gs - gq) / 2;
    for (size_t e = a; e < b; e++) {
      size_t i = grp[e].row;
      double w = grp[e].w;
      /* Comparable pairs with this event: the rows still at risk. */
      fw_query(&c->fw, grp[e].rank, q);
      cnt[0] += w * q[2]; cnt[1] += w * q[0]; cnt[2] += w * q[1];
      infl[3 * i] += q[2]; infl[3 * i + 1] += q[0]; infl[3 * i + 2] += q[1];
      /* Its own window opens now; the events tied with it (itself
       * included) are not its partners, so they count as seen. */
      double tl = below, te = gs, tg = dsum - below - gs;
      infl[3 * i] -= q[3] + tl; infl[3 * i + 1] -= q[5] + tg; infl[3 * i + 2] -= q[4] + te;
    }
    below += gs;
    a = b;
  }
  /* All queries above saw the tree before any of these events: now the
   * events join both the risk set and the seen events, and the risk set,
   * complete at t, adds its rank variance (survival's count[5]). */
  for (size_t e = 0; e < ng; e++) {
    fw_query(&c->fw, grp[e].rank, q);
    c->z2 += z2_step(grp[e].w, q[0], q[1], q[2]);
    fw_add(&c->fw, grp[e].rank, grp[e].w, grp[e].w);
  }
  if (c->fw.total[0] > 0) c->vcox += dsum * c->z2 / c->fw.total[0];
}

/* Close a stratum, rows [lo, hi) of the sweep order (and [lo2, i2) of the
 * start order): rows still at risk take their final influence, then the tree
 * is emptied by undoing what was added (not needed after the last stratum). */
static ns_status conc_close_stratum(conc_work *c, size_t lo, size_t hi, size_t lo2, size_t i2)
{
  const int *ord = c->ord;
  const size_t *rank = c->rank;
  double *infl = c->infl;
  fenwick2 *fw = &c->fw;
  double q[6];
  if (c->start) {
    while (i2 > lo2) {
      size_t i = (size_t) c->ord2[--i2];
      fw_query(fw, rank[i], q);
      infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
      if (lo > 0) fw_add(fw, rank[i], -W(c, i), 0);
    }
  } else if (hi - lo >= c->m / 4) {
    /* Every row of a large stratum reads the final event counts: one
     * cumulative sum over the ranks answers them all, instead of a tree
     * query per row. cum[r] = event weight at ranks below r. */
    size_t m = c->m;
    double *cum = malloc((m + 1) * sizeof *cum);
    if (!cum) return NS_ERR_NOMEM;
    cum[0] = 0;
    for (size_t r = 0; r < m; r++) cum[r + 1] = cum[r] + fw->node[2 * r + 1];
    for (size_t r = lo; r < hi; r++) {
      size_t i = (size_t) ord[r];
      size_t ri = rank[i];
      double below = cum[ri], at = fw->node[2 * ri + 1];
      infl[3 * i] += below; infl[3 * i + 1] += fw->total[1] - below - at; infl[3 * i + 2] += at;
      if (lo > 0) fw_add(fw, ri, -W(c, i), 0);
    }
    free(cum);
  } else {
    for (size_t r = lo; r < hi; r++) {
      size_t i = (size_t) ord[r];
      fw_query(fw, rank[i], q);
      infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
      if (lo > 0) fw_add(fw, rank[i], -W(c, i), 0);
    }
  }
  if (lo > 0) {
    for (size_t r = lo; r < hi; r++) {
      size_t i = (size_t) ord[r];
      if (c->status[i]) fw_add(fw, rank[i], 0, -W(c, i));
    }
    fw->total[0] = fw->total[1] = 0; /* exact zero despite rounding */
  }
  return NS_OK;
}

/* Step 3: the sweep, strata from the last, times from the latest. cnt:
 * concordant, discordant, tied.x, tied.y, tied.xy weights (tied.y still
 * including tied.xy). infl[3i + k]: for row i, the weight of its comparable
 * partners that are concordant (k = 0), discordant (1) or tied on the score
 * (2), in survival's orientation (a longer survivor with a larger score is
 * concordant); reversed only at the end. A row's partners as the longer
 * survivor are the events inside its risk window: the event tree read when
 * it leaves the window minus when it enters. */
static ns_status conc_sweep(conc_work *c, double *cnt)
{
  const int *ord = c->ord;
  const size_t *rank = c->rank;
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
        fw_query(&c->fw, rank[i], q);
        infl[3 * i] -= q[3]; infl[3 * i + 1] -= q[5]; infl[3 * i + 2] -= q[4];
        c->z2 += z2_step(W(c, i), q[0], q[1], q[2]);
        fw_add(&c->fw, rank[i], W(c, i), 0);
      }
      if (!any_dead) { k = g; continue; }
      if (c->start) {
        /* Rows whose interval starts at or after t are not at risk. */
        while (i2 > lo2 && c->start[c->ord2[i2 - 1]] >= t) {
          size_t i = (size_t) c->ord2[--i2];
          fw_query(&c->fw, rank[i], q);
          infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
          c->z2 -= z2_step(W(c, i), q[0], q[1] - W(c, i), q[2]);
          if (c->z2 < 0) c->z2 = 0; /* a sum of squares: below 0 only by rounding */
          fw_add(&c->fw, rank[i], -W(c, i), 0);
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
  cnt[3] -= cnt[4];
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
  c.rank = malloc(n * sizeof *c.rank);
  c.infl = calloc(3 * n, sizeof *c.infl);
  c.grp = malloc(n * sizeof *c.grp);
  ns_status st = NS_OK;
  if (!c.ord || (start && !c.ord2) || !c.rank || !c.infl || !c.grp) st = NS_ERR_NOMEM;
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
