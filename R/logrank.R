# logrank.R -- k-sample log-rank and Fleming-Harrington weighted log-rank
# tests (src/core/logrank.c), with permutation p-values and pairwise tests.

#' Log-rank and weighted log-rank tests
#'
#' Tests whether survival differs between groups with the k-sample log-rank
#' test or its Fleming-Harrington weighted forms, optionally stratified, and
#' optionally with a permutation p-value that does not rely on large-sample
#' theory. With `gamma = 0` the numbers are those of [survival::survdiff()]
#' with the same `rho`.
#'
#' At each event time the weight is \eqn{w(t) = S(t-)^\rho (1 - S(t-))^\gamma},
#' where \eqn{S} is the pooled, left-continuous Kaplan-Meier estimate within
#' the stratum. `rho = gamma = 0` is the log-rank test, `rho = 1, gamma = 0`
#' the Peto-Peto modification of the Gehan-Wilcoxon test; `gamma > 0` puts
#' weight on late differences. As in `survdiff()`, observed and expected
#' counts are weighted, times that differ only by floating-point fuzz are
#' merged first (`survival::aeqSurv()`), and groups with no expected events
#' are left out of the statistic.
#'
#' With `exact = TRUE` the group labels are permuted within strata (under
#' the null hypothesis of equal survival, and equal censoring, they are
#' exchangeable). When the number of distinct arrangements is at most `B`
#' they are all enumerated and the p-value is exact; otherwise `B` random
#' arrangements give the p-value \eqn{(1 + b) / (1 + B)}, with \eqn{b} the
#' number of statistics at least as large as the observed one, and its Monte
#' Carlo standard error \eqn{\sqrt{p (1 - p) / B}}. The permutations are drawn
#' by the C core's own generator (xoshiro256** seeded from `seed`), so the
#' result does not depend on R's RNG state once `seed` is given. In
#' interactive sessions a long run shows a progress bar (turn it off with
#' `options(netsurv.progress = FALSE)`); it can be interrupted.
#'
#' @param formula a formula such as `Surv(time, status) ~ group`: one or more
#'   variables on the right define the groups (one group per combination);
#'   `strata()` terms give a stratified test. Right-censored data only.
#' @param data a data frame.
#' @param subset,na.action as in [survival::survdiff()]; missing values are
#'   dropped by default.
#' @param rho,gamma non-negative exponents of the Fleming-Harrington weights.
#' @param exact if `TRUE`, also compute a permutation p-value.
#' @param B the number of random permutations, and the largest number of
#'   arrangements that are enumerated exactly.
#' @param seed a whole number that seeds the permutations; `NULL` draws one
#'   from R's generator, so that [set.seed()] makes the result reproducible.
#' @return An object of class `netsurv_logrank` with the fields of
#'   `survdiff`: `n` (table of group sizes), `obs` and `exp` (weighted observed
#'   and expected events; a groups by strata matrix for a stratified test),
#'   `var` (variance matrix of `obs - exp`), `chisq`, `pvalue`, and `strata`,
#'   `na.action` when they apply; plus `df`, `rho`, `gamma`, `call` and, with
#'   `exact = TRUE`, `permutation`: a list with `p.value`, `std.error`
#'   (0 when enumerated), `n` (arrangements used), `enumerated`, `B` and
#'   `seed`.
#' @section Differences from survival:
#' * `rho` and `gamma` give the Fleming-Harrington G(rho, gamma) weights
#'   \eqn{S(t-)^\rho (1 - S(t-))^\gamma}; with `gamma = 0` the test is
#'   survdiff's `rho` test.
#' * One-sample tests (an `offset()` term), `cluster()` terms and the other
#'   special terms of survival's formulas are an error; counting-process data
#'   are not accepted (survdiff does not accept them either).
#' * When the groups are nested in strata and the variance is singular,
#'   netsurv reports the test on the variance's rank where survdiff stops.
#' * Times are always merged as `timefix = TRUE` does; `timefix` is not an
#'   argument.
#' * `exact = TRUE` (permutation p-value) and `pairwise_logrank()` are
#'   netsurv's own.
#' @seealso [pairwise_logrank()] for all pairwise comparisons,
#'   [survival::survdiff()].
#' @references Fleming TR, Harrington DP (1991). *Counting Processes and
#'   Survival Analysis*. Wiley, section 7.3.
#'
#'   Phipson B, Smyth GK (2010). Permutation p-values should never be zero.
#'   *Statistical Applications in Genetics and Molecular Biology* 9(1).
#' @examples
#' logrank(Surv(time, status) ~ sex, data = survival::lung)
#'
#' # Peto-Peto weights, stratified by ECOG score
#' logrank(Surv(time, status) ~ sex + strata(ph.ecog), data = survival::lung, rho = 1)
#'
#' # late differences
#' fit <- logrank(Surv(time, status) ~ trt, data = survival::veteran, gamma = 1)
#' tidy(fit)
#' glance(fit)
#'
#' # a small trial: exact permutation p-value (all 126 arrangements)
#' small <- data.frame(time = c(6, 7, 9, 10, 11, 13, 15, 16, 19),
#'                     status = c(1, 1, 0, 1, 1, 1, 0, 1, 1),
#'                     arm = rep(c("A", "B"), c(4, 5)))
#' logrank(Surv(time, status) ~ arm, data = small, exact = TRUE, B = 200)
#' @export
logrank <- function(formula, data, subset, na.action, rho = 0, gamma = 0,
                    exact = FALSE, B = 10000, seed = NULL) {
  if (!missing(data) && is_db_table(data)) { # a database table: R/sql.R
    check_logrank_options(rho, gamma, exact, B, seed)
    return(logrank_db(match.call(), parent.frame(), rho, gamma, exact))
  }
  call <- match.call()
  check_logrank_options(rho, gamma, exact, B, seed)
  setup <- logrank_setup(call, parent.frame())
  if (exact && is.null(seed)) seed <- draw_seed()

  fit <- logrank_compute(setup$time, setup$status, setup$groups, setup$stratum,
                         rho, gamma, exact, B, seed)
  out <- list(n = group_table(setup$groups), obs = fit$obs, exp = fit$exp,
              var = fit$var, chisq = fit$chisq, pvalue = fit$pvalue)
  if (!is.null(setup$strata_keep)) out$strata <- table(strata.keep = setup$strata_keep)
  if (length(setup$na_action)) out$na.action <- setup$na_action
  out$call <- call
  out$df <- fit$df
  out$rho <- rho
  out$gamma <- gamma
  if (exact) out$permutation <- fit$permutation
  out$group_data <- setup$group_data
  class(out) <- "netsurv_logrank"
  out
}

#' All pairwise log-rank tests
#'
#' Runs [logrank()] on every pair of groups (the rows of the two groups only,
#' keeping any strata) and adjusts the p-values for multiple comparisons.
#' With `exact = TRUE` the p-values are permutation p-values, and every pair
#' uses the same `seed` (drawn once from R's generator when `NULL`).
#'
#' @inheritParams logrank
#' @param p.adjust.method a method of [stats::p.adjust()].
#' @param ... further arguments of [logrank()]: `subset`, `na.action`, `rho`,
#'   `gamma`, `exact`, `B`, `seed`.
#' @return A data frame with one row per pair: `group1`, `group2` (the group
#'   labels, as in `names(logrank(...)$n)`), `statistic` (the chi-square),
#'   `df`, `p.value` (the permutation p-value when `exact = TRUE`),
#'   `p.adjusted` and `method`. A pair without any event gets `NA`.
#' @examples
#' pairwise_logrank(Surv(time, status) ~ celltype, data = survival::veteran)
#' pairwise_logrank(Surv(time, status) ~ celltype + strata(trt),
#'                  data = survival::veteran, p.adjust.method = "BH", rho = 1)
#' @export
pairwise_logrank <- function(formula, data, p.adjust.method = "holm", ...) {
  if (!missing(data) && is_db_table(data))
    stop("`data`: pairwise_logrank() does not run in the database (it would copy every row ",
         "into R); call logrank() on the table for each pair of groups, or collect() the rows",
         call. = FALSE)
  call <- match.call()
  env <- parent.frame()
  p.adjust.method <- match_choice(p.adjust.method, stats::p.adjust.methods, "p.adjust.method")
  allowed <- c("subset", "na.action", "rho", "gamma", "exact", "B", "seed")
  # list(...) would evaluate `subset` outside the data: look at names only.
  dots <- names(match.call(expand.dots = FALSE)$...)
  if (length(dots) && (any(dots == "") || !all(dots %in% allowed)))
    stop("`...` takes only named arguments of logrank(): ", paste(allowed, collapse = ", "),
         call. = FALSE)
  option <- function(name, default) {
    expr <- call[[name, exact = TRUE]]
    if (is.null(expr)) default else eval(expr, env)
  }
  rho <- option("rho", 0)
  gamma <- option("gamma", 0)
  exact <- option("exact", FALSE)
  B <- option("B", 10000)
  seed <- option("seed", NULL)
  check_logrank_options(rho, gamma, exact, B, seed)
  setup <- logrank_setup(call, env)
  if (exact && is.null(seed)) seed <- draw_seed()

  levs <- levels(setup$groups)
  pairs <- utils::combn(length(levs), 2L)
  k <- ncol(pairs)
  statistic <- p_value <- rep(NA_real_, k)
  df <- rep(NA_integer_, k)
  for (j in seq_len(k)) {
    rows <- which(as.integer(setup$groups) %in% pairs[, j])
    if (!any(setup$status[rows] == 1L)) next
    stratum <- if (!is.null(setup$stratum)) setup$stratum[rows]
    fit <- logrank_compute(setup$time[rows], setup$status[rows], droplevels(setup$groups[rows]),
                           stratum, rho, gamma, exact, B, seed)
    statistic[j] <- fit$chisq
    df[j] <- fit$df
    p_value[j] <- if (exact) fit$permutation$p.value else fit$pvalue
  }
  data.frame(group1 = levs[pairs[1L, ]], group2 = levs[pairs[2L, ]],
             statistic = statistic, df = df, p.value = p_value,
             p.adjusted = stats::p.adjust(p_value, method = p.adjust.method),
             method = logrank_method(rho, gamma, exact), stringsAsFactors = FALSE)
}

# ---- internals ---------------------------------------------------------------

check_logrank_options <- function(rho, gamma, exact, B, seed) {
  check_exponent <- function(x, arg) {
    if (!is.numeric(x) || length(x) != 1L || !is.finite(x) || x < 0)
      stop("`", arg, "` must be a single non-negative number, not ", deparse1(x), call. = FALSE)
  }
  check_exponent(rho, "rho")
  check_exponent(gamma, "gamma")
  if (!is.logical(exact) || length(exact) != 1L || is.na(exact))
    stop("`exact` must be TRUE or FALSE", call. = FALSE)
  if (!is.numeric(B) || length(B) != 1L || !is.finite(B) || B < 1 || B != round(B) || B > 2^52)
    stop("`B` must be a whole number >= 1, not ", deparse1(B), call. = FALSE)
  if (!is.null(seed) && (!is.numeric(seed) || length(seed) != 1L || !is.finite(seed) ||
                         seed != round(seed) || abs(seed) > 2^53))
    stop("`seed` must be NULL or a single whole number, not ", deparse1(seed), call. = FALSE)
  invisible(TRUE)
}

draw_seed <- function() as.double(sample.int(.Machine$integer.max, 1L))

# The columns a test needs, from the user's call: time (fuzz-tied as
# survdiff ties it), status, the group factor, 0-based stratum codes or NULL,
# strata.keep (survdiff's strata variable) and the group variables' values.
logrank_setup <- function(call, env) {
  fr <- survival_frame(call, env, specials = "strata", counting = FALSE)
  terms <- fr$terms
  if (!is.null(attr(terms, "offset")))
    stop("`formula`: offset() terms (one-sample tests) are not supported", call. = FALSE)
  strata_vars <- if (length(attr(terms, "specials")$strata))
    survival::untangle.specials(terms, "strata", 1)$vars
  group_vars <- setdiff(attr(terms, "term.labels"), strata_vars)
  if (!length(group_vars))
    stop("`formula`: no groups to compare; put the grouping variable on the right, ",
         "e.g. Surv(time, status) ~ group", call. = FALSE)
  grouping <- group_factor(fr$mf, terms, group_vars)
  groups <- grouping$groups
  if (nlevels(groups) < 2L)
    stop("`formula`: there is only one group (", levels(groups)[1L], "); ",
         "a log-rank test compares two or more groups", call. = FALSE)
  # max() rather than any(status == 1L): no million-row temporary (the
  # status is 0/1 here, survival_frame() checked it)
  if (max(fr$status) < 1L)
    stop("`formula`: there are no events (every status is censored); ",
         "a log-rank test needs at least one event", call. = FALSE)

  strata_keep <- stratum <- NULL
  if (length(strata_vars)) {
    strata_keep <- if (length(strata_vars) == 1L) fr$mf[[strata_vars]]
                   else survival::strata(fr$mf[, strata_vars], shortlabel = TRUE)
    stratum <- as.integer(strata_factor(fr$mf, strata_vars)) - 1L
  }

  group_data <- grouping$data
  if (is.null(group_data)) {
    first <- match(seq_len(nlevels(groups)), as.integer(groups))
    group_data <- lapply(fr$mf[first, group_vars, drop = FALSE], as.character)
  }
  group_data <- as.data.frame(group_data, stringsAsFactors = FALSE, optional = TRUE)
  row.names(group_data) <- NULL

  list(time = fr$time, status = fr$status, groups = groups, stratum = stratum,
       strata_keep = strata_keep, na_action = fr$na_action, group_data = group_data)
}

# survdiff's groups, strata(mf[group_vars]): one level per combination
# present, labelled "sex=1" or "celltype=large, trt=2". strata() turns its
# codes back into a factor through character, slow at a million rows, so one
# variable takes a direct route to the same levels. Returns list(groups,
# data): data, the group variable's value per level (as.character of its
# first row, i.e. the level's own label) on the direct route, else NULL.
group_factor <- function(mf, terms, group_vars) {
  orders <- attr(terms, "order")[match(group_vars, attr(terms, "term.labels"))]
  x <- if (length(group_vars) == 1L && all(orders == 1L)) mf[[group_vars]]
  if (is.null(x) || !is.atomic(x) || !is.null(dim(x)))
    return(list(groups = droplevels(rhs_strata(mf, terms, drop_specials = "strata")),
                data = NULL))
  if (is.factor(x)) {
    if (any(tabulate(x, nlevels(x)) == 0L)) x <- factor(x)
    code <- as.integer(x)
    lev <- levels(x)
  } else {
    g <- group_codes(x)
    if (is.null(g)) {
      x <- factor(x)
      code <- as.integer(x)
      lev <- levels(x)
    } else {
      code <- g$code
      lev <- g$levels
    }
  }
  # the labels set directly: `levels<-` would match() a million strings
  # (the labels share one prefix, so they stay distinct)
  groups <- structure(code, levels = paste(group_vars, lev, sep = "="), class = "factor")
  list(groups = check_groups_complete(groups, mf, group_vars),
       data = stats::setNames(list(lev), group_vars))
}

# A table of group sizes like table(groups), without table()'s factor().
group_table <- function(groups) {
  structure(tabulate(groups, nlevels(groups)), dim = nlevels(groups),
            dimnames = list(groups = levels(groups)), class = "table")
}

# The test on plain columns: groups a factor without empty levels, stratum
# 0-based codes or NULL. Times are fuzz-tied (survdiff's timefix, the rule of
# time_fix()) by the core, on the distinct times of these rows, so that a
# subset (pairwise tests) is tied as survdiff would tie it.
logrank_compute <- function(time, status, groups, stratum, rho, gamma, exact, B, seed) {
  tol <- sqrt(.Machine$double.eps)
  group_code <- as.integer(groups) - 1L
  n_group <- nlevels(groups)
  n_stratum <- 1L
  if (!is.null(stratum)) {
    stratum <- match(stratum, sort(unique(stratum))) - 1L
    n_stratum <- max(stratum) + 1L
  }
  fit <- .Call(ffi_logrank_test, time, status, group_code, stratum, n_group, n_stratum,
               as.double(rho), as.double(gamma), tol)
  if (n_stratum == 1L) {
    fit$obs <- as.vector(fit$obs)
    fit$exp <- as.vector(fit$exp)
  }
  fit$pvalue <- stats::pchisq(fit$chisq, fit$df, lower.tail = FALSE)
  if (exact) {
    progress <- NULL
    if (interactive() && isTRUE(getOption("netsurv.progress", TRUE)) &&
        as.double(B) * length(time) >= 2e7) {
      bar <- utils::txtProgressBar(style = 3)
      on.exit(close(bar), add = TRUE)
      progress <- function(fraction) utils::setTxtProgressBar(bar, fraction)
    }
    perm <- .Call(ffi_logrank_permutation, time, status, group_code, stratum, n_group,
                  n_stratum, as.double(rho), as.double(gamma), tol, as.double(B),
                  as.double(seed), progress)
    fit$permutation <- list(p.value = perm$p.value, std.error = perm$std.error, n = perm$n,
                            enumerated = perm$enumerated, B = B, seed = seed)
  }
  fit
}

logrank_method <- function(rho, gamma, exact) {
  test <- if (rho == 0 && gamma == 0) "Log-rank"
          else paste0("Fleming-Harrington (rho = ", format(rho), ", gamma = ", format(gamma), ")")
  paste0(test, if (exact) " permutation test" else " test")
}

# Per-group totals over strata.
logrank_totals <- function(x) {
  if (is.matrix(x)) rowSums(x) else x
}

# ---- methods -----------------------------------------------------------------

#' @export
print.netsurv_logrank <- function(x, digits = max(getOption("digits") - 4L, 3L), ...) {
  check_unused("print() of a logrank() test", ...)
  old <- options(digits = digits)
  on.exit(options(old))
  print_call(x$call)
  if (length(x$na.action))
    cat("n=", sum(x$n), ", ", stats::naprint(x$na.action), ".\n\n", sep = "")
  if (x$rho != 0 || x$gamma != 0)
    cat("Fleming-Harrington weights S(t-)^rho (1 - S(t-))^gamma, rho = ", format(x$rho),
        ", gamma = ", format(x$gamma), "\n\n", sep = "")
  o <- logrank_totals(x$obs)
  e <- logrank_totals(x$exp)
  tab <- cbind(x$n, o, e, (o - e)^2 / e, (o - e)^2 / diag(x$var))
  dimnames(tab) <- list(names(x$n), c("N", "Observed", "Expected", "(O-E)^2/E", "(O-E)^2/V"))
  print(tab)
  cat("\n Chisq=", format(round(x$chisq, 1)), " on", x$df, "degrees of freedom, p=",
      format.pval(x$pvalue), "\n")
  if (!is.null(p <- x$permutation)) {
    how <- if (p$enumerated) paste0("exact, all ", format(p$n), " arrangements")
           else paste0(format(p$n), " random permutations, Monte Carlo SE ",
                       format(p$std.error, digits = 2), ", seed ", format(p$seed, scientific = FALSE))
    cat(" Permutation p=", format.pval(p$p.value, digits = 3L), paste0("(", how, ")"), "\n")
  }
  invisible(x)
}

#' Tidy and glance methods for log-rank tests
#'
#' The columns of broom's methods for `survdiff` objects: `tidy()` gives one
#' row per group, with the values of the grouping variables, `N`, `obs` and
#' `exp` (summed over strata); `glance()` gives `statistic`, `df` and
#' `p.value`, plus `p.value.permutation`, `std.error.permutation` and
#' `n.permutations` for a test run with `exact = TRUE`.
#'
#' @param x a [logrank()] result.
#' @param ... not used.
#' @return A data frame.
#' @examples
#' fit <- logrank(Surv(time, status) ~ sex + strata(ph.ecog), data = survival::lung)
#' tidy(fit)
#' glance(fit)
#' @name logrank_tidiers
NULL

#' @rdname logrank_tidiers
#' @export
tidy.netsurv_logrank <- function(x, ...) {
  check_unused("tidy() of a logrank() test", ...)
  gvars <- x$group_data
  if (is.null(gvars)) {
    # survdiff-style labels "a=1, b=2" when the values were not kept
    parts <- lapply(strsplit(names(x$n), ", "), strsplit, "=")
    gvars <- do.call(rbind, lapply(parts, function(p)
      stats::setNames(as.data.frame(lapply(p, `[`, 2L), stringsAsFactors = FALSE),
                      vapply(p, `[`, "", 1L))))
  }
  out <- data.frame(N = as.numeric(x$n), obs = unname(logrank_totals(x$obs)),
                    exp = unname(logrank_totals(x$exp)))
  out <- cbind(gvars, out)
  row.names(out) <- NULL
  out
}

#' @rdname logrank_tidiers
#' @export
glance.netsurv_logrank <- function(x, ...) {
  check_unused("glance() of a logrank() test", ...)
  out <- data.frame(statistic = x$chisq, df = x$df, p.value = x$pvalue)
  if (!is.null(p <- x$permutation)) {
    out$p.value.permutation <- p$p.value
    out$std.error.permutation <- p$std.error
    out$n.permutations <- p$n
  }
  out
}
