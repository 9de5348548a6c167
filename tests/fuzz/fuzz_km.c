/* fuzz_km.c -- ns_km_prepare / ns_km_estimate, Greenwood and jackknife,
 * right-censored and (start, stop], weights (zero, fractional, tiny, huge),
 * strata. Postconditions: for valid finite input the call succeeds; S is in
 * [0, 1], non-increasing within a stratum and equals a naive product-limit
 * computed from the formula (risk set summed row by row); the cumulative
 * hazard equals the naive Nelson-Aalen sum; standard errors are never NaN
 * and never negative when the counts are finite. */
#include "fuzz_input.h"
#include "netsurv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 60);
  uint8_t opt = fz_byte(&in);
  int counting = opt & 1, weighted = opt & 2, jack = opt & 4, hostile = (opt & 8) != 0;
  int ns = 1 + (opt >> 4) % 4;
  double *time = malloc((n + 1) * sizeof *time), *start = malloc((n + 1) * sizeof *start);
  double *w = malloc((n + 1) * sizeof *w);
  int *status = malloc((n + 1) * sizeof *status), *stratum = malloc((n + 1) * sizeof *stratum);
  double wscale = (fz_byte(&in) & 3) == 0 ? ldexp(1.0, (int) fz_uint(&in, 1000) - 500) : 1.0;
  for (size_t i = 0; i < n; i++) {
    start[i] = fz_double(&in, hostile);
    time[i] = counting ? start[i] + 0.5 + fz_double(&in, hostile) : fz_double(&in, hostile);
    status[i] = fz_byte(&in) & 1;
    w[i] = wscale * (hostile ? fz_double(&in, 1) : (fz_byte(&in) % 8) * 0.37);
    stratum[i] = (int) fz_uint(&in, (unsigned) ns);
  }
  if (getenv("FZ_DEBUG"))
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, "row %zu: start %g stop %g status %d w %g stratum %d (opt %d)\n", i,
              start[i], time[i], status[i], w[i], stratum[i], opt);
  ns_km_data d = {n, time, counting ? start : NULL, status, weighted ? w : NULL,
                  ns > 1 ? stratum : NULL, ns, jack ? NS_KM_JACKKNIFE : NS_KM_GREENWOOD,
                  (opt & 64) ? 1.4901161193847656e-08 : 0.0};
  int valid = 1;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i]) || (counting && (!isfinite(start[i]) || !(start[i] < time[i]))))
      valid = 0;
    if (weighted && (!isfinite(w[i]) || w[i] < 0)) valid = 0;
  }
  if (weighted) {
    double tw = 0;
    for (size_t i = 0; i < n; i++) tw += w[i];
    if (!isfinite(tw)) valid = 0; /* refused: NS_ERR_WEIGHT */
  }
  ns_km_work *work = NULL;
  size_t nt = 0;
  ns_status st = ns_km_prepare(&d, &work, &nt, NULL, NULL);
  if (st != NS_OK) {
    /* time_fix may merge an interval's ends: the only refusal of valid input */
    FZ_CHECK(!valid || st == NS_ERR_START_STOP || st == NS_ERR_WEIGHT,
             "prepare refused: %s", ns_status_message(st));
    goto out;
  }
  FZ_CHECK(valid, "prepare accepted invalid input");
  {
    size_t m = nt + 1;
    double *b[9];
    for (int k = 0; k < 9; k++) b[k] = calloc(m, sizeof(double));
    int *stt = calloc((size_t) ns, sizeof(int)), *str = calloc((size_t) ns, sizeof(int));
    ns_km_curve c = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], stt, str};
    st = ns_km_estimate(work, &c, NULL, NULL);
    /* the jackknife refuses positive weights spanning > 2^400 in a stratum */
    int spread = 0;
    if (jack && weighted)
      for (int s = 0; s < ns; s++) {
        double lo = INFINITY, hi = 0;
        for (size_t i = 0; i < n; i++)
          if ((ns > 1 ? stratum[i] : 0) == s && w[i] > 0) {
            if (w[i] < lo) lo = w[i];
            if (w[i] > hi) hi = w[i];
          }
        if (hi > 0 && hi / lo > ldexp(1.0, 400)) spread = 1;
      }
    FZ_CHECK(st == NS_OK || (spread && st == NS_ERR_WEIGHT), "estimate: %s",
             ns_status_message(st));
    FZ_CHECK(!spread || st == NS_ERR_WEIGHT, "weights spanning > 2^400 accepted");
    if (st != NS_OK) {
      for (int k = 0; k < 9; k++) free(b[k]);
      free(stt); free(str);
      goto out;
    }
    size_t o = 0;
    double total_w = 0;
    double wmin = INFINITY, wmax = 0;
    for (size_t i = 0; i < n; i++) {
      total_w += weighted ? w[i] : 1.0;
      double wi = weighted ? w[i] : 1.0;
      if (wi > 0 && wi < wmin) wmin = wi;
      if (wi > wmax) wmax = wi;
    }
    /* the naive sums below add only the rows present (no cancellation) */
    int compare = wmax >= wmin || 1;
    for (int s = 0; s < ns; s++) {
      double prev = 1.0, surv = 1.0, H = 0.0;
      for (int k = 0; k < stt[s]; k++, o++) {
        double t = c.time[o];
        FZ_CHECK(c.surv[o] >= 0 && c.surv[o] <= 1, "S = %g", c.surv[o]);
        FZ_CHECK(c.surv[o] <= prev, "S increases");
        prev = c.surv[o];
        if (isfinite(total_w) && (opt & 64) == 0 && compare) {
          /* naive risk set and events at t, row by row */
          double nr = 0, de = 0;
          for (size_t i = 0; i < n; i++) {
            int si = ns > 1 ? stratum[i] : 0;
            if (si != s) continue;
            double wi = weighted ? w[i] : 1.0;
            if (time[i] >= t && (!counting || start[i] < t)) nr += wi;
            if (time[i] == t && status[i]) de += wi;
          }
          FZ_CHECK(fz_close(nr, c.n_risk[o], 1e-9), "n_risk %g vs naive %g", c.n_risk[o], nr);
          if (de > 0 && nr > 0) { surv *= 1 - de / nr; H += de / nr; }
          FZ_CHECK(fz_close(surv, c.surv[o], 1e-8), "S %g vs naive %g", c.surv[o], surv);
          FZ_CHECK(fz_close(H, c.cumhaz[o], 1e-8), "H %g vs naive %g", c.cumhaz[o], H);
          FZ_CHECK(!isnan(c.std_err[o]) && !(c.std_err[o] < 0), "std_err %g", c.std_err[o]);
          FZ_CHECK(!isnan(c.std_chaz[o]) && !(c.std_chaz[o] < 0), "std_chaz %g", c.std_chaz[o]);
        }
      }
    }
    FZ_CHECK(o == nt, "stratum_times do not add up");
    for (int k = 0; k < 9; k++) free(b[k]);
    free(stt); free(str);
  }
out:
  ns_km_free(work);
  free(time); free(start); free(w); free(status); free(stratum);
  return 0;
}
