# cox-methods.R -- the methods of class "netsurv_cox" (print, summary, coef,
# vcov, confint, logLik, nobs, tidy, glance). The fit itself is cox() in
# R/cox.R.

# The generics of these S3 methods live in stats; importing them lets the
# namespace register the methods when only base is attached.
#' @importFrom stats coef vcov confint logLik nobs
NULL

cox_se <- function(object) {
  se <- sqrt(diag(as.matrix(object$var)))
  se[is.na(object$coefficients)] <- NA_real_
  stats::setNames(se, names(object$coefficients))
}

cox_df <- function(object) sum(!is.na(object$coefficients))

#' @export
print.netsurv_cox <- function(x, digits = max(1L, getOption("digits") - 3L),
                              signif.stars = FALSE, ...) {
  check_unused("print() of a cox() fit", ...)
  # print.coxph's layout: printCoefmat at `digits` significant digits.
  print_call(x$call)
  old <- options(digits = digits)
  on.exit(options(old))
  tab <- summary(x)$coefficients
  colnames(tab)[colnames(tab) == "Pr(>|z|)"] <- "p"
  if (NROW(tab)) {
    stats::printCoefmat(tab, digits = digits, signif.stars = signif.stars, P.values = TRUE,
                        has.Pvalue = TRUE)
  }
  lr <- 2 * (x$loglik[2] - x$loglik[1])
  df <- cox_df(x)
  cat("\n", if (isTRUE(x$firth)) "Penalized likelihood" else "Likelihood",
      " ratio test=", format(round(lr, 2)), "  on ", df, " df,", " p=",
      format.pval(stats::pchisq(lr, df, lower.tail = FALSE), digits = digits), "\n", sep = "")
  cat("n=", x$n)
  cat(", number of events=", x$nevent, "\n")
  if (length(x$na.action))
    cat("   (", stats::naprint(x$na.action), ")\n", sep = "")
  invisible(x)
}

#' Summarise a Cox model fit
#'
#' @param object a fit from [cox()].
#' @param conf.int confidence level for the hazard-ratio intervals.
#' @param scale scale of the hazard ratios (per `scale` units of a covariate).
#' @param x a `summary.netsurv_cox` object.
#' @param digits significant digits to print.
#' @param ... unused.
#' @return `summary()` returns a list of class `summary.netsurv_cox` with
#'   `coefficients` (coef, exp(coef), se(coef), robust se when robust, z, p),
#'   `conf.int` (hazard ratios with their interval), `logtest`, `sctest`,
#'   `waldtest`, `robscore` (robust fits), `rsq`, `concordance`, `n`, `nevent`.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' summary(fit)
#' @export
summary.netsurv_cox <- function(object, conf.int = 0.95, scale = 1, ...) {
  check_unused("summary() of a cox() fit", ...)
  beta <- object$coefficients * scale
  se <- cox_se(object) * scale
  robust <- !is.null(object$naive.var)
  if (isTRUE(object$firth) && !is.null(object$firth_p)) {
    tab <- cbind(coef = beta, `exp(coef)` = exp(beta), `se(coef)` = se,
                 z = beta / se, `Pr(>|z|)` = object$firth_p)
  } else if (robust) {
    nse <- sqrt(diag(as.matrix(object$naive.var))) * scale
    nse[is.na(beta)] <- NA_real_
    tab <- cbind(coef = beta, `exp(coef)` = exp(beta), `se(coef)` = nse, `robust se` = se,
                 z = beta / se, `Pr(>|z|)` = 2 * stats::pnorm(-abs(beta / se)))
  } else {
    tab <- cbind(coef = beta, `exp(coef)` = exp(beta), `se(coef)` = se,
                 z = beta / se, `Pr(>|z|)` = 2 * stats::pnorm(-abs(beta / se)))
  }
  rownames(tab) <- names(object$coefficients)
  ci <- stats::confint(object, level = conf.int) * scale
  ci_tab <- cbind(`exp(coef)` = exp(beta), `exp(-coef)` = exp(-beta), exp(ci))
  colnames(ci_tab)[3:4] <- paste0(c("lower .", "upper ."), round(100 * conf.int, 2))
  rownames(ci_tab) <- rownames(tab)
  df <- cox_df(object)
  lr <- 2 * (object$loglik[2] - object$loglik[1])
  test <- function(stat) c(test = stat, df = df, pvalue = stats::pchisq(stat, df, lower.tail = FALSE))
  out <- list(call = object$call, n = object$n, nevent = object$nevent,
              coefficients = tab, conf.int = ci_tab,
              logtest = test(lr), sctest = test(object$score), waldtest = test(object$wald.test),
              rsq = c(rsq = 1 - exp(-lr / object$n),
                      maxrsq = 1 - exp(2 * object$loglik[1] / object$n)),
              concordance = c(C = unname(object$concordance["concordance"]),
                              `se(C)` = unname(object$concordance["std"])),
              used.robust = robust, firth = isTRUE(object$firth),
              na.action = object$na.action)
  if (robust && !is.null(object$rscore)) out$robscore <- test(object$rscore)
  class(out) <- "summary.netsurv_cox"
  out
}

#' @rdname summary.netsurv_cox
#' @param signif.stars show significance stars, as `printCoefmat()`.
#' @export
print.summary.netsurv_cox <- function(x, digits = max(getOption("digits") - 3L, 3L),
                                      signif.stars = getOption("show.signif.stars"), ...) {
  check_unused("print() of a cox() summary", ...)
  # print.summary.coxph's layout: everything at `digits` significant digits
  # (printCoefmat for the coefficients, print() for the hazard ratios).
  print_call(x$call)
  old <- options(digits = digits)
  on.exit(options(old))
  cat("  n=", x$n)
  cat(", number of events=", x$nevent, "\n")
  if (length(x$na.action)) cat("   (", stats::naprint(x$na.action), ")\n", sep = "")
  if (!NROW(x$coefficients)) {
    cat("   Null model\n")
    return(invisible(x))
  }
  cat("\n")
  stats::printCoefmat(x$coefficients, digits = digits, signif.stars = signif.stars,
                      P.values = TRUE, has.Pvalue = TRUE)
  cat("\n")
  print(x$conf.int)
  cat("\n")
  cat("Concordance=", format(round(x$concordance[1], 3)), " (se =",
      format(round(x$concordance[2], 3)), ")\n")
  pdig <- max(1, getOption("digits") - 4)
  pv <- function(t) format.pval(t["pvalue"], digits = pdig)
  line <- function(label, t) cat(label, format(round(t["test"], 2)), "  on ", t["df"],
                                 " df,", "   p=", pv(t), sep = "")
  line(if (x$firth) "Penalized LR test    = " else "Likelihood ratio test= ", x$logtest)
  cat("\n")
  line("Wald test            = ", x$waldtest)
  cat("\n")
  line("Score (logrank) test = ", x$sctest)
  if (is.null(x$robscore)) cat("\n\n")
  else cat(",   Robust = ", format(round(x$robscore["test"], 2)), "  p=", pv(x$robscore),
           "\n\n", sep = "")
  if (x$used.robust)
    cat("  (Note: the likelihood ratio and score tests", "assume independence of\n",
        "    observations within a cluster,", "the Wald and robust score tests do not).\n")
  invisible(x)
}

#' @export
coef.netsurv_cox <- function(object, ...) {
  check_unused("coef() of a cox() fit", ...)
  object$coefficients
}

#' @export
vcov.netsurv_cox <- function(object, ...) {
  check_unused("vcov() of a cox() fit", ...)
  v <- as.matrix(object$var)
  dimnames(v) <- list(names(object$coefficients), names(object$coefficients))
  v
}

#' Confidence intervals for Cox coefficients
#'
#' Wald intervals (`method = "wald"`, the default, as `confint()` of a coxph
#' fit) or profile-likelihood intervals (`method = "profile"`): the values of
#' each coefficient at which the likelihood-ratio statistic against the fit,
#' maximised over the other coefficients, equals the chi-square(1) quantile
#' of `level`. For `firth = TRUE` fits the intervals are always those of the
#' profile penalised likelihood (Heinze & Schemper 2001).
#' @param object A fit from [cox()].
#' @param parm Coefficients (names or positions); all by default.
#' @param level Confidence level.
#' @param method `"wald"` or `"profile"`.
#' @param ... Nothing: any further argument is an error that names it.
#' @return A matrix with one row per coefficient and the lower and upper
#'   limits (log hazard-ratio scale).
#' @section Differences from survival:
#' survival has no profile intervals for coxph (its `confint()` is Wald's).
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' confint(fit)
#' confint(fit, method = "profile")
#' @export
confint.netsurv_cox <- function(object, parm, level = 0.95, method = c("wald", "profile"), ...) {
  check_unused("confint() of a cox() fit", ...)
  method <- match_choice(method, c("wald", "profile"), "method")
  cf <- object$coefficients
  pnames <- names(cf)
  if (missing(parm)) parm <- pnames
  else if (is.numeric(parm)) parm <- pnames[parm]
  a <- (1 - level) / 2
  pct <- paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE, digits = 3), "%")
  if (isTRUE(object$firth) && !is.null(object$firth_ci) && isTRUE(all.equal(level, object$firth_level))) {
    ci <- object$firth_ci[parm, , drop = FALSE]
  } else if (isTRUE(object$firth)) {
    # profile penalised likelihood at this level
    d <- cox_model_data(object)
    prof <- firth_profile(cf, object$loglik[2L], cox_se(object), d$x, d$time, d$start, d$status,
                          d$weights, object$offset, d$stratum, NULL, cox_control(), level = level)
    ci <- prof$ci[parm, , drop = FALSE]
  } else if (method == "profile") {
    ci <- cox_profile_ci(object, parm, level)
  } else {
    se <- cox_se(object)[parm]
    q <- stats::qnorm(1 - a)
    ci <- cbind(cf[parm] - q * se, cf[parm] + q * se)
  }
  dimnames(ci) <- list(parm, pct)
  ci
}

#' @export
logLik.netsurv_cox <- function(object, ...) {
  check_unused("logLik() of a cox() fit", ...)
  structure(object$loglik[2], df = cox_df(object), nobs = object$nevent, class = "logLik")
}

#' @export
nobs.netsurv_cox <- function(object, use.fallback = FALSE, ...) {
  # use.fallback is stats' (drop1() and step() pass it); the number of
  # events is always available.
  check_unused("nobs() of a cox() fit", ...)
  object$nevent
}

#' Tidy and glance a Cox model fit
#'
#' broom's columns for coxph fits: `tidy()` gives one row per coefficient
#' (`term`, `estimate`, `std.error`, `robust.se` for robust fits,
#' `statistic`, `p.value`, and `conf.low`, `conf.high` with
#' `conf.int = TRUE`); `glance()` gives one row of model statistics.
#' @param x a fit from [cox()].
#' @param exponentiate report hazard ratios (`exp()` of the estimate and the
#'   interval) instead of log hazard ratios.
#' @param conf.int add a confidence interval.
#' @param conf.level its level.
#' @param ... unused.
#' @return A data frame.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' tidy(fit, exponentiate = TRUE, conf.int = TRUE)
#' glance(fit)
#' @name tidy.netsurv_cox
#' @export
tidy.netsurv_cox <- function(x, exponentiate = FALSE, conf.int = FALSE, conf.level = 0.95, ...) {
  check_unused("tidy() of a cox() fit", ...)
  s <- summary(x)$coefficients
  out <- data.frame(term = if (is.null(rownames(s))) character() else rownames(s),
                    estimate = unname(s[, "coef"]),
                    std.error = unname(s[, "se(coef)"]), stringsAsFactors = FALSE)
  if ("robust se" %in% colnames(s)) out$robust.se <- unname(s[, "robust se"])
  out$statistic <- unname(s[, "z"])
  out$p.value <- unname(s[, "Pr(>|z|)"])
  tidy_coef_ci(out, x, exponentiate, conf.int, conf.level)
}

# The end of a regression model's tidy(): confint()'s limits as conf.low and
# conf.high when asked for, and the estimate and limits on the exp() scale.
tidy_coef_ci <- function(out, x, exponentiate, conf.int, conf.level) {
  if (conf.int) {
    ci <- stats::confint(x, level = conf.level)
    out$conf.low <- unname(ci[, 1L])
    out$conf.high <- unname(ci[, 2L])
  }
  if (exponentiate) {
    out$estimate <- exp(out$estimate)
    if (conf.int) {
      out$conf.low <- exp(out$conf.low)
      out$conf.high <- exp(out$conf.high)
    }
  }
  rownames(out) <- NULL
  out
}

#' @rdname tidy.netsurv_cox
#' @export
glance.netsurv_cox <- function(x, ...) {
  check_unused("glance() of a cox() fit", ...)
  s <- summary(x)
  na <- NA_real_
  data.frame(n = as.integer(s$n), nevent = as.integer(s$nevent),
             statistic.log = unname(s$logtest[1]), p.value.log = unname(s$logtest[3]),
             statistic.sc = unname(s$sctest[1]), p.value.sc = unname(s$sctest[3]),
             statistic.wald = unname(s$waldtest[1]), p.value.wald = unname(s$waldtest[3]),
             statistic.robust = if (is.null(s$robscore)) na else unname(s$robscore[1]),
             p.value.robust = if (is.null(s$robscore)) na else unname(s$robscore[3]),
             r.squared = unname(s$rsq[1]), r.squared.max = unname(s$rsq[2]),
             concordance = unname(s$concordance[1]),
             std.error.concordance = unname(s$concordance[2]),
             logLik = as.numeric(stats::logLik(x)), AIC = stats::AIC(x), BIC = stats::BIC(x),
             nobs = as.integer(s$n))
}

