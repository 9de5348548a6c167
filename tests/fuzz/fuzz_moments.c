/* fuzz_moments.c -- the moments entry points (ns_km_from_moments,
 * ns_logrank_from_moments, ns_cox_moments_eval) fed with the per-(stratum,
 * time) sums of hostile right-censored rows, as a database GROUP BY forms
 * them. Postconditions: the Kaplan-Meier curve equals ns_km_estimate's on
 * the rows (Greenwood; times, numbers at risk, S, H, standard errors); the
 * log-rank outputs equal ns_logrank_test's; the Breslow log partial
 * likelihood at the sums equals a direct evaluation from the formula, and
 * the score its finite-difference-free closed form sum_events w (x - xbar). */
#include "fuzz_input.h"
#include "netsurv.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 50);
  uint8_t opt = fz_byte(&in);
  int weighted = opt & 1, S = 1 + (opt >> 1) % 3, G = 2 + (opt >> 3) % 2;
  double beta = ((int) (fz_byte(&in) % 17) - 8) * 0.25;
  double *time = malloc((n + 1) * sizeof *time), *w = malloc((n + 1) * sizeof *w);
  double *x = malloc((n + 1) * sizeof *x);
  int *status = malloc((n + 1) * sizeof *status), *stratum = malloc((n + 1) * sizeof *stratum);
  int *group = malloc((n + 1) * sizeof *group), *order = malloc((n + 1) * sizeof *order);
  for (size_t i = 0; i < n; i++) {
    time[i] = fz_double(&in, opt & 32);
    status[i] = fz_byte(&in) & 1;
    w[i] = weighted ? 0.125 + (fz_byte(&in) % 16) * 0.25 : 1.0;
    stratum[i] = (int) fz_uint(&in, (unsigned) S);
    group[i] = (int) fz_uint(&in, (unsigned) G);
    x[i] = ((int) (fz_byte(&in) % 13) - 6) * 0.5;
  }
  if (!fz_all_finite(n, time)) goto out0;
  if (ns_sort_order(n, stratum, time, order) != NS_OK) goto out0;
  {
    /* records: distinct (stratum, time) in sorted order */
    size_t m = 0;
    int *rec = malloc((n + 1) * sizeof *rec);
    for (size_t k = 0; k < n; k++) {
      int i = order[k];
      if (k == 0 || stratum[i] != stratum[order[k - 1]] || time[i] != time[order[k - 1]]) m++;
      rec[i] = (int) m - 1;
    }
    double *rt = calloc(m + 1, sizeof *rt), *nstop = calloc(m + 1, sizeof *nstop);
    double *nev = calloc(m + 1, sizeof *nev), *ncen = calloc(m + 1, sizeof *ncen);
    int *rs = calloc(m + 1, sizeof *rs);
    double *gev = calloc((size_t) G * m + 1, sizeof *gev), *gst = calloc((size_t) G * m + 1, sizeof *gst);
    double *s0 = calloc(m + 1, sizeof *s0), *s1 = calloc(m + 1, sizeof *s1);
    double *s2 = calloc(m + 1, sizeof *s2), *dd = calloc(m + 1, sizeof *dd);
    double *dw = calloc(m + 1, sizeof *dw), *dx = calloc(m + 1, sizeof *dx);
    double *deta = calloc(m + 1, sizeof *deta);
    for (size_t i = 0; i < n; i++) {
      size_t r = (size_t) rec[i];
      rt[r] = time[i]; rs[r] = stratum[i];
      nstop[r] += 1;
      if (status[i]) nev[r] += w[i]; else ncen[r] += w[i];
      gst[r + (size_t) group[i] * m] += 1;
      if (status[i]) gev[r + (size_t) group[i] * m] += 1;
      double rr = w[i] * exp(beta * x[i]);
      s0[r] += rr; s1[r] += rr * x[i]; s2[r] += rr * x[i] * x[i];
      if (status[i]) { dd[r] += 1; dw[r] += w[i]; dx[r] += w[i] * x[i]; deta[r] += w[i] * beta * x[i]; }
    }
    /* Kaplan-Meier: moments vs rows */
    double *b[16];
    for (int k = 0; k < 16; k++) b[k] = calloc(n + 1, sizeof(double));
    int st1[3], sr1[3], st2[3], sr2[3];
    ns_km_curve c1 = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], NULL, st1, sr1};
    ns_km_curve c2 = {b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15], NULL, st2, sr2};
    ns_km_moments km = {m, S, S > 1 ? rs : NULL, rt, nstop, nev, ncen, NULL};
    size_t nt1 = 0, nt2 = 0;
    ns_status a = ns_km_from_moments(&km, &c1, &nt1);
    ns_km_data kd = {n, time, NULL, status, weighted ? w : NULL, S > 1 ? stratum : NULL, S,
                     NS_KM_GREENWOOD, 0.0, NULL, 0, NULL};
    ns_km_work *wk = NULL;
    ns_status bb = ns_km_prepare(&kd, &wk, &nt2, NULL, NULL);
    if (bb == NS_OK) bb = ns_km_estimate(wk, &c2, NULL, NULL);
    ns_km_free(wk);
    FZ_CHECK(a == bb, "km status: moments %d rows %d", a, bb);
    if (a == NS_OK) {
      FZ_CHECK(nt1 == nt2, "km times %zu vs %zu", nt1, nt2);
      for (size_t k = 0; k < nt1; k++) {
        FZ_CHECK(c1.time[k] == c2.time[k], "km time %zu", k);
        for (int q = 1; q < 8; q++)
          FZ_CHECK(fz_close(b[q][k], b[8 + q][k], 1e-9), "km column %d at %zu: %.17g vs %.17g",
                   q, k, b[q][k], b[8 + q][k]);
      }
    }
    for (int k = 0; k < 16; k++) free(b[k]);
    /* log-rank: moments vs rows (unweighted counts) */
    {
      double o1[9], e1[9], v1[9], o2[9], e2[9], v2[9], q1 = -1, q2 = -1;
      int f1 = -1, f2 = -1;
      ns_logrank_moments lm = {m, G, S, S > 1 ? rs : NULL, rt, gev, gst};
      double rho = (opt & 64) ? 1.0 : 0.0, gam = (opt & 128) ? 0.5 : 0.0;
      ns_status la = ns_logrank_from_moments(&lm, rho, gam, o1, e1, v1, &q1, &f1);
      ns_status lb = ns_logrank_test(n, time, status, group, S > 1 ? stratum : NULL, G, S, rho,
                                     gam, o2, e2, v2, &q2, &f2);
      FZ_CHECK(la == lb, "logrank status: moments %d rows %d", la, lb);
      if (getenv("FZ_DEBUG") && la == NS_OK) {
        fprintf(stderr, "logrank G %d S %d: df %d vs %d, chisq %.17g vs %.17g\nvar", G, S, f1,
                f2, q1, q2);
        for (int k = 0; k < G * G; k++) fprintf(stderr, " %.17g", v2[k]);
        fprintf(stderr, "\nexp");
        for (int k = 0; k < G * S; k++) fprintf(stderr, " %.17g", e2[k]);
        fputc('\n', stderr);
      }
      if (la == NS_OK) {
        FZ_CHECK(f1 == f2 && fz_close(q1, q2, 1e-9), "chisq %.17g vs %.17g, df %d vs %d", q1, q2,
                 f1, f2);
        for (int k = 0; k < G * S; k++)
          FZ_CHECK(fz_close(o1[k], o2[k], 1e-9) && fz_close(e1[k], e2[k], 1e-9), "obs/exp %d", k);
        for (int k = 0; k < G * G; k++) FZ_CHECK(fz_close(v1[k], v2[k], 1e-9), "var %d", k);
      }
    }
    /* Cox, Breslow, p = 1: log partial likelihood and score from the formula */
    {
      ns_cox_moments cm = {m, 1, S, S > 1 ? rs : NULL, rt, s0, s1, s2, NULL, NULL, NULL,
                           dd, dw, NULL, NULL, NULL, dx, deta};
      double ll = NAN, u = NAN, im = NAN;
      ns_status ca = ns_cox_moments_eval(&cm, NS_COX_BRESLOW, NULL, &ll, &u, &im);
      double nl = 0, nu = 0;
      int empty = 0;
      for (size_t i = 0; i < n; i++) {
        if (!status[i]) continue;
        double sr = 0, sx = 0;
        for (size_t j = 0; j < n; j++)
          if (stratum[j] == stratum[i] && time[j] >= time[i]) {
            double rr = w[j] * exp(beta * x[j]);
            sr += rr; sx += rr * x[j];
          }
        if (!(sr > 0)) empty = 1;
        nl += w[i] * (beta * x[i] - log(sr));
        nu += w[i] * (x[i] - sx / sr);
      }
      if (ca == NS_OK) {
        FZ_CHECK(!empty, "moments: empty risk set accepted");
        FZ_CHECK(fz_close(ll, nl, 1e-9), "cox loglik %.17g vs naive %.17g", ll, nl);
        FZ_CHECK(fz_close(u, nu, 1e-9), "cox score %.17g vs naive %.17g", u, nu);
        FZ_CHECK(im >= -1e-9 * (1 + fabs(im)), "cox information %g", im);
      } else {
        FZ_CHECK(ca == NS_ERR_NONFINITE || ca == NS_ERR_NO_EVENTS || empty || m == 0,
                 "cox moments refused: %s", ns_status_message(ca));
      }
    }
    free(rec); free(rt); free(nstop); free(nev); free(ncen); free(rs); free(gev); free(gst);
    free(s0); free(s1); free(s2); free(dd); free(dw); free(dx); free(deta);
  }
out0:
  free(time); free(w); free(x); free(status); free(stratum); free(group); free(order);
  return 0;
}
