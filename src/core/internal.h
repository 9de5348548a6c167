/*
 * internal.h -- what the core's files share and nobody outside the core
 * needs: sort/rank and time keys (sort.c), BLAS/LAPACK wrappers (linalg.c),
 * vectorised kernels (kernels.c), OpenMP stubs, tuning constants, the
 * interrupt throttle, exact running sums and the Newton-Raphson rules of a
 * Cox fit. The public contract is netsurv.h; the R glue includes this header
 * only where it uses a core helper (glue.c and r_sort.c: ns_time_fix and the
 * sorters; r_cox.c: the OpenMP stubs, for the thread count), and the Check
 * programs in tests/c include it to test the helpers directly.
 */
#ifndef NETSURV_INTERNAL_H
#define NETSURV_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netsurv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- OpenMP stubs ------------------------------------------------------ */
/*
 * One place decides whether OpenMP is there (as data.table's myomp.h): code
 * writes NS_OMP(parallel for ...) instead of #pragma omp inside #ifdef
 * _OPENMP, and calls omp_get_thread_num() and friends unconditionally; a
 * build without OpenMP drops the directives and sees one thread.
 */
#define NS_PRAGMA_(...) _Pragma(#__VA_ARGS__)
#ifdef _OPENMP
#include <omp.h>
#define NS_OMP(...) NS_PRAGMA_(omp __VA_ARGS__)
#else
#define NS_OMP(...)
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_get_thread_limit(void) { return 1; }
static inline int omp_get_num_procs(void) { return 1; }
#endif

/* ---- time keys ---------------------------------------------------------- */
/* An unsigned key with the order of the doubles (finite ones, and the
 * infinities): flip every bit of a negative number, only the sign bit of a
 * non-negative one. Adding 0.0 makes -0.0 into +0.0 so that the two zeros
 * tie, as they compare equal. ns_key_time is the inverse (of +0.0's key). */
#define NS_SIGN_BIT UINT64_C(0x8000000000000000)

static inline uint64_t ns_time_key(double t)
{
  uint64_t bits;
  t += 0.0;
  memcpy(&bits, &t, sizeof bits);
  return (bits & NS_SIGN_BIT) ? ~bits : bits | NS_SIGN_BIT;
}

static inline double ns_key_time(uint64_t key)
{
  uint64_t bits = (key & NS_SIGN_BIT) ? key & ~NS_SIGN_BIT : ~key;
  double t;
  memcpy(&t, &bits, sizeof t);
  return t;
}

/* ---- variance sums held in units of a power of two (issue #13) --------- */
/* Greenwood-like sums of terms ratio / count (d / n^2 = (d / n) / n) over
 * weighted counts: each term is formed in units of 2^-e, e the smallest
 * binary exponent of the counts seen so far (the sum rescaled, exactly, when
 * it drops), so that counts near 1e-160 or 1e160 -- or spanning both within a
 * stratum -- neither underflow nor overflow a square; the standard error
 * sqrt(v 2^-e) is taken without forming v 2^-e, which may lie beyond the
 * doubles when its root does not. A count of 0 adds +Inf (the curve reached
 * 0). */
typedef struct {
  double v; /* the sum, in units of 2^-e */
  int e;
  int set;  /* 0 until the first term */
} ns_scaled_sum;

/* adds ratio / (count 2^k): count may be given scaled (k != 0) so that a
 * subnormal count keeps its digits */
static inline void ns_scaled_add(ns_scaled_sum *s, double ratio, double count, int k)
{
  int e = 0;
  if (count > 0.0 && isfinite(count)) frexp(count, &e);
  e += k;
  if (!s->set || e < s->e) {
    if (s->set) s->v = ldexp(s->v, e - s->e);
    s->e = e;
    s->set = 1;
  }
  s->v += ratio / ldexp(count, k - s->e);
}

static inline double ns_scaled_sqrt(const ns_scaled_sum *s)
{
  if (!s->set) return 0.0;
  double v = s->v;
  int k = -s->e;
  if (k % 2 != 0) {
    v *= 2.0;
    k -= 1;
  }
  return ldexp(sqrt(v), k / 2);
}

/* ---- the Kaplan-Meier product-limit step ------------------------------- */
/* Of n at risk at a time point, d have their event and n - d go on: the
 * curve is multiplied by (n - d) / n (Kaplan & Meier 1958). Every estimator
 * that steps a product-limit curve takes the step from here: km.c (all three
 * variance paths), moments.c (curves and the Fleming-Harrington weight),
 * logrank.c (the pooled curve of the weight), cuminc.c (the event-free
 * probability S) and finegray.c (the censoring distribution G). One rule:
 *  - the survivors n - d never go below 0. With whole counts d <= n and the
 *    clamp never acts; with weighted counts the number at risk and the
 *    events are different sums of the same weights (the risk set summed
 *    backwards or lowered by subtraction, the events summed forwards), so d
 *    can exceed n by a rounding. A negative factor would flip the sign of
 *    the curve and of everything after it; the clamp ends the curve at 0
 *    instead, which is what d = n means, and a Greenwood term d / (n (n - d))
 *    then goes to +Inf as the curve's log does.
 *  - the factor is (n - d) / n, one rounding (n - d is exact for whole
 *    counts), not 1 - d / n, two; so every path gives the same bits for the
 *    same counts (a curve with jackknife variance equals the one with
 *    Greenwood's).
 * ipd.c keeps its own KM (1 - d / n): it replays IPDfromKM's arithmetic,
 * whose rounded event counts depend on the last bit of the curve. */
static inline double ns_km_survivors(double n, double d)
{
  double left = n - d;
  return left > 0.0 ? left : 0.0;
}

static inline double ns_km_factor(double n, double d)
{
  return ns_km_survivors(n, d) / n;
}

/* km.c: one stratum's curve, Greenwood and Nelson-Aalen variances from the
 * counts at out's time points first .. first + count - 1 (ns_km_estimate's
 * weighted path and ns_km_from_moments). */
void ns_km_greenwood(const ns_km_curve *out, size_t first, size_t count);

/* ---- the interrupt throttle --------------------------------------------- */
/* Long loops report to the caller's ns_callback (progress / interrupt) about
 * once per NS_CALLBACK_WORK units of work (row visits): often enough to stop
 * within a fraction of a second, rarely enough to cost nothing. */
#define NS_CALLBACK_WORK ((size_t) 1 << 16)

typedef struct {
  ns_callback callback; /* may be NULL: never stops */
  void *context;
  size_t pending;       /* work done since the last call */
} ns_throttle;

static inline ns_throttle ns_throttle_start(ns_callback callback, void *context)
{
  ns_throttle t = {callback, context, 0};
  return t;
}

/* Calls the callback with fraction_done now; non-zero: the caller must stop
 * (free what it took, return NS_ERR_INTERRUPTED). */
static inline int ns_throttle_now(ns_throttle *t, double fraction_done)
{
  t->pending = 0;
  return t->callback != NULL && t->callback(t->context, fraction_done) != 0;
}

/* Counts `work` more units and calls the callback once NS_CALLBACK_WORK have
 * gathered since the last call; non-zero: stop. */
static inline int ns_throttle_tick(ns_throttle *t, size_t work, double fraction_done)
{
  t->pending += work;
  return t->pending >= NS_CALLBACK_WORK && ns_throttle_now(t, fraction_done);
}

/* ---- tuning constants -------------------------------------------------- */
/* Below this many row (or row x column) visits a loop runs on one thread:
 * starting a team costs more than it saves. */
#define NS_PARALLEL_MIN_WORK 100000

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
 *   changed    out: 1 if any value moved (may be NULL)
 *   bad_row    out: with NS_ERR_START_STOP, the first row (0-based) whose
 *              interval collapsed; may be NULL
 * Rule (aeqSurv): sort the distinct finite values y of time and start;
 * consecutive values are tied when dy <= tolerance or dy / mean(|y|) <=
 * tolerance; each run of tied values becomes its smallest member. An interval
 * whose ends merge into one returns NS_ERR_START_STOP. Non-finite values pass
 * through unchanged.
 */
ns_status ns_time_fix(size_t n, const double *time, const double *start,
                      double tolerance, double *time_out, double *start_out,
                      int *changed, size_t *bad_row);

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

/*
 * ns_fix_sorted_keys: ns_time_fix's rule (survival's aeqSurv) applied to the
 * distinct values themselves.
 *   u          m time keys (ns_time_key), strictly increasing: every distinct
 *              value, pooled over strata
 *   tolerance  as for ns_time_fix; <= 0 copies u
 *   out        out, m keys (must not alias u): out[i] is the key that u[i]
 *              becomes, the smallest member of its run of tied values
 * Returns 1 when some value moves, else 0. mean(|y|) is accumulated over the
 * u's in ascending order in long double, as ns_time_fix (and R) does, so the
 * two agree bit for bit. The map is monotone.
 */
int ns_fix_sorted_keys(const uint64_t *u, size_t m, double tolerance, uint64_t *out);


/*
 * ns_sort_keys: stable sort of n time keys (ns_time_key), with their rows
 * when row is not NULL, in place. key_tmp (and row_tmp with rows): scratch of
 * n elements, needed only when n >= NS_KEY_SORT_SMALL. few: scratch of the
 * counting sort (ns_few_keys_new(), about 0.5 MB, release with free()), or
 * NULL; used for n >= NS_KEY_SORT_FEW_MIN. Rounded data (a million times,
 * a few thousand distinct values) take a counting sort through a
 * cache-sized hash table; otherwise MSD radix when long, LSD radix (8-bit
 * digits, constant digits skipped) when shorter, insertion sort when short.
 * km.c sorts each (stratum, kind) segment of its keys with it.
 */
#define NS_KEY_SORT_SMALL 48
#define NS_KEY_SORT_FEW_MIN 4096
typedef struct ns_few_keys ns_few_keys;
ns_few_keys *ns_few_keys_new(void);
void ns_sort_keys(uint64_t *key, int *row, size_t n, uint64_t *key_tmp, int *row_tmp,
                  ns_few_keys *few);


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


/* ---- the log-rank statistic (logrank.c; issue #13: one rule for df) ---- */
/*
 * ns_logrank_chisq: survdiff's chi-square and its degrees of freedom from
 * the per-group totals over strata o, e (length G) and the G x G variance of
 * o - e, as ns_logrank_test documents it (netsurv.h): groups with e <= 0
 * dropped, then the first remaining one; chisq = u' V^- u by an LDL'
 * factorization that zeroes pivots below 1e-9 of the largest diagonal; df =
 * the rank of V (survdiff's count of groups with e > 0, minus 1, whenever V
 * is nonsingular). Every log-rank entry point (rows, permutations, moments)
 * calls it, so they decide the df the same way.
 *   work  G * G + 2 * G doubles; keep: G ints (scratch)
 *   callback, context  may be NULL; non-zero return: interrupted (outputs
 *                      then partial)
 */
int ns_logrank_chisq(int G, const double *o, const double *e, const double *var,
                     double *work, int *keep, double *chisq, int *df,
                     ns_callback callback, void *context);
/* (end of the log-rank statistic section)                                  */

/* ---- exact running sums (issue #13: risk sets that lose rows) ---------- */
/*
 * An exact running sum of doubles (Shewchuk 1997, "Adaptive precision
 * floating-point arithmetic and fast robust geometric predicates"; the
 * partials of Python's math.fsum): the sum is held as non-overlapping
 * components, so adding and later subtracting the same terms leaves exactly
 * the terms still present, however widely they spread. Used where a risk set
 * is (rows entered) - (rows that left): Kaplan-Meier and the Cox
 * diagnostics on (start, stop] data. At most ~40 components for finite
 * doubles; each addition costs one pass over them (usually 1-3).
 */
typedef struct {
  double part[48];
  int n;
} ns_exact_sum;

static inline void ns_exact_add(ns_exact_sum *s, double x)
{
  /* Inf, NaN or sums near DBL_MAX have no exact expansion here: keep the
   * plain IEEE sum as a single component (the largest component is last). */
  if (!isfinite(x) || fabs(x) > 0x1p1000 || s->n >= 46 ||
      (s->n > 0 && !(fabs(s->part[s->n - 1]) <= 0x1p1000))) {
    double v = x;
    for (int k = 0; k < s->n; k++) v += s->part[k];
    s->part[0] = v;
    s->n = 1;
    return;
  }
  int i = 0;
  for (int k = 0; k < s->n; k++) {
    double y = s->part[k];
    if (fabs(x) < fabs(y)) { double t = x; x = y; y = t; }
    double hi = x + y, lo = y - (hi - x);
    if (lo != 0.0) s->part[i++] = lo;
    x = hi;
  }
  s->part[i++] = x;
  s->n = i;
}

/* The sum, from the largest component down (within an ulp or so). */
static inline double ns_exact_value(const ns_exact_sum *s)
{
  double v = 0.0;
  for (int k = s->n; k-- > 0;) v += s->part[k];
  return v;
}
/*
 * A sum of weights of any finite size, as two exact sums: weights above
 * 2^960 times 2^-40 (exactly) in big, where ns_exact_add stays exact, the
 * others as they are in small (scaling them too would flush subnormal
 * weights to 0: a risk set of them next to a weight near DBL_MAX read 0).
 * w < 0 takes a leaving row's weight out.
 */
typedef struct {
  ns_exact_sum small, big;
} ns_weight_sum;

static inline void ns_weight_sum_add(ns_weight_sum *s, double w)
{
  if (fabs(w) > 0x1p960) ns_exact_add(&s->big, 0x1p-40 * w);
  else ns_exact_add(&s->small, w);
}

static inline double ns_weight_sum_value(const ns_weight_sum *s)
{
  return ns_exact_value(&s->big) * 0x1p40 + ns_exact_value(&s->small);
}
/* (end of the exact-sums section)                                          */

/* ---- Newton-Raphson rules of a Cox fit (cox.c's newton_iterate and the
 * sums-driven iteration of moments_newton.c follow the same ones: survival's
 * coxph.fit/coxfit6 for right-censored data, agreg.fit/agfit4 for
 * (start, stop] data, "ag" below) ------------------------------------------ */

/* Converged: the log-likelihood's relative change from the best so far. */
static inline int ns_newton_converged(double best, double loglik, double eps)
{
  return fabs(1.0 - best / loglik) <= eps;
}

/* The monotone-likelihood flag of one coefficient of a converged fit:
 * its score is not finite or the next Newton step (step, on the
 * covariate's own scale) is not small next to the coefficient. */
static inline int ns_newton_infinite(int ag, double score, double step, double coef,
                                     double eps, double toler_inf)
{
  if (!isfinite(score)) return 1;
  if (ag) return fabs(step) > toler_inf * (1.0 + fabs(coef));
  return fabs(step) > eps && fabs(step) > toler_inf * fabs(coef);
}


#ifdef __cplusplus
}
#endif
#endif /* NETSURV_INTERNAL_H */
