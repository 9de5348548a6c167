/*
 * cox_exact.c -- the exact partial likelihood of a Cox model with tied event
 * times (Kalbfleisch & Prentice 1973; coxph's ties = "exact"): at a time
 * where d events happen among the risk set R, the term is the probability,
 * given that d of R fail there, that it is these d:
 *
 *   L_k = prod_{i in D} r_i / e_d(R),   e_d(R) = sum_{S in R, |S| = d} prod_{i in S} r_i,
 *
 * with r_i = exp(eta_i). e_d is the elementary symmetric polynomial of
 * degree d of the risk scores, built by adding the rows one at a time
 * (Gail, Lubin & Rubinstein 1981):
 *
 *   e_m(R + j) = e_m(R) + r_j e_{m-1}(R),   e_0 = 1,
 *
 * and its gradient D1_m and Hessian D2_m in beta by differentiating the same
 * recursion (d r_j / d beta = r_j x_j):
 *
 *   D1_m += r_j (x_j e_{m-1} + D1_{m-1})
 *   D2_m += r_j (x_j x_j' e_{m-1} + x_j D1_{m-1}' + D1_{m-1} x_j' + D2_{m-1}).
 *
 * The term's score is sum_{i in D} x_i - D1_d / e_d and its information
 * D2_d / e_d - (D1_d / e_d)(D1_d / e_d)'. With d = 1 this is Breslow's term.
 *
 * Right-censored data: going backwards in time the risk set only grows, so
 * one sweep per stratum adds every row once, with as many levels m as the
 * largest tie still to come: O(n D p^2) per evaluation (D the largest tie).
 * (start, stop] data: rows also leave the risk set, and taking a row out of
 * e_m is a subtraction that cancels, so each event time's risk set is built
 * afresh (as survival's agexact does): O(sum over times of (rows at risk)
 * d p^2).
 *
 * e_m spans C(n, m) products of risk scores, far beyond the doubles for
 * large sets and ties, so each level m carries a power-of-two exponent of its
 * own (its e_m, D1_m and D2_m share it) and is renormalised when its e_m
 * leaves [2^-400, 2^400].
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cox_exact.h"

#define LN2 0.69314718055994530942

/* The levels 0..L of the recursion: level m is lv[m * stride] = e_m, then
 * D1_m (p), then D2_m (p x p, upper triangle used); its value is the stored
 * one times 2^ex[m]. */
typedef struct {
  size_t p, stride;
  int want2;
  double *lv;
  int *ex;
} esp_levels;

static void esp_reset(esp_levels *e, int L)
{
  memset(e->lv, 0, (size_t) (L + 1) * e->stride * sizeof *e->lv);
  memset(e->ex, 0, (size_t) (L + 1) * sizeof *e->ex);
  e->lv[0] = 1.0;
}

/* Adds a row (risk score r, covariates x) to levels 1..L, from the top down
 * so that every level reads the level below as it was before the row. */
static void esp_add(esp_levels *e, int L, double r, const double *x)
{
  size_t p = e->p, st = e->stride;
  if (!(r > 0)) return;
  for (int m = L; m >= 1; m--) {
    const double *prev = e->lv + (size_t) (m - 1) * st;
    double *cur = e->lv + (size_t) m * st;
    double bp = prev[0];
    if (bp == 0) continue;          /* level m - 1 not reached yet */
    if (cur[0] == 0) e->ex[m] = e->ex[m - 1];
    int dex = e->ex[m - 1] - e->ex[m];
    if (dex > 512) {
      /* The row outweighs level m by more than 2^512 (its risk score far
       * above the rows before it): bring the level to the scale of the one
       * below first, so that the sum cannot overflow; what this flushes to
       * zero is below 2^-600 of the result. */
      double s = ldexp(1.0, -dex);
      for (size_t q = 0; q < st; q++) cur[q] *= s;
      e->ex[m] = e->ex[m - 1];
      dex = 0;
    }
    double f = ldexp(r, dex);
    const double *d1p = prev + 1, *d2p = prev + 1 + p;
    double *d1 = cur + 1, *d2 = cur + 1 + p;
    if (e->want2) {
      for (size_t j = 0; j < p; j++) {
        double aj = bp * x[j] + d1p[j], xj = x[j];
        double *col = d2 + j * p;
        const double *colp = d2p + j * p;
        for (size_t i = 0; i <= j; i++)
          col[i] += f * (x[i] * aj + d1p[i] * xj + colp[i]);
      }
    }
    for (size_t i = 0; i < p; i++) d1[i] += f * (bp * x[i] + d1p[i]);
    cur[0] += f * bp;
    if (cur[0] > 0x1p400 || cur[0] < 0x1p-400) {
      int k = ilogb(cur[0]);
      double s = ldexp(1.0, -k);
      for (size_t q = 0; q < st; q++) cur[q] *= s;
      e->ex[m] += k;
    }
  }
}

/* The term of an event time with d events from level d: adds
 * log e_d (natural scale, before the risk scores' shift) to *lsum, and
 * subtracts D1_d / e_d from u and adds the information to imat (upper). */
static ns_status esp_term(const esp_levels *e, int d, double *lsum, double *u,
                          double *imat, double *mean)
{
  size_t p = e->p;
  const double *lv = e->lv + (size_t) d * e->stride;
  double b = lv[0];
  if (!(b > 0) || !isfinite(b)) return NS_ERR_NONFINITE;
  *lsum += log(b) + e->ex[d] * LN2;
  for (size_t i = 0; i < p; i++) {
    mean[i] = lv[1 + i] / b;
    u[i] -= mean[i];
  }
  if (imat) {
    const double *d2 = lv + 1 + p;
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i <= j; i++)
        imat[i + j * p] += d2[i + j * p] / b - mean[i] * mean[j];
  }
  return NS_OK;
}

/* Whether row i is ever at risk: its slots run from the one after its
 * entry (or its stratum's first) to hi. */
static int at_risk(const cox_work *wk, const int *sfirst, size_t i)
{
  int h = wk->hi[i];
  if (h < 0) return 0;
  int a = wk->lo && wk->lo[i] >= 0 ? wk->lo[i] + 1 : sfirst[h];
  return a <= h;
}

ns_status cox_exact_eval(cox_work *wk, const double *gamma, double *loglik,
                         double *u, double *imat, int resid)
{
  if (wk->w || resid) return NS_ERR_ARGUMENT;
  /* The Breslow evaluation at gamma: eta, and the hazards the martingale
   * residuals read. Its likelihood, score and information are replaced
   * below. */
  wk->exact = 0;
  ns_status st = cox_eval(wk, gamma, loglik, u, NULL, 0);
  wk->exact = 1;
  if (st != NS_OK) return st;

  size_t n = wk->n, p = wk->p, K = wk->nslot;
  const int *hi = wk->hi, *lo = wk->lo, *slot_m = wk->slot_m;
  int counting = wk->counting;

  /* Per slot: its stratum's first slot, the rows whose last slot it is
   * (bucketed), and for right-censored data the levels still needed. */
  int *sfirst = malloc((K + 1) * sizeof *sfirst);
  int *need = malloc((K + 1) * sizeof *need);
  size_t *boff = calloc(K + 2, sizeof *boff);
  size_t *ord = malloc((n + 1) * sizeof *ord);
  double *r = malloc((n + 1) * sizeof *r);
  double *xr = malloc((2 * p + 1) * sizeof *xr);
  esp_levels lev = {p, 1 + p + (imat ? p * p : 0), imat != NULL, NULL, NULL};
  if (!sfirst || !need || !boff || !ord || !r || !xr) { st = NS_ERR_NOMEM; goto done; }

  int dmax = 0;
  for (size_t k = 0; k < K; k++) {
    sfirst[k] = wk->slot_start[k] ? (int) k : sfirst[k - 1];
    int pm = wk->slot_start[k] ? 0 : need[k - 1];
    need[k] = slot_m[k] > pm ? slot_m[k] : pm;
    if (slot_m[k] > dmax) dmax = slot_m[k];
  }
  if (dmax > NS_COX_EXACT_MAX_TIE) { st = NS_ERR_TOO_LARGE; goto done; }

  /* The risk scores, relative to the largest linear predictor at risk
   * (the shift is added back to each log e_d as d * emax). */
  double emax = -HUGE_VAL;
  for (size_t i = 0; i < n; i++)
    if (hi[i] >= 0 && wk->eta[i] > emax) emax = wk->eta[i];
  for (size_t i = 0; i < n; i++) {
    int at = at_risk(wk, sfirst, i);
    r[i] = at ? exp(wk->eta[i] - emax) : 0.0;
    if (at) boff[hi[i] + 1]++;
  }
  for (size_t k = 0; k < K; k++) boff[k + 1] += boff[k];
  {
    size_t *fill = malloc((K + 1) * sizeof *fill);
    if (!fill) { st = NS_ERR_NOMEM; goto done; }
    memcpy(fill, boff, (K + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++)
      if (at_risk(wk, sfirst, i)) ord[fill[hi[i]]++] = i;
    free(fill);
  }

  /* The work, before doing it: refuse what would not finish. */
  double per = 1.0 + (double) p + (imat ? (double) p * (p + 1) / 2 : 0.0), work = 0;
  if (!counting) {
    for (size_t k = 0; k < K; k++) work += (double) (boff[k + 1] - boff[k]) * need[k];
  } else {
    double tail = 0;   /* rows whose last slot is at or after k, in k's stratum */
    for (size_t k = K; k-- > 0;) {
      if (k + 1 == K || wk->slot_start[k + 1]) tail = 0;
      tail += (double) (boff[k + 1] - boff[k]);
      work += tail * slot_m[k];
    }
  }
  if (work * per > NS_COX_EXACT_MAX_WORK ||
      (double) (dmax + 1) * (double) lev.stride > NS_COX_EXACT_MAX_LEVELS) {
    st = NS_ERR_TOO_LARGE;
    goto done;
  }

  lev.lv = malloc((size_t) (dmax + 1) * lev.stride * sizeof *lev.lv);
  lev.ex = malloc((size_t) (dmax + 1) * sizeof *lev.ex);
  if (!lev.lv || !lev.ex) { st = NS_ERR_NOMEM; goto done; }

  double lsum = 0, done_work = 0;
  for (size_t j = 0; j < p; j++) u[j] = wk->ux[j];
  if (imat) memset(imat, 0, p * p * sizeof *imat);
  ns_throttle th = ns_throttle_start(wk->callback, wk->cb_context);
  double *mean = xr + p;

  if (!counting) {
    for (size_t k = K; k-- > 0;) {
      if (k + 1 == K || wk->slot_start[k + 1]) esp_reset(&lev, need[k]);
      size_t nb = boff[k + 1] - boff[k];
      for (size_t q = boff[k]; q < boff[k + 1]; q++) {
        size_t i = ord[q];
        cox_load_row(wk, i, xr);
        esp_add(&lev, need[k], r[i], xr);
      }
      done_work += (double) nb * need[k];
      if (ns_throttle_tick(&th, nb * (size_t) need[k] + 1, done_work / (work + 1))) {
        st = NS_ERR_INTERRUPTED;
        goto done;
      }
      st = esp_term(&lev, slot_m[k], &lsum, u, imat, mean);
      if (st != NS_OK) goto done;
      lsum += slot_m[k] * emax;
    }
  } else {
    /* Each slot's risk set afresh: the rows of its stratum whose last
     * slot is at or after it and whose first is at or before it. */
    size_t kend = K;
    for (size_t k = K; k-- > 0;) {
      if (k + 1 == K || wk->slot_start[k + 1]) kend = k + 1;
      int d = slot_m[k];
      esp_reset(&lev, d);
      size_t nvis = boff[kend] - boff[k];
      for (size_t q = boff[k]; q < boff[kend]; q++) {
        size_t i = ord[q];
        int a = lo[i] >= 0 ? lo[i] + 1 : sfirst[k];
        if (a > (int) k) continue;
        cox_load_row(wk, i, xr);
        esp_add(&lev, d, r[i], xr);
      }
      done_work += (double) nvis * d;
      if (ns_throttle_tick(&th, nvis * (size_t) d + 1, done_work / (work + 1))) {
        st = NS_ERR_INTERRUPTED;
        goto done;
      }
      st = esp_term(&lev, d, &lsum, u, imat, mean);
      if (st != NS_OK) goto done;
      lsum += d * emax;
    }
  }

  /* The events' own linear predictors (with their offsets). */
  double esum = 0;
  for (size_t i = 0; i < n; i++)
    if (wk->status[i] && hi[i] >= 0) esum += wk->eta[i];
  *loglik = esum - lsum;
  if (imat)
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i < j; i++) imat[j + i * p] = imat[i + j * p];
  st = isfinite(*loglik) ? NS_OK : NS_ERR_NONFINITE;

done:
  free(sfirst); free(need); free(boff); free(ord); free(r); free(xr);
  free(lev.lv); free(lev.ex);
  return st;
}
