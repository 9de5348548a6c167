# maxcombo.R -- the MaxCombo test: the largest of several standardized
# Fleming-Harrington weighted log-rank statistics, with its multiplicity-
# adjusted p-value from their joint normal distribution (or from the joint
# permutation distribution). Every statistic is the log-rank engine's
# (src/core/logrank.c).

#' MaxCombo test: the maximum of Fleming-Harrington weighted log-rank tests
#'
#' Computes the standardized two-sample Fleming-Harrington G(rho, gamma)
#' log-rank statistics \eqn{Z_1, \dots, Z_K} for the pairs `(rho[k],
#' gamma[k])`, their correlation, the maximum (of \eqn{|Z_k|} for a
#' two-sided test) and the p-value of that maximum adjusted for having
#' looked at \eqn{K} tests: \eqn{1 - P(|Z_k| < m \; \forall k)} under the
#' multivariate normal null distribution with the estimated correlation
#' (Lee 2007; Karrison 2016). The default four weights -- (0, 0) the
#' log-rank test, (0, 1) late, (1, 0) early and (1, 1) middle differences --
#' make the combination robust to delayed or waning treatment effects. The
#' statistics, correlation and p-value are those of
#' [nph::logrank.maxtest()] for the same `rho` and `gamma` (p to its
#' integration accuracy).
#'
#' **Statistics.** At each event time the weight is
#' \eqn{w_k(t) = S(t-)^{\rho_k} (1 - S(t-))^{\gamma_k}}, \eqn{S} the pooled
#' left-continuous Kaplan-Meier curve (of the stratum), and
#' \eqn{Z_k = \sum w_k (O_1 - E_1) / \sqrt{V_k}} with \eqn{O_1, E_1} the
#' observed and expected events of the first arm and \eqn{V_k = \sum w_k^2 v}
#' the hypergeometric variance; so \eqn{Z_k > 0} when the first arm has more
#' events than expected (nph's sign). \eqn{Z_k^2} is [logrank()]'s chi-square.
#' The covariance of \eqn{Z_j} and \eqn{Z_k} is
#' \eqn{\sum w_j w_k v / \sqrt{V_j V_k}}; since \eqn{w_j w_k} is the FH weight
#' with exponents \eqn{((\rho_j + \rho_k)/2, (\gamma_j + \gamma_k)/2)}
#' squared, it is that test's variance, so every number comes from the
#' log-rank engine. With `strata()` the sums run over strata (the pooled
#' curve is the stratum's); nph has no strata. As in [logrank()], times that
#' differ only by floating-point fuzz are merged first (nph does not).
#'
#' **p-value.** `"two.sided"`: \eqn{1 - P(-m < Z_k < m \; \forall k)},
#' \eqn{m = \max |Z_k|}; `"greater"` (the first arm has the higher hazard):
#' \eqn{1 - P(Z_k < \max Z)}; `"less"`: \eqn{1 - P(Z_k > \min Z)}; computed
#' by [mvtnorm::pmvnorm()] (Genz-Bretz, randomized quasi-Monte Carlo with
#' absolute error about 1e-5; call [set.seed()] first for the same digits).
#'
#' **Permutation.** With `exact = TRUE` the arm labels are permuted within
#' strata and the maximum statistic recomputed for each arrangement (all of
#' them when there are at most `B`, else `B` random ones from the core's
#' generator), giving a p-value that does not rely on the normal
#' approximation -- for small trials. It is the log-rank permutation engine
#' of [logrank()] run on the joint distribution of the \eqn{K} statistics.
#'
#' @param formula `Surv(time, status) ~ arm` with exactly two arms,
#'   optionally `+ strata(...)`.
#' @param data a data frame.
#' @param rho,gamma vectors of the same length (at least 1) of non-negative
#'   Fleming-Harrington exponents.
#' @param alternative `"two.sided"`, `"greater"` or `"less"` (nph's meaning).
#' @param exact also compute the permutation p-value.
#' @param B,seed as in [logrank()].
#' @param subset,na.action as in [logrank()].
#' @return An object of class `netsurv_maxcombo`: `tests` (a data frame with
#'   `rho`, `gamma`, `z`, `chisq`, `p.value` -- the unadjusted p-value of each
#'   test for the chosen alternative), `corr` (the correlation matrix),
#'   `statistic` (the maximum), `p.value` (adjusted, multivariate normal),
#'   `p.bonferroni`, `alternative`, `permutation` (with `exact = TRUE`: a
#'   list with `p.value`, `std.error`, `n`, `enumerated`, `B`, `seed`),
#'   `n`, `events`, `arm_var`, `call`.
#' @references Lee S-H (2007). On the versatility of the combination of the
#'   weighted log-rank statistics. *Computational Statistics & Data Analysis*
#'   51, 6557-6564.
#'
#'   Karrison TG (2016). Versatile tests for comparing survival curves based
#'   on weighted log-rank statistics. *The Stata Journal* 16, 678-690.
#'
#'   Lin RS et al. (2020). Alternative analysis methods for time to event
#'   endpoints under nonproportional hazards: a comparative analysis.
#'   *Statistics in Biopharmaceutical Research* 12, 187-198.
#' @seealso [logrank()], [nph::logrank.maxtest()].
#' @examples
#' fit <- maxcombo(Surv(time, status) ~ rx, data = survival::colon,
#'                 subset = rx != "Lev" & etype == 2)
#' fit
#' tidy(fit)
#'
#' # a small trial: permutation p-value
#' small <- survival::veteran[c(1:15, 70:84), ]
#' maxcombo(Surv(time, status) ~ trt, data = small, exact = TRUE, B = 2000, seed = 1)
#' @export
maxcombo <- function(formula, data, rho = c(0, 0, 1, 1), gamma = c(0, 1, 0, 1),
                     alternative = c("two.sided", "greater", "less"),
                     exact = FALSE, B = 10000, seed = NULL, subset, na.action) {
  call <- match.call()
  env <- parent.frame()
  if (!is.numeric(rho) || !length(rho) || any(!is.finite(rho)) || any(rho < 0))
    stop("`rho` must be non-negative numbers, not ", deparse1(rho), call. = FALSE)
  if (!is.numeric(gamma) || length(gamma) != length(rho) || any(!is.finite(gamma)) || any(gamma < 0))
    stop("`gamma` must be non-negative numbers, as many as `rho` (", length(rho), "), not ",
         deparse1(gamma), call. = FALSE)
  dup <- duplicated(cbind(rho, gamma))
  if (any(dup))
    stop("`rho`, `gamma`: the pair (", rho[dup][1L], ", ", gamma[dup][1L], ") is given twice; ",
         "its statistics would be perfectly correlated", call. = FALSE)
  alternative <- match_choice(alternative, c("two.sided", "greater", "less"), "alternative")
  check_logrank_options(0, 0, exact, B, seed)
  setup <- trial_setup("maxcombo", call, env, max_arms = 2L, strata = TRUE)
  if (!any(setup$status == 1L))
    stop("`formula`: there are no events (every status is censored)", call. = FALSE)
  if (exact && is.null(seed)) seed <- draw_seed()

  time <- time_fix(setup$time)[[1L]]
  group <- as.integer(setup$arm) - 1L
  stratum <- setup$stratum
  n_stratum <- if (is.null(stratum)) 1L else max(stratum) + 1L
  engine <- function(r, g) .Call(ffi_logrank_test, time, setup$status, group, stratum, 2L,
                                 n_stratum, as.double(r), as.double(g), 0)
  K <- length(rho)
  score <- var <- numeric(K)
  for (k in seq_len(K)) {
    fit <- engine(rho[k], gamma[k])
    score[k] <- sum(fit$obs[1L, ]) - sum(fit$exp[1L, ])
    var[k] <- fit$var[1L, 1L]
  }
  if (any(var <= 0))
    stop("`formula`: the weighted log-rank variance is 0 for (rho, gamma) = (",
         rho[var <= 0][1L], ", ", gamma[var <= 0][1L], "): no event time has both arms at risk",
         " with a non-zero weight", call. = FALSE)
  z <- score / sqrt(var)
  corr <- diag(K)
  for (j in seq_len(K)) for (k in seq_len(K)) if (j < k) {
    cv <- engine((rho[j] + rho[k]) / 2, (gamma[j] + gamma[k]) / 2)$var[1L, 1L]
    corr[j, k] <- corr[k, j] <- cv / sqrt(var[j] * var[k])
  }
  labels <- paste0("FH(", format(rho), ",", format(gamma), ")")
  labels <- gsub(" ", "", labels)
  dimnames(corr) <- list(labels, labels)
  p_each <- switch(alternative,
                   two.sided = stats::pchisq(z^2, 1, lower.tail = FALSE),
                   greater = stats::pnorm(z, lower.tail = FALSE),
                   less = stats::pnorm(z))
  statistic <- switch(alternative, two.sided = max(abs(z)), greater = max(z), less = min(z))
  p <- maxcombo_mvn_p(statistic, corr, alternative)

  out <- list(tests = data.frame(test = labels, rho = as.double(rho), gamma = as.double(gamma),
                                 z = z, chisq = z^2, p.value = p_each, stringsAsFactors = FALSE),
              corr = corr, statistic = statistic, p.value = p,
              p.bonferroni = min(1, K * min(p_each)), alternative = alternative,
              n = as.vector(tabulate(setup$arm, 2L)),
              events = as.vector(tapply(setup$status, setup$arm, sum)),
              arms = levels(setup$arm), arm_var = setup$arm_var,
              strata = setup$strata_label, na.action = setup$na_action, call = call)
  if (exact) {
    sides <- switch(alternative, two.sided = 0L, greater = 1L, less = -1L)
    perm <- .Call(ffi_logrank_maxcombo_permutation, time, setup$status, group, stratum,
                  n_stratum, as.double(rho), as.double(gamma), sides, as.double(B),
                  as.double(seed))
    out$permutation <- list(p.value = perm$p.value, std.error = perm$std.error, n = perm$n,
                            enumerated = perm$enumerated, B = B, seed = seed,
                            statistic = if (sides < 0L) -perm$statistic else perm$statistic)
  }
  class(out) <- "netsurv_maxcombo"
  out
}

# 1 - P(all Z in the acceptance region) under N(0, corr); one test needs no
# integration.
maxcombo_mvn_p <- function(m, corr, alternative) {
  K <- nrow(corr)
  if (K == 1L)
    return(switch(alternative, two.sided = 2 * stats::pnorm(-abs(m)),
                  greater = stats::pnorm(m, lower.tail = FALSE), less = stats::pnorm(m)))
  lower <- switch(alternative, two.sided = rep(-m, K), greater = rep(-Inf, K), less = rep(m, K))
  upper <- switch(alternative, two.sided = rep(m, K), greater = rep(m, K), less = rep(Inf, K))
  pr <- mvtnorm::pmvnorm(lower = lower, upper = upper, corr = unname(corr),
                         algorithm = mvtnorm::GenzBretz(maxpts = 50000, abseps = 1e-5, releps = 0))
  p <- 1 - as.double(pr)
  attr(p, "error") <- attr(pr, "error")
  p
}

#' @export
print.netsurv_maxcombo <- function(x, digits = max(getOption("digits") - 3L, 3L), ...) {
  check_unused("print()", ...)
  print_call(x$call)
  cat("MaxCombo test: ", nrow(x$tests), " Fleming-Harrington weighted log-rank statistics",
      if (!is.null(x$strata)) paste0(", stratified (", length(x$strata), " strata)"), "\n", sep = "")
  arm <- if (!is.null(x$arm_var)) paste0(x$arm_var, "=", x$arms) else x$arms
  cat("Arms: ", arm[1L], " (n = ", x$n[1L], ", events = ", x$events[1L], "), ", arm[2L],
      " (n = ", x$n[2L], ", events = ", x$events[2L], "); Z > 0: ", arm[1L],
      " has more events than expected\n\n", sep = "")
  tab <- x$tests
  show <- data.frame(rho = tab$rho, gamma = tab$gamma, z = format_estimate(tab$z, digits),
                     p = format_pvalue(tab$p.value), row.names = tab$test)
  print(show)
  cat("\nCorrelation:\n")
  print(round(x$corr, digits))
  cat("\nAlternative: ", x$alternative, "; max statistic = ", format(x$statistic, digits = digits),
      "\nAdjusted p-value (multivariate normal) = ", format_pvalue(x$p.value),
      "; Bonferroni = ", format_pvalue(x$p.bonferroni), "\n", sep = "")
  if (!is.null(p <- x$permutation)) {
    cat("Permutation p-value = ", format_pvalue(p$p.value),
        if (p$enumerated) paste0(" (exact, all ", p$n, " arrangements)")
        else paste0(" (", p$n, " random arrangements, Monte Carlo s.e. ", format(p$std.error, digits = 2),
                    ")"), "\n", sep = "")
  }
  invisible(x)
}

#' Tidy a MaxCombo test
#'
#' `tidy()` gives one row per weighted log-rank statistic (`term`, `rho`,
#' `gamma`, `statistic` (the z), `p.value` (unadjusted)); `glance()` one row
#' with the combination: `statistic` (the maximum), `p.value` (adjusted,
#' multivariate normal), `p.value.bonferroni`, `alternative`, and with
#' `exact = TRUE` `p.value.permutation`, `std.error.permutation` and
#' `n.permutations`.
#'
#' @param x a [maxcombo()] result.
#' @param ... not used (an error if given).
#' @return A data frame.
#' @examples
#' fit <- maxcombo(Surv(time, status) ~ trt, data = survival::veteran)
#' tidy(fit)
#' glance(fit)
#' @name maxcombo_tidiers
NULL

#' @rdname maxcombo_tidiers
#' @export
tidy.netsurv_maxcombo <- function(x, ...) {
  check_unused("tidy()", ...)
  t <- x$tests
  data.frame(term = t$test, rho = t$rho, gamma = t$gamma, statistic = t$z, p.value = t$p.value,
             stringsAsFactors = FALSE)
}

#' @rdname maxcombo_tidiers
#' @export
glance.netsurv_maxcombo <- function(x, ...) {
  check_unused("glance()", ...)
  out <- data.frame(statistic = x$statistic, p.value = as.double(x$p.value),
                    p.value.bonferroni = x$p.bonferroni, alternative = x$alternative,
                    stringsAsFactors = FALSE)
  if (!is.null(p <- x$permutation)) {
    out$p.value.permutation <- p$p.value
    out$std.error.permutation <- p$std.error
    out$n.permutations <- p$n
  }
  out
}
