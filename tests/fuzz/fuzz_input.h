/*
 * fuzz_input.h -- decoding libFuzzer bytes into hostile survival data, and
 * the naive reference computations the harnesses check the core against.
 * Header-only, shared by the tests/fuzz/fuzz_*.c harnesses.
 */
#ifndef NS_FUZZ_INPUT_H
#define NS_FUZZ_INPUT_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const uint8_t *p;
  size_t left;
} fz_in;

static uint8_t fz_byte(fz_in *in)
{
  if (!in->left) return 0;
  in->left--;
  return *in->p++;
}

static unsigned fz_uint(fz_in *in, unsigned below)
{
  unsigned v = fz_byte(in) | (unsigned) fz_byte(in) << 8;
  return below ? v % below : 0;
}

/* A double that is usually a small grid value (ties), sometimes a raw
 * 8-byte pattern or one of the hostile constants. */
static double fz_double(fz_in *in, int hostile)
{
  static const double special[] = {0.0, -0.0, 1.0, 1e308, -1e308, 4.9e-324, 2.2e-308,
                                   1e-300, 1e-160, 1e160, 0.5, 1.0 + DBL_EPSILON,
                                   1.0 - DBL_EPSILON / 2, 3.0, 1e-15, 7.0};
  uint8_t k = fz_byte(in);
  if (k < 160) return (double) (k % 16) * 0.5;
  if (k < 200) return (double) (k % 16) + ldexp((double) fz_byte(in), -60); /* near-ties */
  if (k < 240 || !hostile) return special[k % 16];
  uint64_t bits = 0;
  for (int i = 0; i < 8; i++) bits |= (uint64_t) fz_byte(in) << (8 * i);
  double d;
  memcpy(&d, &bits, sizeof d);
  if (k == 255) return NAN;
  if (k == 254) return (k & 1) ? INFINITY : -INFINITY;
  return d;
}

static int fz_all_finite(size_t n, const double *x)
{
  for (size_t i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
  return 1;
}

#define FZ_CHECK(cond, ...)                                              \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "postcondition failed: %s (%s:%d): ", #cond,       \
              __FILE__, __LINE__);                                       \
      fprintf(stderr, __VA_ARGS__);                                      \
      fputc('\n', stderr);                                               \
      abort();                                                           \
    }                                                                    \
  } while (0)

/* |a - b| <= tol * (1 + |a| + |b|), or both the same non-finite value */
static int fz_close(double a, double b, double tol)
{
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  if (isinf(a) || isinf(b)) return a == b;
  return fabs(a - b) <= tol * (1.0 + fabs(a) + fabs(b));
}

#endif
