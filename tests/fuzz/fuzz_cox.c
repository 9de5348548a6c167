/* fuzz_cox.c -- ns_cox_fit (Breslow/Efron, right-censored and (start, stop],
 * strata, weights, offsets, init, fixed, robust with clusters, Firth,
 * thread counts) and ns_cox_concordance. Postconditions: valid input is
 * either fitted or refused with a status (never a crash or UB); a fit has a
 * log-likelihood at init equal to a direct evaluation of the partial
 * likelihood from its formula, finite outputs, a symmetric variance with a
 * non-negative diagonal; the same fit with 1 and 2 threads (bitwise) and with a
 * covariate shifted by a constant within each stratum has the same
 * log-likelihoods and coefficients; concordance is in [0, 1]. */
#include "fuzz_input.h"
#include "netsurv.h"

/* log partial likelihood at eta, straight from the definition */
static double naive_loglik(size_t n, const double *time, const double *start,
                           const int *status, const double *w, const int *stratum,
                           const double *eta, int efron)
{
  double ll = 0;
  for (size_t i = 0; i < n; i++) {
    if (!status[i]) continue;
    /* handle each (stratum, time) once: at its first event row */
    int first = 1;
    for (size_t j = 0; j < i; j++)
      if (status[j] && time[j] == time[i] && (!stratum || stratum[j] == stratum[i])) first = 0;
    if (!first) continue;
    double sr = 0, sd = 0, dw = 0, de = 0, d = 0;
    for (size_t j = 0; j < n; j++) {
      if (stratum && stratum[j] != stratum[i]) continue;
      double wj = w ? w[j] : 1.0, r = wj * exp(eta[j]);
      if (time[j] >= time[i] && (!start || start[j] < time[i])) sr += r;
      if (status[j] && time[j] == time[i]) { sd += r; dw += wj; de += wj * eta[j]; d += 1; }
    }
    ll += de;
    if (!efron) ll -= dw * log(sr);
    else for (int k = 0; k < (int) d; k++) ll -= (dw / d) * log(sr - (k / d) * sd);
  }
  return ll;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 40), p = fz_uint(&in, 4);
  uint8_t opt = fz_byte(&in), opt2 = fz_byte(&in);
  int counting = opt & 1, weighted = opt & 2, efron = (opt & 4) != 0, hostile = (opt & 8) != 0;
  int strat = opt & 16, offs = opt & 32, robust = opt & 64, firth = (opt & 128) && !efron;
  int use_init = opt2 & 1, use_fixed = opt2 & 2, iter0 = (opt2 & 12) == 12;
  /* opt2 & 16: the rows tiled to >= 1100 (4 x NS_COX_BLOCK is where the
   * OpenMP passes split the rows), each copy's times moved by a multiple of
   * 1/64, so that the chunked passes run on both threads */
  size_t reps = (opt2 & 16) && n > 0 ? (1100 + n - 1) / n : 1;
  size_t n0 = n;
  n *= reps;
  double *x = malloc((n * p + 1) * sizeof *x), *x2 = malloc((n * p + 1) * sizeof *x2);
  double *time = malloc((n + 1) * sizeof *time), *start = malloc((n + 1) * sizeof *start);
  double *w = malloc((n + 1) * sizeof *w), *off = malloc((n + 1) * sizeof *off);
  double *eta = malloc((n + 1) * sizeof *eta);
  int *status = malloc((n + 1) * sizeof *status), *stratum = malloc((n + 1) * sizeof *stratum);
  int *cluster = malloc((n + 1) * sizeof *cluster), *fixed = calloc(p + 1, sizeof *fixed);
  double init[4] = {0}, shift[4 * 4];
  for (size_t i = 0; i < n0; i++) {
    start[i] = fz_double(&in, 0);
    time[i] = counting ? start[i] + 0.5 + fz_double(&in, 0) : fz_double(&in, 0) + 0.5;
    status[i] = fz_byte(&in) & 1;
    w[i] = 0.25 + (fz_byte(&in) % 8) * 0.5;
    off[i] = (double) ((int) (fz_byte(&in) % 9) - 4) * 0.25;
    stratum[i] = (int) fz_uint(&in, 4);
    cluster[i] = (int) fz_uint(&in, 5);
    for (size_t j = 0; j < p; j++) x[i + j * n] = fz_double(&in, hostile) - 2.0;
  }
  for (size_t r = 1; r < reps; r++)
    for (size_t i0 = 0; i0 < n0; i0++) {
      size_t i = r * n0 + i0;
      for (size_t j = 0; j < p; j++) x[i + j * n] = x[i0 + j * n] + (double) (r % 3) * 0.25;
      double dt = (double) (r % 7) / 64.0;
      start[i] = start[i0] + dt;
      time[i] = time[i0] + dt;
      status[i] = status[i0];
      w[i] = w[i0];
      off[i] = off[i0];
      stratum[i] = stratum[i0];
      cluster[i] = cluster[i0];
    }
  for (size_t j = 0; j < p; j++) {
    init[j] = use_init ? ((int) (fz_byte(&in) % 17) - 8) * 0.125 : 0.0;
    fixed[j] = use_fixed && (fz_byte(&in) & 1);
    for (int s = 0; s < 4; s++) shift[j * 4 + s] = (double) ((int) fz_byte(&in) - 128);
  }
  if (getenv("FZ_DEBUG")) {
    fprintf(stderr, "n %zu p %zu counting %d weighted %d efron %d strat %d offs %d robust %d firth %d init %d fixed %d iter0 %d\n",
            n, p, counting, weighted != 0, efron, strat != 0, offs != 0, robust != 0, firth, use_init, use_fixed, iter0);
    for (size_t i = 0; i < n; i++) {
      fprintf(stderr, "row %zu: (%g, %g] st %d w %g off %g s %d x", i, start[i], time[i], status[i], w[i], off[i], stratum[i]);
      for (size_t j = 0; j < p; j++) fprintf(stderr, " %.17g", x[i + j * n]);
      fputc('\n', stderr);
    }
    for (size_t j = 0; j < p; j++) fprintf(stderr, "init %g fixed %d\n", init[j], fixed[j]);
  }
  ns_cox_data d = {n, p, p ? x : NULL, time, counting ? start : NULL, status,
                   weighted ? w : NULL, offs ? off : NULL, strat ? stratum : NULL,
                   NULL, robust ? cluster : NULL, robust ? 5 : 0};
  ns_cox_control ctl = {efron ? NS_COX_EFRON : NS_COX_BRESLOW, iter0 ? 0 : 20, 1e-9,
                        1.8189894035458617e-12, 1e-5, use_init ? init : NULL,
                        use_fixed ? fixed : NULL, robust != 0, firth, 1};
  double out[2][4 + 16 + 16 + 4 + 4] = {{0}};
  double *lp[2] = {malloc((n + 1) * sizeof(double)), malloc((n + 1) * sizeof(double))};
  double *res[2] = {malloc((n + 1) * sizeof(double)), malloc((n + 1) * sizeof(double))};
  int inf[2][4];
  ns_cox_result r[2];
  ns_status st[2];
  int finite = 1;
  for (size_t i = 0; i < n * p; i++) if (!isfinite(x[i])) finite = 0;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(time[i]) || (counting && !(start[i] < time[i]))) finite = 0;
  for (int run = 0; run < 2; run++) {
    double *o = out[run];
    ns_cox_result rr = {o, o + 4, robust ? o + 20 : NULL, o + 36, o + 40, lp[run], res[run],
                        inf[run]};
    r[run] = rr;
    ctl.threads = run == 0 ? 1 : 2;
    st[run] = ns_cox_fit(&d, &ctl, &r[run], NULL, NULL);
  }
  FZ_CHECK(st[0] == st[1], "threads change the status: %d vs %d", st[0], st[1]);
  int events = 0;
  for (size_t i = 0; i < n; i++) events += status[i];
  if (st[0] != NS_OK) {
    FZ_CHECK(!finite || events == 0 || st[0] == NS_ERR_NONFINITE || st[0] == NS_ERR_SINGULAR,
             "valid input refused: %s", ns_status_message(st[0]));
    goto out;
  }
  FZ_CHECK(finite && events > 0, "accepted invalid input");
  for (int run = 0; run < 2; run++) {
    FZ_CHECK(isfinite(r[run].loglik[0]) && isfinite(r[run].loglik[1]), "loglik not finite");
    for (size_t j = 0; j < p; j++) {
      FZ_CHECK(isfinite(r[run].coef[j]) || isnan(r[run].coef[j]), "coef %g", r[run].coef[j]);
      for (size_t k = 0; k < p; k++) {
        double a = r[run].var[j + k * p], b = r[run].var[k + j * p];
        FZ_CHECK(!isnan(a), "var is NaN");
        FZ_CHECK(a == b, "var not symmetric: %g vs %g", a, b);
      }
      FZ_CHECK(r[run].var[j + j * p] >= 0, "negative variance %g", r[run].var[j + j * p]);
    }
  }
  /* thread count: the rows are cut into chunks that do not depend on it
   * and their partial sums are combined in a fixed order, so 1 and 2
   * threads give bitwise the same fit (tolerance 0) */
  FZ_CHECK(r[0].loglik[0] == r[1].loglik[0], "loglik0 depends on threads: %.17g vs %.17g",
           r[0].loglik[0], r[1].loglik[0]);
  FZ_CHECK(r[0].loglik[1] == r[1].loglik[1], "loglik depends on threads: %.17g vs %.17g",
           r[0].loglik[1], r[1].loglik[1]);
  FZ_CHECK(r[0].iter == r[1].iter, "iterations depend on threads: %d vs %d", r[0].iter,
           r[1].iter);
  for (size_t j = 0; j < p; j++) {
    FZ_CHECK(memcmp(&r[0].coef[j], &r[1].coef[j], sizeof(double)) == 0 ||
             (isnan(r[0].coef[j]) && isnan(r[1].coef[j])),
             "coef %zu depends on threads: %.17g vs %.17g", j, r[0].coef[j], r[1].coef[j]);
    for (size_t k = 0; k < p; k++)
      FZ_CHECK(r[0].var[j + k * p] == r[1].var[j + k * p], "var depends on threads");
  }
  for (size_t i = 0; i < n; i++)
    FZ_CHECK(lp[0][i] == lp[1][i] && memcmp(&res[0][i], &res[1][i], sizeof(double)) == 0,
             "row %zu: lp or residual depends on threads", i);
  /* the likelihood at init, from its definition */
  if (!firth && p <= 4 && reps == 1) { /* O(n^3): the untiled rows only */
    for (size_t i = 0; i < n; i++) {
      eta[i] = offs ? off[i] : 0.0;
      for (size_t j = 0; j < p; j++) eta[i] += x[i + j * n] * (use_init ? init[j] : 0.0);
    }
    double ll = naive_loglik(n, time, counting ? start : NULL, status, weighted ? w : NULL,
                             strat ? stratum : NULL, eta, efron);
    /* The core centres the covariates (as coxph): its log-likelihood is
     * accurate to ~eps * |mean' beta| absolutely, so covariates near 1e160
     * next to ordinary ones leave nothing of it (a documented limit); the
     * comparison is made where that error is below the tolerance. */
    double cbig = 0;
    for (size_t i = 0; i < n * p; i++) if (fabs(x[i]) > cbig) cbig = fabs(x[i]);
    if (isfinite(ll) && cbig <= 1e6)
      FZ_CHECK(fz_close(ll, r[0].loglik[0], 1e-7), "loglik0 %.17g vs naive %.17g",
               r[0].loglik[0], ll);
  }
  /* shift every covariate by a constant within each stratum (stratified
   * fits; init 0 so the likelihood at init is unchanged) */
  if (strat && !use_init && !firth) {
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i < n; i++) x2[i + j * n] = x[i + j * n] + shift[j * 4 + stratum[i]];
    ns_cox_data d2 = d;
    d2.x = p ? x2 : NULL;
    double o2[40] = {0};
    double *lp2 = malloc((n + 1) * sizeof(double)), *res2 = malloc((n + 1) * sizeof(double));
    int inf2[4];
    ns_cox_result r2 = {o2, o2 + 4, robust ? o2 + 20 : NULL, o2 + 36, NULL, lp2, res2, inf2};
    ctl.threads = 1;
    ns_status s2 = ns_cox_fit(&d2, &ctl, &r2, NULL, NULL);
    /* only shifts that are exact: x = -2 + 1 ulp beside -2 is a real
     * covariate (the fit runs to beta = -8.6e16, as coxph's does), which
     * x + 37 rounds to a constant (finding 5c003ef9) */
    int big = 0;
    for (size_t i = 0; i < n * p; i++) {
      if (fabs(x[i]) > 1e6) big = 1;
      if (x2[i] - shift[(i / n) * 4 + stratum[i % n]] != x[i]) big = 1;
    }
    if (getenv("FZ_DEBUG"))
      fprintf(stderr, "fit: coef %.17g loglik %.17g %.17g rank %d conv %d iter %d; shifted: "
              "status %d coef %.17g loglik %.17g %.17g rank %d conv %d iter %d\n",
              p ? r[0].coef[0] : 0.0, r[0].loglik[0], r[0].loglik[1], r[0].rank,
              r[0].converged, r[0].iter, s2, p ? r2.coef[0] : 0.0, r2.loglik[0], r2.loglik[1],
              r2.rank, r2.converged, r2.iter);
    if (s2 == NS_OK && !big) {
      FZ_CHECK(fz_close(r[0].loglik[0], r2.loglik[0], 1e-8), "shift changes loglik0 %.17g %.17g",
               r[0].loglik[0], r2.loglik[0]);
      if (r[0].converged && r2.converged && r[0].rank == (int) p)
        FZ_CHECK(fz_close(r[0].loglik[1], r2.loglik[1], 1e-6), "shift changes loglik %.17g %.17g",
                 r[0].loglik[1], r2.loglik[1]);
    }
    free(lp2); free(res2);
  }
  {
    double count[5], conc = 0, sd = 0;
    ns_status sc = ns_cox_concordance(n, time, counting ? start : NULL, status,
                                      weighted ? w : NULL, strat ? stratum : NULL, lp[0],
                                      robust ? cluster : NULL, robust ? 5 : 0, count, &conc, &sd);
    if (sc == NS_OK) {
      FZ_CHECK(isnan(conc) || (conc >= 0 && conc <= 1), "concordance %g", conc);
      FZ_CHECK(!(sd < 0), "concordance std %g", sd);
    }
  }
out:
  free(lp[0]); free(lp[1]); free(res[0]); free(res[1]);
  free(x); free(x2); free(time); free(start); free(w); free(off); free(eta);
  free(status); free(stratum); free(cluster); free(fixed);
  return 0;
}
