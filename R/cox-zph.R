# cox-zph.R -- the test of proportional hazards of a fitted cox() model
# (survival's cox.zph), with its print and plot methods.

# ---- proportional hazards test ----------------------------------------------

# Kaplan-Meier of all rows (no weights, no strata), as cox.zph's "km"
# transform uses, from the C core (times already fixed by the fit, so no
# time fix here): 1 - the survival just before each row's time.
km_transform <- function(time, start, status) {
  fit <- .Call(ffi_km_fit, as.double(time), as.integer(status),
               if (!is.null(start)) as.double(start), NULL, NULL, 1L, FALSE, 0)
  1 - c(1, fit$surv)[findInterval(time, fit$time, left.open = TRUE) + 1L]
}

#' Test the proportional-hazards assumption of a Cox model
#'
#' The score test of [survival::cox.zph()] (its version 3): for each term,
#' and globally, the test that the coefficient does not change with a
#' transform of time, i.e. that the term's interaction with g(t) adds
#' nothing, evaluated at the fitted coefficients. Also returns the scaled
#' Schoenfeld residuals for plotting.
#' @param fit a fit from [cox()].
#' @param transform the time transform g: `"km"` (1 - the Kaplan-Meier
#'   estimate), `"rank"`, `"identity"`, `"log"`, or a function that takes
#'   the vector of (stop) times of all rows and returns g at each, as
#'   cox.zph accepts (e.g. `function(t) sqrt(t)`); it must return one
#'   number per row, finite at the event times.
#' @param terms `TRUE`: one test per model term (a factor's columns
#'   together); `FALSE`: one per coefficient.
#' @param global add the global test.
#' @return An object of class `netsurv_zph` with `table` (chisq, df, p per
#'   term and GLOBAL), `x` (transformed event times), `time`, `y` (scaled
#'   Schoenfeld residuals), `var`, `transform`, `strata` and `call`.
#' @references Grambsch PM, Therneau TM (1994). Proportional hazards tests
#'   and diagnostics based on weighted residuals. Biometrika 81.
#' @section Differences from survival:
#' * `singledf` is not an argument (an error names it).
#' * The result supports `[` by term (`zp[2]`, `zp["sex"]`; survival's fails
#'   on names) and `print()` as cox.zph's.
#' @examples
#' fit <- cox(Surv(time, status) ~ age + sex, data = survival::lung)
#' zp <- cox_zph(fit)
#' zp
#' plot(zp, resid = FALSE)
#' @export
cox_zph <- function(fit, transform = c("km", "rank", "identity", "log"), terms = TRUE,
                    global = TRUE) {
  if (!inherits(fit, "netsurv_cox")) stop("`fit` must be a fit from cox()", call. = FALSE)
  call <- match.call()
  if (is.function(transform)) {
    gfun <- transform
    tname <- deparse(substitute(transform))
    if (length(tname) > 1L) tname <- "user"
  } else {
    gfun <- NULL
    transform <- match_choice(transform, c("km", "rank", "identity", "log"), "transform")
    tname <- transform
  }
  d <- cox_model_data(fit)
  coef <- fit$coefficients
  nvar <- length(coef)
  if (nvar == 0L) stop("`fit` has no coefficients to test", call. = FALSE)
  asgn <- if (terms) fit$assign else stats::setNames(as.list(seq_len(nvar)), names(coef))
  keep <- !is.na(coef)
  X <- d$x
  if (!all(keep)) {
    new <- unname(unlist(asgn))[keep]
    asgn <- lapply(asgn, function(a) { i <- match(a, new, nomatch = 0L); i[i > 0L] })
    asgn <- asgn[lengths(asgn) > 0L]
    X <- X[, keep, drop = FALSE]
    coef <- coef[keep]
    nvar <- sum(keep)
  }
  d$x <- X
  times <- d$time
  event <- d$status == 1L
  ttimes <- if (!is.null(gfun)) zph_user_transform(gfun, times, event, tname)
            else switch(transform, identity = times, rank = rank(times), log = log(times),
                        km = km_transform(times, d$start, d$status))
  gtime <- ttimes - mean(ttimes[event])
  # g(t) is used at event times only; a censored time 0 under transform =
  # "log" would otherwise pass a -Inf that is never used (censored rows at
  # an event time keep their value: the core may read any row at that time)
  gtime[!event & !is.finite(gtime)] <- 0
  nstrat <- if (is.null(d$strata)) 1L else nlevels(d$strata)
  res <- cox_call_core(ffi_cox_zph, d, as.double(gtime), as.integer(nstrat))
  nterm <- length(asgn)
  test <- double(nterm + 1L)
  df <- rep(1L, nterm + 1L)
  imatr <- res$imat
  u0 <- rep(0, nvar)
  for (i in seq_len(nterm)) {
    jj <- asgn[[i]]
    kk <- c(seq_len(nvar), jj + nvar)
    u <- c(u0, res$u[jj + nvar])
    test[i] <- drop(zph_solve(imatr[kk, kk], u, tname) %*% u)
    df[i] <- length(jj)
  }
  u <- c(u0, res$u[-seq_len(nvar)])
  test[nterm + 1L] <- drop(zph_solve(imatr, u, tname) %*% u)
  df[nterm + 1L] <- nvar
  tbl <- cbind(chisq = test, df = df, p = stats::pchisq(test, df, lower.tail = FALSE))
  rownames(tbl) <- c(names(asgn), "GLOBAL")
  if (!global) tbl <- tbl[seq_len(nterm), , drop = FALSE]

  # Event order of the core: (stratum, time, input row).
  ev <- which(event)
  s0 <- if (is.null(d$stratum)) integer(length(times)) else d$stratum
  ord <- ev[order(s0[ev], times[ev])]
  sresid <- res$schoen
  if (!is.null(d$start)) {
    # cox.zph lists the events of (start, stop] data with tied times in
    # reverse row order; follow it.
    ord2 <- rev(ev[order(-s0[ev], -times[ev])])
    sresid <- sresid[match(ord2, ord), , drop = FALSE]
    ord <- ord2
  }
  used <- res$used
  for (i in asgn)
    if (length(i) > 1L && any(used[, i] == 0)) used[, i] <- apply(used[, i, drop = FALSE], 1L, max)
  wtmat <- matrix(0, nvar, nvar)
  for (i in seq_len(nrow(used))) wtmat <- wtmat + outer(used[i, ], used[i, ], pmin)
  vmean <- imatr[seq_len(nvar), seq_len(nvar), drop = FALSE] / ifelse(wtmat == 0, 1, wtmat)
  if (terms && any(lengths(asgn) > 1L)) {
    tm <- matrix(0, nvar, nterm)
    for (i in seq_len(nterm)) {
      j <- asgn[[i]]
      tm[j, i] <- if (length(j) == 1L) 1 else coef[j]
    }
    sresid <- sresid %*% tm
    vmean <- t(tm) %*% vmean %*% tm
    used <- used[, vapply(asgn, function(x) x[1L], 1L), drop = FALSE]
  }
  dimnames(sresid) <- list(signif(times[ord], 4), names(asgn))
  sgrp <- rep(seq_len(nrow(used)), apply(used, 1L, max))
  for (i in seq_len(nrow(used))) {
    k <- which(used[i, ] > 0)
    if (length(k)) {
      j <- which(sgrp == i)
      sresid[j, k] <- if (length(k) == 1L) sresid[j, k] / vmean[k, k]
                      else t(solve(vmean[k, k], t(sresid[j, k, drop = FALSE])))
      sresid[j, -k] <- NA
    }
  }
  for (i in seq_len(nterm)) {
    j <- asgn[[i]]
    sresid[, i] <- sresid[, i] + if (length(j) == 1L) coef[j] else 1
  }
  out <- list(table = tbl, x = unname(ttimes[ord]), time = unname(times[ord]))
  if (!is.null(d$strata)) out$strata <- d$strata[ord]
  out$y <- sresid
  out$var <- solve(vmean)
  out$transform <- tname
  out$call <- call
  class(out) <- "netsurv_zph"
  out
}

# solve() with a message saying what is singular (cox.zph stops with
# solve()'s own message).
zph_solve <- function(a, b, tname) {
  tryCatch(solve(a, b), error = function(e)
    stop("`transform`: the information matrix of the test is numerically singular with ",
         "the time transform ", tname, "; a transform on a smaller scale, such as \"km\" ",
         "or \"rank\", avoids this", call. = FALSE))
}

# g(t) of a user's transform, checked: one finite number per row where it
# is used (the event times).
zph_user_transform <- function(g, times, event, tname) {
  out <- g(times)
  if (!is.numeric(out) || length(out) != length(times))
    stop("`transform`: the function ", tname, " must return one number per row (",
         length(times), "), not ", if (is.numeric(out)) length(out) else class(out)[1L],
         call. = FALSE)
  bad <- which(event & !is.finite(out))
  if (length(bad))
    stop("`transform`: the function ", tname, " gives ", format(out[bad[1L]]),
         " at the event time ", format(times[bad[1L]]), "; it must be finite at every event time",
         call. = FALSE)
  as.double(out)
}

#' @rdname cox_zph
#' @param x a `netsurv_zph` object.
#' @param digits significant digits.
#' @param signif.stars show significance stars (print).
#' @param ... nothing for print() (an error names it); passed to [graphics::plot()].
#' @export
print.netsurv_zph <- function(x, digits = max(options()$digits - 4, 3),
                              signif.stars = FALSE, ...) {
  check_unused("print() of a cox_zph() test", ...)
  # print.cox.zph's layout: printCoefmat at `digits` significant digits.
  stats::printCoefmat(x$table, digits = digits, signif.stars = signif.stars,
                      P.values = TRUE, has.Pvalue = TRUE)
  invisible(x)
}

#' @rdname cox_zph
#' @param resid draw the residuals as points.
#' @param se draw the confidence band of the smooth.
#' @param df degrees of freedom of the natural-spline smooth.
#' @param nsmo number of points on which the smooth is drawn.
#' @param var which terms to plot (names or numbers); default all.
#' @export
plot.netsurv_zph <- function(x, resid = TRUE, se = TRUE, df = 4, nsmo = 40, var, ...) {
  xx <- x$x
  yy <- x$y
  nvar <- ncol(yy)
  if (missing(var)) var <- seq_len(nvar)
  else if (is.character(var)) var <- match(var, colnames(yy))
  if (anyNA(var) || any(var < 1 | var > nvar))
    stop("`var` must name or number terms of the test", call. = FALSE)
  df <- max(df)
  pred.x <- seq(from = min(xx), to = max(xx), length.out = nsmo)
  lmat <- splines::ns(c(pred.x, xx), df = df, intercept = TRUE)
  pmat <- lmat[seq_len(nsmo), , drop = FALSE]
  xmat <- lmat[-seq_len(nsmo), , drop = FALSE]
  qmat <- qr(xmat)
  if (qmat$rank < df) stop("`df`: the spline fit is singular; try a smaller df", call. = FALSE)
  z <- stats::qnorm(0.975)
  xlab <- switch(x$transform, log = "Time (log scale)", rank = "Rank of time",
                 identity = "Time", km = "1 - KM(time)", paste0(x$transform, "(time)"))
  for (i in var) {
    y <- yy[, i]
    ok <- !is.na(y)
    yhat <- drop(pmat %*% qr.coef(qmat, replace(y, !ok, 0)))
    if (se) {
      bk <- backsolve(qmat$qr[seq_len(df), seq_len(df), drop = FALSE], diag(df))
      xtx <- bk %*% t(bk)
      seval <- rowSums((pmat %*% xtx) * pmat)
      temp <- z * sqrt(x$var[i, i] * seval)
      yr <- range(yhat - temp, yhat + temp, if (resid) y[ok])
    } else {
      yr <- range(yhat, if (resid) y[ok])
    }
    graphics::plot(range(xx), yr, type = "n", xlab = xlab,
                   ylab = paste("Beta(t) for", colnames(yy)[i]), ...)
    if (resid) graphics::points(xx[ok], y[ok])
    graphics::lines(pred.x, yhat)
    if (se) {
      graphics::lines(pred.x, yhat + temp, lty = 2)
      graphics::lines(pred.x, yhat - temp, lty = 2)
    }
  }
  invisible(x)
}
