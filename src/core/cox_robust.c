/*
 * cox_robust.c -- the robust (sandwich) variance of the Cox fit
 * (ns_cox_control.robust): score residuals collapsed by cluster, and
 * V B V with B = Z Z' (Lin & Wei 1989; Therneau & Grambsch 2000, 7.2).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cox_work.h"

/*
 * Score residuals of the last evaluation, weighted and summed by cluster:
 * z (p x ncl, column-major) += w_j * s_j. For row j at risk in (lo, hi],
 *   s_j = status_j (x_j - abar_hi) - e_j (x_j Lambda_j - G_j)
 * with Lambda_j the hazard and G_j the hazard-weighted means summed over its
 * slots (an Efron event's own slot with the reduced weights).
 */
void cox_score_resid_collapse(const cox_work *wk, const int *cluster, double *xk,
                              double *z)
{
  size_t n = wk->n, p = wk->p;
  for (size_t k = 0; k < n; k++) {
    int hi = wk->hi[k], lo = wk->lo ? wk->lo[k] : -1;
    if (hi < 0 || lo >= hi) continue;
    cox_load_row(wk, k, xk);
    size_t cl = cluster ? (size_t) cluster[k] : k;
    double *zc = z + cl * p;
    double wk_k = wk->w ? wk->w[k] : 1.0;
    double e = wk->r[k] / wk_k;
    /* sums up to lo taken to hi's scale (cox_work.h) */
    double fl = lo >= 0 ? cox_row_scale(wk, lo, hi) : 0.0;
    double lam = wk->cumh[hi] - (lo >= 0 ? wk->cumh[lo] * fl : 0.0);
    const double *cgh = wk->cumg + (size_t) hi * p;
    const double *cgl = lo >= 0 ? wk->cumg + (size_t) lo * p : NULL;
    int dead = wk->status[k];
    if (dead) lam -= wk->mom[(size_t) hi * NS_MOM + MOM_Q1];
    const double *gh = wk->g + (size_t) hi * p, *g2h = wk->g2 + (size_t) hi * p;
    const double *ah = wk->abar + (size_t) hi * p;
    for (size_t j = 0; j < p; j++) {
      double G = cgh[j] - (cgl ? cgl[j] * fl : 0.0);
      if (dead) G -= gh[j] - g2h[j];
      double s = -e * (xk[j] * lam - G);
      if (dead) s += xk[j] - ah[j];
      zc[j] += wk_k * s;
    }
  }
}

/* Scaled (internal) to original coordinates of a p x p variance. A zero
 * entry (a dropped or fixed column) stays 0: a tiny-scale column's
 * scale^2 may overflow and 0 * Inf would be NaN. */
void cox_unscale_var(size_t p, const double *scale, double *v)
{
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < p; i++)
      if (v[i + j * p] != 0.0) v[i + j * p] *= scale[i] * scale[j]; /* symmetric in i, j */
}

/* Robust (sandwich) variance V B V with B = z z', all in scaled coordinates,
 * formed as D D' with D = V z (p x ncl, the dfbeta of each cluster): one
 * dsyrk on the upper triangle, mirrored, so the result is exactly symmetric
 * and positive semi-definite up to the rounding of a sum of squares (the
 * product V (z z') V in two steps is neither on ill-conditioned fits). */
ns_status cox_sandwich(size_t p, size_t ncl, const double *z, const double *v,
                       double *out)
{
  double *dfb = malloc((p * ncl + 1) * sizeof *dfb);
  if (!dfb) return NS_ERR_NOMEM;
  for (size_t c = 0; c < ncl; c++) {
    const double *zc = z + c * p;
    double *dc = dfb + c * p;
    for (size_t i = 0; i < p; i++) {
      double s = 0;
      for (size_t k = 0; k < p; k++) s += v[i + k * p] * zc[k];
      dc[i] = s;
    }
  }
  memset(out, 0, p * p * sizeof *out);
  ns_status st = ns_linalg_syrk(p, ncl, 1.0, dfb, 0.0, out);
  for (size_t j = 0; j < p; j++)
    for (size_t i = 0; i < j; i++) out[j + i * p] = out[i + j * p];
  free(dfb);
  return st;
}

/*
 * The robust (sandwich) variance of a fit and its tests, after the
 * model-based fit has converged at beta (scaled coordinates): res->var (the
 * robust variance), res->naive_var (vs, the model-based one), res->wald_test
 * with the robust variance, and res->robust_score_test at init_s, where the
 * score was u0. keep: the columns not dropped. u and step are p-vectors of
 * scratch. Two more evaluations (at beta and at init) give the score
 * residuals, collapsed by data->cluster.
 */
ns_status cox_robust_variance(cox_work *wk, const ns_cox_data *data,
                              const ns_cox_control *control, const double *beta,
                              const double *init_s, const double *u0, const int *keep,
                              const double *vs, double *u, double *step, ns_cox_result *res)
{
  size_t n = data->n, p = data->p, pp = p * p;
  double newlk = 0;
  ns_status st;
  size_t ncl = data->cluster ? data->n_cluster : n;
  double *z = calloc(ncl * p, sizeof *z);
  if (!z) return NS_ERR_NOMEM;
  /* Residual pieces at the estimate (one more evaluation keeps cox_eval
   * free of bookkeeping the ordinary fit never needs). */
  st = cox_eval(wk, beta, &newlk, u, NULL, 1);
  if (st == NS_OK) {
    cox_score_resid_collapse(wk, data->cluster, wk->xbuf, z);
    if (res->naive_var) {
      memcpy(res->naive_var, vs, pp * sizeof *vs);
      cox_unscale_var(p, wk->scale, res->naive_var);
    }
    st = cox_sandwich(p, ncl, z, vs, res->var);
  }
  if (st == NS_OK) {
    double *delta = step;
    for (size_t j = 0; j < p; j++) delta[j] = keep[j] ? beta[j] - init_s[j] : 0.0;
    st = ns_linalg_quad_inverse(p, res->var, delta, control->toler_chol, &res->wald_test);
  }
  if (st == NS_OK) {
    /* Robust score test at init: residuals there, u0' (Z Z')^- u0. */
    memset(z, 0, ncl * p * sizeof *z);
    st = cox_eval(wk, init_s, &newlk, u, NULL, 1);
    if (st == NS_OK) {
      cox_score_resid_collapse(wk, data->cluster, wk->xbuf, z);
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
  if (st != NS_OK) return st;
  cox_unscale_var(p, wk->scale, res->var);
  return NS_OK;
}
