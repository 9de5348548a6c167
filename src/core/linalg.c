/*
 * linalg.c -- the few dense linear-algebra operations the Cox fit needs,
 * done by BLAS/LAPACK (OpenBLAS when R links it): a symmetric rank-k update
 * (dsyrk) for the information matrix, and a Cholesky factorisation
 * (dpotrf/dpotrs/dpotri) that drops columns which are collinear within a
 * tolerance, as survival's cholesky2 does, instead of failing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Fortran passes the length of every CHARACTER argument as a hidden trailing
 * argument of type size_t (gfortran >= 8). Leaving them out happens to work
 * on x86-64 but is undefined behaviour that LTO and other ABIs punish, which
 * is why R defines FCONE when USE_FC_LEN_T is set. The core has no R headers,
 * so it declares the prototypes itself with NS_FCONE: one `(size_t) 1` per
 * one-character argument, in order.
 */
#define NS_FCLEN , size_t
#define NS_FCONE , (size_t) 1

void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
            const double *alpha, const double *a, const int *lda,
            const double *beta, double *c, const int *ldc NS_FCLEN NS_FCLEN);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *info NS_FCLEN);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
             const int *lda, double *b, const int *ldb, int *info NS_FCLEN);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
             int *info NS_FCLEN);

/* c <- beta c on the upper triangle of the p x p c: what dsyrk does when
 * there are no rows (k = 0). */
static ns_status scale_upper(size_t p, double beta, double *c)
{
  if (beta != 1.0)
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i <= j; i++) c[i + j * p] *= beta;
  return NS_OK;
}

ns_status ns_linalg_syrk(size_t p, size_t k, double alpha, const double *a,
                         double beta, double *c)
{
  if (p == 0) return NS_OK;
  if (!a || !c || p > (size_t) 2147483647 || k > (size_t) 2147483647) return NS_ERR_ARGUMENT;
  if (k == 0) return scale_upper(p, beta, c);
  int n = (int) p, kk = (int) k, lda = (int) p;
  dsyrk_("U", "N", &n, &kk, &alpha, a, &lda, &beta, c, &n NS_FCONE NS_FCONE);
  return NS_OK;
}

/*
 * ns_linalg_syrk_t: upper triangle of c <- alpha a' a + beta c, with a a
 * k x p column-major matrix of leading dimension ld >= max(k, 1) (dsyrk
 * "U", "T"): the Gram matrix of the columns of a block of rows that is
 * stored as a sub-block of a taller matrix. c is p x p, leading dimension p;
 * its lower triangle is not touched. ns_gram_upper (kernels.c) calls it when
 * p is large enough for BLAS to beat the hand kernel.
 */
ns_status ns_linalg_syrk_t(size_t p, size_t k, size_t ld, double alpha,
                           const double *a, double beta, double *c)
{
  if (p == 0) return NS_OK;
  if (!c || (k > 0 && !a) || ld < k || ld == 0 || p > (size_t) 2147483647 ||
      k > (size_t) 2147483647 || ld > (size_t) 2147483647)
    return NS_ERR_ARGUMENT;
  if (k == 0) return scale_upper(p, beta, c);
  int n = (int) p, kk = (int) k, lda = (int) ld;
  dsyrk_("U", "T", &n, &kk, &alpha, a, &lda, &beta, c, &n NS_FCONE NS_FCONE);
  return NS_OK;
}

/* Mark the columns whose pivot in an in-order LDL' elimination falls below
 * eps; they are treated as exact linear combinations of the earlier ones.
 * Works on a scratch copy (upper triangle, column-major). */
static int ldl_drop(size_t p, double *a, double eps, int *keep)
{
  int rank = 0;
  for (size_t i = 0; i < p; i++) {
    double pivot = a[i + i * p];
    if (!isfinite(pivot) || pivot < eps) {
      keep[i] = 0;
      continue;
    }
    keep[i] = 1;
    rank++;
    /* Eliminate column i from the trailing block: a_jk -= a_ij a_ik / d_i. */
    for (size_t j = i + 1; j < p; j++) {
      double aij = a[i + j * p];
      if (aij == 0.0) continue;
      double f = aij / pivot;
      for (size_t k = j; k < p; k++) a[j + k * p] -= f * a[i + k * p];
    }
  }
  return rank;
}

/*
 * ns_linalg_chol: Cholesky factor of a symmetric positive semi-definite
 * matrix, dropping collinear columns.
 *   p       order of a
 *   a       p x p, column-major; only the upper triangle is read
 *   toler   a column is dropped when its pivot (the diagonal of the in-order
 *           LDL' factor) is below toler * max(diag(a)) -- survival's
 *           toler.chol rule, so the same columns get NA coefficients
 *   factor  out, p * p doubles: the upper Cholesky factor of the kept
 *           submatrix, rank x rank with leading dimension rank
 *   keep    out, p ints: 1 kept, 0 dropped
 *   rank    out: number of kept columns
 * LAPACK's dpotrf does the work; only when a pivot is small is the kept set
 * found by an in-order LDL' pass and the kept submatrix factored again.
 * Returns NS_ERR_NONFINITE if a is not finite.
 */
ns_status ns_linalg_chol(size_t p, const double *a, double toler, double *factor,
                         int *keep, int *rank)
{
  *rank = 0;
  if (p == 0) return NS_OK;
  if (!a || !factor || !keep || p > 46340) return NS_ERR_ARGUMENT;
  double maxdiag = 0.0;
  for (size_t j = 0; j < p; j++) {
    for (size_t i = 0; i <= j; i++)
      if (!isfinite(a[i + j * p])) return NS_ERR_NONFINITE;
    if (a[j + j * p] > maxdiag) maxdiag = a[j + j * p];
  }
  double eps = maxdiag > 0 ? toler * maxdiag : toler;

  int n = (int) p, info = 0;
  memcpy(factor, a, p * p * sizeof *factor);
  dpotrf_("U", &n, factor, &n, &info NS_FCONE);
  if (info == 0) {
    int ok = 1;
    for (size_t i = 0; i < p && ok; i++) {
      double d = factor[i + i * p];
      if (!(d * d >= eps)) ok = 0;
    }
    if (ok) {
      for (size_t i = 0; i < p; i++) keep[i] = 1;
      *rank = n;
      return NS_OK;
    }
  }

  /* Rank deficient: choose the columns, then factor the kept submatrix. */
  memcpy(factor, a, p * p * sizeof *factor);
  int r = ldl_drop(p, factor, eps, keep);
  size_t ri = 0;
  for (size_t j = 0; j < p; j++) {
    if (!keep[j]) continue;
    size_t rj_row = 0;
    for (size_t i = 0; i <= j; i++) {
      if (!keep[i]) continue;
      factor[rj_row + ri * (size_t) r] = a[i + j * p];
      rj_row++;
    }
    ri++;
  }
  *rank = r;
  if (r == 0) return NS_OK;
  dpotrf_("U", &r, factor, &r, &info NS_FCONE);
  return info == 0 ? NS_OK : NS_ERR_SINGULAR;
}

/*
 * ns_linalg_chol_solve: b <- A^- b with the factor from ns_linalg_chol; the
 * entries of dropped columns are set to 0 (a generalised inverse that ignores
 * them, as survival's chsolve2 does). work: rank doubles.
 */
ns_status ns_linalg_chol_solve(size_t p, const double *factor, const int *keep,
                               int rank, double *b, double *work)
{
  if (p == 0) return NS_OK;
  size_t k = 0;
  for (size_t i = 0; i < p; i++)
    if (keep[i]) work[k++] = b[i];
  if (rank > 0) {
    int one = 1, info = 0;
    dpotrs_("U", &rank, &one, factor, &rank, work, &rank, &info NS_FCONE);
    if (info != 0) return NS_ERR_SINGULAR;
  }
  k = 0;
  for (size_t i = 0; i < p; i++) b[i] = keep[i] ? work[k++] : 0.0;
  return NS_OK;
}

/*
 * ns_linalg_chol_inverse: inv (p x p, full symmetric) = inverse of the kept
 * submatrix, with zero rows and columns for dropped columns (coxph's var).
 * work: rank * rank doubles.
 */
ns_status ns_linalg_chol_inverse(size_t p, const double *factor, const int *keep,
                                 int rank, double *inv, double *work)
{
  if (p == 0) return NS_OK;
  memset(inv, 0, p * p * sizeof *inv);
  if (rank == 0) return NS_OK;
  size_t r = (size_t) rank;
  memcpy(work, factor, r * r * sizeof *work);
  int info = 0;
  dpotri_("U", &rank, work, &rank, &info NS_FCONE);
  if (info != 0) return NS_ERR_SINGULAR;
  size_t *idx = malloc(r * sizeof *idx);
  if (!idx) return NS_ERR_NOMEM;
  size_t k = 0;
  for (size_t i = 0; i < p; i++)
    if (keep[i]) idx[k++] = i;
  for (size_t j = 0; j < r; j++)
    for (size_t i = 0; i <= j; i++) {
      double v = work[i + j * r];
      inv[idx[i] + idx[j] * p] = v;
      inv[idx[j] + idx[i] * p] = v;
    }
  free(idx);
  return NS_OK;
}

/*
 * ns_linalg_quad_inverse: x' A^- x for symmetric A (the Wald and score test
 * statistics), with the same tolerance rule; NaN entries of x on dropped
 * columns are ignored. Allocates its own scratch.
 */
ns_status ns_linalg_quad_inverse(size_t p, const double *a, const double *x,
                                 double toler, double *value)
{
  *value = 0.0;
  if (p == 0) return NS_OK;
  double *factor = malloc((p * p + 2 * p) * sizeof *factor);
  int *keep = malloc(p * sizeof *keep);
  if (!factor || !keep) { free(factor); free(keep); return NS_ERR_NOMEM; }
  double *b = factor + p * p, *work = b + p;
  int rank = 0;
  ns_status st = ns_linalg_chol(p, a, toler, factor, keep, &rank);
  if (st == NS_OK) {
    for (size_t i = 0; i < p; i++) b[i] = keep[i] ? x[i] : 0.0;
    st = ns_linalg_chol_solve(p, factor, keep, rank, b, work);
    double s = 0.0;
    for (size_t i = 0; i < p; i++)
      if (keep[i]) s += x[i] * b[i];
    *value = s;
  }
  free(factor);
  free(keep);
  return st;
}
