/*
 * cox_firth.c -- Firth's penalised partial likelihood for the Cox fit
 * (ns_cox_control.firth): the penalty and its score, from the same slot bins
 * as the fit (cox_work.h).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cox_work.h"

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
ns_status cox_firth_adjust(cox_work *wk, const double *imat, double *loglik, double *u)
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
  double *xk = wk->xbuf;
  for (size_t k = 0; k < n; k++) {
    int hi = wk->hi[k], lo = wk->lo ? wk->lo[k] : -1;
    if (hi < 0 || lo >= hi) continue;
    cox_load_row(wk, k, xk);
    double z = 0;
    for (size_t i = 0; i < p; i++) {
      double s = 0;
      for (size_t j = 0; j < p; j++) s += ainv[i + j * p] * xk[j];
      z += xk[i] * s;
    }
    for (int side = 0; side < 2; side++) {
      double *b, rk = wk->r[k];
      if (side == 0) b = bins + (size_t) hi * per;
      else if (leave && lo >= 0) {
        b = leave + (size_t) lo * per;
        rk *= cox_row_scale(wk, lo, hi);  /* to slot lo's scale (cox_work.h) */
      } else break;
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
    } else {
      /* from slot kk + 1's scale to kk's (cox_work.h) */
      double f = cox_rescale_down(wk, kk);
      for (size_t q = 0; q < 2 * per + 2 * (p + 1); q++) run[q] *= f;
      s0 *= f;
      s0l *= f;
    }
    const double *b = bins + kk * per;
    for (size_t q = 0; q < per; q++) run[q] += b[q];
    s0 += wk->bins.s[2 * kk] + wk->bins.s[2 * kk + 1];
    for (size_t i = 0; i < p; i++) s1[i] += wk->bins.v[2 * kk * p + i] + wk->bins.v[(2 * kk + 1) * p + i];
    if (leave) {
      const double *bl = leave + kk * per;
      for (size_t q = 0; q < per; q++) runl[q] += bl[q];
      s0l += wk->bins.b0[kk];
      for (size_t i = 0; i < p; i++) s1l[i] += wk->bins.b1[kk * p + i];
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
