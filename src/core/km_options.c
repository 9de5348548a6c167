/*
 * km_options.c -- survfit's options of a Kaplan-Meier fit beyond the plain
 * curve of km.c: the Fleming-Harrington hazard (ctype = 2), the survival as
 * exp(-H) (stype = 2), the robust (infinitesimal-jackknife) variance by
 * cluster, and survfit's subject flags (a censoring counts only at a
 * subject's last interval, an entry only at its first). All of it is applied
 * to a curve that ns_km_estimate has filled, reading the sorted rows that
 * ns_km_prepare left in the work (km_work.h).
 *
 * The robust variance in O(n), where survfit's loop costs O(event times x
 * clusters). Each cluster c has an influence on S (scaled by 1/S) and on H,
 * both of the form
 *     a_c(t) = sum_{t_j <= t} (R_cj g_j - D_cj e_j)
 * with R_cj the cluster's weight at risk at t_j, D_cj its event weight at
 * t_j, and (g_j, e_j) numbers of the event time only (below). Between two
 * changes of a cluster's rows, a_c grows linearly in G(t) = sum g_j, so each
 * cluster is stored as a_c = x_c + R_c (G - G_ref): only a row entering,
 * leaving or having its event touches its cluster. The sum of squares over
 * the clusters is then
 *     sum_c a_c^2 = S0 + 2 (G - G_ref) S1 + (G - G_ref)^2 S2,
 *     S0 = sum x_c^2, S1 = sum x_c R_c, S2 = sum R_c^2,
 * three running sums that each touch updates in O(1). The expansion can
 * cancel (the influences of a cluster that holds a whole stratum are 0), so
 * the sums are re-based (x_c <- a_c, G_ref <- G, sums recomputed) when what
 * they took in since the last re-base (the scale of their rounding) exceeds
 * the result a thousandfold -- the result then keeps all but about three of
 * its digits -- and after every few updates per cluster. Worst case (a re-base at every event time) is
 * survfit's O(event times x clusters); a stratum with one cluster costs O(1)
 * per re-base.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "km_work.h"

/* A stratum's segments and its slice of the curve. */
typedef struct {
  const uint64_t *key[3];
  const int *row[3];
  size_t len[3];
  size_t first, n_times;
} slice;

static double row_weight(const double *weight, int row)
{
  return weight ? weight[row] : 1.0;
}

/* The number of keys equal to t from key[*at] on; advances *at past them. */
static size_t run_length(const uint64_t *key, size_t len, size_t *at, uint64_t t)
{
  size_t from = *at;
  while (*at < len && key[*at] == t) (*at)++;
  return *at - from;
}

/*
 * Subject flags (survfit's `position`, with id =): n_censor counts only the
 * censored rows that are a subject's last interval; n_enter (when given)
 * counts only first intervals, with survival 3.5's placement rule: an entry
 * before the first time point counts there, one exactly at time point k at
 * point k + 1, one strictly between points k and k + 1 at point k for k >= 2
 * (survival 3.5 drops those between the first and second points, and so does
 * this, to equal it).
 */
static void subject_counts(const slice *v, const double *weight, const int *position,
                           const ns_km_curve *out)
{
  size_t j = 0;
  for (size_t m = 0; m < v->n_times; m++) {
    size_t o = v->first + m;
    uint64_t t = ns_time_key(out->time[o]);
    double censored = 0.0;
    for (; j < v->len[KIND_CENSOR] && v->key[KIND_CENSOR][j] == t; j++) {
      int r = v->row[KIND_CENSOR][j];
      if (position[r] & 2) censored += row_weight(weight, r);
    }
    out->n_censor[o] = censored;
  }
  if (!out->n_enter || !v->row[KIND_ENTRY] || v->n_times == 0) return;
  for (size_t m = 0; m < v->n_times; m++) out->n_enter[v->first + m] = 0.0;
  size_t k = 0; /* time points <= the entry */
  for (size_t i = 0; i < v->len[KIND_ENTRY]; i++) {
    int r = v->row[KIND_ENTRY][i];
    if (!(position[r] & 1)) continue;
    uint64_t e = v->key[KIND_ENTRY][i];
    while (k < v->n_times && ns_time_key(out->time[v->first + k]) <= e) k++;
    size_t at;
    if (k == 0) at = 0;
    else if (ns_time_key(out->time[v->first + k - 1]) == e) at = k;
    else if (k >= 2) at = k - 1;
    else continue;
    if (at < v->n_times) out->n_enter[v->first + at] += row_weight(weight, r);
  }
}

/* The Fleming-Harrington hazard: a time with d0 event rows of total weight d
 * and n at risk adds sum_{k<d0} (d/d0) / (n - k d/d0) to H and
 * sum (d/d0) / (n - k d/d0)^2 to its variance (the d0 events as if they
 * happened one after the other, each removing weight d/d0). */
static void fleming_harrington(const slice *v, const ns_km_curve *out)
{
  /* the variance as ns_scaled_sum: the squares of weighted counts near
   * 1e-160 or 1e160 would underflow (0 / 0) or overflow */
  ns_scaled_sum var = {0};
  double cumhaz = 0.0;
  size_t i = 0;
  for (size_t m = 0; m < v->n_times; m++) {
    size_t o = v->first + m;
    uint64_t t = ns_time_key(out->time[o]);
    size_t d0 = run_length(v->key[KIND_EVENT], v->len[KIND_EVENT], &i, t);
    double n = out->n_risk[o], d = out->n_event[o];
    if (d0 > 0 && d > 0) {
      /* share / den with share = d / d0 and den = n - k share, in units of
       * 2^e with n in [0.5, 1): a subnormal share (d / d0) would round */
      int e;
      frexp(n, &e);
      double ns = ldexp(n, -e), ds = ldexp(d, -e);
      for (size_t k = 0; k < d0; k++) {
        double den = ns - (double) k * (ds / (double) d0), r = ds / den / (double) d0;
        cumhaz += r;
        ns_scaled_add(&var, r, den, e);
      }
    }
    out->cumhaz[o] = cumhaz;
    out->std_chaz[o] = ns_scaled_sqrt(&var);
  }
}

/* ---- robust variance by cluster ---------------------------------------- */

/* The working precision of the influences (long double was 4x slower on
 * x86-64 for digits the re-base makes unnecessary). */
typedef double real;

enum { TRACK_S = 0, TRACK_H = 1 };

/* One cluster's state, in one cache line: the updates visit the clusters in
 * the order of the rows' times, i.e. at random. */
typedef struct {
  real x[2];         /* a_c = x_c + R_c (G - G_ref), per track */
  real risk;         /* R_c, weight at risk (scaled) */
  int count;         /* rows at risk */
  int stamp;         /* 1 + the stratum that last touched it */
} cluster_state;

typedef struct {
  cluster_state *cl; /* per cluster */
  int *touched;      /* the clusters touched in this stratum */
  size_t n_touched, updates;
  int stratum;
  real s0[2], s1[2], s2;
  real m0[2], m1[2], m2;  /* the sums of |terms| added to s0, s1, s2 since
                             the last re-base: the scale of their rounding */
  real g[2], g_ref[2];
} robust_state;

static void touch(robust_state *st, int c)
{
  cluster_state *cs = st->cl + c;
  if (cs->stamp == st->stratum + 1) return;
  cs->stamp = st->stratum + 1;
  cs->x[0] = cs->x[1] = 0.0;
  cs->risk = 0.0;
  cs->count = 0;
  st->touched[st->n_touched++] = c;
}

/* x_c <- a_c for every cluster touched, G_ref <- G, the sums afresh. */
static void rebase(robust_state *st)
{
  st->s0[0] = st->s0[1] = st->s1[0] = st->s1[1] = st->s2 = 0.0;
  st->m1[0] = st->m1[1] = 0.0;
  for (size_t i = 0; i < st->n_touched; i++) {
    cluster_state *cs = st->cl + st->touched[i];
    real r = cs->risk;
    for (int k = 0; k < 2; k++) {
      cs->x[k] += r * (st->g[k] - st->g_ref[k]);
      st->s0[k] += cs->x[k] * cs->x[k];
      st->s1[k] += cs->x[k] * r;
      st->m1[k] += fabs(cs->x[k] * r);
    }
    st->s2 += r * r;
  }
  st->m0[0] = st->s0[0];
  st->m0[1] = st->s0[1];
  st->m2 = st->s2;
  st->g_ref[0] = st->g[0];
  st->g_ref[1] = st->g[1];
  st->updates = 0;
}

/* A row of weight w (scaled) enters (sign +1) or leaves (sign -1) cluster
 * c, after its event terms ev[k] = -w e_k were added to the cluster's
 * influences (0 for a censoring or an entry). a_c changes only by ev. */
static void cluster_move(robust_state *st, int c, real w, int sign, const real ev[2])
{
  touch(st, c);
  cluster_state *cs = st->cl + c;
  real r_old = cs->risk, r_new;
  cs->count += sign;
  /* an emptied cluster holds an exact 0, not a rounding residue */
  r_new = cs->count == 0 ? 0.0 : r_old + sign * w;
  for (int k = 0; k < 2; k++) {
    real x_old = cs->x[k];
    real x_new = x_old + (r_old - r_new) * (st->g[k] - st->g_ref[k]) + ev[k];
    st->s0[k] += x_new * x_new - x_old * x_old;
    st->s1[k] += x_new * r_new - x_old * r_old;
    st->m0[k] += x_new * x_new + x_old * x_old;
    st->m1[k] += fabs(x_new * r_new) + fabs(x_old * r_old);
    cs->x[k] = x_new;
  }
  st->s2 += r_new * r_new - r_old * r_old;
  st->m2 += r_new * r_new + r_old * r_old;
  cs->risk = r_new;
  st->updates++;
}

/* sum_c a_c^2 on one track, re-basing first when the expansion would cancel
 * or the running sums have taken many updates since the last re-base. */
static double track_sum(robust_state *st, int k)
{
  if (st->updates > 4 * st->n_touched + 64) rebase(st);
  real dg = st->g[k] - st->g_ref[k];
  /* the scale of the rounding in value: what the running sums took in */
  real scale = st->m0[k] + 2.0 * fabs(dg) * st->m1[k] + dg * dg * st->m2;
  real value = st->s0[k] + 2.0 * dg * st->s1[k] + dg * dg * st->s2;
  if (scale > 0.0 && (st->updates > 0 || dg != 0.0) && value < 1e-3 * scale) {
    rebase(st);
    value = st->s0[k];
  }
  return value > 0.0 ? (double) value : 0.0;
}

/*
 * One stratum's robust variances, as survfit's survfitkm computes them (the
 * survival package's methods document, "survfitkm", robust variance): at an
 * event time t_j with n at risk and d events (weighted), d0 event rows,
 *   S (Kaplan-Meier, on S / S(t)):  g = d / (n (n - d)),  e = 1 / (n - d);
 *   H, Nelson-Aalen:                g = d / n^2,          e = 1 / n;
 *   H, Fleming-Harrington: with b_k = 1 / (n - d + (k/d0) d), k = 1..d0,
 *                          g = (d/d0) sum b_k^2,
 *                          e = (sum b_k) / d0 + g - (d/d0) sum (k/d0) b_k^2
 * (the derivatives of the hazard increment with respect to the weight of a
 * row at risk and of a row with its event). var S(t) = S(t)^2 sum_c a_c^2
 * with the S track, var H(t) = sum_c a_c^2 with the H track. Rows at risk at
 * t_j: entry < t_j <= stop (events before censorings, entries after). Once S
 * reaches 0 its variance is 0. The weights are scaled by v_scale (a power of
 * two): every a_c is invariant under a common scaling.
 */
static ns_status stratum_robust(const slice *v, const ns_km_data *data, int ctype,
                                double v_scale, robust_state *st, double *var_s_out,
                                double *var_h_out, const ns_km_curve *out)
{
  const double *weight = data->weight;
  const int *cluster = data->cluster;
  const real zero[2] = {0.0, 0.0};
  st->n_touched = 0;
  st->updates = 0;
  st->s0[0] = st->s0[1] = st->s1[0] = st->s1[1] = st->s2 = 0.0;
  st->m0[0] = st->m0[1] = st->m1[0] = st->m1[1] = st->m2 = 0.0;
  st->g[0] = st->g[1] = st->g_ref[0] = st->g_ref[1] = 0.0;

  int counting = v->key[KIND_ENTRY] != NULL;
  if (!counting) /* right-censored: every row is at risk from the start */
    for (int kind = KIND_EVENT; kind <= KIND_CENSOR; kind++)
      for (size_t i = 0; i < v->len[kind]; i++) {
        int r = v->row[kind][i];
        cluster_move(st, cluster[r], v_scale * row_weight(weight, r), +1, zero);
      }

  size_t at[3] = {0, 0, 0};
  double var_s = 0.0, var_h = 0.0;
  int s_alive = 1;
  for (size_t m = 0; m < v->n_times; m++) {
    size_t o = v->first + m;
    uint64_t t = ns_time_key(out->time[o]);
    if (counting)
      for (; at[KIND_ENTRY] < v->len[KIND_ENTRY] && v->key[KIND_ENTRY][at[KIND_ENTRY]] < t;
           at[KIND_ENTRY]++) {
        int r = v->row[KIND_ENTRY][at[KIND_ENTRY]];
        cluster_move(st, cluster[r], v_scale * row_weight(weight, r), +1, zero);
      }
    size_t peek = at[KIND_EVENT];
    size_t d0 = run_length(v->key[KIND_EVENT], v->len[KIND_EVENT], &peek, t);
    double n = v_scale * out->n_risk[o], d = v_scale * out->n_event[o];
    int update = d0 > 0 && d > 0;
    real e[2] = {0.0, 0.0};
    if (update) {
      if (s_alive) {
        double left = n - d;
        if (left > 0.0 && out->surv[o] > 0.0) {
          st->g[TRACK_S] += (real) d / ((real) n * (real) left);
          e[TRACK_S] = 1.0 / (real) left;
        } else {
          s_alive = 0;
        }
      }
      if (ctype == 2) {
        real sum_b = 0.0, sum_b2 = 0.0, sum_fb2 = 0.0, share = (real) d / (real) d0;
        for (size_t k = 1; k <= d0; k++) {
          real frac = (real) k / (real) d0;
          real b = 1.0 / ((real) n - (real) d + frac * (real) d);
          sum_b += b;
          sum_b2 += b * b;
          sum_fb2 += frac * b * b;
        }
        real g = share * sum_b2;
        st->g[TRACK_H] += g;
        e[TRACK_H] = sum_b / (real) d0 + g - share * sum_fb2;
      } else {
        st->g[TRACK_H] += (real) d / ((real) n * (real) n);
        e[TRACK_H] = 1.0 / (real) n;
      }
    }
    for (int kind = KIND_EVENT; kind <= KIND_CENSOR; kind++)
      for (; at[kind] < v->len[kind] && v->key[kind][at[kind]] == t; at[kind]++) {
        int r = v->row[kind][at[kind]];
        real w = v_scale * row_weight(weight, r);
        real ev[2] = {0.0, 0.0};
        if (update && kind == KIND_EVENT) {
          ev[TRACK_S] = -w * e[TRACK_S];
          ev[TRACK_H] = -w * e[TRACK_H];
        }
        cluster_move(st, cluster[r], w, -1, ev);
      }
    if (update) {
      var_s = s_alive ? out->surv[o] * out->surv[o] * track_sum(st, TRACK_S) : 0.0;
      var_h = track_sum(st, TRACK_H);
    }
    var_s_out[m] = var_s;
    var_h_out[m] = var_h;
  }
  return NS_OK;
}

/*
 * ns_km_apply_options: survfit's stype, ctype, robust variance by cluster
 * and subject flags, applied to a Kaplan-Meier fit.
 *   work     from ns_km_prepare; the data it borrowed must be unchanged.
 *            With options->robust, data.cluster must hold each row's
 *            cluster (0 .. n_clusters - 1; clusters are taken within each
 *            stratum, as survfit renumbers them per stratum); with
 *            data.position set, the subject flags are applied.
 *   options  stype, ctype (1 or 2), robust (0 or 1); NULL for all 1, 1, 0
 *   curve    the buffers that ns_km_estimate(work, curve) has just filled
 *            (time, n_risk, n_event, surv are read); rewritten in place:
 *            n_censor and n_enter (subject flags), cumhaz and std_chaz
 *            (ctype 2: the Fleming-Harrington hazard and its variance
 *            sum (d/d0) / (n - k d/d0)^2), std_err and std_chaz (robust:
 *            the standard errors of S -- on the scale of S -- and of H by
 *            cluster, see stratum_robust), surv and std_err (stype 2:
 *            exp(-H) and the standard error of H, that of log S).
 *   callback, context   optional interrupt check (may be NULL)
 * Returns NS_ERR_ARGUMENT (a NULL buffer, an option out of range, robust
 * without clusters, a cluster code out of range, rows not kept by
 * ns_km_prepare), NS_ERR_WEIGHT (robust: positive weights spanning more than
 * 2^400 within a stratum, as ns_km_estimate's jackknife), NS_ERR_NOMEM,
 * NS_ERR_INTERRUPTED, else NS_OK.
 * Ties: events before censorings at a shared time, entries after. O(n) time
 * plus O(event rows) for ctype 2 (see the top of this file for the robust
 * variance's worst case); memory O(n_clusters + longest stratum).
 * References: Fleming TR, Harrington DP (1984) Comm Stat A 13:2469-2486;
 * Therneau TM, the survival package's methods document "survfitkm".
 */
ns_status ns_km_apply_options(const ns_km_work *work, const ns_km_options *options,
                              const ns_km_curve *curve, ns_callback callback,
                              void *context)
{
  ns_km_options opt = {1, 1, 0};
  if (options) opt = *options;
  if (!work || !curve || !curve->time || !curve->n_risk || !curve->n_event ||
      !curve->n_censor || !curve->surv || !curve->std_err || !curve->cumhaz ||
      !curve->std_chaz)
    return NS_ERR_ARGUMENT;
  if ((opt.stype != 1 && opt.stype != 2) || (opt.ctype != 1 && opt.ctype != 2) ||
      (opt.robust != 0 && opt.robust != 1))
    return NS_ERR_ARGUMENT;
  const ns_km_data *data = &work->data;
  if (opt.robust && (!data->cluster || data->n_clusters < 1)) return NS_ERR_ARGUMENT;
  if ((opt.robust || data->position) && data->n > 0 && !work->row) return NS_ERR_ARGUMENT;
  if (opt.robust)
    for (size_t i = 0; i < data->n; i++)
      if (data->cluster[i] < 0 || data->cluster[i] >= data->n_clusters) return NS_ERR_ARGUMENT;

  size_t n_strata = (size_t) data->n_strata, longest = 1;
  for (size_t s = 0; s < n_strata; s++)
    if ((size_t) work->stratum_times[s] > longest) longest = (size_t) work->stratum_times[s];

  robust_state st = {0};
  double *var_s = NULL, *var_h = NULL;
  ns_status status = NS_OK;
  if (opt.robust) {
    size_t nc = (size_t) data->n_clusters;
    st.cl = calloc(nc, sizeof *st.cl); /* every stamp 0: untouched */
    st.touched = malloc(nc * sizeof *st.touched);
    var_s = malloc(longest * sizeof *var_s);
    var_h = malloc(longest * sizeof *var_h);
    if (!st.cl || !st.touched || !var_s || !var_h) {
      status = NS_ERR_NOMEM;
      goto done;
    }
  }

  ns_throttle throttle = ns_throttle_start(callback, context);
  size_t first = 0;
  for (size_t s = 0; s < n_strata; s++) {
    const size_t *o = work->offset + s * (size_t) work->kinds;
    slice v = {{0}, {0}, {0}, first, (size_t) work->stratum_times[s]};
    for (int kind = 0; kind < work->kinds; kind++) {
      v.key[kind] = work->key + o[kind];
      v.row[kind] = work->row ? work->row + o[kind] : NULL;
      v.len[kind] = o[kind + 1] - o[kind];
    }
    first += v.n_times;

    if (data->position) subject_counts(&v, data->weight, data->position, curve);
    if (opt.ctype == 2) fleming_harrington(&v, curve);
    if (opt.robust) {
      double scale = 1.0;
      if (data->weight) {
        double wmax = 0.0, wmin = INFINITY;
        for (int kind = 0; kind < work->kinds; kind++)
          for (size_t i = 0; i < v.len[kind]; i++) {
            double wk = data->weight[v.row[kind][i]];
            if (wk > wmax) wmax = wk;
            if (wk > 0.0 && wk < wmin) wmin = wk;
          }
        /* as ns_km_estimate's jackknife: an influence is w times sums of
         * 1 / n, of order 1, but formed from the scaled w and 1 / n it
         * needs both in range; positive weights spanning more than 2^400
         * within a stratum would underflow the small ones to 0 (and an
         * emptied risk set to 0 / 0) */
        if (wmax > 0.0 && !(wmax <= ldexp(wmin, 400))) {
          status = NS_ERR_WEIGHT;
          goto done;
        }
        if (wmax > 0.0 && isfinite(wmax)) {
          int e;
          frexp(wmax, &e);
          scale = ldexp(1.0, e < -1000 ? 1000 : -e);
        }
      }
      st.stratum = (int) s;
      status = stratum_robust(&v, data, opt.ctype, scale, &st, var_s, var_h, curve);
      if (status != NS_OK) goto done;
      for (size_t m = 0; m < v.n_times; m++) {
        curve->std_err[v.first + m] = sqrt(var_s[m]);
        curve->std_chaz[v.first + m] = sqrt(var_h[m]);
      }
    }
    if (opt.stype == 2)
      for (size_t m = v.first; m < v.first + v.n_times; m++) {
        curve->surv[m] = exp(-curve->cumhaz[m]);
        curve->std_err[m] = curve->std_chaz[m];
      }
    if (ns_throttle_tick(&throttle, v.len[0] + v.len[1] + (work->kinds > 2 ? v.len[2] : 0) + 1,
                         (double) (s + 1) / (double) n_strata)) {
      status = NS_ERR_INTERRUPTED;
      goto done;
    }
  }

done:
  free(st.cl);
  free(st.touched);
  free(var_s);
  free(var_h);
  return status;
}
