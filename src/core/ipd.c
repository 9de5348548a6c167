/* ipd.c -- pseudo individual patient data from a digitised Kaplan-Meier curve
 * and its published numbers at risk: the algorithm of Guyot, Ades, Ouwens &
 * Welton, BMC Med Res Methodol 2012;12:9, with changes for the flat tails
 * with heavy late censoring where that algorithm is known to go wrong (see
 * ns_ipd_reconstruct in netsurv.h). */
#include <math.h>
#include <stdlib.h>

#include "netsurv.h"
#include "internal.h"

/* What is carried from one point to the next: the reconstructed number at risk
 * and the reconstructed Kaplan-Meier value at the last event. */
typedef struct {
  int n_risk;
  double km;
} ipd_state;

/* The outcome of running one interval with a given number of censorings. */
typedef struct {
  ipd_state end;    /* state after the interval's last point */
  int events;       /* events in the interval */
  int censored;     /* censorings actually placed (some may not fit) */
  double misfit;    /* time-weighted |KM_rec - S| over the interval */
  double lattice;   /* sum over drops of (n x - round(n x))^2, x = 1 - S_k /
                       S_{k-1} the digitised relative drop: near 0 when the
                       numbers at risk fit the drop heights */
} ipd_run;

static int round_half_up(double x) { return (int) floor(x + 0.5); }

/* The shapes of the censoring distribution within an interval tried in
 * turn: the censorings are at a + (b - a) (j / (c + 1))^(1 / shape), so shape
 * 1 spreads them evenly (Guyot), shape > 1 crowds them late, < 1 early. */
static const double ipd_shapes[] = {1, 1.5, 2, 3, 5, 1 / 1.5, 0.5, 1.0 / 3, 0.2};
#define IPD_N_SHAPES (sizeof ipd_shapes / sizeof ipd_shapes[0])
/* A shape other than 1 must lower the lattice misfit (ipd_run) by the
 * fraction IPD_SHAPE_GAIN, and is only tried when one event's drop at the
 * end of the interval (S / n, n the published count at its end, 1 in the last
 * interval) is at least IPD_DROP_VISIBLE: with many at risk the drops are as
 * small as digitising noise and say nothing about when the censorings
 * happened. */
#define IPD_DROP_VISIBLE 0.01
#define IPD_SHAPE_GAIN 0.1

/*
 * Guyot's event rule over points lo..hi (inclusive) with `c` censorings placed
 * at a + (b - a) (j / (c + 1))^(1 / shape), j = 1..c; the censorings in [time[k],
 * time[k + 1]) leave after the events at time[k]. At a point k > 0 the events
 * are d = round(n (1 - S_k / KM)), KM the reconstructed curve at the last
 * event, clamped to [0, n]; then KM <- KM (1 - d / n). When the outputs are
 * not NULL the events, the censorings and their times are written (ctime
 * receives at most c times, *nct counts them).
 */
static ipd_run run_interval(const ns_ipd_curve *cv, size_t lo, size_t hi,
                            double a, double b, int c, double shape,
                            ipd_state st, int *events, int *censored,
                            double *ctime, size_t *nct)
{
  ipd_run r = {st, 0, 0, 0.0, 0.0};
  size_t K = cv->n_points;
  /* The censorings before a time u are those with j < (c + 1) ((u - a) /
   * (b - a))^shape, so a point's share is counted in O(1); their times are
   * only computed when they are written. */
  int j_done = 0; /* censorings 1..j_done are placed (or dropped) */
  double inv = 1.0 / shape;
  double width_end = (cv->time[hi] - cv->time[lo]) / (double) (hi - lo + 1);
  for (size_t k = lo; k <= hi; k++) {
    int n = r.end.n_risk, d = 0;
    if (k > 0 && cv->surv[k - 1] > 0 && cv->surv[k] < cv->surv[k - 1]) {
      double nx = n * (1.0 - cv->surv[k] / cv->surv[k - 1]);
      r.lattice += (nx - round_half_up(nx)) * (nx - round_half_up(nx));
    }
    if (k > 0 && n > 0 && r.end.km > 0) {
      d = round_half_up(n * (1.0 - cv->surv[k] / r.end.km));
      if (d < 0) d = 0;
      if (d > n) d = n;
      if (d > 0) r.end.km *= 1.0 - (double) d / n;
    }
    n -= d;
    int j_end = c;
    if (k + 1 < K && cv->time[k + 1] < b) {
      double x = (c + 1.0) * pow((cv->time[k + 1] - a) / (b - a), shape);
      j_end = x > 0 ? (int) ceil(x) - 1 : 0;
      if (j_end > c) j_end = c;
      if (j_end < j_done) j_end = j_done;
    }
    int placed = j_end - j_done < n ? j_end - j_done : n;
    if (ctime)
      for (int j = j_done + 1; j <= j_done + placed; j++)
        ctime[(*nct)++] = a + (b - a) * pow(j / (c + 1.0), inv);
    n -= placed;
    j_done = j_end;
    if (events) events[k] = d;
    if (censored) censored[k] = placed;
    r.events += d;
    r.censored += placed;
    r.end.n_risk = n;
    double width = k < hi ? cv->time[k + 1] - cv->time[k] : width_end;
    r.misfit += fabs(r.end.km - cv->surv[k]) * width;
  }
  return r;
}

/* Is candidate (gap, misfit) better than the best so far? The first key is
 * an integer gap, the second the misfit, the third the distance to a prior
 * guess (smaller is better in each). */
static int better(long gap, double misfit, long dist, long best_gap,
                  double best_misfit, long best_dist)
{
  if (gap != best_gap) return gap < best_gap;
  double tol = 1e-12 * (fabs(misfit) + fabs(best_misfit)) + 1e-300;
  if (fabs(misfit - best_misfit) > tol) return misfit < best_misfit;
  return dist < best_dist;
}

/* An interval with a published count at its end (Guyot): the censorings c
 * make the reconstructed number at risk at the next at-risk time match it.
 * n_next(c) falls (about) monotonically in c, so bisect for the crossing,
 * then compare its neighbours by (|gap|, misfit). */
static int choose_inner(const ns_ipd_curve *cv, size_t lo, size_t hi, double a,
                        double b, double shape, ipd_state st, int target)
{
  int n0 = st.n_risk;
  int cmax = n0 - target > 0 ? n0 - target : 0;
  int lo_c = 0, hi_c = cmax, best_c = 0;
  while (lo_c < hi_c) {
    int mid = lo_c + (hi_c - lo_c) / 2;
    ipd_run r = run_interval(cv, lo, hi, a, b, mid, shape, st, NULL, NULL, NULL, NULL);
    if (r.end.n_risk > target) lo_c = mid + 1; else hi_c = mid;
  }
  long best_gap = -1, best_dist = 0;
  double best_misfit = 0;
  int from = lo_c - 8 > 0 ? lo_c - 8 : 0, to = lo_c + 8 < cmax ? lo_c + 8 : cmax;
  for (int c = from; c <= to; c++) {
    ipd_run r = run_interval(cv, lo, hi, a, b, c, shape, st, NULL, NULL, NULL, NULL);
    long gap = labs((long) r.end.n_risk - target), dist = labs((long) c - lo_c);
    if (best_gap < 0 || better(gap, r.misfit, dist, best_gap, best_misfit, best_dist)) {
      best_gap = gap; best_misfit = r.misfit; best_dist = dist; best_c = c;
    }
  }
  return best_c;
}

/* The last interval. Everyone still at risk leaves by the end of the curve:
 * the reconstructed events plus censorings use up n0 (those left at the end
 * are censored there). Guyot extrapolates the censoring rate of the earlier
 * intervals here, which fails when censoring is heavy late (administrative
 * censoring). Instead: with a total number of events, match it; then (or
 * without one) take the number of censorings whose reconstructed curve best
 * follows the digitised one (the drop heights carry the number at risk when
 * few remain), the extrapolated count breaking ties. */
static int choose_last(const ns_ipd_curve *cv, size_t lo, size_t hi, double a,
                       double b, double shape, ipd_state st, long events_before,
                       long censored_before, size_t m)
{
  if (!(b > a)) return 0;
  int n0 = st.n_risk, best_c = 0;
  long prior = 0;
  if (m > 1 && cv->risk_time[m - 1] > 0)
    prior = lround(censored_before * (b - a) / cv->risk_time[m - 1]);
  long target = cv->total_events >= 0 ? cv->total_events - events_before : -1;
  if (target < 0 && cv->total_events >= 0) target = 0;
  int stride = n0 > 2000 ? n0 / 2000 : 1;
  long best_gap = -1, best_dist = 0;
  double best_misfit = 0;
  for (int pass = 0; pass < 2; pass++) {
    int from = 0, to = n0, by = stride;
    if (pass == 1) {
      if (stride == 1) break;
      from = best_c - stride > 0 ? best_c - stride : 0;
      to = best_c + stride < n0 ? best_c + stride : n0;
      by = 1;
    }
    for (int c = from; c <= to; c += by) {
      ipd_run r = run_interval(cv, lo, hi, a, b, c, shape, st, NULL, NULL, NULL, NULL);
      long gap = target >= 0 ? labs(r.events - target) : 0;
      long dist = labs((long) c - prior);
      if (best_gap < 0 || better(gap, r.misfit, dist, best_gap, best_misfit, best_dist)) {
        best_gap = gap; best_misfit = r.misfit; best_dist = dist; best_c = c;
      }
    }
  }
  return best_c;
}

ns_status ns_ipd_reconstruct(const ns_ipd_curve *cv, ns_ipd_result *res)
{
  if (!cv || !res || !cv->time || !cv->surv || !cv->risk_time || !cv->n_risk ||
      !res->events || !res->censored || !res->censor_time || !res->risk_hat ||
      !res->events_hat || !res->censored_hat)
    return NS_ERR_ARGUMENT;
  size_t K = cv->n_points, m = cv->n_intervals;
  if (K < 1 || m < 1) return NS_ERR_ARGUMENT;
  for (size_t k = 0; k < K; k++) {
    if (!isfinite(cv->time[k])) return NS_ERR_TIME;
    if (!(cv->surv[k] >= 0 && cv->surv[k] <= 1)) return NS_ERR_ARGUMENT;
    if (k > 0 && !(cv->time[k] > cv->time[k - 1] && cv->surv[k] <= cv->surv[k - 1]))
      return NS_ERR_ARGUMENT;
  }
  if (cv->time[0] != 0 || cv->surv[0] != 1) return NS_ERR_ARGUMENT;
  if (cv->n_risk[0] < 1 || cv->risk_time[0] != 0) return NS_ERR_ARGUMENT;
  /* Each at-risk time must be a point time; lower[i] is its index, kept in
   * risk_hat until the end (it is overwritten with the counts last). */
  size_t k = 0;
  for (size_t i = 0; i < m; i++) {
    if (cv->n_risk[i] < 0 || (i > 0 && cv->n_risk[i] > cv->n_risk[i - 1]))
      return NS_ERR_ARGUMENT;
    if (i > 0 && !(cv->risk_time[i] > cv->risk_time[i - 1])) return NS_ERR_ARGUMENT;
    while (k < K && cv->time[k] < cv->risk_time[i]) k++;
    if (k == K || cv->time[k] != cv->risk_time[i]) return NS_ERR_ARGUMENT;
    res->risk_hat[i] = (int) k;
  }

  ipd_state st = {cv->n_risk[0], 1.0};
  size_t nct = 0;
  long events_before = 0, censored_before = 0;
  for (size_t i = 0; i < m; i++) {
    size_t lo = (size_t) res->risk_hat[i];
    int last = i + 1 == m;
    size_t hi = last ? K - 1 : (size_t) res->risk_hat[i + 1] - 1;
    double a = cv->time[lo], b = last ? cv->time[K - 1] : cv->risk_time[i + 1];
    int n0 = st.n_risk, best_c = 0;
    double best_shape = 1, uniform_fit = 0, chosen_fit = 0;
    int n_end = last ? 1 : (cv->n_risk[i + 1] > 0 ? cv->n_risk[i + 1] : 1);
    size_t n_shapes = cv->surv[hi] / n_end >= IPD_DROP_VISIBLE ? IPD_N_SHAPES : 1;
    for (size_t q = 0; q < n_shapes; q++) {
      double shape = ipd_shapes[q];
      int c = last ? choose_last(cv, lo, hi, a, b, shape, st, events_before,
                                 censored_before, m)
                   : choose_inner(cv, lo, hi, a, b, shape, st, cv->n_risk[i + 1]);
      ipd_run r = run_interval(cv, lo, hi, a, b, c, shape, st, NULL, NULL, NULL, NULL);
      if (!last && r.end.n_risk != cv->n_risk[i + 1] && q > 0) continue;
      if (last && cv->total_events >= 0 && q > 0) break; /* events fixed: shape 1 */
      if (q == 0) {
        uniform_fit = chosen_fit = r.lattice;
        best_c = c;
      } else if (r.lattice < (1 - IPD_SHAPE_GAIN) * uniform_fit && r.lattice < chosen_fit) {
        chosen_fit = r.lattice; best_c = c; best_shape = shape;
      }
      if (b <= a) break;
    }
    ipd_run r = run_interval(cv, lo, hi, a, b, best_c, best_shape, st, res->events,
                             res->censored, res->censor_time, &nct);
    if (last && r.end.n_risk > 0) {
      /* Still at risk at the end of the curve: censored there. */
      for (int j = 0; j < r.end.n_risk; j++) res->censor_time[nct++] = cv->time[K - 1];
      res->censored[K - 1] += r.end.n_risk;
      r.censored += r.end.n_risk;
      r.end.n_risk = 0;
    }
    res->risk_hat[i] = n0;
    res->events_hat[i] = r.events;
    res->censored_hat[i] = r.censored;
    events_before += r.events;
    censored_before += r.censored;
    st = r.end;
  }
  res->n_censored = nct;
  return NS_OK;
}
