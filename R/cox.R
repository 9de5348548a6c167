# cox.R -- Cox proportional hazards models: cox(), cox_control() and the
# methods of class "netsurv_cox". The fit itself is ns_cox_fit in
# src/core/cox.c; this file turns a formula into its columns and the result
# into an object with survival's coxph field names.

#' Control parameters for cox()
#'
#' @param eps convergence tolerance: iteration stops when the relative change
#'   of the log partial likelihood, `abs(1 - old / new)`, is at most `eps`.
#' @param iter.max maximum number of Newton-Raphson iterations.
#' @param toler.chol tolerance for detecting collinear columns: a column whose
#'   pivot in the Cholesky decomposition of the information matrix is below
#'   `toler.chol` times the largest diagonal element gets an `NA` coefficient.
#' @param toler.inf tolerance for the monotone-likelihood warning: a
#'   coefficient is reported as possibly infinite when the next Newton step
#'   would still move it by more than `toler.inf` times its size.
#' @return A list of class `netsurv_cox_control`.
#' @seealso [cox()]
#' @examples
#' cox_control(eps = 1e-12, iter.max = 50)
#' @export
cox_control <- function(eps = 1e-9, iter.max = 20, toler.chol = .Machine$double.eps^0.75,
                        toler.inf = sqrt(eps)) {
  check_number <- function(x, name, lower = 0) {
    if (!is.numeric(x) || length(x) != 1L || is.na(x) || x <= lower)
      stop("`", name, "` must be a single number > ", lower, call. = FALSE)
  }
  check_number(eps, "eps")
  check_number(toler.chol, "toler.chol")
  check_number(toler.inf, "toler.inf")
  if (!is.numeric(iter.max) || length(iter.max) != 1L || is.na(iter.max) || iter.max < 0 ||
      iter.max != round(iter.max))
    stop("`iter.max` must be a single whole number >= 0", call. = FALSE)
  structure(list(eps = as.double(eps), iter.max = as.integer(iter.max),
                 toler.chol = as.double(toler.chol), toler.inf = as.double(toler.inf)),
            class = "netsurv_cox_control")
}

#' Cox proportional hazards regression
#'
#' Fits a Cox model by maximising the partial likelihood with Newton-Raphson,
#' as [survival::coxph()] does, with the same results (coefficients, variance,
#' likelihoods, tests, residuals, concordance) on a C engine that ranks the
#' event times once, reads the covariates in place, and assembles the
#' information matrix from block Gram matrices (a vectorised kernel; BLAS
#' `dsyrk` for models with more than 128 columns).
#'
#' The right side of the formula may hold numeric covariates, factors
#' (treatment contrasts), interactions and transformations as
#' [stats::model.matrix()] builds them, plus `strata()` (separate baseline
#' hazards), `offset()` and `cluster()` (robust sandwich variance by cluster).
#' Times that differ only by floating-point fuzz are merged first, as coxph's
#' `timefix` does. Covariates are centred and scaled internally; columns
#' that are exact linear combinations of earlier ones get an `NA` coefficient.
#' A warning names each covariate whose coefficient appears to run to
#' infinity (monotone likelihood, e.g. a group without events); `firth = TRUE`
#' is the standard remedy.
#'
#' The fit runs on [netsurv_threads()] OpenMP threads (`options(netsurv.threads)`,
#' else `OMP_NUM_THREADS`, else half the cores but at least two). Results do
#' not depend on the thread count beyond the last digits.
#'
#' @param formula a formula with a [survival::Surv()] response:
#'   `Surv(time, status)` or `Surv(start, stop, status)`.
#' @param data a data frame holding the variables of `formula`.
#' @param weights optional case weights (> 0).
#' @param subset optional expression selecting rows.
#' @param na.action missing-value handling; rows with missing values are
#'   dropped by default ([stats::na.omit()]).
#' @param ties `"efron"` (default) or `"breslow"` handling of tied event times.
#' @param init optional starting values of the coefficients.
#' @param control [cox_control()] settings.
#' @param robust `TRUE` for the robust (sandwich) variance; without a
#'   `cluster()` term each row is its own cluster. A `cluster()` term implies
#'   `robust = TRUE`.
#' @param firth `TRUE` to maximise Firth's penalised partial likelihood
#'   \eqn{l(\beta) + \frac12 \log|I(\beta)|} (Heinze & Schemper 2001), which
#'   gives finite estimates under monotone likelihood. It uses Breslow's ties
#'   (as the coxphf package does). Confidence intervals ([confint()],
#'   [summary()], [tidy()]) and the p-values of [summary()] then come from
#'   the profile penalised likelihood, and `loglik` holds penalised values.
#' @param x,y keep the model matrix (`x`) and the response (`y`) in the fit.
#' @param id optional subject identifier, evaluated in `data`: as in coxph,
#'   when a subject has more than one event the variance is the robust one
#'   clustered by subject (also with `robust = TRUE`).
#' @param cluster optional cluster identifier, evaluated in `data`; the same
#'   as a `cluster()` term (robust variance by cluster).
#' @param tt for `tt()` terms (time-transformed covariates): a function
#'   `f(x, time, riskset, weights)`, or a list of one per `tt()` term, giving
#'   the covariate's value at each event time, as in coxph (e.g.
#'   `function(x, t, ...) x * log(t + 20)`); without it, coxph's default
#'   (O'Brien's rank of `x` within each risk set). See the section on
#'   time-transformed covariates.
#' @return An object of class `netsurv_cox` with the fields of
#'   [survival::coxph()]: `coefficients`, `var`, `naive.var` (robust fits),
#'   `loglik` (initial and final), `score`, `wald.test`, `rscore` (robust),
#'   `iter`, `linear.predictors`, `residuals` (martingale), `means`, `n`,
#'   `nevent`, `method`, `concordance`, `terms`, `assign`, `xlevels`,
#'   `contrasts`, `call`, and `y`, `x`, `strata`, `weights`, `offset` where
#'   they apply. `concordance` is computed when first asked for
#'   (`fit$concordance`, `print()`, `summary()`), which saves about the time
#'   of the fit itself on large data when it is not needed.
#' @section Differences from survival:
#' * `robust` is `FALSE` unless asked for, a cluster is given, or `id` has a
#'   subject with several events; coxph also switches it on by itself for
#'   non-integer case weights. `robust = FALSE` with a cluster is an error
#'   (coxph warns and ignores the cluster).
#' * Only `ties = "efron"` and `"breslow"`: `ties = "exact"` is an error
#'   that says so.
#' * Penalised and random-effect terms (`pspline()`, `ridge()`,
#'   `frailty()` and its variants) are an error naming the term (coxph fits
#'   them).
#' * `tt()` terms: fitted as coxph fits them (same coefficients, variance,
#'   log-likelihood and tests); the variables must be columns of `data`;
#'   `tt` without a `tt()` term, and `firth = TRUE` with one, are errors
#'   (coxph ignores the former). `linear.predictors`, `residuals` and `y`
#'   hold the risk-set rows, as in coxph, but in netsurv's order. A tt() fit
#'   refuses `predict()`, `residuals()`, `anova()`, `model.matrix()`,
#'   `concordance()`, `drop1()`/`step()`, `augment()`, `cox_curve()`,
#'   `basehaz()`, `cox_zph()` and `confint(method = "profile")`: coxph
#'   refuses the curves, `cox.zph()` and `concordance()`, and its
#'   `predict(newdata)` and `anova()` give numbers that ignore the transform.
#' * Multi-state and competing-risks responses (a factor status), `istate`,
#'   `statedata`, `model`, `singular.ok` (always `TRUE`), `nocenter` (always
#'   coxph's default) and `method` (use `ties`) are not available.
#' * `control` must come from [cox_control()] (coxph.control objects are
#'   refused); case weights must be > 0 (coxph accepts zero weights).
#' * Factor levels, contrasts, interactions, `strata()`, `offset()`,
#'   `cluster()`, `id`, `weights`, `subset`, `na.action` work as in coxph.
#' * The linear predictor is formed row by row, so rows with identical
#'   covariates get identical values; coxph's `X %*% coef` can split such
#'   ties by one ulp, which moves a few pairs between `tied.x` and
#'   (dis)concordant in the concordance counts.
#' * The robust score test (`rscore`) is evaluated at `init` with the
#'   offset; coxph evaluates it with the offset left out.
#' * With `firth = TRUE`, `loglik` is \eqn{l + \frac12\log|I|} on the
#'   covariates' own scale; coxphf divides each covariate by its standard
#'   deviation first, which shifts its values by a constant (estimates,
#'   variances, tests and intervals are the same).
#' @references Cox DR (1972). Regression models and life-tables. JRSS B 34.
#'   Efron B (1977). The efficiency of Cox's likelihood function for censored
#'   data. JASA 72. Heinze G, Schemper M (2001). A solution to the problem of
#'   monotone likelihood in Cox regression. Biometrics 57.
#' @seealso [cox_control()], [survival::coxph()]
#' @section Time-transformed covariates:
#' A `tt(x)` term enters the partial likelihood at each event time \eqn{t}
#' as \eqn{f(x, t)}. As coxph does, the data are expanded so that every risk
#' set (the rows at risk at one event time of one stratum) is a stratum of its
#' own, holding `f(x, t)`; that expanded data set (one row per event time and
#' row at risk) is then fitted as usual.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex + strata(ph.ecog), data = survival::lung)
#' fit
#' summary(fit)
#' tidy(fit, exponentiate = TRUE, conf.int = TRUE)
#' # a time-varying effect of age
#' cox(Surv(time, status) ~ ph.ecog + tt(age), data = survival::lung,
#'     tt = function(x, t, ...) x * log(t + 20))
#' @export
cox <- function(formula, data, weights, subset, na.action, ties = c("efron", "breslow"),
                init, control = cox_control(), robust = FALSE, firth = FALSE,
                x = FALSE, y = TRUE, id, cluster, tt) {
  if (cox_uses_tt(match.call(), parent.frame())) return(cox_tt(match.call(), parent.frame())) # R/cox-tt.R
  if (!missing(data) && is_db_table(data)) { # a database table: R/sql.R
    given <- c(id = !missing(id), cluster = !missing(cluster))
    if (any(given))
      stop("`", names(given)[given][1L], "` is not supported when `data` is a database table; ",
           "collect() the rows and call cox() on the data frame", call. = FALSE)
    return(cox_db(match.call(), parent.frame(), match.arg(ties), if (!missing(init)) init, control,
                  robust, firth, x, y, !missing(init), !missing(y)))
  }
  ties_given <- !missing(ties)
  if (identical(ties, "exact"))
    stop("`ties = \"exact\"` (the exact partial likelihood) is not implemented by netsurv; ",
         "use ties = \"efron\" (coxph's default, close to exact unless ties are heavy) or ",
         "survival::coxph(ties = \"exact\")", call. = FALSE)
  ties <- match.arg(ties)
  robust_given <- !missing(robust)
  call <- match.call()
  if (!inherits(control, "netsurv_cox_control"))
    stop("`control` must be made by cox_control()", call. = FALSE)
  for (arg in c("robust", "firth", "x", "y")) {
    v <- get(arg)
    if (!is.logical(v) || length(v) != 1L || is.na(v))
      stop("`", arg, "` must be TRUE or FALSE", call. = FALSE)
  }
  if (firth) {
    if (ties_given && ties == "efron")
      stop("`firth = TRUE` uses Breslow's ties (as coxphf); drop `ties = \"efron\"`",
           call. = FALSE)
    ties <- "breslow"
  }
  keep_x <- x
  keep_y <- y

  fr <- survival_frame(call, parent.frame(), specials = c("strata", "cluster"),
                       extra = c("id", "cluster"))
  mf <- fr$mf
  terms <- fr$terms
  # As coxph: the design is built with an intercept, which is then dropped,
  # so `~ f - 1` codes a factor by contrasts, not by one column per level
  # (whose sum is aliased with the baseline hazard).
  attr(terms, "intercept") <- 1L
  rows <- row.names(mf)
  n <- nrow(mf)

  # Strata and cluster terms leave the design matrix (strata stay when they
  # take part in an interaction, as in coxph, where only their main effect
  # columns are dropped).
  strata_sp <- survival::untangle.specials(terms, "strata", 1)
  cluster_sp <- survival::untangle.specials(terms, "cluster", 1)
  if (length(cluster_sp$vars) > 1L)
    stop("`formula`: only one cluster() term is allowed", call. = FALSE)
  if (length(cluster_sp$vars) && !is.null(call$cluster))
    stop("`cluster`: give the cluster either as a cluster() term or as `cluster =`, not both",
         call. = FALSE)
  # coxph's rules: `cluster =` is a cluster() term; with `id =`, a subject
  # with several events makes the variance robust, clustered by subject.
  cl_arg <- mf[["(cluster)"]]
  id_arg <- mf[["(id)"]]
  if (!is.null(cl_arg) && anyNA(cl_arg))
    stop("`cluster` has missing values; give every row a cluster", call. = FALSE)
  if (!is.null(id_arg) && anyNA(id_arg))
    stop("`id` has missing values; give every row a subject", call. = FALSE)
  if (robust_given && !robust && (!is.null(cl_arg) || length(cluster_sp$vars)))
    stop("`robust = FALSE` with a cluster: the cluster would be ignored; drop one of them",
         call. = FALSE)
  if (!robust_given && !is.null(id_arg) && anyDuplicated(id_arg[fr$status == 1L]))
    robust <- TRUE
  factors <- attr(terms, "factors")
  if (length(cluster_sp$vars) && any(factors[cluster_sp$vars, ] > 0 & attr(terms, "order") > 1))
    stop("`formula`: cluster() cannot be part of an interaction", call. = FALSE)
  stratum <- NULL
  strata_keep <- NULL
  interacting_strata <- FALSE
  if (length(strata_sp$vars)) {
    strata_keep <- strata_factor(mf, strata_sp$vars)
    stratum <- as.integer(strata_keep) - 1L
    for (v in strata_sp$vars)
      if (any(attr(terms, "order")[factors[v, ] > 0] > 1)) interacting_strata <- TRUE
  }
  cluster <- NULL
  n_cluster <- 0L
  cl_source <- if (length(cluster_sp$vars)) mf[[cluster_sp$vars]] else if (!is.null(cl_arg)) cl_arg
               else if (robust && !is.null(id_arg)) id_arg
  if (!is.null(cl_source)) {
    cl <- cl_source
    cluster <- if (is.factor(cl)) as.integer(droplevels(cl)) else match(cl, sort(unique(cl)))
    n_cluster <- max(cluster)
    cluster <- cluster - 1L
    robust <- TRUE
  }

  drop <- c(cluster_sp$terms, if (!interacting_strata) strata_sp$terms)
  if (length(drop)) {
    terms2 <- terms[-drop]
    X <- stats::model.matrix(terms2, mf)
    asgn <- attr(X, "assign")
    for (s in sort(drop)) asgn <- asgn + (s <= asgn)
  } else {
    X <- stats::model.matrix(terms, mf)
    asgn <- attr(X, "assign")
  }
  contrasts <- attr(X, "contrasts")
  xdrop <- asgn %in% c(0L, if (interacting_strata) strata_sp$terms)
  xnames <- colnames(X)[!xdrop]
  # Usually only the leading intercept column goes: then the core skips it
  # in place (x_skip) instead of R copying the n x p matrix without it; X is
  # only cut when the matrix itself is needed (x = TRUE, firth, a bad value).
  x_skip <- if (!any(xdrop)) 0L else if (all(which(xdrop) == seq_len(sum(xdrop))) && is.double(X))
              sum(xdrop) else NA_integer_
  if (is.na(x_skip)) {
    X <- X[, !xdrop, drop = FALSE]
    storage.mode(X) <- "double"
    x_skip <- 0L
  }
  cut_x <- function() {
    if (x_skip > 0L) X[, -seq_len(x_skip), drop = FALSE] else X
  }
  if (!is.double(X)) storage.mode(X) <- "double"
  asgn <- asgn[!xdrop]
  labels <- attr(terms, "term.labels")
  assign <- lapply(split(seq_along(asgn), factor(asgn, levels = unique(asgn))), identity)
  names(assign) <- labels[unique(asgn)]

  # A finite sum rules out non-finite entries without an n x p temporary;
  # only otherwise (or on overflow) find the first bad one.
  bad <- if (!is.finite(sum(X))) {
    X <- cut_x()
    x_skip <- 0L
    which(!is.finite(X), arr.ind = TRUE)
  }
  if (length(bad)) {
    bad <- bad[order(bad[, 1L]), , drop = FALSE]
    stop("`formula`: covariate `", colnames(X)[bad[1L, 2L]], "` in row ", rows[bad[1L, 1L]],
         " is ", format(X[bad[1L, 1L], bad[1L, 2L]]), "; covariates must be finite",
         call. = FALSE)
  }
  weights <- fr$weights
  if (!is.null(weights)) {
    bad <- which(weights <= 0)
    if (length(bad))
      stop("`weights`: the weight in row ", rows[bad[1L]], " is ", format(weights[bad[1L]]),
           "; cox() needs weights > 0 (drop the row instead)", call. = FALSE)
    if (!is.finite(sum(weights))) {
      big <- which.max(weights)
      stop("`weights`: the weights sum to more than a double holds (row ", rows[big],
           " has ", format(weights[big]), "); rescale them", call. = FALSE)
    }
  }
  offset <- stats::model.offset(mf)
  if (is.null(offset) || all(offset == 0)) {
    offset <- NULL
  } else {
    bad <- which(!is.finite(offset) | !is.finite(exp(offset)))
    if (length(bad))
      stop("`formula`: the offset in row ", rows[bad[1L]], " is ", format(offset[bad[1L]]),
           "; offsets must give a finite risk score", call. = FALSE)
    offset <- as.double(offset - mean(offset))
  }
  if (sum(fr$status) == 0)
    stop("`formula`: there are no events (every status is 0); a Cox model needs at least one",
         call. = FALSE)

  p <- length(xnames)
  if (!missing(init) && !is.null(init)) {
    if (!is.numeric(init) || length(init) != p || any(!is.finite(init)))
      stop("`init` must be ", p, " finite number(s), one per coefficient", call. = FALSE)
    init <- as.double(init)
  } else init <- NULL

  # coxph's timefix: merge times that differ only by floating-point fuzz.
  fixed_times <- time_fix(fr$time, fr$start)
  time <- fixed_times[[1L]]
  start <- fixed_times[[2L]]

  # center = NULL: the core applies coxph's nocenter = c(-1, 0, 1) rule
  # (columns holding only those values are left uncentred, which shows in
  # $means and the linear predictors).
  center <- NULL
  core <- tryCatch(
    cox_core(X, time, start, fr$status, weights, offset, stratum, center, cluster,
             n_cluster, ties, init, control, robust, firth, x_skip = x_skip),
    error = function(e) {
      # Name the argument when the core could not evaluate the model at init.
      if (!is.null(init) && grepl("not finite", conditionMessage(e))) {
        eta <- drop(cut_x() %*% init)
        r <- which.max(abs(eta))
        stop("`init`: the model cannot be evaluated at init = (",
             paste(format(init), collapse = ", "), "): the linear predictor reaches ",
             format(eta[r]), " in row ", rows[r], ", where exp() of it is not finite",
             call. = FALSE)
      }
      stop(e)
    })
  if (x_skip > 0L && (keep_x || firth)) {
    X <- cut_x()
    x_skip <- 0L
  }

  coef <- stats::setNames(core$coefficients, xnames)
  coef[is.nan(coef)] <- NA_real_
  # The linear predictor from the core, row by row: identical covariate rows
  # get identical values, so their ties count as ties in the concordance
  # (coxph's X %*% coef through BLAS can split such ties by one ulp).
  lp <- core$linear.predictors
  if (!firth && any(core$infinite[!is.na(coef)])) {
    which_inf <- xnames[core$infinite & !is.na(coef)]
    warning("monotone likelihood: the coefficient of ",
            paste0("`", which_inf, "`", collapse = ", "),
            " appears to run to infinity (the partial likelihood keeps increasing, ",
            "e.g. a group without events); consider firth = TRUE", call. = FALSE)
  }
  if (!core$converged && control$iter.max > 0 && p > 0)
    warning("cox() did not converge in ", control$iter.max,
            " iterations; increase `control = cox_control(iter.max = )`", call. = FALSE)

  y_surv <- new_surv(time, fr$status, start)
  status <- fr$status
  fit <- list(
    coefficients = coef,
    var = core$var,
    loglik = core$loglik,
    score = core$score,
    iter = core$iter,
    linear.predictors = unname(lp),
    residuals = stats::setNames(core$residuals, rows),
    means = stats::setNames(core$means, xnames),
    method = ties,
    n = n,
    nevent = as.double(sum(status)),
    terms = terms,
    assign = assign,
    wald.test = core$wald.test
  )
  if (robust) {
    fit$naive.var <- core$naive.var
    fit$rscore <- core$rscore
  }
  # Computed when first asked for (fit$concordance; see cox-concordance.R).
  fit$concordance <- lazy_concordance(time, start, status, weights, stratum, lp, cluster,
                                      n_cluster)
  if (length(fr$na_action)) fit$na.action <- fr$na_action
  if (keep_x) {
    attr(X, "assign") <- asgn
    attr(X, "contrasts") <- contrasts
    fit$x <- X
  }
  if (keep_y) fit$y <- y_surv
  if (!is.null(strata_keep)) fit$strata <- strata_keep
  if (!is.null(cluster)) fit$cluster <- cluster + 1L
  fit$timefix <- TRUE
  if (!is.null(weights) && any(weights != 1)) fit$weights <- weights
  fit$formula <- stats::formula(terms)
  xlevels <- stats::.getXlevels(terms, mf)
  if (length(xlevels)) fit$xlevels <- xlevels
  fit$contrasts <- contrasts
  if (!is.null(offset)) fit$offset <- offset
  fit$converged <- core$converged
  fit$infinite <- stats::setNames(core$infinite, xnames)
  fit$robust <- robust
  fit$firth <- firth
  fit$call <- call
  class(fit) <- "netsurv_cox"
  if (firth) {
    prof <- firth_profile(coef, fit$loglik[2], cox_se(fit), X, time, start, fr$status,
                          weights, offset, stratum, center, control)
    fit$firth_ci <- prof$ci
    fit$firth_level <- 0.95
    fit$firth_p <- prof$p
  }
  fit
}

# Profile penalised-likelihood confidence limits and p-values for a Firth
# fit (Heinze & Schemper 2001, section 3): for coefficient j the limits are
# the values b where 2 (l*(beta_hat) - max over the others of l*(b, .))
# equals the chi-square(1) quantile, and the p-value is that statistic at
# b = 0. Each profile point is a constrained fit by the core (fixed = j).
firth_profile <- function(coef, lmax, se, X, time, start, status, weights, offset,
                          stratum, center, control, level = 0.95) {
  p <- length(coef)
  q <- stats::qchisq(level, 1)
  beta <- ifelse(is.na(coef), 0, coef)
  ci <- matrix(NA_real_, p, 2L, dimnames = list(names(coef), NULL))
  pval <- stats::setNames(rep(NA_real_, p), names(coef))
  for (j in which(!is.na(coef))) {
    fixed <- seq_len(p) == j
    prof <- function(b) {
      init <- beta
      init[j] <- b
      fit <- cox_core(X, time, start, status, weights, offset, stratum, center, NULL, 0L,
                      "breslow", init, control, FALSE, TRUE, fixed = fixed)
      2 * (lmax - fit$loglik[2])
    }
    pval[j] <- stats::pchisq(max(prof(0), 0), 1, lower.tail = FALSE)
    step <- if (is.finite(se[j]) && se[j] > 0) se[j] else 1
    for (side in 1:2) {
      sgn <- if (side == 1) -1 else 1
      lo <- beta[j]
      hi <- beta[j] + sgn * step
      k <- 0
      while (prof(hi) < q && k < 30) {
        lo <- hi
        step <- 2 * step
        hi <- beta[j] + sgn * step
        k <- k + 1
      }
      ci[j, side] <- if (k >= 30) sgn * Inf else
        stats::uniroot(function(b) prof(b) - q, sort(c(lo, hi)), tol = 1e-10)$root
      step <- if (is.finite(se[j]) && se[j] > 0) se[j] else 1
    }
  }
  list(ci = ci, p = pval)
}

# The thread count of a fit: see netsurv_threads() (R/threads.R).
cox_threads <- function() netsurv_threads()

# Calls the core with plain columns.
cox_core <- function(X, time, start, status, weights, offset, stratum, center, cluster,
                     n_cluster, ties, init, control, robust, firth, fixed = NULL,
                     iter.max = control$iter.max, x_skip = 0L) {
  ctl <- list(ties = if (ties == "efron") 1L else 0L, iter_max = as.integer(iter.max),
              eps = control$eps, toler_chol = control$toler.chol,
              toler_inf = control$toler.inf, init = init,
              fixed = if (!is.null(fixed)) as.integer(fixed),
              robust = robust, firth = firth, threads = cox_threads(),
              x_skip = as.integer(x_skip))
  .Call(ffi_cox_fit, X, as.double(time), if (!is.null(start)) as.double(start),
        as.integer(status), weights, offset, stratum, if (!is.null(center)) as.integer(center),
        cluster, as.integer(n_cluster), ctl)
}


# ---- methods ---------------------------------------------------------------

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
  if (!is.null(x$call)) {
    cat("Call:\n")
    dput(x$call)
    cat("\n")
  }
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
  if (!is.null(x$call)) {
    cat("Call:\n")
    dput(x$call)
    cat("\n")
  }
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

