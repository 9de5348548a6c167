/*
 * check_cox_fixture.h -- what check_cox.c and check_cox_exact.c build alike:
 * the fit's control for hand-computed cases, a one-covariate result, the
 * tied pair both tie rules are checked on by hand, the generator and the
 * columns of their larger generated data.
 */
#ifndef NETSURV_CHECK_COX_FIXTURE_H
#define NETSURV_CHECK_COX_FIXTURE_H

#include <check.h>
#include <stdlib.h>

#include "netsurv.h"

/* No Newton iterations (the values at init, or 0), one thread. */
static inline ns_cox_control control0(ns_cox_ties ties, const double *init)
{
  ns_cox_control c = {ties, 0, 1e-9, 1.8e-12, 3e-5, init, NULL, 0, 0, 1};
  return c;
}

/* A result for one covariate: its coefficient, variance and score go to
 * *coef, *var and *u (u may be NULL); the other outputs are not asked for. */
static inline ns_cox_result result1(double *coef, double *var, double *u)
{
  ns_cox_result r = {0};
  r.coef = coef; r.var = var; r.u = u;
  return r;
}

/* times 1 1 2, all events, x 0 1 0: two events tied at 1 among the three
 * rows, the case written out by hand for Efron's rule (check_cox.c) and the
 * exact likelihood (check_cox_exact.c). */
static inline ns_cox_data tied_pair(void)
{
  static const double x[] = {0, 1, 0}, time[] = {1, 1, 2};
  static const int status[] = {1, 1, 1};
  ns_cox_data d = {3, 1, x, time, NULL, status, NULL, NULL, NULL, NULL, NULL, 0};
  return d;
}

/* The tests' linear congruential generator: the next state of *s. */
static inline unsigned lcg_next(unsigned *s)
{
  *s = *s * 1103515245u + 12345u;
  return *s;
}

/* n rows of generated data: x (n x p, column-major), time, a third column
 * (start, offset or weights, as the test needs) and status. */
typedef struct {
  double *x, *time, *aux;
  int *status;
} cox_cols;

static inline cox_cols cox_cols_alloc(size_t n, size_t p)
{
  cox_cols c = {malloc(n * p * sizeof(double)), malloc(n * sizeof(double)),
                malloc(n * sizeof(double)), malloc(n * sizeof(int))};
  ck_assert(c.x && c.time && c.aux && c.status);
  return c;
}

static inline void cox_cols_free(cox_cols *c)
{
  free(c->x); free(c->time); free(c->aux); free(c->status);
}

#endif
