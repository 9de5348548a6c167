/*
 * cuminc.c -- competing risks: the Aalen-Johansen cumulative incidence per
 * group and cause with its standard errors, and Gray's K-sample test.
 *
 * Notation (one group; weighted counts). At a distinct stop time t: n is the
 * weight at risk (start < t <= stop), d_k the weight of events of cause k,
 * d = sum_k d_k, h = d / n, h_k = d_k / n. S(t) = prod (1 - h) is the
 * event-free probability and F_k(t) = sum_{s <= t} S(s-) h_k(s) the
 * cumulative incidence of cause k (survfit's pstate for a competing-risks
 * Surv(time, factor) response).
 *
 * The infinitesimal-jackknife variance (survfit's for multi-state curves) is
 * sum over clusters of (sum_{rows i in it} w_i U_i(t))^2 with
 * U_i(t) = dF_k(t) / dw_i. Differentiating the recursions, with
 * Hd(t) = sum_{s <= t} h / (n (1 - h)) and
 * P_k(t) = sum_{s <= t} S(s-) h_k(s) (Hd(s-) - 1 / n(s)), one finds for a
 * row that enters at e and leaves at T:
 *   t <= e       U = 0
 *   e < t < T    U = P_k(t) - P_k(e) - Hd(e) (F_k(t) - F_k(e))
 *   t >= T       U = U(T) + g (F_k(t) - F_k(T)),   U(T) adding
 *                [event of cause k at T] S(T-) / n(T), and
 *                g = Hd(T-) - Hd(e) - 1 / n(T) for an event (any cause),
 *                g = Hd(T) - Hd(e) for a censoring (g = 0 once S = 0).
 * So every row's (and every cluster's) influence is c0 + c1 F_k(t) +
 * c2 P_k(t) with coefficients that change only when the row enters or
 * leaves; the variance is a quadratic form in (1, F_k, P_k) whose six
 * coefficients are running sums over clusters. One sort (two with entry
 * times), then one linear scan (ns_cuminc_fit's steps, below).
 *
 * The other variance is the one cmprsk's cuminc() reports (Gray's program
 * cinc, after Aalen 1978 / Dinse & Larson 1986): running sums v1, v2, v3
 * updated at every event time, read off at the events of the cause.
 *
 * References: Aalen & Johansen (1978), Scand J Statist 5, 141-150; Efron
 * (1982) for the infinitesimal jackknife; Gray (1988), Ann Statist 16,
 * 1141-1154 for the test; Therneau, "Multi-state models" (survival vignette).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "internal.h"

void ns_cuminc_free(ns_cuminc_result *out)
{
  if (!out) return;
  free(out->time);
  free(out->n_risk);
  free(out->n_censor);
  free(out->surv);
  free(out->n_event);
  free(out->estimate);
  free(out->std_err);
  free(out->group_times);
  free(out->group_rows);
  memset(out, 0, sizeof *out);
}

static ns_status check_rows(const ns_cuminc_data *d)
{
  if (d->n_cause < 1 || d->n_group < 1) return NS_ERR_ARGUMENT;
  if (d->n > 0 && (!d->time || !d->cause)) return NS_ERR_ARGUMENT;
  if (d->variance == NS_CUMINC_GRAY && d->start) return NS_ERR_ARGUMENT;
  if (d->variance != NS_CUMINC_GRAY && d->variance != NS_CUMINC_JACKKNIFE)
    return NS_ERR_ARGUMENT;
  for (size_t i = 0; i < d->n; i++) {
    if (!isfinite(d->time[i])) return NS_ERR_TIME;
    if (d->start) {
      if (!isfinite(d->start[i])) return NS_ERR_TIME;
      if (!(d->start[i] < d->time[i])) return NS_ERR_START_STOP;
    }
    if (d->cause[i] < 0 || d->cause[i] > d->n_cause) return NS_ERR_STATUS;
    if (d->weight && (!isfinite(d->weight[i]) || d->weight[i] < 0)) return NS_ERR_WEIGHT;
    if (d->group && (d->group[i] < 0 || d->group[i] >= d->n_group)) return NS_ERR_STRATUM;
    if (d->cluster && (d->cluster[i] < 0 || (size_t) d->cluster[i] >= d->n_cluster))
      return NS_ERR_ARGUMENT;
  }
  return NS_OK;
}

/* Running sums of the quadratic form in (1, F_k, P_k), see the top. */
typedef struct {
  int K;
  double *q00, *q01, *q02; /* per cause */
  double q11, q12, q22;
} quadsum;

/* Replace a cluster's coefficient vector old (c1, c2, c0[K]) by new. */
static void quad_swap(quadsum *q, const double *old, const double *new_)
{
  double o1 = old[0], o2 = old[1], n1 = new_[0], n2 = new_[1];
  q->q11 += n1 * n1 - o1 * o1;
  q->q12 += n1 * n2 - o1 * o2;
  q->q22 += n2 * n2 - o2 * o2;
  for (int k = 0; k < q->K; k++) {
    double o0 = old[2 + k], n0 = new_[2 + k];
    q->q00[k] += n0 * n0 - o0 * o0;
    q->q01[k] += n0 * n1 - o0 * o1;
    q->q02[k] += n0 * n2 - o0 * o2;
  }
}

static double quad_value(const quadsum *q, int k, double f, double p)
{
  double v = q->q00[k] + 2 * f * q->q01[k] + 2 * p * q->q02[k] + f * f * q->q11 +
             2 * f * p * q->q12 + p * p * q->q22;
  return v > 0 ? v : 0.0;
}

/* One fit's working state: the rows in (group, stop) order, the scratch, and
 * the running state of the scan through the current group. */
typedef struct {
  const ns_cuminc_data *data;
  size_t n;
  int K;
  int counting;          /* (start, stop] data */
  int gray;              /* cmprsk's variance, else the jackknife */
  int use_clusters;      /* jackknife summed by cluster (or row, with entries) */
  size_t width;          /* one coefficient vector: c1, c2, c0[K] */
  double *time, *start;  /* the times after the fuzz rule (ns_time_fix) */
  int *order;            /* rows by (group, stop) */
  int *order_start;      /* rows by (group, start) */
  double *ts, *ws;       /* stop time and weight in (group, stop) order */
  int *cs;               /* cause in that order */
  double *cl;            /* each cluster's coefficients (use_clusters) */
  double *entry;         /* each row's own coefficients from its entry
                            ((start, stop] data) */
  double *scratch;       /* the per-cause vectors below and q's sums */
  double *F, *P;         /* F_k(t), P_k(t) (see the top) */
  double *dk, *rows_event; /* at t: event weight, event rows, by cause */
  double *old, *new_;    /* width: coefficient vectors being swapped */
  double *v1, *v2, *v3, *gvar; /* cmprsk's running sums and its variance */
  quadsum q;
  double S, Hd;          /* S(t), Hd(t); S_prev, Hd_prev: their values at t- */
  double S_prev, Hd_prev;
  double n_risk;         /* weight at risk (risk_update) */
  /* The weighted number at risk is (rows entered) - (rows that left): an
   * exact running sum of weights of any size (internal.h), so that a risk
   * set of one tiny weight left after large ones is that weight, not 0
   * (fuzz_competing 6f4ab183, #13; 108bacd5: 1e308 + 5.5 - 1e308 was 0;
   * d4bf402b: a group-wide 2^-64 scale flushed 2.2e-308 to 0). */
  ns_weight_sum risk_sum;
  double rows_risk;      /* rows at risk */
} cuminc_scan;

static void scan_free(cuminc_scan *sc)
{
  free(sc->time);
  free(sc->start);
  free(sc->order);
  free(sc->order_start);
  free(sc->ts);
  free(sc->cs);
  free(sc->ws);
  free(sc->cl);
  free(sc->entry);
  free(sc->scratch);
}

/* Copy the times (merging fuzz ties), order the rows by (group, stop) -- and
 * by (group, start) for (start, stop] data -- and gather the stop times,
 * causes and weights in that order (the scans then read memory in order). */
static ns_status scan_prepare(cuminc_scan *sc, const ns_cuminc_data *data)
{
  const size_t n = data->n, nn = n ? n : 1;
  const int K = data->n_cause;
  memset(sc, 0, sizeof *sc);
  sc->data = data;
  sc->n = n;
  sc->K = K;
  sc->counting = data->start != NULL;
  sc->gray = data->variance == NS_CUMINC_GRAY;
  sc->use_clusters = !sc->gray && (data->cluster != NULL || sc->counting);
  sc->width = (size_t) K + 2;
  sc->time = malloc(nn * sizeof *sc->time);
  sc->order = malloc(nn * sizeof *sc->order);
  sc->ts = malloc(nn * sizeof *sc->ts);
  sc->cs = malloc(nn * sizeof *sc->cs);
  sc->ws = malloc(nn * sizeof *sc->ws);
  sc->scratch = calloc(11 * (size_t) K + 2 * sc->width, sizeof *sc->scratch);
  if (sc->counting) {
    sc->start = malloc(nn * sizeof *sc->start);
    sc->order_start = malloc(nn * sizeof *sc->order_start);
  }
  if (!sc->time || !sc->order || !sc->ts || !sc->cs || !sc->ws || !sc->scratch ||
      (sc->counting && (!sc->start || !sc->order_start)))
    return NS_ERR_NOMEM;
  sc->F = sc->scratch;
  sc->P = sc->F + K;
  sc->dk = sc->P + K;
  sc->rows_event = sc->dk + K;
  sc->old = sc->rows_event + K;
  sc->new_ = sc->old + sc->width;
  sc->v1 = sc->new_ + sc->width;
  sc->v2 = sc->v1 + K;
  sc->v3 = sc->v2 + K;
  sc->gvar = sc->v3 + K;
  sc->q.K = K;
  sc->q.q00 = sc->gvar + K;
  sc->q.q01 = sc->q.q00 + K;
  sc->q.q02 = sc->q.q01 + K;

  ns_status st;
  if (data->time_fix > 0) {
    int changed = 0;
    st = ns_time_fix(n, data->time, data->start, data->time_fix, sc->time, sc->start,
                     &changed, NULL);
    if (st != NS_OK) return st;
  } else {
    memcpy(sc->time, data->time, n * sizeof *sc->time);
    if (sc->counting) memcpy(sc->start, data->start, n * sizeof *sc->start);
  }
  st = ns_sort_order(n, data->group, sc->time, sc->order);
  if (st != NS_OK) return st;
  if (sc->counting) {
    st = ns_sort_order(n, data->group, sc->start, sc->order_start);
    if (st != NS_OK) return st;
  }
  for (size_t a = 0; a < n; a++) {
    int r = sc->order[a];
    sc->ts[a] = sc->time[r];
    sc->cs[a] = data->cause[r];
    sc->ws[a] = data->weight ? data->weight[r] : 1.0;
  }
  return NS_OK;
}

/* Count each group's rows and time points (its distinct stop times), then
 * allocate the result and the coefficient vectors. */
static ns_status result_alloc(cuminc_scan *sc, ns_cuminc_result *out)
{
  const ns_cuminc_data *data = sc->data;
  const size_t n = sc->n, nn = n ? n : 1;
  const int K = sc->K, G = data->n_group;
  out->group_times = calloc((size_t) G, sizeof *out->group_times);
  out->group_rows = calloc((size_t) G, sizeof *out->group_rows);
  if (!out->group_times || !out->group_rows) return NS_ERR_NOMEM;
  size_t m = 0;
  for (size_t a = 0; a < n; a++) {
    int r = sc->order[a];
    int g = data->group ? data->group[r] : 0;
    out->group_rows[g]++;
    if (a == 0 || sc->ts[a - 1] != sc->ts[a] ||
        (data->group && data->group[sc->order[a - 1]] != g)) {
      out->group_times[g]++;
      m++;
    }
  }
  size_t mm = m ? m : 1;
  out->m = m;
  out->n_cause = K;
  out->n_group = G;
  out->time = malloc(mm * sizeof(double));
  out->n_risk = malloc(mm * sizeof(double));
  out->n_censor = malloc(mm * sizeof(double));
  out->surv = malloc(mm * sizeof(double));
  out->n_event = malloc(mm * (size_t) K * sizeof(double));
  out->estimate = malloc(mm * (size_t) K * sizeof(double));
  out->std_err = malloc(mm * (size_t) K * sizeof(double));
  if (sc->use_clusters) {
    size_t n_cl = data->cluster ? data->n_cluster : n;
    sc->cl = calloc(n_cl * sc->width, sizeof *sc->cl);
    if (sc->counting) sc->entry = malloc(nn * sc->width * sizeof *sc->entry);
  }
  if (!out->time || !out->n_risk || !out->n_censor || !out->surv || !out->n_event ||
      !out->estimate || !out->std_err ||
      (sc->use_clusters && (!sc->cl || (sc->counting && !sc->entry))))
    return NS_ERR_NOMEM;
  return NS_OK;
}

/* Weight w (>= 0, or minus a leaving row's) joins the exact sum; then
 * risk_update() reads the number at risk off it. */
static void risk_term(cuminc_scan *sc, double w)
{
  ns_weight_sum_add(&sc->risk_sum, w);
}

static void risk_update(cuminc_scan *sc)
{
  sc->n_risk = ns_weight_sum_value(&sc->risk_sum);
}

/* A group starts with every running sum at zero and S = 1; right-censored
 * rows (sorted positions a .. a_end - 1) are all at risk from the start.
 * NS_ERR_WEIGHT when the group's weights sum past DBL_MAX. */
static ns_status group_start(cuminc_scan *sc, size_t a, size_t a_end)
{
  const ns_cuminc_data *data = sc->data;
  quadsum *q = &sc->q;
  double wtot = 0.0;
  for (size_t i = a; i < a_end; i++) wtot += data->weight ? data->weight[sc->order[i]] : 1.0;
  if (!isfinite(wtot)) return NS_ERR_WEIGHT;
  sc->risk_sum.small.n = sc->risk_sum.big.n = 0;
  for (int k = 0; k < sc->K; k++) {
    sc->F[k] = sc->P[k] = 0;
    sc->v1[k] = sc->v2[k] = sc->v3[k] = sc->gvar[k] = 0;
    q->q00[k] = q->q01[k] = q->q02[k] = 0;
  }
  q->q11 = q->q12 = q->q22 = 0;
  sc->S = 1;
  sc->Hd = 0;
  sc->n_risk = 0;
  sc->rows_risk = 0;
  if (sc->counting) return NS_OK;
  for (size_t i = a; i < a_end; i++) {
    int r = sc->order[i];
    double w = data->weight ? data->weight[r] : 1.0;
    risk_term(sc, w);
    sc->rows_risk += 1;
    if (sc->use_clusters) {
      double *c = sc->cl + (size_t) data->cluster[r] * sc->width;
      memcpy(sc->old, c, sc->width * sizeof *sc->old);
      c[1] += w;
      quad_swap(q, sc->old, c);
    } else if (!sc->gray) {
      q->q22 += w * w;
    }
  }
  risk_update(sc);
  return NS_OK;
}

/* (start, stop] data: the rows whose start is before t (from position e of
 * the start order, up to e_end) join the risk set, each with its own
 * coefficients (c1, c2, c0_k) = (-Hd(e), 1, -P_k(e) + Hd(e) F_k(e)).
 * Returns the next position. */
static size_t enter_rows(cuminc_scan *sc, double t, size_t e, size_t e_end)
{
  const ns_cuminc_data *data = sc->data;
  const size_t width = sc->width;
  while (e < e_end && sc->start[sc->order_start[e]] < t) {
    int r = sc->order_start[e++];
    double w = data->weight ? data->weight[r] : 1.0;
    risk_term(sc, w);
    sc->rows_risk += 1;
    double *own = sc->entry + (size_t) r * width;
    own[0] = -sc->Hd;
    own[1] = 1;
    for (int k = 0; k < sc->K; k++) own[2 + k] = -sc->P[k] + sc->Hd * sc->F[k];
    double *c = sc->cl + (size_t) (data->cluster ? data->cluster[r] : r) * width;
    memcpy(sc->old, c, width * sizeof *sc->old);
    for (size_t j = 0; j < width; j++) c[j] += w * own[j];
    quad_swap(&sc->q, sc->old, c);
  }
  risk_update(sc);
  return e;
}

/* The rows tied at stop time t, sorted positions a .. b - 1 (b returned):
 * the event weight of each cause (dk) and of all causes (*d), the event rows
 * of each cause (rows_event) and the censored rows (*cens). */
static size_t tally_time(cuminc_scan *sc, size_t a, size_t a_end, double t, double *d,
                         double *cens)
{
  size_t b = a;
  double dsum = 0, csum = 0;
  for (int k = 0; k < sc->K; k++) sc->dk[k] = sc->rows_event[k] = 0;
  while (b < a_end && sc->ts[b] == t) {
    double w = sc->ws[b];
    int cause = sc->cs[b];
    b++;
    if (cause > 0) { sc->dk[cause - 1] += w; dsum += w; sc->rows_event[cause - 1] += 1; }
    else csum += 1;
  }
  *d = dsum;
  *cens = csum;
  return b;
}

/* The Aalen-Johansen step at t (event weight d): F_k, P_k, S and Hd move
 * on; S_prev and Hd_prev keep their values at t-. */
static void aj_step(cuminc_scan *sc, double d)
{
  const double n_risk = sc->n_risk;
  const double S_prev = sc->S, Hd_prev = sc->Hd;
  sc->S_prev = S_prev;
  sc->Hd_prev = Hd_prev;
  int emptied = n_risk > 0 && d >= n_risk;
  if (n_risk > 0 && d > 0) {
    /* When the risk set empties, d = n but for rounding: the event weight
     * is summed row by row, the number at risk exactly, and six weights of
     * 1e-15 gave d / n = 1 + 2e-16 and F = 1.0000000000000002
     * (fuzz_competing 6cb198f9). The causes then share S_prev as dk / d,
     * which sum to 1, and F stays <= 1. */
    const double denom = emptied ? d : n_risk;
    for (int k = 0; k < sc->K; k++) {
      double hk = sc->dk[k] / denom;
      sc->P[k] += S_prev * hk * (Hd_prev - 1.0 / n_risk);
      sc->F[k] += S_prev * hk;
      if (sc->F[k] > 1.0) sc->F[k] = 1.0; /* F_prev + S_prev rounded above 1 */
    }
    /* the product-limit step of internal.h: S reaches 0 when d >= n */
    sc->S = S_prev * ns_km_factor(n_risk, d);
    if (!emptied) sc->Hd = Hd_prev + d / (n_risk * ns_km_survivors(n_risk, d));
  }
}

/* cmprsk's running sums at an event time (event weight d > 0); n_risk is
 * the number at risk. */
static void gray_sums(cuminc_scan *sc, double d)
{
  const double n_risk = sc->n_risk, S = sc->S, S_prev = sc->S_prev;
  double *F = sc->F, *v1 = sc->v1, *v2 = sc->v2, *v3 = sc->v3;
  for (int k = 0; k < sc->K; k++) {
    double nd1 = sc->dk[k], nd2 = d - sc->dk[k];
    if (nd2 > 0 && S > 0) {
      double t5 = nd2 > 1 ? 1 - (nd2 - 1) / (n_risk - 1) : 1;
      double t6 = S_prev * S_prev * t5 * nd2 / (n_risk * n_risk);
      double t3 = 1 / S, t4 = F[k] / S;
      v1[k] += t4 * t4 * t6;
      v2[k] += t3 * t4 * t6;
      v3[k] += t3 * t3 * t6;
    }
    if (nd1 > 0) {
      double t5 = nd1 > 1 ? 1 - (nd1 - 1) / (n_risk - 1) : 1;
      double t6 = S_prev * S_prev * t5 * nd1 / (n_risk * n_risk);
      double t3 = S > 0 ? 1 / S : 0, t4 = 1 + t3 * F[k];
      v1[k] += t4 * t4 * t6;
      v2[k] += t3 * t4 * t6;
      v3[k] += t3 * t3 * t6;
      sc->gvar[k] = v1[k] + F[k] * F[k] * v3[k] - 2 * F[k] * v2[k];
    }
  }
}

/* The jackknife: the rows leaving at t (sorted positions a .. b - 1) trade
 * their coefficients while at risk for the ones they keep after T (see the
 * top), in their cluster's vector and in the quadratic form. */
static void leave_rows(cuminc_scan *sc, size_t a, size_t b)
{
  const ns_cuminc_data *data = sc->data;
  const size_t width = sc->width;
  const double S = sc->S, S_prev = sc->S_prev, Hd = sc->Hd, Hd_prev = sc->Hd_prev;
  const double n_risk = sc->n_risk;
  double *old = sc->old, *new_ = sc->new_;
  for (size_t i = a; i < b; i++) {
    int r = sc->order[i];
    double w = sc->ws[i];
    int cause = sc->cs[i];
    const double *own = NULL;
    double c1 = 0, c2 = 1;
    if (sc->counting) { own = sc->entry + (size_t) r * width; c1 = own[0]; }
    double gcoef;
    if (S == 0 || n_risk <= 0) gcoef = 0;
    else if (cause > 0) gcoef = Hd_prev + c1 - 1.0 / n_risk;
    else gcoef = Hd + c1;
    /* c1 = -Hd(e) */
    new_[0] = w * gcoef;
    new_[1] = 0;
    old[0] = w * c1;
    old[1] = w * c2;
    for (int k = 0; k < sc->K; k++) {
      double c0 = own ? own[2 + k] : 0.0;
      double u = c0 + c1 * sc->F[k] + sc->P[k];
      if (cause == k + 1 && n_risk > 0) u += S_prev / n_risk;
      old[2 + k] = w * c0;
      new_[2 + k] = w * (u - gcoef * sc->F[k]);
    }
    if (sc->use_clusters) {
      double *c = sc->cl + (size_t) (data->cluster ? data->cluster[r] : r) * width;
      for (size_t j = 0; j < width; j++) {
        double delta = new_[j] - old[j];
        old[j] = c[j];
        c[j] += delta;
      }
      quad_swap(&sc->q, old, c);
    } else {
      quad_swap(&sc->q, old, new_);
    }
  }
}

/* Time point `point` of the result: the counts, S and, per cause, the
 * estimate and its standard error. */
static void write_point(const cuminc_scan *sc, ns_cuminc_result *out, size_t point,
                        double t, double cens)
{
  const size_t m = out->m;
  out->time[point] = t;
  out->n_risk[point] = sc->rows_risk;
  out->n_censor[point] = cens;
  out->surv[point] = sc->S;
  for (int k = 0; k < sc->K; k++) {
    out->n_event[(size_t) k * m + point] = sc->rows_event[k];
    out->estimate[(size_t) k * m + point] = sc->F[k];
    double v = sc->gray ? sc->gvar[k] : quad_value(&sc->q, k, sc->F[k], sc->P[k]);
    out->std_err[(size_t) k * m + point] = sqrt(v > 0 ? v : 0);
  }
}

/* The rows at sorted positions a .. b - 1 leave the risk set. */
static void drop_rows(cuminc_scan *sc, size_t a, size_t b)
{
  for (size_t i = a; i < b; i++) risk_term(sc, -sc->ws[i]);
  risk_update(sc);
  sc->rows_risk -= (double) (b - a);
}

/* Clear the clusters the group's rows (sorted positions a .. a_end - 1)
 * touched: they may recur in another group. */
static void clear_clusters(cuminc_scan *sc, size_t a, size_t a_end)
{
  for (size_t i = a; i < a_end; i++) {
    int r = sc->order[i];
    size_t c = sc->data->cluster ? (size_t) sc->data->cluster[r] : (size_t) r;
    memset(sc->cl + c * sc->width, 0, sc->width * sizeof *sc->cl);
  }
}

ns_status ns_cuminc_fit(const ns_cuminc_data *data, ns_cuminc_result *out,
                        ns_callback callback, void *context)
{
  if (!data || !out) return NS_ERR_ARGUMENT;
  memset(out, 0, sizeof *out);
  ns_status st = check_rows(data);
  if (st != NS_OK) return st;

  cuminc_scan sc;
  st = scan_prepare(&sc, data);
  if (st == NS_OK) st = result_alloc(&sc, out);
  if (st != NS_OK) goto done;

  /* Group after group, time after time: entries, the tied rows, the
   * estimator's step, the variance's, then the rows leave. */
  ns_throttle throttle = ns_throttle_start(callback, context);
  size_t a = 0, e = 0, point = 0;
  for (int g = 0; g < data->n_group; g++) {
    const size_t group_first = a;
    const size_t a_end = a + (size_t) out->group_rows[g];
    const size_t e_end = e + (size_t) out->group_rows[g];
    st = group_start(&sc, a, a_end);
    if (st != NS_OK) goto done;
    while (a < a_end) {
      double t = sc.ts[a], d, cens;
      if (sc.counting) e = enter_rows(&sc, t, e, e_end);
      size_t b = tally_time(&sc, a, a_end, t, &d, &cens);
      aj_step(&sc, d);
      if (sc.gray && d > 0) gray_sums(&sc, d);
      if (!sc.gray) leave_rows(&sc, a, b);
      write_point(&sc, out, point++, t, cens);
      drop_rows(&sc, a, b);
      size_t rows = b - a;
      a = b;
      if (ns_throttle_tick(&throttle, rows, (double) a / (double) data->n)) {
        st = NS_ERR_INTERRUPTED;
        goto done;
      }
    }
    if (sc.use_clusters) clear_clusters(&sc, group_first, a_end);
    e = e_end;
  }

done:
  scan_free(&sc);
  if (st != NS_OK) ns_cuminc_free(out);
  return st;
}

/* ---- Gray's test ---------------------------------------------------------- */

/* Rows sorted by (stratum, time), gathered into contiguous arrays. */
typedef struct {
  size_t n;
  const double *time, *weight;
  const int *cause, *group, *stratum;
} gray_rows;

/* Gray's score and variance for one cause (target) on sorted rows. */
static ns_status gray_one(const gray_rows *rows, int target, int n_group, double rho,
                          double *score, double *var)
{
  const size_t n = rows->n;
  const double *time = rows->time, *weight = rows->weight;
  const int *cause = rows->cause, *group = rows->group, *stratum = rows->stratum;
  const size_t ng = (size_t) n_group, ng1 = ng - 1;
  /* per group: rs f1m f1 skmm skm v3 d0 d1 d2; ng x ng: a c; ng1 x ng: v2;
   * ng1 x ng1: v (full, lower used) */
  double *buf = calloc(9 * ng + 2 * ng * ng + ng1 * ng + ng1 * ng1 + ng1, sizeof *buf);
  if (!buf) return NS_ERR_NOMEM;
  double *rs = buf, *f1m = rs + ng, *f1 = f1m + ng, *skmm = f1 + ng, *skm = skmm + ng;
  double *v3 = skm + ng, *d0 = v3 + ng, *d1 = d0 + ng, *d2 = d1 + ng;
  double *A = d2 + ng, *C = A + ng * ng, *V2 = C + ng * ng, *V = V2 + ng1 * ng;
  double *s = V + ng1 * ng1;
#define AT(M, i, j) M[(size_t) (i) + (size_t) (j) * ng]
#define V2AT(i, k) V2[(size_t) (i) + (size_t) (k) * ng1]
#define VAT(i, j) V[(size_t) (i) + (size_t) (j) * ng1]
  for (size_t i = 0; i < ng1; i++) score[i] = 0;
  for (size_t i = 0; i < ng1 * ng1; i++) var[i] = 0;

  size_t a = 0;
  while (a < n) {
    int h = stratum ? stratum[a] : 0;
    size_t a_end = a;
    while (a_end < n && (stratum ? stratum[a_end] : 0) == h) a_end++;
    for (size_t i = 0; i < ng; i++) {
      rs[i] = 0; f1m[i] = f1[i] = 0; skmm[i] = skm[i] = 1; v3[i] = 0;
    }
    for (size_t i = 0; i < ng * ng; i++) C[i] = 0;
    for (size_t i = 0; i < ng1 * ng; i++) V2[i] = 0;
    for (size_t i = 0; i < ng1 * ng1; i++) V[i] = 0;
    for (size_t i = 0; i < ng1; i++) s[i] = 0;
    for (size_t i = a; i < a_end; i++)
      rs[group[i]] += weight ? weight[i] : 1.0;
    double fm = 0, f = 0;
    while (a < a_end) {
      double t = time[a];
      size_t b = a;
      for (size_t i = 0; i < ng; i++) d0[i] = d1[i] = d2[i] = 0;
      double nd1 = 0, nd2 = 0;
      while (b < a_end && time[b] == t) {
        size_t r = b++;
        double w = weight ? weight[r] : 1.0;
        int gr = group[r];
        if (cause[r] == 0) d0[gr] += w;
        else if (cause[r] == target) { d1[gr] += w; nd1 += w; }
        else { d2[gr] += w; nd2 += w; }
      }
      if (nd1 > 0 || nd2 > 0) {
        double tr = 0, tq = 0;
        for (size_t i = 0; i < ng; i++) {
          if (rs[i] <= 0) continue;
          skm[i] = skmm[i] * (rs[i] - d1[i] - d2[i]) / rs[i];
          f1[i] = f1m[i] + skmm[i] * d1[i] / rs[i];
          tr += rs[i] / skmm[i];
          tq += rs[i] * (1 - f1m[i]) / skmm[i];
        }
        f = fm + nd1 / tr;
        double fb = rho == 0 ? 1.0 : pow(1 - fm, rho);
        /* a: the weight matrix of the score at t; c accumulates a / the
         * subdistribution risk set, for the variance's correction terms. */
        for (size_t i = 0; i < ng; i++) {
          for (size_t j = i; j < ng; j++) AT(A, i, j) = 0;
          if (rs[i] <= 0) continue;
          double t1 = rs[i] / skmm[i];
          AT(A, i, i) = fb * t1 * (1 - t1 / tr);
          if (AT(A, i, i) != 0) AT(C, i, i) += AT(A, i, i) * nd1 / (tr * (1 - fm));
          for (size_t j = i + 1; j < ng; j++) {
            if (rs[j] <= 0) continue;
            AT(A, i, j) = -fb * t1 * rs[j] / (skmm[j] * tr);
            if (AT(A, i, j) != 0) AT(C, i, j) += AT(A, i, j) * nd1 / (tr * (1 - fm));
          }
        }
        for (size_t i = 1; i < ng; i++)
          for (size_t j = 0; j < i; j++) {
            AT(A, i, j) = AT(A, j, i);
            AT(C, i, j) = AT(C, j, i);
          }
        for (size_t i = 0; i < ng1; i++) {
          if (rs[i] <= 0) continue;
          s[i] += fb * (d1[i] - nd1 * rs[i] * (1 - f1m[i]) / (skmm[i] * tq));
        }
        if (nd1 > 0) {
          for (size_t k = 0; k < ng; k++) {
            if (rs[k] <= 0) continue;
            double t4 = skm[k] > 0 ? 1 - (1 - f) / skm[k] : 1;
            double t5 = nd1 > 1 ? 1 - (nd1 - 1) / (tr * skmm[k] - 1) : 1;
            double t3 = t5 * skmm[k] * nd1 / (tr * rs[k]);
            v3[k] += t4 * t4 * t3;
            for (size_t i = 0; i < ng1; i++) {
              double t1 = AT(A, i, k) - t4 * AT(C, i, k);
              V2AT(i, k) += t1 * t4 * t3;
              for (size_t j = 0; j <= i; j++) {
                double t2 = AT(A, j, k) - t4 * AT(C, j, k);
                VAT(i, j) += t1 * t2 * t3;
              }
            }
          }
        }
        if (nd2 > 0) {
          for (size_t k = 0; k < ng; k++) {
            if (skm[k] <= 0 || d2[k] <= 0) continue;
            double t4 = (1 - f) / skm[k];
            double t5 = d2[k] > 1 ? 1 - (d2[k] - 1) / (rs[k] - 1) : 1;
            double t3 = t5 * skmm[k] * skmm[k] * d2[k] / (rs[k] * rs[k]);
            v3[k] += t4 * t4 * t3;
            for (size_t i = 0; i < ng1; i++) {
              double t1 = t4 * AT(C, i, k);
              V2AT(i, k) -= t1 * t4 * t3;
              for (size_t j = 0; j <= i; j++) {
                double t2 = t4 * AT(C, j, k);
                VAT(i, j) += t1 * t2 * t3;
              }
            }
          }
        }
      }
      for (size_t i = a; i < b; i++) rs[group[i]] -= weight ? weight[i] : 1.0;
      fm = f;
      for (size_t i = 0; i < ng; i++) { f1m[i] = f1[i]; skmm[i] = skm[i]; }
      a = b;
    }
    for (size_t i = 0; i < ng1; i++) {
      for (size_t j = 0; j <= i; j++) {
        double v = VAT(i, j);
        for (size_t k = 0; k < ng; k++)
          v += AT(C, i, k) * AT(C, j, k) * v3[k] + AT(C, i, k) * V2AT(j, k) +
               AT(C, j, k) * V2AT(i, k);
        var[i + j * ng1] += v;
        if (i != j) var[j + i * ng1] += v;
      }
      score[i] += s[i];
    }
  }
#undef AT
#undef V2AT
#undef VAT
  free(buf);
  return NS_OK;
}

ns_status ns_cuminc_gray_test(size_t n, const double *time, const int *cause,
                              int n_cause, const double *weight, const int *group,
                              int n_group, const int *stratum, int n_stratum,
                              double rho, double *score, double *var,
                              double *statistic, int *df)
{
  if (n_group < 2) return NS_ERR_ONE_GROUP;
  if (!time || !cause || !group || n_cause < 1 || n_stratum < 1 || !score || !var ||
      !statistic || !df || !isfinite(rho))
    return NS_ERR_ARGUMENT;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i])) return NS_ERR_TIME;
    if (cause[i] < 0 || cause[i] > n_cause) return NS_ERR_STATUS;
    if (group[i] < 0 || group[i] >= n_group) return NS_ERR_STRATUM;
    if (stratum && (stratum[i] < 0 || stratum[i] >= n_stratum)) return NS_ERR_STRATUM;
    /* whole numbers only: Gray's tie corrections count subjects ((d - 1) /
     * (n - 1)) and mean nothing for a fraction of one (weights 0.75 and
     * 1.875 gave a negative diagonal, fuzz_competing 487b126b); cmprsk, the
     * oracle, takes no weights, and cuminc() asks for frequencies */
    if (weight && (!isfinite(weight[i]) || weight[i] < 0 || weight[i] != floor(weight[i])))
      return NS_ERR_WEIGHT;
  }
  /* the risk sets pool the groups: weights summing past DBL_MAX are refused */
  if (weight) {
    double tot = 0;
    for (size_t i = 0; i < n; i++) tot += weight[i];
    if (!isfinite(tot)) return NS_ERR_WEIGHT;
  }
  const size_t ng1 = (size_t) n_group - 1, nn = n ? n : 1;
  int *order = malloc(nn * sizeof *order);
  double *st_time = malloc(nn * sizeof *st_time);
  double *st_weight = weight ? malloc(nn * sizeof *st_weight) : NULL;
  int *st_cause = malloc(nn * sizeof *st_cause), *st_group = malloc(nn * sizeof *st_group);
  int *st_stratum = stratum ? malloc(nn * sizeof *st_stratum) : NULL;
  double *events = calloc((size_t) n_cause, sizeof *events);
  double *factor = malloc((2 * ng1 * ng1 + 2 * ng1) * sizeof *factor);
  int *keep = malloc(ng1 * sizeof *keep);
  ns_status st = NS_OK;
  if (!order || !st_time || (weight && !st_weight) || !st_cause || !st_group ||
      (stratum && !st_stratum) || !events || !factor || !keep) {
    st = NS_ERR_NOMEM;
    goto done;
  }
  st = ns_sort_order(n, stratum, time, order);
  if (st != NS_OK) goto done;
  for (size_t i = 0; i < n; i++) {
    int r = order[i];
    st_time[i] = time[r];
    st_cause[i] = cause[r];
    st_group[i] = group[r];
    if (weight) st_weight[i] = weight[r];
    if (stratum) st_stratum[i] = stratum[r];
    if (cause[r] > 0 && (!weight || weight[r] > 0)) events[cause[r] - 1] += 1;
  }
  gray_rows rows = {n, st_time, st_weight, st_cause, st_group, st_stratum};
  *df = (int) ng1;
  for (int k = 0; k < n_cause; k++) {
    double *s = score + (size_t) k * ng1, *v = var + (size_t) k * ng1 * ng1;
    st = gray_one(&rows, k + 1, n_group, rho, s, v);
    if (st != NS_OK) goto done;
    /* s' V^-1 s; NaN when V is singular (cmprsk reports -1 then) or the
     * cause has no events */
    statistic[k] = NAN;
    if (events[k] == 0) continue;
    double maxdiag = 0;
    for (size_t i = 0; i < ng1; i++) if (v[i + i * ng1] > maxdiag) maxdiag = v[i + i * ng1];
    if (!(maxdiag > 0)) continue;
    /* V / max diag: V scales with the weights, and its factorization's
     * tolerance should not (fuzz_competing a3ac3979 found weights 1e-160,
     * which are now refused, giving a V of subnormals); s' V^-1 s = z' (V / m)^-1 z, z = s / sqrt(m). A factorization that still
     * fails is a singular V: NaN, as the contract says. */
    double *vs = factor + ng1 * ng1 + 2 * ng1;
    int finite = isfinite(maxdiag);
    for (size_t i = 0; i < ng1; i++) finite &= isfinite(s[i]) != 0;
    for (size_t i = 0; i < ng1 * ng1; i++) {
      vs[i] = v[i] / maxdiag;
      finite &= isfinite(vs[i]) != 0;
    }
    if (!finite) continue; /* weights near DBL_MAX overflow V: NaN (fuzz 158e00c4) */
    int rank = 0;
    st = ns_linalg_chol(ng1, vs, 1e-10, factor, keep, &rank);
    if (st == NS_ERR_SINGULAR) { st = NS_OK; continue; }
    if (st != NS_OK) goto done;
    if ((size_t) rank < ng1) continue;
    double *x = factor + ng1 * ng1, *work = x + ng1, root = sqrt(maxdiag);
    for (size_t i = 0; i < ng1; i++) x[i] = s[i] / root;
    st = ns_linalg_chol_solve(ng1, factor, keep, rank, x, work);
    if (st == NS_ERR_SINGULAR) { st = NS_OK; continue; }
    if (st != NS_OK) goto done;
    double q = 0;
    for (size_t i = 0; i < ng1; i++) q += s[i] / root * x[i];
    /* s' V^-1 s past DBL_MAX (a weight of 1e308 beside ones of 1,
     * fuzz_competing f6d50a06): NaN, as for an overflowed V */
    statistic[k] = isfinite(q) ? q : NAN;
  }
done:
  free(order); free(st_time); free(st_weight); free(st_cause); free(st_group);
  free(st_stratum); free(events); free(factor); free(keep);
  return st;
}
