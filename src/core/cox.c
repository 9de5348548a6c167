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
 *
 * Scales. Risk scores and every per-slot sum are held relative to a power
 * of 2 per slot (cox_work.h, "Scales"): no risk set of right-censored data
 * underflows however widely the linear predictors spread, and moving a
 * running sum between slots is an exact multiplication.
 *
 * The fit (ns_cox_fit, at the end of the file) reads as its steps:
 * fit_check_args, work_init (slots, centring), fit_start (evaluation at
 * init, score test), newton_iterate (survival's stopping rules), then
 * fit_coefficients (variance, monotone-likelihood flags) and fit_outputs
 * (linear predictors, residuals, Wald test). Every evaluation of the model
 * at a point -- log-likelihood, score, information, factorisation -- goes
 * through fit_evaluate.
 */
#include <float.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cox_work.h"
#include "cox_exact.h"

#define NS_LN2 0.69314718055994530942


static void work_free(cox_work *wk)
{
  free(wk->hi); free(wk->lo); free(wk->vbin); free(wk->slot_start); free(wk->slot_m);
  free(wk->slot_dw); free(wk->mean); free(wk->scale); free(wk->ux);
  free(wk->mean_out); free(wk->sexp); free(wk->smax);
  if (wk->own_eta) free(wk->eta);
  free(wk->r);
  free(wk->bins.s); free(wk->bins_t);
  free(wk->h); free(wk->cumh); free(wk->mom); free(wk->lam_bin); free(wk->s0); free(wk->lslot);
  free(wk->g); free(wk->g2); free(wk->abar); free(wk->cumg);
  free(wk->xbuf); free(wk->info_t);
  cox_range_free(&wk->hz);
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

/* 1 when every value of the column equals the first. */
static int constant_column(size_t n, const double *x)
{
  for (size_t i = 1; i < n; i++)
    if (x[i] != x[0]) return 0;
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
  wk->mean_out = calloc(p + 1, sizeof *wk->mean_out);
  wk->xbuf = malloc((2 * (size_t) NS_COX_BLOCK * (p + 1) * (size_t) nt) * sizeof *wk->xbuf);
  if (!wk->hi || (d->start && !wk->lo) || !wk->vbin || !wk->eta || !wk->r || !wk->mean || !wk->scale ||
      !wk->ux || !wk->mean_out || !wk->xbuf)
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
      /* A constant column left uncentred (an all-1 indicator, or center = 0
       * through the C API) would carry rounding noise as its information
       * and get a noise coefficient that depends on the thread count:
       * centred exactly to 0 it is dropped, as coxph's exact zero drops
       * it (issue #13, item 15). Not when its init is used as given. */
      else if (ctl->iter_max > 0 && !(ctl->fixed && ctl->fixed[j]) &&
               !(ctl->init && ctl->init[j] != 0) && constant_column(n, xj))
        m = xj[0];
      wk->mean_out[j] = centre ? m : 0.0;
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
  wk->sexp = malloc(K * sizeof *wk->sexp);
  wk->smax = malloc(K * sizeof *wk->smax);
  if (!wk->h || !wk->cumh || !wk->mom || !wk->lam_bin || !wk->s0 || !wk->lslot ||
      !wk->sexp || !wk->smax)
    return NS_ERR_NOMEM;
  if (wk->counting && cox_range_init(&wk->hz, K, 1, wk->sexp) != NS_OK) return NS_ERR_NOMEM;
  /* Chunks (cox_work.h): up to NS_COX_CHUNKS, fewer when their Gram
   * matrices would outgrow the data; per-chunk bins when they are small
   * next to the rows, otherwise the bins are filled in row order by one
   * thread. Nothing here depends on the thread count. */
  size_t nblk = (n + NS_COX_BLOCK - 1) / NS_COX_BLOCK, bsz = bins_size(K, p, wk->counting);
  wk->nchunk = 0;
  if (n >= 4 * (size_t) NS_COX_BLOCK) {
    size_t c = nblk < NS_COX_CHUNKS ? nblk : NS_COX_CHUNKS;
    while (c > 1 && c * p * p > n * (p + 1) + 65536) c--;
    /* fewer chunks rather than bins filled in a second pass over X */
    while (c > 2 && bsz * c > n / 2 + 65536) c--;
    wk->nchunk = c;
  }
  size_t nc = wk->nchunk ? wk->nchunk : 1;
  wk->info_t = malloc((p * p * nc + 1) * sizeof *wk->info_t);
  if (!wk->info_t) return NS_ERR_NOMEM;
  if (wk->nchunk > 1 && bsz * wk->nchunk <= n / 2 + 65536) {
    wk->bins_t = malloc(bsz * wk->nchunk * sizeof *wk->bins_t);
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

/* Row range of chunk c of nc, cut at block boundaries. */
static void chunk_rows(size_t n, size_t c, size_t nc, size_t *i0, size_t *i1)
{
  size_t nblk = (n + NS_COX_BLOCK - 1) / NS_COX_BLOCK;
  *i0 = nblk * c / nc * NS_COX_BLOCK;
  *i1 = nblk * (c + 1) / nc * NS_COX_BLOCK;
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
      if (lo >= 0 && lo < hi) b->b0[lo] += r[i] * cox_row_scale(wk, lo, hi);
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
      double rk = g[t] * cox_row_scale(wk, lo, hi);
      double *bb = b->b1 + (size_t) lo * p;
      for (size_t a = 0; a < p; a++) bb[a] += rk * xb[a * NS_COX_BLOCK + t];
    }
}

/* Multiplies an exact running sum by f, a power of 2 (exact unless a part
 * becomes subnormal); parts that become 0 are dropped. */
static void exact_scale(ns_exact_sum *x, double f)
{
  if (f == 1.0) return;
  int m = 0;
  for (int k = 0; k < x->n; k++) {
    double v = x->part[k] * f;
    if (v != 0.0) x->part[m++] = v;
  }
  x->n = m;
}

/* Pass A, first half, over rows [i0, i1): the linear predictors. Returns 1
 * when one is not finite. */
static int pass_a_eta_rows(cox_work *wk, const double *gamma, int zero, size_t i0, size_t i1)
{
  size_t p = wk->p;
  int bad = 0;
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
    for (size_t t = 0; t < nb; t++) bad |= !(e[t] > -HUGE_VAL && e[t] < HUGE_VAL);
  }
  return bad;
}

/* Each slot's scale (cox_work.sexp): the exponent of the largest linear
 * predictor among the rows whose risk set ends at or after the slot. One
 * pass over the rows for the per-slot maxima, then a reverse cumulative
 * maximum within each stratum. */
static ns_status slot_scales(cox_work *wk)
{
  size_t n = wk->n, K = wk->nslot;
  int never = (int) (2 * K);
  double *smax = wk->smax;
  for (size_t k = 0; k < K; k++) smax[k] = -HUGE_VAL;
  for (size_t i = 0; i < n; i++) {
    if (wk->vbin[i] == never) continue;
    int h = wk->hi[i];
    if (wk->eta[i] > smax[h]) smax[h] = wk->eta[i];
  }
  double run = -HUGE_VAL;
  for (size_t k = K; k-- > 0;) {
    if (k == K - 1 || wk->slot_start[k + 1]) run = -HUGE_VAL;
    if (smax[k] > run) run = smax[k];
    /* |eta| beyond 2^29 ln 2 has no risk score a double can hold */
    if (!(fabs(run) < 3.7e8)) return NS_ERR_NONFINITE;
    wk->sexp[k] = (int) ceil(run / NS_LN2);
  }
  return NS_OK;
}

/* Pass A, second half, over rows [i0, i1): the risk scores relative to the
 * scale of the row's last slot (at most the weights), and the scalar bins
 * when b is set. Rows never at risk get 0. */
static void pass_a_risk_rows(cox_work *wk, size_t i0, size_t i1, const cox_bins *b)
{
  int never = (int) (2 * wk->nslot);
  for (size_t b0 = i0; b0 < i1; b0 += NS_COX_BLOCK) {
    size_t nb = i1 - b0 < NS_COX_BLOCK ? i1 - b0 : NS_COX_BLOCK;
    const double *e = wk->eta + b0;
    double *r = wk->r + b0;
    const int *vbin = wk->vbin + b0, *hi = wk->hi + b0;
    for (size_t t = 0; t < nb; t++)
      r[t] = vbin[t] == never ? -HUGE_VAL : e[t] - wk->sexp[hi[t]] * NS_LN2;
    ns_exp_scaled(nb, r, 0.0, wk->w ? wk->w + b0 : NULL, r);
    for (size_t t = 0; t < nb; t++) if (vbin[t] == never) r[t] = 0.0;
    if (b) bin_scalars(wk, b0, b0 + nb, b);
  }
}

/* Chunk c's private bins with the part `which` (0: scalar, 1: vector)
 * zeroed, or NULL when the bins are shared (filled by one thread). */
static const cox_bins *chunk_bins(const cox_work *wk, size_t c, int which, cox_bins *mine)
{
  if (!wk->bins_t) return NULL;
  size_t K = wk->nslot, p = wk->p, nscalar = bins_scalar_size(K, wk->counting);
  *mine = bins_at(wk->bins_t + c * bins_size(K, p, wk->counting), K, p, wk->counting);
  if (which == 0) memset(mine->s, 0, nscalar * sizeof *mine->s);
  else memset(mine->v, 0, nscalar * p * sizeof *mine->v);
  return mine;
}

/* Pass A for every row: eta, the slots' scales, r and the scalar bins.
 * NS_ERR_NONFINITE when a linear predictor is not finite. The chunks run
 * on the threads in any order; their bins are combined in chunk order. */
static ns_status pass_a(cox_work *wk, const double *gamma)
{
  size_t n = wk->n, p = wk->p, K = wk->nslot, bsz = bins_size(K, p, wk->counting);
  size_t nscalar = bins_scalar_size(K, wk->counting);
  int nt = wk->threads, zero = 1, bad = 0;
  for (size_t a = 0; a < p; a++) if (gamma[a] != 0) zero = 0;
  memset(wk->bins.s, 0, nscalar * sizeof *wk->bins.s);
  if (!wk->nchunk) {
    if (pass_a_eta_rows(wk, gamma, zero, 0, n)) return NS_ERR_NONFINITE;
    ns_status st = slot_scales(wk);
    if (st != NS_OK) return st;
    pass_a_risk_rows(wk, 0, n, &wk->bins);
    return NS_OK;
  }
  long nc = (long) wk->nchunk;
NS_OMP(parallel for num_threads(nt) schedule(dynamic, 1) reduction(|:bad) if(nt > 1))
  for (long c = 0; c < nc; c++) {
    size_t i0, i1;
    chunk_rows(n, (size_t) c, (size_t) nc, &i0, &i1);
    bad |= pass_a_eta_rows(wk, gamma, zero, i0, i1);
  }
  if (bad) return NS_ERR_NONFINITE;
  ns_status st = slot_scales(wk);
  if (st != NS_OK) return st;
NS_OMP(parallel for num_threads(nt) schedule(dynamic, 1) if(nt > 1))
  for (long c = 0; c < nc; c++) {
    size_t i0, i1;
    chunk_rows(n, (size_t) c, (size_t) nc, &i0, &i1);
    cox_bins mine;
    pass_a_risk_rows(wk, i0, i1, chunk_bins(wk, (size_t) c, 0, &mine));
  }
  if (wk->bins_t) {
    for (long c = 0; c < nc; c++) {
      const double *src = wk->bins_t + (size_t) c * bsz;
      for (size_t q = 0; q < nscalar; q++) wk->bins.s[q] += src[q];
    }
  } else {
    bin_scalars(wk, 0, n, &wk->bins);
  }
  return NS_OK;
}

/* c_i = r_i * (the hazard accumulated over the row's slots; an Efron
 * event's own slot with its reduced weight h - q1) at the last evaluation:
 * pass B's weight for X' diag(c) X and the martingale residuals'. */
static double row_lambda(const cox_work *wk, size_t i)
{
  size_t v = (size_t) wk->vbin[i];
  double lam = wk->lam_bin[v];
  int lo = wk->lo ? wk->lo[i] : -1;
  if (lo >= 0 && v != 2 * wk->nslot) {
    /* Lambda(hi) - Lambda(lo); where that loses more than 13 bits (the
     * hazard before the row entered outweighs its own by 2^13), the
     * slots (lo, hi) are summed by runs instead (cox_range.h) and the
     * row's own slot added: no cancellation (issue #13) */
    int hi = wk->hi[i];
    double before = wk->cumh[lo] * cox_row_scale(wk, lo, hi);
    lam -= before;
    if (!(lam > before * 0x1p-13)) {
      double mid = 0.0;
      if (lo + 1 < hi) {
        cox_range_query(&wk->hz, (size_t) lo + 1, (size_t) hi - 1, &mid);
        mid *= ldexp(1.0, wk->sexp[hi] - wk->sexp[hi - 1]);
      }
      double own = wk->h[hi] - ((v & 1) ? wk->mom[(size_t) hi * NS_MOM + MOM_Q1] : 0.0);
      lam = mid + own;
    }
  }
  return lam > 0 ? lam : 0.0;
}

static double row_hazard_weight(const cox_work *wk, size_t i)
{
  return wk->r[i] * row_lambda(wk, i);
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
        if (lo >= 0 && b->b1) {
          double rl = r[t] * cox_row_scale(wk, lo, wk->hi[i]);
          for (size_t a = 0; a < p; a++) b->b1[(size_t) lo * p + a] += rl * row[a];
        }
      }
    }
    if (acc) ns_gram_upper(p, nb, NS_COX_BLOCK, yb, acc);
  }
}

/* Pass B for every row: vector bins summed into wk->bins, X' diag(c) X
 * (upper triangle) into imat when it is set; chunks as in pass_a, their
 * bins and Gram matrices combined in chunk order. */
static void pass_b(cox_work *wk, double *imat)
{
  size_t n = wk->n, p = wk->p, K = wk->nslot, bsz = bins_size(K, p, wk->counting);
  size_t nscalar = bins_scalar_size(K, wk->counting), nvec = bsz - nscalar, pp = p * p;
  int nt = wk->threads;
  memset(wk->bins.v, 0, nvec * sizeof *wk->bins.v);
  if (!wk->nchunk) {
    pass_b_rows(wk, 0, n, &wk->bins, imat, wk->xbuf);
    return;
  }
  long nc = (long) wk->nchunk;
NS_OMP(parallel for num_threads(nt) schedule(dynamic, 1) if(nt > 1))
  for (long c = 0; c < nc; c++) {
    int t = 0;
    t = omp_get_thread_num();
    size_t i0, i1;
    chunk_rows(n, (size_t) c, (size_t) nc, &i0, &i1);
    cox_bins mine;
    double *acc = imat ? wk->info_t + (size_t) c * pp : NULL;
    if (acc) memset(acc, 0, pp * sizeof *acc);
    pass_b_rows(wk, i0, i1, chunk_bins(wk, (size_t) c, 1, &mine), acc, thread_buffer(wk, t));
  }
  if (wk->bins_t) {
    for (long c = 0; c < nc; c++) {
      const double *src = wk->bins_t + (size_t) c * bsz + nscalar;
      for (size_t q = 0; q < nvec; q++) wk->bins.v[q] += src[q];
    }
  } else {
    /* Too many slots for per-chunk bins: one thread fills them. */
    for (size_t b0 = 0; b0 < n; b0 += NS_COX_BLOCK) {
      size_t nb = n - b0 < NS_COX_BLOCK ? n - b0 : NS_COX_BLOCK;
      load_block(wk, b0, nb, wk->xbuf);
      bin_vectors(wk, b0, nb, wk->xbuf, wk->r + b0, &wk->bins);
    }
  }
  if (imat)
    for (long c = 0; c < nc; c++) {
      const double *acc = wk->info_t + (size_t) c * pp;
      for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i <= j; i++) imat[i + j * p] += acc[i + j * p];
    }
}

/*
 * The likelihood terms of slot kk given its risk-set sum S0: hazard
 * increments and the moments the vector sweep needs. With Efron's
 * approximation the m tied events of a slot give m denominators
 * den_l = S0 q_l, q_l = 1 - f_l D0 / S0 with f_l = l/m, and every per-term
 * sum is a moment of f_l weighted by wt/den_l or wt/den_l^2, so a slot costs
 * O(m + p), not O(m p). The moments are kept relative to S0 (q_l lies in
 * [1/m, 1]): a risk set far below its stratum's largest score (S0 < 1e-154)
 * would overflow 1 / den^2 otherwise.
 */
static ns_status slot_terms(cox_work *wk, size_t kk)
{
  double s0 = wk->s0[kk], d0 = wk->bins.s[2 * kk + 1];
  int m = wk->slot_m[kk];
  int nterm = (wk->efron && m > 1) ? m : 1;
  double wt = wk->slot_dw[kk] / nterm;
  if (!(s0 > 0) || !isfinite(s0) || !isfinite(d0)) return NS_ERR_NONFINITE;
  /* Sums over the terms (simd: independent partial sums, as the terms are
   * independent): i0 = sum 1/den, i1 = sum f/den, and T_k = sum f^k / q^2;
   * h = wt i0, q1 = wt i1, and M_k = wt T_k kept relative to S0^2 (the
   * moment itself is M_k / S0^2). */
  double ratio = d0 / s0;
  double i0 = 0, i1 = 0, T0 = 0, T1 = 0, T2 = 0;
  double inv_m = 1.0 / nterm;  /* f = l / m by a multiplication: within an ulp */
  int bad = 0;
NS_OMP(simd reduction(+:i0, i1, T0, T1, T2) reduction(|:bad))
  for (int l = 0; l < nterm; l++) {
    double f = l * inv_m;
    double q = 1.0 - f * ratio;
    bad |= !(q > 0);
    double inv = 1.0 / q, inv2 = inv * inv;
    i0 += inv; i1 += f * inv;
    T0 += inv2; T1 += f * inv2; T2 += f * f * inv2;
  }
  i0 /= s0;
  i1 /= s0;
  if (bad || !isfinite(i0)) return NS_ERR_NONFINITE;
  /* sum_l log(den_l) = nterm log(S0) + sum_l log(1 - f_l D0 / S0), the
   * second sum as the log of a product: each factor lies in [1/m, 1], so
   * 8 factors in each of two chains, renormalised every 16 terms, can
   * neither overflow nor underflow whatever the scale of S0 (issue #13,
   * item 11: the product of the denominators themselves underflowed when
   * a stratum's scores were e^-88 below the shift). One log() per slot. */
  double prod = 1.0, prod2 = 1.0;
  int pexp = 0;
  for (int l0 = 1; l0 < nterm; l0 += 16) {
    int l1 = l0 + 16 < nterm ? l0 + 16 : nterm, e;
    for (int l = l0; l < l1; l += 2) {
      prod *= 1.0 - (l * inv_m) * ratio;
      if (l + 1 < l1) prod2 *= 1.0 - ((l + 1) * inv_m) * ratio;
    }
    prod = frexp(prod, &e); pexp += e;
    prod2 = frexp(prod2, &e); pexp += e;
  }
  prod *= prod2;
  wk->lslot[kk] = wt * (nterm * log(s0) + log(prod) + pexp * 0.69314718055994530942);
  double h = wt * i0, q1 = wt * i1;
  wk->h[kk] = h;
  double *mo = wk->mom + kk * NS_MOM;
  mo[MOM_Q1] = q1; mo[MOM_I0] = i0; mo[MOM_I1] = i1;
  mo[MOM_M0] = wt * T0; mo[MOM_M1] = wt * T1; mo[MOM_M2] = wt * T2;
  return NS_OK;
}

/* Scalar sweep at the point whose bins pass A filled: S0 per slot
 * backwards within each stratum, the slots' likelihood terms
 * (slot_terms), the log-likelihood, and the cumulative hazard per slot and
 * per bin for pass B. */
static ns_status scalar_sweep(cox_work *wk, const double *gamma, double *loglik)
{
  size_t p = wk->p, K = wk->nslot;
  const cox_bins *bins = &wk->bins;

  /* Scalar sweep, backwards within each stratum: S0 per slot; then the
   * likelihood terms, hazard increments and the moments the vector sweep
   * needs (slot_terms). */
  double ra0 = 0;
  ns_exact_sum x0 = {{0}, 0};
  for (size_t kk = K; kk-- > 0;) {
    if (kk == K - 1 || wk->slot_start[kk + 1]) { ra0 = 0; x0.n = 0; }
    else {
      /* from slot kk + 1's scale to kk's: exact (a power of 2) */
      double f = cox_rescale_down(wk, kk);
      ra0 *= f;
      exact_scale(&x0, f);
    }
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
  /* sum over event terms of wt * log(denominator); each log(denominator)
   * is its slot's scale too small. */
  double lsum = 0.0;
  for (size_t kk = K; kk-- > 0;)
    lsum += wk->lslot[kk] + (wk->sexp[kk] * NS_LN2) * wk->slot_dw[kk];
  double dotg = 0;
  for (size_t j = 0; j < p; j++) dotg += wk->ux[j] * gamma[j];
  *loglik = dotg + wk->off_dead - lsum;
  /* Cumulative hazard over each stratum's slots (relative to each slot's
   * scale); per bin, what its rows accumulate up to their last slot (an
   * event's own slot with the reduced weight h2 = h - q1). */
  double run = 0;
  for (size_t kk = 0; kk < K; kk++) {
    if (wk->slot_start[kk]) run = 0;
    else run *= cox_rescale_down(wk, kk - 1);
    run += wk->h[kk];
    wk->cumh[kk] = run;
    wk->lam_bin[2 * kk] = run;
    wk->lam_bin[2 * kk + 1] = run - wk->mom[kk * NS_MOM + MOM_Q1];
  }
  wk->lam_bin[2 * K] = 0;
  if (wk->counting) cox_range_build(&wk->hz, wk->h);

  return NS_OK;
}

/* Pass B and the vector sweep: S1 per slot, the score u and (imat not
 * NULL) the information; resid: the per-slot pieces of the score
 * residuals. */
static ns_status vector_sweep(cox_work *wk, double *u, double *imat, int resid)
{
  size_t p = wk->p, K = wk->nslot;
  const cox_bins *bins = &wk->bins;
  int want_info = imat && p;
  if (imat) memset(imat, 0, p * p * sizeof *imat);
  pass_b(wk, want_info ? imat : NULL);
  if (p == 0) return NS_OK;

  /* Vector sweep: S1 per slot, the score and the information's correction
   * sum over terms of wt xbar_l xbar_l', which equals
   *   A (S1 - fbar D1)(S1 - fbar D1)' + V D1 D1'
   * (A = sum wt/den^2, fbar and V the mean and spread of f under those
   * weights): two rank-1 rows per slot, subtracted by blocks of rows
   * (ns_gram_upper). */
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
    } else {
      double f = cox_rescale_down(wk, kk);
      for (size_t j = 0; j < p; j++) s1[j] *= f;
      if (xs1) for (size_t j = 0; j < p; j++) exact_scale(&xs1[j], f);
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
    /* the moments M_k relative to S0^2 (slot_terms); with the risk-set
     * sums divided by S0 (means) nothing overflows */
    double M0 = mo[MOM_M0], M1 = mo[MOM_M1], M2 = mo[MOM_M2], inv_s0 = 1.0 / wk->s0[kk];
    for (size_t j = 0; j < p; j++) u[j] -= rs[j] * h - d1[j] * q1;
    if (resid) {
      int nterm = (wk->efron && wk->slot_m[kk] > 1) ? wk->slot_m[kk] : 1;
      double *gk = wk->g + kk * p, *g2k = wk->g2 + kk * p, *ak = wk->abar + kk * p;
      for (size_t j = 0; j < p; j++) {
        double ms = rs[j] * inv_s0, md = d1[j] * inv_s0;
        gk[j] = (M0 * ms - M1 * md) * inv_s0;
        g2k[j] = ((M0 - M1) * ms - (M1 - M2) * md) * inv_s0;
        ak[j] = (mo[MOM_I0] * rs[j] - mo[MOM_I1] * d1[j]) / nterm;
      }
    }
    if (want_info) {
      double fbar = M1 / M0;
      double v = M2 / M0 - fbar * fbar;
      double sa = sqrt(M0) * inv_s0, sv = v > 0 ? sqrt(v * M0) * inv_s0 : 0.0;
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
      else {
        double f = cox_rescale_down(wk, kk - 1);
        for (size_t j = 0; j < p; j++) cg[j] = cg[(ptrdiff_t) j - (ptrdiff_t) p] * f + gk[j];
      }
    }
  }
  if (want_info)
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i < j; i++) imat[j + i * p] = imat[i + j * p];
  return NS_OK;
}

/*
 * One evaluation at gamma (scaled coordinates): the log partial likelihood,
 * the score u and the information imat (p x p, full). When resid is set the
 * per-slot pieces of the score residuals are kept as well.
 *
 * Two passes over the rows, each reading X once: pass A needs gamma (the
 * linear predictors, then -- once the slots' scales are known -- the risk
 * scores and the scalar bins), pass B needs the cumulative hazard, which
 * only the scalar risk-set sums of pass A determine -- so the p-vector
 * bins, the score and X' diag(c) X all come from pass B.
 */
ns_status cox_eval(cox_work *wk, const double *gamma, double *loglik,
                   double *u, double *imat, int resid)
{
  if (wk->exact) return cox_exact_eval(wk, gamma, loglik, u, imat, resid);
  /* Risk scores relative to each slot's scale (cox_work.sexp): exp()
   * cannot overflow, no risk set of right-censored data can underflow, and
   * the fit is a function of the point alone. */
  ns_status st = pass_a(wk, gamma);
  if (st != NS_OK) return st;
  st = scalar_sweep(wk, gamma, loglik);
  if (st != NS_OK) return st;
  return vector_sweep(wk, u, imat, resid);
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

/*
 * The Newton-Raphson state, in scaled coordinates (survival's names in
 * brackets): beta the last accepted point [beta in coxfit6, oldbeta in
 * agfit4], newbeta the point being tried, and what the last evaluation
 * gave at the point it was asked about.
 */
typedef struct {
  size_t p;
  double *beta, *newbeta, *init_s;
  double *u, *step, *u0, *work;   /* score; step = I^- u; score at init */
  double *imat, *factor, *vs;     /* information, its factor, inverse */
  int *keep, rank;                /* columns kept by the factorisation */
  double loglik, plain;           /* (penalised) and plain log-likelihood */
  int finite;                     /* loglik, score and information finite */
  ns_status why;                  /* when not: NS_ERR_NONFINITE or Firth's
                                     NS_ERR_SINGULAR */
} newton;

static void newton_free(newton *nw)
{
  free(nw->beta); free(nw->keep);
  memset(nw, 0, sizeof *nw);
}

static ns_status newton_alloc(newton *nw, size_t p)
{
  memset(nw, 0, sizeof *nw);
  nw->p = p;
  size_t pp = p * p;
  double *mem = calloc(7 * p + 3 * pp + 2, sizeof *mem);
  nw->keep = calloc(p + 1, sizeof *nw->keep);
  if (!mem || !nw->keep) { free(mem); return NS_ERR_NOMEM; }
  nw->beta = mem; nw->newbeta = mem + p; nw->init_s = nw->newbeta + p;
  nw->u = nw->init_s + p; nw->step = nw->u + p; nw->u0 = nw->step + p;
  nw->work = nw->u0 + p; nw->imat = nw->work + p; nw->factor = nw->imat + pp;
  nw->vs = nw->factor + pp;
  return NS_OK;
}

/*
 * Evaluate at gamma: the log partial likelihood, score and information
 * (Firth's penalty added, fixed columns held out), then the information
 * factored. The one place where the model is evaluated at a point; a
 * point where something is not finite (scores beyond exp(), an empty risk
 * set) is not an error here but nw->finite = 0, for the step halving.
 */
static ns_status fit_evaluate(cox_work *wk, const ns_cox_control *ctl, const double *gamma,
                              newton *nw)
{
  size_t p = nw->p;
  nw->finite = 0;
  nw->why = NS_ERR_NONFINITE;
  ns_status st = cox_eval(wk, gamma, &nw->loglik, nw->u, p ? nw->imat : NULL, 0);
  if (st == NS_ERR_NONFINITE) return NS_OK;
  if (st != NS_OK) return st;
  nw->plain = nw->loglik;
  if (wk->firth && p) {
    st = cox_firth_adjust(wk, nw->imat, &nw->loglik, nw->u);
    nw->why = st;
    if (st == NS_ERR_NONFINITE || st == NS_ERR_SINGULAR) return NS_OK;
    if (st != NS_OK) return st;
    nw->why = NS_ERR_NONFINITE;
  }
  hold_fixed(p, ctl->fixed, nw->u, nw->imat);
  if (!isfinite(nw->loglik) || !all_finite(p, nw->u) || !all_finite(p * p, nw->imat))
    return NS_OK;
  st = ns_linalg_chol(p, nw->imat, ctl->toler_chol, nw->factor, nw->keep, &nw->rank);
  if (st == NS_ERR_NONFINITE) return NS_OK;
  if (st != NS_OK) return st;
  nw->finite = 1;
  return NS_OK;
}

/* step = I^- u at the last evaluation. */
static ns_status newton_step(newton *nw)
{
  memcpy(nw->step, nw->u, nw->p * sizeof *nw->step);
  return ns_linalg_chol_solve(nw->p, nw->factor, nw->keep, nw->rank, nw->step, nw->work);
}

/* Evaluate at the last accepted point to report it (iterations run out):
 * it was finite when accepted. */
static ns_status fit_evaluate_accepted(cox_work *wk, const ns_cox_control *ctl, newton *nw,
                                       int *iter_out, int iter)
{
  ns_status st = fit_evaluate(wk, ctl, nw->beta, nw);
  if (st != NS_OK) return st;
  if (!nw->finite) return NS_ERR_NONFINITE;
  *iter_out = iter;
  return NS_OK;
}

/*
 * The Newton-Raphson iterations from init (evaluated in nw), stopping where
 * survival stops, so that fits under monotone likelihood (a coefficient
 * running to infinity) end at coxph's iterate:
 *  - convergence when |1 - best / loglik| <= eps, best the largest
 *    log-likelihood accepted so far;
 *  - a point whose log-likelihood is below best or not finite is not
 *    accepted: the step is shortened towards the last accepted point,
 *    more each time (newbeta = (newbeta + h beta) / (h + 1), h = 1, 2, ...);
 *  - right-censored data (coxph.fit / coxfit6): when the iterations run
 *    out, the last accepted point is reported, iter = iter_max + 1;
 *  - (start, stop] data (agreg.fit / agfit4): convergence also needs the
 *    last step not to have been a halving and the information's rank to
 *    equal its rank at init (a change counts as a failed step); when the
 *    iterations run out, the last point tried is reported unless its
 *    log-likelihood is below best by more than eps relatively, iter =
 *    iter_max.
 * Firth's penalised fits follow the first rule and report iter = iter_max.
 * On return beta is the estimate and nw holds the evaluation there.
 */
static ns_status newton_iterate(cox_work *wk, const ns_cox_control *ctl, newton *nw,
                                ns_throttle *throttle, int *iter_out, int *converged)
{
  size_t p = nw->p;
  int maxiter = ctl->iter_max, ag = wk->counting && !wk->firth;
  int rank0 = nw->rank, halving = 0, iter;
  double best = nw->loglik, eps = ctl->eps;
  ns_status st = newton_step(nw);
  if (st != NS_OK) return st;
  for (size_t j = 0; j < p; j++) nw->newbeta[j] = nw->beta[j] + nw->step[j];
  *converged = 0;
  for (iter = 1; iter <= maxiter; iter++) {
    if (ns_throttle_tick(throttle, wk->n, (double) iter / (maxiter + 1)))
      return NS_ERR_INTERRUPTED;
    st = fit_evaluate(wk, ctl, nw->newbeta, nw);
    if (st != NS_OK) return st;
    int fail = !nw->finite || (ag && nw->rank != rank0);
    if (!fail && !(ag && halving) && ns_newton_converged(best, nw->loglik, eps)) {
      memcpy(nw->beta, nw->newbeta, p * sizeof *nw->beta);
      *converged = 1;
      *iter_out = iter;
      return NS_OK;
    }
    if (ag && iter == maxiter) {
      /* agfit4: keep the last point tried unless it is worse than best
       * (a non-finite one is, too). */
      if (!nw->finite || (maxiter > 1 && (nw->loglik - best) / fabs(best) < -eps))
        return fit_evaluate_accepted(wk, ctl, nw, iter_out, maxiter);
      memcpy(nw->beta, nw->newbeta, p * sizeof *nw->beta);
      *iter_out = maxiter;
      return NS_OK;
    }
    if (fail || nw->loglik < best) {
      halving++;
      for (size_t j = 0; j < p; j++)
        nw->newbeta[j] = (nw->newbeta[j] + halving * nw->beta[j]) / (halving + 1.0);
    } else {
      halving = 0;
      best = nw->loglik;
      st = newton_step(nw);
      if (st != NS_OK) return st;
      for (size_t j = 0; j < p; j++) {
        nw->beta[j] = nw->newbeta[j];
        nw->newbeta[j] = nw->beta[j] + nw->step[j];
      }
    }
  }
  return fit_evaluate_accepted(wk, ctl, nw, iter_out,
                               wk->firth ? maxiter : maxiter + 1);
}

/* The arguments' consistency (the rows are checked by work_init). */
static ns_status fit_check_args(const ns_cox_data *data, const ns_cox_control *control,
                                const ns_cox_result *res)
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
  return NS_OK;
}

/* The evaluation at init: log-likelihood, score test, and the score kept
 * for the robust score test. A log-likelihood at init beyond the doubles
 * (risk scores e^1e308) is not a fit to report: NS_ERR_NONFINITE, the front
 * end names init. */
static ns_status fit_start(cox_work *wk, const ns_cox_control *ctl, newton *nw,
                           ns_cox_result *res)
{
  size_t p = nw->p;
  for (size_t j = 0; j < p; j++) {
    double b0 = ctl->init ? ctl->init[j] : 0.0;
    nw->init_s[j] = nw->beta[j] = b0 / wk->scale[j];
  }
  ns_status st = fit_evaluate(wk, ctl, nw->beta, nw);
  if (st != NS_OK) return st;
  if (!nw->finite) return nw->why;
  res->score_test = 0;
  if (p) {
    st = newton_step(nw);
    if (st != NS_OK) return st;
    double s = 0;
    for (size_t j = 0; j < p; j++) s += nw->u[j] * nw->step[j];
    res->score_test = s;
    memcpy(nw->u0, nw->u, p * sizeof *nw->u0);
  }
  res->loglik[0] = nw->loglik;
  res->loglik_plain[0] = nw->plain;
  return NS_OK;
}

/*
 * Coefficients, score, model-based variance and the monotone-likelihood
 * flags at the estimate, from the evaluation there (all in scaled
 * coordinates until written out). The flags follow survival's warning
 * rules, applied (as there) only to a converged fit with iter_max > 1:
 * with step = I^- u the Newton step that would come next, a coefficient
 * runs to infinity when its score is not finite or, right-censored data
 * (coxph.fit), |step| > eps and |step| > toler_inf |coef|; (start, stop]
 * data (agreg.fit), |step| > toler_inf (1 + |coef|).
 */
static ns_status fit_coefficients(const cox_work *wk, const ns_cox_control *ctl, newton *nw,
                                  int converged, ns_cox_result *res)
{
  size_t p = nw->p;
  const int *fixed = ctl->fixed;
  int maxiter = ctl->iter_max, ag = wk->counting && !wk->firth;
  /* imat is no longer needed: it serves as dpotri's scratch. */
  ns_status st = ns_linalg_chol_inverse(p, nw->factor, nw->keep, nw->rank, nw->vs, nw->imat);
  if (st != NS_OK) return st;
  double *vs = nw->vs, *step = nw->step;
  if (fixed)
    for (size_t j = 0; j < p; j++)
      if (fixed[j]) for (size_t i = 0; i < p; i++) vs[i + j * p] = vs[j + i * p] = 0;
  for (size_t j = 0; j < p; j++) {
    double s = 0;
    for (size_t i = 0; i < p; i++) s += vs[j + i * p] * nw->u[i];
    step[j] = s;
  }
  for (size_t j = 0; j < p; j++) {
    /* iter_max == 0 evaluates the model at init: every coefficient keeps
     * its init value (coxph's), none is dropped or flagged infinite. */
    int dropped = !nw->keep[j] && !(fixed && fixed[j]) && maxiter > 0;
    double coef = nw->beta[j] * wk->scale[j], st_o = step[j] * wk->scale[j];
    res->coef[j] = dropped ? NAN : coef;
    if (res->u) res->u[j] = nw->u[j] / wk->scale[j];
    if (res->means) res->means[j] = wk->mean_out[j];
    if (res->infinite) {
      int inf = ns_newton_infinite(ag, nw->u[j], st_o, coef, ctl->eps, ctl->toler_inf);
      res->infinite[j] = maxiter > 1 && converged && !dropped && inf;
    }
  }
  return NS_OK;
}

/* Linear predictors and martingale residuals at the estimate (eta and the
 * hazard are the last evaluation's, which is at the estimate), and the
 * Wald test of beta = init with the model-based variance. */
static ns_status fit_outputs(const cox_work *wk, const ns_cox_control *ctl, newton *nw,
                             ns_cox_result *res)
{
  size_t n = wk->n, p = nw->p;
  if (res->lp && res->lp != wk->eta) memcpy(res->lp, wk->eta, n * sizeof *res->lp);
  if (res->resid)
    for (size_t k = 0; k < n; k++)
      res->resid[k] = wk->status[k] - row_hazard_weight(wk, k) / (wk->w ? wk->w[k] : 1.0);
  /* the same expected count in logs: r_k / w_k = exp(eta_k) relative to
   * its last slot's scale (rows never at risk: none) */
  if (res->log_expected)
    for (size_t k = 0; k < n; k++) {
      double lam = (size_t) wk->vbin[k] == 2 * wk->nslot ? 0.0 : row_lambda(wk, k);
      res->log_expected[k] = lam > 0 ? (wk->eta[k] - wk->sexp[wk->hi[k]] * NS_LN2) + log(lam)
                                     : -HUGE_VAL;
    }
  res->wald_test = 0;
  res->robust_score_test = 0;
  if (!p) return NS_OK;
  double *delta = nw->step;
  for (size_t j = 0; j < p; j++) delta[j] = nw->keep[j] ? nw->beta[j] - nw->init_s[j] : 0.0;
  return ns_linalg_quad_inverse(p, nw->vs, delta, ctl->toler_chol, &res->wald_test);
}

ns_status ns_cox_fit(const ns_cox_data *data, const ns_cox_control *control,
                     ns_cox_result *res, ns_callback callback, void *context)
{
  ns_status st = fit_check_args(data, control, res);
  if (st != NS_OK) return st;
  cox_work wk;
  newton nw;
  memset(&nw, 0, sizeof nw);
  /* The robust variance evaluates once more at init after the outputs are
   * written, so then eta needs a buffer of its own. */
  st = work_init(&wk, data, control, control->robust ? NULL : res->lp);
  wk.callback = callback; wk.cb_context = context; /* for cox_exact_eval */
  if (st == NS_OK) st = newton_alloc(&nw, data->p);
  if (st == NS_OK) st = fit_start(&wk, control, &nw, res);
  if (st != NS_OK) goto done;

  size_t p = data->p;
  int iter = 0, converged = control->iter_max == 0 || p == 0;
  if (p && control->iter_max > 0) {
    ns_throttle throttle = ns_throttle_start(callback, context);
    st = newton_iterate(&wk, control, &nw, &throttle, &iter, &converged);
    if (st != NS_OK) goto done;
  }
  res->loglik[1] = nw.loglik;
  res->loglik_plain[1] = nw.plain;
  res->iter = iter;
  res->rank = nw.rank;
  res->converged = converged;
  if (p) st = fit_coefficients(&wk, control, &nw, converged, res);
  if (st == NS_OK) st = fit_outputs(&wk, control, &nw, res);
  if (st != NS_OK || !p) goto done;
  if (control->robust) {
    st = cox_robust_variance(&wk, data, control, nw.beta, nw.init_s, nw.u0, nw.keep, nw.vs,
                             nw.u, nw.step, res);
  } else {
    memcpy(res->var, nw.vs, p * p * sizeof *nw.vs);
    cox_unscale_var(p, wk.scale, res->var);
  }
done:
  newton_free(&nw);
  work_free(&wk);
  return st;
}
