/*
 * moments.c -- "moments in, estimates out": Kaplan-Meier, log-rank and the
 * pieces of a Cox Newton step computed from pre-aggregated per-(stratum,
 * time) sums rather than from rows.
 *
 * Why: every one of these estimators needs the rows only through sums over
 * the rows that share a (stratum, time) key -- counts of events, censorings
 * and entries for a curve or a test, and sums of w exp(eta), w exp(eta) x and
 * w exp(eta) x x' for a Cox model -- followed by one reverse cumulative sum
 * over the times. An engine that holds the rows (a database, a cluster, a
 * stream of chunks) can compute the GROUP BY sums itself and hand over only a
 * table the size of the distinct times; the functions here finish exactly,
 * with the formulas and conventions of km.c, logrank.c and cox.c.
 *
 * All inputs are "records": one per distinct (stratum, time) key, sorted by
 * stratum, then time ascending, with no duplicate key. Merging of times that
 * differ only by floating-point fuzz (survival's aeqSurv) is the caller's
 * job: merge the keys and add their records' sums.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "internal.h"

/* Records must be sorted by (stratum, time) without duplicates, strata in
 * range, times finite. */
static ns_status check_records(size_t m, const int *stratum, const double *time, int n_strata)
{
  for (size_t k = 0; k < m; k++) {
    if (!isfinite(time[k])) return NS_ERR_TIME;
    int s = stratum ? stratum[k] : 0;
    if (s < 0 || s >= n_strata) return NS_ERR_STRATUM;
    if (k > 0) {
      int s0 = stratum ? stratum[k - 1] : 0;
      if (s < s0 || (s == s0 && !(time[k] > time[k - 1]))) return NS_ERR_ARGUMENT;
    }
  }
  return NS_OK;
}

static int nonneg_finite(size_t m, const double *v)
{
  if (!v) return 1;
  for (size_t k = 0; k < m; k++)
    if (!(v[k] >= 0) || !isfinite(v[k])) return 0;
  return 1;
}

/*
 * ns_km_from_moments: Kaplan-Meier and Nelson-Aalen curves from counts.
 *   mo    the records (see ns_km_moments in netsurv.h)
 *   out   caller-owned; time .. std_chaz need room for one element per
 *         record with n_stop > 0 (m is always enough); stratum_times
 *         n_strata ints. n_enter and stratum_rows are not written.
 *   n_times  out: the number of time points written
 * A record is a time point when a row stops there (n_stop > 0, zero-weight
 * rows included, as in survfit). Number at risk at t: the weight of rows with
 * stop >= t less that of rows with entry >= t, summed from the end of the
 * stratum (as km.c, so small late risk sets stay accurate). At a time with d
 * events among n at risk: S *= (n - d) / n with n - d never below 0 (the
 * core's one product-limit step, ns_km_factor), Greenwood sum d / (n (n - d))
 * (std_err is its square root: the standard error of log S), Nelson-Aalen
 * H += d / n with variance sum d / n^2. Events come before censorings at a
 * tied time. Reference: Kaplan & Meier (1958); Greenwood (1926).
 * Errors: NS_ERR_ARGUMENT (NULL pointers, records unsorted or duplicated,
 * events without a stopping row), NS_ERR_TIME, NS_ERR_STRATUM,
 * NS_ERR_WEIGHT (a negative or non-finite count).
 */
ns_status ns_km_from_moments(const ns_km_moments *mo, const ns_km_curve *out, size_t *n_times)
{
  if (!mo || !out || !n_times || mo->n_strata < 1) return NS_ERR_ARGUMENT;
  *n_times = 0;
  size_t m = mo->m;
  if (m > 0 && (!mo->time || !mo->n_stop || !mo->n_event || !mo->n_censor)) return NS_ERR_ARGUMENT;
  if (!out->time || !out->n_risk || !out->n_event || !out->n_censor || !out->surv ||
      !out->std_err || !out->cumhaz || !out->std_chaz || !out->stratum_times)
    return NS_ERR_ARGUMENT;
  ns_status st = check_records(m, mo->stratum, mo->time, mo->n_strata);
  if (st != NS_OK) return st;
  if (!nonneg_finite(m, mo->n_stop) || !nonneg_finite(m, mo->n_event) ||
      !nonneg_finite(m, mo->n_censor) || !nonneg_finite(m, mo->n_enter))
    return NS_ERR_WEIGHT;
  for (size_t k = 0; k < m; k++)
    if (mo->n_stop[k] == 0 && (mo->n_event[k] > 0 || mo->n_censor[k] > 0)) return NS_ERR_ARGUMENT;

  for (int s = 0; s < mo->n_strata; s++) out->stratum_times[s] = 0;
  size_t o = 0;
  size_t k0 = 0;
  while (k0 < m) {
    int s = mo->stratum ? mo->stratum[k0] : 0;
    size_t k1 = k0;
    while (k1 < m && (mo->stratum ? mo->stratum[k1] : 0) == s) k1++;
    /* The time points of this stratum, then their risk sets backwards. */
    size_t first = o;
    for (size_t k = k0; k < k1; k++) {
      if (mo->n_stop[k] > 0) {
        out->time[o] = mo->time[k];
        out->n_event[o] = mo->n_event[k];
        out->n_censor[o] = mo->n_censor[k];
        o++;
      }
    }
    double at_risk = 0.0;
    size_t q = o;
    for (size_t k = k1; k-- > k0;) {
      /* A row entering at t is not at risk at t (start < t <= stop). */
      if (mo->n_enter) at_risk -= mo->n_enter[k];
      if (mo->n_stop[k] > 0) {
        at_risk += mo->n_event[k] + mo->n_censor[k];
        out->n_risk[--q] = at_risk;
      }
    }
    /* the curve and its variances as km.c's weighted path computes them */
    ns_km_greenwood(out, first, o - first);
    out->stratum_times[s] = (int) (o - first);
    k0 = k1;
  }
  *n_times = o;
  return NS_OK;
}

/*
 * ns_logrank_from_moments: the k-sample weighted log-rank test of
 * ns_logrank_test from per-(stratum, time, group) counts.
 *   mo          the records (see ns_logrank_moments): n_event and n_stop are
 *               m x n_group column-major (record varies fastest)
 *   rho, gamma  Fleming-Harrington exponents, finite, >= 0
 *   obs, exp    out, n_group x n_stratum column-major
 *   var         out, n_group x n_group
 *   chisq, df   out
 * Right-censored data: the number at risk of group g at t is the weight of
 * its rows with stop >= t (a backward sum over the stratum's records). The
 * weights, the hypergeometric variance and the statistic's rule (groups with
 * no expected events dropped, then the first remaining one; a generalized
 * inverse zeroing pivots below 1e-9 of the largest diagonal, df its rank:
 * the same function, ns_logrank_chisq, decides it) are those of
 * ns_logrank_test, whose comment gives the formulas and the references (Mantel 1966; Fleming & Harrington 1991, section 7.3).
 * Errors: NS_ERR_ARGUMENT, NS_ERR_TIME, NS_ERR_STRATUM, NS_ERR_WEIGHT,
 * NS_ERR_ONE_GROUP (fewer than two groups have rows), NS_ERR_NO_EVENTS,
 * NS_ERR_NONFINITE (counts so large that their sums overflow), NS_ERR_NOMEM.
 */
ns_status ns_logrank_from_moments(const ns_logrank_moments *mo, double rho, double gamma,
                                  double *obs, double *exp, double *var, double *chisq,
                                  int *df)
{
  if (!mo || !obs || !exp || !var || !chisq || !df) return NS_ERR_ARGUMENT;
  if (mo->n_group < 2 || mo->n_stratum < 1 || mo->m == 0 || !mo->time || !mo->n_event ||
      !mo->n_stop)
    return NS_ERR_ARGUMENT;
  if (!(rho >= 0) || !(gamma >= 0) || !isfinite(rho) || !isfinite(gamma)) return NS_ERR_ARGUMENT;
  size_t m = mo->m, G = (size_t) mo->n_group, S = (size_t) mo->n_stratum;
  ns_status st = check_records(m, mo->stratum, mo->time, mo->n_stratum);
  if (st != NS_OK) return st;
  if (!nonneg_finite(m * G, mo->n_event) || !nonneg_finite(m * G, mo->n_stop)) return NS_ERR_WEIGHT;
  for (size_t i = 0; i < m * G; i++)
    if (mo->n_event[i] > mo->n_stop[i] * (1 + 1e-12)) return NS_ERR_ARGUMENT;

  double *risk = calloc(2 * G + 1, sizeof *risk);
  double *total = risk + G;
  if (!risk) return NS_ERR_NOMEM;
  memset(obs, 0, G * S * sizeof *obs);
  memset(exp, 0, G * S * sizeof *exp);
  memset(var, 0, G * G * sizeof *var);
  int any_event = 0;
  for (size_t k = 0; k < m; k++)
    for (size_t g = 0; g < G; g++) {
      total[g] += mo->n_stop[k + g * m];
      if (mo->n_event[k + g * m] > 0) any_event = 1;
    }
  int groups = 0;
  for (size_t g = 0; g < G; g++) groups += total[g] > 0;
  if (groups < 2) { free(risk); return NS_ERR_ONE_GROUP; }
  if (!any_event) { free(risk); return NS_ERR_NO_EVENTS; }

  /* Per stratum: the number at risk per group needs a backward sum, the
   * pooled Kaplan-Meier weight a forward one; so first the at-risk totals
   * backwards into a scratch array, then one forward pass. */
  double *nrisk = malloc((m * G + 1) * sizeof *nrisk);
  if (!nrisk) { free(risk); return NS_ERR_NOMEM; }
  size_t k0 = 0;
  while (k0 < m) {
    int s = mo->stratum ? mo->stratum[k0] : 0;
    size_t k1 = k0;
    while (k1 < m && (mo->stratum ? mo->stratum[k1] : 0) == s) k1++;
    for (size_t g = 0; g < G; g++) risk[g] = 0;
    for (size_t k = k1; k-- > k0;)
      for (size_t g = 0; g < G; g++) {
        risk[g] += mo->n_stop[k + g * m];
        nrisk[k + g * m] = risk[g];
      }
    double km = 1.0;
    for (size_t k = k0; k < k1; k++) {
      double n = 0, d = 0;
      for (size_t g = 0; g < G; g++) {
        n += nrisk[k + g * m];
        d += mo->n_event[k + g * m];
      }
      if (!(d > 0)) continue;
      double wt = (rho == 0 ? 1.0 : pow(km, rho)) * (gamma == 0 ? 1.0 : pow(1.0 - km, gamma));
      for (size_t g = 0; g < G; g++) {
        double r = nrisk[k + g * m];
        obs[g + (size_t) s * G] += wt * mo->n_event[k + g * m];
        exp[g + (size_t) s * G] += wt * d * r / n;
      }
      if (n > 1) {
        double f = wt * wt * d * (n - d) / (n - 1);
        for (size_t j = 0; j < G; j++) {
          double rj = nrisk[k + j * m], pj = rj / n;
          if (pj == 0) continue;
          for (size_t i = 0; i < G; i++) {
            /* the diagonal as r_j (n - r_j) / n: exactly 0 when group j is
             * the whole risk set, as in ns_logrank_test */
            double d_i = i == j ? (n - rj) / n : -(nrisk[k + i * m] / n);
            var[i + j * G] += f * pj * d_i;
          }
        }
      }
      km *= ns_km_factor(n, d);
    }
    k0 = k1;
  }
  free(nrisk);

  /* The statistic: the one rule of every log-rank entry point (the df is
   * the rank of the variance, decided in one place: ns_logrank_chisq). */
  double *work = malloc((G * G + 4 * G) * sizeof *work);
  int *keep = malloc(G * sizeof *keep);
  if (!work || !keep) { free(work); free(keep); free(risk); return NS_ERR_NOMEM; }
  double *o_tot = work + G * G + 2 * G, *e_tot = o_tot + G;
  for (size_t g = 0; g < G; g++) {
    double so = 0, se = 0;
    for (size_t s = 0; s < S; s++) { so += obs[g + s * G]; se += exp[g + s * G]; }
    o_tot[g] = so;
    e_tot[g] = se;
  }
  /* counts near DBL_MAX can overflow the sums */
  int finite = 1;
  for (size_t g = 0; g < G; g++) finite &= isfinite(o_tot[g]) && isfinite(e_tot[g]);
  for (size_t i = 0; i < G * G; i++) finite &= isfinite(var[i]) != 0;
  if (!finite) { free(work); free(keep); free(risk); return NS_ERR_NONFINITE; }
  ns_logrank_chisq((int) G, o_tot, e_tot, var, work, keep, chisq, df, NULL, NULL);
  free(work);
  free(keep);
  free(risk);
  return st;
}

/* Packed upper triangle, column by column: element (i, j), i <= j. */
static size_t packed(size_t i, size_t j) { return j * (j + 1) / 2 + i; }

/*
 * ns_cox_moments_eval: the log partial likelihood, its score and its
 * information at the coefficients the sums were computed with.
 *   mo      the records (see ns_cox_moments): per (stratum, time) the sums,
 *           at the current beta, over the rows that stop there, over the
 *           rows that enter there (start == time; (start, stop] data only)
 *           and over the events there
 *   ties    NS_COX_BRESLOW or NS_COX_EFRON
 *   scale   p multipliers (or NULL for 1): the outputs are for the covariates
 *           x * scale, i.e. u_j * scale_j and I_ij * scale_i * scale_j, the
 *           scaled coordinates of ns_cox_fit
 *   loglik  out: sum over events of w eta minus the log-denominator terms
 *   u       out, p: the score
 *   imat    out, p x p column-major (full, symmetric): the information
 * The risk set at t is {stop >= t} less {start >= t}: a backward sum over the
 * stratum's records. At an event time with d events (count), event weight dw
 * and risk sums R0, R1, R2 (of w r, w r x, w r x x'):
 *   Breslow: loglik -= dw log R0, u -= dw R1 / R0,
 *            I += dw (R2 / R0 - xbar xbar'), xbar = R1 / R0;
 *   Efron:   for k = 0 .. d - 1 with f = k / d, D = R0 - f E0, a = (R1 - f E1)
 *            / D: loglik -= (dw / d) log D, u -= (dw / d) a, I += (dw / d)
 *            ((R2 - f E2) / D - a a'), E0, E1, E2 the events' own sums.
 * and loglik += sum w eta, u += sum w x over the events. The covariates may
 * be shifted by any constant (centred): the results do not change, up to
 * rounding, as long as eta, x and the sums use the same shift.
 * Reference: Therneau & Grambsch (2000), section 3.3; Efron (1977).
 * Errors: NS_ERR_ARGUMENT (NULL pointers, unsorted records, d not a whole
 * number >= 0), NS_ERR_TIME, NS_ERR_STRATUM, NS_ERR_NOMEM, NS_ERR_NONFINITE
 * (a risk set with no positive weight at an event, or a non-finite result:
 * the caller halves the step).
 */
ns_status ns_cox_moments_eval(const ns_cox_moments *mo, ns_cox_ties ties, const double *scale,
                              double *loglik, double *u, double *imat)
{
  if (!mo || !loglik || (mo->p > 0 && (!u || !imat))) return NS_ERR_ARGUMENT;
  size_t m = mo->m, p = mo->p, q = p * (p + 1) / 2;
  if (m == 0 || !mo->time || !mo->s0 || !mo->d || !mo->dw || !mo->deta) return NS_ERR_ARGUMENT;
  if (p > 0 && (!mo->s1 || !mo->s2 || !mo->dx)) return NS_ERR_ARGUMENT;
  int counting = mo->in0 != NULL;
  if (counting && p > 0 && (!mo->in1 || !mo->in2)) return NS_ERR_ARGUMENT;
  int efron = ties == NS_COX_EFRON;
  if (efron && (!mo->d0 || (p > 0 && (!mo->d1 || !mo->d2)))) return NS_ERR_ARGUMENT;
  if (p > 46340) return NS_ERR_ARGUMENT;
  ns_status st = check_records(m, mo->stratum, mo->time, mo->n_strata < 1 ? 1 : mo->n_strata);
  if (st != NS_OK) return st;
  for (size_t k = 0; k < m; k++)
    if (!(mo->d[k] >= 0) || mo->d[k] != floor(mo->d[k]) || mo->d[k] > 4.5e15)
      return NS_ERR_ARGUMENT;

  double *r1 = calloc(2 * p + q + 1, sizeof *r1);
  if (!r1) return NS_ERR_NOMEM;
  double *r2 = r1 + p, *a = r2 + q;
  double ll = 0;
  for (size_t j = 0; j < p; j++) u[j] = 0;
  for (size_t j = 0; j < p * p; j++) imat[j] = 0;
  /* Strata backwards, each swept from its last record; the information's
   * upper triangle is accumulated, then mirrored. */
  size_t k1 = m;
  while (k1 > 0) {
    int s = mo->stratum ? mo->stratum[k1 - 1] : 0;
    size_t k0 = k1;
    while (k0 > 0 && (mo->stratum ? mo->stratum[k0 - 1] : 0) == s) k0--;
    double r0 = 0;
    for (size_t j = 0; j < p; j++) r1[j] = 0;
    for (size_t j = 0; j < q; j++) r2[j] = 0;
    for (size_t k = k1; k-- > k0;) {
      r0 += mo->s0[k];
      for (size_t j = 0; j < p; j++) r1[j] += mo->s1[k + j * m];
      for (size_t j = 0; j < q; j++) r2[j] += mo->s2[k + j * m];
      if (counting) {
        /* Rows entering at t are not at risk at t: out before the event
         * terms at t are taken. */
        r0 -= mo->in0[k];
        for (size_t j = 0; j < p; j++) r1[j] -= mo->in1[k + j * m];
        for (size_t j = 0; j < q; j++) r2[j] -= mo->in2[k + j * m];
      }
      double d = mo->d[k], dw = mo->dw[k];
      if (!(d > 0)) continue;
      ll += mo->deta[k];
      for (size_t j = 0; j < p; j++) u[j] += mo->dx[k + j * m];
      size_t terms = efron ? (size_t) d : 1;
      double wt = efron ? dw / d : dw;
      for (size_t t = 0; t < terms; t++) {
        double f = efron ? (double) t / d : 0.0;
        double den = efron ? r0 - f * mo->d0[k] : r0;
        if (!(den > 0)) { free(r1); return NS_ERR_NONFINITE; }
        ll -= wt * log(den);
        for (size_t j = 0; j < p; j++) {
          a[j] = (efron ? r1[j] - f * mo->d1[k + j * m] : r1[j]) / den;
          u[j] -= wt * a[j];
        }
        for (size_t j = 0; j < p; j++)
          for (size_t i = 0; i <= j; i++) {
            size_t c = packed(i, j);
            double s2 = efron ? r2[c] - f * mo->d2[k + c * m] : r2[c];
            imat[i + j * p] += wt * (s2 / den - a[i] * a[j]);
          }
      }
    }
    k1 = k0;
  }
  for (size_t j = 0; j < p; j++) {
    double sj = scale ? scale[j] : 1.0;
    u[j] *= sj;
    for (size_t i = 0; i <= j; i++) {
      double si = scale ? scale[i] : 1.0;
      imat[i + j * p] *= si * sj;
      imat[j + i * p] = imat[i + j * p];
    }
  }
  *loglik = ll;
  free(r1);
  if (!isfinite(ll)) return NS_ERR_NONFINITE;
  for (size_t j = 0; j < p; j++)
    if (!isfinite(u[j])) return NS_ERR_NONFINITE;
  for (size_t j = 0; j < p * p; j++)
    if (!isfinite(imat[j])) return NS_ERR_NONFINITE;
  return NS_OK;
}
