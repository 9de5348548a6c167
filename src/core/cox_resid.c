/*
 * cox_resid.c -- what a fitted Cox model implies beyond its coefficients:
 * the baseline hazard with its variance pieces (survfit.coxph, basehaz,
 * predict), score / Schoenfeld / martingale residuals, and the score test of
 * proportional hazards (cox.zph).
 *
 * Layout. All three share one "sweep": rows are sorted once by (stratum,
 * stop); each distinct stop time of a stratum is a "time point". One backward pass
 * over the time points grows the risk-set sums (rows enter at their stop time and,
 * for (start, stop] data, leave once the sweep passes their start), and
 * turns them into per-time-point hazard increments and hazard-weighted covariate
 * means. Every quantity a row needs is then a difference of forward
 * cumulative sums over the time points of its stratum, so everything after the
 * sort is linear in n (plus O(events * p^2) for the zph information).
 *
 * Covariates are copied in sorted order, row-major and centred at their
 * column means: the risk-set covariances and the residuals are invariant to
 * the shift, and centring keeps the cumulative sums from cancelling.
 *
 * Scales. As in cox.c, risk scores are held relative to a power of 2 per
 * time point, 2^sexp[t] with sexp[t] the exponent of the largest linear
 * predictor of the rows whose stop time is at or after t in the stratum:
 * row k's r is exp(eta_k) / 2^sexp[t(k)], the risk-set sums and the hazard
 * increments at t are relative to 2^sexp[t] (2^-sexp[t] for hazards), and
 * moving a running sum from one time point to the next multiplies it by an
 * exact power of 2. No risk set of right-censored data can then underflow
 * and no residual becomes NaN when one linear predictor lies 700 below the
 * others (issue #13); ns_cox_hazard scales its hazards back on output.
 * (start, stop] data: the scale also bounds rows that enter later, so a
 * risk set whose scores all lie ~700 below a later entrant's can still
 * underflow (NaN residuals); linear predictors below -3.7e8 are refused.
 *
 * (cox.c's "slots" are the distinct event times only; here every distinct
 * stop time is a time point, as the hazard is reported at censoring times
 * too.)
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cox_range.h"


typedef struct {
  size_t n, p, m;
  int *order;    /* sorted position -> input row */
  int *first;    /* m + 1: first sorted position of each time point */
  int *sstrat;   /* m: stratum of the time point */
  double *stime; /* m: time of the time point */
  double *x;     /* n * p row-major, sorted, centred */
  double *mu;    /* p column means */
  double *r;     /* sorted exp(eta) */
  double *w;     /* sorted weights */
  int *status;   /* sorted */
  int *lo;       /* sorted position -> last time point at or before start in the
                    stratum, -1 when none (or right-censored data) */
  int *tp;       /* sorted position -> its time point */
  int *start_order; /* (start, stop] data: rows by (stratum, start) */
  int *sorted_pos;  /* (start, stop] data: input row -> sorted position */
  int *sexp;     /* m: the time point's scale (see Scales above) */
  double *nrisk, *nevent, *ncens, *haz, *varhaz, *haz2; /* m */
  double *hx, *hx2, *xm;                                 /* m * p, centred */
  int n_event;
} sweep;

static void sweep_free(sweep *s)
{
  free(s->order); free(s->first); free(s->sstrat); free(s->stime);
  free(s->x); free(s->mu); free(s->r); free(s->w); free(s->status);
  free(s->lo); free(s->tp); free(s->start_order); free(s->sorted_pos); free(s->sexp); free(s->nrisk); free(s->nevent); free(s->ncens);
  free(s->haz); free(s->varhaz); free(s->haz2);
  free(s->hx); free(s->hx2); free(s->xm);
  memset(s, 0, sizeof *s);
}

static ns_status check_model(const ns_cox_model *md)
{
  if (!md || !md->time || !md->status || !md->eta || (md->p > 0 && !md->x))
    return NS_ERR_ARGUMENT;
  if (md->ties != NS_COX_BRESLOW && md->ties != NS_COX_EFRON) return NS_ERR_ARGUMENT;
  if (md->n > (size_t) 0x7fffffff) return NS_ERR_ARGUMENT;
  for (size_t i = 0; i < md->n; i++) {
    if (!isfinite(md->time[i])) return NS_ERR_TIME;
    if (md->status[i] != 0 && md->status[i] != 1) return NS_ERR_STATUS;
    if (md->start && (!isfinite(md->start[i]) || md->start[i] >= md->time[i]))
      return NS_ERR_START_STOP;
    if (md->weight && !(md->weight[i] > 0 && isfinite(md->weight[i]))) return NS_ERR_WEIGHT;
    if (md->stratum && md->stratum[i] < 0) return NS_ERR_STRATUM;
    /* exp(eta) must be finite; below -3.7e8 (2^29 ln 2) the time points'
     * scale exponents (ints) could not follow it */
    if (!isfinite(md->eta[i]) || !isfinite(exp(md->eta[i])) || md->eta[i] < -3.7e8)
      return NS_ERR_NONFINITE;
  }
  for (size_t j = 0; j < md->p; j++)
    for (size_t i = 0; i < md->n; i++)
      if (!isfinite(md->x[i + j * md->n])) return NS_ERR_NONFINITE;
  return NS_OK;
}

/* Sort, copy, find the time points and (for (start, stop] data) each row's time point
 * at its start. */
static ns_status sweep_setup(sweep *s, const ns_cox_model *md)
{
  size_t n = md->n, p = md->p;
  memset(s, 0, sizeof *s);
  s->n = n;
  s->p = p;
  s->order = malloc((n + 1) * sizeof *s->order);
  s->x = malloc((n * p + 1) * sizeof *s->x);
  s->mu = calloc(p + 1, sizeof *s->mu);
  s->r = malloc((n + 1) * sizeof *s->r);
  s->w = malloc((n + 1) * sizeof *s->w);
  s->status = malloc((n + 1) * sizeof *s->status);
  s->lo = malloc((n + 1) * sizeof *s->lo);
  s->first = malloc((n + 2) * sizeof *s->first);
  if (!s->order || !s->x || !s->mu || !s->r || !s->w || !s->status || !s->lo || !s->first)
    return NS_ERR_NOMEM;
  ns_status st = ns_sort_order(n, md->stratum, md->time, s->order);
  if (st != NS_OK) return st;

  for (size_t j = 0; j < p; j++) {
    double sum = 0;
    const double *xj = md->x + j * n;
    for (size_t i = 0; i < n; i++) sum += xj[i];
    s->mu[j] = n ? sum / (double) n : 0;
  }
  size_t m = 0;
  for (size_t k = 0; k < n; k++) {
    size_t i = (size_t) s->order[k];
    for (size_t j = 0; j < p; j++) s->x[k * p + j] = md->x[i + j * n] - s->mu[j];
    s->r[k] = md->eta[i];  /* made a risk score once the scales are known */
    s->w[k] = md->weight ? md->weight[i] : 1.0;
    s->status[k] = md->status[i];
    s->n_event += md->status[i];
    if (k == 0 || md->time[i] != md->time[s->order[k - 1]] ||
        (md->stratum && md->stratum[i] != md->stratum[s->order[k - 1]]))
      s->first[m++] = (int) k;
  }
  s->first[m] = (int) n;
  s->m = m;
  s->sstrat = malloc((m + 1) * sizeof *s->sstrat);
  s->stime = malloc((m + 1) * sizeof *s->stime);
  s->nrisk = malloc((m + 1) * sizeof *s->nrisk);
  s->nevent = malloc((m + 1) * sizeof *s->nevent);
  s->ncens = malloc((m + 1) * sizeof *s->ncens);
  s->haz = calloc(m + 1, sizeof *s->haz);
  s->varhaz = calloc(m + 1, sizeof *s->varhaz);
  s->haz2 = calloc(m + 1, sizeof *s->haz2);
  s->hx = calloc(m * p + 1, sizeof *s->hx);
  s->hx2 = calloc(m * p + 1, sizeof *s->hx2);
  s->xm = calloc(m * p + 1, sizeof *s->xm);
  s->tp = malloc((n + 1) * sizeof *s->tp);
  s->sexp = malloc((m + 1) * sizeof *s->sexp);
  if (!s->tp || !s->sexp) return NS_ERR_NOMEM;
  if (!s->sstrat || !s->stime || !s->nrisk || !s->nevent || !s->ncens || !s->haz ||
      !s->varhaz || !s->haz2 || !s->hx || !s->hx2 || !s->xm)
    return NS_ERR_NOMEM;
  for (size_t t = 0; t < m; t++) {
    int i = s->order[s->first[t]];
    s->sstrat[t] = md->stratum ? md->stratum[i] : 0;
    s->stime[t] = md->time[i];
  }
  /* The scales: the largest eta at or after each time point of the
   * stratum, then r = exp(eta) relative to the row's own time point. */
  double run = -HUGE_VAL;
  for (size_t t = m; t-- > 0;) {
    if (t == m - 1 || s->sstrat[t + 1] != s->sstrat[t]) run = -HUGE_VAL;
    for (int k = s->first[t]; k < s->first[t + 1]; k++) {
      s->tp[k] = (int) t;
      if (s->r[k] > run) run = s->r[k];
    }
    s->sexp[t] = (int) ceil(run / 0.69314718055994530942); /* |eta| <= 3.7e8 */
    for (int k = s->first[t]; k < s->first[t + 1]; k++)
      s->r[k] = exp(s->r[k] - s->sexp[t] * 0.69314718055994530942);
  }

  for (size_t k = 0; k < n; k++) s->lo[k] = -1;
  if (md->start) {
    /* Merge rows in (stratum, start) order with the time points: the pointer
     * only moves forward. An event exactly at the start is outside (start,
     * stop], hence "at or before". */
    int *order2 = s->start_order = malloc((n + 1) * sizeof *order2);
    int *pos = s->sorted_pos = malloc((n + 1) * sizeof *pos);
    if (!order2 || !pos) return NS_ERR_NOMEM;
    st = ns_sort_order(n, md->stratum, md->start, order2);
    if (st != NS_OK) return st;
    for (size_t k = 0; k < n; k++) pos[s->order[k]] = (int) k;
    size_t sp = 0;
    for (size_t q = 0; q < n; q++) {
      int i = order2[q];
      int h = md->stratum ? md->stratum[i] : 0;
      double t0 = md->start[i];
      while (sp < m && (s->sstrat[sp] < h || (s->sstrat[sp] == h && s->stime[sp] <= t0))) sp++;
      s->lo[pos[i]] = (sp > 0 && s->sstrat[sp - 1] == h) ? (int) sp - 1 : -1;
    }
  }
  return NS_OK;
}

/* Upper triangle of c += a * x x'. */
static void add_outer(size_t p, double a, const double *x, double *c)
{
  for (size_t j = 0; j < p; j++) {
    double axj = a * x[j];
    for (size_t i = 0; i <= j; i++) c[i + j * p] += axj * x[i];
  }
}

/* The risk-set sums of the backward sweep: R (sum w r), the weight, S (sum
 * w r x) and C (sum w r x x', upper triangle) at val[0], val[1], val + 2,
 * val + 2 + p. Right-censored data only add to them (plain sums); with
 * (start, stop] data rows also leave, and a plain running sum would cancel
 * (a negative hazard when risk scores spread widely), so each is then an
 * exact sum (ns_exact_sum) read back after every change. */
typedef struct {
  int exact;
  size_t len;
  double *val;
  ns_exact_sum *xs;
} risk_acc;

static void racc_add(risk_acc *a, size_t k, double v)
{
  if (!a->exact) { a->val[k] += v; return; }
  ns_exact_add(&a->xs[k], v);
  a->val[k] = ns_exact_value(&a->xs[k]);
}

static void racc_reset(risk_acc *a)
{
  memset(a->val, 0, a->len * sizeof *a->val);
  if (a->exact) for (size_t k = 0; k < a->len; k++) a->xs[k].n = 0;
}

/* The sums (all but the weight, val[1]) times f, a power of 2: exact. */
static void racc_scale(risk_acc *a, double f)
{
  if (f == 1.0) return;
  for (size_t k = 0; k < a->len; k++) {
    if (k == 1) continue;
    a->val[k] *= f;
    if (!a->exact) continue;
    ns_exact_sum *x = &a->xs[k];
    int q = 0;
    for (int c = 0; c < x->n; c++) {
      double v = x->part[c] * f;
      if (v != 0.0) x->part[q++] = v;
    }
    x->n = q;
  }
}

/* c += a * x x' on the upper triangle, at offset k0 of the accumulator */
static void racc_outer(risk_acc *acc, size_t k0, size_t p, double a, const double *x)
{
  for (size_t j = 0; j < p; j++) {
    double axj = a * x[j];
    for (size_t i = 0; i <= j; i++) racc_add(acc, k0 + i + j * p, axj * x[i]);
  }
}

/* The backward pass's scratch: the risk-set sums, and the rows of the time
 * point at hand, whose events join the sums only after the hazard terms
 * (Efron's terms need the events apart). */
typedef struct {
  risk_acc acc;
  double *work;
  int d;          /* events at the time point (rows) */
  double wd, Dd;  /* their weight, their sum of w r */
  double nc;      /* the weight of its censored rows */
  double *Sd;     /* p: the events' sum of w r x */
  double *wxd;    /* p: the events' sum of w x (zph) */
  double *Cd;     /* p x p: the events' sum of w r x x', upper (zph) */
  double *xk;     /* p: one Efron term's risk-set mean */
  double *V;      /* p x p: one Efron term's covariance, upper (zph) */
} sweep_scratch;

static void scratch_free(sweep_scratch *w)
{
  free(w->work);
  free(w->acc.val);
  free(w->acc.xs);
}

static ns_status scratch_alloc(sweep_scratch *w, size_t p, int exact, int zph)
{
  memset(w, 0, sizeof *w);
  w->work = calloc(3 * p + (zph ? 2 * p * p : 0) + 1, sizeof *w->work);
  w->acc.exact = exact;
  w->acc.len = 2 + p + (zph ? p * p : 0);
  w->acc.val = calloc(w->acc.len, sizeof *w->acc.val);
  if (exact) w->acc.xs = calloc(w->acc.len, sizeof *w->acc.xs);
  if (!w->work || !w->acc.val || (exact && !w->acc.xs)) {
    scratch_free(w);
    return NS_ERR_NOMEM;
  }
  w->Sd = w->work;
  w->wxd = w->Sd + p;
  w->xk = w->wxd + p;
  w->Cd = w->xk + p;
  w->V = w->Cd + (zph ? p * p : 0);
  return NS_OK;
}

/* The rows of time point t enter: censored rows straight into the
 * risk-set sums, events into the scratch's event sums; every row's weight
 * joins the weight at risk. */
static void time_point_enter(const sweep *s, long t, sweep_scratch *w, int zph)
{
  const size_t p = s->p;
  risk_acc *acc = &w->acc;
  w->Dd = w->wd = w->nc = 0;
  w->d = 0;
  memset(w->Sd, 0, p * sizeof *w->Sd);
  if (zph) { memset(w->Cd, 0, p * p * sizeof *w->Cd); memset(w->wxd, 0, p * sizeof *w->wxd); }
  for (int k = s->first[t]; k < s->first[t + 1]; k++) {
    const double *xr = s->x + (size_t) k * p;
    double rw = s->r[k] * s->w[k];
    racc_add(acc, 1, s->w[k]);
    if (s->status[k]) {
      w->d++; w->wd += s->w[k]; w->Dd += rw;
      for (size_t j = 0; j < p; j++) w->Sd[j] += rw * xr[j];
      if (zph) {
        add_outer(p, rw, xr, w->Cd);
        for (size_t j = 0; j < p; j++) w->wxd[j] += s->w[k] * xr[j];
      }
    } else {
      w->nc += s->w[k];
      racc_add(acc, 0, rw);
      for (size_t j = 0; j < p; j++) racc_add(acc, 2 + j, rw * xr[j]);
      if (zph) racc_outer(acc, 2 + p, p, rw, xr);
    }
  }
}

/* (start, stop] data: the rows of the time point's stratum whose start is
 * at or after its time leave the sums. q walks the start order backwards
 * (rows of later strata are passed over); returns where it stopped. */
static long time_point_leave(const sweep *s, const ns_cox_model *md, long t, long q,
                             risk_acc *acc, int zph)
{
  const size_t p = s->p;
  const int h = s->sstrat[t];
  const double tt = s->stime[t];
  while (q >= 0) {
    int i = s->start_order[q];
    int hi = md->stratum ? md->stratum[i] : 0;
    if (hi > h) { q--; continue; }
    if (hi < h || md->start[i] < tt) break;
    int k = s->sorted_pos[i];
    const double *xr = s->x + (size_t) k * p;
    /* its r to this time point's scale */
    double rw = ldexp(s->r[k], s->sexp[s->tp[k]] - s->sexp[t]) * s->w[k];
    racc_add(acc, 1, -s->w[k]);
    racc_add(acc, 0, -rw);
    for (size_t j = 0; j < p; j++) racc_add(acc, 2 + j, -(rw * xr[j]));
    if (zph) racc_outer(acc, 2 + p, p, -rw, xr);
    q--;
  }
  return q;
}

/* The hazard terms of time point t (d > 0 events) from the risk-set sums
 * (the rows at risk but its events) and the events' sums; for the zph test
 * (u and imat not NULL; g the time point's g(t)) its score and information
 * too. */
static void time_point_hazard(sweep *s, long t, sweep_scratch *w, int efron, double g,
                              double *u, double *imat)
{
  const size_t p = s->p, p2 = 2 * p;
  const int zph = u != NULL, d = w->d;
  const double R = w->acc.val[0], Dd = w->Dd, wd = w->wd;
  const double *S = w->acc.val + 2, *C = w->acc.val + 2 + p;
  const double *Sd = w->Sd, *Cd = w->Cd;
  double *xk = w->xk, *V = w->V;
  double *hx = s->hx + (size_t) t * p, *hx2 = s->hx2 + (size_t) t * p;
  double *xm = s->xm + (size_t) t * p;
  int nterm = efron ? d : 1;
  double wt = efron ? wd / d : wd;
  /* Efron: the k-th of the d terms keeps the fraction 1 - k/d of the
   * tied events in the risk set; Breslow is the single term k = 0. */
  for (int kk = 0; kk < nterm; kk++) {
    double f = efron ? (double) kk / d : 0.0;
    double Dk = R + (1 - f) * Dd;
    for (size_t j = 0; j < p; j++) xk[j] = (S[j] + (1 - f) * Sd[j]) / Dk;
    s->haz[t] += wt / Dk;
    s->varhaz[t] += wt / (Dk * Dk);
    s->haz2[t] += (1 - f) * wt / Dk;
    for (size_t j = 0; j < p; j++) {
      hx[j] += wt * xk[j] / Dk;
      hx2[j] += (1 - f) * wt * xk[j] / Dk;
      xm[j] += xk[j] / nterm;
    }
    if (zph) {
      for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i <= j; i++)
          V[i + j * p] = wt * ((C[i + j * p] + (1 - f) * Cd[i + j * p]) / Dk - xk[i] * xk[j]);
      for (size_t j = 0; j < p; j++) {
        for (size_t i = 0; i <= j; i++) {
          double v = V[i + j * p];
          imat[i + j * p2] += v;
          imat[i + (j + p) * p2] += g * v;
          imat[i + p + (j + p) * p2] += g * g * v;
        }
        u[j] -= wt * xk[j];
        u[j + p] -= g * wt * xk[j];
      }
    }
  }
  if (zph)
    for (size_t j = 0; j < p; j++) { u[j] += w->wxd[j]; u[j + p] += g * w->wxd[j]; }
}

/* The events of time point t join the risk-set sums. */
static void time_point_events_join(const sweep *s, long t, sweep_scratch *w, int zph)
{
  const size_t p = s->p;
  risk_acc *acc = &w->acc;
  if (acc->exact) {
    /* Rows leave one by one, so they enter one by one: an exact sum that
     * took the rounded block sums Dd, Sd, Cd would keep their rounding
     * (~eps x the block's scores) once the block's rows have left. */
    for (int k = s->first[t]; k < s->first[t + 1]; k++) {
      if (!s->status[k]) continue;
      const double *xr = s->x + (size_t) k * p;
      double rw = s->r[k] * s->w[k];
      racc_add(acc, 0, rw);
      for (size_t j = 0; j < p; j++) racc_add(acc, 2 + j, rw * xr[j]);
      if (zph) racc_outer(acc, 2 + p, p, rw, xr);
    }
  } else {
    racc_add(acc, 0, w->Dd);
    for (size_t j = 0; j < p; j++) racc_add(acc, 2 + j, w->Sd[j]);
    if (zph)
      for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i <= j; i++) racc_add(acc, 2 + p + i + j * p, w->Cd[i + j * p]);
  }
}

/* The zph information's upper triangles hold the sums; mirror them (the
 * off-diagonal block I_g is symmetric in its own right). */
static void zph_mirror(size_t p, double *imat)
{
  const size_t p2 = 2 * p;
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < j; i++) {
      imat[j + i * p2] = imat[i + j * p2];
      imat[j + (i + p) * p2] = imat[i + (j + p) * p2];
      imat[j + p + (i + p) * p2] = imat[i + p + (j + p) * p2];
    }
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < p; i++) imat[i + p + j * p2] = imat[j + (i + p) * p2];
}

/*
 * The backward pass over the time points (see Layout at the top). For the
 * zph test (gtime != NULL) it also needs the second moments of the risk set
 * and adds each event time's information and score into u and imat (both
 * zeroed by the caller). A row whose start the sweep passes leaves the sums;
 * rows of a stratum leave no trace in the next (the sums restart at each
 * stratum's end).
 */
static ns_status sweep_run(sweep *s, const ns_cox_model *md, const double *gtime,
                           double *u, double *imat, ns_callback cb, void *ctx)
{
  const size_t n = s->n, m = s->m;
  const int zph = gtime != NULL;
  const int efron = md->ties == NS_COX_EFRON;
  sweep_scratch w;
  if (scratch_alloc(&w, s->p, md->start != NULL, zph) != NS_OK) return NS_ERR_NOMEM;

  long q = (long) n - 1;
  size_t done = 0;
  ns_throttle throttle = ns_throttle_start(cb, ctx);
  for (long t = (long) m - 1; t >= 0; t--) {
    if (t == (long) m - 1 || s->sstrat[t + 1] != s->sstrat[t]) racc_reset(&w.acc);
    else racc_scale(&w.acc, ldexp(1.0, s->sexp[t + 1] - s->sexp[t]));
    time_point_enter(s, t, &w, zph);
    if (md->start) q = time_point_leave(s, md, t, q, &w.acc, zph);
    s->nrisk[t] = w.acc.val[1];
    s->nevent[t] = w.wd;
    s->ncens[t] = w.nc;
    if (w.d > 0) {
      double g = zph ? gtime[s->order[s->first[t]]] : 0;
      time_point_hazard(s, t, &w, efron, g, u, imat);
    }
    time_point_events_join(s, t, &w, zph);
    size_t rows = (size_t) (s->first[t + 1] - s->first[t]);
    done += rows;
    if (ns_throttle_tick(&throttle, rows, (double) done / (double) (2 * n))) {
      scratch_free(&w);
      return NS_ERR_INTERRUPTED;
    }
  }
  if (zph) zph_mirror(s->p, imat);
  scratch_free(&w);
  return NS_OK;
}

/* sweep_setup, then sweep_run: the sweep every entry point starts from
 * (after check_model); on failure nothing is left allocated. */
static ns_status sweep_build(sweep *s, const ns_cox_model *md, const double *gtime,
                             double *u, double *imat, ns_callback cb, void *ctx)
{
  ns_status st = sweep_setup(s, md);
  if (st == NS_OK) st = sweep_run(s, md, gtime, u, imat, cb, ctx);
  if (st != NS_OK) sweep_free(s);
  return st;
}

ns_status ns_cox_hazard(const ns_cox_model *model, ns_cox_hazard_result *out,
                        ns_callback callback, void *context)
{
  if (!out) return NS_ERR_ARGUMENT;
  memset(out, 0, sizeof *out);
  ns_status st = check_model(model);
  if (st != NS_OK) return st;
  sweep s;
  st = sweep_build(&s, model, NULL, NULL, NULL, callback, context);
  if (st != NS_OK) return st;
  size_t m = s.m, p = s.p;
  out->m = m;
  out->p = p;
  out->stratum = s.sstrat; s.sstrat = NULL;
  out->time = s.stime; s.stime = NULL;
  out->n_risk = s.nrisk; s.nrisk = NULL;
  out->n_event = s.nevent; s.nevent = NULL;
  out->n_censor = s.ncens; s.ncens = NULL;
  out->haz = s.haz; s.haz = NULL;
  out->varhaz = s.varhaz; s.varhaz = NULL;
  out->xhaz = s.hx; s.hx = NULL;
  for (size_t t = 0; t < m; t++) {
    /* back from the time point's scale */
    int e = s.sexp[t];
    out->haz[t] = ldexp(out->haz[t], -e);
    out->varhaz[t] = ldexp(out->varhaz[t], -2 * e);
    for (size_t j = 0; j < p; j++)
      out->xhaz[t * p + j] = ldexp(out->xhaz[t * p + j], -e) + out->haz[t] * s.mu[j];
  }
  sweep_free(&s);
  return NS_OK;
}

void ns_cox_hazard_free(ns_cox_hazard_result *out)
{
  if (!out) return;
  free(out->stratum); free(out->time); free(out->n_risk); free(out->n_event);
  free(out->n_censor); free(out->haz); free(out->varhaz); free(out->xhaz);
  memset(out, 0, sizeof *out);
}

/* Schoenfeld residuals in sorted order of the events. */
static void schoenfeld(const sweep *s, double *schoen, int *schoen_row)
{
  size_t p = s->p, ne = (size_t) s->n_event, e = 0;
  for (size_t t = 0; t < s->m; t++)
    for (int k = s->first[t]; k < s->first[t + 1]; k++) {
      if (!s->status[k]) continue;
      if (schoen)
        for (size_t j = 0; j < p; j++)
          schoen[e + j * ne] = s->x[(size_t) k * p + j] - s->xm[t * p + j];
      if (schoen_row) schoen_row[e] = s->order[k];
      e++;
    }
}

ns_status ns_cox_residuals(const ns_cox_model *model, double *score,
                           double *schoen, int *schoen_row, double *martingale,
                           double *log_expected, ns_callback callback, void *context)
{
  ns_status st = check_model(model);
  if (st != NS_OK) return st;
  sweep s;
  st = sweep_build(&s, model, NULL, NULL, NULL, callback, context);
  if (st != NS_OK) return st;
  size_t n = s.n, p = s.p, m = s.m;
  schoenfeld(&s, schoen, schoen_row);
  if (!score && !martingale && !log_expected) { sweep_free(&s); return NS_OK; }

  /* Cumulative hazard and hazard-weighted means within each stratum; the
   * Efron share of an event at its own time replaces the time point's full term. */
  double *cumA = malloc((m + 1) * sizeof *cumA);
  double *cumB = malloc((m * p + 1) * sizeof *cumB);
  double *tmp = malloc((2 * p + 2) * sizeof *tmp), *rq = tmp + p;
  /* (start, stop] data: the hazard and hazard-weighted means by runs of
   * time points, for rows where Lambda(stop) - Lambda(start) cancels */
  double *hv = model->start ? malloc((m * (p + 1) + 1) * sizeof *hv) : NULL;
  cox_range rs;
  memset(&rs, 0, sizeof rs);
  if (!cumA || !cumB || !tmp || (model->start && (!hv ||
      cox_range_init(&rs, m, p + 1, s.sexp) != NS_OK))) {
    free(cumA); free(cumB); free(tmp); free(hv); cox_range_free(&rs); sweep_free(&s);
    return NS_ERR_NOMEM;
  }
  if (hv) {
    for (size_t t = 0; t < m; t++) {
      hv[t * (p + 1)] = s.haz[t];
      for (size_t j = 0; j < p; j++) hv[t * (p + 1) + 1 + j] = s.hx[t * p + j];
    }
    cox_range_build(&rs, hv);
  }
  /* (each relative to its time point's scale: the previous one's sums
   * are taken to it by f) */
  for (size_t t = 0; t < m; t++) {
    int fresh = t == 0 || s.sstrat[t] != s.sstrat[t - 1];
    double f = fresh ? 0.0 : ldexp(1.0, s.sexp[t] - s.sexp[t - 1]);
    cumA[t] = (fresh ? 0 : cumA[t - 1] * f) + s.haz[t];
    for (size_t j = 0; j < p; j++)
      cumB[t * p + j] = (fresh ? 0 : cumB[(t - 1) * p + j] * f) + s.hx[t * p + j];
  }
  for (size_t t = 0; t < m; t++) {
    int fresh = t == 0 || s.sstrat[t] != s.sstrat[t - 1];
    double f = fresh ? 0.0 : ldexp(1.0, s.sexp[t] - s.sexp[t - 1]);
    for (int k = s.first[t]; k < s.first[t + 1]; k++) {
      const double *xr = s.x + (size_t) k * p;
      double A;
      int dead = s.status[k];
      if (dead) {
        A = (fresh ? 0 : cumA[t - 1] * f) + s.haz2[t];
        for (size_t j = 0; j < p; j++)
          tmp[j] = (fresh ? 0 : cumB[(t - 1) * p + j] * f) + s.hx2[t * p + j];
      } else {
        A = cumA[t];
        for (size_t j = 0; j < p; j++) tmp[j] = cumB[t * p + j];
      }
      int lo = s.lo[k];
      if (lo >= 0) {
        double fl = ldexp(1.0, s.sexp[t] - s.sexp[lo]);
        double before = cumA[lo] * fl;
        if (A - before > before * 0x1p-13) {
          A -= before;
          for (size_t j = 0; j < p; j++) tmp[j] -= cumB[(size_t) lo * p + j] * fl;
        } else {
          /* the hazard before the row entered outweighs its own by 2^13
           * or more: sum the time points (lo, t) by runs, then its own
           * (issue #13: its expected count had lost every digit) */
          double ft = 0.0;
          if ((size_t) lo + 1 < t) {
            cox_range_query(&rs, (size_t) lo + 1, t - 1, rq);
            ft = ldexp(1.0, s.sexp[t] - s.sexp[t - 1]);
          } else {
            memset(rq, 0, (p + 1) * sizeof *rq);
          }
          A = rq[0] * ft + (dead ? s.haz2[t] : s.haz[t]);
          for (size_t j = 0; j < p; j++)
            tmp[j] = rq[1 + j] * ft + (dead ? s.hx2[t * p + j] : s.hx[t * p + j]);
        }
      }
      size_t i = (size_t) s.order[k];
      double r = s.r[k];
      if (martingale) martingale[i] = dead - r * A;
      /* log(r A) in logs: r (relative to the time point's scale) may
       * underflow, and dead - r A rounds to dead when r A < 2^-53 */
      if (log_expected)
        log_expected[i] = A > 0 ? (model->eta[i] - s.sexp[t] * 0.69314718055994530942) + log(A)
                                : -HUGE_VAL;
      if (score)
        for (size_t j = 0; j < p; j++)
          score[i + j * n] = (dead ? xr[j] - s.xm[t * p + j] : 0) - r * (xr[j] * A - tmp[j]);
    }
  }
  free(cumA); free(cumB); free(tmp); free(hv);
  cox_range_free(&rs);
  sweep_free(&s);
  return NS_OK;
}

ns_status ns_cox_zph(const ns_cox_model *model, const double *gtime, double *u,
                     double *imat, double *schoen, int *used, int n_stratum,
                     ns_callback callback, void *context)
{
  ns_status st = check_model(model);
  if (st != NS_OK) return st;
  if (!gtime || !u || !imat || n_stratum < 1) return NS_ERR_ARGUMENT;
  size_t n = model->n, p = model->p;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(gtime[i])) return NS_ERR_NONFINITE;
    if (model->stratum && model->stratum[i] >= n_stratum) return NS_ERR_STRATUM;
  }
  memset(u, 0, 2 * p * sizeof *u);
  memset(imat, 0, 4 * p * p * sizeof *imat);
  sweep s;
  st = sweep_build(&s, model, gtime, u, imat, callback, context);
  if (st != NS_OK) return st;
  schoenfeld(&s, schoen, NULL);
  if (used) {
    /* cox.zph's rule: a covariate constant within a stratum carries no
     * information there (its scaled residuals are NA). */
    size_t ns = (size_t) n_stratum;
    memset(used, 0, ns * p * sizeof *used);
    size_t k0 = 0;
    while (k0 < n) {
      int h = model->stratum ? model->stratum[s.order[k0]] : 0;
      size_t k1 = k0;
      int dead = 0;
      while (k1 < n && (model->stratum ? model->stratum[s.order[k1]] : 0) == h) {
        dead += s.status[k1];
        k1++;
      }
      for (size_t j = 0; j < p; j++) {
        double x0 = s.x[k0 * p + j];
        for (size_t k = k0 + 1; k < k1; k++)
          if (s.x[k * p + j] != x0) { used[(size_t) h + j * ns] = dead; break; }
      }
      k0 = k1;
    }
  }
  sweep_free(&s);
  return NS_OK;
}

ns_status ns_cox_deviance(size_t n, const double *martingale, const double *events,
                          const double *log_expected, double *out)
{
  if (n > 0 && (!martingale || !events || !out)) return NS_ERR_ARGUMENT;
  for (size_t i = 0; i < n; i++) {
    double m = martingale[i], d = events[i];
    /* log E from the caller when given (it keeps its precision where m
     * rounds to d), else from m */
    double le = log_expected && !isnan(log_expected[i]) ? log_expected[i] : log(d - m);
    double dev = d != 0 ? m + d * le : m;
    /* m + d log E <= 0 for d in {0, 1}; m and log E formed apart can
     * round it to a tiny positive number (E near 1): that is 0 */
    if (dev > 0 && dev <= 0x1p-40 * (fabs(m) + fabs(d * le) + fabs(d))) dev = 0;
    double v = sqrt(-2 * dev);
    out[i] = m > 0 ? v : (m < 0 ? -v : (isnan(m) ? m : 0.0));
  }
  return NS_OK;
}
