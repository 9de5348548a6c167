/* fuzz_competing.c -- competing risks: ns_cuminc_fit (jackknife and Gray
 * variances, right-censored and (start, stop], weights, groups, clusters),
 * ns_cuminc_gray_test and ns_finegray_fit, on hostile times, weights and
 * codes. Postconditions: valid input is answered, invalid input refused;
 * per group the event-free probability is in [0, 1] and non-increasing,
 * each cumulative incidence in [0, 1] and non-decreasing, S + sum_k F_k = 1;
 * the numbers at risk and the Aalen-Johansen estimates equal a naive
 * computation from the formula (S(t) = prod (1 - d/n), F_k(t) = sum
 * S(t-) d_k / n, risk sets summed row by row); standard errors never NaN or
 * negative. Gray's test: a statistic >= 0 (or NaN when singular), a
 * symmetric variance with a non-negative diagonal. Fine-Gray: finite
 * coefficients, log pseudo-likelihoods <= 0 (unweighted), a converged fit at least as
 * good as the null, a symmetric variance with a non-negative diagonal. */
#include "fuzz_input.h"
#include "netsurv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 60);
  uint8_t opt = fz_byte(&in);
  int counting = opt & 1, weighted = opt & 2, hostile = (opt & 4) != 0, gray = (opt & 8) != 0;
  int G = 1 + (opt >> 4) % 3, K = 1 + (opt >> 6) % 3, clus = fz_byte(&in) & 1;
  double *time = malloc((n + 1) * sizeof *time), *start = malloc((n + 1) * sizeof *start);
  double *w = malloc((n + 1) * sizeof *w), *x = malloc((2 * n + 1) * sizeof *x);
  int *cause = malloc((n + 1) * sizeof *cause), *group = malloc((n + 1) * sizeof *group);
  int *cluster = malloc((n + 1) * sizeof *cluster), *fstat = malloc((n + 1) * sizeof *fstat);
  for (size_t i = 0; i < n; i++) {
    start[i] = fz_double(&in, 0);
    time[i] = counting ? start[i] + 0.5 + fz_double(&in, hostile) : fz_double(&in, hostile);
    cause[i] = (int) fz_uint(&in, (unsigned) K + 1);
    w[i] = hostile ? fz_double(&in, 1) : (fz_byte(&in) % 8) * 0.375;
    group[i] = (int) fz_uint(&in, (unsigned) G);
    cluster[i] = (int) fz_uint(&in, 5);
    x[i] = ((int) (fz_byte(&in) % 9) - 4) * 0.5;
    x[i + n] = fz_double(&in, 0) - 3.0;
  }
  if (getenv("FZ_DEBUG"))
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, "row %zu: (%g, %.17g] cause %d w %g g %d c %d x %g %g (opt %d)\n", i,
              start[i], time[i], cause[i], w[i], group[i], cluster[i], x[i], x[i + n], opt);
  int valid = 1;
  double tw = 0, twg[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i]) || (counting && !(isfinite(start[i]) && start[i] < time[i])))
      valid = 0;
    if (weighted && !(isfinite(w[i]) && w[i] >= 0)) valid = 0;
    tw += weighted ? w[i] : 1.0;
    twg[G > 1 ? group[i] : 0] += weighted ? w[i] : 1.0;
  }
  /* cuminc refuses a group whose weights sum past DBL_MAX; Gray's test and
   * Fine-Gray sum over all rows */
  int valid_all = valid && isfinite(tw);
  for (int g = 0; g < 3; g++) if (!isfinite(twg[g])) valid = 0;
  int ok_gray = !(gray && counting);
  ns_cuminc_data d = {n, time, counting ? start : NULL, cause, K, weighted ? w : NULL,
                      G > 1 ? group : NULL, G, clus ? cluster : NULL, clus ? 5 : 0,
                      gray ? NS_CUMINC_GRAY : NS_CUMINC_JACKKNIFE, 0.0};
  ns_cuminc_result r;
  memset(&r, 0, sizeof r);
  ns_status st = ns_cuminc_fit(&d, &r, NULL, NULL);
  if (st != NS_OK) {
    FZ_CHECK(!valid || !ok_gray, "cuminc refused valid input: %s", ns_status_message(st));
  } else {
    FZ_CHECK(valid && ok_gray, "cuminc accepted invalid input");
    size_t o = 0;
    for (int g = 0; g < G; g++) {
      double S = 1, prevS = 1, *F = calloc((size_t) K, sizeof *F);
      double *prevF = calloc((size_t) K, sizeof *prevF);
      for (int k = 0; k < r.group_times[g]; k++, o++) {
        double t = r.time[o];
        double nr = 0, nw = 0, dw = 0, *dk = calloc((size_t) K, sizeof *dk);
        for (size_t i = 0; i < n; i++) {
          if (G > 1 && group[i] != g) continue;
          double wi = weighted ? w[i] : 1.0;
          if (time[i] >= t && (!counting || start[i] < t)) { nr += 1; nw += wi; }
          if (time[i] == t && cause[i] > 0) { dk[cause[i] - 1] += wi; dw += wi; }
        }
        FZ_CHECK(r.n_risk[o] == nr, "n_risk %g vs naive %g", r.n_risk[o], nr);
        if (dw > 0 && nw > 0) {
          for (int c = 0; c < K; c++) F[c] += S * (dk[c] / nw); /* S d / n underflows */
          S *= 1 - dw / nw;
          if (S < 0) S = 0;
        }
        free(dk);
        if (getenv("FZ_DEBUG"))
          fprintf(stderr, "group %d point %zu: t %g n_risk %g S %.17g (naive %.17g) F1 %.17g (naive %.17g)\n",
                  g, o, t, r.n_risk[o], r.surv[o], S, r.estimate[o], F[0]);
        double sum = r.surv[o];
        FZ_CHECK(r.surv[o] >= 0 && r.surv[o] <= 1 && r.surv[o] <= prevS, "S %g", r.surv[o]);
        FZ_CHECK(fz_close(r.surv[o], S, 1e-9), "S %.17g vs naive %.17g", r.surv[o], S);
        prevS = r.surv[o];
        for (int c = 0; c < K; c++) {
          double e = r.estimate[o + (size_t) c * r.m], se = r.std_err[o + (size_t) c * r.m];
          FZ_CHECK(e >= 0 && e <= 1 && e >= prevF[c], "F%d %g", c + 1, e);
          FZ_CHECK(fz_close(e, F[c], 1e-9), "F%d %.17g vs naive %.17g", c + 1, e, F[c]);
          FZ_CHECK(!isnan(se) && !(se < 0), "std_err F%d %g", c + 1, se);
          prevF[c] = e;
          sum += e;
        }
        FZ_CHECK(fz_close(sum, 1.0, 1e-9), "S + sum F = %.17g", sum);
      }
      free(F); free(prevF);
    }
    FZ_CHECK(o == r.m, "group_times do not add up");
  }
  ns_cuminc_free(&r);

  /* Gray's test (right-censored; weights as frequencies) */
  if (!counting && G >= 2) {
    size_t q = (size_t) (G - 1);
    double *score = malloc(q * (size_t) K * sizeof *score);
    double *var = malloc(q * q * (size_t) K * sizeof *var), *stat = malloc((size_t) K * sizeof *stat);
    int df = -1;
    double rho = (opt & 1) ? 0.0 : (fz_byte(&in) % 4) * 0.5;
    /* frequencies: the non-hostile weights k * 0.375 as k; a hostile
     * fraction must be refused */
    double *gw = malloc((n + 1) * sizeof *gw);
    int whole = 1;
    for (size_t i = 0; i < n; i++) {
      gw[i] = hostile ? w[i] : w[i] / 0.375;
      if (weighted && !(gw[i] == floor(gw[i]))) whole = 0;
    }
    double gtot = 0;
    for (size_t i = 0; i < n; i++) gtot += weighted ? gw[i] : 1.0;
    int valid_gray = valid_all && whole && isfinite(gtot);
    st = ns_cuminc_gray_test(n, time, cause, K, weighted ? gw : NULL, group, G, NULL, 1, rho,
                             score, var, stat, &df);
    free(gw);
    if (st == NS_OK) {
      FZ_CHECK(valid_gray, "gray accepted invalid input");
      FZ_CHECK(df == G - 1, "df %d", df);
      for (int c = 0; c < K; c++) {
        FZ_CHECK(isnan(stat[c]) || (isfinite(stat[c]) && stat[c] >= -1e-9), "gray stat %g",
                 stat[c]);
        const double *v = var + (size_t) c * q * q;
        for (size_t a = 0; a < q; a++) {
          /* Gray's estimate (cmprsk's crstm, which netsurv reproduces) can be
           * indefinite on degenerate data (finding 0b387f27, a diagonal of
           * -0.46 in cmprsk too): then the statistic must be NaN, never a
           * number from an indefinite V */
          if (v[a + a * q] < -1e-9 * (1 + fabs(v[a + a * q])))
            FZ_CHECK(isnan(stat[c]), "gray var %g with statistic %g", v[a + a * q], stat[c]);
          for (size_t b = 0; b < q; b++)
            FZ_CHECK(fz_close(v[a + b * q], v[b + a * q], 1e-12), "gray var not symmetric");
        }
      }
    } else {
      FZ_CHECK(!valid_gray, "gray refused valid input: %s", ns_status_message(st));
    }
    free(score); free(var); free(stat);
  }

  /* Fine-Gray: status 0, 1 cause of interest, 2 competing */
  if (!counting) {
    size_t p = 1 + (opt & 1);
    int events = 0, fvalid = valid_all;
    for (size_t i = 0; i < n; i++) {
      fstat[i] = cause[i] == 0 ? 0 : cause[i] == 1 ? 1 : 2;
      events += fstat[i] == 1;
      if (weighted && !(w[i] > 0)) fvalid = 0;
    }
    double coef[2], var[4], nvar[4], sc[2], info[4], meat[4];
    double *bt = malloc((n + 1) * sizeof *bt), *bj = malloc((n + 1) * sizeof *bj);
    ns_finegray_data fd = {n, p, x, time, fstat, weighted ? w : NULL,
                           G > 1 ? group : NULL, G};
    ns_finegray_control fc = {25, 1e-6, NULL};
    ns_finegray_result fr = {coef, var, nvar, sc, info, meat, bt, bj, 0, 0, 0, 0, 0};
    st = ns_finegray_fit(&fd, &fc, &fr, NULL, NULL);
    if (st == NS_OK) {
      FZ_CHECK(fvalid && events > 0, "finegray accepted invalid input");
      FZ_CHECK(fz_all_finite(p, coef), "finegray coef not finite");
      FZ_CHECK(isfinite(fr.loglik) && isfinite(fr.loglik_null), "loglik not finite");
      if (getenv("FZ_DEBUG"))
        fprintf(stderr, "finegray p %zu coef %.17g %.17g loglik %.17g null %.17g iter %d conv %d\n", p, coef[0], p > 1 ? coef[1] : 0.0, fr.loglik, fr.loglik_null, fr.iter, fr.converged);
      /* each term log(r_i / sum_risk w r) <= 0 when the row's own weight is 1 */
      if (!weighted)
        FZ_CHECK(fr.loglik <= 1e-9 * (1 + fabs(fr.loglik)) &&
               fr.loglik_null <= 1e-9 * (1 + fabs(fr.loglik_null)), "loglik > 0: %g %g",
               fr.loglik, fr.loglik_null);
      if (fr.converged)
        FZ_CHECK(fr.loglik >= fr.loglik_null - 1e-6 * (1 + fabs(fr.loglik_null)),
                 "converged below the null: %.17g < %.17g", fr.loglik, fr.loglik_null);
      for (size_t a = 0; a < p; a++) {
        FZ_CHECK(!(var[a + a * p] < 0) && !(nvar[a + a * p] < 0), "negative variance");
        for (size_t b = 0; b < p; b++)
          FZ_CHECK(fz_close(var[a + b * p], var[b + a * p], 1e-12), "var not symmetric");
      }
      FZ_CHECK(fr.n_times <= n, "n_times %zu", fr.n_times);
      for (size_t k = 0; k < fr.n_times; k++)
        FZ_CHECK(!(bj[k] < 0) && !isnan(bj[k]), "baseline jump %g", bj[k]);
    } else {
      FZ_CHECK(!fvalid || events == 0 || st == NS_ERR_SINGULAR || st == NS_ERR_NONFINITE ||
               st == NS_ERR_NO_EVENTS, "finegray refused valid input: %s",
               ns_status_message(st));
    }
    free(bt); free(bj);
  }
  free(time); free(start); free(w); free(x); free(cause); free(group); free(cluster);
  free(fstat);
  return 0;
}
