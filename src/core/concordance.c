/*
 * concordance.c -- Harrell's concordance of a fitted risk score with the
 * survival times, as survival's concordancefit computes it for coxph
 * (ns_cox_concordance in netsurv.h).
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

ns_status ns_cox_concordance(size_t n, const double *time, const double *start,
                             const int *status, const double *weight,
                             const int *stratum, const double *score,
                             const int *cluster, size_t n_cluster,
                             double *count, double *concordance, double *std)
{
  if (!time || !status || !score || !count || !concordance || !std) return NS_ERR_ARGUMENT;
  for (int k = 0; k < 5; k++) count[k] = 0;
  *concordance = NAN;
  *std = NAN;
  if (n == 0) return NS_OK;
  if (n > 2147483647u) return NS_ERR_ARGUMENT;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(score[i])) return NS_ERR_NONFINITE;
  if (cluster)
    for (size_t i = 0; i < n; i++)
      if (cluster[i] < 0 || (size_t) cluster[i] >= n_cluster) return NS_ERR_ARGUMENT;

  int *ord = malloc(n * sizeof *ord);
  int *ord2 = start ? malloc(n * sizeof *ord2) : NULL;
  size_t *rank = malloc(n * sizeof *rank);
  double *infl = calloc(3 * n, sizeof *infl);
  rank_weight *grp = malloc(n * sizeof *grp);
  fenwick2 fw = {0, NULL, NULL, {0, 0}};
  ns_status st = NS_OK;
  double *pt = NULL, *pw = NULL, *pstart = NULL;
  int *pst = NULL, *pss = NULL, *pcl = NULL;
  if (!ord || (start && !ord2) || !rank || !infl || !grp) { st = NS_ERR_NOMEM; goto done; }

  st = ns_sort_order(n, NULL, score, ord);
  if (st != NS_OK) goto done;
  size_t m = 0;
  for (size_t k = 0; k < n; k++) {
    if (k > 0 && score[ord[k]] != score[ord[k - 1]]) m++;
    rank[ord[k]] = m;
  }
  m++;
  fw.m = m;
  fw.tree = calloc(2 * (m + 1), sizeof *fw.tree);
  fw.node = calloc(2 * m, sizeof *fw.node);
  if (!fw.tree || !fw.node) { st = NS_ERR_NOMEM; goto done; }

  /* Time order with ties kept in score order: the stable sort by (stratum,
   * time) runs on the columns laid out in score order, so each group of
   * tied events below comes out already sorted by rank (no per-group sort). */
  {
    double *ts = malloc(n * sizeof *ts);
    int *ss = stratum ? malloc(n * sizeof *ss) : NULL;
    int *o2 = malloc(n * sizeof *o2);
    if (!ts || (stratum && !ss) || !o2) {
      free(ts); free(ss); free(o2);
      st = NS_ERR_NOMEM;
      goto done;
    }
    for (size_t k = 0; k < n; k++) ts[k] = time[ord[k]];
    if (stratum) for (size_t k = 0; k < n; k++) ss[k] = stratum[ord[k]];
    st = ns_sort_order(n, ss, ts, o2);
    if (st == NS_OK)
      for (size_t k = 0; k < n; k++) o2[k] = ord[o2[k]];
    free(ts); free(ss);
    free(ord);
    ord = o2;
  }
  /* From here on, rows are numbered in that time order: copies of the
   * columns in that order let the passes below read status, ranks and
   * weights and update the influence sums sequentially, leaving only the
   * Fenwick tree to be addressed at random. (The variance is a sum over
   * rows, so it does not mind the numbering.) */
  if (st == NS_OK) {
    size_t *prk = malloc(n * sizeof *prk);
    pt = malloc(n * sizeof *pt);
    pst = malloc(n * sizeof *pst);
    if (weight) pw = malloc(n * sizeof *pw);
    if (stratum) pss = malloc(n * sizeof *pss);
    if (start) pstart = malloc(n * sizeof *pstart);
    if (cluster) pcl = malloc(n * sizeof *pcl);
    if (!prk || !pt || !pst || (weight && !pw) || (stratum && !pss) || (start && !pstart) ||
        (cluster && !pcl)) {
      free(prk);
      st = NS_ERR_NOMEM;
      goto done;
    }
    for (size_t k = 0; k < n; k++) {
      size_t i = (size_t) ord[k];
      prk[k] = rank[i];
      pt[k] = time[i];
      pst[k] = status[i];
    }
    if (weight) for (size_t k = 0; k < n; k++) pw[k] = weight[ord[k]];
    if (stratum) for (size_t k = 0; k < n; k++) pss[k] = stratum[ord[k]];
    if (start) for (size_t k = 0; k < n; k++) pstart[k] = start[ord[k]];
    if (cluster) for (size_t k = 0; k < n; k++) pcl[k] = cluster[ord[k]];
    free(rank);
    rank = prk;
    time = pt; status = pst; weight = pw; stratum = pss; start = pstart; cluster = pcl;
    for (size_t k = 0; k < n; k++) ord[k] = (int) k;
  }
  if (st == NS_OK && start) st = ns_sort_order(n, stratum, start, ord2);
  if (st != NS_OK) goto done;

#define W(i) (weight ? weight[i] : 1.0)
#define STRAT(i) (stratum ? stratum[i] : 0)
  /* infl[3i + k]: for row i, the weight of its comparable partners that
   * are concordant (k = 0), discordant (1) or tied on the score (2), in
   * survival's orientation (a longer survivor with a larger score is
   * concordant); reversed only at the end. A row's partners as the
   * longer survivor are the events inside its risk window: the event tree
   * read when it leaves the window minus when it enters. */
  double cnt[5] = {0, 0, 0, 0, 0};
  double q[6];
  size_t hi = n, hi2 = n;
  while (hi > 0) {
    /* One stratum: rows [lo, hi) of ord (and [lo2, hi2) of ord2). */
    size_t lo = hi - 1;
    int s = STRAT(ord[lo]);
    while (lo > 0 && STRAT(ord[lo - 1]) == s) lo--;
    size_t lo2 = hi2, i2 = hi2;
    if (start) { lo2 = hi2 - (hi - lo); i2 = hi2; }
    size_t k = hi;
    while (k > lo) {
      /* The rows tied at this time: [g, k). */
      double t = time[ord[k - 1]];
      size_t g = k - 1;
      while (g > lo && time[ord[g - 1]] == t) g--;
      int any_dead = 0;
      /* Censored first: they are at risk at t (and after). */
      for (size_t r = g; r < k; r++) {
        size_t i = (size_t) ord[r];
        if (status[i]) { any_dead = 1; continue; }
        fw_query(&fw, rank[i], q);
        infl[3 * i] -= q[3]; infl[3 * i + 1] -= q[5]; infl[3 * i + 2] -= q[4];
        fw_add(&fw, rank[i], W(i), 0);
      }
      if (!any_dead) { k = g; continue; }
      if (start) {
        /* Rows whose interval starts at or after t are not at risk. */
        while (i2 > lo2 && start[ord2[i2 - 1]] >= t) {
          size_t i = (size_t) ord2[--i2];
          fw_query(&fw, rank[i], q);
          infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
          fw_add(&fw, rank[i], -W(i), 0);
        }
      }
      /* The tied events, sorted by rank: pairs among them are tied.y (and
       * tied.xy when the score ties too). */
      size_t ng = 0;
      double dsum = 0, dsq = 0;
      for (size_t r = g; r < k; r++) {
        size_t i = (size_t) ord[r];
        if (!status[i]) continue;
        grp[ng].rank = rank[i]; grp[ng].w = W(i); grp[ng].row = i; ng++;
        dsum += W(i); dsq += W(i) * W(i);
      }
      cnt[3] += (dsum * dsum - dsq) / 2;
      /* Already in rank order (see the sort above); only times equal
       * under == but apart in the sort's bit order (-0 and +0) can break
       * it, and then an insertion sort restores it. */
      for (size_t c = 1; c < ng; c++) {
        rank_weight v = grp[c];
        size_t e = c;
        while (e > 0 && grp[e - 1].rank > v.rank) { grp[e] = grp[e - 1]; e--; }
        grp[e] = v;
      }
      double below = 0;
      for (size_t a = 0; a < ng;) {
        size_t b = a;
        double gs = 0, gq = 0;
        while (b < ng && grp[b].rank == grp[a].rank) { gs += grp[b].w; gq += grp[b].w * grp[b].w; b++; }
        cnt[4] += (gs * gs - gq) / 2;
        for (size_t c = a; c < b; c++) {
          size_t i = grp[c].row;
          double w = grp[c].w;
          /* Comparable pairs with this event: the rows still at risk. */
          fw_query(&fw, grp[c].rank, q);
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
       * events join both the risk set and the seen events. */
      for (size_t c = 0; c < ng; c++) fw_add(&fw, grp[c].rank, grp[c].w, grp[c].w);
      k = g;
    }
    /* Close the stratum: rows still at risk take their final influence,
     * then the tree is emptied by undoing what was added (not needed after
     * the last stratum). */
    if (start) {
      while (i2 > lo2) {
        size_t i = (size_t) ord2[--i2];
        fw_query(&fw, rank[i], q);
        infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
        if (lo > 0) fw_add(&fw, rank[i], -W(i), 0);
      }
    } else if (hi - lo >= m / 4) {
      /* Every row of a large stratum reads the final event counts: one
       * cumulative sum over the ranks answers them all, instead of a tree
       * query per row. cum[r] = event weight at ranks below r. */
      double *cum = malloc((m + 1) * sizeof *cum);
      if (!cum) { st = NS_ERR_NOMEM; goto done; }
      cum[0] = 0;
      for (size_t r = 0; r < m; r++) cum[r + 1] = cum[r] + fw.node[2 * r + 1];
      for (size_t r = lo; r < hi; r++) {
        size_t i = (size_t) ord[r];
        size_t ri = rank[i];
        double below = cum[ri], at = fw.node[2 * ri + 1];
        infl[3 * i] += below; infl[3 * i + 1] += fw.total[1] - below - at; infl[3 * i + 2] += at;
        if (lo > 0) fw_add(&fw, ri, -W(i), 0);
      }
      free(cum);
    } else {
      for (size_t r = lo; r < hi; r++) {
        size_t i = (size_t) ord[r];
        fw_query(&fw, rank[i], q);
        infl[3 * i] += q[3]; infl[3 * i + 1] += q[5]; infl[3 * i + 2] += q[4];
        if (lo > 0) fw_add(&fw, rank[i], -W(i), 0);
      }
    }
    if (lo > 0) {
      for (size_t r = lo; r < hi; r++) {
        size_t i = (size_t) ord[r];
        if (status[i]) fw_add(&fw, rank[i], 0, -W(i));
      }
      fw.total[0] = fw.total[1] = 0; /* exact zero despite rounding */
    }
    hi = lo;
    hi2 = lo2;
  }
  cnt[3] -= cnt[4];

  double npair = cnt[0] + cnt[1] + cnt[2];
  /* survival reports the reversed orientation for a Cox risk score. */
  count[0] = cnt[1]; count[1] = cnt[0];
  count[2] = cnt[2]; count[3] = cnt[3]; count[4] = cnt[4];
  if (npair > 0) {
    double somer = (cnt[0] - cnt[1]) / npair;
    *concordance = 1.0 - (somer + 1.0) / 2.0;
    double v = 0;
    if (cluster) {
      double *dfb = calloc(n_cluster, sizeof *dfb);
      if (!dfb) { st = NS_ERR_NOMEM; goto done; }
      for (size_t i = 0; i < n; i++) {
        const double *f = infl + 3 * i;
        dfb[cluster[i]] += W(i) * ((f[0] - f[1]) / npair - somer / npair * (f[0] + f[1] + f[2]));
      }
      for (size_t c = 0; c < n_cluster; c++) v += dfb[c] * dfb[c];
      free(dfb);
    } else {
      for (size_t i = 0; i < n; i++) {
        const double *f = infl + 3 * i;
        double d = W(i) * ((f[0] - f[1]) / npair - somer / npair * (f[0] + f[1] + f[2]));
        v += d * d;
      }
    }
    *std = sqrt(v / 4.0);
  }
#undef W
#undef STRAT

done:
  free(ord); free(ord2); free(rank); free(infl); free(grp);
  free(fw.tree); free(fw.node);
  free(pt); free(pw); free(pstart); free(pst); free(pss); free(pcl);
  return st;
}
