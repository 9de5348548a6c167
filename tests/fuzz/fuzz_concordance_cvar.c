/* fuzz_concordance_cvar.c -- libFuzzer harness of ns_cox_concordance_cvar (the
 * concordance with survival's Cox-model variance, cvar). Postconditions:
 * any input is answered or refused with a status (never a crash or UB); an
 * answer has the counts, concordance and std of ns_cox_concordance bit for
 * bit; counts equal to a naive O(n^2) enumeration to a relative 1e-12 of
 * each (weights of any spread), a concordance in [0, 1]; and a cvar that is
 * NaN (no comparable pair)
 * or >= 0; on grid-valued data (times, weights and scores small multiples
 * of 0.5, so every sum is exact) cvar equals its definition evaluated over
 * every risk set. */
#include "fuzz_input.h"
#include "netsurv.h"

#include "../c/check_concordance_naive.h" /* naive_cvar: cvar from its definition */

static int on_grid(size_t n, const double *x)
{
  for (size_t i = 0; i < n; i++)
    if (!(x[i] >= 0 && x[i] <= 64 && x[i] * 2 == floor(x[i] * 2))) return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = 1 + fz_uint(&in, 40);
  uint8_t flags = fz_byte(&in);
  int counting = flags & 1, weighted = flags & 2, strat = flags & 4, clustered = flags & 8;
  int hostile = (flags & 16) != 0;
  double *time = malloc(n * sizeof *time), *start = malloc(n * sizeof *start);
  double *w = malloc(n * sizeof *w), *score = malloc(n * sizeof *score);
  int *status = malloc(n * sizeof *status), *stratum = malloc(n * sizeof *stratum);
  int *cluster = malloc(n * sizeof *cluster);
  if (!time || !start || !w || !score || !status || !stratum || !cluster) goto out;
  for (size_t i = 0; i < n; i++) {
    time[i] = fz_double(&in, hostile);
    start[i] = time[i] - 0.5 - (double) (fz_byte(&in) % 4);
    status[i] = fz_byte(&in) & 1;
    w[i] = fabs(fz_double(&in, hostile));
    stratum[i] = (int) fz_uint(&in, 3);
    score[i] = fz_double(&in, hostile) - 3;
    cluster[i] = (int) fz_uint(&in, 5);
  }
  {
    const double *st = counting ? start : NULL, *wt = weighted ? w : NULL;
    const int *sg = strat ? stratum : NULL, *cl = clustered ? cluster : NULL;
    double count[5], conc, sd, cvar, count2[5], conc2, sd2;
    ns_status s1 = ns_cox_concordance_cvar(n, time, st, status, wt, sg, score, cl, 5,
                                           count, &conc, &sd, &cvar);
    ns_status s2 = ns_cox_concordance(n, time, st, status, wt, sg, score, cl, 5,
                                      count2, &conc2, &sd2);
    FZ_CHECK(s1 == s2, "status %d vs %d", s1, s2);
    if (s1 != NS_OK) {
      int valid = fz_all_finite(n, score) && fz_all_finite(n, time) &&
                  (!counting || fz_all_finite(n, start)) && (!weighted || fz_all_finite(n, w));
      for (size_t i = 0; counting && i < n; i++) if (!(start[i] < time[i])) valid = 0;
      FZ_CHECK(!valid, "valid input refused: %s", ns_status_message(s1));
      goto out;
    }
    for (int k = 0; k < 5; k++)
      FZ_CHECK(memcmp(&count[k], &count2[k], sizeof(double)) == 0, "count %d differs", k);
    FZ_CHECK(fz_close(conc, conc2, 0) && fz_close(sd, sd2, 0), "concordance or std differs");
    /* Every count is a sum of nonnegative weight products (the core reads
     * its sums of weights below, at and above a score from a tree of sums,
     * never as a total less partial sums): each equals the naive O(n^2)
     * enumeration to a relative 1e-12 of itself, whatever the spread of
     * the weights (issue #13: with weights ~1e12 apart the small weights'
     * pairs were lost and the concordance left [0, 1]), up to the subnormal
     * products' absolute rounding; checked where no sum of products can
     * overflow. The concordance is in [0, 1] (or NaN) always. */
    double wsum = 0;
    for (size_t i = 0; i < n; i++) wsum += weighted ? w[i] : 1.0;
    if (wsum * wsum < 1e300) {
      double nv[5] = {0, 0, 0, 0, 0};
      for (size_t i = 0; i < n; i++) {
        if (!status[i]) continue;
        for (size_t j = 0; j < n; j++) {
          if (j == i || (strat && stratum[j] != stratum[i])) continue;
          if (!(time[j] >= time[i] && (!counting || start[j] < time[i]))) continue;
          double ww = weighted ? w[i] * w[j] : 1.0;
          if (status[j] && time[j] == time[i]) {
            if (j < i) continue;
            nv[score[i] == score[j] ? 4 : 3] += ww;
            continue;
          }
          nv[score[i] > score[j] ? 0 : score[i] < score[j] ? 1 : 2] += ww;
        }
      }
      for (int k = 0; k < 5; k++)
        FZ_CHECK(fabs(count[k] - nv[k]) <= 1e-12 * (count[k] + nv[k]) + n * n * 1e-320,
                 "count %d: %.17g vs naive %.17g", k, count[k], nv[k]);
      double den = nv[0] + nv[1] + nv[2];
      if (den > 1e-290)
        FZ_CHECK(fabs(conc - (nv[0] + nv[2] / 2) / den) <= 1e-10,
                 "concordance %.17g vs naive %.17g", conc, (nv[0] + nv[2] / 2) / den);
    }
    FZ_CHECK(isnan(conc) || (conc >= 0 && conc <= 1), "concordance %.17g", conc);
    if (on_grid(n, time) && (!weighted || on_grid(n, w)) && fz_all_finite(n, score)) {
      double shifted[40];
      for (size_t i = 0; i < n; i++) shifted[i] = score[i] + 3;
      if (on_grid(n, shifted) && (!counting || fz_all_finite(n, start))) {
        double ones[40];
        for (size_t i = 0; i < n; i++) ones[i] = 1;
        double ref = naive_cvar(n, time, st, status, wt ? wt : ones, sg, score);
        FZ_CHECK(fz_close(cvar, ref, 1e-9), "cvar %.17g vs definition %.17g", cvar, ref);
      }
    }
    FZ_CHECK(isnan(cvar) || cvar >= 0 || !fz_all_finite(n, time),
             "negative cvar %g", cvar);
  }
out:
  free(time); free(start); free(w); free(score); free(status); free(stratum); free(cluster);
  return 0;
}
