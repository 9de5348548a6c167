/*
 * cox_work.h -- private to the Cox fit (cox.c, cox_firth.c, cox_robust.c):
 * the evaluation's working state and the helpers its files share. The
 * layout (slots, bins, blocks) is described at the top of cox.c. A "slot"
 * is a distinct event time of a stratum (cox_resid.c's "time points" are
 * every distinct stop time).
 */
#ifndef NETSURV_COX_WORK_H
#define NETSURV_COX_WORK_H

#include <math.h>
#include <stddef.h>

#include "internal.h"
#include "cox_range.h"

/* Rows per block: a block of 256 rows of p <= 16 covariates (two buffers)
 * stays in L1/L2. */
#define NS_COX_BLOCK 256

/* At most this many chunks of rows (cox_work.nchunk): enough to keep a
 * few threads busy, few enough that their partial bins stay small. */
#define NS_COX_CHUNKS 16


/* Per-slot moments of the Efron terms, kept from the scalar sweep for the
 * vector sweep: q1 = sum wt f/den, i0 = sum 1/den, i1 = sum f/den, and
 * M0, M1, M2 = sum wt f^k / den^2. */
enum { MOM_Q1, MOM_I0, MOM_I1, MOM_M0, MOM_M1, MOM_M2, NS_MOM };

/* Risk-set bins of one evaluation: sums of the risk scores r (s, b0) and
 * of r x (v, b1) by slot. Row i adds into bin vbin_i = 2 hi_i + status_i
 * (bin 2k: slot k's risk set ends there and the row is not an event; 2k + 1:
 * an event at slot k; 2K: never at risk, a bin nobody reads), so the
 * risk-set sums entering slot k are bins 2k + 2k+1 and its events' sums bin
 * 2k+1 -- one update per row, chosen without a branch. For (start, stop]
 * data b0 and b1 sum the rows whose interval starts at or after slot k's
 * time (they leave the risk set before it). */
typedef struct {
  double *s, *b0;   /* 2K + 1 and K (or NULL) */
  double *v, *b1;   /* (2K + 1) p and K p (or NULL) */
} cox_bins;

typedef struct {
  size_t n, p, nslot;
  int efron, firth, threads, counting;
  const double *x;         /* caller's n x p, column-major, input order */
  const double *w, *off;   /* caller's weights and offsets, or NULL */
  const int *status;       /* caller's */
  int *hi, *lo;      /* at-risk slots (lo, hi]; hi < 0: never at risk */
  int *vbin;         /* the bin each row adds into (see cox_bins) */
  int *slot_start;   /* nslot: 1 when the slot is its stratum's first */
  int *slot_m;       /* number of events in the slot */
  double *slot_dw;   /* their summed weight */
  double *mean, *scale;
  double *mean_out;  /* p: the means reported (0 for a column held uncentred) */
  double *ux;        /* p: sum over events of w x (fixed across iterations) */
  double off_dead;   /* sum over events of w * offset */
  /* per-evaluation scratch */
  double *eta, *r;
  int own_eta;             /* 0: eta is the caller's lp buffer */
  cox_bins bins;                       /* the totals */
  /* Chunks (issue #13): the passes over the rows work on nchunk fixed
   * chunks of whole blocks, a number set by n, p and the slots alone --
   * never by the thread count -- each with its own partial bins and Gram
   * matrix, combined in chunk order; so the fit is bitwise the same on any
   * number of threads. nchunk = 0: too few rows, one pass over all rows. */
  size_t nchunk;
  double *bins_t;                      /* per-chunk bins, or NULL (filled in row order) */
  double *h, *cumh;                    /* hazard increment, cumulative */
  double *mom;                         /* per slot: the NS_MOM moments of the Efron terms */
  double *lam_bin;                     /* per bin: the hazard its rows accumulate */
  double *s0, *lslot;                  /* per slot: S0 and wt * sum log(den) */
  double *g, *g2, *abar, *cumg;        /* slot * p, for score residuals */
  double *xbuf;                        /* 2 * NS_COX_BLOCK * p per thread */
  double *info_t;                      /* p * p * nchunk (at least p * p) */
  /* ties = "exact" (cox_exact.c): the evaluation is cox_exact_eval's, which
   * may call back the caller's interrupt callback */
  int exact;
  ns_callback callback;
  void *cb_context;
  /* Scales (issue #13, items 6, 8, 11). Risk scores are kept relative to a
   * power of 2 per slot: row i's r_i is w_i exp(eta_i) / 2^sexp[hi_i], and
   * every per-slot quantity (S0, S1, the hazard increment's 1 / S0, the
   * cumulative sums up to the slot) is relative to 2^sexp[k] (2^-sexp[k]
   * for hazards). sexp[k] is the exponent of the largest linear predictor
   * among the rows with hi >= k in the stratum -- a row at risk at slot k
   * for right-censored data -- so S0 >= the smallest weight: no risk set
   * can underflow however widely the scores spread, strata cannot flush
   * one another to 0, and shifting a stratum's linear predictor changes
   * nothing. Going from slot k + 1 to k (k in the same stratum) multiplies
   * by cox_rescale_down(wk, k) = 2^(sexp[k+1] - sexp[k]) <= 1, exactly. */
  int *sexp;         /* nslot */
  /* (start, stop] data: the hazard increments h by runs of slots, so that
   * a row's hazard over (lo, hi] need not be Lambda(hi) - Lambda(lo) where
   * that cancels (cox_range.h) */
  cox_range hz;
  double *smax;      /* nslot: scratch, the largest eta per slot */
} cox_work;

/* 2^(sexp[k + 1] - sexp[k]): the factor taking a running sum relative to
 * slot k + 1's scale to slot k's (1 when k + 1 starts a stratum or is past
 * the end, where the running sums restart). */
static inline double cox_rescale_down(const cox_work *wk, size_t k)
{
  if (k + 1 >= wk->nslot || wk->slot_start[k + 1]) return 1.0;
  return ldexp(1.0, wk->sexp[k + 1] - wk->sexp[k]);
}

/* 2^(sexp[hi] - sexp[lo]) for a (start, stop] row at risk in (lo, hi]: its
 * r relative to slot lo's scale (for the sums it leaves at lo), or a sum up
 * to lo (cumulative hazard) relative to hi's. */
static inline double cox_row_scale(const cox_work *wk, int lo, int hi)
{
  return ldexp(1.0, wk->sexp[hi] - wk->sexp[lo]);
}

/* Row i centred and scaled into a p-vector (for the per-row p^2 work of
 * Firth's penalty and the score residuals). */
static inline void cox_load_row(const cox_work *wk, size_t i, double *xr)
{
  for (size_t a = 0; a < wk->p; a++)
    xr[a] = (wk->x[a * wk->n + i] - wk->mean[a]) * wk->scale[a];
}

/* Firth's penalty (cox_firth.c): adds log|I| / 2 to *loglik and its
 * gradient to u after a cox_eval at the current coefficients. */
ns_status cox_firth_adjust(cox_work *wk, const double *imat, double *loglik, double *u);

/* One evaluation at gamma (scaled coordinates): log partial likelihood,
 * score u and (imat not NULL) information; resid: also keep the pieces of
 * the score residuals. (cox.c) */
ns_status cox_eval(cox_work *wk, const double *gamma, double *loglik,
                   double *u, double *imat, int resid);

/* The robust variance and its pieces (cox_robust.c). */
ns_status cox_robust_variance(cox_work *wk, const ns_cox_data *data,
                              const ns_cox_control *control, const double *beta,
                              const double *init_s, const double *u0, const int *keep,
                              const double *vs, double *u, double *step, ns_cox_result *res);
void cox_score_resid_collapse(const cox_work *wk, const int *cluster, double *xk,
                              double *z);
void cox_unscale_var(size_t p, const double *scale, double *v);
ns_status cox_sandwich(size_t p, size_t ncl, const double *z, const double *v,
                       double *out);

#endif /* NETSURV_COX_WORK_H */
