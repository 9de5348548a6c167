/* fuzz_cox_diag.c -- the Cox diagnostics on a fitted model: ns_cox_hazard,
 * ns_cox_residuals, ns_cox_zph, ns_cox_deviance. Postconditions: valid input
 * is answered; the hazard's numbers at risk and events equal naive sums over
 * the rows, Breslow's increment is dw / sum(w exp(eta)) from the definition;
 * residuals, score and information are finite for finite input (ordinary
 * risk scores), martingale residuals are <= 1, the zph information matrix is
 * symmetric with a non-negative diagonal. */
#include "fuzz_input.h"
#include "netsurv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 50), p = fz_uint(&in, 4);
  uint8_t opt = fz_byte(&in);
  int counting = opt & 1, weighted = opt & 2, efron = (opt & 4) != 0, hostile = (opt & 8) != 0;
  int strat = opt & 16;
  double *x = malloc((n * p + 1) * sizeof *x), *time = malloc((n + 1) * sizeof *time);
  double *start = malloc((n + 1) * sizeof *start), *w = malloc((n + 1) * sizeof *w);
  double *eta = malloc((n + 1) * sizeof *eta), *g = malloc((n + 1) * sizeof *g);
  int *status = malloc((n + 1) * sizeof *status), *stratum = malloc((n + 1) * sizeof *stratum);
  for (size_t i = 0; i < n; i++) {
    start[i] = fz_double(&in, 0);
    time[i] = counting ? start[i] + 0.5 + fz_double(&in, 0) : fz_double(&in, 0) + 0.5;
    status[i] = fz_byte(&in) & 1;
    w[i] = 0.125 + (fz_byte(&in) % 16) * 0.25;
    eta[i] = hostile ? fz_double(&in, 1) : ((int) (fz_byte(&in) % 33) - 16) * 0.25;
    stratum[i] = (int) fz_uint(&in, 3);
    for (size_t j = 0; j < p; j++) x[i + j * n] = fz_double(&in, hostile) - 2.0;
  }
  int valid = 1, events = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i]) || (counting && !(start[i] < time[i])) || !isfinite(eta[i]))
      valid = 0;
    events += status[i];
    g[i] = log(time[i] + 1.0); /* equal for equal times */
  }
  for (size_t i = 0; i < n * p; i++) if (!isfinite(x[i])) valid = 0;
  if (getenv("FZ_DEBUG"))
    for (size_t i = 0; i < n; i++) {
      fprintf(stderr, "row %zu: (%g, %g] st %d w %g eta %g s %d x", i, start[i], time[i],
              status[i], w[i], eta[i], stratum[i]);
      for (size_t j = 0; j < p; j++) fprintf(stderr, " %g", x[i + j * n]);
      fprintf(stderr, " (counting %d weighted %d efron %d strat %d)\n", counting, weighted != 0, efron, strat != 0);
    }
  ns_cox_model m = {n, p, p ? x : NULL, time, counting ? start : NULL, status,
                    weighted ? w : NULL, eta, strat ? stratum : NULL,
                    efron ? NS_COX_EFRON : NS_COX_BRESLOW};
  ns_cox_hazard_result h;
  memset(&h, 0, sizeof h);
  ns_status st = ns_cox_hazard(&m, &h, NULL, NULL);
  int ordinary = 1; /* risk scores neither overflow nor underflow */
  for (size_t i = 0; i < n; i++) if (fabs(eta[i]) > 300) ordinary = 0;
  /* and covariates whose products with hazards cannot overflow */
  for (size_t i = 0; i < n * p; i++) if (fabs(x[i]) > 1e100) ordinary = 0;
  if (st == NS_OK) {
    for (size_t k = 0; k < h.m; k++) {
      double nr = 0, de = 0, sr = 0;
      for (size_t i = 0; i < n; i++) {
        if (strat && stratum[i] != h.stratum[k]) continue;
        double wi = weighted ? w[i] : 1.0;
        if (time[i] >= h.time[k] && (!counting || start[i] < h.time[k])) {
          nr += wi;
          sr += wi * exp(eta[i]);
        }
        if (status[i] && time[i] == h.time[k]) de += wi;
      }
      FZ_CHECK(fz_close(nr, h.n_risk[k], 1e-10), "n_risk %g vs %g", h.n_risk[k], nr);
      FZ_CHECK(fz_close(de, h.n_event[k], 1e-12), "n_event %g vs %g", h.n_event[k], de);
      FZ_CHECK(!(h.haz[k] < 0) && !isnan(h.haz[k]), "haz %g", h.haz[k]);
      if (ordinary && !efron)
        FZ_CHECK(fz_close(de > 0 ? de / sr : 0.0, h.haz[k], 1e-9), "haz %g vs %g", h.haz[k],
                 de / sr);
    }
  } else {
    FZ_CHECK(!valid || (!ordinary && st == NS_ERR_NONFINITE), "hazard refused valid input: %s",
             ns_status_message(st));
  }
  ns_cox_hazard_free(&h);
  double *score = malloc((n * p + 1) * sizeof *score), *mart = malloc((n + 1) * sizeof *mart);
  double *schoen = malloc(((size_t) events * p + 1) * sizeof *schoen);
  int *srow = malloc(((size_t) events + 1) * sizeof *srow);
  double *lexp = malloc((n + 1) * sizeof *lexp);
  st = ns_cox_residuals(&m, score, schoen, srow, mart, lexp, NULL, NULL);
  if (st == NS_OK) {
    /* martingale residuals are never NaN and at most 1, whatever the
     * linear predictors of right-censored data (issue #13: one ~700 below
     * the others gave NaN before the risk scores were scaled per time
     * point). (start, stop] data: a time point's scale bounds the scores of
     * rows that enter later too, so a risk set whose scores all lie ~700
     * below a later entrant's can still underflow (cox_resid.c, Scales) */
    if (!counting || ordinary)
      for (size_t i = 0; i < n; i++)
        FZ_CHECK(!isnan(mart[i]) && mart[i] <= 1.0 + 1e-12, "martingale %g", mart[i]);
    if (ordinary) {
      FZ_CHECK(fz_all_finite(n * p, score), "score residuals not finite");
      FZ_CHECK(fz_all_finite((size_t) events * p, schoen), "schoenfeld not finite");
    }
    double *dev = malloc((n + 1) * sizeof *dev), *ev = malloc((n + 1) * sizeof *ev);
    for (size_t i = 0; i < n; i++) ev[i] = status[i];
    /* the expected count in logs agrees with status - martingale where
     * that keeps its precision (issue #13: the deviance residual was +Inf
     * when the martingale residual rounded to 1, an expected count e^-126) */
    if (ordinary)
      for (size_t i = 0; i < n; i++) {
        double e = status[i] - mart[i];
        if (e > 1e-3)
          FZ_CHECK(fz_close(log(e), lexp[i], 1e-8), "log expected %.17g vs log(d - m) %.17g",
                   lexp[i], log(e));
      }
    if (ns_cox_deviance(n, mart, ev, lexp, dev) == NS_OK && ordinary)
      for (size_t i = 0; i < n; i++)
        FZ_CHECK(isfinite(dev[i]), "row %zu: deviance %g, martingale %.17g, status %d, log E %.17g", i,
                 dev[i], mart[i], status[i], lexp[i]);
    free(dev); free(ev);
  } else {
    FZ_CHECK(!valid || (!ordinary && st == NS_ERR_NONFINITE),
             "residuals refused valid input: %s", ns_status_message(st));
  }
  size_t q = 2 * p;
  double *u = malloc((q + 1) * sizeof *u), *imat = malloc((q * q + 1) * sizeof *imat);
  int *used = malloc((3 * p + 1) * sizeof *used);
  st = ns_cox_zph(&m, g, u, imat, NULL, used, strat ? 3 : 1, NULL, NULL);
  if (st == NS_OK && ordinary) {
    FZ_CHECK(fz_all_finite(q, u) && fz_all_finite(q * q, imat), "zph not finite");
    /* a variance formed as E[x^2] - E[x]^2 at each event time: rounding
     * of the order eps times the sum of the terms it cancels */
    double scale = 0;
    for (size_t i = 0; i < n; i++) {
      double xm = 1;
      for (size_t j = 0; j < p; j++) if (x[i + j * n] * x[i + j * n] > xm) xm = x[i + j * n] * x[i + j * n];
      scale += (weighted ? w[i] : 1.0) * (1 + g[i] * g[i]) * xm;
    }
    for (size_t a = 0; a < q; a++) {
      FZ_CHECK(imat[a + a * q] >= -1e-12 * scale, "zph diag %g (scale %g)", imat[a + a * q],
               scale);
      for (size_t b = 0; b < q; b++)
        FZ_CHECK(fz_close(imat[a + b * q], imat[b + a * q], 1e-12), "zph imat not symmetric");
    }
  } else if (st != NS_OK) {
    FZ_CHECK(!valid || st == NS_ERR_NONFINITE, "zph refused valid input: %s",
             ns_status_message(st));
  }
  free(x); free(time); free(start); free(w); free(eta); free(g); free(status); free(stratum);
  free(score); free(mart); free(schoen); free(srow); free(lexp); free(u); free(imat); free(used);
  return 0;
}
