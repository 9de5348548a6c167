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
  NS_ERR_TOO_LARGE,       /* the work asked for is beyond what the method allows */
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


/* ---- Kaplan-Meier (km.c, km_options.c) -------------------------------- */
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
  /* Read by ns_km_apply_options only (km_options.c); NULL when unused: */
  const int *cluster;      /* cluster of each row, 0 .. n_clusters - 1, for
                              the robust variance by cluster */
  int n_clusters;
  const int *position;     /* survfit's subject flags of each row: bit 1 =
                              a subject's first interval, bit 2 = its last */
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

/* survfit's options of a Kaplan-Meier fit (km_options.c): applied by
 * ns_km_apply_options to a curve that ns_km_estimate has just filled. */
typedef struct {
  int stype;   /* 1: the Kaplan-Meier product; 2: exp(-cumulative hazard) */
  int ctype;   /* 1: Nelson-Aalen hazard; 2: Fleming-Harrington hazard */
  int robust;  /* 1: robust (infinitesimal-jackknife) variances by the
                  clusters of ns_km_data.cluster; 0: as estimated */
} ns_km_options;

ns_status ns_km_apply_options(const ns_km_work *work, const ns_km_options *options,
                              const ns_km_curve *curve, ns_callback callback,
                              void *context);
/* (end of the Kaplan-Meier section)                                        */


/* ---- log-rank tests (logrank.c) --------------------------------------- */
/*
 * ns_logrank_test: the k-sample weighted log-rank test of survdiff, with
 * Fleming-Harrington G(rho, gamma) weights.
 *   n          rows
 *   time       times (finite; apply ns_time_fix first, or pass ns_logrank_test_cb
 *              a time_fix, to tie fuzz as survdiff)
 *   status     0 = censored, 1 = event
 *   group      group code per row, 0 .. n_group - 1 (n_group >= 2)
 *   stratum    stratum code per row, 0 .. n_stratum - 1, or NULL (one stratum)
 *   rho, gamma weight exponents, finite and >= 0
 *   obs, exp   out, n_group x n_stratum, column-major (group varies fastest):
 *              weighted observed and expected events per group and stratum
 *   var        out, n_group x n_group: variance of (obs - exp) summed over strata
 *   chisq, df  out: the test statistic and its degrees of freedom
 * Rows may come in any order: the function sorts internally (the order of
 * ns_sort_order, from ns_rank_distinct and a counting scatter) and does not
 * modify its inputs. At an event time t with n at risk and d events in the
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
 * ns_logrank_test_cb: ns_logrank_test with a progress / interrupt callback
 * (may be NULL), called about every 2^20 units of work: the scan costs
 * O(n_group^2) per event time and the statistic O(n_group^3), minutes with
 * thousands of groups. NS_ERR_INTERRUPTED when the callback asks to stop
 * (the outputs are then partial). time_fix > 0 first merges times that
 * differ only by floating-point fuzz, with ns_time_fix's rule and this
 * tolerance (survdiff's default is sqrt(DBL_EPSILON)), on the distinct times
 * rather than the rows (the inputs stay unchanged); 0 takes the times as
 * they are; negative or not finite is NS_ERR_ARGUMENT. ns_logrank_test is
 * this with time_fix = 0 and no callback.
 */
ns_status ns_logrank_test_cb(size_t n, const double *time, const int *status,
                             const int *group, const int *stratum, int n_group,
                             int n_stratum, double rho, double gamma, double time_fix,
                             double *obs, double *exp, double *var, double *chisq, int *df,
                             ns_callback callback, void *context);

/*
 * ns_logrank_permutation: the permutation distribution of ns_logrank_test's
 * chisq when the group labels are exchangeable within strata.
 *   n .. gamma       as for ns_logrank_test
 *   time_fix         as for ns_logrank_test_cb
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
                                 double gamma, double time_fix, size_t max_permutations,
                                 unsigned long long seed, ns_callback callback,
                                 void *context, double *chisq_observed,
                                 double *p_value, double *std_error,
                                 size_t *n_permutations, int *enumerated);
/*
 * ns_logrank_maxcombo_permutation: the permutation distribution of the
 * MaxCombo statistic, the largest of K standardized two-sample
 * Fleming-Harrington statistics, when the two arms' labels are exchangeable
 * within strata.
 *   n .. stratum     as for ns_logrank_test, with group codes 0/1
 *   n_stratum        strata (>= 1)
 *   n_weights        K >= 1
 *   rho, gamma       K weight exponents each, finite and >= 0
 *   sides            0: max_k |Z_k|; 1: max_k Z_k; -1: max_k (-Z_k)
 *   max_permutations, seed, callback, context   as for ns_logrank_permutation
 *   max_observed     out: the statistic on the given labels
 *   p_value .. enumerated  out: as for ns_logrank_permutation
 * Z_k = (obs_0 - exp_0) / sqrt(var_00) with ns_logrank_test's weighted
 * observed and expected events of group 0 summed over strata (0 when the
 * variance is 0): positive when group 0 has more events than expected. The
 * same tie rule, weights and generator as ns_logrank_permutation; each
 * arrangement costs K scans. Reference: Lee (2007), Comput Stat Data Anal
 * 51, 6557-6564.
 * Errors: as ns_logrank_permutation.
 */
ns_status ns_logrank_maxcombo_permutation(size_t n, const double *time, const int *status,
                                          const int *group, const int *stratum,
                                          int n_stratum, int n_weights, const double *rho,
                                          const double *gamma, int sides,
                                          size_t max_permutations, unsigned long long seed,
                                          ns_callback callback, void *context,
                                          double *max_observed, double *p_value,
                                          double *std_error, size_t *n_permutations,
                                          int *enumerated);
/* -- end of the MaxCombo block (issue 15) */
/* (end of the log-rank section)                                            */


/* ---- Cox proportional hazards (cox.c, cox_firth.c, cox_robust.c, cox_exact.c,
 * concordance.c) */
/* NS_COX_EXACT: the exact partial likelihood (cox_exact.c; no case weights,
 * no robust variance, no Firth penalty -- NS_ERR_ARGUMENT -- and ties of at
 * most 500 events, NS_ERR_TOO_LARGE beyond) */
typedef enum { NS_COX_BRESLOW = 0, NS_COX_EFRON = 1, NS_COX_EXACT = 2 } ns_cox_ties;

/* The data of a Cox model, in input row order (never modified). */
typedef struct {
  size_t n, p;
  const double *x;      /* n x p column-major covariates; NULL when p == 0 */
  const double *time;   /* stop (or only) times, finite */
  const double *start;  /* entry times for (start, stop] data, or NULL */
  const int *status;    /* 0 censored, 1 event */
  const double *weight; /* case weights > 0, or NULL for 1 */
  const double *offset; /* or NULL for 0 */
  const int *stratum;   /* 0-based stratum codes, or NULL */
  const int *center;    /* per column: 1 centre and scale internally, 0 leave
                           as is; NULL: coxph's rule (nocenter = c(-1, 0, 1):
                           columns holding only -1, 0, 1 are left as is) */
  const int *cluster;   /* 0-based cluster codes < n_cluster for the robust
                           variance, or NULL for one cluster per row */
  size_t n_cluster;
} ns_cox_data;

typedef struct {
  ns_cox_ties ties;
  int iter_max;         /* Newton-Raphson iterations (0: evaluate at init) */
  double eps;           /* convergence: |1 - loglik_old / loglik_new| <= eps */
  double toler_chol;    /* collinearity tolerance (see ns_linalg_chol) */
  double toler_inf;     /* monotone-likelihood flag tolerance */
  const double *init;   /* p starting values, or NULL for 0 */
  const int *fixed;     /* p flags: 1 holds the coefficient at init (profile
                           likelihood), or NULL */
  int robust;           /* 1: sandwich variance collapsed by data->cluster */
  int firth;            /* 1: maximise Firth's penalised partial likelihood
                           l + log|I| / 2 (Breslow ties only, as coxphf;
                           NS_ERR_ARGUMENT with Efron) */
  int threads;          /* OpenMP threads to use, >= 1 */
} ns_cox_control;

/* Outputs, caller-allocated; pointers marked "or NULL" may be NULL. */
typedef struct {
  double *coef;         /* p; NaN for a dropped (collinear) column */
  double *var;          /* p * p; the robust variance when robust */
  double *naive_var;    /* p * p model-based variance (robust only), or NULL */
  double *u;            /* p score vector at the estimate, or NULL */
  double *means;        /* p centring values (coxph's $means), or NULL */
  double *lp;           /* n linear predictors (coxph's), or NULL */
  double *resid;        /* n martingale residuals, or NULL */
  int *infinite;        /* p: 1 where the coefficient seems to run to
                           infinity (monotone likelihood), or NULL */
  double loglik[2];     /* at init and at the estimate (penalised if firth) */
  double loglik_plain[2]; /* the unpenalised partial likelihood, same points */
  double score_test;    /* score test at init */
  double wald_test;     /* Wald test of coef = init (robust when robust) */
  double robust_score_test; /* robust score test (robust only) */
  int iter;             /* Newton-Raphson iterations used */
  int converged;        /* 1 when the loglik change fell below eps */
  int rank;             /* number of non-dropped columns */
  double *log_expected; /* n: log of each row's expected count r_i Lambda_i
                           (per unit weight: resid = status - exp(this)),
                           formed in logs so that it keeps its precision
                           where resid rounds to the status (for
                           ns_cox_deviance); -Inf for none; or NULL */
} ns_cox_result;

/*
 * ns_cox_fit: Cox proportional hazards fit by Newton-Raphson with step
 * halving (survival's coxph.fit / agreg.fit algorithm).
 *   data, control  see the structs above; result  outputs
 * Rows stay in the caller's order (nothing of size n x p is copied or
 * permuted): ranking the distinct (stratum, time) pairs (ns_rank_distinct)
 * numbers each stratum's distinct EVENT times as "slots", and every row is at
 * risk in a contiguous run of slots (start, stop] of its stratum. Per
 * iteration: one pass over the rows adds them into per-slot bins (the
 * risk-set sums are reverse cumulative sums over the slots), a pass over the
 * slots gives the hazard increments, and one more pass over the rows, in
 * blocks, assembles the information matrix as
 *   I = X' diag(c) X - sum over event terms of wt * xbar xbar'
 * with c_j = w_j exp(eta_j) (Lambda(stop_j) - Lambda(start_j)): block Gram
 * matrices (ns_gram_upper, dsyrk for wide X) rather than a rank-1 update per
 * row; the passes run on control->threads OpenMP threads. Ties: Breslow, or Efron's
 * approximation (tied events leave the risk set in equal parts, which only
 * changes c for the events themselves). Covariates are centred and scaled
 * internally (coxph's rule), results are on the original scale.
 * Newton-Raphson stops where survival stops (coxfit6's rule for
 * right-censored data, agfit4's for (start, stop] data: convergence test,
 * step halving, what is reported when iter_max runs out and
 * result->iter then), so fits under monotone likelihood end at coxph's
 * iterate; result->infinite follows coxph.fit's / agreg.fit's warning rule.
 * Risk scores are scaled per slot (no underflow of a risk set of
 * right-censored data). A column left uncentred that is constant is dropped.
 * Preconditions: finite times, start < stop, status 0/1, weights > 0 and
 * finite covariates (checked; NS_ERR_* on failure); at least one event.
 * References: Cox (1972); Efron (1977); Therneau & Grambsch (2000), ch. 3;
 * Firth (1993) and Heinze & Schemper (2001) for control->firth.
 */
ns_status ns_cox_fit(const ns_cox_data *data, const ns_cox_control *control,
                     ns_cox_result *result, ns_callback callback, void *context);

/*
 * ns_cox_concordance: Harrell's concordance of a risk score with survival,
 * as survival's concordancefit(reverse = TRUE, timewt = "n") computes it
 * for coxph: comparable pairs are (event at t, subject at risk at t and
 * still event-free after t) within a stratum; pairs tied on the time are
 * tied.y; the standard error is from the infinitesimal jackknife (collapsed
 * by cluster when given).
 *   n, time, start (or NULL), status, weight (or NULL), stratum (or NULL),
 *   score (the linear predictor), cluster (0-based codes < n_cluster, or NULL)
 *   count  out[5]: concordant, discordant, tied.x, tied.y, tied.xy
 *   concordance, std  out
 * O(n log n): a sum tree over the rows in score order, whose reads are sums
 * of nonnegative weights (exact to rounding for weights of any spread).
 */
ns_status ns_cox_concordance(size_t n, const double *time, const double *start,
                             const int *status, const double *weight,
                             const int *stratum, const double *score,
                             const int *cluster, size_t n_cluster,
                             double *count, double *concordance, double *std);
/*
 * ns_cox_concordance_cvar: ns_cox_concordance, plus the variance of the
 * concordance under the Cox model, survival's `cvar`: sum over event times
 * of d_t * (the weighted variance, over the risk set at t, of r_i = weight
 * at risk with a higher score - weight with a lower score), divided by
 * 4 npair^2 (npair = concordant + discordant + tied.x weights). The
 * arguments are ns_cox_concordance's; cvar out (may be NULL).
 * Errors (both functions): NS_ERR_NONFINITE (a score), NS_ERR_TIME,
 * NS_ERR_STATUS (not 0/1), NS_ERR_WEIGHT (negative or not finite),
 * NS_ERR_START_STOP (start >= stop), NS_ERR_ARGUMENT, NS_ERR_NOMEM.
 * Reference: survival's concordance.Rnw (the "Cox variance").
 */
ns_status ns_cox_concordance_cvar(size_t n, const double *time, const double *start,
                                  const int *status, const double *weight,
                                  const int *stratum, const double *score,
                                  const int *cluster, size_t n_cluster,
                                  double *count, double *concordance, double *std,
                                  double *cvar);
/* (end of the Cox section)                                                 */


/* ---- Cox residuals and diagnostics (cox_resid.c) ---------------------- */
/*
 * The fitted model as the diagnostics see it, in input row order (never
 * modified). eta is the fit's linear predictor (offset included); the risk
 * score of a row is exp(eta). Same preconditions as ns_cox_data: finite
 * times, start < stop, status 0/1, weights > 0, finite x and eta.
 */
typedef struct {
  size_t n, p;
  const double *x;      /* n x p column-major covariates (p may be 0) */
  const double *time;   /* stop (or only) times */
  const double *start;  /* entry times, or NULL for right-censored data */
  const int *status;    /* 0 censored, 1 event */
  const double *weight; /* case weights, or NULL for 1 */
  const double *eta;    /* linear predictor per row */
  const int *stratum;   /* 0-based stratum codes, or NULL */
  ns_cox_ties ties;
} ns_cox_model;

/*
 * The hazard of a fit at each distinct stop time of each stratum (a "time
 * point"; the fit's "slots" are only the distinct event times),
 * the pieces of survfit.coxph's estimator (survival's agsurv). Time points run
 * by stratum, then time; every distinct stop time is a time point, events
 * or not.
 *   stratum, time   the time point
 *   n_risk          summed weight of the rows at risk (start < t <= stop)
 *   n_event, n_censor  summed weight of the events / censorings at t
 *   haz             hazard increment of the baseline (eta = 0):
 *                   Breslow dw / D; Efron (dw / d) sum_k 1 / D_k with
 *                   D_k = D - (k / d) D_events, k = 0 .. d - 1
 *   varhaz          its variance term: dw / D^2, Efron (dw / d) sum_k 1 / D_k^2
 *   xhaz            m x p row-major: the hazard-weighted covariate mean,
 *                   Breslow haz * xbar, Efron (dw / d) sum_k xbar_k / D_k
 */
typedef struct {
  size_t m, p;
  int *stratum;
  double *time, *n_risk, *n_event, *n_censor, *haz, *varhaz, *xhaz;
} ns_cox_hazard_result;

/*
 * ns_cox_hazard: the baseline hazard increments of a fitted Cox model (see
 * ns_cox_hazard_result), allocated by the core; release with
 * ns_cox_hazard_free (also safe on a zeroed struct). Rows in any order: the
 * function sorts by (stratum, stop) once (and by start for (start, stop]
 * data) and sweeps backwards accumulating the risk sets. Ties: the model's
 * (Breslow or Efron, as survfit.coxph's ctype 1 / 2).
 * Reference: Therneau & Grambsch (2000), section 10.2; Link (1984).
 */
ns_status ns_cox_hazard(const ns_cox_model *model, ns_cox_hazard_result *out,
                        ns_callback callback, void *context);
void ns_cox_hazard_free(ns_cox_hazard_result *out);

/*
 * ns_cox_residuals: score and Schoenfeld residuals of a fitted Cox model
 * (residuals.coxph's "score" and "schoenfeld", unweighted), and the
 * martingale residuals they imply.
 *   score        out, n x p column-major in input row order, or NULL:
 *                U_i = delta_i (x_i - xm(t_i)) - r_i sum_t in risk(i)
 *                (x_i - xbar(t)) dLambda(t), with Efron's split of tied
 *                events (an event takes the fraction (1 - k / d) of the
 *                k-th Efron term at its own time)
 *   schoen       out, n_event x p column-major, or NULL: x_i - xm(t_i) for
 *                each event, events ordered by (stratum, time, input row);
 *                xm is the risk-set mean (Efron: the average of the d means)
 *   schoen_row   out, n_event 0-based input rows of those events, or NULL
 *   martingale   out, n, or NULL: delta_i - r_i Lambda_i
 *   log_expected out, n, or NULL: log(r_i Lambda_i), formed in logs (the
 *                precision ns_cox_deviance needs where the martingale
 *                residual rounds to delta_i); -Inf when it is 0
 * Linear in n after the sort: the sums over risk sets are differences of
 * cumulative sums over the time points of ns_cox_hazard.
 */
ns_status ns_cox_residuals(const ns_cox_model *model, double *score,
                           double *schoen, int *schoen_row, double *martingale,
                           double *log_expected,
                           ns_callback callback, void *context);

/*
 * ns_cox_deviance: deviance residuals from martingale residuals m and event
 * counts d (Therneau, Grambsch & Fleming 1990):
 *   sign(m) sqrt(-2 (m + d log(d - m)))   (the log term is 0 when d = 0).
 * d - m is the expected count E; log_expected (or NULL) gives log E itself,
 * as ns_cox_fit and ns_cox_residuals form it: when E is below d * 2^-53, m
 * rounds to d and log(d - m) would be -Inf (a deviance +Inf where the true
 * one is sqrt(-2 (d + d log E)), finite); without it log(d - m) is used.
 * Counts may be sums over collapsed rows (then log E is the log of the
 * summed counts). out may alias martingale.
 * NaN in, NaN out (missing rows padded by na.exclude).
 */
ns_status ns_cox_deviance(size_t n, const double *martingale, const double *events,
                          const double *log_expected, double *out);

/*
 * ns_cox_zph: the pieces of the score test of proportional hazards
 * (survival's cox.zph, version 3): the score and information of the model
 * with the extra covariates x * g(t), evaluated at the fitted coefficients
 * and a zero coefficient for the extra terms.
 *   gtime     per row, the centred transformed time g(t) (equal for equal
 *             times; the value of any row at an event time is used)
 *   u         out, 2p: score (first p ~ 0 at the MLE; then sum_t g(t) (sum
 *             over events w x - sum_k (dw/d) xbar_k))
 *   imat      out, 2p x 2p: [I, I_g; I_g, I_gg] with I = sum over events of
 *             the (Efron-weighted) risk-set covariance, I_g weighted by g,
 *             I_gg by g^2
 *   schoen    out, n_event x p Schoenfeld residuals as ns_cox_residuals, or NULL
 *   used      out, n_stratum x p (column-major), or NULL: the number of
 *             events in the stratum when the covariate varies there, else 0
 *   n_stratum number of strata (max code + 1; 1 without strata)
 */
ns_status ns_cox_zph(const ns_cox_model *model, const double *gtime, double *u,
                     double *imat, double *schoen, int *used, int n_stratum,
                     ns_callback callback, void *context);
/* (end of the Cox-diagnostics section)                                     */


/* ---- competing risks: cumulative incidence (cuminc.c) ---------------- */
/*
 * ns_cuminc_fit: the Aalen-Johansen cumulative incidence of each cause, per
 * group, with its standard error -- survfit(Surv(time, factor)) 's pstate and
 * std.err for a competing-risks response, or cmprsk::cuminc's variance.
 *   data      see ns_cuminc_data (input row order, never modified)
 *   out       allocated by the core, release with ns_cuminc_free (safe on a
 *             zeroed struct); time points are every distinct stop time of
 *             each group, group after group, times increasing
 * Preconditions (checked): finite times, start < stop, cause in 0..n_cause,
 * weights finite and >= 0 with a finite sum in each group (NS_ERR_WEIGHT),
 * group and cluster codes in range;
 * NS_CUMINC_GRAY needs right-censored data (NS_ERR_ARGUMENT otherwise).
 * Tie rule: at a time, all events (every cause) happen before censorings, so
 * a row censored at t is at risk at t; a row is at risk on (start, stop].
 * Times within data->time_fix are merged first (survival's aeqSurv).
 * Sorts once by stop time (ns_sort_order; once more by entry time for
 * (start, stop] data), then one linear scan; the jackknife variance is
 * kept as running sums of a quadratic form (derivation in cuminc.c).
 * References: Aalen & Johansen (1978); Gray (1988); Efron (1982).
 */
typedef enum {
  NS_CUMINC_JACKKNIFE = 0, /* infinitesimal jackknife, collapsed by cluster:
                              survfit's multi-state standard error */
  NS_CUMINC_GRAY = 1       /* cmprsk::cuminc's variance (weights taken as
                              frequencies; right-censored data only) */
} ns_cuminc_variance;

typedef struct {
  size_t n;
  const double *time;      /* stop (or only) times, finite */
  const double *start;     /* entry times (start < time) or NULL */
  const int *cause;        /* 0 censored, 1 .. n_cause the cause of the event */
  int n_cause;             /* >= 1 */
  const double *weight;    /* case weights >= 0, or NULL for 1 */
  const int *group;        /* 0 .. n_group - 1, or NULL */
  int n_group;             /* >= 1 */
  const int *cluster;      /* 0 .. n_cluster - 1 (survfit's id), or NULL for
                              one cluster per row */
  size_t n_cluster;
  ns_cuminc_variance variance;
  double time_fix;         /* > 0: merge times within this (ns_time_fix) */
} ns_cuminc_data;

typedef struct {
  size_t m;                /* time points, all groups */
  int n_cause, n_group;
  double *time, *n_risk, *n_censor; /* m each; n_risk, n_censor and n_event
                              count rows (unweighted), as survfit reports
                              multi-state curves */
  double *surv;            /* m: event-free probability S(t) */
  double *n_event, *estimate, *std_err; /* m x n_cause column-major */
  int *group_times;        /* n_group: time points of each group */
  int *group_rows;         /* n_group: rows of each group */
} ns_cuminc_result;

ns_status ns_cuminc_fit(const ns_cuminc_data *data, ns_cuminc_result *out,
                        ns_callback callback, void *context);
void ns_cuminc_free(ns_cuminc_result *out);

/*
 * ns_cuminc_gray_test: Gray's (1988) K-sample test that the cumulative
 * incidence of a cause is the same in n_group groups, stratified, with the
 * weight (1 - F(t-))^rho -- the numbers of cmprsk::cuminc()$Tests -- for
 * every cause 1 .. n_cause in one call.
 *   n, time, cause (0 censored, 1 .. n_cause), weight (or NULL; taken as
 *   frequencies: whole numbers >= 0 with a finite sum, else NS_ERR_WEIGHT), group
 *   (0 .. n_group - 1), stratum (0 .. n_stratum - 1, or NULL), rho
 *   score      out, (n_group - 1) x n_cause: per cause, the scores of the
 *              first n_group - 1 groups
 *   var        out, (n_group - 1)^2 x n_cause: per cause, their variance
 *              (Gray's, with the correction for the estimated censoring
 *              distribution), column-major
 *   statistic  out, n_cause: score' var^-1 score; NaN when var is singular
 *              or not finite (weights so large that it overflows) or the
 *              cause has no event
 *   df         out: n_group - 1
 * Rows in any order (sorted once by stratum and time and gathered); ties:
 * all rows with one time are one step. Right-censored data only.
 * NS_ERR_ONE_GROUP when n_group < 2. Linear in n (times n_group^3) per cause.
 */
ns_status ns_cuminc_gray_test(size_t n, const double *time, const int *cause,
                              int n_cause, const double *weight, const int *group,
                              int n_group, const int *stratum, int n_stratum,
                              double rho, double *score, double *var,
                              double *statistic, int *df);
/* (end of the cumulative-incidence section)                                */

/* ---- competing risks: Fine-Gray regression (finegray.c) --------------- */
/*
 * ns_finegray_fit: the proportional subdistribution hazards model of Fine &
 * Gray (1999) with censoring-KM weights, fitted as cmprsk's crr() fits it
 * (Newton-Raphson from init, crr's convergence rule and step halving), with
 * their sandwich variance.
 *   data     rows in any order (never modified); status 0 censored, 1 the
 *            cause of interest, 2 a competing cause; weights > 0 (taken as
 *            frequencies); cengroup: groups with their own censoring
 *            distribution (crr's cengroup), or NULL
 *   control  iter_max (crr's maxiter), gtol (crr's gtol), init or NULL
 *   result   caller-owned buffers, see ns_finegray_result
 * Risk set at an event time tau: rows with t >= tau, plus rows failed from a
 * competing cause at t < tau weighted G_g(tau-) / G_g(t-) (G_g the
 * censoring Kaplan-Meier of the row's group, 0 past the group's last time,
 * as crr). Ties: Breslow. One sort; each Newton step and the variance are
 * linear scans (O(n p^2)); derivation in finegray.c.
 * Errors: NS_ERR_TIME, NS_ERR_STATUS, NS_ERR_WEIGHT, NS_ERR_STRATUM,
 * NS_ERR_NONFINITE (covariate or overflow), NS_ERR_NO_EVENTS, NS_ERR_SINGULAR
 * (information not positive definite).
 * Reference: Fine JP, Gray RJ (1999). A proportional hazards model for the
 * subdistribution of a competing risk. JASA 94, 496-509.
 */
typedef struct {
  size_t n, p;             /* p >= 1 */
  const double *x;         /* n x p column-major */
  const double *time;      /* finite */
  const int *status;       /* 0, 1 (cause of interest), 2 (competing) */
  const double *weight;    /* > 0 with a finite sum, or NULL */
  const int *cengroup;     /* 0 .. n_cengroup - 1, or NULL */
  int n_cengroup;          /* >= 1 */
} ns_finegray_data;

typedef struct {
  int iter_max;            /* >= 0 */
  double gtol;             /* > 0 */
  const double *init;      /* p starting values, or NULL for 0 */
} ns_finegray_control;

typedef struct {
  double *coef;            /* p */
  double *var;             /* p x p sandwich variance */
  double *naive_var;       /* p x p inverse information */
  double *score;           /* p, at the estimate */
  double *info;            /* p x p information, or NULL */
  double *meat;            /* p x p sum w u u', or NULL */
  double *base_time;       /* n (upper bound): distinct event times */
  double *base_jump;       /* n: baseline subdistribution hazard jumps (x = 0) */
  size_t n_times;          /* out: entries used in base_time, base_jump */
  double loglik, loglik_null; /* log pseudo-likelihood at the estimate, at 0 */
  int iter, converged;
} ns_finegray_result;

ns_status ns_finegray_fit(const ns_finegray_data *data, const ns_finegray_control *control,
                          ns_finegray_result *result, ns_callback callback, void *context);
/* (end of the Fine-Gray section)                                           */
/* ---- pseudo individual data from a published curve (ipd.c) ----------- */
/*
 * ns_ipd_reconstruct: pseudo individual patient data (event and censoring
 * times) from a digitised Kaplan-Meier curve and its published numbers at
 * risk, by the algorithm of Guyot, Ades, Ouwens & Welton (BMC Med Res
 * Methodol 2012;12:9), one arm at a time.
 *   curve   the cleaned curve and the at-risk table (struct below)
 *   result  caller-owned outputs (struct below)
 * Preconditions (NS_ERR_ARGUMENT otherwise): time[0] = 0 < time[1] < ...,
 * surv[0] = 1 >= surv[1] >= ... >= 0; risk_time[0] = 0 < risk_time[1] < ...,
 * every risk_time is one of the point times; n_risk[0] >= 1 and n_risk is
 * non-increasing. Non-finite times: NS_ERR_TIME.
 * Algorithm. The at-risk times cut the points into intervals. At a point k
 * (events first, then censorings) the events are d_k = round(n_k (1 - S_k /
 * KM)), KM the reconstructed curve at its last event (Guyot's rule, so that
 * drops smaller than half an event accumulate instead of vanishing), clamped
 * to [0, n_k]. In every interval but the last, the number of censorings c
 * is first found as Guyot does with c spread evenly over the interval
 * (T_i, T_{i+1}) (Guyot iterates c <- c + gap; here n(T_{i+1}) is bisected in
 * c and the neighbours of the crossing compared by |gap|, then by the
 * time-weighted misfit below). Changes from Guyot:
 *  - where the censorings go: gap by gap between consecutive points, the
 *    counts c_k that minimise sum_k (KM_k - S_k)^2 / (2 sigma^2) + sum_k
 *    -log Poisson(c_k; mu_k), mu_k = (c + 1/2) (gap length) / (interval
 *    length), sigma = 0.001, subject to the published number at risk at
 *    T_{i+1}: the posterior mode under Gaussian digitising noise with
 *    Guyot's even spread as the prior, found exactly by dynamic programming
 *    over the number at risk (each state carrying the KM of its best path).
 *    A drop of d events among n is d / n of the curve, so where one event's
 *    drop stands out of the noise the heights show the number at risk and
 *    decide; with many at risk the prior (even spread) decides. Censorings
 *    sit evenly inside their gap. When no placement reaches the published
 *    count, the even spread is kept and the reconstructed count carries on;
 *    so it is when the programme would take more than 1e8 steps (tens of
 *    thousands at risk in one interval, where the drops say nothing);
 *  - last interval (T_last to the end of the curve): everyone still at risk
 *    leaves by the end of the curve (those left are censored at its end);
 *    the number of censorings before the end is the one whose reconstructed
 *    curve has the smallest time-weighted misfit sum |KM_k - S_k| (t_{k+1} -
 *    t_k) over the interval, under the best of a few shapes of their spread
 *    (a + (b - a) u^(1 / shape), shape 1/5 .. 5, tried when S >= 0.01 at the
 *    end and kept when it fits the drop heights 10% better than shape 1),
 *    after matching total_events when it is given; Guyot's extrapolation of
 *    the earlier censoring rate only breaks ties (that extrapolation under-
 *    or over-censors a tail whose censoring is administrative). Then that
 *    many censorings are placed gap by gap as above (with total_events,
 *    only if the number of events stays the same).
 * Cost: O(K log n) per interval to count, plus the dynamic programme's
 * O(points x (n_i - n_{i+1}) x (mu + sqrt(mu))) per interval; the last
 * interval's count O(n_last x points) per shape (n_last > 2000: a coarse grid
 * of 2000 values, then the neighbourhood of the best). Scratch memory is
 * allocated per interval: NS_ERR_NOMEM when that fails.
 */
typedef struct {
  size_t n_points;         /* K >= 1 digitised points */
  const double *time;      /* K times: 0 first, strictly increasing */
  const double *surv;      /* K survival proportions: 1 first, non-increasing */
  size_t n_intervals;      /* m >= 1 rows of the at-risk table */
  const double *risk_time; /* m times: 0 first, strictly increasing, each a
                              point time (<= time[K - 1]) */
  const int *n_risk;       /* m published numbers at risk, non-increasing */
  int total_events;        /* published total number of events, or < 0 */
} ns_ipd_curve;

typedef struct {
  int *events;         /* K: events at time[k] */
  int *censored;       /* K: censorings in [time[k], time[k + 1]) (the last
                          point: those still at risk at the end of the curve) */
  double *censor_time; /* n_risk[0] entries: the censoring times, increasing */
  size_t n_censored;   /* out: how many censor_time holds */
  int *risk_hat;       /* m: reconstructed number at risk at risk_time[i] */
  int *events_hat;     /* m: reconstructed events in interval i */
  int *censored_hat;   /* m: reconstructed censorings in interval i */
} ns_ipd_result;

ns_status ns_ipd_reconstruct(const ns_ipd_curve *curve, ns_ipd_result *result);
/* (end of the reconstructed-data section)                                  */
/* ---- moments in, estimates out (moments.c, moments_newton.c) ---------- */
/*
 * Kaplan-Meier, log-rank and the Cox Newton-step pieces from pre-aggregated
 * sums, for engines that hold the rows themselves (a database computes the
 * GROUP BY sums; see R/sql.R). Every input is a table of "records", one per
 * distinct (stratum, time), sorted by stratum then time ascending, without
 * duplicates (NS_ERR_ARGUMENT otherwise); stratum may be NULL for one
 * stratum. Merging fuzz-tied times (ns_time_fix's rule) is the caller's job:
 * merge the keys, add the sums. Formulas and references in moments.c.
 */

/* Kaplan-Meier counts per record (weighted unless said). */
typedef struct {
  size_t m;                /* records */
  int n_strata;            /* >= 1 */
  const int *stratum;      /* 0 .. n_strata - 1, or NULL */
  const double *time;      /* finite */
  const double *n_stop;    /* rows (unweighted count) whose stop time is
                              this time: > 0 makes a time point */
  const double *n_event;   /* weight of the events at the time */
  const double *n_censor;  /* weight of the censorings at the time */
  const double *n_enter;   /* weight of the rows entering at the time
                              (start == time, counting-process data), or NULL */
} ns_km_moments;

/* The curves of ns_km_estimate (Greenwood variances) from counts: out's
 * per-time arrays need one element per record with n_stop > 0 (m is always
 * enough), stratum_times n_strata ints; n_enter and stratum_rows are not
 * written. n_times: out, the time points written. */
ns_status ns_km_from_moments(const ns_km_moments *mo, const ns_km_curve *out,
                             size_t *n_times);

/* Log-rank counts: n_event and n_stop (weight of the rows whose stop time is
 * the record's time, events and censorings) are m x n_group, column-major. */
typedef struct {
  size_t m;
  int n_group, n_stratum;
  const int *stratum;      /* 0 .. n_stratum - 1, or NULL */
  const double *time;
  const double *n_event;
  const double *n_stop;
} ns_logrank_moments;

/* ns_logrank_test's outputs (obs, exp: n_group x n_stratum; var: n_group x
 * n_group; chisq, df) from counts of right-censored data. */
ns_status ns_logrank_from_moments(const ns_logrank_moments *mo, double rho,
                                  double gamma, double *obs, double *exp,
                                  double *var, double *chisq, int *df);

/* Cox sums per record, all at the current coefficients, with r = exp(eta)
 * and the covariates x shifted by any fixed constant (centred). Matrices are
 * m x p (or m x p(p+1)/2 for x x', the upper triangle packed column by
 * column: element (i, j), i <= j, is column j(j+1)/2 + i), column-major. */
typedef struct {
  size_t m, p;
  int n_strata;            /* >= 1 */
  const int *stratum;      /* or NULL */
  const double *time;
  const double *s0, *s1, *s2;    /* rows stopping at the time: sum w r,
                                    sum w r x, sum w r x x' */
  const double *in0, *in1, *in2; /* rows entering at the time (start ==
                                    time): the same sums; NULL for
                                    right-censored data */
  const double *d;         /* number of events (a whole number; Efron) */
  const double *dw;        /* weight of the events */
  const double *d0, *d1, *d2;    /* the events' sums of w r, w r x, w r x x'
                                    (Efron only; may be NULL for Breslow) */
  const double *dx;        /* the events' sum of w x */
  const double *deta;      /* the events' sum of w eta */
} ns_cox_moments;

/* Log partial likelihood, score u (p) and information imat (p x p, full) at
 * the coefficients of the sums, Breslow or Efron; scale (p, or NULL) gives
 * them for the covariates x * scale (ns_cox_fit's scaled coordinates).
 * NS_ERR_NONFINITE when a risk set is empty at an event or a result is not
 * finite (a Newton step too long: halve it). */
ns_status ns_cox_moments_eval(const ns_cox_moments *mo, ns_cox_ties ties,
                              const double *scale, double *loglik, double *u,
                              double *imat);

/* A Cox fit from sums computed elsewhere, by reverse communication: the
 * state lives in a caller-owned buffer of ns_cox_newton_size(p) bytes
 * (aligned for double; 0 when p is too large); start it, then hand
 * ns_cox_moments_step the sums at init and, while it is not done, at each
 * point it asks for; ns_cox_newton_result gives the fit. The iteration and
 * its results are ns_cox_fit's (see moments_newton.c). */
size_t ns_cox_newton_size(size_t p);
ns_status ns_cox_newton_start(size_t p, const ns_cox_control *control,
                              const double *scale, void *state);
ns_status ns_cox_moments_step(const ns_cox_moments *mo, void *state,
                              double *beta, int *done);
ns_status ns_cox_newton_result(const void *state, ns_cox_result *res);
/* (end of the moments section)                                             */

#ifdef __cplusplus
}
#endif
#endif /* NETSURV_H */
