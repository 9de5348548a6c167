# sql-cox.R -- cox() on a database table (see ?database): one aggregate query
# per Newton iteration over the model's frame (R/sql-frame.R). The iteration
# itself -- step, halving, convergence, the collinearity drop rule, the
# variance and the tests -- is the core's (src/core/moments_newton.c, driven
# by reverse communication: the core asks for the sums at a point, R runs the
# query and hands them back), so the iterates are those of the in-memory fit.

# The query of one iteration at the coefficients beta (on the covariates' own
# scale, centred at d$means): per (stratum, time) the sums of w r, w r x and
# w r x x' (r = exp(eta)) over the rows stopping at the time, and, for
# counting-process data, over the rows entering at it (a second GROUP BY,
# UNION ALL). For Efron's ties the rows are grouped by event or not as well,
# so the events' own sums come out of the same pass. The first query
# (`first = TRUE`, always grouped by event) also returns what does not change
# with beta: the number, weight and covariate sums of the events, and the
# covariates' absolute deviations (coxph's scale); later iterations need only
# the 1 + p + p(p+1)/2 risk sums.
#
# exp(eta) is computed once per row, below an optimisation fence (db_fence),
# and so are the products r x; each second-moment sum is then one
# multiplication per row.
db_cox_sql <- function(d, beta, ties, event_sql, first = FALSE) {
  p <- length(d$x)
  c_cols <- if (p) paste0("ns_c", seq_len(p)) else character()
  rc_cols <- if (p) paste0("ns_rc", seq_len(p)) else character()
  by_event <- first || ties == "efron"
  centred <- if (p) paste0("(", d$x, " - ", vapply(d$means, function(v) db_num(d, v), ""), ") AS ",
                           c_cols)
  lvl1 <- paste0("SELECT ", paste(c(d$strata, "ns_time", if (d$counting) "ns_start", "ns_w",
                                    if (by_event) paste0(event_sql, " AS ns_ev"), centred),
                                  collapse = ", "),
                 "\nFROM (", d$frame_sql, ") ns_f")
  eta <- if (p) paste0(vapply(beta, function(b) db_num(d, b), ""), " * ", c_cols, collapse = " + ")
         else "0.0"
  lvl2 <- paste0("SELECT ns_l1.*, ns_w * EXP(", eta, ") AS ns_r\nFROM (", lvl1, ") ns_l1",
                 db_fence(d))
  lvl3 <- if (p) paste0("SELECT ns_l2.*, ", paste0("ns_r * ", c_cols, " AS ", rc_cols, collapse = ", "),
                        "\nFROM (", lvl2, ") ns_l2", db_fence(d))
          else lvl2
  pairs <- if (p) which(upper.tri(diag(p), diag = TRUE), arr.ind = TRUE) else matrix(0L, 0, 2)
  # packed upper triangle, column by column (moments.c's layout)
  pairs <- pairs[order(pairs[, 2L], pairs[, 1L]), , drop = FALSE]
  risk <- c("SUM(ns_r) AS s0",
            if (p) paste0("SUM(", rc_cols, ") AS s1_", seq_len(p)),
            if (p) paste0("SUM(", rc_cols[pairs[, 1L]], " * ", c_cols[pairs[, 2L]],
                          ") AS s2_", seq_len(nrow(pairs))))
  own <- if (first) c("COUNT(*) AS nr", "SUM(ns_w) AS sw",
                      if (p) paste0("SUM(ns_w * ", c_cols, ") AS wx_", seq_len(p)),
                      if (p) paste0("SUM(ABS(ns_w * ", c_cols, ")) AS ad_", seq_len(p)))
  k <- paste(c(d$strata, "ns_time", if (by_event) "ns_ev"), collapse = ", ")
  sql <- paste0("SELECT ", k, ", 0 AS ns_kind,\n       ",
                paste(c(risk, own), collapse = ",\n       "),
                "\nFROM (", lvl3, ") ns_l3\nGROUP BY ", k)
  if (d$counting) {
    zero <- sub("^.* AS ", "0 AS ", own)
    k2 <- paste(c(d$strata, "ns_start"), collapse = ", ")
    sql <- paste0(sql, "\nUNION ALL\nSELECT ",
                  paste(c(d$strata, "ns_start AS ns_time", if (by_event) "0 AS ns_ev"), collapse = ", "),
                  ", 1 AS ns_kind,\n       ", paste(c(risk, zero), collapse = ",\n       "),
                  "\nFROM (", lvl3, ") ns_l3\nGROUP BY ", k2)
  }
  sql
}

# PostgreSQL's planner inlines a subquery's columns into the outer query,
# so the risk score exp(eta) would be computed once per sum (some 80 times
# per row); OFFSET 0 is its documented optimisation fence (16 times faster
# at p = 10). Other engines get plain SQL.
db_fence <- function(d) {
  if (inherits(d$con, c("PostgreSQLConnection", "PqConnection"))) "\nOFFSET 0" else ""
}

cox_db <- function(call, env, ties, init, control, robust, firth, x, y, init_given, y_given,
                   robust_given = FALSE) {
  if (!inherits(control, "netsurv_cox_control"))
    stop("`control` must be made by cox_control()", call. = FALSE)
  if (isTRUE(robust)) stop("`robust = TRUE` needs the rows (score residuals); it is not available for a database table", call. = FALSE)
  if (isTRUE(firth)) stop("`firth = TRUE` is not available for a database table", call. = FALSE)
  if (isTRUE(x)) stop("`x = TRUE`: the design matrix stays in the database; it is not returned for a database table", call. = FALSE)
  if (y_given && isTRUE(y)) stop("`y = TRUE`: the response stays in the database; it is not returned for a database table", call. = FALSE)
  d <- db_frame(call, env, "cox", counting = TRUE, role = "covariate")
  session <- db_session(d)
  on.exit(session$restore(), add = TRUE)
  s <- db_start(d, positive_weights = TRUE)
  # in memory, a non-integer weight makes the variance robust (coxph's rule),
  # which needs each row's score residuals
  if (isTRUE(s$w_frac > 0) && !robust_given && !isTRUE(firth))
    stop("`weights`: with non-integer weights cox() and coxph use the robust variance, which ",
         "needs the rows and is not available for a database table; pass robust = FALSE for ",
         "the model-based variance, round the weights, or collect() the rows", call. = FALSE)
  if (s$events == 0)
    stop("`formula`: there are no events (every status is 0); a Cox model needs at least one",
         call. = FALSE)
  p <- length(d$x)
  xnames <- d$xnames
  if (init_given && !is.null(init)) {
    if (!is.numeric(init) || length(init) != p || any(!is.finite(init)))
      stop("`init` must be ", p, " finite number(s), one per coefficient", call. = FALSE)
  } else init <- rep(0, p)
  init <- as.double(init)
  # coxph's centring: weighted means for right-censored data (coxfit6),
  # unweighted for (start, stop] data (agreg.fit), as the in-memory core;
  # columns holding only -1, 0, 1 are not centred.
  centre <- vapply(seq_len(p), function(k) s[[paste0("xu_", k)]] > 0, TRUE)
  d$means <- as.double(ifelse(centre, if (d$counting)
                      vapply(seq_len(p), function(k) s[[paste0("xs_", k)]], 0) / s$n
                    else vapply(seq_len(p), function(k) s[[paste0("xw_", k)]], 0) / s$w_total, 0))

  # The first query, at init: the risk sums, the events' fixed sums and the
  # covariates' scale; then the core's iteration, one query per point it asks for.
  agg <- db_query(d, db_cox_sql(d, init, ties, s$event_sql, first = TRUE), "the first Cox iteration")
  session$work_mem(prod(dim(agg)))
  ad <- vapply(seq_len(p), function(k) sum(as.double(agg[[paste0("ad_", k)]]), na.rm = TRUE), 0)
  scale <- ifelse(centre & ad > 0, s$w_total / ad, 1)
  events <- db_cox_events(d, agg, p)
  mo <- db_cox_moments(d, agg, p, ties, events, init)
  state <- .Call(ffi_cox_newton_start, p, ties == "efron", control$iter.max, control$eps,
                 control$toler.chol, control$toler.inf, init, as.double(scale))
  iteration <- 0L
  repeat {
    turn <- tryCatch(.Call(ffi_cox_moments_step, state, mo), error = function(e) {
      if (iteration == 0L && grepl("not finite", conditionMessage(e)))
        stop("`init`: the model cannot be evaluated at init = (", paste(format(init), collapse = ", "),
             "): the log partial likelihood is not finite", call. = FALSE)
      stop("cox(): ", conditionMessage(e), call. = FALSE)
    })
    state <- turn$state
    if (turn$done) break
    iteration <- iteration + 1L
    agg <- db_query(d, db_cox_sql(d, turn$beta, ties, s$event_sql), paste0("Cox iteration ", iteration))
    mo <- db_cox_moments(d, agg, p, ties, events, turn$beta)
  }
  res <- .Call(ffi_cox_newton_result, state, p)

  coef <- stats::setNames(res$coefficients, xnames)
  coef[is.nan(coef)] <- NA  # a column dropped for collinearity, as in memory
  infinite <- stats::setNames(res$infinite, xnames)
  if (any(infinite[!is.na(coef)]))
    warning("monotone likelihood: the coefficient of ",
            paste0("`", xnames[infinite & !is.na(coef)], "`", collapse = ", "),
            " appears to run to infinity (the partial likelihood keeps increasing, ",
            "e.g. a group without events)", call. = FALSE)
  if (!res$converged && control$iter.max > 0 && p > 0)
    warning("cox() did not converge in ", control$iter.max,
            " iterations; increase `control = cox_control(iter.max = )`", call. = FALSE)
  fit <- list(coefficients = coef, var = res$var, loglik = res$loglik, score = res$score,
              iter = res$iter, means = stats::setNames(d$means, xnames), method = ties,
              n = s$n, nevent = s$events, wald.test = res$wald,
              concordance = c(concordant = NA_real_, discordant = NA_real_, tied.x = NA_real_,
                              tied.y = NA_real_, tied.xy = NA_real_, concordance = NA_real_,
                              std = NA_real_),
              timefix = TRUE, formula = eval(call$formula, env), converged = res$converged,
              infinite = infinite, robust = FALSE, firth = FALSE,
              call = call, database = db_info(d, s))
  if (!is.null(events$levels)) fit$strata_levels <- events$levels
  class(fit) <- c("netsurv_cox_db", "netsurv_cox")
  fit
}

# The records of an aggregate: (stratum code, merged time) keys and the
# named columns `cols` summed over the rows of `rows` (a logical per row of
# agg), one column block per element of `rows`.
db_cox_records <- function(d, agg, rows, cols) {
  strata <- if (length(d$strata)) db_strata_keep(agg, d$strata_terms)
  code <- if (is.null(strata)) rep(1L, nrow(agg)) else as.integer(strata)
  num <- vapply(cols, function(col) {
    v <- as.double(agg[[col]])
    v[is.na(v)] <- 0
    v
  }, numeric(nrow(agg)))
  num <- matrix(num, nrow(agg), length(cols))
  vals <- do.call(cbind, lapply(rows, function(r) num * r))
  m <- db_merge_times(code, as.double(agg$ns_time), vals)
  block <- function(b) m$values[, (b - 1L) * length(cols) + seq_along(cols), drop = FALSE]
  list(key = m$key, time = m$time, block = block, strata = strata)
}

# The events' sums that do not depend on beta, from the first query: number,
# weight and covariate sums (centred) per record, and the strata's labels.
db_cox_events <- function(d, agg, p) {
  event <- agg$ns_kind == 0 & as.double(agg$ns_ev) == 1
  cols <- c("nr", "sw", if (p) paste0("wx_", seq_len(p)))
  r <- db_cox_records(d, agg, list(event), cols)
  v <- r$block(1L)
  list(key = r$key, time = r$time, d = round(v[, 1L]), dw = v[, 2L],
       dx = v[, 2L + seq_len(p), drop = FALSE],
       n_strata = if (is.null(r$strata)) 1L else nlevels(r$strata),
       levels = if (!is.null(r$strata)) levels(r$strata))
}

# The query's table -> the sums of ns_cox_moments at beta: the risk sums of
# the rows stopping (event or not) and entering, the events' own risk sums
# (Efron), and the fixed event sums; the events' sum of w eta is dx beta.
db_cox_moments <- function(d, agg, p, ties, events, beta) {
  q <- p * (p + 1L) / 2L
  cols <- c("s0", if (p) paste0("s1_", seq_len(p)), if (q) paste0("s2_", seq_len(q)))
  stop_part <- agg$ns_kind == 0
  efron <- ties == "efron"
  rows <- list(stop_part)
  if (d$counting) rows <- c(rows, list(!stop_part))
  if (efron) rows <- c(rows, list(stop_part & as.double(agg$ns_ev) == 1))
  r <- db_cox_records(d, agg, rows, cols)
  if (!identical(r$key, events$key) || !identical(r$time, events$time))
    stop("cox(): the database returned different times in two iterations over the same rows; ",
         "is the table changing while the fit runs?", call. = FALSE)
  split <- function(b) {
    v <- r$block(b)
    list(v[, 1L], if (p) as.double(v[, 1L + seq_len(p)]), if (p) as.double(v[, 1L + p + seq_len(q)]))
  }
  risk <- split(1L)
  mo <- list(stratum = if (length(d$strata)) r$key - 1L, time = r$time,
             s0 = risk[[1L]], s1 = risk[[2L]], s2 = risk[[3L]],
             d = events$d, dw = events$dw, dx = if (p) as.double(events$dx),
             deta = if (p) as.vector(events$dx %*% beta) else numeric(length(r$time)),
             p = as.integer(p), n_strata = events$n_strata)
  if (d$counting) {
    enter <- split(2L)
    mo$in0 <- enter[[1L]]; mo$in1 <- enter[[2L]]; mo$in2 <- enter[[3L]]
  }
  if (efron) {
    ev <- split(length(rows))
    mo$d0 <- ev[[1L]]; mo$d1 <- ev[[2L]]; mo$d2 <- ev[[3L]]
  }
  mo
}

#' @export
residuals.netsurv_cox_db <- function(object, ...) {
  stop("residuals() need the rows, which stay in the database; fit cox() on the collected ",
       "rows (dplyr::collect()) for residuals", call. = FALSE)
}

#' @export
predict.netsurv_cox_db <- function(object, ...) {
  stop("predict() is not available for a Cox fit on a database table; fit cox() on the ",
       "collected rows (dplyr::collect()) for predictions", call. = FALSE)
}
