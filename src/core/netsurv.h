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
 * O(n), stable: rows with equal (stratum, time) keep their input order;
 * -0.0 sorts as 0.0. Tied data (few distinct pairs, see ns_rank_distinct)
 * take a hash table and one counting scatter; otherwise an LSD radix sort
 * (8-bit digits) on the IEEE bits of the times that vary, with the stratum
 * code packed above them when it fits in 64 bits, else per stratum after a
 * radix sort of the codes.
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

/*
 * ns_rank_distinct: each row's rank among the DISTINCT (stratum, time) pairs,
 * so that a caller can work in the input row order (no permuted copies) and
 * still visit the time points in order.
 *   n           number of rows
 *   stratum     stratum code per row (0-based, any int >= 0; NS_ERR_STRATUM
 *               otherwise), or NULL for one stratum
 *   time        times, all finite (NS_ERR_TIME); -0.0 equals 0.0
 *   rank        out, length n: 0-based position of (stratum[i], time[i])
 *               among the distinct pairs sorted by stratum, then time
 *   n_distinct  out: the number D of distinct pairs (0 when n == 0)
 *   first_row   out, caller allocates n ints (used as scratch); the first D
 *               are the answer: first_row[d] is the smallest row i with
 *               rank[i] == d, whose stratum and time are the d-th pair's
 * Ties are exact equality of the doubles (apply ns_time_fix first for
 * survival's fuzz rule). Deterministic, O(n) expected: an open-addressing
 * hash table collects the distinct pairs and only those are sorted; when the
 * pairs turn out to be many (more than n / 8 or than a cache-sized table
 * holds) it switches to ns_sort_order and a scan for runs of ties.
 */
ns_status ns_rank_distinct(size_t n, const int *stratum, const double *time,
                           int *rank, size_t *n_distinct, int *first_row);


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
/*
 * Thin wrappers over BLAS/LAPACK (declared with the hidden Fortran string
 * lengths in linalg.c). Matrices are column-major p x p unless said.
 *   ns_linalg_syrk: upper triangle of c <- alpha a a' + beta c, a is p x k
 *   ns_linalg_syrk_t: upper triangle of c <- alpha a' a + beta c, a is k x p
 *     with leading dimension ld >= max(k, 1) (dsyrk "U", "T")
 *   ns_linalg_chol: Cholesky factor of the kept submatrix of a symmetric
 *     semi-definite a; a column whose in-order LDL' pivot is below
 *     toler * max(diag(a)) is dropped (keep[i] = 0), survival's cholesky2
 *     rule. factor: p * p doubles (rank x rank used, leading dim rank).
 *   ns_linalg_chol_solve: b <- A^- b (dropped entries 0); work: rank doubles
 *   ns_linalg_chol_inverse: inv <- A^- (zero rows/cols for dropped);
 *     work: rank * rank doubles
 *   ns_linalg_quad_inverse: value <- x' A^- x with the same tolerance rule
 */
ns_status ns_linalg_syrk(size_t p, size_t k, double alpha, const double *a,
                         double beta, double *c);
ns_status ns_linalg_syrk_t(size_t p, size_t k, size_t ld, double alpha,
                           const double *a, double beta, double *c);
ns_status ns_linalg_chol(size_t p, const double *a, double toler, double *factor,
                         int *keep, int *rank);
ns_status ns_linalg_chol_solve(size_t p, const double *factor, const int *keep,
                               int rank, double *b, double *work);
ns_status ns_linalg_chol_inverse(size_t p, const double *factor, const int *keep,
                                 int rank, double *inv, double *work);
ns_status ns_linalg_quad_inverse(size_t p, const double *a, const double *x,
                                 double toler, double *value);
/* (end of the linear-algebra section)                                      */


/* ---- vectorised kernels (kernels.c) ---- */
/*
 * Two inner loops of the Cox fit, written so that the compiler vectorises
 * them, built twice on x86-64 (baseline SSE2 and AVX2+FMA) and dispatched at
 * run time with __builtin_cpu_supports. Pure functions: no allocation, no
 * OpenMP (callers split the rows into blocks and parallelise over blocks),
 * no alignment requirements. Details and references in kernels.c.
 *
 * ns_exp_scaled: out[i] = (w ? w[i] : 1) * exp(x[i] - shift), i < n.
 *   Within 2 ulp of libm's exp for every finite argument x[i] - shift
 *   (measured: <= 1 ulp), subnormal results included; arguments above
 *   ~709.78 give +Inf, below ~-745.13 give 0, NaN gives NaN (and 0 * Inf =
 *   NaN when a weight is 0). out may be x or w itself (not a shifted
 *   overlap).
 *
 * ns_gram_upper: g += Y'Y on the upper triangle (diagonal included) of the
 *   p x p column-major g; the strict lower triangle is neither read nor
 *   written. Y is nb x p column-major, column a at y + a * ld, ld >= nb.
 *   Sums in double with many independent partial sums (per-lane and
 *   per-chunk), so the rounding error is no worse than a naive loop's.
 *   Above NS_GRAM_KERNEL_MAX_P_AVX2 columns (AVX2 variant) or
 *   NS_GRAM_KERNEL_MAX_P_PORTABLE (baseline variant), BLAS dsyrk is
 *   at least as fast (measured against OpenBLAS on 1e6 rows) and is used
 *   (ns_linalg_syrk_t).
 *
 * ns_exp_scaled_with, ns_gram_upper_with: the same with an explicit
 * variant, for tests and benchmarks. NS_KERNELS_AUTO is what the plain
 * functions do; NS_KERNELS_AVX2 falls back to NS_KERNELS_PORTABLE when the
 * CPU (or the build) lacks AVX2+FMA, see ns_kernels_best(); an explicit
 * variant in ns_gram_upper_with never calls BLAS.
 */
typedef enum {
  NS_KERNELS_AUTO = 0,     /* the best variant the CPU runs */
  NS_KERNELS_PORTABLE = 1, /* the baseline build (SSE2 on x86-64) */
  NS_KERNELS_AVX2 = 2      /* x86-64 with AVX2 and FMA */
} ns_kernels_variant;

#define NS_GRAM_KERNEL_MAX_P_AVX2 128
#define NS_GRAM_KERNEL_MAX_P_PORTABLE 11

/* The variant NS_KERNELS_AUTO resolves to on this CPU and build. */
ns_kernels_variant ns_kernels_best(void);

void ns_exp_scaled(size_t n, const double *x, double shift, const double *w,
                   double *out);
void ns_gram_upper(size_t p, size_t nb, size_t ld, const double *y, double *g);
void ns_exp_scaled_with(ns_kernels_variant variant, size_t n, const double *x,
                        double shift, const double *w, double *out);
void ns_gram_upper_with(ns_kernels_variant variant, size_t p, size_t nb,
                        size_t ld, const double *y, double *g);
/* (end of the vectorised-kernels section)                                  */


/* ---- Cox proportional hazards (cox.c) --------------------------------- */
typedef enum { NS_COX_BRESLOW = 0, NS_COX_EFRON = 1 } ns_cox_ties;

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
} ns_cox_result;

/*
 * ns_cox_fit: Cox proportional hazards fit by Newton-Raphson with step
 * halving (survival's coxph.fit / agreg.fit algorithm).
 *   data, control  see the structs above; result  outputs
 * Rows are sorted once by (stratum, stop); events at one time form a "slot"
 * and every row is at risk in the contiguous slots (start, stop] of its
 * stratum. Per iteration: one pass builds the risk-set sums per slot (pure
 * additions for right-censored data), a pass over the slots gives the
 * hazard increments, and one more pass assembles the information matrix as
 *   I = X' diag(c) X - sum over event terms of wt * xbar xbar'
 * with c_j = w_j exp(eta_j) (Lambda(stop_j) - Lambda(start_j)) -- two dsyrk
 * updates rather than a rank-1 update per row. Ties: Breslow, or Efron's
 * approximation (tied events leave the risk set in equal parts, which only
 * changes c for the events themselves). Covariates are centred and scaled
 * internally (coxph's rule), results are on the original scale.
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
 * O(n log n): a Fenwick tree over the ranks of the score.
 */
ns_status ns_cox_concordance(size_t n, const double *time, const double *start,
                             const int *status, const double *weight,
                             const int *stratum, const double *score,
                             const int *cluster, size_t n_cluster,
                             double *count, double *concordance, double *std);
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
 * The hazard of a fit at each distinct stop time of each stratum ("slot"),
 * the pieces of survfit.coxph's estimator (survival's agsurv). Slots run
 * by stratum, then time; every distinct stop time is a slot, events or not.
 *   stratum, time   the slot
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
 * Linear in n after the sort: the sums over risk sets are differences of
 * cumulative sums over the slots of ns_cox_hazard.
 */
ns_status ns_cox_residuals(const ns_cox_model *model, double *score,
                           double *schoen, int *schoen_row, double *martingale,
                           ns_callback callback, void *context);

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
/*
 * ns_cox_deviance: deviance residuals from martingale residuals m and event
 * counts d (Therneau, Grambsch & Fleming 1990):
 *   sign(m) sqrt(-2 (m + d log(d - m)))   (the log term is 0 when d = 0).
 * Counts may be sums over collapsed rows. out may alias martingale.
 * NaN in, NaN out (missing rows padded by na.exclude).
 */
ns_status ns_cox_deviance(size_t n, const double *martingale, const double *events,
                          double *out);

ns_status ns_cox_zph(const ns_cox_model *model, const double *gtime, double *u,
                     double *imat, double *schoen, int *used, int n_stratum,
                     ns_callback callback, void *context);
/* (end of the Cox-diagnostics section)                                     */


/* ---- moments in, estimates out (moments.c) ---------------------------- */
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
/* (end of the moments section)                                             */

#ifdef __cplusplus
}
#endif
#endif /* NETSURV_H */
