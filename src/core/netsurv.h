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
/* The log-rank section: ns_logrank_* declarations go here.                 */
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
