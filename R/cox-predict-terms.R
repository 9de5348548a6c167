# cox-predict-terms.R -- predict(fit, type = "terms"): each term's
# contribution to the linear predictor, as predict.coxph computes it: the
# design columns of the term (centred at the fit's means for reference =
# "sample", at the means of the row's stratum for "strata", uncentred for
# "zero") times their coefficients, with standard
# errors sqrt(diag(X_t V_t X_t')), and attribute "constant" =
# sum(coef * means).

cox_predict_terms <- function(object, newdata, se.fit, reference, terms, collapse) {
  reference <- match_choice(reference, c("strata", "sample", "zero"), "reference")
  if (!is.logical(se.fit) || length(se.fit) != 1L || is.na(se.fit))
    stop("`se.fit` must be TRUE or FALSE", call. = FALSE)
  has_strata <- length(attr(object$terms, "specials")$strata) > 0
  # as predict.coxph: without strata, "strata" centres at the overall means
  if (reference == "strata" && !has_strata) reference <- "sample"
  asgn <- object$assign
  if (is.numeric(terms)) {
    if (any(terms != floor(terms) | terms < 1 | terms > length(asgn)))
      stop("`terms`: positions must lie in 1..", length(asgn), call. = FALSE)
    terms <- names(asgn)[terms]
  }
  bad <- setdiff(terms, names(asgn))
  if (length(bad))
    stop("`terms`: \"", bad[1L], "\" is not a term of the model; the terms are ",
         paste0("\"", names(asgn), "\"", collapse = ", "), call. = FALSE)
  coef <- object$coefficients
  d <- if (reference == "strata") cox_model_data(object)
  if (is.null(newdata)) {
    X <- model.matrix.netsurv_cox(object)
    rows <- names(object$residuals)
    st <- if (!is.null(d)) as.integer(d$strata)
  } else {
    mf2 <- cox_new_frame(object, newdata)
    X <- cox_x_from_frame(object, mf2, attr(mf2, "terms"))
    rows <- row.names(mf2)
    if (!is.null(d)) {
      st <- cox_new_strata(object, mf2, levels(d$strata))
      if (is.null(st))
        stop("`newdata` lacks the strata variable(s) of the model, which reference = ",
             "\"strata\" needs: ",
             paste(survival::untangle.specials(object$terms, "strata", 1)$vars, collapse = ", "),
             call. = FALSE)
    }
  }
  X <- unclass(X)[, names(coef), drop = FALSE]
  if (reference == "strata") {
    X <- X - cox_strata_means(d, st)
  } else if (reference == "sample") {
    means <- ifelse(is.na(object$means), 0, object$means)
    X <- X - rep(means, each = nrow(X))
  }
  V <- as.matrix(object$var)
  pred <- matrix(NA_real_, nrow(X), length(asgn), dimnames = list(rows, names(asgn)))
  se <- if (se.fit) pred
  for (i in seq_along(asgn)) {
    cols <- asgn[[i]]
    cols <- cols[!is.na(coef[cols])]
    xt <- X[, cols, drop = FALSE]
    pred[, i] <- xt %*% coef[cols]
    if (se.fit) se[, i] <- sqrt(rowSums((xt %*% V[cols, cols, drop = FALSE]) * xt))
  }
  pred <- pred[, terms, drop = FALSE]
  if (se.fit) se <- se[, terms, drop = FALSE]
  if (is.null(newdata) && !is.null(object$na.action)) {
    pred <- stats::napredict(object$na.action, pred)
    if (se.fit) se <- stats::napredict(object$na.action, se)
  }
  if (!is.null(collapse)) {
    if (length(collapse) != nrow(pred))
      stop("`collapse` must have one value per prediction (", nrow(pred), ")", call. = FALSE)
    pred <- rowsum(pred, collapse)
    if (se.fit) se <- sqrt(rowsum(se^2, collapse))
  }
  attr(pred, "constant") <- sum(coef * object$means, na.rm = TRUE)
  if (se.fit) list(fit = pred, se.fit = se) else pred
}
