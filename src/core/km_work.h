/*
 * km_work.h -- the sorted rows of a Kaplan-Meier fit (the opaque ns_km_work
 * of netsurv.h), shared by km.c, which builds it and computes the curves, and
 * km_options.c, which applies survfit's options (robust variance by cluster,
 * Fleming-Harrington hazard, exp(-H) curves, subject flags) to those curves.
 * Private to the core.
 */
#ifndef NETSURV_KM_WORK_H
#define NETSURV_KM_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "netsurv.h"

/* The segments of a stratum, in this order: event stops, censored stops and
 * (counting-process data) entry times. */
enum { KIND_EVENT = 0, KIND_CENSOR = 1, KIND_ENTRY = 2 };

struct ns_km_work {
  ns_km_data data;       /* borrowed arrays: see ns_km_data */
  int counting;          /* entry times given */
  int kinds;             /* segments per stratum: 2, or 3 with entries */
  uint64_t *key;         /* the times as keys (after the time fix), segment
                            after segment, sorted within a segment */
  int *row;              /* the row of each key, or NULL when no weights
                            (and no jackknife with entry times, no cluster,
                            no subject flags) need it */
  size_t *offset;        /* segment s starts at offset[s]; n_strata*kinds+1 */
  int *stratum_times;    /* distinct stop times per stratum */
  int *stratum_rows;     /* rows per stratum */
};

#endif
