# km-options.R -- survfit's options of km() beyond the plain Kaplan-Meier
# fit that the C core computes: start.time (a conditional curve), stype /
# ctype (survival as exp(-cumulative hazard), Fleming-Harrington hazard),
# se.fit = FALSE, and the robust (infinitesimal-jackknife) variance by
# cluster or subject (id =, cluster =, cluster() terms, robust =).
#
# The counts and the Kaplan-Meier / Nelson-Aalen estimates always come from
# the core; this file recomputes what the options change, following
# survival 3.5's survfitKM (methods document "survfitkm"):
#   * ctype = 2, Fleming-Harrington: a time with d0 tied event rows of total
#     weight d and n at risk adds sum_{k=0}^{d0-1} (d/d0) / (n - k d/d0) to
#     the hazard and sum (d/d0) / (n - k d/d0)^2 to its variance;
#   * stype = 2: S = exp(-H), and the standard error of log S is that of H;
#   * robust variance: each cluster's influence on S and on H, updated at
#     each event time t_j (n_j at risk, d_j events, h_j = d_j / n_j, S_- the
#     curve just before t_j, R_c and D_c the cluster's weight at risk and
#     its event weight at t_j):
#       U_c <- U_c (1 - h_j) + (R_c h_j - D_c) S_- / n_j    (on S)
#       V_c <- V_c - (R_c h_j - D_c) / n_j                 (on H)
#     and var S(t) = sum_c U_c^2, var H(t) = sum_c V_c^2. The loop runs over
#     the event times with vectors over the clusters: O(event times x
#     clusters), against the core's O(n) for one cluster per row.
#   * with id = and (start, stop] data, a row followed by the same subject's
#     next interval is not a censoring (survfit's "position" flags), and
#     only a subject's first interval is an entry.

# survfit's position flags: 1 = first interval of a subject (or after a
# gap), 2 = last interval (or before a gap), 3 = both.
km_position <- function(start, stop, id) {
  n <- length(stop)
  o <- order(id, stop)
  id2 <- id[o]
  new_id <- id2[-n] != id2[-1L]
  gap <- stop[o][-n] < start[o][-1L]
  flag <- 1L * c(TRUE, new_id | gap) + 2L * c(new_id | gap, TRUE)
  flag[o] <- flag
  flag
}

# The curve-time index of each row's stop (and start) time, within its
# stratum: time_fix'ed times matched to the fitted curve's times.
km_row_index <- function(fit, time, start, group) {
  stratum <- if (is.null(group)) rep(1L, length(time)) else as.integer(group)
  sizes <- if (is.null(fit$strata)) length(fit$time) else {
    s <- integer(if (is.null(group)) 1L else nlevels(group))
    names(s) <- if (!is.null(group)) levels(group)
    s[names(fit$strata)] <- fit$strata
    s
  }
  offset <- c(0L, cumsum(sizes))
  stop_idx <- start_idx <- integer(length(time))
  for (s in seq_along(sizes)) {
    r <- which(stratum == s)
    if (!length(r) || sizes[s] == 0L) next
    tt <- fit$time[offset[s] + seq_len(sizes[s])]
    stop_idx[r] <- match(time[r], tt)
    start_idx[r] <- if (is.null(start)) 0L else findInterval(start[r], tt)
  }
  list(stratum = stratum, stop = stop_idx, start = start_idx, offset = offset, sizes = sizes)
}

# Fleming-Harrington hazard and variance at each curve time, from the
# weighted counts and the number of event rows d0.
km_fh_hazard <- function(n, d, d0) {
  inc <- var <- numeric(length(n))
  for (j in which(d0 > 0)) {
    k <- seq_len(d0[j]) - 1
    den <- n[j] - k * d[j] / d0[j]
    inc[j] <- sum(d[j] / (d0[j] * den))
    var[j] <- sum(d[j] / (d0[j] * den^2))
  }
  list(inc = inc, var = var)
}

# Robust variances of one stratum's S (Kaplan-Meier, stype 1) and H
# (Nelson-Aalen) by cluster; rows with at-risk index range (start, stop].
km_ij_stratum <- function(n, d, surv_km, start, stop, status, w, cl, n_cl) {
  m <- length(n)
  U <- V <- numeric(n_cl)
  var_s <- var_h <- numeric(m)
  enter <- split(seq_along(stop), factor(start + 1L, levels = seq_len(m + 1L)))
  leave <- split(seq_along(stop), factor(stop, levels = seq_len(m)))
  R <- numeric(n_cl)
  add <- function(R, rows, sign) {
    if (!length(rows)) return(R)
    s <- rowsum(w[rows], cl[rows])
    at <- as.integer(rownames(s))
    R[at] <- R[at] + sign * s[, 1L]
    R
  }
  vs <- vh <- 0
  for (j in seq_len(m)) {
    R <- add(R, enter[[j]], 1)
    if (d[j] > 0) {
      h <- d[j] / n[j]
      s_minus <- if (j == 1L) 1 else surv_km[j - 1L]
      ev <- leave[[j]][status[leave[[j]]] == 1L]
      D <- numeric(n_cl)
      if (length(ev)) {
        s <- rowsum(w[ev], cl[ev])
        D[as.integer(rownames(s))] <- s[, 1L]
      }
      U <- U * (1 - h) + (R * h - D) * s_minus / n[j]
      V <- V - (R * h - D) / n[j]
      vs <- sum(U^2)
      vh <- sum(V^2)
    }
    R <- add(R, leave[[j]], -1)
    R[abs(R) < 1e-12 * max(1, abs(w))] <- 0
    var_s[j] <- vs
    var_h[j] <- vh
  }
  list(se_s = sqrt(var_s), se_h = sqrt(var_h))
}

# Applies the options to a fit built from the core's counts. `rows` holds
# the frame's columns (time fixed as the core fixed it, start, status,
# weights, group) and `opt` the options as km() resolved them.
km_apply_options <- function(fit, rows, opt) {
  type <- 2L * opt$stype + opt$ctype - 2L       # survfit's 1..4
  idx <- NULL
  need_idx <- opt$ctype == 2L || opt$robust_clusters || !is.null(opt$position)
  if (need_idx) idx <- km_row_index(fit, rows$time, rows$start, rows$group)
  curve_of <- function(r) idx$offset[idx$stratum[r]] + idx$stop[r]
  m <- length(fit$time)

  if (!is.null(opt$position)) {
    # survfit counts a censoring only at a subject's last interval, and an
    # entry only at its first.
    cens <- rows$status == 0L & bitwAnd(opt$position, 2L) > 0L
    fit$n.censor <- as.double(tabulate_weighted(curve_of(which(cens)), rows$w[cens], m))
  }

  if (type != 1L) {
    strata_rows <- curve_rows(fit)
    d0 <- if (opt$ctype == 2L) {
      ev <- which(rows$status == 1L)
      tabulate(curve_of(ev), m)
    }
    for (r in strata_rows) {
      n <- fit$n.risk[r]
      d <- fit$n.event[r]
      if (opt$ctype == 2L) {
        fh <- km_fh_hazard(n, d, d0[r])
        fit$cumhaz[r] <- cumsum(fh$inc)
        fit$std.chaz[r] <- sqrt(cumsum(fh$var))
      }
      if (opt$stype == 2L) {
        fit$surv[r] <- exp(-fit$cumhaz[r])
        fit$std.err[r] <- fit$std.chaz[r]
      }
    }
  }

  if (opt$robust_clusters) {
    cl <- opt$cluster
    n_cl <- max(cl)
    for (s in seq_along(idx$sizes)) {
      if (idx$sizes[s] == 0L) next
      rr <- which(idx$stratum == s)
      r <- idx$offset[s] + seq_len(idx$sizes[s])
      # survival renumbers the clusters within each stratum; the sums do not
      # depend on the numbering.
      ij <- km_ij_stratum(fit$n.risk[r], fit$n.event[r], fit$surv[r], idx$start[rr],
                          idx$stop[rr], rows$status[rr], rows$w[rr], cl[rr], n_cl)
      fit$std.chaz[r] <- ij$se_h
      fit$std.err[r] <- if (opt$stype == 2L) ij$se_h else ij$se_s
    }
  }
  fit
}

tabulate_weighted <- function(index, w, m) {
  out <- numeric(m)
  if (length(index)) {
    s <- rowsum(w, index)
    out[as.integer(rownames(s))] <- s[, 1L]
  }
  out
}

check_km_type <- function(x, arg) {
  if (!is.numeric(x) || length(x) != 1L || !x %in% 1:2)
    stop("`", arg, "` must be 1 or 2 (survfit's coding: ",
         if (arg == "stype") "1 = Kaplan-Meier product, 2 = exp(-cumulative hazard)"
         else "1 = Nelson-Aalen, 2 = Fleming-Harrington hazard", "), not ", deparse1(x),
         call. = FALSE)
  as.integer(x)
}

# n.enter with id = (survival 3.5's survfitkm counting rule): a subject's
# first interval starting before the first curve time counts at the first
# time; one starting exactly at curve time k counts at time k + 1; one
# starting between times k and k + 1 counts at time k (for k >= 2; survfit
# 3.5 loses those between the first and second times, and so does this).
km_enter_counts <- function(fit, start, w, group) {
  out <- numeric(length(fit$time))
  rows <- curve_rows(fit)
  stratum <- if (is.null(group)) rep(1L, length(start)) else as.integer(group)
  labels <- if (is.null(group)) NULL else levels(group)
  for (s in seq_along(rows)) {
    r <- rows[[s]]
    tt <- fit$time[r]
    code <- if (is.null(labels)) 1L else match(names(rows)[s], labels)
    sel <- which(stratum == code)
    if (!length(sel)) next
    st <- start[sel]
    k <- findInterval(st, tt)                  # number of times <= start
    exact <- k > 0L & tt[pmax(k, 1L)] == st
    at <- ifelse(k == 0L, 1L, ifelse(exact, k + 1L, ifelse(k >= 2L, k, NA_integer_)))
    ok <- !is.na(at) & at <= length(tt)
    out[r] <- out[r] + tabulate_weighted(at[ok], w[sel][ok], length(tt))
  }
  out
}

`%||%` <- function(a, b) if (is.null(a)) b else a
