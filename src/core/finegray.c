/*
 * finegray.c -- the Fine & Gray (1999) proportional subdistribution hazards
 * model, fitted as cmprsk's crr() fits it, in time linear in n per Newton
 * iteration (crr's loops are quadratic).
 *
 * Risk set at an event time tau of the cause of interest: every row with
 * t >= tau (weight r = w exp(eta)) plus every row that failed from a competing
 * cause at t < tau, weighted r G_g(tau-) / G_g(t-) with G_g the Kaplan-Meier
 * estimate of the censoring distribution in its censoring group g (crr's
 * cengroup; G_g(u-) = 0 once u is past the last time of group g, as crr).
 * Because G_g(tau-) does not depend on the row, the weighted sums are
 *   S_a(tau) = sum_{t >= tau} r x^a + sum_g G_g(tau-) A_g,a(tau),
 *   A_g,a(tau) = sum_{competing rows of g with t < tau} r x^a / G_g(t-),
 * running sums over rows sorted by time: one sort, two scans per iteration
 * (the suffix sums are accumulated backwards, see evaluate()).
 * Ties: Breslow (every event at tau sees the same risk set), as crr.
 *
 * The variance is Fine & Gray's sandwich I^-1 (sum_i w_i u_i u_i') I^-1 with
 * u_i = eta_i + psi_i: eta_i the score residual, psi_i the correction for the
 * estimated censoring distribution (their section 4, as crr's crrvv computes
 * it, including crr's restriction of q_g(u) to the events of group g). Both
 * are prefix / suffix sums over the sorted times; totals minus prefixes give
 * the suffixes, so the variance is one more linear scan.
 *
 * Covariates are centred internally (the model is invariant); the baseline
 * jumps are returned on the original scale, as crr's bfitj.
 * Reference: Fine JP, Gray RJ (1999). JASA 94, 496-509.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "internal.h"

typedef struct {
  size_t n, p, ncg, m;     /* rows, covariates, censoring groups, distinct times */
  int *order;              /* rows sorted by time */
  size_t *tstart;          /* m + 1: first sorted position of each time */
  double *time;            /* m distinct times */
  double *x;               /* n x p row-major, sorted, centred */
  double *w;               /* n sorted weights */
  int *status, *grp;       /* n sorted */
  double *gminus;          /* n: G_g(t_i-) of the row's group */
  double *gtime;           /* m x ncg: G_g(t-) at each distinct time */
  double *mu;              /* p column means */
  double *r;               /* n: w exp(eta) (scratch) */
  double *buf;             /* scratch for the sums */
  size_t nb;               /* times per block of evaluate()'s suffix sums */
  double *suffix;          /* (m / nb + 1 + nb) x blk: evaluate()'s suffix sums */
} fg_work;

static void work_free(fg_work *k)
{
  free(k->order); free(k->tstart); free(k->time); free(k->x); free(k->w);
  free(k->status); free(k->grp); free(k->gminus); free(k->gtime); free(k->mu);
  free(k->r); free(k->buf); free(k->suffix);
  memset(k, 0, sizeof *k);
}

static ns_status work_prepare(const ns_finegray_data *d, fg_work *k)
{
  memset(k, 0, sizeof *k);
  size_t n = d->n, p = d->p, ncg = (size_t) d->n_cengroup, nn = n ? n : 1;
  k->n = n; k->p = p; k->ncg = ncg;
  k->order = malloc(nn * sizeof *k->order);
  k->tstart = malloc((nn + 1) * sizeof *k->tstart);
  k->time = malloc(nn * sizeof *k->time);
  k->x = malloc(nn * (p ? p : 1) * sizeof *k->x);
  k->w = malloc(nn * sizeof *k->w);
  k->status = malloc(nn * sizeof *k->status);
  k->grp = malloc(nn * sizeof *k->grp);
  k->gminus = malloc(nn * sizeof *k->gminus);
  k->mu = calloc(p ? p : 1, sizeof *k->mu);
  k->r = malloc(nn * sizeof *k->r);
  /* R (1 + p + p^2), A per group (same), S (same), plus per-group
   * counters for the censoring KM and the variance (generous) */
  size_t blk = 1 + p + p * p;
  k->buf = calloc(blk * (2 + ncg) + ncg * (8 + 8 * p) + 4 * p * p + 8 * p + 8, sizeof *k->buf);
  if (!k->order || !k->tstart || !k->time || !k->x || !k->w || !k->status || !k->grp ||
      !k->gminus || !k->mu || !k->r || !k->buf)
    return NS_ERR_NOMEM;
  ns_status st = ns_sort_order(n, NULL, d->time, k->order);
  if (st != NS_OK) return st;
  double wsum = 0;
  for (size_t i = 0; i < n; i++) {
    int row = k->order[i];
    k->w[i] = d->weight ? d->weight[row] : 1.0;
    k->status[i] = d->status[row];
    k->grp[i] = d->cengroup ? d->cengroup[row] : 0;
    wsum += k->w[i];
    for (size_t a = 0; a < p; a++) k->mu[a] += k->w[i] * d->x[(size_t) row + a * n];
  }
  for (size_t a = 0; a < p; a++) k->mu[a] = wsum > 0 ? k->mu[a] / wsum : 0;
  for (size_t i = 0; i < n; i++) {
    int row = k->order[i];
    for (size_t a = 0; a < p; a++) k->x[i * p + a] = d->x[(size_t) row + a * n] - k->mu[a];
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    double t = d->time[k->order[i]];
    if (i == 0 || t != k->time[m - 1]) { k->tstart[m] = i; k->time[m++] = t; }
  }
  k->tstart[m] = n;
  k->m = m;
  k->gtime = malloc((m ? m : 1) * (ncg ? ncg : 1) * sizeof *k->gtime);
  /* blocks of ~sqrt(m) times: checkpoints plus one block's sums */
  size_t nb = 1;
  while (nb * nb < m) nb++;
  k->nb = nb;
  k->suffix = malloc(((m + nb - 1) / nb + 1 + nb) * blk * sizeof *k->suffix);
  if (!k->gtime || !k->suffix) return NS_ERR_NOMEM;
  /* Censoring Kaplan-Meier per group: at risk = weight with t >= u. */
  double *G = k->buf, *atrisk = G + ncg, *lastt = atrisk + ncg, *cens = lastt + ncg;
  for (size_t g = 0; g < ncg; g++) { G[g] = 1; atrisk[g] = 0; lastt[g] = -INFINITY; cens[g] = 0; }
  for (size_t i = 0; i < n; i++) {
    atrisk[k->grp[i]] += k->w[i];
    double t = d->time[k->order[i]];
    if (t > lastt[k->grp[i]]) lastt[k->grp[i]] = t;
  }
  for (size_t j = 0; j < m; j++) {
    double t = k->time[j];
    for (size_t g = 0; g < ncg; g++) k->gtime[j * ncg + g] = t > lastt[g] ? 0.0 : G[g];
    for (size_t i = k->tstart[j]; i < k->tstart[j + 1]; i++)
      k->gminus[i] = k->gtime[j * ncg + (size_t) k->grp[i]];
    for (size_t g = 0; g < ncg; g++) cens[g] = 0;
    for (size_t i = k->tstart[j]; i < k->tstart[j + 1]; i++)
      if (k->status[i] == 0) cens[k->grp[i]] += k->w[i];
    for (size_t g = 0; g < ncg; g++) {
      if (cens[g] > 0 && atrisk[g] > 0) G[g] *= ns_km_factor(atrisk[g], cens[g]);
    }
    for (size_t i = k->tstart[j]; i < k->tstart[j + 1]; i++) atrisk[k->grp[i]] -= k->w[i];
  }
  memset(k->buf, 0, 4 * ncg * sizeof *k->buf);
  return NS_OK;
}

/* x_a x_b accumulated into the p x p block s (upper triangle, row-major). */
static void add_outer(size_t p, double scale, const double *x, double *s)
{
  for (size_t a = 0; a < p; a++) {
    double xa = scale * x[a];
    for (size_t b = a; b < p; b++) s[a * p + b] += xa * x[b];
  }
}

/* s += scale * (1, x, x x') for one row, the first len entries of a block. */
static void add_row(size_t p, size_t len, double scale, const double *x, double *s)
{
  s[0] += scale;
  for (size_t a = 0; a < p; a++) s[1 + a] += scale * x[a];
  if (len > 1 + p) add_outer(p, scale, x, s + 1 + p);
}

/*
 * Objective (crr's: minus the log pseudo-likelihood), gradient and Hessian at
 * beta; with s0/xbar/dsum non-NULL also the per-time S0, xbar (p) and event
 * weight (0 where no event).
 *
 * The sums over {t >= tau} are suffix sums, formed by ADDING rows from the
 * last time backwards -- never as (all rows) - (rows that left), which
 * cancels when the scores spread (a risk set of e^-29 left after rows of e^-7
 * were subtracted kept their rounding error: log pseudo-likelihood > 0). To
 * keep the memory O(sqrt(m) blk) rather than O(m blk), a first backward pass
 * stores the suffix sums at the start of each block of nb consecutive times
 * only; the forward pass then rebuilds one block's suffix sums from the next
 * block's start, again by additions. Both passes add each row once, as the
 * add-then-subtract scheme did, so the cost is unchanged. The competing-risk
 * sums A_g (rows with t < tau) are prefix sums, added forwards.
 */
static ns_status evaluate(fg_work *k, const double *beta, double *lik, double *grad,
                          double *hess, double *s0_out, double *xbar_out, double *d_out)
{
  size_t p = k->p, ncg = k->ncg, m = k->m, blk = 1 + p + p * p;
  size_t len = hess ? blk : 1 + p, nb = k->nb, nblk = m ? (m + nb - 1) / nb : 0;
  double *A = k->buf, *S = A + ncg * blk;
  double *chk = k->suffix, *loc = chk + (nblk + 1) * blk; /* checkpoints, one block */
  memset(A, 0, blk * (1 + ncg) * sizeof *A);
  *lik = 0;
  if (grad) memset(grad, 0, p * sizeof *grad);
  if (hess) memset(hess, 0, p * p * sizeof *hess);
  /* backward pass: scores, and the suffix sums at each block's first time */
  memset(chk + nblk * blk, 0, len * sizeof *chk);
  memset(S, 0, len * sizeof *S);
  for (size_t j = m; j-- > 0;) {
    for (size_t i = k->tstart[j + 1]; i-- > k->tstart[j];) {
      const double *xi = k->x + i * p;
      double eta = 0;
      for (size_t a = 0; a < p; a++) eta += xi[a] * beta[a];
      double r = k->w[i] * exp(eta);
      if (!isfinite(r)) return NS_ERR_NONFINITE;
      k->r[i] = r;
      add_row(p, len, r, xi, S);
    }
    if (j % nb == 0) memcpy(chk + (j / nb) * blk, S, len * sizeof *S);
  }
  for (size_t b = 0; b < nblk; b++) {
    size_t j0 = b * nb, j1 = j0 + nb < m ? j0 + nb : m;
    /* this block's suffix sums, from the next block's start, by additions */
    memcpy(S, chk + (b + 1) * blk, len * sizeof *S);
    for (size_t j = j1; j-- > j0;) {
      for (size_t i = k->tstart[j + 1]; i-- > k->tstart[j];)
        add_row(p, len, k->r[i], k->x + i * p, S);
      memcpy(loc + (j - j0) * blk, S, len * sizeof *S);
    }
    for (size_t j = j0; j < j1; j++) {
      size_t s = k->tstart[j], e = k->tstart[j + 1];
      double dw = 0;
      for (size_t i = s; i < e; i++) if (k->status[i] == 1) dw += k->w[i];
      if (d_out) d_out[j] = dw;
      if (dw > 0) {
        memcpy(S, loc + (j - j0) * blk, len * sizeof *S);
        for (size_t g = 0; g < ncg; g++) {
          double gt = k->gtime[j * ncg + g];
          if (gt == 0) continue;
          const double *Ag = A + g * blk;
          for (size_t a = 0; a < len; a++) S[a] += gt * Ag[a];
        }
        double s0 = S[0];
        if (!(s0 > 0)) return NS_ERR_NONFINITE;
        *lik += dw * log(s0);
        for (size_t i = s; i < e; i++) {
          if (k->status[i] != 1) continue;
          const double *xi = k->x + i * p;
          double eta = 0;
          for (size_t a = 0; a < p; a++) eta += xi[a] * beta[a];
          *lik -= k->w[i] * eta;
          if (grad) for (size_t a = 0; a < p; a++) grad[a] -= k->w[i] * xi[a];
        }
        if (grad) for (size_t a = 0; a < p; a++) grad[a] += dw * S[1 + a] / s0;
        if (hess) {
          for (size_t a = 0; a < p; a++)
            for (size_t c = a; c < p; c++) {
              double xa = S[1 + a] / s0, xc = S[1 + c] / s0;
              hess[a * p + c] += dw * (S[1 + p + a * p + c] / s0 - xa * xc);
            }
        }
        if (s0_out) s0_out[j] = s0;
        if (xbar_out) for (size_t a = 0; a < p; a++) xbar_out[j * p + a] = S[1 + a] / s0;
      } else {
        if (s0_out) s0_out[j] = 0;
        if (xbar_out) for (size_t a = 0; a < p; a++) xbar_out[j * p + a] = 0;
      }
      for (size_t i = s; i < e; i++)
        if (k->status[i] == 2)
          add_row(p, len, k->r[i] / k->gminus[i], k->x + i * p,
                  A + (size_t) k->grp[i] * blk);
    }
  }
  /* weights near DBL_MAX times log(s0) ~ 700 overflow (fuzz_competing
   * aa85b081: an event of weight 1e308 gave a log-likelihood of -Inf with
   * NS_OK) */
  if (!isfinite(*lik)) return NS_ERR_NONFINITE;
  if (hess)
    for (size_t a = 0; a < p; a++)
      for (size_t c = 0; c < a; c++) hess[a * p + c] = hess[c * p + a];
  return NS_OK;
}

/* Solve h x = g (h symmetric positive definite, p x p). */
static ns_status solve_spd(size_t p, const double *h, const double *g, double *x)
{
  double *factor = malloc((p * p + p) * sizeof *factor);
  int *keep = malloc(p * sizeof *keep);
  if (!factor || !keep) { free(factor); free(keep); return NS_ERR_NOMEM; }
  int rank = 0;
  ns_status st = ns_linalg_chol(p, h, 1e-12, factor, keep, &rank);
  if (st == NS_OK && (size_t) rank < p) st = NS_ERR_SINGULAR;
  if (st == NS_OK) {
    memcpy(x, g, p * sizeof *x);
    st = ns_linalg_chol_solve(p, factor, keep, rank, x, factor + p * p);
  }
  free(factor);
  free(keep);
  return st;
}

static ns_status invert_spd(size_t p, const double *h, double *inv)
{
  double *factor = malloc((2 * p * p + 1) * sizeof *factor);
  int *keep = malloc((p ? p : 1) * sizeof *keep);
  if (!factor || !keep) { free(factor); free(keep); return NS_ERR_NOMEM; }
  int rank = 0;
  ns_status st = ns_linalg_chol(p, h, 1e-12, factor, keep, &rank);
  if (st == NS_OK && (size_t) rank < p) st = NS_ERR_SINGULAR;
  if (st == NS_OK) st = ns_linalg_chol_inverse(p, factor, keep, rank, inv, factor + p * p);
  free(factor);
  free(keep);
  return st;
}

/* u_i = eta_i + psi_i for every row; meat = sum w u u'. */
static ns_status sandwich_meat(fg_work *k, const double *s0, const double *xbar,
                               const double *dw, double *meat)
{
  size_t p = k->p, ncg = k->ncg;
  /* per group: Dtot (1 + p), Dpre (1 + p), Btot (1 + p), Bpre (1 + p),
   * A3 (p), A4 (1), icrsk (1), Psi (p), q (p); globals C (1 + p), u (p) */
  size_t per = 4 * (1 + p) + p + 1 + 1 + p + p;
  double *mem = calloc(ncg * per + (1 + p) + p + 1, sizeof *mem);
  double *ew = calloc(ncg ? ncg : 1, sizeof *ew);
  if (!mem || !ew) { free(mem); free(ew); return NS_ERR_NOMEM; }
#define GB(g) (mem + (size_t) (g) * per)
#define DTOT(g) (GB(g))
#define DPRE(g) (GB(g) + (1 + p))
#define BTOT(g) (GB(g) + 2 * (1 + p))
#define BPRE(g) (GB(g) + 3 * (1 + p))
#define A3(g) (GB(g) + 4 * (1 + p))
#define A4(g) (GB(g) + 4 * (1 + p) + p)
#define ICR(g) (GB(g) + 4 * (1 + p) + p + 1)
#define PSI(g) (GB(g) + 4 * (1 + p) + p + 2)
#define Q(g) (GB(g) + 4 * (1 + p) + 2 * p + 2)
  double *C = mem + ncg * per, *u = C + 1 + p;
  memset(meat, 0, p * p * sizeof *meat);
  /* totals over the event times */
  for (size_t j = 0; j < k->m; j++) {
    if (!(dw[j] > 0)) continue;
    for (size_t g = 0; g < ncg; g++) ew[g] = 0;
    for (size_t i = k->tstart[j]; i < k->tstart[j + 1]; i++)
      if (k->status[i] == 1) ew[k->grp[i]] += k->w[i];
    for (size_t g = 0; g < ncg; g++) {
      double gt = k->gtime[j * ncg + g];
      double *Dt = DTOT(g), *Bt = BTOT(g);
      Dt[0] += dw[j] * gt / s0[j];
      Bt[0] += ew[g] * gt / s0[j];
      for (size_t a = 0; a < p; a++) {
        Dt[1 + a] += dw[j] * gt * xbar[j * p + a] / s0[j];
        Bt[1 + a] += ew[g] * gt * xbar[j * p + a] / s0[j];
      }
    }
  }
  for (size_t i = 0; i < k->n; i++) *ICR(k->grp[i]) += k->w[i];

  for (size_t j = 0; j < k->m; j++) {
    size_t s = k->tstart[j], e = k->tstart[j + 1];
    int any_cens = 0;
    for (size_t i = s; i < e; i++) if (k->status[i] == 0) { any_cens = 1; break; }
    if (any_cens) {
      for (size_t g = 0; g < ncg; g++) {
        double b1 = BTOT(g)[0] - BPRE(g)[0];
        for (size_t a = 0; a < p; a++) {
          double b2 = BTOT(g)[1 + a] - BPRE(g)[1 + a];
          Q(g)[a] = A3(g)[a] * b1 - *A4(g) * b2;
        }
      }
      for (size_t i = s; i < e; i++) {
        if (k->status[i] != 0) continue;
        int g = k->grp[i];
        double y = *ICR(g);
        for (size_t a = 0; a < p; a++) PSI(g)[a] -= k->w[i] * Q(g)[a] / (y * y);
      }
    }
    if (dw[j] > 0) {
      C[0] += dw[j] / s0[j];
      for (size_t a = 0; a < p; a++) C[1 + a] += dw[j] * xbar[j * p + a] / s0[j];
      for (size_t g = 0; g < ncg; g++) ew[g] = 0;
      for (size_t i = s; i < e; i++) if (k->status[i] == 1) ew[k->grp[i]] += k->w[i];
      for (size_t g = 0; g < ncg; g++) {
        double gt = k->gtime[j * ncg + g];
        DPRE(g)[0] += dw[j] * gt / s0[j];
        BPRE(g)[0] += ew[g] * gt / s0[j];
        for (size_t a = 0; a < p; a++) {
          DPRE(g)[1 + a] += dw[j] * gt * xbar[j * p + a] / s0[j];
          BPRE(g)[1 + a] += ew[g] * gt * xbar[j * p + a] / s0[j];
        }
      }
    }
    for (size_t i = s; i < e; i++) {
      const double *xi = k->x + i * p;
      double ri = k->r[i] / k->w[i]; /* exp(eta); w > 0 here */
      int g = k->grp[i];
      for (size_t a = 0; a < p; a++) {
        double v = -ri * (xi[a] * C[0] - C[1 + a]);
        if (k->status[i] == 1) v += xi[a] - xbar[j * p + a];
        if (k->status[i] == 2) {
          double d0 = DTOT(g)[0] - DPRE(g)[0], d1 = DTOT(g)[1 + a] - DPRE(g)[1 + a];
          v -= ri / k->gminus[i] * (xi[a] * d0 - d1);
        }
        v += PSI(g)[a];
        if (k->status[i] == 0) v += Q(g)[a] / *ICR(g);
        u[a] = v;
      }
      add_outer(p, k->w[i], u, meat);
    }
    for (size_t i = s; i < e; i++) {
      int g = k->grp[i];
      *ICR(g) -= k->w[i];
      if (k->status[i] == 2) {
        const double *xi = k->x + i * p;
        double rg = k->r[i] / k->gminus[i];
        *A4(g) += rg;
        for (size_t a = 0; a < p; a++) A3(g)[a] += rg * xi[a];
      }
    }
  }
  for (size_t a = 0; a < p; a++)
    for (size_t b = 0; b < a; b++) meat[a * p + b] = meat[b * p + a];
#undef GB
#undef DTOT
#undef DPRE
#undef BTOT
#undef BPRE
#undef A3
#undef A4
#undef ICR
#undef PSI
#undef Q
  free(mem);
  free(ew);
  return NS_OK;
}

ns_status ns_finegray_fit(const ns_finegray_data *data, const ns_finegray_control *control,
                          ns_finegray_result *result, ns_callback callback, void *context)
{
  if (!data || !control || !result) return NS_ERR_ARGUMENT;
  size_t n = data->n, p = data->p;
  if (p == 0 || data->n_cengroup < 1 || !data->x || !data->time || !data->status ||
      control->iter_max < 0 || !(control->gtol > 0) || !result->coef || !result->var ||
      !result->naive_var || !result->score || !result->base_time || !result->base_jump)
    return NS_ERR_ARGUMENT;
  int events = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(data->time[i])) return NS_ERR_TIME;
    if (data->status[i] < 0 || data->status[i] > 2) return NS_ERR_STATUS;
    if (data->weight && (!isfinite(data->weight[i]) || !(data->weight[i] > 0))) return NS_ERR_WEIGHT;
    if (data->cengroup && (data->cengroup[i] < 0 || data->cengroup[i] >= data->n_cengroup))
      return NS_ERR_STRATUM;
    for (size_t a = 0; a < p; a++) if (!isfinite(data->x[i + a * n])) return NS_ERR_NONFINITE;
    if (data->status[i] == 1) events = 1;
  }
  if (!events) return NS_ERR_NO_EVENTS;
  /* the risk sets sum the weights: a total past DBL_MAX is refused, as in
   * cuminc and Gray's test (fuzz_competing 4d9cb394: two weights of 1e308) */
  if (data->weight) {
    double tot = 0;
    for (size_t i = 0; i < n; i++) tot += data->weight[i];
    if (!isfinite(tot)) return NS_ERR_WEIGHT;
  }

  fg_work k;
  ns_status st = work_prepare(data, &k);
  double *mem = NULL;
  if (st != NS_OK) { work_free(&k); return st; }
  size_t m = k.m;
  mem = malloc((6 * p + 3 * p * p + m * (2 + p)) * sizeof *mem);
  if (!mem) { work_free(&k); return NS_ERR_NOMEM; }
  double *b = mem, *bn = b + p, *grad = bn + p, *sc = grad + p, *tmp = sc + p, *gnew = tmp + p;
  double *hess = gnew + p, *hinv = hess + p * p, *meat = hinv + p * p;
  double *s0 = meat + p * p, *dw = s0 + m, *xbar = dw + m;
  for (size_t a = 0; a < p; a++) b[a] = control->init ? control->init[a] : 0.0;

  double lik = 0, lik0 = 0;
  /* minus log pseudo-likelihood at beta = 0 (crr's loglik.null) */
  for (size_t a = 0; a < p; a++) tmp[a] = 0;
  st = evaluate(&k, tmp, &lik0, NULL, NULL, NULL, NULL, NULL);
  int converged = 0, iter = 0;
  for (int ll = 0; st == NS_OK && ll <= control->iter_max; ll++) {
    st = evaluate(&k, b, &lik, grad, hess, NULL, NULL, NULL);
    if (st != NS_OK) break;
    double lhs = 0;
    for (size_t a = 0; a < p; a++) {
      double v = fabs(grad[a]) * (fabs(b[a]) > 1 ? fabs(b[a]) : 1);
      if (v > lhs) lhs = v;
    }
    if (lhs < (fabs(lik) > 1 ? fabs(lik) : 1) * control->gtol) { converged = 1; break; }
    if (ll == control->iter_max) break;
    st = solve_spd(p, hess, grad, sc);
    if (st != NS_OK) break;
    double slope = 0;
    for (size_t a = 0; a < p; a++) { sc[a] = -sc[a]; slope += sc[a] * grad[a]; bn[a] = b[a] + sc[a]; }
    double fbn = 0;
    ns_status s2 = evaluate(&k, bn, &fbn, NULL, NULL, NULL, NULL, NULL);
    int halvings = 0;
    while (s2 != NS_OK || isnan(fbn) || fbn > lik + 1e-4 * slope) {
      if (s2 != NS_OK && s2 != NS_ERR_NONFINITE) { st = s2; break; }
      halvings++;
      slope *= 0.5;
      for (size_t a = 0; a < p; a++) { sc[a] *= 0.5; bn[a] = b[a] + sc[a]; }
      s2 = evaluate(&k, bn, &fbn, NULL, NULL, NULL, NULL, NULL);
      if (halvings > 20) break;
    }
    if (st != NS_OK) break;
    iter = ll + 1;
    if (halvings > 20) break;
    memcpy(b, bn, p * sizeof *b);
    if (callback && callback(context, (double) (ll + 1) / (control->iter_max + 1))) {
      st = NS_ERR_INTERRUPTED;
      break;
    }
  }
  if (st == NS_OK) st = evaluate(&k, b, &lik, grad, hess, s0, xbar, dw);
  if (st == NS_OK) st = invert_spd(p, hess, hinv);
  if (st == NS_OK) st = sandwich_meat(&k, s0, xbar, dw, meat);
  if (st == NS_OK) {
    /* var = H^-1 meat H^-1 */
    for (size_t a = 0; a < p; a++)
      for (size_t c = 0; c < p; c++) {
        double v = 0;
        for (size_t e = 0; e < p; e++)
          for (size_t f = 0; f < p; f++) v += hinv[a * p + e] * meat[e * p + f] * hinv[f * p + c];
        result->var[a + c * p] = v;
      }
    for (size_t a = 0; a < p * p; a++) result->naive_var[a] = hinv[a];
    if (result->info) for (size_t a = 0; a < p * p; a++) result->info[a] = hess[a];
    if (result->meat) for (size_t a = 0; a < p * p; a++) result->meat[a] = meat[a];
    for (size_t a = 0; a < p; a++) { result->coef[a] = b[a]; result->score[a] = -grad[a]; }
    result->loglik = -lik;
    result->loglik_null = -lik0;
    result->iter = iter;
    result->converged = converged;
    /* baseline jumps dw / S0 on the original scale of x */
    double shift = 0;
    for (size_t a = 0; a < p; a++) shift += k.mu[a] * b[a];
    size_t nt = 0;
    for (size_t j = 0; j < m; j++) {
      if (!(dw[j] > 0)) continue;
      result->base_time[nt] = k.time[j];
      result->base_jump[nt] = dw[j] / s0[j] * exp(-shift);
      nt++;
    }
    result->n_times = nt;
  }
  free(mem);
  work_free(&k);
  return st;
}
