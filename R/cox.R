# cox.R -- Cox proportional hazards models: cox() and cox_control(). The fit
# itself is ns_cox_fit in src/core/cox.c; this file turns a formula into its
# columns and the result into an object with survival's coxph field names.
# The methods of class "netsurv_cox" are in R/cox-methods.R.

#' Control parameters for cox()
#'
#' @param eps convergence tolerance: iteration stops when the relative change
#'   of the log partial likelihood, `abs(1 - old / new)`, is at most `eps`.
#' @param iter.max maximum number of Newton-Raphson iterations.
#' @param toler.chol tolerance for detecting collinear columns: a column whose
#'   pivot in the Cholesky decomposition of the information matrix is below
#'   `toler.chol` times the largest diagonal element gets an `NA` coefficient.
#' @param toler.inf tolerance for the monotone-likelihood warning (checked,
#'   as by `coxph()`, only when the fit converged and `iter.max > 1`): a
#'   coefficient is reported as possibly infinite when the next Newton step
#'   would still move it by more than `eps` and by more than `toler.inf`
#'   times its size (`toler.inf` times 1 + its size for `(start, stop]`
#'   data, as `agreg.fit()`).
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
#' @param ties `"efron"` (default), `"breslow"` or `"exact"` handling of tied
#'   event times. `"exact"` maximises the exact (discrete, conditional
#'   logistic) partial likelihood, whose term at a time with \eqn{d} tied
#'   events sums over every set of \eqn{d} rows of the risk set; netsurv
#'   computes it by the recursion of Gail, Lubin & Rubinstein (1981) in
#'   (rows at risk) x \eqn{d} steps per tied time, for ties of up to 500
#'   events (an error beyond, or when one Newton step would exceed about
#'   4e9 operations).
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
#'   they apply; and `log_expected`, each row's expected count
#'   `status - residuals` formed in logs (deviance residuals need it where a
#'   residual rounds to its status). `concordance` is computed when first asked for
#'   (`fit$concordance`, `print()`, `summary()`), which saves about the time
#'   of the fit itself on large data when it is not needed.
#' @section Differences from survival:
#' * As in coxph, `robust` is `FALSE` unless asked for, a cluster is given,
#'   `id` has a subject with several events, or a case weight is not a whole
#'   number (then each row is its own cluster; `robust = FALSE` keeps the
#'   model-based variance). With `firth = TRUE` non-integer weights leave it
#'   `FALSE`, as in coxphf. `robust = FALSE` with a cluster is an error
#'   (coxph warns and ignores the cluster). On a database table a non-integer
#'   weight needs `robust = FALSE` (the robust variance needs the rows).
#' * `ties = "exact"` gives coxph's results (coefficients, variance,
#'   likelihoods, tests, concordance; martingale and deviance residuals,
#'   curves, [basehaz()], `predict(type = "expected")` and [cox_zph()] use
#'   Breslow's hazard at the exact coefficients, as coxph does). As in coxph
#'   it has no case weights other than 1, no robust variance (`robust`,
#'   `cluster`, `id` with repeated events) and no score, Schoenfeld or
#'   dfbeta residuals: each is an error that says so. Unlike coxph, whose
#'   (start, stop] version enumerates every subset of the risk set of the
#'   tie's size (\eqn{\binom{100}{10} \approx 1.7 \times 10^{13}}{C(100, 10) = 1.7e13}
#'   of them for a tie of 10 among 100 at risk), netsurv uses the same
#'   polynomial recursion for both kinds of data; ties of more
#'   than 500 events are an error, as are `firth = TRUE` and database
#'   tables with `ties = "exact"`.
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
#'   data. JASA 72. Gail MH, Lubin JH, Rubinstein LV (1981). Likelihood
#'   calculations for matched case-control studies and survival studies
#'   with tied death times. Biometrika 68. Heinze G, Schemper M (2001). A solution to the problem of
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
cox <- function(formula, data, weights, subset, na.action, ties = c("efron", "breslow", "exact"),
                init, control = cox_control(), robust = FALSE, firth = FALSE,
                x = FALSE, y = TRUE, id, cluster, tt) {
  if (cox_uses_tt(match.call(), parent.frame())) return(cox_tt(match.call(), parent.frame())) # R/cox-tt.R
  ties_given <- !missing(ties)
  ties <- match_choice(ties, c("efron", "breslow", "exact"), "ties")
  if (!missing(data) && is_db_table(data)) { # a database table: R/sql.R
    if (ties == "exact")
      stop("`ties = \"exact\"` is not supported when `data` is a database table; ",
           "collect() the rows and call cox() on the data frame", call. = FALSE)
    given <- c(id = !missing(id), cluster = !missing(cluster))
    if (any(given))
      stop("`", names(given)[given][1L], "` is not supported when `data` is a database table; ",
           "collect() the rows and call cox() on the data frame", call. = FALSE)
    return(cox_db(match.call(), parent.frame(), ties, if (!missing(init)) init, control,
                  robust, firth, x, y, !missing(init), !missing(y), !missing(robust)))
  }
  robust_given <- !missing(robust)
  call <- match.call()
  ties <- cox_check_options(control, robust, firth, x, y, ties, ties_given)
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

  sc <- cox_strata_cluster(fr, terms, call, robust, robust_given)
  stratum <- sc$stratum
  strata_keep <- sc$strata_keep
  cluster <- sc$cluster
  n_cluster <- sc$n_cluster
  robust <- sc$robust

  cx <- cox_covariates(terms, mf, rows)
  X <- cx$X
  x_skip <- cx$x_skip
  xnames <- cx$xnames
  weights <- cox_check_weights(fr$weights, rows)
  # coxph's default: non-integer case weights are not frequencies, so the
  # model-based variance does not apply and the robust one (each row its own
  # cluster when none is given) is used unless `robust = FALSE` says
  # otherwise. Firth's fits follow coxphf, which has no such rule.
  if (!robust_given && !robust && !firth && !is.null(weights) &&
      any(weights != floor(weights)))
    robust <- TRUE
  offset <- cox_offset(mf, rows)
  if (sum(fr$status) == 0)
    stop("`formula`: there are no events (every status is 0); a Cox model needs at least one",
         call. = FALSE)
  p <- length(xnames)
  init <- cox_check_init(if (!missing(init)) init, p)

  # coxph's timefix: merge times that differ only by floating-point fuzz.
  fixed_times <- time_fix(fr$time, fr$start, mf = mf)
  time <- fixed_times[[1L]]
  start <- fixed_times[[2L]]
  # The exact partial likelihood (R/cox-exact.R): what it refuses, before
  # the fit. Unit weights are no weights.
  if (ties == "exact")
    weights <- cox_exact_check(weights, robust, cluster, sc$id_arg, time, fr$status, stratum,
                               strata_keep, rows)

  # center = NULL: the core applies coxph's nocenter = c(-1, 0, 1) rule
  # (columns holding only those values are left uncentred, which shows in
  # $means and the linear predictors).
  center <- NULL
  core <- cox_fit_core(X, x_skip, time, start, fr$status, weights, offset, stratum, center,
                       cluster, n_cluster, ties, init, control, robust, firth, rows)
  if (x_skip > 0L && (keep_x || firth)) {
    X <- cox_cut_x(X, x_skip)
    x_skip <- 0L
  }

  coef <- stats::setNames(core$coefficients, xnames)
  coef[is.nan(coef)] <- NA_real_
  # The linear predictor from the core, row by row: identical covariate rows
  # get identical values, so their ties count as ties in the concordance
  # (coxph's X %*% coef through BLAS can split such ties by one ulp).
  lp <- core$linear.predictors
  cox_fit_warnings(core, coef, firth, control)

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
    # log(status - residuals), formed in logs: the deviance residuals need it
    # where a residual rounds to its status (cox-residuals.R)
    log_expected = core$log_expected,
    means = stats::setNames(core$means, xnames),
    method = ties,
    n = n,
    nevent = as.double(sum(status)),
    terms = terms,
    assign = cx$assign,
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
    attr(X, "assign") <- cx$asgn
    attr(X, "contrasts") <- cx$contrasts
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
  fit$contrasts <- cx$contrasts
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

# ---- cox()'s steps ------------------------------------------------------------

# The options that need no data: `control`, the flags, and Firth's ties
# (Breslow's, as coxphf); returns the ties to use.
cox_check_options <- function(control, robust, firth, x, y, ties, ties_given) {
  if (!inherits(control, "netsurv_cox_control"))
    stop("`control` must be made by cox_control()", call. = FALSE)
  flags <- list(robust = robust, firth = firth, x = x, y = y)
  for (arg in names(flags)) {
    v <- flags[[arg]]
    if (!is.logical(v) || length(v) != 1L || is.na(v))
      stop("`", arg, "` must be TRUE or FALSE", call. = FALSE)
  }
  if (firth) {
    if (ties == "exact")
      stop("`firth = TRUE` uses Breslow's ties (as coxphf); drop `ties = \"exact\"`",
           call. = FALSE)
    if (ties_given && ties == "efron")
      stop("`firth = TRUE` uses Breslow's ties (as coxphf); drop `ties = \"efron\"`",
           call. = FALSE)
    ties <- "breslow"
  }
  ties
}

# Strata and cluster of the model frame: list(stratum (0-based codes or
# NULL), strata_keep (the factor), cluster (0-based codes or NULL),
# n_cluster, robust (TRUE when a cluster makes it so), id_arg). Strata and
# cluster terms leave the design matrix (strata stay when they take part in
# an interaction, as in coxph, where only their main effect columns are
# dropped).
cox_strata_cluster <- function(fr, terms, call, robust, robust_given) {
  mf <- fr$mf
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
  if (length(strata_sp$vars)) {
    strata_keep <- strata_factor(mf, strata_sp$vars)
    stratum <- as.integer(strata_keep) - 1L
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
  list(stratum = stratum, strata_keep = strata_keep, cluster = cluster,
       n_cluster = n_cluster, robust = robust, id_arg = id_arg)
}

# The covariates: list(X, x_skip, xnames, asgn, assign, contrasts). Usually
# only the leading intercept column goes: then the core skips it in place
# (x_skip) instead of R copying the n x p matrix without it; X is only cut
# (cox_cut_x()) when the matrix itself is needed (x = TRUE, firth, a bad
# value). A non-finite covariate is an error naming its row.
cox_covariates <- function(terms, mf, rows) {
  # The design builder the diagnostics share (R/cox-model-data.R).
  design <- cox_design(terms, mf)
  X <- design$X
  asgn <- design$assign
  xdrop <- !design$keep
  xnames <- colnames(X)[!xdrop]
  x_skip <- if (!any(xdrop)) 0L else if (all(which(xdrop) == seq_len(sum(xdrop))) && is.double(X))
              sum(xdrop) else NA_integer_
  if (is.na(x_skip)) {
    X <- X[, !xdrop, drop = FALSE]
    storage.mode(X) <- "double"
    x_skip <- 0L
  }
  if (!is.double(X)) storage.mode(X) <- "double"
  asgn <- asgn[!xdrop]
  labels <- attr(terms, "term.labels")
  assign <- lapply(split(seq_along(asgn), factor(asgn, levels = unique(asgn))), identity)
  names(assign) <- labels[unique(asgn)]

  # A finite sum rules out non-finite entries without an n x p temporary;
  # only otherwise (or on overflow) find the first bad one.
  bad <- if (!is.finite(sum(X))) {
    X <- cox_cut_x(X, x_skip)
    x_skip <- 0L
    which(!is.finite(X), arr.ind = TRUE)
  }
  if (length(bad)) {
    bad <- bad[order(bad[, 1L]), , drop = FALSE]
    stop("`formula`: covariate `", colnames(X)[bad[1L, 2L]], "` in row ", rows[bad[1L, 1L]],
         " is ", format(X[bad[1L, 1L], bad[1L, 2L]]), "; covariates must be finite",
         call. = FALSE)
  }
  list(X = X, x_skip = x_skip, xnames = xnames, asgn = asgn, assign = assign,
       contrasts = design$contrasts)
}

# X without the x_skip leading columns the core skips in place.
cox_cut_x <- function(X, x_skip) {
  if (x_skip > 0L) X[, -seq_len(x_skip), drop = FALSE] else X
}

# Case weights: positive, with a finite sum (an error names the row).
cox_check_weights <- function(weights, rows) {
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
  weights
}

# The formula's offset, centred at its mean; NULL when there is none (or it
# is 0 everywhere). It must give a finite risk score (an error names the row).
cox_offset <- function(mf, rows) {
  offset <- stats::model.offset(mf)
  if (is.null(offset) || all(offset == 0)) return(NULL)
  bad <- which(!is.finite(offset) | !is.finite(exp(offset)))
  if (length(bad))
    stop("`formula`: the offset in row ", rows[bad[1L]], " is ", format(offset[bad[1L]]),
         "; offsets must give a finite risk score", call. = FALSE)
  as.double(offset - mean(offset))
}

# `init`: NULL, or p finite numbers.
cox_check_init <- function(init, p) {
  if (is.null(init)) return(NULL)
  if (!is.numeric(init) || length(init) != p || any(!is.finite(init)))
    stop("`init` must be ", p, " finite number(s), one per coefficient", call. = FALSE)
  as.double(init)
}

# The core's fit (cox_core()); an error the user can act on names what to
# change: init where the model cannot be evaluated, the exact likelihood's
# size.
cox_fit_core <- function(X, x_skip, time, start, status, weights, offset, stratum, center,
                         cluster, n_cluster, ties, init, control, robust, firth, rows) {
  tryCatch(
    cox_core(X, time, start, status, weights, offset, stratum, center, cluster,
             n_cluster, ties, init, control, robust, firth, x_skip = x_skip),
    error = function(e) {
      # Name the argument when the core could not evaluate the model at init.
      if (!is.null(init) && grepl("not finite", conditionMessage(e))) {
        eta <- drop(cox_cut_x(X, x_skip) %*% init)
        r <- which.max(abs(eta))
        stop("`init`: the model cannot be evaluated at init = (",
             paste(format(init), collapse = ", "), "): the linear predictor reaches ",
             format(eta[r]), " in row ", rows[r], ", where exp() of it is not finite",
             call. = FALSE)
      }
      if (ties == "exact" && grepl("too large", conditionMessage(e)))
        cox_exact_too_large(ncol(X) - x_skip)
      stop(e)
    })
}

# The fit's warnings: monotone likelihood (not with Firth's penalty) and no
# convergence.
cox_fit_warnings <- function(core, coef, firth, control) {
  if (!firth && any(core$infinite[!is.na(coef)])) {
    which_inf <- names(coef)[core$infinite & !is.na(coef)]
    warning("monotone likelihood: the coefficient of ",
            paste0("`", which_inf, "`", collapse = ", "),
            " appears to run to infinity (the partial likelihood keeps increasing, ",
            "e.g. a group without events); consider firth = TRUE", call. = FALSE)
  }
  if (!core$converged && control$iter.max > 0 && length(coef) > 0)
    warning("cox() did not converge in ", control$iter.max,
            " iterations; increase `control = cox_control(iter.max = )`", call. = FALSE)
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
  ctl <- list(ties = match(ties, c("breslow", "efron", "exact")) - 1L, iter_max = as.integer(iter.max),
              eps = control$eps, toler_chol = control$toler.chol,
              toler_inf = control$toler.inf, init = init,
              fixed = if (!is.null(fixed)) as.integer(fixed),
              robust = robust, firth = firth, threads = cox_threads(),
              x_skip = as.integer(x_skip))
  .Call(ffi_cox_fit, X, as.double(time), if (!is.null(start)) as.double(start),
        as.integer(status), weights, offset, stratum, if (!is.null(center)) as.integer(center),
        cluster, as.integer(n_cluster), ctl)
}
