# fine-gray.R -- Fine & Gray's proportional subdistribution hazards model:
# formula front end, methods and predicted cumulative incidence. The fit is
# computed by the C core (src/r_finegray.c -> src/core/finegray.c).

#' Fine-Gray regression for the subdistribution hazard of a competing risk
#'
#' Fits the proportional subdistribution hazards model of Fine & Gray (1999)
#' for one cause, with the inverse-probability-of-censoring weights of the
#' paper and their sandwich variance. The numbers are those of
#' [cmprsk::crr()] (same algorithm: Newton-Raphson from 0 with crr's
#' convergence rule `gtol` and step halving); the C core needs time linear in
#' the number of rows per iteration, where crr's grows with its square.
#'
#' @param formula `Surv(time, event) ~ covariates`, `event` coded as for
#'   [cuminc()] (a factor whose first level is censoring, or integer codes with
#'   0 = censored). Factors and interactions are expanded by
#'   [stats::model.matrix()]. A `strata()` term gives groups with their own
#'   censoring distribution (crr's `cengroup`); it adds no covariate.
#'   Counting-process `Surv(start, stop, event)` data are not supported.
#' @param data A data frame.
#' @param cause The cause of interest: a level of the event factor (or an
#'   event code). Default: the first cause.
#' @param weights Optional case weights, taken as frequencies (a row of
#'   weight 2 counts as two rows; whole-number weights give exactly crr's
#'   numbers on the replicated data). Rows of weight 0 are left out.
#' @param subset,na.action As in [cox()].
#' @param iter.max,gtol crr's `maxiter` and `gtol`.
#' @param censor As in [cuminc()].
#'
#' @return An object of class `netsurv_fine_gray`: `coefficients`, `var`
#'   (the sandwich), `naive.var` (inverse information), `score`, `info`,
#'   `loglik` (log pseudo-likelihood at 0 and at the estimate), `iter`,
#'   `converged`, `base.time`, `base.hazard` (jumps of the baseline
#'   cumulative subdistribution hazard, crr's `uftime` and `bfitj`), `n`,
#'   `nevent`, `cause`, `causes`, `terms`, `xlevels`, `contrasts`, `call`.
#' @references Fine JP, Gray RJ (1999). A proportional hazards model for the
#'   subdistribution of a competing risk. *Journal of the American Statistical
#'   Association* 94, 496-509.
#' @seealso [cuminc()]; [cmprsk::crr()], whose numbers these are.
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- fine_gray(Surv(etime, event) ~ age + sex, data = mg, cause = "progression")
#' fit
#' confint(fit)
#' cif <- predict(fit, newdata = data.frame(age = c(60, 80), sex = "M"))
#' tail(cif, 3)
#' @export
fine_gray <- function(formula, data, cause, weights, subset, na.action, iter.max = 10,
                      gtol = 1e-6, censor = NULL) {
  call <- match.call()
  if (!is.numeric(iter.max) || length(iter.max) != 1L || is.na(iter.max) || iter.max < 0)
    stop("`iter.max` must be a non-negative whole number, not ", deparse1(iter.max), call. = FALSE)
  if (!is.numeric(gtol) || length(gtol) != 1L || !is.finite(gtol) || gtol <= 0)
    stop("`gtol` must be a positive number, not ", deparse1(gtol), call. = FALSE)
  fr_call <- call
  fr_call$cause <- NULL
  fr_call$iter.max <- NULL
  fr_call$gtol <- NULL
  fr <- cr_frame(fr_call, parent.frame(), censor = censor, fun = "fine_gray", groups = FALSE)
  if (fr$type == "counting")
    stop("`formula`: fine_gray() does not support (start, stop] data; use Surv(time, event)",
         call. = FALSE)
  if (!is.null(fr$id)) stop("`id` is not an argument of fine_gray()", call. = FALSE)
  causes <- fr$causes
  if (missing(cause)) target <- 1L
  else {
    if (length(cause) != 1L || is.na(cause) || !as.character(cause) %in% causes)
      stop("`cause` must be one of the causes in the data (", toString(dQuote(causes, FALSE)),
           "), not ", deparse1(cause), call. = FALSE)
    target <- match(as.character(cause), causes)
  }
  status <- ifelse(fr$cause == 0L, 0L, ifelse(fr$cause == target, 1L, 2L))
  if (!any(status == 1L & (if (is.null(fr$weights)) TRUE else fr$weights > 0)))
    stop("`cause`: no row has an event of cause \"", causes[target], "\"", call. = FALSE)

  # Covariates: the right side without strata() terms.
  tt <- stats::delete.response(fr$terms)
  cengroup <- NULL
  if (length(attr(tt, "specials")$strata)) {
    st <- survival::untangle.specials(fr$terms, "strata")
    if (length(st$terms) >= length(attr(tt, "term.labels")))
      stop("`formula`: fine_gray() needs at least one covariate on the right side besides strata()",
           call. = FALSE)
    tt <- stats::drop.terms(tt, st$terms, keep.response = FALSE)
    cengroup <- fr$test_strata
  }
  attr(tt, "intercept") <- 1L
  X <- stats::model.matrix(tt, fr$mf)
  contrasts <- attr(X, "contrasts")
  X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
  if (ncol(X) == 0L)
    stop("`formula`: fine_gray() needs at least one covariate on the right side", call. = FALSE)
  bad <- which(!is.finite(X), arr.ind = TRUE)
  if (length(bad))
    stop("`formula`: the covariate ", colnames(X)[bad[1L, 2L]], " in row ", fr$rows[bad[1L, 1L]],
         " is not finite", call. = FALSE)
  keep <- if (is.null(fr$weights)) rep(TRUE, length(status)) else fr$weights > 0
  if (!is.null(fr$weights) && !is.finite(sum(fr$weights))) {
    big <- which.max(fr$weights)
    stop("`weights`: the weights sum to more than a double holds (row ", fr$rows[big],
         " has ", format(fr$weights[big]), "); rescale them", call. = FALSE)
  }
  storage.mode(X) <- "double"
  core <- tryCatch(
    .Call(ffi_finegray_fit, X[keep, , drop = FALSE], fr$time[keep], status[keep],
          if (!is.null(fr$weights)) fr$weights[keep],
          if (!is.null(cengroup)) as.integer(cengroup)[keep] - 1L,
          if (!is.null(cengroup)) nlevels(cengroup) else 1L,
          as.integer(iter.max), as.double(gtol), NULL),
    error = function(e) {
      if (!grepl("not finite", conditionMessage(e))) stop(e)
      # the pseudo-likelihood overflowed: the weights (a log-likelihood of
      # order weight x 700) or the covariates (exp of the linear predictor)
      if (!is.null(fr$weights) && max(fr$weights) > 1e300) {
        big <- which.max(fr$weights)
        stop("`weights`: the log pseudo-likelihood is not finite with weights this large ",
             "(row ", fr$rows[big], " has ", format(fr$weights[big]), "); rescale them",
             call. = FALSE)
      }
      stop("`formula`: the pseudo-likelihood is not finite at the coefficients tried ",
           "(covariates up to ", format(max(abs(X))), " in absolute value); rescale them",
           call. = FALSE)
    })
  nm <- colnames(X)
  names(core$coef) <- names(core$score) <- nm
  dimnames(core$var) <- dimnames(core$naive.var) <- dimnames(core$info) <- list(nm, nm)
  if (!core$converged)
    warning("fine_gray: the Newton-Raphson iterations did not converge in ", iter.max,
            " steps (crr's rule, gtol = ", gtol, "); raise `iter.max`", call. = FALSE)
  w <- if (is.null(fr$weights)) rep(1, length(status)) else fr$weights
  fit <- list(coefficients = core$coef, var = core$var, naive.var = core$naive.var,
              score = core$score, info = core$info,
              loglik = c(core$loglik.null, core$loglik), iter = core$iter,
              converged = core$converged, base.time = core$base.time,
              base.hazard = core$base.jump, n = sum(keep), nevent = sum(w[status == 1L]),
              cause = causes[target], causes = causes, terms = tt,
              xlevels = stats::.getXlevels(tt, fr$mf), contrasts = contrasts,
              cengroup = if (!is.null(cengroup)) levels(cengroup))
  if (!is.null(fr$na_action)) fit$na.action <- fr$na_action
  fit$call <- call
  structure(fit, class = "netsurv_fine_gray")
}

fg_se <- function(object) sqrt(diag(object$var))

#' @export
print.netsurv_fine_gray <- function(x, digits = max(1L, getOption("digits") - 3L), ...) {
  check_unused("print()", ...)
  cat("Call:\n")
  dput(x$call)
  cat("\nFine-Gray subdistribution hazards for cause \"", x$cause, "\" (competing: ",
      toString(setdiff(x$causes, x$cause)), ")\n\n", sep = "")
  stats::printCoefmat(summary(x)$coefficients, digits = digits, signif.stars = FALSE,
                      P.values = TRUE, has.Pvalue = TRUE)
  s <- summary(x)
  cat("\nPseudo likelihood ratio test = ", format(round(s$logtest["test"], 2)), " on ",
      s$logtest["df"], " df, p=", format.pval(s$logtest["pvalue"], digits = digits), "\n", sep = "")
  cat("n= ", x$n, ", events of the cause= ", x$nevent, "\n", sep = "")
  if (!x$converged) cat("(the iterations did not converge)\n")
  if (length(x$na.action)) cat("   (", stats::naprint(x$na.action), ")\n", sep = "")
  invisible(x)
}

#' Methods for Fine-Gray fits
#'
#' `summary()` gives the coefficient table (crr's: coefficient, subdistribution
#' hazard ratio, sandwich standard error, z, p), the hazard-ratio intervals,
#' the pseudo likelihood ratio test (crr's `logtest`) and the global Wald test.
#' `predict()` gives the cumulative incidence of the cause for covariate
#' values: \eqn{1 - \exp(-\exp(x'\beta) \Lambda_0(t))} at the event times, as
#' [cmprsk::predict.crr()].
#' @param object,x A fit from [fine_gray()].
#' @param conf.int,level Confidence level.
#' @param parm Coefficients (names or indices).
#' @param newdata A data frame with the covariates of the model (no response
#'   needed).
#' @param exponentiate,conf.level For `tidy()`: report hazard ratios; level of
#'   the interval (`conf.int = TRUE` adds it).
#' @param digits Digits to print.
#' @param ... Must be empty.
#' @return `summary()`: a list of class `summary.netsurv_fine_gray`.
#'   `predict()`: a matrix with a `time` column (the event times of the cause)
#'   and one column of cumulative incidence per row of `newdata`. `tidy()`:
#'   broom's `term`, `estimate`, `std.error`, `statistic`, `p.value`
#'   (`conf.low`, `conf.high`). `glance()`: one row.
#' @examples
#' mg <- survival::mgus2
#' mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
#' mg$event <- factor(ifelse(mg$pstat == 0, 2 * mg$death, 1), 0:2,
#'                    labels = c("censor", "progression", "death"))
#' fit <- fine_gray(Surv(etime, event) ~ age + sex, data = mg, cause = "death")
#' summary(fit)
#' tidy(fit, exponentiate = TRUE, conf.int = TRUE)
#' @name fine_gray-methods
#' @export
summary.netsurv_fine_gray <- function(object, conf.int = 0.95, ...) {
  check_unused("summary()", ...)
  b <- object$coefficients
  se <- fg_se(object)
  tab <- cbind(coef = b, `exp(coef)` = exp(b), `se(coef)` = se, z = b / se,
               `Pr(>|z|)` = 2 * stats::pnorm(-abs(b / se)))
  ci <- stats::confint(object, level = conf.int)
  ci_tab <- cbind(`exp(coef)` = exp(b), `exp(-coef)` = exp(-b), exp(ci))
  df <- length(b)
  lr <- 2 * (object$loglik[2] - object$loglik[1])
  wald <- drop(b %*% solve(object$var, b))
  test <- function(stat) c(test = stat, df = df, pvalue = stats::pchisq(stat, df, lower.tail = FALSE))
  structure(list(call = object$call, coefficients = tab, conf.int = ci_tab,
                 logtest = test(lr), waldtest = test(wald), n = object$n, nevent = object$nevent,
                 cause = object$cause, loglik = object$loglik, converged = object$converged),
            class = "summary.netsurv_fine_gray")
}

#' @rdname fine_gray-methods
#' @export
print.summary.netsurv_fine_gray <- function(x, digits = max(getOption("digits") - 3L, 3L), ...) {
  cat("Call:\n")
  dput(x$call)
  cat("\n  n= ", x$n, ", events of cause \"", x$cause, "\"= ", x$nevent, "\n\n", sep = "")
  stats::printCoefmat(x$coefficients, digits = digits, signif.stars = TRUE, P.values = TRUE,
                      has.Pvalue = TRUE)
  cat("\n")
  print(signif(x$conf.int, digits))
  pv <- function(t) format.pval(t["pvalue"], digits = digits)
  cat("\nPseudo log-likelihood = ", format(x$loglik[2]), "\n", sep = "")
  cat("Pseudo likelihood ratio test = ", format(round(x$logtest["test"], 2)), "  on ",
      x$logtest["df"], " df,   p=", pv(x$logtest), "\n", sep = "")
  cat("Wald test (sandwich)         = ", format(round(x$waldtest["test"], 2)), "  on ",
      x$waldtest["df"], " df,   p=", pv(x$waldtest), "\n", sep = "")
  invisible(x)
}

#' @export
coef.netsurv_fine_gray <- function(object, ...) object$coefficients

#' @export
vcov.netsurv_fine_gray <- function(object, ...) object$var

#' @rdname fine_gray-methods
#' @export
confint.netsurv_fine_gray <- function(object, parm, level = 0.95, ...) {
  cf <- object$coefficients
  if (missing(parm)) parm <- names(cf) else if (is.numeric(parm)) parm <- names(cf)[parm]
  a <- (1 - level) / 2
  q <- stats::qnorm(1 - a)
  se <- fg_se(object)[parm]
  ci <- cbind(cf[parm] - q * se, cf[parm] + q * se)
  dimnames(ci) <- list(parm, paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE,
                                          digits = 3), "%"))
  ci
}

#' @export
nobs.netsurv_fine_gray <- function(object, ...) object$n

#' @rdname fine_gray-methods
#' @export
predict.netsurv_fine_gray <- function(object, newdata, ...) {
  check_unused("predict()", ...)
  if (missing(newdata) || !is.data.frame(newdata))
    stop("`newdata` must be a data frame with the model's covariates", call. = FALSE)
  missing_vars <- setdiff(all.vars(object$terms), names(newdata))
  if (length(missing_vars))
    stop("`newdata` lacks the covariate(s) ", toString(missing_vars), call. = FALSE)
  mf <- stats::model.frame(object$terms, newdata, xlev = object$xlevels, na.action = stats::na.fail)
  X <- stats::model.matrix(object$terms, mf, contrasts.arg = object$contrasts)
  X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
  if (!identical(colnames(X), names(object$coefficients)))
    stop("`newdata` does not give the model's covariates (", toString(names(object$coefficients)),
         ")", call. = FALSE)
  lp <- drop(X %*% object$coefficients)
  cumhaz <- cumsum(object$base.hazard)
  cif <- 1 - exp(-outer(cumhaz, exp(lp)))
  colnames(cif) <- rownames(newdata)
  cbind(time = object$base.time, cif)
}

#' @rdname fine_gray-methods
#' @export
tidy.netsurv_fine_gray <- function(x, exponentiate = FALSE, conf.int = FALSE, conf.level = 0.95, ...) {
  check_unused("tidy()", ...)
  s <- summary(x)$coefficients
  out <- data.frame(term = rownames(s), estimate = unname(s[, "coef"]),
                    std.error = unname(s[, "se(coef)"]), statistic = unname(s[, "z"]),
                    p.value = unname(s[, "Pr(>|z|)"]), stringsAsFactors = FALSE)
  tidy_coef_ci(out, x, exponentiate, conf.int, conf.level)
}

#' @rdname fine_gray-methods
#' @export
glance.netsurv_fine_gray <- function(x, ...) {
  check_unused("glance()", ...)
  s <- summary(x)
  data.frame(n = x$n, nevent = x$nevent, statistic.log = unname(s$logtest[1]),
             p.value.log = unname(s$logtest[3]), statistic.wald = unname(s$waldtest[1]),
             p.value.wald = unname(s$waldtest[3]), logLik = x$loglik[2],
             converged = x$converged, nobs = x$n)
}
