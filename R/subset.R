# subset.R -- survival's indexing idioms for netsurv objects: `[` and dim()
# of survival curves (by stratum, and by covariate profile for cox_curve()
# results), and `[` of cox_zph() results (by term), so that code such as
# fit["sex=2"], fit[1:2], dim(fit) or plot(zp[2]) ports from survival.
# length() and names() are those of the list, as for survfit objects.

#' Select strata of a survival curve, or terms of a cox_zph test
#'
#' `fit[i]` keeps the strata `i` of a curve from [km()] (by position, by
#' label such as `"sex=2"`, or logical); `fit[i, j]` also keeps the covariate
#' profiles `j` of a curve from [cox_curve()] (for a curve without strata,
#' `fit[j]` selects profiles). As in survival, selecting a single stratum with
#' `drop = TRUE` (the default) returns a curve without strata. `dim()` is
#' `c(strata = k)` for k strata and adds `data = m` for m covariate profiles
#' (`NULL` for a single curve), as `dim()` of a survfit object. `length()` and
#' `names()` are those of the underlying list (its fields), as for survfit.
#'
#' `zp[i]` keeps the terms `i` of a [cox_zph()] test (position or name), with
#' their rows of the table, columns of the scaled residuals and block of the
#' variance, so that `plot(zp[2])` draws the second term, as in survival.
#'
#' @param x A survival curve, or a `cox_zph()` result.
#' @param i,j Strata and (for model-based curves) covariate profiles; terms
#'   for `cox_zph()` results.
#' @param drop Drop the strata of a curve reduced to one stratum.
#' @param ... Nothing: further indices are an error.
#' @return An object of the same class.
#' @examples
#' fit <- km(Surv(time, status) ~ sex, data = survival::lung)
#' dim(fit)
#' fit["sex=2"]
#' zp <- cox_zph(cox(Surv(time, status) ~ age + sex, data = survival::lung))
#' zp[2]
#' @name subset_netsurv
NULL

#' @rdname subset_netsurv
#' @export
dim.netsurv_curve <- function(x) {
  d <- c(strata = if (!is.null(x$strata)) length(x$strata),
         data = if (is.matrix(x$surv)) ncol(x$surv))
  if (!length(d)) NULL else d
}

#' @rdname subset_netsurv
#' @export
`[.netsurv_curve` <- function(x, i, j, ..., drop = TRUE) {
  check_unused("`[` of a survival curve", ...)
  cls <- class(x)
  x <- unclass(x)
  profiles <- is.matrix(x$surv)
  if (!missing(i) && missing(j) && is.null(x$strata) && profiles && (nargs() - (!missing(drop))) == 2L) {
    j <- i                                  # fit[j]: a curve without strata
    i <- quote(expr = )
  }
  if (!missing(i) && missing(j) && profiles && !is.null(x$strata) &&
      (nargs() - (!missing(drop))) == 2L)
    stop("`i`: this curve has strata and covariate profiles; index it as fit[strata, profiles] ",
         "(survival's single linear index is not supported)", call. = FALSE)
  rows <- seq_along(x$time)
  if (!missing(i)) {
    if (is.null(x$strata)) {
      if (!all(i %in% c(1, TRUE))) stop("`i`: the curve has no strata; only fit[1] exists", call. = FALSE)
    } else {
      k <- length(x$strata)
      pos <- seq_len(k)
      names(pos) <- names(x$strata)
      idx <- if (is.character(i)) pos[i] else pos[i]
      if (anyNA(idx) || !length(idx))
        stop("`i`: stratum ", paste0("\"", i[is.na(idx)], "\"", collapse = ", "),
             " not found; the strata are ", paste0("\"", names(x$strata), "\"", collapse = ", "),
             call. = FALSE)
      per <- split(rows, factor(rep.int(pos, x$strata), levels = pos))
      rows <- unlist(per[idx], use.names = FALSE)
      n <- if (length(x$n) == k) x$n[idx] else x$n
      strata <- x$strata[idx]
      x$n <- n
      x$strata <- if (length(idx) == 1L && drop) NULL else strata
    }
  }
  cols <- NULL
  if (!missing(j)) {
    if (!profiles) stop("`j`: a km() curve has one column; select strata with fit[i]", call. = FALSE)
    cols <- seq_len(ncol(x$surv))
    names(cols) <- colnames(x$surv)
    cols <- cols[j]
    if (anyNA(cols)) stop("`j`: no such covariate profile", call. = FALSE)
  }
  for (f in c(curve_row_fields, "n.enter")) {
    v <- x[[f]]
    if (is.null(v)) next
    x[[f]] <- if (is.matrix(v)) {
      m <- v[rows, if (is.null(cols)) seq_len(ncol(v)) else cols, drop = FALSE]
      if (ncol(m) == 1L && drop && !is.null(cols)) m[, 1L] else m
    } else v[rows]
  }
  if (!is.null(cols) && is.data.frame(x$newdata)) x$newdata <- x$newdata[cols, , drop = FALSE]
  structure(x, class = cls)
}

#' @rdname subset_netsurv
#' @export
`[.netsurv_zph` <- function(x, i, ..., drop = FALSE) {
  check_unused("`[` of a cox_zph() test", ...)
  terms <- colnames(x$y)
  pos <- seq_along(terms)
  names(pos) <- terms
  idx <- pos[i]
  if (anyNA(idx) || !length(idx))
    stop("`i`: no such term; the terms are ", paste0("\"", terms, "\"", collapse = ", "),
         call. = FALSE)
  z <- unclass(x)
  y <- z$y[, idx, drop = FALSE]
  keep <- rep(TRUE, nrow(y))
  if (!is.null(z$strata)) keep <- !apply(is.na(y), 1L, all)
  z$table <- z$table[idx, , drop = FALSE]
  z$x <- z$x[keep]
  z$time <- z$time[keep]
  if (!is.null(z$strata)) z$strata <- z$strata[keep]
  z$y <- y[keep, , drop = FALSE]
  z$var <- z$var[idx, idx, drop = FALSE]
  structure(z, class = class(x))
}
