/*
 * check_cox_fixture.h -- the Cox fit's control for hand-computed cases,
 * shared by check_cox.c and check_cox_exact.c.
 */
#ifndef NETSURV_CHECK_COX_FIXTURE_H
#define NETSURV_CHECK_COX_FIXTURE_H

#include "netsurv.h"

/* No Newton iterations (the values at init, or 0), one thread. */
static ns_cox_control control0(ns_cox_ties ties, const double *init)
{
  ns_cox_control c = {ties, 0, 1e-9, 1.8e-12, 3e-5, init, NULL, 0, 0, 1};
  return c;
}

#endif
