/*
 * netsurv.h -- the public API of the netsurv survival engine.
 *
 * Pure C99: no R headers, no global or static mutable state (every function is
 * reentrant), no printing, no exit. Fallible functions return an ns_status;
 * ns_status_message() turns it into text for a front end. Inputs are plain
 * arrays plus lengths; outputs go to caller-owned buffers or to memory the core
 * allocates and the caller releases with the matching ns_*_free().
 */
#ifndef NETSURV_H
#define NETSURV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes (status.c) ------------------------------------------ */
typedef enum {
  NS_OK = 0,
  NS_ERR_NOMEM,           /* an allocation failed */
  NS_ERR_ARGUMENT,        /* a length, pointer or option is invalid */
  NS_ERR_TIME,            /* a time is NaN or infinite */
  NS_ERR_STATUS,          /* a status is not 0/1 */
  NS_ERR_WEIGHT,          /* a weight is negative, NaN or infinite */
  NS_ERR_START_STOP,      /* a counting-process interval has start >= stop */
  NS_ERR_STRATUM,         /* a stratum code is out of range */
  NS_ERR_NO_EVENTS,       /* no events at all */
  NS_ERR_ONE_GROUP,       /* a comparison needs at least two groups */
  NS_ERR_SINGULAR,        /* a matrix is singular beyond tolerance */
  NS_ERR_NONFINITE,       /* a covariate or intermediate is not finite */
  NS_ERR_INTERRUPTED,     /* the caller's callback asked to stop */
  NS_STATUS_COUNT
} ns_status;

/* The message for a status; never NULL, a static string. */
const char *ns_status_message(ns_status status);

/*
 * Progress / interrupt callback for long loops. Called now and then with the
 * fraction of work done (0..1); return non-zero to stop: the function then
 * frees what it took and returns NS_ERR_INTERRUPTED. May be NULL.
 */
typedef int (*ns_callback)(void *context, double fraction_done);

/* ---- sorting (sort.c) -------------------------------------------------- */
/*
 * ns_sort_order: a stable order of rows by (stratum ascending, time ascending).
 *   n        number of rows
 *   stratum  stratum code per row (0-based, any int >= 0), or NULL for one stratum
 *   time     times, all finite (checked: NS_ERR_TIME)
 *   order    out, length n: order[k] is the 0-based row that comes k-th
 * LSD radix sort on the IEEE bits of the times (11-bit digits, passes whose
 * digit is constant are skipped), then on the stratum codes: O(n), stable, so
 * rows with equal (stratum, time) keep their input order. -0.0 sorts as 0.0.
 */
ns_status ns_sort_order(size_t n, const int *stratum, const double *time,
                        int *order);

/*
 * ns_time_fix: merge times that differ only by floating-point fuzz, as
 * survival's aeqSurv() does (coxph, survfit and survdiff all apply it by
 * default), so that 0.1 + 0.2 and 0.3 form one tied time.
 *   n          rows
 *   time       stop (or only) times; start: entry times or NULL
 *   tolerance  sqrt(DBL_EPSILON) in survival; <= 0 copies the input
 *   time_out, start_out  out, length n (start_out only with start); must not
 *                        alias the inputs
 *   changed    out: 1 if any value moved
 * Rule (aeqSurv): sort the distinct finite values y of time and start;
 * consecutive values are tied when dy <= tolerance or dy / mean(|y|) <=
 * tolerance; each run of tied values becomes its smallest member. An interval
 * whose ends merge into one returns NS_ERR_START_STOP. Non-finite values pass
 * through unchanged.
 */
ns_status ns_time_fix(size_t n, const double *time, const double *start,
                      double tolerance, double *time_out, double *start_out,
                      int *changed);


/* ---- Kaplan-Meier (km.c) ---------------------------------------------- */
/*
 * Kaplan-Meier curves with their Nelson-Aalen companions, per stratum, as
 * survival's survfit() reports them. Two steps, so that the caller can size
 * its output buffers before anything is written:
 *   ns_km_prepare   checks the rows, sorts them, counts the time points
 *   ns_km_estimate  fills caller-owned buffers of that length
 *   ns_km_free      releases what ns_km_prepare took
 * The formulas, the tie rule and the references are in km.c.
 */

/* How the standard errors are computed. */
typedef enum {
  NS_KM_GREENWOOD = 0, /* Greenwood's formula (and sum d/n^2 for the cumulative
                          hazard) on the weighted counts: frequency weights */
  NS_KM_JACKKNIFE = 1  /* infinitesimal jackknife with each row its own
                          cluster: what survfit does when a case weight is
                          not an integer */
} ns_km_variance;

/* The rows. Every array has n elements and must stay alive and unchanged
 * from ns_km_prepare until ns_km_free. */
typedef struct {
  size_t n;                /* rows */
  const double *time;      /* event or censoring time (the stop time of an
                              interval for counting-process data); finite */
  const double *start;     /* entry times for counting-process data
                              (start < time), or NULL for right-censored */
  const int *status;       /* 1 event, 0 censored */
  const double *weight;    /* case weights (finite, >= 0), or NULL: all 1 */
  const int *stratum;      /* stratum of each row, 0 .. n_strata - 1, or NULL */
  int n_strata;            /* >= 1; 1 when stratum is NULL */
  ns_km_variance variance;
  double time_fix;         /* > 0: first merge times (and entry times) that
                              differ by no more than this, absolutely or
                              relative to their mean, with the rule of
                              ns_time_fix (survival's aeqSurv; survfit uses
                              sqrt(DBL_EPSILON)); <= 0: times as given */
} ns_km_data;

/* Caller-owned outputs. The per-time-point arrays have the length that
 * ns_km_prepare reported, stratum after stratum, times increasing within a
 * stratum; the per-stratum arrays have n_strata elements. */
typedef struct {
  double *time;       /* distinct event/censoring (stop) times */
  double *n_risk;     /* weighted number at risk just before the time */
  double *n_event;    /* weighted number of events at the time */
  double *n_censor;   /* weighted number censored at the time */
  double *surv;       /* Kaplan-Meier estimate */
  double *std_err;    /* Greenwood: standard error of log(surv);
                         jackknife: standard error of surv itself */
  double *cumhaz;     /* Nelson-Aalen cumulative hazard */
  double *std_chaz;   /* its standard error */
  double *n_enter;    /* may be NULL; counting-process data only: the weighted
                         number of rows entering before the stratum's first
                         time at its first point, 0 elsewhere (survfit's
                         n.enter without subject ids) */
  int *stratum_times; /* time points per stratum */
  int *stratum_rows;  /* rows per stratum */
} ns_km_curve;

typedef struct ns_km_work ns_km_work; /* opaque: the rows, sorted */

ns_status ns_km_prepare(const ns_km_data *data, ns_km_work **work,
                        size_t *n_times, ns_callback callback, void *context);
ns_status ns_km_estimate(const ns_km_work *work, const ns_km_curve *curve,
                         ns_callback callback, void *context);
void ns_km_free(ns_km_work *work);
/* (end of the Kaplan-Meier section)                                        */


/* ---- log-rank tests (logrank.c) --------------------------------------- */
/*
 * ns_logrank_test: the k-sample weighted log-rank test of survdiff, with
 * Fleming-Harrington G(rho, gamma) weights.
 *   n          rows
 *   time       times (finite; apply ns_time_fix first to tie fuzz as survdiff)
 *   status     0 = censored, 1 = event
 *   group      group code per row, 0 .. n_group - 1 (n_group >= 2)
 *   stratum    stratum code per row, 0 .. n_stratum - 1, or NULL (one stratum)
 *   rho, gamma weight exponents, finite and >= 0
 *   obs, exp   out, n_group x n_stratum, column-major (group varies fastest):
 *              weighted observed and expected events per group and stratum
 *   var        out, n_group x n_group: variance of (obs - exp) summed over strata
 *   chisq, df  out: the test statistic and its degrees of freedom
 * Rows may come in any order: the function sorts internally (ns_sort_order)
 * and does not modify its inputs. At an event time t with n at risk and d events in the
 * stratum, group k has r_k at risk and the weight is
 *   w(t) = S(t-)^rho (1 - S(t-))^gamma,
 * S the pooled left-continuous Kaplan-Meier of the stratum (all groups, all
 * rows); 0^0 = 1. Then obs_k += w d_k, exp_k += w d r_k / n and, when n > 1,
 *   var_jk += w^2 d (n - d) / (n - 1) * (r_j / n) (delta_jk - r_k / n),
 * the hypergeometric variance with ties (Mantel 1966; Fleming & Harrington
 * 1991, section 7.3; survdiff's G-rho family when gamma = 0). Censorings tied
 * with an event are at risk at that event.
 * Statistic (survdiff's rule): groups whose total expected count is 0 are
 * dropped, then the first remaining group; chisq = u' V^- u with u = obs - exp
 * summed over strata and V the matching block of var, V^- a generalized
 * inverse from an LDL' factorization that zeroes pivots below 1e-9 times the
 * largest diagonal; df = rank of V (survdiff: number of groups with
 * expected > 0, minus 1, which is the same unless V is singular). Fewer than
 * two groups with expected > 0 gives chisq = 0, df = 0.
 * Errors: NS_ERR_ARGUMENT (sizes, pointers, rho/gamma, codes out of range),
 * NS_ERR_STATUS, NS_ERR_TIME, NS_ERR_STRATUM, NS_ERR_ONE_GROUP (fewer than two
 * groups have rows), NS_ERR_NO_EVENTS, NS_ERR_NOMEM.
 */
ns_status ns_logrank_test(size_t n, const double *time, const int *status,
                          const int *group, const int *stratum, int n_group,
                          int n_stratum, double rho, double gamma, double *obs,
                          double *exp, double *var, double *chisq, int *df);

/*
 * ns_logrank_permutation: the permutation distribution of ns_logrank_test's
 * chisq when the group labels are exchangeable within strata.
 *   n .. gamma       as for ns_logrank_test
 *   max_permutations B >= 1: when the number M of distinct within-strata
 *                    arrangements of the labels is at most B, all M are
 *                    enumerated (exact); otherwise B random ones are drawn
 *   seed             seeds the generator (any 64-bit value)
 *   callback, context  progress / interrupt, may be NULL
 *   chisq_observed   out: the statistic on the given labels
 *   p_value          out: exact: #{T >= T_obs} / M; Monte Carlo:
 *                    (1 + #{T_b >= T_obs}) / (B + 1) (Phipson & Smyth 2010)
 *   std_error        out: 0 when exact; else sqrt(p (1 - p) / B)
 *   n_permutations   out: M or B
 *   enumerated       out: 1 when exact
 * T >= T_obs is judged with a tolerance of 1e-9 (1 + T_obs), so that
 * arrangements tied with the observed one count despite rounding.
 * The weights, risk-set sizes and event blocks do not depend on the labels,
 * so they are computed once from one sort; each arrangement then costs one
 * O(n + events * n_group^2) scan.
 * Generator: xoshiro256** (Blackman & Vigna 2018), its state filled from seed
 * by splitmix64; an index in [0, m) comes from the top 32 bits by Lemire's
 * multiply-and-reject method (unbiased); each stratum's labels are shuffled
 * by Fisher-Yates. Enumeration steps every stratum through its distinct
 * arrangements in lexicographic order, odometer fashion.
 * Errors: as ns_logrank_test, plus NS_ERR_INTERRUPTED from the callback.
 */
ns_status ns_logrank_permutation(size_t n, const double *time, const int *status,
                                 const int *group, const int *stratum,
                                 int n_group, int n_stratum, double rho,
                                 double gamma, size_t max_permutations,
                                 unsigned long long seed, ns_callback callback,
                                 void *context, double *chisq_observed,
                                 double *p_value, double *std_error,
                                 size_t *n_permutations, int *enumerated);
/* (end of the log-rank section)                                            */


/* ---- linear algebra (linalg.c) ---------------------------------------- */
/* The linear-algebra section: ns_linalg_* declarations go here.            */
/* (end of the linear-algebra section)                                      */


/* ---- Cox proportional hazards (cox.c) --------------------------------- */
/* The Cox section: ns_cox_* declarations go here.                          */
/* (end of the Cox section)                                                 */


/* ---- Cox residuals and diagnostics (cox_resid.c) ---------------------- */
/* The Cox-diagnostics section: declarations go here.                       */
/* (end of the Cox-diagnostics section)                                     */


#ifdef __cplusplus
}
#endif
#endif /* NETSURV_H */
