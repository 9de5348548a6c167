# sql-curves.R -- km() and logrank() on a database table (see ?database):
# one aggregate query of counts per (strata, groups, time) over the model's
# frame (R/sql-frame.R), finished by the moments layer of the core
# (src/core/moments.c). The merging of fuzz-tied times and the labels of
# strata and groups are shared with the Cox fit (R/sql-cox.R).

# Counts per (keys, time): rows stopping, weighted events and censorings, and
# (counting-process data) weighted entries, as two GROUP BYs in one query.
db_curve_sql <- function(d, keys, event_cond) {
  k <- if (length(keys)) paste0(paste(keys, collapse = ", "), ", ") else ""
  ev <- paste0("CASE WHEN ", event_cond, " THEN ns_w ELSE 0 END")
  ce <- paste0("CASE WHEN ", event_cond, " THEN 0 ELSE ns_w END")
  f <- paste0("(", d$frame_sql, ") ns_f")
  sql <- paste0("SELECT ", k, "ns_time, 0 AS ns_kind, COUNT(*) AS n_stop, SUM(", ev,
                ") AS n_event, SUM(", ce, ") AS n_censor\nFROM ", f,
                "\nGROUP BY ", k, "ns_time")
  if (d$counting)
    sql <- paste0(sql, "\nUNION ALL\nSELECT ", k, "ns_start AS ns_time, 1 AS ns_kind, 0 AS n_stop, ",
                  "SUM(ns_w) AS n_event, 0 AS n_censor\nFROM ", f,
                  "\nGROUP BY ", k, "ns_start")
  sql
}

# Merge fuzz-tied times (aeqSurv's rule on the distinct times) and add up
# the records of each (key, time); `key` is an integer code per record.
db_merge_times <- function(key, time, values) {
  u <- sort(unique(time))
  fixed <- time_fix(u)[[1L]]
  time <- fixed[match(time, u)]
  ord <- order(key, time)
  key <- key[ord]; time <- time[ord]
  values <- values[ord, , drop = FALSE]
  id <- cumsum(c(TRUE, key[-1L] != key[-length(key)] | time[-1L] != time[-length(time)]))
  summed <- rowsum(values, id, reorder = FALSE)
  first <- !duplicated(id)
  list(key = key[first], time = time[first], values = summed)
}

# Factors over the records from the values of their key columns, labelled
# as the in-memory functions label them: the strata of km (survfit's labels),
# the strata of logrank / cox (survdiff's strata.keep), the groups of
# logrank.
db_term_values <- function(agg, terms) {
  lapply(terms, function(t) {
    if (t$special) survival::strata(stats::setNames(agg[t$cols], t$names))
    else agg[[t$cols]]
  })
}

db_km_strata <- function(agg, terms) {
  vals <- stats::setNames(db_term_values(agg, terms), vapply(terms, `[[`, "", "label"))
  survival::strata(as.data.frame(vals, optional = TRUE, stringsAsFactors = FALSE))
}

db_strata_keep <- function(agg, terms) {
  vals <- db_term_values(agg, terms)
  f <- if (length(vals) == 1L) vals[[1L]]
       else survival::strata(stats::setNames(vals, vapply(terms, `[[`, "", "label")),
                             shortlabel = TRUE)
  droplevels(as.factor(f))
}

db_group_factor <- function(agg, cols, names) {
  if (length(cols) == 1L) {
    f <- factor(agg[[cols]])
    levels(f) <- paste(names, levels(f), sep = "=")
    return(f)
  }
  droplevels(survival::strata(stats::setNames(agg[cols], names)))
}

km_db <- function(call, env, conf.int, conf.type) {
  d <- db_frame(call, env, "km", counting = TRUE, role = "strata")
  session <- db_session(d)
  on.exit(session$restore(), add = TRUE)
  s <- db_start(d)
  if (s$w_frac > 0)
    stop("`weights`: fractional weights need the infinitesimal-jackknife variance, which ",
         "netsurv does not compute on a database table; round the weights or collect the rows",
         call. = FALSE)
  agg <- db_query(d, db_curve_sql(d, d$strata, s$event_cond), "the Kaplan-Meier counts")
  groups <- if (length(d$strata)) db_km_strata(agg, d$strata_terms)
  code <- if (is.null(groups)) rep(1L, nrow(agg)) else as.integer(groups)
  stop_part <- agg$ns_kind == 0
  vals <- cbind(n_stop = as.double(agg$n_stop) * stop_part,
                n_event = as.double(agg$n_event) * stop_part,
                n_censor = as.double(agg$n_censor) * stop_part,
                n_enter = ifelse(stop_part, 0, as.double(agg$n_event)))
  m <- db_merge_times(code, as.double(agg$ns_time), vals)
  n_strata <- if (is.null(groups)) 1L else nlevels(groups)
  core <- .Call(ffi_km_moments, list(stratum = m$key - 1L, time = m$time,
                                     n_stop = m$values[, "n_stop"],
                                     n_event = m$values[, "n_event"],
                                     n_censor = m$values[, "n_censor"],
                                     n_enter = if (d$counting) m$values[, "n_enter"],
                                     n_strata = as.integer(n_strata)))
  n_rows <- as.vector(tapply(m$values[, "n_stop"], factor(m$key, levels = seq_len(n_strata)), sum))
  n_rows[is.na(n_rows)] <- 0
  fit <- km_fields(core, if (is.null(groups)) s$n else as.integer(n_rows), groups)
  fit$type <- if (d$counting) "counting" else "right"
  fit$logse <- TRUE
  fit <- km_conf_limits(fit, conf.int, conf.type)
  fit$call <- call
  fit$database <- db_info(d, s)
  new_km(fit)
}

logrank_db <- function(call, env, rho, gamma, exact) {
  if (isTRUE(exact))
    stop("`exact = TRUE`: permutation tests need the rows; they are not available for a ",
         "database table", call. = FALSE)
  d <- db_frame(call, env, "logrank", counting = FALSE, role = "group")
  session <- db_session(d)
  on.exit(session$restore(), add = TRUE)
  if (!length(d$groups))
    stop("`formula`: no groups to compare; put the grouping variable on the right, ",
         "e.g. Surv(time, status) ~ group", call. = FALSE)
  s <- db_start(d)
  if (d$weighted) stop("internal: logrank has no weights", call. = FALSE)
  agg <- db_query(d, db_curve_sql(d, c(d$strata, d$groups), s$event_cond), "the log-rank counts")
  groups <- db_group_factor(agg, d$groups, d$group_names)
  if (nlevels(groups) < 2L)
    stop("`formula`: there is only one group (", levels(groups)[1L], "); ",
         "a log-rank test compares two or more groups", call. = FALSE)
  if (s$events == 0)
    stop("`formula`: there are no events (every status is censored); ",
         "a log-rank test needs at least one event", call. = FALSE)
  strata_keep <- if (length(d$strata)) db_strata_keep(agg, d$strata_terms)
  scode <- if (is.null(strata_keep)) rep(1L, nrow(agg)) else as.integer(strata_keep)
  G <- nlevels(groups)
  S <- if (is.null(strata_keep)) 1L else nlevels(strata_keep)
  g <- as.integer(groups)
  vals <- matrix(0, nrow(agg), 2L * G)
  idx <- cbind(seq_len(nrow(agg)), g)
  vals[idx] <- as.double(agg$n_event)
  vals[cbind(seq_len(nrow(agg)), g + G)] <- as.double(agg$n_event) + as.double(agg$n_censor)
  m <- db_merge_times(scode, as.double(agg$ns_time), vals)
  fit <- .Call(ffi_logrank_moments,
               list(stratum = if (S > 1L) m$key - 1L, time = m$time,
                    n_event = m$values[, seq_len(G), drop = FALSE] + 0,
                    n_stop = m$values[, G + seq_len(G), drop = FALSE] + 0,
                    n_group = as.integer(G), n_stratum = as.integer(S)),
               as.double(rho), as.double(gamma))
  if (S == 1L) {
    fit$obs <- as.vector(fit$obs)
    fit$exp <- as.vector(fit$exp)
  }
  n_rows <- tapply(as.double(agg$n_stop), groups, sum)
  out <- list(n = structure(as.integer(n_rows), dim = G, dimnames = list(groups = levels(groups)),
                            class = "table"),
              obs = fit$obs, exp = fit$exp, var = fit$var, chisq = fit$chisq,
              pvalue = stats::pchisq(fit$chisq, fit$df, lower.tail = FALSE))
  if (!is.null(strata_keep)) {
    # survdiff's table of strata.keep keeps the levels a strata() term has
    # on the whole table (before subset and na.omit), empty ones included.
    full <- strata_keep
    if (length(d$strata_terms) == 1L && d$strata_terms[[1L]]$special) {
      t <- d$strata_terms[[1L]]
      all <- db_query(d, paste0("SELECT DISTINCT ", paste(t$cols, collapse = ", "), "\nFROM (",
                                d$frame_all_sql, ") ns_a"), "the levels of the strata")
      lev <- levels(survival::strata(stats::setNames(all[t$cols], t$names)))
      full <- factor(as.character(db_term_values(agg, d$strata_terms)[[1L]]), levels = lev)
    }
    n_str <- tapply(as.double(agg$n_stop), full, sum)
    n_str[is.na(n_str)] <- 0
    out$strata <- structure(as.integer(n_str), dim = nlevels(full),
                            dimnames = list(strata.keep = levels(full)), class = "table")
  }
  out$call <- call
  out$df <- fit$df
  out$rho <- rho
  out$gamma <- gamma
  first <- match(seq_len(G), g)
  gd <- lapply(stats::setNames(agg[first, d$groups, drop = FALSE], d$group_names), as.character)
  gd <- as.data.frame(gd, stringsAsFactors = FALSE, optional = TRUE)
  row.names(gd) <- NULL
  out$group_data <- gd
  out$database <- db_info(d, s)
  class(out) <- "netsurv_logrank"
  out
}

