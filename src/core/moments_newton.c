/*
 * moments_newton.c -- the Newton-Raphson iteration of a Cox fit whose sums
 * come from outside the core (a database, see moments.c), driven by "reverse
 * communication": the core keeps the iteration's state in a caller-owned
 * buffer, asks for the sums at a point, and is handed them back. Nothing is
 * called back: the caller runs its query between two calls, so a failed
 * query or an R error never unwinds through a core frame.
 *
 * The iteration is ns_cox_fit's (survival's coxph.fit / agreg.fit): scaled
 * coordinates, the first step from init, step halving when the log partial
 * likelihood falls or is not finite, convergence when |1 - best / new| <= eps,
 * the best point evaluated afresh when the iterations run out, the Cholesky
 * drop rule of ns_linalg_chol for collinear columns, the monotone-likelihood
 * flag and the Wald test at the end. Given the same sums, the iterates and the
 * results are those of ns_cox_fit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netsurv.h"
#include "internal.h"

enum { PHASE_INIT = 1, PHASE_ITER = 2, PHASE_FINAL = 3, PHASE_DONE = 4 };
#define NEWTON_MAGIC 0x6e65777432ULL /* a state that was not started is refused */

/* The fixed part of the state; the arrays follow it in the same buffer. */
typedef struct {
  uint64_t magic;
  size_t p;
  int phase, iter, halving, converged, rank, maxiter, ties;
  int ag, rank0;           /* (start, stop] sums (agreg.fit's rules); rank at init */
  double best, loglik0, newlk, score_test, eps, toler_chol, toler_inf;
} newton_head;

/* Views of the arrays inside the buffer: scale, init_s, beta, newbeta,
 * step, u (p each), factor, imat (p * p each), work (p), keep (p ints). */
typedef struct {
  newton_head *h;
  double *scale, *init_s, *beta, *newbeta, *step, *u, *factor, *imat, *work;
  int *keep;
} newton_view;

static size_t head_bytes(void)
{
  size_t b = sizeof(newton_head);
  return (b + sizeof(double) - 1) / sizeof(double) * sizeof(double);
}

size_t ns_cox_newton_size(size_t p)
{
  if (p > 46340) return 0;
  return head_bytes() + (7 * p + 2 * p * p + 1) * sizeof(double) + (p + 1) * sizeof(int);
}

static newton_view view(void *state, size_t p)
{
  newton_view v;
  v.h = (newton_head *) state;
  double *a = (double *) ((char *) state + head_bytes());
  v.scale = a;
  v.init_s = a + p;
  v.beta = a + 2 * p;
  v.newbeta = a + 3 * p;
  v.step = a + 4 * p;
  v.u = a + 5 * p;
  v.work = a + 6 * p;
  v.factor = a + 7 * p;
  v.imat = v.factor + p * p;
  v.keep = (int *) (v.imat + p * p + 1);
  return v;
}

/*
 * ns_cox_newton_start: begin a fit.
 *   p        the number of coefficients
 *   control  ties, iter_max, eps, toler_chol, toler_inf and init (NULL for 0)
 *            are used; fixed, robust and firth must be off (NS_ERR_ARGUMENT):
 *            they need the rows
 *   scale    p positive finite multipliers: the iteration runs on the
 *            covariates x * scale (ns_cox_fit's scaled coordinates; coxph's
 *            rule gives 1 / mean |w (x - mean)| for centred columns), or NULL
 *            for 1
 *   state    caller-owned, ns_cox_newton_size(p) bytes, aligned for double
 * The first sums to hand to ns_cox_moments_step are those at control->init.
 * Errors: NS_ERR_ARGUMENT.
 */
ns_status ns_cox_newton_start(size_t p, const ns_cox_control *control, const double *scale,
                              void *state)
{
  if (!control || !state || p > 46340 || control->iter_max < 0) return NS_ERR_ARGUMENT;
  if (control->fixed || control->robust || control->firth) return NS_ERR_ARGUMENT;
  if (control->ties != NS_COX_BRESLOW && control->ties != NS_COX_EFRON) return NS_ERR_ARGUMENT;
  if (!(control->eps >= 0) || !(control->toler_chol >= 0) || !(control->toler_inf >= 0))
    return NS_ERR_ARGUMENT;
  for (size_t j = 0; j < p; j++) {
    if (scale && !(scale[j] > 0 && isfinite(scale[j]))) return NS_ERR_ARGUMENT;
    if (control->init && !isfinite(control->init[j])) return NS_ERR_ARGUMENT;
  }
  memset(state, 0, ns_cox_newton_size(p));
  newton_view v = view(state, p);
  newton_head *h = v.h;
  h->magic = NEWTON_MAGIC;
  h->p = p;
  h->phase = PHASE_INIT;
  h->maxiter = p == 0 ? 0 : control->iter_max;
  h->ties = control->ties;
  h->eps = control->eps;
  h->toler_chol = control->toler_chol;
  h->toler_inf = control->toler_inf;
  for (size_t j = 0; j < p; j++) {
    v.scale[j] = scale ? scale[j] : 1.0;
    double b0 = control->init ? control->init[j] : 0.0;
    v.init_s[j] = v.beta[j] = b0 / v.scale[j];
  }
  return NS_OK;
}

static int all_finite(size_t m, const double *x)
{
  for (size_t i = 0; i < m; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* The point the caller is to evaluate next, on the covariates' own scale. */
static void ask(const newton_view *v, const double *point, double *beta)
{
  for (size_t j = 0; j < v->h->p; j++) beta[j] = point[j] * v->scale[j];
}

/*
 * ns_cox_moments_step: one turn of the iteration.
 *   mo     the sums at the point last asked for (control->init at first), on
 *          the covariates' own scale (see ns_cox_moments); mo->p must be the
 *          p of ns_cox_newton_start
 *   state  from ns_cox_newton_start, updated
 *   beta   out, p: the next point to compute the sums at (when *done is 0)
 *   done   out: 1 when the fit is finished (ns_cox_newton_result), else 0
 * Each call evaluates the sums (ns_cox_moments_eval), then takes the step
 * ns_cox_fit takes: at init, the score test and the first Newton step; then
 * accept (new best), halve (worse or not finite), or stop (converged); out of
 * iterations, one more evaluation at the best point.
 * Errors: NS_ERR_ARGUMENT (a state not started or already done, a p that
 * differs), NS_ERR_NONFINITE (not finite at init, or at the best point after
 * the last iteration), the errors of ns_cox_moments_eval and ns_linalg_chol.
 * The state is unusable after an error.
 */
ns_status ns_cox_moments_step(const ns_cox_moments *mo, void *state, double *beta, int *done)
{
  if (!mo || !state || !done) return NS_ERR_ARGUMENT;
  newton_head *h = (newton_head *) state;
  if (h->magic != NEWTON_MAGIC || h->p != mo->p) return NS_ERR_ARGUMENT;
  if (h->phase < PHASE_INIT || h->phase > PHASE_FINAL) return NS_ERR_ARGUMENT;
  size_t p = h->p, pp = p * p;
  if (p > 0 && !beta) return NS_ERR_ARGUMENT;
  newton_view v = view(state, p);
  *done = 0;

  double ll = 0;
  ns_status st = ns_cox_moments_eval(mo, (ns_cox_ties) h->ties, v.scale, &ll, v.u, v.imat);
  int notfinite = st == NS_ERR_NONFINITE;
  if (st != NS_OK && !notfinite) { h->phase = 0; return st; }
  if (!notfinite && (!isfinite(ll) || !all_finite(p, v.u) || !all_finite(pp, v.imat)))
    notfinite = 1;
  if (!notfinite) {
    st = ns_linalg_chol(p, v.imat, h->toler_chol, v.factor, v.keep, &h->rank);
    if (st == NS_ERR_NONFINITE) notfinite = 1;
    else if (st != NS_OK) { h->phase = 0; return st; }
  }

  if (h->phase == PHASE_INIT || h->phase == PHASE_FINAL) {
    /* A log-likelihood at init beyond the doubles is not a fit to report. */
    if (notfinite) { h->phase = 0; return NS_ERR_NONFINITE; }
    h->newlk = ll;
    if (h->phase == PHASE_FINAL) {
      h->phase = PHASE_DONE;
      *done = 1;
      return NS_OK;
    }
    h->loglik0 = ll;
    h->ag = mo->in0 != NULL;
    h->rank0 = h->rank;
    h->score_test = 0;
    memcpy(v.step, v.u, p * sizeof *v.step);
    st = ns_linalg_chol_solve(p, v.factor, v.keep, h->rank, v.step, v.work);
    if (st != NS_OK) { h->phase = 0; return st; }
    for (size_t j = 0; j < p; j++) h->score_test += v.u[j] * v.step[j];
    if (h->maxiter == 0) {
      h->converged = 1;
      h->phase = PHASE_DONE;
      *done = 1;
      return NS_OK;
    }
    h->best = ll;
    for (size_t j = 0; j < p; j++) v.newbeta[j] = v.beta[j] + v.step[j];
    h->iter = 1;
    h->phase = PHASE_ITER;
    ask(&v, v.newbeta, beta);
    return NS_OK;
  }

  /* PHASE_ITER: the sums are at newbeta. The rules of cox.c's
   * newton_iterate (survival's coxfit6 / agfit4), one evaluation per call. */
  h->newlk = ll;
  int fail = notfinite || (h->ag && h->rank != h->rank0);
  if (!fail && !(h->ag && h->halving) && ns_newton_converged(h->best, ll, h->eps)) {
    memcpy(v.beta, v.newbeta, p * sizeof *v.beta);
    h->converged = 1;
    h->phase = PHASE_DONE;
    *done = 1;
    return NS_OK;
  }
  if (h->ag && h->iter >= h->maxiter) {
    /* agfit4: keep the last point tried unless it is worse than best (a
     * non-finite one is, too); iter stays iter_max. */
    if (notfinite || (h->maxiter > 1 && (ll - h->best) / fabs(h->best) < -h->eps)) {
      h->phase = PHASE_FINAL;
      ask(&v, v.beta, beta);
      return NS_OK;
    }
    memcpy(v.beta, v.newbeta, p * sizeof *v.beta);
    h->phase = PHASE_DONE;
    *done = 1;
    return NS_OK;
  }
  if (fail || ll < h->best) {
    h->halving++;
    for (size_t j = 0; j < p; j++)
      v.newbeta[j] = (v.newbeta[j] + h->halving * v.beta[j]) / (h->halving + 1.0);
  } else {
    h->halving = 0;
    h->best = ll;
    memcpy(v.step, v.u, p * sizeof *v.step);
    st = ns_linalg_chol_solve(p, v.factor, v.keep, h->rank, v.step, v.work);
    if (st != NS_OK) { h->phase = 0; return st; }
    for (size_t j = 0; j < p; j++) {
      v.beta[j] = v.newbeta[j];
      v.newbeta[j] = v.beta[j] + v.step[j];
    }
  }
  if (h->iter >= h->maxiter) {
    /* coxfit6, out of iterations: the best point, evaluated afresh, and
     * iter = iter_max + 1. */
    h->iter = h->maxiter + 1;
    h->phase = PHASE_FINAL;
    ask(&v, v.beta, beta);
    return NS_OK;
  }
  h->iter++;
  ask(&v, v.newbeta, beta);
  return NS_OK;
}

/*
 * ns_cox_newton_result: the fit, once ns_cox_moments_step said done.
 *   state  the finished state (not modified)
 *   res    caller-owned ns_cox_result: coef (p) and var (p * p) required;
 *          u and infinite (p) optional; loglik, score_test, wald_test, iter,
 *          converged and rank are written; means, lp, resid and naive_var are
 *          not (the rows are elsewhere), loglik_plain equals loglik
 * As ns_cox_fit: a dropped (collinear) column gets coef NaN and zero
 * variance; coef, var and u are on the covariates' own scale; the
 * monotone-likelihood flag is set where the next Newton step is not small
 * next to the coefficient; the Wald test is of beta = init. With iter_max 0
 * every coefficient keeps its init value and none is dropped or flagged.
 * Errors: NS_ERR_ARGUMENT (a state not finished), NS_ERR_NOMEM, the errors of
 * the linalg wrappers.
 */
ns_status ns_cox_newton_result(const void *state, ns_cox_result *res)
{
  if (!state || !res) return NS_ERR_ARGUMENT;
  const newton_head *h = (const newton_head *) state;
  if (h->magic != NEWTON_MAGIC || h->phase != PHASE_DONE) return NS_ERR_ARGUMENT;
  size_t p = h->p, pp = p * p;
  if (p > 0 && (!res->coef || !res->var)) return NS_ERR_ARGUMENT;
  newton_view v = view((void *) state, p);

  res->loglik[0] = res->loglik_plain[0] = h->loglik0;
  res->loglik[1] = res->loglik_plain[1] = h->newlk;
  res->score_test = h->score_test;
  res->wald_test = 0;
  res->robust_score_test = 0;
  res->iter = h->iter;
  res->converged = h->converged;
  res->rank = h->rank;
  if (p == 0) return NS_OK;

  double *mem = malloc((pp + 2 * p) * sizeof *mem);
  if (!mem) return NS_ERR_NOMEM;
  double *scratch = mem, *step = mem + pp, *delta = step + p;
  double *vs = res->var;
  ns_status st = ns_linalg_chol_inverse(p, v.factor, v.keep, h->rank, vs, scratch);
  if (st != NS_OK) { free(mem); return st; }
  for (size_t j = 0; j < p; j++) {
    double s = 0;
    for (size_t i = 0; i < p; i++) s += vs[j + i * p] * v.u[i];
    step[j] = s;
  }
  for (size_t j = 0; j < p; j++) {
    int dropped = !v.keep[j] && h->maxiter > 0;
    res->coef[j] = dropped ? NAN : v.beta[j] * v.scale[j];
    if (res->u) res->u[j] = v.u[j] / v.scale[j];
    if (res->infinite)
      res->infinite[j] = h->maxiter > 1 && h->converged && !dropped &&
                         ns_newton_infinite(h->ag, v.u[j], step[j] * v.scale[j],
                                            v.beta[j] * v.scale[j], h->eps, h->toler_inf);
    delta[j] = v.keep[j] ? v.beta[j] - v.init_s[j] : 0.0;
  }
  st = ns_linalg_quad_inverse(p, vs, delta, h->toler_chol, &res->wald_test);
  if (st == NS_OK)
    for (size_t j = 0; j < p; j++)
      for (size_t i = 0; i < p; i++) vs[i + j * p] *= v.scale[i] * v.scale[j];
  free(mem);
  return st;
}
