/* fuzz_ipd.c -- ns_ipd_reconstruct (reconstruct_ipd's core) on hostile
 * digitised curves and at-risk tables: NaN / Inf / -0 / huge times and
 * survival values, non-monotone curves, zero-length and near-tied intervals,
 * at-risk times that are not point times, increasing or negative numbers at
 * risk, counts from 1 to 2^20, a total number of events that cannot be met.
 * Postconditions, from the contract in netsurv.h:
 *  - status: NS_OK exactly when the preconditions hold; otherwise
 *    NS_ERR_ARGUMENT, or NS_ERR_TIME when a point time is not finite;
 *  - every count non-negative; events at point 0 are 0; events plus
 *    censorings use up n_risk[0] (everyone leaves by the end of the curve);
 *  - the events follow Guyot's rule, recomputed here from the outputs: at
 *    point k with n at risk (n_risk[0] minus everything before k) and KM the
 *    reconstructed curve at the last event, d_k = round(n (1 - S_k / KM))
 *    clamped to [0, n]; so the reconstructed curve is in [0, 1] and
 *    non-increasing;
 *  - n_censored = the sum of the censorings; the censoring times are
 *    non-decreasing, within [0, time[K - 1]], those of point k within
 *    [time[k], time[k + 1]] (the last point's at its time);
 *  - risk_hat[0] = n_risk[0], risk_hat[i + 1] = risk_hat[i] - events_hat[i]
 *    - censored_hat[i], and events_hat / censored_hat are the sums of the
 *    per-point counts over each interval;
 *  - no memory error (the outputs are allocated to their exact sizes). */
#include "fuzz_input.h"
#include "netsurv.h"

#include <limits.h>

#define FZ_IPD_MAX_POINTS 120
#define FZ_IPD_MAX_ROWS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  uint8_t opt = fz_byte(&in);
  int hostile_time = opt & 1, hostile_surv = opt & 2, hostile_risk = opt & 4;
  int with_total = (opt & 8) != 0, scale = (opt >> 4) & 3, steps = opt & 64;
  size_t K = 1 + fz_uint(&in, FZ_IPD_MAX_POINTS);
  size_t m = 1 + fz_byte(&in) % FZ_IPD_MAX_ROWS;
  double *time = malloc(K * sizeof *time), *surv = malloc(K * sizeof *surv);
  double *rt = malloc(m * sizeof *rt);
  int *nr = malloc(m * sizeof *nr);

  /* the curve: increments of a grid (zero ones too), near-ties, or (hostile)
   * any double; survival multiplied down, or (hostile) anything */
  double t = 0, s = 1;
  time[0] = 0;
  surv[0] = 1;
  for (size_t k = 1; k < K; k++) {
    uint8_t b = fz_byte(&in);
    if (hostile_time && b >= 240) t = fz_double(&in, 1);
    else if (b == 0) t += 0;                               /* zero interval */
    else if (b >= 200 || (steps && (k & 1)))
      t += ldexp(1.0, -(int) (b % 50 + 10));               /* near-ties, risers */
    else t += (double) (b % 32 + 1) * 0.25;
    time[k] = t;
    uint8_t c = fz_byte(&in);
    if (hostile_surv && c >= 248) {
      static const double bad[] = {NAN, INFINITY, -0.0, 1.0000000000000002, -1e-300,
                                   2.0, 0.0, 4.9e-324};
      s = c == 255 ? s + 0.125 : bad[c % 8];               /* up, or a bad value */
    } else if (c < 96 || (steps && !(k & 1))) {
      /* flat (a digitised step: flat treads, the drops on near-vertical risers) */
    } else {
      s *= 1.0 - (double) (c - 95) / (c < 250 ? 640.0 : 160.0);
      if (s < 1e-3 && (c & 1)) s = 0;
    }
    surv[k] = s;
  }
  if (hostile_time && (fz_byte(&in) & 7) == 0) time[0] = fz_double(&in, 1);
  if (hostile_surv && (fz_byte(&in) & 7) == 0) surv[0] = fz_double(&in, 1);

  /* the at-risk table: point indices 0 < i1 < ..., counts falling */
  unsigned n0;
  switch (scale) {
  case 0: n0 = 1 + fz_uint(&in, 64); break;
  case 1: n0 = 1 + fz_uint(&in, 1000); break;
  case 2: n0 = 1 + fz_uint(&in, 65535); break;
  default: n0 = (1u << 20) - fz_uint(&in, 65536); break;
  }
  size_t idx = 0, mm = 0;
  for (size_t i = 0; i < m; i++) {
    if (i > 0) idx += 1 + fz_byte(&in) % 16;
    if (idx >= K) break;
    rt[i] = time[idx];
    if (i == 0) nr[i] = (int) n0;
    else nr[i] = nr[i - 1] - (int) ((double) nr[i - 1] * (fz_byte(&in) % 128) / 255.0);
    if (hostile_risk) {
      uint8_t h = fz_byte(&in);
      if (h == 255) rt[i] = fz_double(&in, 1);                 /* not a point time */
      else if (h == 254) rt[i] = nextafter(rt[i], INFINITY);
      else if (h == 253) nr[i] = -(int) fz_uint(&in, 5);       /* negative */
      else if (h == 252) nr[i] += (int) fz_uint(&in, 5);       /* increasing */
      else if (h == 251 && i > 0) rt[i] = rt[i - 1];           /* repeated */
    }
    mm++;
  }
  m = mm;
  int total = -1;
  if (with_total) {
    unsigned u = fz_uint(&in, 0xFFFF);
    total = (u & 0x8000) ? INT_MAX - (int) (u & 0xFF) : (int) (u % (n0 + 2));
  }

  if (getenv("FZ_DEBUG")) {
    fprintf(stderr, "opt %d K %zu m %zu total %d\n", opt, K, m, total);
    for (size_t k = 0; k < K; k++) fprintf(stderr, "  point %zu: %.17g %.17g\n", k, time[k], surv[k]);
    for (size_t i = 0; i < m; i++) fprintf(stderr, "  at risk %zu: %.17g %d\n", i, rt[i], nr[i]);
  }

  /* the contract's preconditions */
  int valid = m >= 1, finite_times = 1;
  for (size_t k = 0; k < K; k++) {
    if (!isfinite(time[k])) finite_times = valid = 0;
    if (!(surv[k] >= 0 && surv[k] <= 1)) valid = 0;
    if (k > 0 && !(time[k] > time[k - 1] && surv[k] <= surv[k - 1])) valid = 0;
  }
  if (!(time[0] == 0 && surv[0] == 1)) valid = 0;
  if (m >= 1 && (nr[0] < 1 || rt[0] != 0)) valid = 0;
  for (size_t i = 0; i < m; i++) {
    if (nr[i] < 0 || (i > 0 && (nr[i] > nr[i - 1] || !(rt[i] > rt[i - 1])))) valid = 0;
    int found = 0;
    for (size_t k = 0; k < K; k++) found |= time[k] == rt[i];
    if (!found) valid = 0;
  }

  size_t nslot = m >= 1 && nr[0] > 0 ? (size_t) nr[0] : 1;
  int *events = malloc(K * sizeof *events), *censored = malloc(K * sizeof *censored);
  double *ctime = malloc(nslot * sizeof *ctime);
  size_t mr = m ? m : 1;
  int *risk_hat = malloc(mr * sizeof *risk_hat), *events_hat = malloc(mr * sizeof *events_hat);
  int *censored_hat = malloc(mr * sizeof *censored_hat);
  ns_ipd_curve cv = {K, time, surv, m, rt, nr, total};
  ns_ipd_result res = {events, censored, ctime, 0, risk_hat, events_hat, censored_hat};
  ns_status st = ns_ipd_reconstruct(&cv, &res);
  if (getenv("FZ_DEBUG")) {
    fprintf(stderr, "valid %d status %d", valid, (int) st);
    if (st == NS_OK)
      for (size_t i = 0; i < m; i++)
        fprintf(stderr, "; interval %zu: at risk %d (published %d) events %d censored %d", i,
                risk_hat[i], nr[i], events_hat[i], censored_hat[i]);
    fputc('\n', stderr);
  }
  if (!valid) {
    FZ_CHECK(st == NS_ERR_ARGUMENT || (st == NS_ERR_TIME && !finite_times),
             "invalid input: status %d (%s)", (int) st, ns_status_message(st));
  } else {
    FZ_CHECK(st == NS_OK, "valid input refused: %s", ns_status_message(st));
    long n = nr[0], sum_e = 0, sum_c = 0;
    double km = 1.0;
    size_t o = 0;
    for (size_t k = 0; k < K; k++) {
      FZ_CHECK(events[k] >= 0 && censored[k] >= 0, "negative count at %zu: %d %d", k,
               events[k], censored[k]);
      int d = 0;
      if (k > 0 && n > 0 && km > 0) {
        d = (int) floor((double) n * (1.0 - surv[k] / km) + 0.5);
        if (d < 0) d = 0;
        if (d > n) d = (int) n;
        if (d > 0) km *= 1.0 - (double) d / (double) n;
      }
      FZ_CHECK(events[k] == d, "point %zu: %d events, Guyot's rule %d (n %ld)", k, events[k],
               d, n);
      FZ_CHECK(km >= 0 && km <= 1, "KM %g", km);
      n -= events[k];
      FZ_CHECK(censored[k] <= n, "point %zu: %d censored of %ld", k, censored[k], n);
      n -= censored[k];
      double lo = time[k], hi = k + 1 < K ? time[k + 1] : time[k];
      for (int j = 0; j < censored[k]; j++, o++) {
        FZ_CHECK(o < res.n_censored, "censor_time too short");
        double c = ctime[o];
        FZ_CHECK(c >= lo - 1e-12 * (1 + fabs(lo)) && c <= hi + 1e-12 * (1 + fabs(hi)),
                 "censoring %zu at %.17g outside point %zu's [%.17g, %.17g]", o, c, k, lo, hi);
        FZ_CHECK(o == 0 || c >= ctime[o - 1], "censor times decrease at %zu", o);
        FZ_CHECK(c >= 0 && c <= time[K - 1], "censoring at %g", c);
      }
      sum_e += events[k];
      sum_c += censored[k];
    }
    FZ_CHECK(n == 0, "%ld still at risk after the end of the curve", n);
    FZ_CHECK(sum_e + sum_c == nr[0], "events %ld + censored %ld != %d", sum_e, sum_c, nr[0]);
    FZ_CHECK(res.n_censored == (size_t) sum_c, "n_censored %zu vs %ld", res.n_censored, sum_c);
    /* the per-interval summaries */
    size_t k = 0;
    long at = nr[0];
    for (size_t i = 0; i < m; i++) {
      FZ_CHECK(risk_hat[i] == at, "risk_hat[%zu] %d vs %ld", i, risk_hat[i], at);
      long e = 0, c = 0;
      for (; k < K && (i + 1 == m || time[k] < rt[i + 1]); k++) {
        e += events[k];
        c += censored[k];
      }
      FZ_CHECK(events_hat[i] == e && censored_hat[i] == c,
               "interval %zu: events %d censored %d vs %ld %ld", i, events_hat[i],
               censored_hat[i], e, c);
      at -= e + c;
      FZ_CHECK(at >= 0, "negative at risk after interval %zu", i);
    }
  }
  free(time); free(surv); free(rt); free(nr); free(events); free(censored); free(ctime);
  free(risk_hat); free(events_hat); free(censored_hat);
  return 0;
}
