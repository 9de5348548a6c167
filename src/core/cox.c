/*
 * cox.c -- Cox proportional hazards regression (Breslow and Efron ties,
 * strata, case weights, offsets, (start, stop] data, robust variance,
 * Firth's penalised likelihood) and the concordance of a fitted risk score.
 *
 * Layout. Rows are sorted once by (stratum, stop). The distinct event times
 * of each stratum are numbered as "slots" (ascending, strata one after the
 * other); row j is at risk in the slots lo_j < k <= hi_j of its stratum,
 * where hi_j is the last slot at or before its stop time and lo_j the last
 * slot at or before its start (an event at the start time is not in the
 * interval (start, stop]). With that, every risk-set sum is a reverse
 * cumulative sum over slots of per-slot "bins", and the Breslow cumulative
 * hazard at a row's two ends is a forward cumulative sum: all passes are
 * linear, and the only per-row O(p^2) work is one BLAS rank-k update.
 *
 * Covariates are copied once, in sorted order and row-major (each row's p
 * values contiguous, as every pass reads a whole row), centred and scaled as
 * survival's coxfit6 does: scale = sum(w) / sum(w |x - mean|).
 */
#include <float.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "netsurv.h"

/* Rows per dsyrk call: 256 rows of p <= 64 doubles stay in L2. */
#define NS_COX_BLOCK 256

typedef struct {
  size_t n, p, nslot;
  int efron, firth, threads;
  int *order;        /* sorted position -> input row */
  double *x;         /* n * p, row-major, sorted, centred and scaled */
  double *w, *off;   /* sorted weights and offsets */
  int *status;       /* sorted */
  int *hi, *lo;      /* at-risk slots (lo, hi]; hi < 0: never at risk */
  int *slot_start;   /* nslot: 1 when the slot is its stratum's first */
  int *slot_m;       /* number of events in the slot */
  double *slot_dw;   /* their summed weight */
  double *mean, *scale;
  double *ux;        /* p: sum over events of w x (fixed across iterations) */
  double off_dead;   /* sum over events of w * offset */
  int counting;      /* (start, stop] data */
  /* per-evaluation scratch */
  double *eta, *r, *c;
  double *a0, *a1, *b0, *b1, *d0, *d1; /* slot bins: all rows, leavers, events */
  double *h, *h2, *cumh;               /* hazard increment, for the events, cumulative */
  double *g, *g2, *abar, *cumg;        /* slot * p, for score residuals */
  double *block;                       /* p * NS_COX_BLOCK * threads */
  size_t *split;                       /* threads + 1 row cut points */
  double *bpriv;                       /* per-thread leaver bins, or NULL */
  double *info_t;                      /* p * p * threads */
  double shift;
} cox_work;

static void work_free(cox_work *wk)
{
  free(wk->order); free(wk->x); free(wk->w); free(wk->off); free(wk->status);
  free(wk->hi); free(wk->lo); free(wk->slot_start); free(wk->slot_m);
  free(wk->slot_dw); free(wk->mean); free(wk->scale); free(wk->ux);
  free(wk->eta); free(wk->r); free(wk->c);
  free(wk->a0); free(wk->a1); free(wk->b0); free(wk->b1); free(wk->d0); free(wk->d1);
  free(wk->h); free(wk->h2); free(wk->cumh);
  free(wk->g); free(wk->g2); free(wk->abar); free(wk->cumg);
  free(wk->block); free(wk->info_t); free(wk->split); free(wk->bpriv);
  memset(wk, 0, sizeof *wk);
}

static int thread_count(int requested)
{
#ifdef _OPENMP
  int t = requested > 0 ? requested : 1;
  int lim = omp_get_thread_limit();
  if (t > lim) t = lim;
  return t;
#else
  (void) requested;
  return 1;
#endif
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

/* sum_i w_i x_i, or sum_i w_i |x_i - m| when absdev; w may be NULL. Four
 * partial sums break the dependency chain of one long addition. */
static double wsum_dot(size_t n, const double *w, const double *x, double m, int absdev)
{
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0, n4 = n & ~(size_t) 3;
#define NS_SUM4(EXPR)                                                       \
  for (i = 0; i < n4; i += 4) {                                             \
    size_t q = i; s0 += EXPR; q = i + 1; s1 += EXPR;                        \
    q = i + 2; s2 += EXPR; q = i + 3; s3 += EXPR;                           \
  }                                                                         \
  for (size_t q = n4; q < n; q++) s0 += EXPR;
  if (w && absdev) { NS_SUM4(w[q] * fabs(x[q] - m)) }
  else if (w) { NS_SUM4(w[q] * x[q]) }
  else if (absdev) { NS_SUM4(fabs(x[q] - m)) }
  else { NS_SUM4(x[q]) }
#undef NS_SUM4
  return (s0 + s1) + (s2 + s3);
}

/* coxph's nocenter = c(-1, 0, 1): a column whose values are all -1, 0 or 1
 * (indicators, contrasts) is used as is. Most columns fail at once. */
static int only_unit_values(size_t n, const double *x)
{
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0 && x[i] != 1 && x[i] != -1) return 0;
  return 1;
}

static ns_status work_init(cox_work *wk, const ns_cox_data *d, const ns_cox_control *ctl)
{
  size_t n = d->n, p = d->p;
  memset(wk, 0, sizeof *wk);
  wk->n = n; wk->p = p;
  wk->efron = ctl->ties == NS_COX_EFRON;
  wk->firth = ctl->firth;
  wk->threads = thread_count(ctl->threads);
  wk->counting = d->start != NULL;

  for (size_t i = 0; i < n; i++) {
    if (!isfinite(d->time[i]) || (d->start && !isfinite(d->start[i]))) return NS_ERR_TIME;
    if (d->start && !(d->start[i] < d->time[i])) return NS_ERR_START_STOP;
    if (d->status[i] != 0 && d->status[i] != 1) return NS_ERR_STATUS;
    if (d->weight && !(d->weight[i] > 0 && isfinite(d->weight[i]))) return NS_ERR_WEIGHT;
    if (d->offset && !isfinite(d->offset[i])) return NS_ERR_NONFINITE;
    if (d->stratum && d->stratum[i] < 0) return NS_ERR_STRATUM;
  }

  wk->order = malloc(n * sizeof *wk->order);
  wk->w = malloc(n * sizeof *wk->w);
  wk->off = malloc(n * sizeof *wk->off);
  wk->status = malloc(n * sizeof *wk->status);
  wk->hi = malloc(n * sizeof *wk->hi);
  wk->lo = malloc(n * sizeof *wk->lo);
  wk->eta = malloc(n * sizeof *wk->eta);
  wk->r = malloc(n * sizeof *wk->r);
  wk->c = malloc(n * sizeof *wk->c);
  wk->mean = calloc(p + 1, sizeof *wk->mean);
  wk->scale = calloc(p + 1, sizeof *wk->scale);
  wk->ux = calloc(p + 1, sizeof *wk->ux);
  wk->x = malloc((n * p + 1) * sizeof *wk->x);
  wk->block = malloc(((size_t) NS_COX_BLOCK * p * (size_t) wk->threads + 1) * sizeof *wk->block);
  wk->info_t = malloc((p * p * (size_t) wk->threads + 1) * sizeof *wk->info_t);
  if (!wk->order || !wk->w || !wk->off || !wk->status || !wk->hi || !wk->lo ||
      !wk->eta || !wk->r || !wk->c || !wk->mean || !wk->scale || !wk->ux ||
      !wk->x || !wk->block || !wk->info_t)
    return NS_ERR_NOMEM;

  ns_status st = ns_sort_order(n, d->stratum, d->time, wk->order);
  if (st != NS_OK) return st;
  /* Sorted copies (one random gather each); stime and sstrat live only
   * while the slots are built. */
  double *stime = malloc(n * sizeof *stime);
  int *sstrat = malloc(n * sizeof *sstrat);
  if (!stime || !sstrat) { free(stime); free(sstrat); return NS_ERR_NOMEM; }
  int nt = wk->threads;
  (void) nt;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) if(n > 100000)
#endif
  for (size_t k = 0; k < n; k++) {
    size_t i = (size_t) wk->order[k];
    wk->w[k] = d->weight ? d->weight[i] : 1.0;
    wk->off[k] = d->offset ? d->offset[i] : 0.0;
    wk->status[k] = d->status[i];
    stime[k] = d->time[i];
    sstrat[k] = d->stratum ? d->stratum[i] : 0;
  }

  /* Slots: distinct (stratum, time) among the events, in sorted order. */
  size_t nslot = 0;
  int last_s = -1;
  double last_t = 0;
  for (size_t k = 0; k < n; k++) {
    if (!wk->status[k]) continue;
    if (nslot == 0 || sstrat[k] != last_s || stime[k] != last_t) nslot++;
    last_s = sstrat[k]; last_t = stime[k];
  }
  if (nslot == 0) { free(stime); free(sstrat); return NS_ERR_NO_EVENTS; }
  wk->nslot = nslot;
  int *slot_strat = malloc(nslot * sizeof *slot_strat);
  double *slot_time = malloc(nslot * sizeof *slot_time);
  wk->slot_start = malloc(nslot * sizeof *wk->slot_start);
  wk->slot_m = calloc(nslot, sizeof *wk->slot_m);
  wk->slot_dw = calloc(nslot, sizeof *wk->slot_dw);
  wk->a0 = malloc(nslot * sizeof *wk->a0);
  wk->d0 = malloc(nslot * sizeof *wk->d0);
  wk->a1 = malloc((nslot * p + 1) * sizeof *wk->a1);
  wk->d1 = malloc((nslot * p + 1) * sizeof *wk->d1);
  wk->h = malloc(nslot * sizeof *wk->h);
  wk->h2 = malloc(nslot * sizeof *wk->h2);
  wk->cumh = malloc(nslot * sizeof *wk->cumh);
  if (wk->counting) {
    wk->b0 = malloc(nslot * sizeof *wk->b0);
    wk->b1 = malloc((nslot * p + 1) * sizeof *wk->b1);
  }
  if (!slot_strat || !slot_time || !wk->slot_start || !wk->slot_m || !wk->slot_dw ||
      !wk->a0 || !wk->d0 || !wk->a1 || !wk->d1 || !wk->h || !wk->h2 || !wk->cumh ||
      (wk->counting && (!wk->b0 || !wk->b1))) {
    free(slot_strat); free(slot_time); free(stime); free(sstrat);
    return NS_ERR_NOMEM;
  }
  nslot = 0;
  for (size_t k = 0; k < n; k++) {
    if (!wk->status[k]) continue;
    int s = sstrat[k];
    if (nslot == 0 || s != slot_strat[nslot - 1] || stime[k] != slot_time[nslot - 1]) {
      wk->slot_start[nslot] = nslot == 0 || s != slot_strat[nslot - 1];
      slot_strat[nslot] = s;
      slot_time[nslot] = stime[k];
      nslot++;
    }
    wk->slot_m[nslot - 1]++;
    wk->slot_dw[nslot - 1] += wk->w[k];
  }

  /* hi from the stop order; lo from the start order. */
  size_t ptr = 0;
  for (size_t k = 0; k < n; k++) {
    wk->hi[k] = slot_at(slot_strat, slot_time, nslot, &ptr, sstrat[k], stime[k]);
    wk->lo[k] = -1;
  }
  free(stime); free(sstrat);
  if (wk->counting) {
    int *order2 = malloc(n * sizeof *order2);
    int *pos = malloc(n * sizeof *pos);
    if (!order2 || !pos) { free(order2); free(pos); free(slot_strat); free(slot_time); return NS_ERR_NOMEM; }
    st = ns_sort_order(n, d->stratum, d->start, order2);
    if (st == NS_OK) {
      for (size_t k = 0; k < n; k++) pos[wk->order[k]] = (int) k;
      ptr = 0;
      for (size_t k = 0; k < n; k++) {
        size_t i = (size_t) order2[k];
        wk->lo[pos[i]] = slot_at(slot_strat, slot_time, nslot, &ptr,
                                 d->stratum ? d->stratum[i] : 0, d->start[i]);
      }
    }
    free(order2); free(pos);
  }
  free(slot_strat); free(slot_time);
  if (st != NS_OK) return st;

  /* Centre and scale (weighted, coxfit6's rule); a non-finite sum reveals
   * a non-finite covariate without a separate pass. */
  const double *wt = d->weight;
  double wsum = 0;
  if (wt) for (size_t i = 0; i < n; i++) wsum += wt[i];
  else wsum = (double) n;
  int nonfinite = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic) reduction(|:nonfinite) if(n * p > 100000)
#endif
  for (size_t j = 0; j < p; j++) {
    const double *xj = d->x + j * n;
    double sum = wsum_dot(n, wt, xj, 0.0, 0);
    if (!isfinite(sum)) { nonfinite = 1; continue; }
    int centre = d->center ? d->center[j] : !only_unit_values(n, xj);
    if (!centre) { wk->mean[j] = 0; wk->scale[j] = 1; continue; }
    double m = sum / wsum, a = wsum_dot(n, wt, xj, m, 1);
    wk->mean[j] = m;
    wk->scale[j] = a > 0 ? wsum / a : 1.0;
  }
  if (nonfinite) return NS_ERR_NONFINITE;
  /* Copy to sorted row-major order: read a block of input rows column by
   * column (sequential reads), then scatter whole rows to their sorted
   * places -- one random 8p-byte write per row instead of p random reads. */
  {
    int *pos = malloc(n * sizeof *pos);
    double *bufs = malloc((512 * p * (size_t) nt + 1) * sizeof *bufs);
    if (!pos || !bufs) { free(pos); free(bufs); return NS_ERR_NOMEM; }
    for (size_t k = 0; k < n; k++) pos[wk->order[k]] = (int) k;
    size_t nb = (n + 511) / 512;
    /* Rows go to distinct places, so blocks are independent. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) if(n * p > 100000)
#endif
    for (size_t b = 0; b < nb; b++) {
      int tid = 0;
#ifdef _OPENMP
      tid = omp_get_thread_num();
#endif
      double *buf = bufs + (size_t) tid * 512 * p;
      size_t i0 = b * 512, i1 = i0 + 512 < n ? i0 + 512 : n;
      for (size_t j = 0; j < p; j++) {
        const double *xj = d->x + j * n;
        double m = wk->mean[j], sc = wk->scale[j];
        for (size_t i = i0; i < i1; i++) buf[(i - i0) * p + j] = (xj[i] - m) * sc;
      }
      for (size_t i = i0; i < i1; i++)
        memcpy(wk->x + (size_t) pos[i] * p, buf + (i - i0) * p, p * sizeof *buf);
    }
    free(pos);
    free(bufs);
  }
  /* Row ranges for the threads of pass 1, cut where the slot changes so
   * that no two threads ever add into the same slot's bins. */
  wk->split = malloc(((size_t) wk->threads + 1) * sizeof *wk->split);
  if (!wk->split) return NS_ERR_NOMEM;
  wk->split[0] = 0;
  for (int t = 1; t < wk->threads; t++) {
    size_t k = n * (size_t) t / (size_t) wk->threads;
    if (k < wk->split[t - 1]) k = wk->split[t - 1];
    while (k > 0 && k < n && wk->hi[k] >= 0 && wk->hi[k] == wk->hi[k - 1]) k++;
    wk->split[t] = k;
  }
  wk->split[wk->threads] = n;
  if (wk->counting && wk->threads > 1 &&
      nslot * (p + 1) * (size_t) wk->threads <= (size_t) 4000000) {
    wk->bpriv = calloc(nslot * (p + 1) * (size_t) wk->threads, sizeof *wk->bpriv);
    if (!wk->bpriv) return NS_ERR_NOMEM;
  }
  wk->off_dead = 0;
  for (size_t k = 0; k < n; k++) {
    if (!wk->status[k]) continue;
    const double *xk = wk->x + k * p;
    for (size_t j = 0; j < p; j++) wk->ux[j] += wk->w[k] * xk[j];
    wk->off_dead += wk->w[k] * wk->off[k];
  }
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

/* Pass 1 over rows [k0, k1): linear predictor, risk score relative to
 * `shift`, and the slot bins. b0/b1 are the leaver bins this thread may
 * write (shared when single-threaded). Returns the largest eta seen. */
static double pass1_rows(cox_work *wk, const double *gamma, double shift, size_t k0,
                         size_t k1, double *b0, double *b1)
{
  size_t p = wk->p;
  const double *x = wk->x;
  double emax = -HUGE_VAL;
  for (size_t k = k0; k < k1; k++) {
    const double *xk = x + k * p;
    /* Two partial sums halve the dependency chain of the dot product. */
    double e0 = wk->off[k], e1 = 0;
    size_t j = 0;
    for (; j + 2 <= p; j += 2) { e0 += xk[j] * gamma[j]; e1 += xk[j + 1] * gamma[j + 1]; }
    if (j < p) e0 += xk[j] * gamma[j];
    double e = e0 + e1;
    wk->eta[k] = e;
    if (e > emax) emax = e;
    double rk = wk->w[k] * exp(e - shift);
    wk->r[k] = rk;
    int hi = wk->hi[k], lo = wk->lo[k];
    if (hi < 0 || lo >= hi) continue;
    double *a1 = wk->a1 + (size_t) hi * p;
    wk->a0[hi] += rk;
    for (j = 0; j < p; j++) a1[j] += rk * xk[j];
    if (wk->status[k]) {
      double *d1 = wk->d1 + (size_t) hi * p;
      wk->d0[hi] += rk;
      for (j = 0; j < p; j++) d1[j] += rk * xk[j];
    }
    if (lo >= 0 && b0) {
      double *bb = b1 + (size_t) lo * p;
      b0[lo] += rk;
      for (j = 0; j < p; j++) bb[j] += rk * xk[j];
    }
  }
  return emax;
}

/*
 * One evaluation at gamma (scaled coordinates): the log partial likelihood,
 * the score u and the information imat (p x p, full). When resid is set the
 * per-slot pieces of the score residuals are kept as well.
 */
static ns_status cox_eval(cox_work *wk, const double *gamma, double *loglik,
                          double *u, double *imat, int resid)
{
  size_t n = wk->n, p = wk->p, K = wk->nslot;
  const double *x = wk->x;
  int nt = wk->threads;

  /* Pass 1. exp() is taken relative to the previous evaluation's largest
   * linear predictor (the common factor cancels from the likelihood); if
   * the largest one moved by more than e^500 the pass is redone with the
   * new maximum, so exp() can neither overflow nor flush the risk set to 0. */
  double emax = 0;
  for (int attempt = 0; attempt < 2; attempt++) {
    double shift = wk->shift;
    memset(wk->a0, 0, K * sizeof *wk->a0);
    memset(wk->d0, 0, K * sizeof *wk->d0);
    memset(wk->a1, 0, K * p * sizeof *wk->a1);
    memset(wk->d1, 0, K * p * sizeof *wk->d1);
    if (wk->counting) {
      memset(wk->b0, 0, K * sizeof *wk->b0);
      memset(wk->b1, 0, K * p * sizeof *wk->b1);
    }
    emax = -HUGE_VAL;
    if (nt > 1 && n * (p + 1) > 50000) {
      size_t kp = K * (p + 1);
      if (wk->bpriv) memset(wk->bpriv, 0, kp * (size_t) nt * sizeof *wk->bpriv);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(max:emax)
#endif
      {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        double *b0 = wk->bpriv ? wk->bpriv + (size_t) t * kp : NULL;
        double m = pass1_rows(wk, gamma, shift, wk->split[t], wk->split[t + 1],
                              b0, b0 ? b0 + K : NULL);
        if (m > emax) emax = m;
      }
      if (wk->counting) {
        if (wk->bpriv) {
          for (int t = 0; t < nt; t++) {
            const double *b0 = wk->bpriv + (size_t) t * kp, *b1 = b0 + K;
            for (size_t kk = 0; kk < K; kk++) wk->b0[kk] += b0[kk];
            for (size_t q = 0; q < K * p; q++) wk->b1[q] += b1[q];
          }
        } else {
          /* Too many slots for per-thread copies: leavers in one more pass. */
          for (size_t k = 0; k < n; k++) {
            int hi = wk->hi[k], lo = wk->lo[k];
            if (lo < 0 || hi < 0 || lo >= hi) continue;
            const double *xk = wk->x + k * p;
            double *bb = wk->b1 + (size_t) lo * p;
            wk->b0[lo] += wk->r[k];
            for (size_t j = 0; j < p; j++) bb[j] += wk->r[k] * xk[j];
          }
        }
      }
    } else {
      emax = pass1_rows(wk, gamma, shift, 0, n, wk->b0, wk->b1);
    }
    if (!isfinite(emax)) return NS_ERR_NONFINITE;
    if (fabs(emax - shift) <= 500) break;
    wk->shift = emax;
  }
  double shift = wk->shift;
  wk->shift = emax;

  /* Slots, backwards within each stratum: risk-set sums, then the
   * likelihood terms and hazard increments. With Efron's approximation the
   * m tied events of a slot give m denominators den_l = S0 - f_l D0 with
   * f_l = l/m, and every per-term sum is a moment of f_l weighted by
   * wt/den_l or wt/den_l^2, so a slot costs O(m + p), not O(m p). The
   * information's sum over terms of wt xbar_l xbar_l' equals
   *   A (S1 - fbar D1)(S1 - fbar D1)' + V D1 D1'
   * (A = sum wt/den^2, fbar and V the mean and spread of f under those
   * weights): two rank-1 rows per slot for dsyrk. */
  double *s1 = malloc((4 * p + 1) * sizeof *s1);
  if (!s1) return NS_ERR_NOMEM;
  double *rb1 = s1 + p, *rs = rb1 + p, *blk = wk->block;
  size_t nblk = 0;
  double lsum = 0.0;       /* sum over event terms of wt * log(denominator) */
  double dw_total = 0.0;
  if (imat) memset(imat, 0, p * p * sizeof *imat);
  for (size_t j = 0; j < p; j++) u[j] = wk->ux[j];
  if (resid) {
    ns_status st = alloc_resid_scratch(wk);
    if (st != NS_OK) { free(s1); return st; }
  }
  double ra0 = 0, rb0 = 0;
  ns_status status = NS_OK;
  for (size_t kk = K; kk-- > 0;) {
    if (kk == K - 1 || wk->slot_start[kk + 1]) {
      ra0 = rb0 = 0;
      memset(s1, 0, 2 * p * sizeof *s1);
    }
    ra0 += wk->a0[kk];
    const double *a1 = wk->a1 + kk * p;
    for (size_t j = 0; j < p; j++) s1[j] += a1[j];
    if (wk->counting) {
      rb0 += wk->b0[kk];
      const double *b1 = wk->b1 + kk * p;
      for (size_t j = 0; j < p; j++) rb1[j] += b1[j];
    }
    /* Leavers are subtracted only here, from running sums that were built
     * by additions alone: S = (sum entered) - (sum left). */
    double s0 = wk->counting ? ra0 - rb0 : ra0;
    for (size_t j = 0; j < p; j++) rs[j] = wk->counting ? s1[j] - rb1[j] : s1[j];
    int m = wk->slot_m[kk];
    double dw = wk->slot_dw[kk], d0 = wk->d0[kk];
    const double *d1 = wk->d1 + kk * p;
    int nterm = (wk->efron && m > 1) ? m : 1;
    double wt = dw / nterm;
    /* Moments over the terms: h = sum wt/den, q1 = sum wt f/den,
     * h2 = sum wt (1-f)/den, i0 = sum 1/den, i1 = sum f/den, and
     * M0, M1, M2 = sum wt f^k / den^2. */
    double h = 0, q1 = 0, i0 = 0, i1 = 0, M0 = 0, M1 = 0, M2 = 0;
    double prod = 1.0;
    int pexp = 0;
    for (int l = 0; l < nterm; l++) {
      double f = nterm > 1 ? (double) l / nterm : 0.0;
      double den = s0 - f * d0;
      if (!(den > 0) || !isfinite(den)) { status = NS_ERR_NONFINITE; break; }
      double inv = 1.0 / den, a = wt * inv * inv;
      h += wt * inv; q1 += wt * f * inv;
      i0 += inv; i1 += f * inv;
      M0 += a; M1 += a * f; M2 += a * f * f;
      /* sum of logs as the log of a product, renormalised so that it
       * can neither overflow nor underflow: one log() per slot. */
      prod *= den;
      if ((l & 7) == 7 || l == nterm - 1) { int e; prod = frexp(prod, &e); pexp += e; }
    }
    if (status != NS_OK) break;
    lsum += wt * (log(prod) + pexp * 0.69314718055994530942);
    dw_total += dw;
    double h2 = h - q1;
    wk->h[kk] = h;
    wk->h2[kk] = h2;
    for (size_t j = 0; j < p; j++) u[j] -= rs[j] * h - d1[j] * q1;
    if (resid) {
      double *gk = wk->g + kk * p, *g2k = wk->g2 + kk * p, *ak = wk->abar + kk * p;
      for (size_t j = 0; j < p; j++) {
        gk[j] = M0 * rs[j] - M1 * d1[j];
        g2k[j] = (M0 - M1) * rs[j] - (M1 - M2) * d1[j];
        ak[j] = (i0 * rs[j] - i1 * d1[j]) / nterm;
      }
    }
    if (imat && p) {
      double fbar = M1 / M0;
      double v = M2 / M0 - fbar * fbar;
      double sa = sqrt(M0), sv = v > 0 ? sqrt(v * M0) : 0.0;
      double *col = blk + nblk * p;
      for (size_t j = 0; j < p; j++) col[j] = sa * (rs[j] - fbar * d1[j]);
      nblk++;
      if (sv > 0) {
        col = blk + nblk * p;
        for (size_t j = 0; j < p; j++) col[j] = sv * d1[j];
        nblk++;
      }
      if (nblk + 2 > NS_COX_BLOCK) {
        ns_linalg_syrk(p, nblk, -1.0, blk, 1.0, imat);
        nblk = 0;
      }
    }
  }
  if (status == NS_OK && imat && nblk) ns_linalg_syrk(p, nblk, -1.0, blk, 1.0, imat);
  free(s1);
  if (status != NS_OK) return status;
  /* exp() was shifted: each log(denominator) is `shift` too small. */
  double dotg = 0;
  for (size_t j = 0; j < p; j++) dotg += wk->ux[j] * gamma[j];
  *loglik = dotg + wk->off_dead - lsum - shift * dw_total;

  /* Cumulative hazard over each stratum's slots (and, for residuals, the
   * cumulative hazard-weighted means). */
  double run = 0;
  for (size_t kk = 0; kk < K; kk++) {
    if (wk->slot_start[kk]) run = 0;
    run += wk->h[kk];
    wk->cumh[kk] = run;
  }
  if (resid) {
    for (size_t kk = 0; kk < K; kk++) {
      double *cg = wk->cumg + kk * p;
      const double *gk = wk->g + kk * p;
      if (wk->slot_start[kk]) for (size_t j = 0; j < p; j++) cg[j] = gk[j];
      else for (size_t j = 0; j < p; j++) cg[j] = cg[(ptrdiff_t) j - (ptrdiff_t) p] + gk[j];
    }
  }

  /* Pass 2: c_j = r_j * (hazard accumulated over the row's slots); an
   * Efron event's own slot counts with its reduced weight h2. Then
   * X' diag(c) X through dsyrk on blocks of rows scaled by sqrt(c). */
  if (!imat || p == 0) {
    for (size_t k = 0; k < n; k++) {
      int hi = wk->hi[k], lo = wk->lo[k];
      if (hi < 0 || lo >= hi) { wk->c[k] = 0; continue; }
      double lam = wk->cumh[hi] - (lo >= 0 ? wk->cumh[lo] : 0.0);
      if (wk->status[k]) lam -= wk->h[hi] - wk->h2[hi];
      wk->c[k] = wk->r[k] * (lam > 0 ? lam : 0.0);
    }
    if (imat) { /* p == 0: nothing */ }
    return NS_OK;
  }

  size_t pp = p * p;
  memset(wk->info_t, 0, pp * (size_t) nt * sizeof *wk->info_t);
  size_t nblocks = (n + NS_COX_BLOCK - 1) / NS_COX_BLOCK;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if(n * p > 100000)
#endif
  {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
#endif
    double *bl = wk->block + (size_t) tid * NS_COX_BLOCK * p;
    double *acc = wk->info_t + (size_t) tid * pp;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (size_t b = 0; b < nblocks; b++) {
      size_t k0 = b * NS_COX_BLOCK, k1 = k0 + NS_COX_BLOCK < n ? k0 + NS_COX_BLOCK : n;
      size_t nb = 0;
      for (size_t k = k0; k < k1; k++) {
        int hi = wk->hi[k], lo = wk->lo[k];
        if (hi < 0 || lo >= hi) { wk->c[k] = 0; continue; }
        double lam = wk->cumh[hi] - (lo >= 0 ? wk->cumh[lo] : 0.0);
        if (wk->status[k]) lam -= wk->h[hi] - wk->h2[hi];
        double ck = wk->r[k] * (lam > 0 ? lam : 0.0);
        wk->c[k] = ck;
        if (ck == 0) continue;
        double sc = sqrt(ck);
        const double *xk = x + k * p;
        double *col = bl + nb * p;
        for (size_t j = 0; j < p; j++) col[j] = sc * xk[j];
        nb++;
      }
      if (nb) ns_linalg_syrk(p, nb, 1.0, bl, 1.0, acc);
    }
  }
  for (int t = 0; t < nt; t++) {
    const double *acc = wk->info_t + (size_t) t * pp;
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i <= j; i++) imat[i + j * p] += acc[i + j * p];
  }
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < j; i++) imat[j + i * p] = imat[i + j * p];
  return NS_OK;
}

/*
 * Score residuals of the last evaluation, weighted and summed by cluster:
 * z (p x ncl, column-major) += w_j * s_j. For row j at risk in (lo, hi],
 *   s_j = status_j (x_j - abar_hi) - e_j (x_j Lambda_j - G_j)
 * with Lambda_j the hazard and G_j the hazard-weighted means summed over its
 * slots (an Efron event's own slot with the reduced weights).
 */
static void score_resid_collapse(const cox_work *wk, const int *cluster, double *z)
{
  size_t n = wk->n, p = wk->p;
  for (size_t k = 0; k < n; k++) {
    int hi = wk->hi[k], lo = wk->lo[k];
    if (hi < 0 || lo >= hi) continue;
    const double *xk = wk->x + k * p;
    size_t cl = cluster ? (size_t) cluster[wk->order[k]] : (size_t) wk->order[k];
    double *zc = z + cl * p;
    double e = wk->r[k] / wk->w[k];
    double lam = wk->cumh[hi] - (lo >= 0 ? wk->cumh[lo] : 0.0);
    const double *cgh = wk->cumg + (size_t) hi * p;
    const double *cgl = lo >= 0 ? wk->cumg + (size_t) lo * p : NULL;
    int dead = wk->status[k];
    if (dead) lam -= wk->h[hi] - wk->h2[hi];
    const double *gh = wk->g + (size_t) hi * p, *g2h = wk->g2 + (size_t) hi * p;
    const double *ah = wk->abar + (size_t) hi * p;
    for (size_t j = 0; j < p; j++) {
      double G = cgh[j] - (cgl ? cgl[j] : 0.0);
      if (dead) G -= gh[j] - g2h[j];
      double s = -e * (xk[j] * lam - G);
      if (dead) s += xk[j] - ah[j];
      zc[j] += wk->w[k] * s;
    }
  }
}

/* Scaled (internal) to original coordinates of a p x p variance. */
static void unscale_var(size_t p, const double *scale, double *v)
{
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < p; i++) v[i + j * p] *= scale[i] * scale[j];
}

/* Robust (sandwich) variance V B V with B = z z', all in scaled coordinates. */
static ns_status sandwich(size_t p, size_t ncl, const double *z, const double *v,
                          double *out)
{
  double *b = calloc(p * p, sizeof *b);
  double *t = malloc(p * p * sizeof *t);
  if (!b || !t) { free(b); free(t); return NS_ERR_NOMEM; }
  ns_linalg_syrk(p, ncl, 1.0, z, 0.0, b);
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < j; i++) b[j + i * p] = b[i + j * p];
  /* t = V B, out = t V (p is small: plain loops are fine here). */
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < p; i++) {
      double s = 0;
      for (size_t k = 0; k < p; k++) s += v[i + k * p] * b[k + j * p];
      t[i + j * p] = s;
    }
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < p; i++) {
      double s = 0;
      for (size_t k = 0; k < p; k++) s += t[i + k * p] * v[k + j * p];
      out[i + j * p] = s;
    }
  free(b); free(t);
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

static ns_status firth_adjust(cox_work *wk, const double *imat, double *loglik, double *u);

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
  ns_status st = work_init(&wk, data, control);
  if (st != NS_OK) { work_free(&wk); return st; }
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
  plain0 = loglik0;
  if (wk.firth && p) {
    st = firth_adjust(&wk, imat, &loglik0, u);
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

  if (maxiter == 0 || !isfinite(loglik0)) {
    res->converged = maxiter == 0;
  } else {
    best = loglik0;
    for (size_t j = 0; j < p; j++) newbeta[j] = beta[j] + step[j];
    for (iter = 1; iter <= maxiter; iter++) {
      if (callback && callback(context, (double) iter / (maxiter + 1))) {
        st = NS_ERR_INTERRUPTED;
        goto fail;
      }
      st = cox_eval(&wk, newbeta, &newlk, u, imat, 0);
      int notfinite = st != NS_OK;
      if (st != NS_OK && st != NS_ERR_NONFINITE) goto fail;
      st = NS_OK;
      plain = newlk;
      if (!notfinite && wk.firth) {
        st = firth_adjust(&wk, imat, &newlk, u);
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
        st = firth_adjust(&wk, imat, &newlk, u);
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
      int dropped = !keep[j] && !(fixed && fixed[j]);
      res->coef[j] = dropped ? NAN : beta[j] * wk.scale[j];
      if (res->u) res->u[j] = u[j] / wk.scale[j];
      if (res->means) res->means[j] = wk.mean[j];
      if (res->infinite)
        res->infinite[j] = !dropped && (!isfinite(u[j]) ||
                                        (fabs(step[j] * wk.scale[j]) > control->eps &&
                                         fabs(step[j]) > control->toler_inf * fabs(beta[j])));
    }
  }

  /* Linear predictors and martingale residuals at the estimate: eta is
   * the last evaluation's, which is at beta. */
  if (res->lp) for (size_t k = 0; k < n; k++) res->lp[wk.order[k]] = wk.eta[k];
  if (res->resid)
    for (size_t k = 0; k < n; k++)
      res->resid[wk.order[k]] = wk.status[k] - wk.c[k] / wk.w[k];

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
    size_t ncl = data->cluster ? data->n_cluster : n;
    double *z = calloc(ncl * p, sizeof *z);
    if (!z) { st = NS_ERR_NOMEM; goto fail; }
    /* Residual pieces at the estimate (one more evaluation keeps cox_eval
     * free of bookkeeping the ordinary fit never needs). */
    st = cox_eval(&wk, beta, &newlk, u, NULL, 1);
    if (st == NS_OK) {
      score_resid_collapse(&wk, data->cluster, z);
      if (res->naive_var) {
        memcpy(res->naive_var, vs, pp * sizeof *vs);
        unscale_var(p, wk.scale, res->naive_var);
      }
      st = sandwich(p, ncl, z, vs, res->var);
    }
    if (st == NS_OK) {
      double *delta = step;
      for (size_t j = 0; j < p; j++) delta[j] = keep[j] ? beta[j] - init_s[j] : 0.0;
      st = ns_linalg_quad_inverse(p, res->var, delta, control->toler_chol, &res->wald_test);
    }
    if (st == NS_OK) {
      /* Robust score test at init: residuals there, u0' (Z Z')^- u0. */
      memset(z, 0, ncl * p * sizeof *z);
      st = cox_eval(&wk, init_s, &newlk, u, NULL, 1);
      if (st == NS_OK) {
        score_resid_collapse(&wk, data->cluster, z);
        double *bz = calloc(pp, sizeof *bz);
        if (!bz) st = NS_ERR_NOMEM;
        else {
          ns_linalg_syrk(p, ncl, 1.0, z, 0.0, bz);
          for (size_t j = 0; j < p; j++)
            for (size_t i = 0; i < j; i++) bz[j + i * p] = bz[i + j * p];
          st = ns_linalg_quad_inverse(p, bz, u0, control->toler_chol, &res->robust_score_test);
          free(bz);
        }
      }
    }
    free(z);
    if (st != NS_OK) goto fail;
    unscale_var(p, wk.scale, res->var);
  } else if (p) {
    memcpy(res->var, vs, pp * sizeof *vs);
    unscale_var(p, wk.scale, res->var);
  }

  free(mem); free(keep);
  work_free(&wk);
  return NS_OK;

fail:
  free(mem); free(keep);
  work_free(&wk);
  return st;
}

/*
 * Firth's penalty (Firth 1993; Heinze & Schemper 2001): the penalised log
 * partial likelihood l* = l + log|I| / 2 and its score
 *   U*_r = U_r + tr(I^-1 dI/dbeta_r) / 2.
 * With Breslow's ties I = sum_k dw_k Cov_k(x) (weights r_j / S0_k over the
 * risk set), and dI/dbeta_r = sum_k dw_k E_k[u u' u_r] with u = x - xbar_k,
 * so with A = I^-1 and z_j = x_j' A x_j:
 *   tr(A dI/dbeta_r) = sum_k dw_k (E[z x_r] - xbar_r E[z] - 2 (Cov_k(x) A xbar_k)_r).
 * Every expectation is a risk-set sum, so the same slot bins and cumulative
 * sums as the fit give it in O(n p^2 + K p^2). Must follow a cox_eval at
 * the current coefficients (it uses that evaluation's risk scores); imat is
 * the information there. Columns dropped as collinear are left out of the
 * determinant.
 */
static ns_status firth_adjust(cox_work *wk, const double *imat, double *loglik, double *u)
{
  size_t n = wk->n, p = wk->p, K = wk->nslot, pp = p * p;
  size_t per = 1 + p + pp;           /* per slot: sum r z, sum r z x, sum r x x' */
  double *factor = malloc((3 * pp + 3 * p + 1) * sizeof *factor);
  int *keep = malloc((p + 1) * sizeof *keep);
  double *bins = calloc(K * per * (wk->counting ? 2 : 1), sizeof *bins);
  if (!factor || !keep || !bins) { free(factor); free(keep); free(bins); return NS_ERR_NOMEM; }
  double *ainv = factor + pp, *work = ainv + pp, *y = work + pp, *xbar = y + p, *tr = xbar + p;
  int rank = 0;
  ns_status st = ns_linalg_chol(p, imat, 1e-12, factor, keep, &rank);
  if (st == NS_OK && rank == 0) st = NS_ERR_SINGULAR;
  if (st == NS_OK) st = ns_linalg_chol_inverse(p, factor, keep, rank, ainv, work);
  if (st != NS_OK) { free(factor); free(keep); free(bins); return st; }
  /* log|I| on the covariates' own scale: the internal coordinates are
   * x * scale, so |I_internal| = |I| * prod(scale^2) over kept columns. */
  double logdet = 0;
  for (int i = 0; i < rank; i++) logdet += 2 * log(factor[(size_t) i + (size_t) i * (size_t) rank]);
  for (size_t j = 0; j < p; j++)
    if (keep[j]) logdet -= 2 * log(wk->scale[j]);

  /* Rows into the bins of the slot where they enter (and leave). */
  double *leave = wk->counting ? bins + K * per : NULL;
  for (size_t k = 0; k < n; k++) {
    int hi = wk->hi[k], lo = wk->lo[k];
    if (hi < 0 || lo >= hi) continue;
    const double *xk = wk->x + k * p;
    double z = 0;
    for (size_t i = 0; i < p; i++) {
      double s = 0;
      for (size_t j = 0; j < p; j++) s += ainv[i + j * p] * xk[j];
      z += xk[i] * s;
    }
    double rk = wk->r[k];
    for (int side = 0; side < 2; side++) {
      double *b;
      if (side == 0) b = bins + (size_t) hi * per;
      else if (leave && lo >= 0) b = leave + (size_t) lo * per;
      else break;
      b[0] += rk * z;
      for (size_t i = 0; i < p; i++) b[1 + i] += rk * z * xk[i];
      double *b2 = b + 1 + p;
      for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++) b2[i + j * p] += rk * xk[i] * xk[j];
    }
  }

  /* Risk-set sums backwards over each stratum's slots. S0 and S1 come back
   * from the bins of the last evaluation. */
  double *run = calloc(2 * per + 2 * (p + 1), sizeof *run);
  if (!run) { free(factor); free(keep); free(bins); return NS_ERR_NOMEM; }
  double *runl = run + per, *s1 = runl + per, *s1l = s1 + p + 1;
  double s0 = 0, s0l = 0;
  for (size_t i = 0; i < p; i++) tr[i] = 0;
  for (size_t kk = K; kk-- > 0;) {
    if (kk == K - 1 || wk->slot_start[kk + 1]) {
      memset(run, 0, (2 * per + 2 * (p + 1)) * sizeof *run);
      s0 = s0l = 0;
    }
    const double *b = bins + kk * per;
    for (size_t q = 0; q < per; q++) run[q] += b[q];
    s0 += wk->a0[kk];
    for (size_t i = 0; i < p; i++) s1[i] += wk->a1[kk * p + i];
    if (leave) {
      const double *bl = leave + kk * per;
      for (size_t q = 0; q < per; q++) runl[q] += bl[q];
      s0l += wk->b0[kk];
      for (size_t i = 0; i < p; i++) s1l[i] += wk->b1[kk * p + i];
    }
    double S0 = s0 - s0l;
    if (!(S0 > 0)) { st = NS_ERR_NONFINITE; break; }
    double ez = (run[0] - (leave ? runl[0] : 0)) / S0;
    for (size_t i = 0; i < p; i++) xbar[i] = (s1[i] - s1l[i]) / S0;
    /* y = Cov(x) A xbar, Cov = S2/S0 - xbar xbar'. */
    double axb[64], *ax = p <= 64 ? axb : NULL;
    double *axm = NULL;
    if (!ax) { axm = malloc(p * sizeof *axm); if (!axm) { st = NS_ERR_NOMEM; break; } ax = axm; }
    double c = 0;
    for (size_t i = 0; i < p; i++) {
      double t = 0;
      for (size_t j = 0; j < p; j++) t += ainv[i + j * p] * xbar[j];
      ax[i] = t;
      c += xbar[i] * t;
    }
    const double *s2 = run + 1 + p, *s2l = runl + 1 + p;
    double dw = wk->slot_dw[kk];
    for (size_t i = 0; i < p; i++) {
      double cov_ax = 0;
      for (size_t j = 0; j < p; j++) {
        double e2 = (s2[i + j * p] - (leave ? s2l[i + j * p] : 0)) / S0;
        cov_ax += e2 * ax[j];
      }
      cov_ax -= xbar[i] * c;
      double ezx = (run[1 + i] - (leave ? runl[1 + i] : 0)) / S0;
      tr[i] += dw * (ezx - xbar[i] * ez - 2 * cov_ax);
    }
    free(axm);
  }
  if (st == NS_OK) {
    for (size_t i = 0; i < p; i++) u[i] += 0.5 * tr[i];
    *loglik += 0.5 * logdet;
  }
  free(run); free(factor); free(keep); free(bins);
  return st;
}

/* ---- concordance ------------------------------------------------------ */

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
