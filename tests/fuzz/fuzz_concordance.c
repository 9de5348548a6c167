/* fuzz_concordance.c -- ns_cox_concordance on hostile times, scores,
 * weights, strata, clusters, right-censored and (start, stop] data.
 * Postconditions: valid input is answered; the five counts equal a naive
 * O(n^2) enumeration of the comparable pairs written from the definition
 * (survival's concordancefit, timewt = "n": an event at t against every row
 * of its stratum at risk at t, i.e. entry < t <= stop, that has not had an
 * event at t: concordant / discordant / tied.x by the scores; rows with an
 * event at the same t are tied.y, tied.xy when the scores tie too, weighted
 * by w_i w_j), each to a relative 1e-12 of itself (every count is a sum of
 * nonnegative terms, also with weights 1e33 apart); the concordance is
 * (c + x/2) / (c + d + x), in [0, 1]; the
 * standard error is finite and >= 0 and equals the infinitesimal jackknife
 * written from its definition (w_i dC/dw_i per row, summed per cluster);
 * the counts do not depend on the clusters. */
#include "fuzz_input.h"
#include "netsurv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 60);
  uint8_t opt = fz_byte(&in);
  int counting = opt & 1, weighted = opt & 2, hostile = (opt & 4) != 0, strat = opt & 8;
  int clus = opt & 16;
  double *time = malloc((n + 1) * sizeof *time), *start = malloc((n + 1) * sizeof *start);
  double *w = malloc((n + 1) * sizeof *w), *score = malloc((n + 1) * sizeof *score);
  int *status = malloc((n + 1) * sizeof *status), *stratum = malloc((n + 1) * sizeof *stratum);
  int *cluster = malloc((n + 1) * sizeof *cluster);
  for (size_t i = 0; i < n; i++) {
    start[i] = fz_double(&in, 0);
    time[i] = counting ? start[i] + 0.5 + fz_double(&in, 0) : fz_double(&in, hostile);
    status[i] = fz_byte(&in) & 1;
    /* weights up to 1e33 apart (issue #13: the small weights' pairs were
     * lost beside weights ~1e12 times larger) */
    static const double wscale[4] = {1.0, 1e13, 1e-13, 1e20};
    uint8_t wb = fz_byte(&in);
    w[i] = (0.25 + (wb % 8) * 0.5) * wscale[wb >> 6];
    score[i] = fz_double(&in, hostile);
    if (fz_byte(&in) & 1) score[i] = -score[i];
    stratum[i] = (int) fz_uint(&in, 3);
    cluster[i] = (int) fz_uint(&in, 4);
  }
  if (getenv("FZ_DEBUG"))
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, "row %zu: (%g, %.17g] st %d w %g score %.17g s %d c %d (opt %d)\n", i,
              start[i], time[i], status[i], w[i], score[i], stratum[i], cluster[i], opt);
  int valid = 1;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(time[i]) || !isfinite(score[i]) ||
        (counting && !(isfinite(start[i]) && start[i] < time[i])))
      valid = 0;
  const double *sp = counting ? start : NULL, *wp = weighted ? w : NULL;
  const int *hp = strat ? stratum : NULL;
  double count[5] = {-1, -1, -1, -1, -1}, conc = -1, sd = -1;
  ns_status st = ns_cox_concordance(n, time, sp, status, wp, hp, score, clus ? cluster : NULL,
                                    clus ? 4 : 0, count, &conc, &sd);
  if (st != NS_OK) {
    FZ_CHECK(!valid, "valid input refused: %s", ns_status_message(st));
    goto out;
  }
  FZ_CHECK(valid, "invalid input accepted");
  {
    double nv[5] = {0};
    for (size_t i = 0; i < n; i++) {
      if (!status[i]) continue;
      double t = time[i];
      for (size_t j = 0; j < n; j++) {
        if (j == i || (strat && stratum[j] != stratum[i])) continue;
        if (!(time[j] >= t && (!counting || start[j] < t))) continue;
        double ww = (weighted ? w[i] * w[j] : 1.0);
        if (status[j] && time[j] == t) {
          /* tied on the time: each unordered pair once */
          if (j < i) continue;
          if (score[i] == score[j]) nv[4] += ww;
          else nv[3] += ww;
          continue;
        }
        if (score[i] > score[j]) nv[0] += ww;
        else if (score[i] < score[j]) nv[1] += ww;
        else nv[2] += ww;
      }
    }
    if (getenv("FZ_DEBUG"))
      fprintf(stderr, "core %g %g %g %g %g naive %g %g %g %g %g\n", count[0], count[1],
              count[2], count[3], count[4], nv[0], nv[1], nv[2], nv[3], nv[4]);
    for (int k = 0; k < 5; k++)
      FZ_CHECK(fabs(count[k] - nv[k]) <= 1e-12 * (count[k] + nv[k]),
               "count %d: %.17g vs naive %.17g", k, count[k], nv[k]);
    double den = nv[0] + nv[1] + nv[2];
    if (den > 0) {
      double c = (nv[0] + nv[2] / 2) / den;
      FZ_CHECK(fz_close(conc, c, 1e-12), "concordance %.17g vs naive %.17g", conc, c);
      FZ_CHECK(conc >= 0 && conc <= 1, "concordance %g", conc);
      FZ_CHECK(isfinite(sd) && sd >= 0, "std %g", sd);
      /* the infinitesimal-jackknife standard error from its definition:
       * row i's influence w_i dC/dw_i = w_i ((f_c - f_d) - somers (f_c + f_d
       * + f_t)) / npair / 2, f the weights of its comparable partners by
       * kind, summed within clusters; the scale of its rounding: the same
       * with every partner weight replaced by the total weight */
      double *fc = calloc(3 * n + 1, sizeof *fc);
      double wt = 0;
      for (size_t i = 0; i < n; i++) wt += weighted ? w[i] : 1.0;
      for (size_t i = 0; i < n; i++) {
        if (!status[i]) continue;
        for (size_t j = 0; j < n; j++) {
          if (j == i || (strat && stratum[j] != stratum[i])) continue;
          if (!(time[j] >= time[i] && (!counting || start[j] < time[i]))) continue;
          if (status[j] && time[j] == time[i]) continue;
          int kind = score[i] > score[j] ? 0 : score[i] < score[j] ? 1 : 2;
          fc[3 * i + kind] += weighted ? w[j] : 1.0;
          fc[3 * j + kind] += weighted ? w[i] : 1.0;
        }
      }
      /* one slot per row, or per cluster code (0..3, also when n < 4) */
      size_t nslot = n > 4 ? n : 4;
      double somers = (nv[0] - nv[1]) / den, *dfb = calloc(nslot, sizeof *dfb);
      double *mag = calloc(nslot, sizeof *mag), v = 0, vm = 0;
      for (size_t i = 0; i < n; i++) {
        double wi = weighted ? w[i] : 1.0, *f = fc + 3 * i;
        size_t g = clus ? (size_t) cluster[i] : i;
        dfb[g] += wi * ((f[0] - f[1]) - somers * (f[0] + f[1] + f[2])) / den / 2;
        mag[g] += wi * 2 * wt / den;
      }
      for (size_t g = 0; g < nslot; g++) { v += dfb[g] * dfb[g]; vm += mag[g] * mag[g]; }
      FZ_CHECK(fabs(sd - sqrt(v)) <= 1e-9 * (sqrt(v) + sqrt(vm)),
               "std %.17g vs definition %.17g (scale %g)", sd, sqrt(v), sqrt(vm));
      free(fc); free(dfb); free(mag);
    }
    /* the counts do not depend on the clusters */
    double c2[5], conc2, sd2;
    st = ns_cox_concordance(n, time, sp, status, wp, hp, score, clus ? NULL : cluster,
                            clus ? 0 : 4, c2, &conc2, &sd2);
    FZ_CHECK(st == NS_OK, "clusters refused: %s", ns_status_message(st));
    for (int k = 0; k < 5; k++) FZ_CHECK(c2[k] == count[k], "clusters change count %d", k);
  }
out:
  free(time); free(start); free(w); free(score); free(status); free(stratum); free(cluster);
  return 0;
}
