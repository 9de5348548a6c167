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

/* The last interval's count of censorings before the end of the curve is
 * chosen under these shapes of their distribution, tried in turn: the
 * censorings are at a + (b - a) (j / (c + 1))^(1 / shape), so shape 1 spreads
 * them evenly (Guyot), shape > 1 crowds them late, < 1 early (dp_gaps then
 * places that many gap by gap). */
static const double ipd_shapes[] = {1, 1.5, 2, 3, 5, 1 / 1.5, 0.5, 1.0 / 3, 0.2};
#define IPD_N_SHAPES (sizeof ipd_shapes / sizeof ipd_shapes[0])
/* A shape other than 1 must lower the lattice misfit (ipd_run) by the
 * fraction IPD_SHAPE_GAIN, and is only tried when the curve at the end is at
 * least IPD_DROP_VISIBLE (one event's drop among the last at risk is then
 * tall enough to count). */
#define IPD_DROP_VISIBLE 0.01
#define IPD_SHAPE_GAIN 0.1

/* Guyot's event rule at one point: with n at risk, the events that bring
 * the reconstructed curve st->km down to surv, d = round(n (1 - surv / KM))
 * clamped to [0, n]; KM moves on (KM <- KM (1 - d / n)). Not the core's
 * product-limit step (ns_km_factor, (n - d) / n): this replays IPDfromKM's
 * arithmetic, and the next point's rounded count can turn on KM's last bit. */
static int guyot_events(ipd_state *st, int n, double surv)
{
  int d = 0;
  if (n > 0 && st->km > 0) {
    d = round_half_up(n * (1.0 - surv / st->km));
    if (d < 0) d = 0;
    if (d > n) d = n;
    if (d > 0) st->km *= 1.0 - (double) d / n;
  }
  return d;
}

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
    if (k > 0) d = guyot_events(&r.end, n, cv->surv[k]);
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

/* The digitising noise of a survival value, as a standard deviation: a
 * value read to the pixel on an axis 500-1000 pixels tall (uniform error of
 * +-1 pixel has sd 0.0006-0.0012). It sets how far a reconstructed curve may
 * stray from the digitised one before the drop heights, rather than the
 * even spread, decide where censorings go: a drop of one event among n is
 * S / n tall, so drops inform once S / (2 n) is a few sigma (n below ~100 at
 * S = 0.5), and with many at risk the even spread decides. */
#ifndef IPD_SIGMA
#define IPD_SIGMA 0.001
#endif

/* The largest dynamic programme dp_gaps runs (state x transition steps). */
#define IPD_DP_MAX_WORK 1e8

/* -log of a Poisson(mu) probability of c, without the constant. */
static double poisson_cost(int c, double mu)
{
  if (c == 0) return mu;
  if (!(mu > 0)) return HUGE_VAL;
  return mu - c * log(mu) + lgamma(c + 1.0);
}

/*
 * Where an interval's censorings go, gap by gap between consecutive points
 * (gap k is [time[k], time[k + 1]); the last one [time[hi], b)): the counts
 * c_k minimising
 *   sum_k (KM_k - S_k)^2 / (2 sigma^2)  +  sum_k -log Poisson(c_k; mu_k),
 * KM_k the reconstructed curve after the events at point k (Guyot's event
 * rule), mu_k = expect (gap length) / (b - a): the posterior mode when the
 * digitised values carry Gaussian noise (IPD_SIGMA) and censoring, a priori,
 * falls evenly over the interval (Guyot's assumption, which alone decides
 * when the drops are too small to tell n), subject to the reconstructed
 * number at risk at b being `target`. Since a drop of d events among n is
 * d / n of the curve, the drops' heights show the number at risk wherever
 * one event's drop stands out of the noise, and the censorings go where they
 * make the heights right. A dynamic programme over the number at risk n in
 * [target, n0] point by point, each state carrying the KM of its best path
 * (so the path chosen is exactly what run_gaps computes); counts beyond mu +
 * 6 sqrt(mu) + 6 are not tried (their prior weight is negligible). Cost
 * O(points x (n0 - target) x (mu + sqrt(mu))); beyond IPD_DP_MAX_WORK steps
 * (tens of thousands at risk in one interval) it returns 0 and the even
 * spread stays. Returns 1 and fills cgap[0 ..
 * hi - lo] when `target` can be reached, 0 when it cannot, -1 when memory
 * runs out.
 */
static int dp_gaps(const ns_ipd_curve *cv, size_t lo, size_t hi, double a, double b,
                    ipd_state st, int target, double expect, int *cgap)
{
  int n0 = st.n_risk;
  if (target < 0 || n0 < target || !(b > a)) return 0;
  size_t R = (size_t) (n0 - target) + 1, P = hi - lo + 1;
  /* Too large a programme (tens of thousands at risk in one interval): keep
   * the even spread, which is what the drops would say with that many. */
  double work = (double) R * (expect + (double) P * (6.0 * sqrt(expect / (double) P) + 7.0));
  if (work > IPD_DP_MAX_WORK || (double) P * (double) R > IPD_DP_MAX_WORK / 4) return 0;
  double *block = malloc(4 * R * sizeof *block);
  int *pred = malloc(2 * P * R * sizeof *pred);
  if (!block || !pred) { free(block); free(pred); return -1; }
  double *cost = block, *km = block + R, *ncost = block + 2 * R, *nkm = block + 3 * R;
  int *cch = pred + P * R;
  double w = 1.0 / (2.0 * IPD_SIGMA * IPD_SIGMA);
  for (size_t s = 0; s < R; s++) { cost[s] = HUGE_VAL; km[s] = st.km; }
  cost[R - 1] = 0;
  for (size_t k = lo; k <= hi; k++) {
    size_t row = (k - lo) * R;
    double next = k < hi ? cv->time[k + 1] : b;
    double mu = expect * (next - cv->time[k]) / (b - a);
    int cmax = (int) ceil(mu + 6.0 * sqrt(mu) + 6.0);
    for (size_t s = 0; s < R; s++) ncost[s] = HUGE_VAL;
    for (size_t s = 0; s < R; s++) {
      if (cost[s] == HUGE_VAL) continue;
      int n = target + (int) s, d = 0;
      double K = km[s];
      if (k > 0 && n > 0 && K > 0) {
        d = round_half_up(n * (1.0 - cv->surv[k] / K));
        if (d < 0) d = 0;
        if (d > n) d = n;
        if (d > 0) K *= 1.0 - (double) d / n;
      }
      double base = cost[s] + (K - cv->surv[k]) * (K - cv->surv[k]) * w;
      int room = n - d - target;
      if (room < 0) continue;
      int c_from = k == hi ? room : 0, c_to = k == hi ? room : (room < cmax ? room : cmax);
      for (int c = c_from; c <= c_to; c++) {
        double tot = base + poisson_cost(c, mu);
        size_t s2 = (size_t) (room - c);
        if (tot < ncost[s2]) {
          ncost[s2] = tot; nkm[s2] = K; pred[row + s2] = (int) s; cch[row + s2] = c;
        }
      }
    }
    double *t = cost; cost = ncost; ncost = t;
    t = km; km = nkm; nkm = t;
  }
  int ok = cost[0] < HUGE_VAL;
  if (ok) {
    size_t s = 0;
    for (size_t q = P; q-- > 0;) {
      cgap[q] = cch[q * R + s];
      s = (size_t) pred[q * R + s];
    }
  }
  free(block);
  free(pred);
  return ok;
}

/* Guyot's event rule over points lo..hi with cgap[k - lo] censorings evenly
 * inside gap k (at time[k] + (next - time[k]) j / (c + 1)); outputs as in
 * run_interval. */
static ipd_run run_gaps(const ns_ipd_curve *cv, size_t lo, size_t hi, double b,
                        const int *cgap, ipd_state st, int *events, int *censored,
                        double *ctime, size_t *nct)
{
  ipd_run r = {st, 0, 0, 0.0, 0.0};
  for (size_t k = lo; k <= hi; k++) {
    int n = r.end.n_risk, d = 0;
    if (k > 0) d = guyot_events(&r.end, n, cv->surv[k]);
    n -= d;
    int c = cgap[k - lo] < n ? cgap[k - lo] : n;
    double next = k < hi ? cv->time[k + 1] : b;
    if (ctime)
      for (int j = 1; j <= c; j++)
        ctime[(*nct)++] = cv->time[k] + (next - cv->time[k]) * j / (c + 1.0);
    n -= c;
    if (events) events[k] = d;
    if (censored) censored[k] = c;
    r.events += d;
    r.censored += c;
    r.end.n_risk = n;
  }
  return r;
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
    double best_shape = 1;
    if (!last) {
      best_c = choose_inner(cv, lo, hi, a, b, 1.0, st, cv->n_risk[i + 1]);
    } else {
      /* How many are censored before the end, and (when one event's drop
       * is tall enough to show it) whether they crowd early or late. */
      double uniform_fit = 0, chosen_fit = 0;
      size_t n_shapes = cv->surv[hi] >= IPD_DROP_VISIBLE ? IPD_N_SHAPES : 1;
      for (size_t q = 0; q < n_shapes; q++) {
        double shape = ipd_shapes[q];
        int c = choose_last(cv, lo, hi, a, b, shape, st, events_before, censored_before, m);
        ipd_run r = run_interval(cv, lo, hi, a, b, c, shape, st, NULL, NULL, NULL, NULL);
        if (cv->total_events >= 0 && q > 0) break; /* events fixed: shape 1 */
        if (q == 0) {
          uniform_fit = chosen_fit = r.lattice;
          best_c = c;
        } else if (r.lattice < (1 - IPD_SHAPE_GAIN) * uniform_fit && r.lattice < chosen_fit) {
          chosen_fit = r.lattice; best_c = c; best_shape = shape;
        }
        if (b <= a) break;
      }
    }
    /* Guyot's placement (even, or the chosen shape in the last interval),
     * then the gap-by-gap placement of dp_gaps with as many censorings
     * expected, kept when it reaches the same number at risk at the end (and,
     * with total_events, the same number of events). */
    ipd_run r0 = run_interval(cv, lo, hi, a, b, best_c, best_shape, st, NULL, NULL, NULL, NULL);
    int target = last ? r0.end.n_risk : cv->n_risk[i + 1];
    int *cgap = malloc((hi - lo + 1) * sizeof *cgap);
    if (!cgap) return NS_ERR_NOMEM;
    int dp_ok = dp_gaps(cv, lo, hi, a, b, st, target, r0.censored + 0.5, cgap);
    if (dp_ok < 0) { free(cgap); return NS_ERR_NOMEM; }
    if (dp_ok && last && cv->total_events >= 0)
      dp_ok = run_gaps(cv, lo, hi, b, cgap, st, NULL, NULL, NULL, NULL).events == r0.events;
    ipd_run r;
    if (dp_ok)
      r = run_gaps(cv, lo, hi, b, cgap, st, res->events, res->censored, res->censor_time, &nct);
    else
      r = run_interval(cv, lo, hi, a, b, best_c, best_shape, st, res->events,
                       res->censored, res->censor_time, &nct);
    free(cgap);
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
