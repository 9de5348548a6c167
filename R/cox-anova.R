# cox-anova.R -- likelihood-ratio tables of cox() fits (survival's
# anova.coxph).

# ---- likelihood-ratio tables ------------------------------------------------

#' Analysis of deviance for Cox models
#'
#' As [survival::anova.coxph()]: with one fit, the sequential
#' likelihood-ratio tests of adding each term in turn (the smaller models
#' are refitted with [cox()]); with several nested fits on the same rows,
#' the likelihood-ratio test between consecutive fits. As in survival, a fit
#' with the robust variance (a cluster, `id` with repeated events,
#' `robust = TRUE`, or non-integer weights) is refused: its rows are not
#' independent, which the likelihood-ratio test assumes.
#' @param object a fit from [cox()].
#' @param ... further fits from [cox()].
#' @param test only `"Chisq"` is available.
#' @section Differences from survival:
#' * Only likelihood-ratio (`"Chisq"`) tests; models fitted with `firth =
#'   TRUE` compare penalised likelihoods.
#' @return A data frame of class `c("anova", "data.frame")` with
#'   `loglik`, `Chisq`, `Df`, `Pr(>|Chi|)`.
#' @examples
#' lung <- na.omit(survival::lung[, c("time", "status", "age", "sex", "ph.ecog")])
#' fit1 <- cox(Surv(time, status) ~ age, data = lung)
#' fit2 <- cox(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
#' anova(fit1, fit2)
#' anova(fit2)
#' @export
anova.netsurv_cox <- function(object, ..., test = "Chisq") {
  if (!identical(test, "Chisq")) stop("`test`: only \"Chisq\" is available", call. = FALSE)
  dots <- list(...)
  named <- names(dots)
  if (!is.null(named) && any(nzchar(named)))
    stop("anova() of cox() fits: ", paste0("`", named[nzchar(named)], "`", collapse = ", "),
         " not used by netsurv and would be ignored; give further fits unnamed",
         call. = FALSE)
  fits <- c(list(object), dots)
  if (!all(vapply(fits, inherits, TRUE, "netsurv_cox")))
    stop("every model given to anova() must be a fit from cox()", call. = FALSE)
  robust <- which(vapply(fits, function(f) isTRUE(f$robust), TRUE))
  if (length(robust))
    stop("anova(): ", if (length(fits) > 1L) paste0("model ", robust[1L], " uses") else "the fit uses",
         " the robust variance (a cluster, `id` with repeated events, `robust = TRUE` or ",
         "non-integer weights); likelihood-ratio tests assume independent rows, so anova() ",
         "does not form them (nor does survival's); use the robust Wald tests of summary(), ",
         "or refit with robust = FALSE", call. = FALSE)
  if (length(fits) > 1L) {
    ns <- vapply(fits, function(f) f$n, 1)
    if (any(ns != ns[1L]))
      stop("the models were not all fitted to the same number of rows (",
           paste(ns, collapse = ", "), ")", call. = FALSE)
    ll <- vapply(fits, function(f) f$loglik[2L], 1)
    dfs <- vapply(fits, cox_df, 1)
    chisq <- c(NA, abs(2 * diff(ll)))
    ddf <- c(NA, abs(diff(dfs)))
    tab <- data.frame(loglik = ll, Chisq = chisq, Df = ddf,
                      `Pr(>|Chi|)` = stats::pchisq(chisq, ddf, lower.tail = FALSE),
                      check.names = FALSE)
    forms <- vapply(fits, function(f) paste(deparse(stats::formula(f$terms)[[3L]]),
                                            collapse = " "), "")
    row.names(tab) <- seq_along(fits)
    title <- paste0("Analysis of Deviance Table\n Cox model: response is ",
                    deparse(object$terms[[2L]]), "\n",
                    paste0(" Model ", seq_along(fits), ": ~ ", forms, collapse = "\n"))
    return(structure(tab, heading = title, class = c("netsurv_anova", "anova", "data.frame")))
  }
  # Sequential: refit with the first k terms (the strata, cluster and offset
  # specials stay in every model), on the same rows.
  terms <- object$terms
  specials <- unlist(attr(terms, "specials")[c("strata", "cluster")])
  labels <- attr(terms, "term.labels")
  sp_terms <- c(survival::untangle.specials(terms, "strata", 1)$terms,
                survival::untangle.specials(terms, "cluster", 1)$terms)
  main <- setdiff(seq_along(labels), sp_terms)
  if (!length(main)) stop("`object` has no terms to test", call. = FALSE)
  d <- cox_model_data(object)
  fr <- if (!is.null(d$frame)) d$frame else cox_model_frame(object)
  mf <- fr$mf
  X <- d$x
  asgn <- object$assign
  ties <- object$method
  ll <- double(length(main) + 1L)
  dfs <- integer(length(main) + 1L)
  strat <- d$stratum
  offset <- object$offset
  # the fit's own control settings, when its call gave them
  control <- if (!is.null(object$call$control))
    tryCatch(eval(object$call$control, environment(object$terms)), error = function(e) NULL)
  if (!inherits(control, "netsurv_cox_control")) control <- cox_control()
  fit_k <- function(cols) {
    core <- cox_core(X = X[, cols, drop = FALSE], time = d$time, start = d$start,
                     status = d$status, weights = d$weights, offset = offset, stratum = strat,
                     center = as.integer(rep(1L, length(cols))), cluster = NULL,
                     n_cluster = 0L, ties = ties, init = NULL, control = control,
                     robust = FALSE, firth = FALSE)
    c(core$loglik[2L], sum(!is.nan(core$coefficients)))
  }
  ll[1L] <- object$loglik[1L]
  lab_main <- labels[main]
  for (k in seq_along(main)) {
    cols <- unlist(asgn[names(asgn) %in% lab_main[seq_len(k)]])
    if (k == length(main)) {
      ll[k + 1L] <- object$loglik[2L]
      dfs[k + 1L] <- cox_df(object)
    } else {
      r <- fit_k(cols)
      ll[k + 1L] <- r[1L]
      dfs[k + 1L] <- r[2L]
    }
  }
  chisq <- c(NA, 2 * diff(ll))
  ddf <- c(NA, diff(dfs))
  tab <- data.frame(loglik = ll, Chisq = chisq, Df = ddf,
                    `Pr(>|Chi|)` = stats::pchisq(chisq, ddf, lower.tail = FALSE),
                    check.names = FALSE)
  row.names(tab) <- c("NULL", lab_main)
  title <- paste0("Analysis of Deviance Table\n Cox model: response is ",
                  deparse(terms[[2L]]), "\nTerms added sequentially (first to last)\n")
  structure(tab, heading = title, class = c("netsurv_anova", "anova", "data.frame"))
}
