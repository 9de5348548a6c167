/*
 * check_km_fixture.h -- a Kaplan-Meier fit into buffers owned by the test,
 * shared by check_km.c and check_km_options.c.
 */
#ifndef NETSURV_CHECK_KM_FIXTURE_H
#define NETSURV_CHECK_KM_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "netsurv.h"

typedef struct {
  size_t n_times;
  double *buffer;
  int *stratum_times, *stratum_rows;
  ns_km_curve curve;
} fit_t;

/* ns_km_prepare and ns_km_estimate, then ns_km_apply_options when options is
 * not NULL; every output of ns_km_curve is asked for (n_enter too). Release
 * with fit_free once it returned NS_OK. */
static ns_status fit(const ns_km_data *data, const ns_km_options *options, fit_t *f)
{
  memset(f, 0, sizeof *f);
  ns_km_work *work = NULL;
  ns_status status = ns_km_prepare(data, &work, &f->n_times, NULL, NULL);
  if (status != NS_OK) return status;
  size_t m = f->n_times ? f->n_times : 1;
  f->buffer = calloc(9 * m, sizeof *f->buffer);
  f->stratum_times = calloc((size_t) data->n_strata, sizeof *f->stratum_times);
  f->stratum_rows = calloc((size_t) data->n_strata, sizeof *f->stratum_rows);
  double *b = f->buffer;
  ns_km_curve c = {b, b + m, b + 2 * m, b + 3 * m, b + 4 * m, b + 5 * m, b + 6 * m,
                   b + 7 * m, b + 8 * m, f->stratum_times, f->stratum_rows};
  f->curve = c;
  status = ns_km_estimate(work, &f->curve, NULL, NULL);
  if (status == NS_OK && options) status = ns_km_apply_options(work, options, &f->curve, NULL, NULL);
  ns_km_free(work);
  return status;
}

static void fit_free(fit_t *f)
{
  free(f->buffer);
  free(f->stratum_times);
  free(f->stratum_rows);
}

#endif
