/* status.c -- text for the core's status codes. */
#include "netsurv.h"

const char *ns_status_message(ns_status status)
{
  switch (status) {
  case NS_OK:              return "success";
  case NS_ERR_NOMEM:       return "out of memory";
  case NS_ERR_ARGUMENT:    return "invalid argument passed to the netsurv core";
  case NS_ERR_TIME:        return "times must be finite numbers";
  case NS_ERR_STATUS:      return "status must be 0 (censored) or 1 (event)";
  case NS_ERR_WEIGHT:      return "weights must be finite and non-negative";
  case NS_ERR_START_STOP:  return "each interval must have start < stop";
  case NS_ERR_STRATUM:     return "stratum codes must be non-negative and in range";
  case NS_ERR_NO_EVENTS:   return "there are no events";
  case NS_ERR_ONE_GROUP:   return "at least two groups are needed";
  case NS_ERR_SINGULAR:    return "matrix is singular";
  case NS_ERR_NONFINITE:   return "a value is not finite";
  case NS_ERR_INTERRUPTED: return "interrupted";
  case NS_ERR_TOO_LARGE:   return "the computation is too large for the method asked for";
  case NS_STATUS_COUNT:    break;
  }
  return "unknown netsurv status";
}
