# group.R -- grouping columns -> integer codes and level labels, exactly as
# factor() and survival::strata() make them, from one hashing pass in C
# (ns_rank_distinct) instead of factor()'s as.character() of every row, which
# at a million rows took half of km()'s time.
#
# Every function returns NULL for input it does not handle the fast way
# (missing values, character or classed columns other than factors, matrices,
# non-finite numbers); callers then fall back to factor() / strata(), so the
# result and the error messages are always theirs.

# factor(x)'s codes (1-based) and levels, or a factor's own; NULL when x is
# not a plain logical / integer / double vector or factor without NA.
group_codes <- function(x) {
  if (!is.atomic(x) || !is.null(dim(x)) || !length(x) || anyNA(x)) return(NULL)
  if (is.factor(x)) return(list(code = as.vector(unclass(x)), levels = levels(x), dense = FALSE))
  if (!is.null(oldClass(x)) || !(is.numeric(x) || is.logical(x))) return(NULL)
  if (is.double(x) && !all(is.finite(range(x)))) return(NULL)
  if (is.integer(x)) {
    # Integer codes spanning at most length(x) values (1:2, 0:1, ...): the
    # levels are the values present, in order, found by one tabulation;
    # no double copy, no hash pass, and the column itself is the code when
    # its values are 1..L without gaps.
    lo <- min(x)
    span <- as.double(max(x)) - lo + 1
    if (lo > -.Machine$integer.max %/% 2L && span <= length(x)) {
      shifted <- if (lo == 1L) x else x - (lo - 1L)
      present <- tabulate(shifted, span) > 0L
      code <- if (all(present)) shifted else cumsum(present)[shifted]
      return(list(code = code, levels = as.character(which(present) + (lo - 1L)),
                  dense = TRUE))
    }
  }
  r <- .Call(ffi_rank_distinct, as.double(x), NULL)
  # factor(): levels <- unique(as.character(sort(unique(x)))), codes by
  # match(as.character(x), levels); values that print alike share a level.
  label <- as.character(x[r[[2L]]])
  levels <- unique(label)
  code <- if (length(levels) == length(label)) r[[1L]] else match(label, levels)[r[[1L]]]
  list(code = code, levels = levels, dense = TRUE)
}

# survival::strata(columns, shortlabel = shortlabel) for a named list of
# columns: one level per combination present, in strata()'s order, labelled
# "name=level, name=level" (or "level, level" with shortlabel). NULL when a
# column is not handled (see group_codes) or labels collide.
group_strata <- function(columns, shortlabel = FALSE, sep = ", ") {
  groups <- lapply(columns, group_codes)
  if (!length(groups) || any(vapply(groups, is.null, logical(1)))) return(NULL)
  names <- names(columns)
  g <- groups[[1L]]
  labels <- if (shortlabel) g$levels else paste(names[1L], g$levels, sep = "=")
  if (length(groups) == 1L) {
    code <- g$code
    if (!g$dense) {
      # a factor: its unused levels go, the others keep their order
      used <- which(tabulate(code, length(labels)) > 0L)
      if (length(used) < length(labels)) {
        map <- integer(length(labels))
        map[used] <- seq_along(used)
        code <- map[code]
        labels <- labels[used]
      }
    }
  } else {
    combined <- g$code - 1
    for (i in seq_along(groups)[-1L]) {
      g <- groups[[i]]
      wlab <- if (shortlabel) g$levels else format(paste(names[i], g$levels, sep = "="))
      combined <- (g$code - 1) + combined * length(wlab)
      labels <- paste(rep(labels, rep(length(wlab), length(labels))),
                      rep(wlab, length(labels)), sep = sep)
    }
    r <- .Call(ffi_rank_distinct, combined, NULL)
    code <- r[[1L]]
    labels <- labels[combined[r[[2L]]] + 1]
  }
  if (anyDuplicated(labels)) return(NULL)
  structure(code, levels = labels, class = "factor")
}

# The strata of a fit, as droplevels(as.factor(x)) of the one strata()
# variable, or of survival::strata(mf[, vars], shortlabel = TRUE) for several.
strata_factor <- function(mf, vars) {
  columns <- stats::setNames(lapply(vars, function(v) mf[[v]]), vars)
  fast <- group_strata(columns, shortlabel = TRUE)
  if (!is.null(fast)) return(fast)
  x <- if (length(vars) == 1L) mf[[vars]] else survival::strata(mf[, vars], shortlabel = TRUE)
  check_groups_complete(droplevels(as.factor(x)), mf, vars)
}
