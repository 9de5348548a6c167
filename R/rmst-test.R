# rmst-test.R -- restricted mean survival time (and time lost) per arm, and
# their between-arm contrasts: survRM2::rmst2()'s numbers on netsurv's
# Kaplan-Meier (km(), rmst()). The covariate-adjusted version is Tian et
# al.'s (2014) IPCW regression, as survRM2 computes it.

#' Restricted mean survival time: per arm and between arms
#'
#' The restricted mean survival time (RMST, the area under the Kaplan-Meier
#' curve from 0 to `tau`) and the restricted mean time lost (RMTL,
#' `tau - RMST`) of each arm, with standard errors and confidence intervals,
#' and for each arm against the first (the reference): the RMST difference,
#' the RMST ratio and the RMTL ratio, each with its confidence interval and
#' two-sided p-value. Without `covariates` the numbers are those of
#' [survRM2::rmst2()] (to rounding error), with the same default `tau` and
#' the same rule for which `tau` are allowed.
#'
#' **Method.** Each arm's RMST is [rmst()] of its [km()] curve, with the
#' Greenwood-type standard error
#' \eqn{\sqrt{\sum_{t_j \le \tau} A_j^2 d_j / (n_j (n_j - d_j))}}, \eqn{A_j}
#' the area under the curve from \eqn{t_j} to \eqn{\tau}. The difference has
#' standard error \eqn{\sqrt{se_1^2 + se_0^2}}; ratios are formed on the log
#' scale by the delta method (\eqn{se(\log RMST) = se / RMST}); intervals are
#' Wald intervals and p-values two-sided normal ones, as in survRM2.
#'
#' **Which `tau`.** An arm's curve is known up to its last observed time; if
#' that last observation is censored, the curve is undefined beyond it, and
#' so is its area. `tau` must therefore be at most the last time of every arm
#' whose last observation is censored, and at most the largest observed time
#' overall (survRM2's rule). The default is the largest allowed `tau`. A
#' larger `tau` is an error that names the arm.
#'
#' **Covariates.** With `covariates = ~ x1 + x2` (two arms only), the
#' contrasts are adjusted by Tian, Zhao and Wei's (2014) method, as
#' `survRM2::rmst2(covariates = )` computes them: inverse-probability-of-
#' censoring weighted regressions of \eqn{\min(T, \tau)} on the arm and the
#' covariates (identity link for the difference, log link for the RMST ratio
#' and, for \eqn{\tau - \min(T, \tau)}, the RMTL ratio), with censoring
#' weights from each arm's Kaplan-Meier curve of the censoring times and
#' sandwich standard errors. The covariates enter as columns of
#' [stats::model.matrix()] (factors as dummy columns). Stratified RMST
#' contrasts are not implemented.
#'
#' @param formula `Surv(time, status) ~ arm`, one arm variable with two or
#'   more levels; the first level is the reference. Times must be >= 0.
#' @param data a data frame.
#' @param tau the truncation time, > 0; `NULL` (default) takes the largest
#'   allowed one (see Details).
#' @param conf.level confidence level of the intervals.
#' @param covariates optional one-sided formula of baseline covariates for
#'   the adjusted contrasts (two arms only).
#' @param subset,na.action as in [km()].
#' @return An object of class `netsurv_rmst_test`: `tau`, `tau_default`
#'   (whether `tau` was chosen by the default rule), `arms` (a data frame with
#'   one row per arm: `arm`, `n`, `events`, `rmst`, `rmst.se`, `rmst.lower`,
#'   `rmst.upper`, `rmtl`, `rmtl.se`, `rmtl.lower`, `rmtl.upper`), `contrasts`
#'   (one row per arm against the reference and contrast: `contrast`
#'   (`"RMST difference"`, `"RMST ratio"`, `"RMTL ratio"`), `arm`,
#'   `reference`, `estimate`, `conf.low`, `conf.high`, `p.value`),
#'   `adjusted` (the adjusted contrasts in the same layout, or `NULL`),
#'   `conf.level`, `arm_var`, `call`.
#' @references Royston P, Parmar MKB (2013). Restricted mean survival time:
#'   an alternative to the hazard ratio for the design and analysis of
#'   randomized trials with a time-to-event outcome. *BMC Medical Research
#'   Methodology* 13, 152.
#'
#'   Tian L, Zhao L, Wei LJ (2014). Predicting the restricted mean event time
#'   with the subject's baseline covariates in survival analysis.
#'   *Biostatistics* 15, 222-233.
#' @seealso [rmst()] for one curve, [milestone()], [survRM2::rmst2()].
#' @examples
#' veteran <- survival::veteran
#' fit <- rmst_test(Surv(time, status) ~ trt, data = veteran, tau = 365)
#' fit
#' tidy(fit)
#'
#' # adjusted for Karnofsky score and cell type
#' rmst_test(Surv(time, status) ~ trt, data = veteran, tau = 365,
#'           covariates = ~ karno + celltype)
#' @export
rmst_test <- function(formula, data, tau = NULL, conf.level = 0.95, covariates = NULL,
                      subset, na.action) {
  call <- match.call()
  env <- parent.frame()
  conf.level <- check_level(conf.level)
  if (!is.null(tau) && (!is.numeric(tau) || length(tau) != 1L || !is.finite(tau) || tau <= 0))
    stop("`tau` must be NULL or a single positive number, not ", deparse1(tau), call. = FALSE)
  if (!is.null(covariates) && (!inherits(covariates, "formula") || length(covariates) != 2L))
    stop("`covariates` must be NULL or a one-sided formula such as ~ age + sex", call. = FALSE)
  # The covariates' columns travel through the model frame (so that subset and
  # na.action apply to them too).
  if (!is.null(covariates)) {
    call2 <- call
    f <- eval(call$formula, env)
    cov_vars <- all.vars(covariates)
    call2$formula <- stats::update(f, stats::as.formula(
      paste(". ~ . +", paste(cov_vars, collapse = " + "))))
    setup0 <- survival_frame(call2, env, specials = "strata", counting = FALSE)
    keep <- row.names(setup0$mf)
  }
  setup <- trial_setup("rmst_test", call, env)
  if (!is.null(covariates)) {
    # rows dropped for a missing covariate are dropped for the whole analysis
    rows <- match(keep, setup$rows)
    setup$time <- setup$time[rows]; setup$status <- setup$status[rows]
    setup$arm <- droplevels(setup$arm[rows]); setup$rows <- setup$rows[rows]
    if (nlevels(setup$arm) != 2L)
      stop("`covariates`: the adjusted contrasts compare exactly two arms; `", setup$arm_var,
           "` has ", nlevels(setup$arm), call. = FALSE)
  }
  check_nonnegative_time(setup, "rmst_test")
  tau_info <- rmst_tau(setup$time, setup$status, setup$arm, tau)
  tau <- tau_info$tau

  fit <- arm_km(setup$time, setup$status, setup$arm)
  r <- rmst(fit, tau = tau)
  z <- stats::qnorm(1 - (1 - conf.level) / 2)
  arms <- data.frame(arm = levels(setup$arm),
                     n = as.vector(tabulate(setup$arm, nlevels(setup$arm))),
                     events = as.vector(tapply(setup$status, setup$arm, sum)),
                     rmst = r$rmst, rmst.se = r$se,
                     rmst.lower = r$rmst - z * r$se, rmst.upper = r$rmst + z * r$se,
                     stringsAsFactors = FALSE)
  arms$rmtl <- tau - arms$rmst
  arms$rmtl.se <- arms$rmst.se
  arms$rmtl.lower <- tau - arms$rmst.upper
  arms$rmtl.upper <- tau - arms$rmst.lower

  contrasts <- do.call(rbind, lapply(seq_len(nrow(arms))[-1L], function(k)
    rmst_contrast(arms[k, ], arms[1L, ], z)))
  row.names(contrasts) <- NULL

  adjusted <- NULL
  if (!is.null(covariates)) {
    # model.matrix() with na.pass, so that a missing value kept by na.action
    # stays in its row (and is an error naming it) rather than shifting rows
    mm <- stats::model.matrix(covariates, stats::model.frame(covariates, setup0$mf,
                                                             na.action = stats::na.pass))
    mm <- mm[, colnames(mm) != "(Intercept)", drop = FALSE]
    bad <- which(rowSums(!is.finite(mm)) > 0)
    if (length(bad))
      stop("`covariates`: row ", setup$rows[bad[1L]], " of `data` has a missing or infinite ",
           "covariate value (", colnames(mm)[!is.finite(mm[bad[1L], ])][1L], "); rmst_test() ",
           "needs finite covariates (na.action = na.omit, the default, drops a missing one)",
           call. = FALSE)
    adjusted <- rmst_adjusted(setup$time, setup$status, as.integer(setup$arm) - 1L, mm, tau, z)
    adjusted <- data.frame(contrast = c("RMST difference", "RMST ratio", "RMTL ratio"),
                           arm = levels(setup$arm)[2L], reference = levels(setup$arm)[1L],
                           adjusted, stringsAsFactors = FALSE)
  }

  structure(list(tau = tau, tau_default = tau_info$default, arms = arms,
                 contrasts = contrasts, adjusted = adjusted,
                 covariates = if (!is.null(covariates)) colnames(mm),
                 conf.level = conf.level, arm_var = setup$arm_var,
                 na.action = setup$na_action, call = call),
            class = "netsurv_rmst_test")
}

# survRM2's rule, for any number of arms: tau <= the largest observed time,
# and tau <= the last time of each arm whose last observation is censored
# (at a tie, one censoring at the last time makes it censored). The default
# is the largest allowed value.
rmst_tau <- function(time, status, arm, tau) {
  lev <- levels(arm)
  last <- vapply(lev, function(a) max(time[arm == a]), 0)
  censored_last <- vapply(lev, function(a) {
    i <- arm == a
    any(status[i][time[i] == last[a]] == 0L)
  }, NA)
  limit <- max(last)
  binding <- NULL
  if (any(censored_last)) {
    m <- min(last[censored_last])
    if (m <= limit) {
      limit <- m
      binding <- lev[censored_last][which.min(last[censored_last])]
    }
  }
  if (is.null(tau)) return(list(tau = limit, default = TRUE))
  if (tau > limit) {
    if (!is.null(binding))
      stop("`tau` = ", format(tau), " is past the last observation of arm \"", binding,
           "\" (time ", format(limit), ", censored), where its Kaplan-Meier curve is ",
           "undefined; choose tau <= ", format(limit), call. = FALSE)
    stop("`tau` = ", format(tau), " is past the largest observed time (", format(limit),
         "); choose tau <= ", format(limit), call. = FALSE)
  }
  list(tau = as.double(tau), default = FALSE)
}

rmst_contrast <- function(a, b, z) {
  diff <- a$rmst - b$rmst
  se_d <- sqrt(a$rmst.se^2 + b$rmst.se^2)
  lr <- log(a$rmst) - log(b$rmst)
  se_r <- sqrt(a$rmst.se^2 / a$rmst^2 + b$rmst.se^2 / b$rmst^2)
  ll <- log(a$rmtl) - log(b$rmtl)
  se_l <- sqrt(a$rmtl.se^2 / a$rmtl^2 + b$rmtl.se^2 / b$rmtl^2)
  p <- function(est, se) 2 * stats::pnorm(-abs(est) / se)
  data.frame(contrast = c("RMST difference", "RMST ratio", "RMTL ratio"),
             arm = a$arm, reference = b$arm,
             estimate = c(diff, exp(lr), exp(ll)),
             conf.low = c(diff - z * se_d, exp(lr - z * se_r), exp(ll - z * se_l)),
             conf.high = c(diff + z * se_d, exp(lr + z * se_r), exp(ll + z * se_l)),
             p.value = c(p(diff, se_d), p(lr, se_r), p(ll, se_l)),
             stringsAsFactors = FALSE)
}

# Tian, Zhao & Wei (2014): E[min(T, tau) | x] through IPCW estimating
# equations, with the censoring distribution estimated per arm; the sandwich
# variance includes the censoring KM's influence (the kappa terms below).
# arm01 is 0/1; X the covariate columns. Returns estimate (difference, ratio,
# RMTL ratio: on the natural scale), conf.low, conf.high, p.value for the arm
# coefficient -- survRM2's adjusted.result.
rmst_adjusted <- function(time, status, arm01, X, tau, z) {
  y <- pmin(time, tau)
  d <- status
  d[y == tau] <- 1L
  x <- cbind(1, arm01, X)
  colnames(x) <- NULL
  if (qr(x)$rank < ncol(x))
    stop("`covariates`: the design (arm and covariates) is rank deficient; ",
         "drop collinear covariates", call. = FALSE)
  # weights d / G(y) with G the censoring curve of the arm at y (survRM2 takes
  # the curve at y itself, i.e. after the censorings at y)
  w <- numeric(length(y))
  for (a in 0:1) {
    i <- which(arm01 == a)
    cfit <- km(Surv(y, 1L - d) ~ 1, data = data.frame(y = y[i], d = d[i]), conf.type = "none")
    G <- cfit$surv[match(y[i], cfit$time)]
    w[i] <- ifelse(d[i] == 1L, 1 / G, 0)
  }
  one <- function(type) {
    resp <- if (type == "lossratio") tau - y else y
    pos <- w > 0
    if (type == "difference") {
      beta <- stats::lm.wfit(x[pos, , drop = FALSE], resp[pos], w[pos])$coefficients
      mu <- as.vector(x %*% beta)
      A <- crossprod(x)
    } else {
      beta <- suppressWarnings(stats::glm.fit(x[pos, , drop = FALSE], resp[pos], weights = w[pos],
                                              family = stats::quasipoisson())$coefficients)
      mu <- exp(as.vector(x %*% beta))
      A <- crossprod(x * mu, x)
    }
    score <- x * (w * (resp - mu))
    gam <- 0
    for (a in 0:1) {
      i <- which(arm01 == a)
      k <- tian_kappa(y[i], d[i], score[i, , drop = FALSE])
      gam <- gam + crossprod(k)
    }
    Ai <- solve(A)
    V <- Ai %*% gam %*% Ai
    b <- beta[2L]
    se <- sqrt(V[2L, 2L])
    p <- stats::pchisq((b / se)^2, 1, lower.tail = FALSE)
    if (type == "difference") c(b, b - z * se, b + z * se, p)
    else c(exp(b), exp(b - z * se), exp(b + z * se), p)
  }
  res <- rbind(one("difference"), one("ratio"), one("lossratio"))
  data.frame(estimate = res[, 1L], conf.low = res[, 2L], conf.high = res[, 3L],
             p.value = res[, 4L])
}

# The influence of one arm's rows on the IPCW score, with the censoring
# martingale terms: kappa_i = s_i + (1 - d_i) R_i / Y(y_i) - sum_{j: y_j <= y_i}
# (1 - d_j) R_j / Y(y_j)^2, where R_i is the sum of the scores of the rows with
# y >= y_i and Y the number at risk (survRM2's computation, in time order).
tian_kappa <- function(y, d, score) {
  o <- order(y)
  y <- y[o]; d <- d[o]; score <- score[o, , drop = FALSE]
  n <- length(y)
  first <- match(y, y)                      # first row of each tie
  last <- n + 1L - match(y, rev(y))         # last row of each tie
  at_risk <- n - first + 1L
  R <- apply(score, 2L, function(s) rev(cumsum(rev(s))))
  R <- matrix(R, nrow = n)[first, , drop = FALSE]
  k2 <- R * (1 - d) / at_risk
  k3 <- apply(k2 / at_risk, 2L, cumsum)
  k3 <- matrix(k3, nrow = n)[last, , drop = FALSE]
  score + k2 - k3
}

# ---- methods -----------------------------------------------------------------

#' @export
print.netsurv_rmst_test <- function(x, digits = max(getOption("digits") - 3L, 3L), ...) {
  check_unused("print()", ...)
  print_call(x$call)
  cat("Restricted mean survival time up to tau = ", format(x$tau, digits = digits),
      if (x$tau_default) " (default: the largest allowed tau)" else "", "\n\n", sep = "")
  lev <- paste0(round(100 * x$conf.level), "%")
  a <- x$arms
  tab <- data.frame(n = a$n, events = a$events,
                    RMST = format_estimate(a$rmst, digits), se = format_estimate(a$rmst.se, digits),
                    CI = paste0("(", format_estimate(a$rmst.lower, digits), ", ",
                                format_estimate(a$rmst.upper, digits), ")"),
                    RMTL = format_estimate(a$rmtl, digits),
                    row.names = paste0(if (!is.null(x$arm_var)) paste0(x$arm_var, "=") else "", a$arm))
  names(tab)[5L] <- paste(lev, "CI")
  print(tab)
  show <- function(ct, title) {
    cat("\n", title, "\n", sep = "")
    out <- data.frame(estimate = format_estimate(ct$estimate, digits),
                      CI = paste0("(", format_estimate(ct$conf.low, digits), ", ",
                                  format_estimate(ct$conf.high, digits), ")"),
                      p = format_pvalue(ct$p.value),
                      row.names = paste0(ct$contrast, ": ", ct$arm, " vs ", ct$reference))
    names(out)[2L] <- paste(lev, "CI")
    print(out)
  }
  show(x$contrasts, "Between-arm contrasts (unadjusted):")
  if (!is.null(x$adjusted))
    show(x$adjusted, paste0("Adjusted for ", paste(x$covariates, collapse = ", "),
                            " (Tian et al. 2014):"))
  invisible(x)
}

#' Tidy an RMST comparison
#'
#' `tidy()` gives one row per contrast (arm against the reference) with
#' broom's column names: `term` (e.g. `"RMST difference: B vs A"`),
#' `contrast`, `arm`, `reference`, `estimate`, `conf.low`, `conf.high`,
#' `p.value` and `adjusted` (`TRUE` for the covariate-adjusted rows).
#' `glance()` gives `tau`, `nobs`, `events` and `conf.level`. The per-arm
#' numbers are in `x$arms`.
#'
#' @param x an [rmst_test()] result.
#' @param ... not used (an error if given).
#' @return A data frame.
#' @examples
#' fit <- rmst_test(Surv(time, status) ~ trt, data = survival::veteran, tau = 365)
#' tidy(fit)
#' glance(fit)
#' @name rmst_test_tidiers
NULL

#' @rdname rmst_test_tidiers
#' @export
tidy.netsurv_rmst_test <- function(x, ...) {
  check_unused("tidy()", ...)
  out <- x$contrasts
  out$adjusted <- FALSE
  if (!is.null(x$adjusted)) {
    adj <- x$adjusted
    adj$adjusted <- TRUE
    out <- rbind(out, adj)
  }
  out <- cbind(term = paste0(out$contrast, ": ", out$arm, " vs ", out$reference), out,
               stringsAsFactors = FALSE)
  row.names(out) <- NULL
  out
}

#' @rdname rmst_test_tidiers
#' @export
glance.netsurv_rmst_test <- function(x, ...) {
  check_unused("glance()", ...)
  data.frame(tau = x$tau, nobs = sum(x$arms$n), events = sum(x$arms$events),
             conf.level = x$conf.level)
}
