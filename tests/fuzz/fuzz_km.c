/* fuzz_km.c -- ns_km_prepare / ns_km_estimate / ns_km_apply_options:
 * Greenwood and jackknife, right-censored and (start, stop], weights (zero,
 * fractional, tiny, huge), strata, time_fix, then survfit's options (stype,
 * ctype, robust variance by cluster, subject flags). Postconditions: for
 * valid finite input the calls succeed; S is in [0, 1], non-increasing
 * within a stratum and equals a naive product-limit computed from the
 * formula (risk set summed row by row); the cumulative hazard equals the
 * naive Nelson-Aalen sum; Greenwood's variances equal their sums
 * (sum d / (n (n - d)), sum d / n^2); n.enter is the weight entering before
 * a stratum's first time; standard errors are never NaN and never negative
 * when the counts are finite. Options (decoded from the bytes after the
 * rows, so older corpus inputs run the plain curve; the robust variance,
 * like the jackknife, refuses positive weights spanning more than 2^400
 * within a stratum): ctype 2 equals the
 * Fleming-Harrington sums written out; stype 2 is exp(-H) with H's standard
 * error; the robust (and the jackknife) standard errors equal the
 * infinitesimal jackknife evaluated directly, cluster by cluster, as
 * sum over rows of w_i dS(t)/dw_i and w_i dH(t)/dw_i from the derivatives
 * of log(1 - d/n), d/n and the Fleming-Harrington increment; the subject
 * flags count a censoring only at a last interval. */
#include "fuzz_input.h"
#include "netsurv.h"


/* The Fleming-Harrington increment of H at a time with d0 event rows of
 * total weight d and n at risk, its variance term and its partial
 * derivatives in n and d, in long double (its exponent range: no underflow
 * of the squares for weights near 1e-160). */
static double fh_increment(double n, double d, size_t d0, double *dn, double *dd,
                           long double *var)
{
  long double h = 0, share = (long double) d / (long double) d0, vn = 0, vd = 0, v = 0;
  for (size_t k = 0; k < d0; k++) {
    long double den = (long double) n - (long double) k * share;
    h += share / den;
    v += share / (den * den);
    vn -= share / (den * den);
    vd += (1.0L / (long double) d0) / den + share * ((long double) k / (long double) d0) /
                                                (den * den);
  }
  *dn = (double) vn;
  *dd = (double) vd;
  *var = v;
  return (double) h;
}

/* The infinitesimal jackknife of one stratum evaluated directly: for each
 * time point k of the stratum (curve offset o0 + k), a_c = sum over rows i
 * of cluster c (own[i] = 1: every row its own cluster) at event times
 * t_j <= t_k of w_i (Y_ij dlog(1 - d/n)/dn + dN_ij dlog(1 - d/n)/dd) on the
 * S track and the same with the hazard increment's derivatives on the H
 * track (Nelson-Aalen, or Fleming-Harrington when ctype == 2), with n, d
 * the curve's counts. se_s = S sqrt(sum a_c^2) (0 once S reached 0), se_h =
 * sqrt(sum a_c^2); tol_s, tol_h: the scale of their rounding (the same sums
 * over |terms| with every row counted at every event time). Weights scaled
 * by a power of two (the influences do not change). Returns 0 when a sum is
 * not finite (no comparison). */
/* The core's IJ variance is a running form (linear time) whose terms cancel
 * when the standard error is far below the influences' scale: its rounding
 * is absolute on the variance, ~eps * scale^2, so a true 0 comes out as up to
 * ~sqrt(eps) * scale (finding 7bf619c9: 5.7e-9 at scale 0.47, every row of a
 * stratum failing at one time). Close: within 1e-8 of the direct value
 * relative to the scale, or the variances within 64 eps scale^2. */
static int ij_close(double core, double direct, double scale)
{
  if (fabs(core - direct) <= 1e-8 * (direct + scale)) return 1;
  return fabs(core * core - direct * direct) <= 64 * DBL_EPSILON * scale * scale;
}

static int naive_ij(size_t n, const double *time, const double *start, const int *status,
                    const double *w, const int *stratum, int s, const int *cluster, int nc,
                    int ctype, const ns_km_curve *c, size_t o0, size_t nt, double *se_s,
                    double *se_h, double *tol_s, double *tol_h)
{
  int own = cluster == NULL;
  size_t m = own ? n : (size_t) nc;
  double *as = calloc(m + 1, sizeof *as), *ah = calloc(m + 1, sizeof *ah);
  double *ms = calloc(m + 1, sizeof *ms), *mh = calloc(m + 1, sizeof *mh);
  double wmax = 0;
  for (size_t i = 0; i < n; i++)
    if ((stratum ? stratum[i] : 0) == s && (w ? w[i] : 1.0) > wmax) wmax = w ? w[i] : 1.0;
  double sc = 1.0;
  if (wmax > 0 && isfinite(wmax)) {
    int e;
    frexp(wmax, &e);
    sc = ldexp(1.0, e < -1000 ? 1000 : -e);
  }
  int ok = 1, dead = 0;
  double vs = 0, vh = 0, ts = 0, th = 0;
  for (size_t k = 0; k < nt; k++) {
    size_t o = o0 + k;
    double t = c->time[o], nr = sc * c->n_risk[o], d = sc * c->n_event[o];
    if (c->n_event[o] > 0 && d > 0) {
      size_t d0 = 0;
      for (size_t i = 0; i < n; i++)
        if ((stratum ? stratum[i] : 0) == s && time[i] == t && status[i]) d0++;
      double left = nr - d, sdn, sdd, hdn, hdd;
      long double v;
      if (!dead && (left <= 0 || c->surv[o] <= 0)) dead = 1;
      sdn = d / (nr * left);
      sdd = -1.0 / left;
      if (ctype == 2) fh_increment(nr, d, d0, &hdn, &hdd, &v);
      else { hdn = -d / (nr * nr); hdd = 1.0 / nr; }
      for (size_t i = 0; i < n; i++) {
        if ((stratum ? stratum[i] : 0) != s) continue;
        size_t g = own ? i : (size_t) cluster[i];
        double wi = sc * (w ? w[i] : 1.0);
        int at = time[i] >= t && (!start || start[i] < t), ev = time[i] == t && status[i];
        if (!dead) {
          as[g] += wi * (at * sdn + ev * sdd);
          ms[g] += wi * (fabs(sdn) + fabs(sdd));
        }
        ah[g] += wi * (at * hdn + ev * hdd);
        mh[g] += wi * (fabs(hdn) + fabs(hdd));
      }
      vs = vh = ts = th = 0;
      for (size_t g = 0; g < m; g++) {
        vs += as[g] * as[g];
        vh += ah[g] * ah[g];
        ts += ms[g] * ms[g];
        th += mh[g] * mh[g];
      }
    }
    se_s[k] = dead ? 0.0 : c->surv[o] * sqrt(vs);
    se_h[k] = sqrt(vh);
    tol_s[k] = dead ? 0.0 : c->surv[o] * sqrt(ts);
    tol_h[k] = sqrt(th);
    if (!isfinite(se_s[k]) || !isfinite(se_h[k]) || !isfinite(tol_s[k]) || !isfinite(tol_h[k]))
      ok = 0;
  }
  free(as); free(ah); free(ms); free(mh);
  return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fz_in in = {data, size};
  size_t n = fz_uint(&in, 60);
  uint8_t opt = fz_byte(&in);
  int counting = opt & 1, weighted = opt & 2, jack = opt & 4, hostile = (opt & 8) != 0;
  int ns = 1 + (opt >> 4) % 4;
  double *time = malloc((n + 1) * sizeof *time), *start = malloc((n + 1) * sizeof *start);
  double *w = malloc((n + 1) * sizeof *w);
  int *status = malloc((n + 1) * sizeof *status), *stratum = malloc((n + 1) * sizeof *stratum);
  double wscale = (fz_byte(&in) & 3) == 0 ? ldexp(1.0, (int) fz_uint(&in, 1000) - 500) : 1.0;
  for (size_t i = 0; i < n; i++) {
    start[i] = fz_double(&in, hostile);
    time[i] = counting ? start[i] + 0.5 + fz_double(&in, hostile) : fz_double(&in, hostile);
    status[i] = fz_byte(&in) & 1;
    w[i] = wscale * (hostile ? fz_double(&in, 1) : (fz_byte(&in) % 8) * 0.37);
    stratum[i] = (int) fz_uint(&in, (unsigned) ns);
  }
  /* survfit's options, from the bytes after the rows (0 when absent) */
  uint8_t opt2 = fz_byte(&in);
  int robust = opt2 & 1, ctype = (opt2 & 2) ? 2 : 1, stype = (opt2 & 4) ? 2 : 1;
  int flags = (opt2 & 8) != 0, bad_cluster = (opt2 & 16) != 0;
  int n_clusters = 1 + (opt2 >> 5);
  int *cluster = malloc((n + 1) * sizeof *cluster), *position = malloc((n + 1) * sizeof *position);
  for (size_t i = 0; i < n; i++) {
    cluster[i] = (int) fz_uint(&in, (unsigned) n_clusters);
    position[i] = fz_byte(&in) & 3;
  }
  if (bad_cluster && n > 0) cluster[fz_uint(&in, (unsigned) n)] = n_clusters;
  if (getenv("FZ_DEBUG"))
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, "row %zu: start %g stop %g status %d w %g stratum %d cluster %d position "
              "%d (opt %d)\n", i, start[i], time[i], status[i], w[i], stratum[i], cluster[i],
              position[i], opt);
  ns_km_data d = {n, time, counting ? start : NULL, status, weighted ? w : NULL,
                  ns > 1 ? stratum : NULL, ns, jack ? NS_KM_JACKKNIFE : NS_KM_GREENWOOD,
                  (opt & 64) ? 1.4901161193847656e-08 : 0.0,
                  robust ? cluster : NULL, robust ? n_clusters : 0, flags ? position : NULL};
  int valid = 1;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(time[i]) || (counting && (!isfinite(start[i]) || !(start[i] < time[i]))))
      valid = 0;
    if (weighted && (!isfinite(w[i]) || w[i] < 0)) valid = 0;
  }
  if (weighted) {
    double tw = 0;
    for (size_t i = 0; i < n; i++) tw += w[i];
    if (!isfinite(tw)) valid = 0; /* refused: NS_ERR_WEIGHT */
  }
  ns_km_work *work = NULL;
  size_t nt = 0;
  ns_status st = ns_km_prepare(&d, &work, &nt, NULL, NULL);
  if (st != NS_OK) {
    /* time_fix may merge an interval's ends: the only refusal of valid input */
    FZ_CHECK(!valid || st == NS_ERR_START_STOP || st == NS_ERR_WEIGHT,
             "prepare refused: %s", ns_status_message(st));
    goto out;
  }
  FZ_CHECK(valid, "prepare accepted invalid input");
  {
    size_t m = nt + 1;
    double *b[9];
    for (int k = 0; k < 9; k++) b[k] = calloc(m, sizeof(double));
    int *stt = calloc((size_t) ns, sizeof(int)), *str = calloc((size_t) ns, sizeof(int));
    ns_km_curve c = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], stt, str};
    st = ns_km_estimate(work, &c, NULL, NULL);
    /* the jackknife refuses positive weights spanning > 2^400 in a stratum */
    int spread = 0;
    if (weighted)
      for (int s = 0; s < ns; s++) {
        double lo = INFINITY, hi = 0;
        for (size_t i = 0; i < n; i++)
          if ((ns > 1 ? stratum[i] : 0) == s && w[i] > 0) {
            if (w[i] < lo) lo = w[i];
            if (w[i] > hi) hi = w[i];
          }
        if (hi > 0 && hi / lo > ldexp(1.0, 400)) spread = 1;
      }
    FZ_CHECK(st == NS_OK || (jack && spread && st == NS_ERR_WEIGHT), "estimate: %s",
             ns_status_message(st));
    FZ_CHECK(!(jack && spread) || st == NS_ERR_WEIGHT, "weights spanning > 2^400 accepted");
    if (st != NS_OK) {
      for (int k = 0; k < 9; k++) free(b[k]);
      free(stt); free(str);
      goto out;
    }
    size_t o = 0;
    double total_w = 0;
    for (size_t i = 0; i < n; i++) total_w += weighted ? w[i] : 1.0;
    /* the naive sums below add only the rows present (no cancellation);
     * after time_fix the rows' times are not the curve's (no comparison) */
    int compare = isfinite(total_w) && (opt & 64) == 0;
    const double *wp = weighted ? w : NULL, *sp = counting ? start : NULL;
    const int *hp = ns > 1 ? stratum : NULL;
    double *se_s = malloc(m * sizeof(double)), *se_h = malloc(m * sizeof(double));
    double *tol_s = malloc(m * sizeof(double)), *tol_h = malloc(m * sizeof(double));
    for (int s = 0; s < ns; s++) {
      double prev = 1.0, surv = 1.0, H = 0.0;
      long double gw = 0.0, nav = 0.0;
      size_t o0 = o;
      for (int k = 0; k < stt[s]; k++, o++) {
        double t = c.time[o];
        FZ_CHECK(c.surv[o] >= 0 && c.surv[o] <= 1, "S = %g", c.surv[o]);
        FZ_CHECK(c.surv[o] <= prev, "S increases");
        prev = c.surv[o];
        if (compare) {
          /* naive risk set and events at t, row by row */
          double nr = 0, de = 0;
          for (size_t i = 0; i < n; i++) {
            int si = ns > 1 ? stratum[i] : 0;
            if (si != s) continue;
            double wi = weighted ? w[i] : 1.0;
            if (time[i] >= t && (!counting || start[i] < t)) nr += wi;
            if (time[i] == t && status[i]) de += wi;
          }
          FZ_CHECK(fz_close(nr, c.n_risk[o], 1e-9), "n_risk %g vs naive %g", c.n_risk[o], nr);
          if (de > 0 && nr > 0) { surv *= 1 - de / nr; H += de / nr; }
          FZ_CHECK(fz_close(surv, c.surv[o], 1e-8), "S %g vs naive %g", c.surv[o], surv);
          FZ_CHECK(fz_close(H, c.cumhaz[o], 1e-8), "H %g vs naive %g", c.cumhaz[o], H);
          FZ_CHECK(!isnan(c.std_err[o]) && !(c.std_err[o] < 0), "std_err %g", c.std_err[o]);
          FZ_CHECK(!isnan(c.std_chaz[o]) && !(c.std_chaz[o] < 0), "std_chaz %g", c.std_chaz[o]);
          /* Greenwood's sums on the curve's (checked) counts */
          /* (in long double: no underflow of n^2 for weights near 1e-160) */
          long double cn = c.n_risk[o], cd = c.n_event[o];
          if (cd > 0) {
            gw += cd / (cn * (cn - cd > 0 ? cn - cd : 0.0L));
            nav += cd / (cn * cn);
          }
          double sg = (double) sqrtl(gw), sn = (double) sqrtl(nav);
          if (!jack) {
            FZ_CHECK(fz_close(sg, c.std_err[o], 1e-9), "Greenwood se %.17g vs sum %.17g",
                     c.std_err[o], sg);
            FZ_CHECK(fz_close(sn, c.std_chaz[o], 1e-9), "std_chaz %.17g vs sum %.17g",
                     c.std_chaz[o], sn);
          }
          /* n.enter: the weight entering before the stratum's first time */
          double ent = 0;
          if (counting && k == 0)
            for (size_t i = 0; i < n; i++)
              if ((ns > 1 ? stratum[i] : 0) == s && start[i] < t) ent += weighted ? w[i] : 1.0;
          FZ_CHECK(fz_close(ent, c.n_enter[o], 1e-9), "n_enter %g vs naive %g", c.n_enter[o],
                   ent);
        }
      }
      /* the jackknife: the infinitesimal jackknife, one cluster per row */
      if (jack && compare &&
          naive_ij(n, time, sp, status, wp, hp, s, NULL, 0, 1, &c, o0, (size_t) stt[s], se_s,
                   se_h, tol_s, tol_h))
        for (int k = 0; k < stt[s]; k++) {
          size_t q = o0 + (size_t) k;
          FZ_CHECK(ij_close(c.std_err[q], se_s[k], tol_s[k]),
                   "jackknife se %.17g vs direct %.17g (scale %g) at %g", c.std_err[q], se_s[k],
                   tol_s[k], c.time[q]);
          FZ_CHECK(ij_close(c.std_chaz[q], se_h[k], tol_h[k]),
                   "jackknife std_chaz %.17g vs direct %.17g (scale %g) at %g", c.std_chaz[q],
                   se_h[k], tol_h[k], c.time[q]);
        }
    }
    FZ_CHECK(o == nt, "stratum_times do not add up");

    /* survfit's options on a copy of the curve */
    double *a[9];
    for (int k = 0; k < 9; k++) {
      a[k] = malloc(m * sizeof(double));
      memcpy(a[k], b[k], m * sizeof(double));
    }
    ns_km_curve e = {a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], stt, str};
    ns_km_options ko = {stype, ctype, robust};
    st = ns_km_apply_options(work, &ko, &e, NULL, NULL);
    if (getenv("FZ_DEBUG"))
      for (size_t q = 0; q < nt; q++)
        fprintf(stderr, "point %zu (options %d: stype %d ctype %d robust %d flags %d, %d "
                "clusters): t %g n %g d %g S %g se %g H %g sh %g -> S %g se %g H %g sh %g\n", q,
                st, stype, ctype, robust, flags, n_clusters, c.time[q], c.n_risk[q],
                c.n_event[q], c.surv[q], c.std_err[q], c.cumhaz[q], c.std_chaz[q], e.surv[q],
                e.std_err[q], e.cumhaz[q], e.std_chaz[q]);
    if (robust && bad_cluster && n > 0) {
      FZ_CHECK(st == NS_ERR_ARGUMENT, "cluster code out of range accepted: %s",
               ns_status_message(st));
    } else if (robust && spread) {
      /* the robust variance refuses what the jackknife refuses */
      FZ_CHECK(st == NS_ERR_WEIGHT, "robust: weights spanning > 2^400 accepted: %s",
               ns_status_message(st));
    } else {
      FZ_CHECK(st == NS_OK, "options refused: %s", ns_status_message(st));
      o = 0;
      for (int s = 0; s < ns; s++) {
        size_t o0 = o;
        double fh = 0, prev = 1.0;
        long double fhv = 0;
        int ij = robust && compare &&
                 naive_ij(n, time, sp, status, wp, hp, s, cluster, n_clusters, ctype, &c, o0,
                          (size_t) stt[s], se_s, se_h, tol_s, tol_h);
        for (int k = 0; k < stt[s]; k++, o++) {
          FZ_CHECK(e.time[o] == c.time[o] && e.n_risk[o] == c.n_risk[o] &&
                   e.n_event[o] == c.n_event[o], "options changed the counts");
          FZ_CHECK(e.surv[o] >= 0 && e.surv[o] <= 1 && e.surv[o] <= prev, "options: S %g",
                   e.surv[o]);
          prev = e.surv[o];
          FZ_CHECK(!isnan(e.std_err[o]) && !(e.std_err[o] < 0), "options: std_err %g",
                   e.std_err[o]);
          FZ_CHECK(!isnan(e.std_chaz[o]) && !(e.std_chaz[o] < 0), "options: std_chaz %g",
                   e.std_chaz[o]);
          FZ_CHECK(!isnan(e.cumhaz[o]) && e.cumhaz[o] >= 0, "options: H %g", e.cumhaz[o]);
          double hk = c.cumhaz[o];
          if (ctype == 2) {
            if (c.n_event[o] > 0) {
              size_t d0 = 0;
              for (size_t i = 0; i < n; i++)
                if ((ns > 1 ? stratum[i] : 0) == s && time[i] == c.time[o] && status[i]) d0++;
              double dn, dd;
              long double v;
              if (compare && d0 > 0) {
                fh += fh_increment(c.n_risk[o], c.n_event[o], d0, &dn, &dd, &v);
                fhv += v;
              }
            }
            hk = fh;
            if (compare) {
              FZ_CHECK(fz_close(e.cumhaz[o], fh, 1e-9), "Fleming-Harrington H %.17g vs %.17g",
                       e.cumhaz[o], fh);
              if (!robust && stype == 1)
                FZ_CHECK(fz_close(e.std_chaz[o], (double) sqrtl(fhv), 1e-9),
                         "Fleming-Harrington std_chaz %.17g vs %.17g", e.std_chaz[o],
                         (double) sqrtl(fhv));
            }
          } else {
            FZ_CHECK(e.cumhaz[o] == c.cumhaz[o], "ctype 1 changed H");
          }
          if (stype == 2) {
            FZ_CHECK(fz_close(e.surv[o], exp(-e.cumhaz[o]), 1e-14), "stype 2: S %.17g, H %.17g",
                     e.surv[o], e.cumhaz[o]);
            FZ_CHECK(e.std_err[o] == e.std_chaz[o], "stype 2: std_err is not H's");
          } else {
            FZ_CHECK(e.surv[o] == c.surv[o], "stype 1 changed S");
          }
          if (ij) {
            size_t q = o0 + (size_t) k;
            if (stype == 1)
              FZ_CHECK(fabs(e.std_err[q] - se_s[k]) <= 1e-8 * (se_s[k] + tol_s[k]),
                       "robust se %.17g vs direct %.17g (scale %g) at %g", e.std_err[q], se_s[k],
                       tol_s[k], c.time[q]);
            FZ_CHECK(fabs(e.std_chaz[q] - se_h[k]) <= 1e-8 * (se_h[k] + tol_h[k]),
                     "robust std_chaz %.17g vs direct %.17g (scale %g) at %g", e.std_chaz[q],
                     se_h[k], tol_h[k], c.time[q]);
          }
          if (compare && flags) {
            /* a censoring counts only at a subject's last interval (bit 2) */
            double cen = 0;
            for (size_t i = 0; i < n; i++)
              if ((ns > 1 ? stratum[i] : 0) == s && time[i] == c.time[o] && !status[i] &&
                  (position[i] & 2))
                cen += weighted ? w[i] : 1.0;
            FZ_CHECK(fz_close(e.n_censor[o], cen, 1e-9), "flagged n_censor %g vs naive %g",
                     e.n_censor[o], cen);
          } else if (!flags) {
            FZ_CHECK(e.n_censor[o] == c.n_censor[o] && e.n_enter[o] == c.n_enter[o],
                     "no flags, yet n_censor / n_enter changed");
          }
          (void) hk;
        }
        if (compare && flags && counting && stt[s] > 0) {
          /* an entry (first interval, bit 1) counts at the first point when
           * before it, at point k + 1 when exactly at point k, at point k
           * when strictly between points k and k + 1 (k >= 2, 1-based), and
           * not at all between the first and second points (survival 3.5) */
          double *ent = calloc((size_t) stt[s], sizeof *ent);
          for (size_t i = 0; i < n; i++) {
            if ((ns > 1 ? stratum[i] : 0) != s || !(position[i] & 1)) continue;
            size_t kk = 0;
            while (kk < (size_t) stt[s] && c.time[o0 + kk] <= start[i]) kk++;
            size_t at;
            if (kk == 0) at = 0;
            else if (c.time[o0 + kk - 1] == start[i]) at = kk;
            else if (kk >= 2) at = kk - 1;
            else continue;
            if (at < (size_t) stt[s]) ent[at] += weighted ? w[i] : 1.0;
          }
          for (int k = 0; k < stt[s]; k++)
            FZ_CHECK(fz_close(e.n_enter[o0 + k], ent[k], 1e-9), "flagged n_enter %g vs %g",
                     e.n_enter[o0 + k], ent[k]);
          free(ent);
        }
      }
    }
    for (int k = 0; k < 9; k++) free(a[k]);
    free(se_s); free(se_h); free(tol_s); free(tol_h);
    for (int k = 0; k < 9; k++) free(b[k]);
    free(stt); free(str);
  }
out:
  ns_km_free(work);
  free(time); free(start); free(w); free(status); free(stratum); free(cluster);
  free(position);
  return 0;
}
