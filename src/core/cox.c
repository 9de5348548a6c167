/*
 * cox.c -- Cox proportional hazards regression by Newton-Raphson (Breslow and
 * Efron ties, strata, case weights, offsets, (start, stop] data). Firth's
 * penalty is in cox_firth.c, the robust variance in cox_robust.c, the
 * concordance in concordance.c; what they share of the fit is cox_work.h.
 *
 * Layout. Rows stay in the caller's order and the covariates are read from
 * the caller's column-major matrix: nothing of size n * p is copied or
 * permuted (at n = 1e6 a permuted copy of X costs more than two Newton
 * steps). What sorting gives is only each row's place among the distinct
 * event times: the distinct event times of each stratum are numbered as
 * "slots" (ascending, strata one after the other); row j is at risk in the
 * slots lo_j < k <= hi_j of its stratum, where hi_j is the last slot at or
 * before its stop time and lo_j the last slot at or before its start (an
 * event at the start time is not in the interval (start, stop]). Every
 * risk-set sum is then a reverse cumulative sum over slots of per-slot
 * "bins" that rows add into, and the Breslow cumulative hazard at a row's
 * two ends is a forward cumulative sum: all passes are linear.
 *
 * Passes work on blocks of NS_COX_BLOCK rows: the block's covariates are
 * centred and scaled (survival's coxfit6 rule: scale = sum(w) / sum(w |x -
 * mean|)) into a small column-major buffer on the fly, so every per-row
 * operation is a short vector loop (kernels.c) and the information matrix
 * X' diag(c) X is a sum of block Gram matrices.
 */
#include <float.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cox_work.h"
#include "cox_exact.h"

static void work_free(cox_work *wk)
{
  free(wk->hi); free(wk->lo); free(wk->vbin); free(wk->slot_start); free(wk->slot_m);
  free(wk->slot_dw); free(wk->mean); free(wk->scale); free(wk->ux);
  if (wk->own_eta) free(wk->eta);
  free(wk->r);
  free(wk->bins.s); free(wk->bins_t);
  free(wk->h); free(wk->cumh); free(wk->mom); free(wk->lam_bin); free(wk->s0); free(wk->lslot);
  free(wk->g); free(wk->g2); free(wk->abar); free(wk->cumg);
  free(wk->xbuf); free(wk->info_t);
  memset(wk, 0, sizeof *wk);
}

static int thread_count(int requested)
{
  int t = requested > 0 ? requested : 1;
  int lim = omp_get_thread_limit();
  if (t > lim) t = lim;
  return t;
}

/* The bins live in one allocation: the scalar part s | b0, then the vector
 * part v | b1. */
static size_t bins_scalar_size(size_t K, int counting)
{
  return 2 * K + 1 + (counting ? K : 0);
}

static size_t bins_size(size_t K, size_t p, int counting)
{
  return bins_scalar_size(K, counting) * (p + 1);
}

static cox_bins bins_at(double *mem, size_t K, size_t p, int counting)
{
  cox_bins b;
  b.s = mem; b.b0 = counting ? mem + 2 * K + 1 : NULL;
  b.v = mem + bins_scalar_size(K, counting);
  b.b1 = counting ? b.v + (2 * K + 1) * p : NULL;
  return b;
}

/* Slot index of the last event time <= t in stratum s, given that slots are
 * ordered by (stratum, time); *ptr is the number of slots known to lie at or
 * before (s, t) and only moves forward as (s, t) increases. */
static int slot_at(const int *slot_strat, const double *slot_time, size_t nslot,
                   size_t *ptr, int s, double t)
{
  while (*ptr < nslot && (slot_strat[*ptr] < s ||
                          (slot_strat[*ptr] == s && slot_time[*ptr] <= t)))
    (*ptr)++;
  if (*ptr == 0) return -1;
  size_t k = *ptr - 1;
  return slot_strat[k] == s ? (int) k : -1;
}

/* sum_i w_i x_i (w may be NULL); simd partial sums (the order of the
 * additions is fixed by the vector width, so results are reproducible). */
static double wsum(size_t n, const double *w, const double *x)
{
  double s = 0;
  if (w) {
NS_OMP(simd reduction(+:s))
    for (size_t i = 0; i < n; i++) s += w[i] * x[i];
  } else {
NS_OMP(simd reduction(+:s))
    for (size_t i = 0; i < n; i++) s += x[i];
  }
  return s;
}

/* One sweep for sum_i w_i |x_i - m| (returned) and the events' sum
 * sum_i status_i w_i (x_i - m) (in *events); the status multiplies rather
 * than branches, as events and censorings come in random order. */
static double absdev_events(size_t n, const double *w, const int *status, const double *x,
                            double m, double *events)
{
  double a = 0, e = 0;
  if (w) {
NS_OMP(simd reduction(+:a, e))
    for (size_t i = 0; i < n; i++) {
      double d = w[i] * (x[i] - m);
      a += fabs(d);
      e += (double) status[i] * d;
    }
  } else {
NS_OMP(simd reduction(+:a, e))
    for (size_t i = 0; i < n; i++) {
      double d = x[i] - m;
      a += fabs(d);
      e += (double) status[i] * d;
    }
  }
  *events = e;
  return a;
}

/* coxph's nocenter = c(-1, 0, 1): a column whose values are all -1, 0 or 1
 * (indicators, contrasts) is used as is. Most columns fail at once. */
static int only_unit_values(size_t n, const double *x)
{
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0 && x[i] != 1 && x[i] != -1) return 0;
  return 1;
}

/* Rows [i0, i0 + nb) centred and scaled into xb (nb x p, column-major with
 * leading dimension NS_COX_BLOCK). */
static void load_block(const cox_work *wk, size_t i0, size_t nb, double *xb)
{
  for (size_t a = 0; a < wk->p; a++) {
    const double *xc = wk->x + a * wk->n + i0;
    double m = wk->mean[a], s = wk->scale[a];
    double *out = xb + a * NS_COX_BLOCK;
NS_OMP(simd)
    for (size_t t = 0; t < nb; t++) out[t] = (xc[t] - m) * s;
  }
}

/*
 * Slots and each row's (lo, hi] from the ranks of the distinct (stratum,
 * stop) pairs -- and of the (stratum, start) pairs for (start, stop] data.
 */
static ns_status build_slots(cox_work *wk, const ns_cox_data *d)
{
  size_t n = d->n;
  /* The ranks go into hi (turned into slots in place) and the distinct
   * pairs' first rows into vbin (written last): no n-sized scratch. */
  int *rank = wk->hi, *first = wk->vbin;
  int *slot_of = NULL, *slot_strat = NULL;
  double *slot_time = NULL;
  size_t nd = 0;
  ns_status st = ns_rank_distinct(n, d->stratum, d->time, rank, &nd, first);
  if (st != NS_OK) goto done;
  st = NS_ERR_NOMEM;
  /* slot_of[q]: first 1 when the q-th distinct pair has an event, then the
   * slot at or before it. */
  slot_of = calloc(nd + 1, sizeof *slot_of);
  if (!slot_of) goto done;
  for (size_t i = 0; i < n; i++) slot_of[rank[i]] |= d->status[i];
  size_t nslot = 0;
  for (size_t q = 0; q < nd; q++) nslot += (size_t) slot_of[q];
  if (nslot == 0) { st = NS_ERR_NO_EVENTS; goto done; }
  wk->nslot = nslot;
  wk->slot_start = malloc(nslot * sizeof *wk->slot_start);
  wk->slot_m = calloc(nslot, sizeof *wk->slot_m);
  wk->slot_dw = calloc(nslot, sizeof *wk->slot_dw);
  slot_strat = malloc(nslot * sizeof *slot_strat);
  slot_time = malloc(nslot * sizeof *slot_time);
  if (!wk->slot_start || !wk->slot_m || !wk->slot_dw || !slot_strat || !slot_time) goto done;
  int last = -1, cur_s = -1;
  size_t k = 0;
  for (size_t q = 0; q < nd; q++) {
    size_t i = (size_t) first[q];
    int s = d->stratum ? d->stratum[i] : 0;
    if (s != cur_s) { cur_s = s; last = -1; }
    if (slot_of[q]) {
      wk->slot_start[k] = last < 0;
      slot_strat[k] = s;
      slot_time[k] = d->time[i];
      last = (int) k++;
    }
    slot_of[q] = last;
  }
  for (size_t i = 0; i < n; i++) wk->hi[i] = slot_of[wk->hi[i]];
  if (d->start) {
    /* The distinct starts in order, each matched to the last slot at or
     * before it by one forward walk. */
    st = ns_rank_distinct(n, d->stratum, d->start, wk->lo, &nd, first);
    if (st != NS_OK) goto done;
    size_t ptr = 0;
    for (size_t q = 0; q < nd; q++) {
      size_t i = (size_t) first[q];
      first[q] = slot_at(slot_strat, slot_time, nslot, &ptr,
                         d->stratum ? d->stratum[i] : 0, d->start[i]);
    }
    for (size_t i = 0; i < n; i++) wk->lo[i] = first[wk->lo[i]];
  }
  /* Each row's bin, and per bin the count and weight of its rows: bin
   * 2k + 1 holds slot k's events (an event is always at risk at its own
   * time), so the events are counted without a branch on the status. */
  double *bin_w = calloc(2 * nslot + 1, sizeof *bin_w);
  int *bin_n = calloc(2 * nslot + 1, sizeof *bin_n);
  if (!bin_w || !bin_n) { free(bin_w); free(bin_n); st = NS_ERR_NOMEM; goto done; }
  for (size_t i = 0; i < n; i++) {
    int h = wk->hi[i];
    int l = wk->lo ? wk->lo[i] : -1;
    int v = h >= 0 && l < h ? 2 * h + d->status[i] : (int) (2 * nslot);
    wk->vbin[i] = v;
    bin_n[v]++;
    bin_w[v] += d->weight ? d->weight[i] : 1.0;
  }
  for (size_t k = 0; k < nslot; k++) {
    wk->slot_m[k] = bin_n[2 * k + 1];
    wk->slot_dw[k] = bin_w[2 * k + 1];
  }
  free(bin_w); free(bin_n);
  st = NS_OK;
done:
  free(slot_of); free(slot_strat); free(slot_time);
  return st;
}

/* What is wrong with row i of the data, if anything. */
static ns_status row_status(const ns_cox_data *d, size_t i)
{
  if (!isfinite(d->time[i]) || (d->start && !isfinite(d->start[i]))) return NS_ERR_TIME;
  if (d->start && !(d->start[i] < d->time[i])) return NS_ERR_START_STOP;
  if (d->status[i] != 0 && d->status[i] != 1) return NS_ERR_STATUS;
  if (d->weight && !(d->weight[i] > 0 && isfinite(d->weight[i]))) return NS_ERR_WEIGHT;
  if (d->offset && !isfinite(d->offset[i])) return NS_ERR_NONFINITE;
  if (d->stratum && d->stratum[i] < 0) return NS_ERR_STRATUM;
  return NS_OK;
}

static ns_status work_init(cox_work *wk, const ns_cox_data *d, const ns_cox_control *ctl,
                           double *lp_out)
{
  size_t n = d->n, p = d->p;
  memset(wk, 0, sizeof *wk);
  wk->n = n; wk->p = p;
  wk->efron = ctl->ties == NS_COX_EFRON;
  wk->exact = ctl->ties == NS_COX_EXACT;
  wk->firth = ctl->firth;
  wk->threads = thread_count(ctl->threads);
  wk->counting = d->start != NULL;
  wk->x = d->x; wk->w = d->weight; wk->off = d->offset; wk->status = d->status;

  int nt = wk->threads;
  /* The first bad row decides the status, whichever thread finds it. */
  size_t first_bad = n;
NS_OMP(parallel for num_threads(nt) reduction(min:first_bad) if(nt > 1 && n > NS_PARALLEL_MIN_WORK))
  for (size_t i = 0; i < n; i++)
    if (row_status(d, i) != NS_OK && i < first_bad) first_bad = i;
  if (first_bad < n) return row_status(d, first_bad);

  wk->hi = malloc(n * sizeof *wk->hi);
  /* Right-censored data have no entry times: no lo (every row is at risk
   * from the first slot). eta goes straight into the caller's lp buffer
   * when given (it ends there anyway). */
  if (d->start) wk->lo = malloc(n * sizeof *wk->lo);
  wk->vbin = malloc(n * sizeof *wk->vbin);
  wk->own_eta = lp_out == NULL;
  wk->eta = lp_out ? lp_out : malloc(n * sizeof *wk->eta);
  wk->r = malloc(n * sizeof *wk->r);
  wk->mean = calloc(p + 1, sizeof *wk->mean);
  wk->scale = calloc(p + 1, sizeof *wk->scale);
  wk->ux = calloc(p + 1, sizeof *wk->ux);
  wk->xbuf = malloc((2 * (size_t) NS_COX_BLOCK * (p + 1) * (size_t) nt) * sizeof *wk->xbuf);
  wk->info_t = malloc((p * p * (size_t) nt + 1) * sizeof *wk->info_t);
  if (!wk->hi || (d->start && !wk->lo) || !wk->vbin || !wk->eta || !wk->r || !wk->mean || !wk->scale ||
      !wk->ux || !wk->xbuf || !wk->info_t)
    return NS_ERR_NOMEM;

  /* Centre and scale (weighted, coxfit6's rule); a non-finite sum reveals
   * a non-finite covariate without a separate pass. The events' covariate
   * sum ux is fixed across iterations. One thread builds the slots while
   * the others start on the columns, and it joins them when done. */
  const double *wt = d->weight;
  double wtotal = 0;
  if (wt) for (size_t i = 0; i < n; i++) wtotal += wt[i];
  else wtotal = (double) n;
  int nonfinite = 0;
  ns_status st = NS_OK;
NS_OMP(parallel num_threads(nt) reduction(|:nonfinite) if(nt > 1 && n * p > NS_PARALLEL_MIN_WORK))
  {
NS_OMP(single nowait)
    st = build_slots(wk, d);
NS_OMP(for schedule(dynamic) nowait)
    for (size_t j = 0; j < p; j++) {
      const double *xj = d->x + j * n;
      double sum = wsum(n, wt, xj);
      if (!isfinite(sum)) { nonfinite = 1; continue; }
      int centre = d->center ? d->center[j] : !only_unit_values(n, xj);
      /* coxph's means (and so its linear predictors and curves at the
       * means) are weighted for right-censored data (coxfit6) but not for
       * (start, stop] data (agreg.fit); follow it. */
      double m = 0.0, ev = 0;
      if (centre) m = (d->start && wt) ? wsum(n, NULL, xj) / (double) n : sum / wtotal;
      double a = absdev_events(n, wt, d->status, xj, m, &ev);
      double sc = centre && a > 0 ? wtotal / a : 1.0;
      wk->mean[j] = m;
      wk->scale[j] = sc;
      wk->ux[j] = ev * sc;
    }
  }
  if (st != NS_OK) return st;
  if (nonfinite) return NS_ERR_NONFINITE;
  size_t K = wk->nslot;
  double *bm = malloc(bins_size(K, p, wk->counting) * sizeof *bm);
  if (!bm) return NS_ERR_NOMEM;
  wk->bins = bins_at(bm, K, p, wk->counting);
  wk->h = malloc(K * sizeof *wk->h);
  wk->cumh = malloc(K * sizeof *wk->cumh);
  wk->mom = malloc(K * NS_MOM * sizeof *wk->mom);
  wk->lam_bin = malloc((2 * K + 1) * sizeof *wk->lam_bin);
  wk->s0 = malloc(K * sizeof *wk->s0);
  wk->lslot = malloc(K * sizeof *wk->lslot);
  if (!wk->h || !wk->cumh || !wk->mom || !wk->lam_bin || !wk->s0 || !wk->lslot)
    return NS_ERR_NOMEM;
  /* Per-thread bins when they are small next to the rows; otherwise the
   * bins are filled by one thread (see cox_eval). */
  if (nt > 1 && bins_size(K, p, wk->counting) * (size_t) nt <= n / 2 + 65536) {
    wk->bins_t = malloc(bins_size(K, p, wk->counting) * (size_t) nt * sizeof *wk->bins_t);
    if (!wk->bins_t) return NS_ERR_NOMEM;
  }

  wk->off_dead = 0;
  if (d->offset)
    for (size_t i = 0; i < n; i++)
      if (d->status[i]) wk->off_dead += (wt ? wt[i] : 1.0) * d->offset[i];
  return NS_OK;
}

static ns_status alloc_resid_scratch(cox_work *wk)
{
  if (wk->g) return NS_OK;
  size_t m = wk->nslot * wk->p + 1;
  wk->g = malloc(m * sizeof *wk->g);
  wk->g2 = malloc(m * sizeof *wk->g2);
  wk->abar = malloc(m * sizeof *wk->abar);
  wk->cumg = malloc(m * sizeof *wk->cumg);
  return (wk->g && wk->g2 && wk->abar && wk->cumg) ? NS_OK : NS_ERR_NOMEM;
}

/* Row range of thread t of nt, cut at block boundaries. */
static void thread_rows(size_t n, int t, int nt, size_t *i0, size_t *i1)
{
  size_t nblk = (n + NS_COX_BLOCK - 1) / NS_COX_BLOCK;
  *i0 = nblk * (size_t) t / (size_t) nt * NS_COX_BLOCK;
  *i1 = nblk * (size_t) (t + 1) / (size_t) nt * NS_COX_BLOCK;
  if (*i0 > n) *i0 = n;
  if (*i1 > n) *i1 = n;
}

static double *thread_buffer(const cox_work *wk, int t)
{
  return wk->xbuf + (size_t) t * 2 * NS_COX_BLOCK * (wk->p + 1);
}

/* Scalar bins of rows [i0, i1): each risk score into its row's bin (and,
 * for (start, stop] data, into the slot where the row leaves). */
static void bin_scalars(const cox_work *wk, size_t i0, size_t i1, const cox_bins *b)
{
  const int *vbin = wk->vbin;
  const double *r = wk->r;
  for (size_t i = i0; i < i1; i++) b->s[vbin[i]] += r[i];
  if (b->b0)
    for (size_t i = i0; i < i1; i++) {
      int hi = wk->hi[i], lo = wk->lo[i];
      if (lo >= 0 && lo < hi) b->b0[lo] += r[i];
    }
}

/* The same with r x for a block (rows b0 .. b0 + nb - 1), given as g_t y_t:
 * y the block's rows (column-major, leading dimension NS_COX_BLOCK) and g a
 * factor per row, so that g y = r x. */
static void bin_vectors(const cox_work *wk, size_t b0, size_t nb, const double *xb,
                        const double *g, const cox_bins *b)
{
  size_t p = wk->p;
  for (size_t t = 0; t < nb; t++) {
    size_t i = b0 + t;
    double rk = g[t];
    double *dst = b->v + (size_t) wk->vbin[i] * p;
    for (size_t a = 0; a < p; a++) dst[a] += rk * xb[a * NS_COX_BLOCK + t];
  }
  if (b->b1)
    for (size_t t = 0; t < nb; t++) {
      size_t i = b0 + t;
      int hi = wk->hi[i], lo = wk->lo[i];
      if (lo < 0 || lo >= hi) continue;
      double rk = g[t];
      double *bb = b->b1 + (size_t) lo * p;
      for (size_t a = 0; a < p; a++) bb[a] += rk * xb[a * NS_COX_BLOCK + t];
    }
}

/* Pass A over rows [i0, i1): linear predictor and risk score relative to
 * `shift` (and the scalar bins when b is set). Returns the largest eta. */
static double pass_a_rows(cox_work *wk, const double *gamma, int zero, double shift,
                          size_t i0, size_t i1, const cox_bins *b)
{
  size_t p = wk->p;
  double emax = -HUGE_VAL;
  for (size_t b0 = i0; b0 < i1; b0 += NS_COX_BLOCK) {
    size_t nb = i1 - b0 < NS_COX_BLOCK ? i1 - b0 : NS_COX_BLOCK;
    double *e = wk->eta + b0;
    if (wk->off) memcpy(e, wk->off + b0, nb * sizeof *e);
    else memset(e, 0, nb * sizeof *e);
    /* At gamma = 0 (the usual start) the covariates are not read;
     * otherwise straight from the caller's columns, centred on the fly. */
    if (!zero) {
      /* Columns four at a time: each pass over the block's eta then
       * carries four products instead of one. */
      size_t a = 0;
      for (; a + 4 <= p; a += 4) {
        const double *x0 = wk->x + a * wk->n + b0, *x1 = x0 + wk->n;
        const double *x2 = x1 + wk->n, *x3 = x2 + wk->n;
        double g0 = gamma[a] * wk->scale[a], m0 = wk->mean[a];
        double g1 = gamma[a + 1] * wk->scale[a + 1], m1 = wk->mean[a + 1];
        double g2 = gamma[a + 2] * wk->scale[a + 2], m2 = wk->mean[a + 2];
        double g3 = gamma[a + 3] * wk->scale[a + 3], m3 = wk->mean[a + 3];
NS_OMP(simd)
        for (size_t t = 0; t < nb; t++)
          e[t] += ((g0 * (x0[t] - m0) + g1 * (x1[t] - m1)) +
                   (g2 * (x2[t] - m2) + g3 * (x3[t] - m3)));
      }
      for (; a < p; a++) {
        double ga = gamma[a] * wk->scale[a], m = wk->mean[a];
        const double *xc = wk->x + a * wk->n + b0;
NS_OMP(simd)
        for (size_t t = 0; t < nb; t++) e[t] += ga * (xc[t] - m);
      }
    }
    for (size_t t = 0; t < nb; t++) if (e[t] > emax) emax = e[t];
    if (zero && !wk->off && shift == 0) {
      /* eta = 0: the risk scores are the weights. */
      if (wk->w) memcpy(wk->r + b0, wk->w + b0, nb * sizeof *wk->r);
      else for (size_t t = 0; t < nb; t++) wk->r[b0 + t] = 1.0;
    } else {
      ns_exp_scaled(nb, e, shift, wk->w ? wk->w + b0 : NULL, wk->r + b0);
    }
    if (b) bin_scalars(wk, b0, b0 + nb, b);
  }
  return emax;
}

/* Thread t's private bins with the part `which` (0: scalar, 1: vector)
 * zeroed, or NULL when the bins are shared (filled by one thread). */
static const cox_bins *thread_bins(const cox_work *wk, int t, int which, cox_bins *mine)
{
  if (!wk->bins_t) return NULL;
  size_t K = wk->nslot, p = wk->p, nscalar = bins_scalar_size(K, wk->counting);
  *mine = bins_at(wk->bins_t + (size_t) t * bins_size(K, p, wk->counting), K, p, wk->counting);
  if (which == 0) memset(mine->s, 0, nscalar * sizeof *mine->s);
  else memset(mine->v, 0, nscalar * p * sizeof *mine->v);
  return mine;
}

static double pass_a(cox_work *wk, const double *gamma, double shift)
{
  size_t n = wk->n, p = wk->p, K = wk->nslot, bsz = bins_size(K, p, wk->counting);
  size_t nscalar = bins_scalar_size(K, wk->counting);
  int nt = wk->threads, zero = 1;
  for (size_t a = 0; a < p; a++) if (gamma[a] != 0) zero = 0;
  memset(wk->bins.s, 0, nscalar * sizeof *wk->bins.s);
  if (nt <= 1 || n < 4 * NS_COX_BLOCK)
    return pass_a_rows(wk, gamma, zero, shift, 0, n, &wk->bins);
  double emax = -HUGE_VAL;
NS_OMP(parallel num_threads(nt) reduction(max:emax))
  {
    int t = 0;
    t = omp_get_thread_num();
    size_t i0, i1;
    thread_rows(n, t, nt, &i0, &i1);
    cox_bins mine;
    double m = pass_a_rows(wk, gamma, zero, shift, i0, i1, thread_bins(wk, t, 0, &mine));
    if (m > emax) emax = m;
  }
  if (wk->bins_t) {
    /* Threads in a fixed order, so the sums do not depend on scheduling. */
    for (int t = 0; t < nt; t++) {
      const double *src = wk->bins_t + (size_t) t * bsz;
      for (size_t q = 0; q < nscalar; q++) wk->bins.s[q] += src[q];
    }
  } else {
    bin_scalars(wk, 0, n, &wk->bins);
  }
  return emax;
}

/* c_i = r_i * (the hazard accumulated over the row's slots; an Efron
 * event's own slot with its reduced weight h - q1) at the last evaluation:
 * pass B's weight for X' diag(c) X and the martingale residuals'. */
static double row_hazard_weight(const cox_work *wk, size_t i)
{
  size_t v = (size_t) wk->vbin[i];
  double lam = wk->lam_bin[v];
  int lo = wk->lo ? wk->lo[i] : -1;
  if (lo >= 0 && v != 2 * wk->nslot) lam -= wk->cumh[lo];
  return wk->r[i] * (lam > 0 ? lam : 0.0);
}

/* Pass B over the blocks of rows [i0, i1): c_j (row_hazard_weight), the
 * vector bins (when b is set) and, when acc is set, X' diag(c) X
 * added to acc as Gram matrices of blocks scaled by sqrt(c). */
static void pass_b_rows(cox_work *wk, size_t i0, size_t i1, const cox_bins *b,
                        double *acc, double *xb)
{
  size_t p = wk->p;
  double *yb = xb + (size_t) NS_COX_BLOCK * p, *root = yb + (size_t) NS_COX_BLOCK * p;
  for (size_t b0 = i0; b0 < i1; b0 += NS_COX_BLOCK) {
    size_t nb = i1 - b0 < NS_COX_BLOCK ? i1 - b0 : NS_COX_BLOCK;
    const int *vbin = wk->vbin + b0;
    const double *r = wk->r + b0;
    for (size_t t = 0; t < nb; t++) root[t] = sqrt(row_hazard_weight(wk, b0 + t));
    if (p == 0 || (!b && !acc)) continue;
    /* The block centred, scaled and times sqrt(c), in one read of the
     * caller's columns: the Gram matrix of these rows is their part of
     * X' diag(c) X, and r / sqrt(c) times them is r x for the bins. */
    for (size_t a = 0; a < p; a++) {
      const double *xc = wk->x + a * wk->n + b0;
      double m = wk->mean[a], sc = wk->scale[a];
      double *outy = yb + a * NS_COX_BLOCK;
NS_OMP(simd)
      for (size_t t = 0; t < nb; t++) outy[t] = (xc[t] - m) * sc * root[t];
    }
    if (b) {
      double *g = xb, *row = xb + NS_COX_BLOCK;
      int zeros = 0;
NS_OMP(simd reduction(+:zeros))
      for (size_t t = 0; t < nb; t++) {
        int z = !(root[t] > 0);
        zeros += z;
        g[t] = r[t] / (z ? 1.0 : root[t]) * (z ? 0.0 : 1.0);
      }
      bin_vectors(wk, b0, nb, yb, g, b);
      /* c is 0 for rows never at risk (their bin is never read) and when
       * r underflowed to 0; a row at risk whose hazard rounded to 0 still
       * needs its r x in the bins. */
      for (size_t t = 0; zeros && t < nb; t++) {
        if (root[t] > 0 || !(r[t] > 0) || (size_t) vbin[t] == 2 * wk->nslot) continue;
        size_t i = b0 + t;
        cox_load_row(wk, i, row);
        double *dst = b->v + (size_t) vbin[t] * p;
        for (size_t a = 0; a < p; a++) dst[a] += r[t] * row[a];
        int lo = wk->lo ? wk->lo[i] : -1;
        if (lo >= 0 && b->b1)
          for (size_t a = 0; a < p; a++) b->b1[(size_t) lo * p + a] += r[t] * row[a];
      }
    }
    if (acc) ns_gram_upper(p, nb, NS_COX_BLOCK, yb, acc);
  }
}

/* Pass B for every row: vector bins summed into wk->bins, X' diag(c) X
 * (upper triangle) into imat when it is set. */
static void pass_b(cox_work *wk, double *imat)
{
  size_t n = wk->n, p = wk->p, K = wk->nslot, bsz = bins_size(K, p, wk->counting);
  size_t nscalar = bins_scalar_size(K, wk->counting), nvec = bsz - nscalar, pp = p * p;
  int nt = wk->threads;
  memset(wk->bins.v, 0, nvec * sizeof *wk->bins.v);
  if (nt <= 1 || n < 4 * NS_COX_BLOCK) {
    pass_b_rows(wk, 0, n, &wk->bins, imat, wk->xbuf);
    return;
  }
  if (imat) memset(wk->info_t, 0, pp * (size_t) nt * sizeof *wk->info_t);
NS_OMP(parallel num_threads(nt))
  {
    int t = 0;
    t = omp_get_thread_num();
    size_t i0, i1;
    thread_rows(n, t, nt, &i0, &i1);
    cox_bins mine;
    pass_b_rows(wk, i0, i1, thread_bins(wk, t, 1, &mine),
                imat ? wk->info_t + (size_t) t * pp : NULL, thread_buffer(wk, t));
  }
  if (wk->bins_t) {
    for (int t = 0; t < nt; t++) {
      const double *src = wk->bins_t + (size_t) t * bsz + nscalar;
      for (size_t q = 0; q < nvec; q++) wk->bins.v[q] += src[q];
    }
  } else {
    /* Too many slots for per-thread bins: one thread fills them. */
    for (size_t b0 = 0; b0 < n; b0 += NS_COX_BLOCK) {
      size_t nb = n - b0 < NS_COX_BLOCK ? n - b0 : NS_COX_BLOCK;
      load_block(wk, b0, nb, wk->xbuf);
      bin_vectors(wk, b0, nb, wk->xbuf, wk->r + b0, &wk->bins);
    }
  }
  if (imat)
    for (int t = 0; t < nt; t++) {
      const double *acc = wk->info_t + (size_t) t * pp;
      for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i <= j; i++) imat[i + j * p] += acc[i + j * p];
    }
}

/*
 * The likelihood terms of slot kk given its risk-set sum S0: hazard
 * increments and the moments the vector sweep needs. With Efron's
 * approximation the m tied events of a slot give m denominators
 * den_l = S0 - f_l D0 with f_l = l/m, and every per-term sum is a moment of
 * f_l weighted by wt/den_l or wt/den_l^2, so a slot costs O(m + p), not
 * O(m p).
 */
static ns_status slot_terms(cox_work *wk, size_t kk)
{
  double s0 = wk->s0[kk], d0 = wk->bins.s[2 * kk + 1];
  int m = wk->slot_m[kk];
  int nterm = (wk->efron && m > 1) ? m : 1;
  double wt = wk->slot_dw[kk] / nterm;
  if (!isfinite(s0) || !isfinite(d0)) return NS_ERR_NONFINITE;
  /* Sums over the terms (simd: independent partial sums, as the terms are
   * independent): i0 = sum 1/den, i1 = sum f/den and T_k = sum f^k / den^2;
   * h = wt i0, q1 = wt i1, M_k = wt T_k. */
  double i0 = 0, i1 = 0, T0 = 0, T1 = 0, T2 = 0;
  double inv_m = 1.0 / nterm;  /* f = l / m by a multiplication: within an ulp */
  int bad = 0;
NS_OMP(simd reduction(+:i0, i1, T0, T1, T2) reduction(|:bad))
  for (int l = 0; l < nterm; l++) {
    double f = l * inv_m;
    double den = s0 - f * d0;
    bad |= !(den > 0);
    double inv = 1.0 / den, inv2 = inv * inv;
    i0 += inv; i1 += f * inv;
    T0 += inv2; T1 += f * inv2; T2 += f * f * inv2;
  }
  if (bad) return NS_ERR_NONFINITE;
  /* The sum of logs as the log of a product, renormalised every 8 factors
   * so that it can neither overflow nor underflow: one log() per slot. Two
   * products halve the multiplication chain. */
  double prod = 1.0, prod2 = 1.0;
  int pexp = 0;
  for (int l0 = 0; l0 < nterm; l0 += 16) {
    int l1 = l0 + 16 < nterm ? l0 + 16 : nterm, e;
    for (int l = l0; l < l1; l += 2) {
      prod *= s0 - (l * inv_m) * d0;
      if (l + 1 < l1) prod2 *= s0 - ((l + 1) * inv_m) * d0;
    }
    prod = frexp(prod, &e); pexp += e;
    prod2 = frexp(prod2, &e); pexp += e;
  }
  prod *= prod2;
  wk->lslot[kk] = wt * (log(prod) + pexp * 0.69314718055994530942);
  double h = wt * i0, q1 = wt * i1;
  wk->h[kk] = h;
  double *mo = wk->mom + kk * NS_MOM;
  mo[MOM_Q1] = q1; mo[MOM_I0] = i0; mo[MOM_I1] = i1;
  mo[MOM_M0] = wt * T0; mo[MOM_M1] = wt * T1; mo[MOM_M2] = wt * T2;
  return NS_OK;
}

/*
 * One evaluation at gamma (scaled coordinates): the log partial likelihood,
 * the score u and the information imat (p x p, full). When resid is set the
 * per-slot pieces of the score residuals are kept as well.
 *
 * Two passes over the rows, each reading X once: pass A needs gamma (the
 * risk scores), pass B needs the cumulative hazard, which only the scalar
 * risk-set sums of pass A determine -- so the p-vector bins, the score and
 * X' diag(c) X all come from pass B.
 */
ns_status cox_eval(cox_work *wk, const double *gamma, double *loglik,
                   double *u, double *imat, int resid)
{
  if (wk->exact) return cox_exact_eval(wk, gamma, loglik, u, imat, resid);
  size_t p = wk->p, K = wk->nslot;

  /* exp() is taken relative to the previous evaluation's largest linear
   * predictor (the common factor cancels from the likelihood); if the
   * largest one moved by more than e^500 the pass is redone with the new
   * maximum, so exp() can neither overflow nor flush the risk set to 0. */
  double emax = 0;
  for (int attempt = 0; attempt < 2; attempt++) {
    emax = pass_a(wk, gamma, wk->shift);
    if (!isfinite(emax)) return NS_ERR_NONFINITE;
    if (fabs(emax - wk->shift) <= 500) break;
    wk->shift = emax;
  }
  double shift = wk->shift;
  wk->shift = emax;
  const cox_bins *bins = &wk->bins;

  /* Scalar sweep, backwards within each stratum: S0 per slot; then the
   * likelihood terms, hazard increments and the moments the vector sweep
   * needs (slot_terms). */
  double ra0 = 0;
  ns_exact_sum x0 = {{0}, 0};
  for (size_t kk = K; kk-- > 0;) {
    if (kk == K - 1 || wk->slot_start[kk + 1]) { ra0 = 0; x0.n = 0; }
    if (wk->counting) {
      /* S = (sum entered) - (sum left) cancels when the risk scores spread
       * widely (a negative or zero S0, a wrong fit): an exact running sum
       * keeps exactly the rows still at risk (issue #13, item 12). */
      ns_exact_add(&x0, bins->s[2 * kk]);
      ns_exact_add(&x0, bins->s[2 * kk + 1]);
      ns_exact_add(&x0, -bins->b0[kk]);
      wk->s0[kk] = ns_exact_value(&x0);
    } else {
      ra0 += bins->s[2 * kk] + bins->s[2 * kk + 1];
      wk->s0[kk] = ra0;
    }
  }
  /* The slots' terms are independent given S0: threads share them. */
  int bad = 0;
  int nt = wk->threads;
  (void) nt;
NS_OMP(parallel for num_threads(nt) schedule(dynamic, 64) reduction(|:bad) if(nt > 1 && K >= 256 && wk->n > NS_PARALLEL_MIN_WORK))
  for (size_t kk = 0; kk < K; kk++) bad |= slot_terms(wk, kk) != NS_OK;
  if (bad) return NS_ERR_NONFINITE;
  double lsum = 0.0;       /* sum over event terms of wt * log(denominator) */
  double dw_total = 0.0;
  for (size_t kk = K; kk-- > 0;) {
    lsum += wk->lslot[kk];
    dw_total += wk->slot_dw[kk];
  }
  /* exp() was shifted: each log(denominator) is `shift` too small. */
  double dotg = 0;
  for (size_t j = 0; j < p; j++) dotg += wk->ux[j] * gamma[j];
  *loglik = dotg + wk->off_dead - lsum - shift * dw_total;
  /* Cumulative hazard over each stratum's slots; per bin, what its rows
   * accumulate up to their last slot (an event's own slot with the reduced
   * weight h2 = h - q1). */
  double run = 0;
  for (size_t kk = 0; kk < K; kk++) {
    if (wk->slot_start[kk]) run = 0;
    run += wk->h[kk];
    wk->cumh[kk] = run;
    wk->lam_bin[2 * kk] = run;
    wk->lam_bin[2 * kk + 1] = run - wk->mom[kk * NS_MOM + MOM_Q1];
  }
  wk->lam_bin[2 * K] = 0;

  int want_info = imat && p;
  if (imat) memset(imat, 0, p * p * sizeof *imat);
  pass_b(wk, want_info ? imat : NULL);
  if (p == 0) return NS_OK;

  /* Vector sweep: S1 per slot, the score and the information's correction
   * sum over terms of wt xbar_l xbar_l', which equals
   *   A (S1 - fbar D1)(S1 - fbar D1)' + V D1 D1'
   * (A = sum wt/den^2, fbar and V the mean and spread of f under those
   * weights): two rank-1 rows per slot, subtracted by blocks with dsyrk. */
  double *s1 = malloc((3 * p + p * p + (size_t) NS_COX_BLOCK * p + 1) * sizeof *s1);
  if (!s1) return NS_ERR_NOMEM;
  double *rb1 = s1 + p, *rs = rb1 + p, *corr = rs + p, *blk = corr + p * p;
  memset(corr, 0, p * p * sizeof *corr);
  /* counting data: S1 as exact sums too, as S0 above */
  ns_exact_sum *xs1 = wk->counting ? calloc(p, sizeof *xs1) : NULL;
  if (wk->counting && !xs1) { free(s1); return NS_ERR_NOMEM; }
  size_t nblk = 0;
  for (size_t j = 0; j < p; j++) u[j] = wk->ux[j];
  if (resid) {
    ns_status st = alloc_resid_scratch(wk);
    if (st != NS_OK) { free(s1); free(xs1); return st; }
  }
  for (size_t kk = K; kk-- > 0;) {
    if (kk == K - 1 || wk->slot_start[kk + 1]) {
      memset(s1, 0, 2 * p * sizeof *s1);
      if (xs1) for (size_t j = 0; j < p; j++) xs1[j].n = 0;
    }
    const double *a1 = bins->v + 2 * kk * p, *d1 = a1 + p;
    if (wk->counting) {
      const double *b1 = bins->b1 + kk * p;
      for (size_t j = 0; j < p; j++) {
        ns_exact_add(&xs1[j], a1[j]);
        ns_exact_add(&xs1[j], d1[j]);
        ns_exact_add(&xs1[j], -b1[j]);
        rs[j] = ns_exact_value(&xs1[j]);
      }
    } else {
      for (size_t j = 0; j < p; j++) s1[j] += a1[j] + d1[j];
      for (size_t j = 0; j < p; j++) rs[j] = s1[j];
    }
    const double *mo = wk->mom + kk * NS_MOM;
    double h = wk->h[kk], q1 = mo[MOM_Q1];
    double M0 = mo[MOM_M0], M1 = mo[MOM_M1], M2 = mo[MOM_M2];
    for (size_t j = 0; j < p; j++) u[j] -= rs[j] * h - d1[j] * q1;
    if (resid) {
      int nterm = (wk->efron && wk->slot_m[kk] > 1) ? wk->slot_m[kk] : 1;
      double *gk = wk->g + kk * p, *g2k = wk->g2 + kk * p, *ak = wk->abar + kk * p;
      for (size_t j = 0; j < p; j++) {
        gk[j] = M0 * rs[j] - M1 * d1[j];
        g2k[j] = (M0 - M1) * rs[j] - (M1 - M2) * d1[j];
        ak[j] = (mo[MOM_I0] * rs[j] - mo[MOM_I1] * d1[j]) / nterm;
      }
    }
    if (want_info) {
      double fbar = M1 / M0;
      double v = M2 / M0 - fbar * fbar;
      double sa = sqrt(M0), sv = v > 0 ? sqrt(v * M0) : 0.0;
      /* Rows of a column-major block for the Gram kernel (BLAS calls
       * this small would cost more in thread wake-ups than in flops). */
      for (size_t j = 0; j < p; j++) blk[j * NS_COX_BLOCK + nblk] = sa * (rs[j] - fbar * d1[j]);
      nblk++;
      if (sv > 0) {
        for (size_t j = 0; j < p; j++) blk[j * NS_COX_BLOCK + nblk] = sv * d1[j];
        nblk++;
      }
      if (nblk + 2 > NS_COX_BLOCK) {
        ns_gram_upper(p, nblk, NS_COX_BLOCK, blk, corr);
        nblk = 0;
      }
    }
  }
  if (want_info && nblk) ns_gram_upper(p, nblk, NS_COX_BLOCK, blk, corr);
  if (want_info)
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i <= j; i++) imat[i + j * p] -= corr[i + j * p];
  free(s1);
  free(xs1);
  if (resid) {
    for (size_t kk = 0; kk < K; kk++) {
      double *cg = wk->cumg + kk * p;
      const double *gk = wk->g + kk * p;
      if (wk->slot_start[kk]) for (size_t j = 0; j < p; j++) cg[j] = gk[j];
      else for (size_t j = 0; j < p; j++) cg[j] = cg[(ptrdiff_t) j - (ptrdiff_t) p] + gk[j];
    }
  }
  if (want_info)
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i < j; i++) imat[j + i * p] = imat[i + j * p];
  return NS_OK;
}

/* Holds fixed (or inactive) columns out of the Newton step: their score is
 * zeroed and their information row/column made the identity. */
static void hold_fixed(size_t p, const int *fixed, double *u, double *imat)
{
  if (!fixed) return;
  for (size_t j = 0; j < p; j++) {
    if (!fixed[j]) continue;
    u[j] = 0;
    for (size_t i = 0; i < p; i++) imat[i + j * p] = imat[j + i * p] = 0;
    imat[j + j * p] = 1;
  }
}

static int all_finite(size_t m, const double *v)
{
  for (size_t i = 0; i < m; i++)
    if (!isfinite(v[i])) return 0;
  return 1;
}

ns_status ns_cox_fit(const ns_cox_data *data, const ns_cox_control *control,
                     ns_cox_result *res, ns_callback callback, void *context)
{
  if (!data || !control || !res || !data->time || !data->status || !res->coef ||
      (data->p > 0 && (!data->x || !res->var)) || data->n == 0)
    return NS_ERR_ARGUMENT;
  if (data->n > 2147483647u || data->p > 46340 || control->iter_max < 0)
    return NS_ERR_ARGUMENT;
  if (control->robust && data->cluster && data->n_cluster == 0) return NS_ERR_ARGUMENT;
  /* Firth's penalty is implemented for Breslow's ties (as in coxphf). */
  if (control->firth && control->ties != NS_COX_BRESLOW) return NS_ERR_ARGUMENT;
  if (data->cluster)
    for (size_t i = 0; i < data->n; i++)
      if (data->cluster[i] < 0 || (size_t) data->cluster[i] >= data->n_cluster)
        return NS_ERR_ARGUMENT;

  cox_work wk;
  /* The robust variance evaluates once more at init after the outputs are
   * written, so then eta needs a buffer of its own. */
  ns_status st = work_init(&wk, data, control, control->robust ? NULL : res->lp);
  if (st != NS_OK) { work_free(&wk); return st; }
  wk.callback = callback; wk.cb_context = context;
  size_t n = data->n, p = data->p, pp = p * p;

  double *mem = calloc(8 * p + 3 * pp + 2, sizeof *mem);
  int *keep = calloc(p + 1, sizeof *keep);
  if (!mem || !keep) { free(mem); free(keep); work_free(&wk); return NS_ERR_NOMEM; }
  double *beta = mem, *newbeta = beta + p, *u = newbeta + p, *step = u + p;
  double *u0 = step + p, *work = u0 + p, *init_s = work + p;
  double *imat = init_s + p, *factor = imat + pp, *vs = factor + pp;
  int rank = 0;

  for (size_t j = 0; j < p; j++) {
    double b0 = control->init ? control->init[j] : 0.0;
    init_s[j] = beta[j] = b0 / wk.scale[j];
  }
  const int *fixed = control->fixed;
  int maxiter = p == 0 ? 0 : control->iter_max;

  double loglik0 = 0, newlk = 0, best = 0, plain0 = 0, plain = 0;
  st = cox_eval(&wk, beta, &loglik0, u, p ? imat : NULL, 0);
  if (st != NS_OK) goto fail;
  /* A log-likelihood at init beyond the doubles (risk scores e^1e308) is
   * not a fit to report: NS_ERR_NONFINITE, the front end names init. */
  if (!isfinite(loglik0)) { st = NS_ERR_NONFINITE; goto fail; }
  plain0 = loglik0;
  if (wk.firth && p) {
    st = cox_firth_adjust(&wk, imat, &loglik0, u);
    if (st != NS_OK) goto fail;
  }
  hold_fixed(p, fixed, u, imat);
  res->score_test = 0;
  if (p) {
    st = ns_linalg_chol(p, imat, control->toler_chol, factor, keep, &rank);
    if (st != NS_OK) goto fail;
    memcpy(step, u, p * sizeof *step);
    st = ns_linalg_chol_solve(p, factor, keep, rank, step, work);
    if (st != NS_OK) goto fail;
    double s = 0;
    for (size_t j = 0; j < p; j++) s += u[j] * step[j];
    res->score_test = s;
    memcpy(u0, u, p * sizeof *u0);
  }
  res->loglik[0] = loglik0;
  res->loglik_plain[0] = plain0;
  newlk = loglik0;
  plain = plain0;
  res->converged = 0;
  int iter = 0, halving = 0;
  ns_throttle throttle = ns_throttle_start(callback, context);

  if (maxiter == 0 || !isfinite(loglik0)) {
    res->converged = maxiter == 0;
  } else {
    best = loglik0;
    for (size_t j = 0; j < p; j++) newbeta[j] = beta[j] + step[j];
    for (iter = 1; iter <= maxiter; iter++) {
      if (ns_throttle_tick(&throttle, n, (double) iter / (maxiter + 1))) {
        st = NS_ERR_INTERRUPTED;
        goto fail;
      }
      st = cox_eval(&wk, newbeta, &newlk, u, imat, 0);
      int notfinite = st != NS_OK;
      if (st != NS_OK && st != NS_ERR_NONFINITE) goto fail;
      st = NS_OK;
      plain = newlk;
      if (!notfinite && wk.firth) {
        st = cox_firth_adjust(&wk, imat, &newlk, u);
        if (st == NS_ERR_NONFINITE || st == NS_ERR_SINGULAR) { notfinite = 1; st = NS_OK; }
        else if (st != NS_OK) goto fail;
      }
      if (!notfinite) {
        hold_fixed(p, fixed, u, imat);
        if (!isfinite(newlk) || !all_finite(p, u) || !all_finite(pp, imat)) notfinite = 1;
      }
      if (!notfinite) {
        st = ns_linalg_chol(p, imat, control->toler_chol, factor, keep, &rank);
        if (st == NS_ERR_NONFINITE) { notfinite = 1; st = NS_OK; }
        else if (st != NS_OK) goto fail;
      }
      if (!notfinite && fabs(1.0 - best / newlk) <= control->eps) {
        memcpy(beta, newbeta, p * sizeof *beta);
        res->converged = 1;
        break;
      }
      if (notfinite || newlk < best) {
        halving++;
        for (size_t j = 0; j < p; j++)
          newbeta[j] = (newbeta[j] + halving * beta[j]) / (halving + 1.0);
      } else {
        halving = 0;
        best = newlk;
        memcpy(step, u, p * sizeof *step);
        st = ns_linalg_chol_solve(p, factor, keep, rank, step, work);
        if (st != NS_OK) goto fail;
        for (size_t j = 0; j < p; j++) {
          beta[j] = newbeta[j];
          newbeta[j] = beta[j] + step[j];
        }
      }
    }
    if (!res->converged) {
      /* Out of iterations: report the best point, evaluated afresh. */
      iter = maxiter;
      st = cox_eval(&wk, beta, &newlk, u, imat, 0);
      if (st != NS_OK) goto fail;
      plain = newlk;
      if (wk.firth) {
        st = cox_firth_adjust(&wk, imat, &newlk, u);
        if (st != NS_OK) goto fail;
      }
      hold_fixed(p, fixed, u, imat);
      st = ns_linalg_chol(p, imat, control->toler_chol, factor, keep, &rank);
      if (st != NS_OK) goto fail;
    }
  }
  if (maxiter == 0 || !isfinite(loglik0)) {
    newlk = loglik0;
    plain = plain0;
  }
  res->loglik[1] = newlk;
  res->loglik_plain[1] = plain;
  res->iter = iter;
  res->rank = rank;

  /* Variance, score and the monotone-likelihood check (coxph.fit's rule:
   * the Newton step that would come next is not small next to the
   * coefficient), all in scaled coordinates. */
  if (p) {
    /* imat is no longer needed: it serves as dpotri's scratch. */
    st = ns_linalg_chol_inverse(p, factor, keep, rank, vs, imat);
    if (st != NS_OK) goto fail;
    if (fixed)
      for (size_t j = 0; j < p; j++)
        if (fixed[j]) for (size_t i = 0; i < p; i++) vs[i + j * p] = vs[j + i * p] = 0;
    for (size_t j = 0; j < p; j++) {
      double s = 0;
      for (size_t i = 0; i < p; i++) s += vs[j + i * p] * u[i];
      step[j] = s;
    }
    for (size_t j = 0; j < p; j++) {
      /* iter_max == 0 evaluates the model at init: every coefficient keeps
       * its init value (coxph's), none is dropped or flagged infinite. */
      int dropped = !keep[j] && !(fixed && fixed[j]) && maxiter > 0;
      res->coef[j] = dropped ? NAN : beta[j] * wk.scale[j];
      if (res->u) res->u[j] = u[j] / wk.scale[j];
      if (res->means) res->means[j] = wk.mean[j];
      if (res->infinite)
        res->infinite[j] = maxiter > 0 && !dropped && (!isfinite(u[j]) ||
                                        (fabs(step[j] * wk.scale[j]) > control->eps &&
                                         fabs(step[j]) > control->toler_inf * fabs(beta[j])));
    }
  }

  /* Linear predictors and martingale residuals at the estimate: eta is
   * the last evaluation's, which is at beta. */
  if (res->lp && res->lp != wk.eta) memcpy(res->lp, wk.eta, n * sizeof *res->lp);
  if (res->resid)
    for (size_t k = 0; k < n; k++)
      res->resid[k] = wk.status[k] - row_hazard_weight(&wk, k) / (wk.w ? wk.w[k] : 1.0);

  /* Wald test of beta = init with the model-based variance. */
  res->wald_test = 0;
  res->robust_score_test = 0;
  if (p) {
    double *delta = step;
    for (size_t j = 0; j < p; j++) delta[j] = keep[j] ? beta[j] - init_s[j] : 0.0;
    st = ns_linalg_quad_inverse(p, vs, delta, control->toler_chol, &res->wald_test);
    if (st != NS_OK) goto fail;
  }

  if (p && control->robust) {
    st = cox_robust_variance(&wk, data, control, beta, init_s, u0, keep, vs, u, step, res);
    if (st != NS_OK) goto fail;
  } else if (p) {
    memcpy(res->var, vs, pp * sizeof *vs);
    cox_unscale_var(p, wk.scale, res->var);
  }

  free(mem); free(keep);
  work_free(&wk);
  return NS_OK;

fail:
  free(mem); free(keep);
  work_free(&wk);
  return st;
}

