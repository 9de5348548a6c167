/*
 * check_concordance_naive.h -- the concordance's variance under the Cox model
 * (survival's cvar) from its definition, the reference of
 * tests/c/check_concordance.c and tests/fuzz/fuzz_concordance_cvar.c.
 */
#ifndef NETSURV_CHECK_CONCORDANCE_NAIVE_H
#define NETSURV_CHECK_CONCORDANCE_NAIVE_H

#include <math.h>
#include <stddef.h>

/* cvar from the definition: for each stratum and each distinct event time
 * t, with R_t the rows of the stratum at risk at t (start < t <= stop) and
 * r_i = sum_{j in R_t} w_j sign(score_j - score_i), add d_t * sum_{R_t}
 * w_i r_i^2 / sum_{R_t} w_i (d_t the event weight at t; nothing when R_t
 * weighs 0); divide by 4 npair^2, npair = the weight of the comparable
 * pairs (concordant + discordant + tied.x, counted as in check_cox.c), NaN
 * without one. O(n^3), fine at n = 120. */
static double naive_cvar(size_t n, const double *time, const double *start, const int *status,
                         const double *w, const int *stratum, const double *score)
{
  double vcox = 0, npair = 0;
  for (size_t i = 0; i < n; i++) {
    if (!status[i]) continue;
    for (size_t j = 0; j < n; j++) {
      if (j == i || (stratum && stratum[i] != stratum[j])) continue;
      if (start && !(start[j] < time[i])) continue;
      if (time[j] > time[i] || (time[j] == time[i] && !status[j])) npair += w[i] * w[j];
    }
    /* the first event row at its (stratum, time) stands for the time */
    int first = 1;
    for (size_t k = 0; k < i; k++)
      if (status[k] && time[k] == time[i] && (!stratum || stratum[k] == stratum[i])) first = 0;
    if (!first) continue;
    double d = 0, wsum = 0, z2 = 0;
    for (size_t k = 0; k < n; k++) {
      if (stratum && stratum[k] != stratum[i]) continue;
      if (status[k] && time[k] == time[i]) d += w[k];
      if (!(time[k] >= time[i] && (!start || start[k] < time[i]))) continue;
      wsum += w[k];
      double r = 0;
      for (size_t j = 0; j < n; j++) {
        if (stratum && stratum[j] != stratum[i]) continue;
        if (!(time[j] >= time[i] && (!start || start[j] < time[i]))) continue;
        r += w[j] * ((score[j] > score[k]) - (score[j] < score[k]));
      }
      z2 += w[k] * r * r;
    }
    if (wsum > 0) vcox += d * z2 / wsum;
  }
  return npair > 0 ? vcox / (4 * npair * npair) : NAN;
}

#endif
