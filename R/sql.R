# sql.R -- km(), logrank() and cox() on a database table (a dbplyr lazy
# table, dplyr::tbl(con, "cohort")): the formula becomes SQL, the engine
# computes GROUP BY sums per (stratum, time), and only those aggregates come
# back to R, where the moments layer of the C core (src/r_moments.c ->
# src/core/moments.c) finishes exactly as the in-memory fit would.
#
# The SQL uses only SELECT, GROUP BY, CASE, UNION ALL, scalar subqueries and
# the functions EXP and ABS (plus whatever dbplyr translates the user's own
# expressions into), so any engine that DBI and dbplyr speak to should run
# it; SQLite (RSQLite) and PostgreSQL (RPostgreSQL) are tested. Nothing is
# written to the database: no temporary tables, no views.

#' Fitting on a database table
#'
#' [km()], [logrank()] and [cox()] accept a database table as `data`: a
#' dbplyr lazy table such as `dplyr::tbl(con, "cohort")` on a DBI connection.
#' The rows stay in the database. The variables of the formula, `weights`
#' and `subset` are translated to SQL; the engine computes sums per
#' (stratum, time) -- counts of events, censorings and entries for a curve or
#' a test, and for each Newton step of a Cox model the sums of
#' \eqn{w e^{\eta}}, \eqn{w e^{\eta} x} and \eqn{w e^{\eta} x x'} (with the
#' tied events' own sums for Efron's method) -- and only these aggregates,
#' one row per distinct time, come back to R. The C core finishes with the
#' same formulas as the in-memory fit, so the results agree with the fit on
#' the same rows collected into a data frame (Kaplan-Meier and log-rank to
#' rounding, Cox coefficients and variance to about 1e-10).
#'
#' One query runs per curve or test. A Cox fit runs one query for the
#' checks and the covariate means, one per distinct value set of each
#' character covariate, and one per Newton iteration (the first also returns
#' the covariate scales); `getOption("netsurv.sql_log")`, when a function,
#' is called with each query's SQL, and `db_sql()` shows the queries of a
#' call without running the iterations.
#'
#' What translates: numeric, integer and logical columns; character columns
#' and `factor()` of a column as indicator columns (treatment contrasts,
#' levels sorted as `factor()` sorts them); arithmetic, comparisons, `log`,
#' `exp`, `sqrt`, `abs` and `I()` of numeric columns (through
#' [dbplyr::translate_sql()]); `strata()`; `Surv(time, status)` and
#' `Surv(start, stop, status)` with status coded 0/1, 1/2 or as a logical;
#' `weights`; `subset`. Rows with a missing (NULL) value in a variable are
#' dropped, as [stats::na.omit()] drops them; a missing weight is an error.
#' Times that differ only by floating-point fuzz are merged afterwards, on
#' the distinct times, by survival's `aeqSurv` rule.
#'
#' Not available on a database table (an error names them): interactions,
#' `cluster()`, `tt()`, `offset()`, splines and other functions the SQL
#' cannot express; `robust`, `firth`, `x = TRUE` and residuals, predictions
#' and concordance of a Cox fit (they need the rows); the jackknife variance
#' of a Kaplan-Meier curve with fractional weights; permutation log-rank
#' tests (`exact = TRUE`); `na.action` other than `na.omit`.
#' Engines: tested with SQLite (RSQLite) and PostgreSQL 15 (RPostgreSQL);
#' DuckDB, Spark SQL (sparklyr) and the cloud warehouses are expected to work
#' since only portable SQL is used, but are not tested here.
#'
#' @param formula,data,... as for [km()], [logrank()] or
#'   [cox()] (`weights`, `subset`, ... go in `...`); `data` a dbplyr lazy table.
#' @param fun the function whose queries to show: `"km"`, `"logrank"` or
#'   `"cox"`.
#' @return `db_sql()` returns a named list of SQL strings: `frame` (the rows
#'   and columns of the model), `start` (checks and totals) and `fit` (the
#'   aggregate of a curve or test, or a Cox iteration at `beta = 0`).
#' @name database
#' @examples
#' if (requireNamespace("RSQLite", quietly = TRUE) &&
#'     requireNamespace("dbplyr", quietly = TRUE)) {
#'   con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
#'   lung <- survival::lung
#'   lung$sex <- c("male", "female")[lung$sex]
#'   DBI::dbWriteTable(con, "lung", lung)
#'   tbl <- dplyr::tbl(con, "lung")
#'   km(Surv(time, status) ~ sex, data = tbl)
#'   logrank(Surv(time, status) ~ sex, data = tbl)
#'   cox(Surv(time, status) ~ age + sex + strata(ph.ecog), data = tbl)
#'   cat(db_sql("km", Surv(time, status) ~ sex, data = tbl)$fit)
#'   DBI::dbDisconnect(con)
#' }
NULL

# Internal: is `x` a table in a database (a dbplyr lazy table)?
is_db_table <- function(x) inherits(x, "tbl_lazy")

#' @rdname database
#' @export
db_sql <- function(fun = c("km", "logrank", "cox"), formula, data, ...) {
  fun <- match.arg(fun)
  if (!is_db_table(data)) stop("`data` must be a database table (dplyr::tbl(con, name))", call. = FALSE)
  call <- match.call(expand.dots = TRUE)
  call$fun <- NULL
  call[[1L]] <- as.name(fun)
  env <- parent.frame()
  if (fun == "km") {
    d <- db_frame(call, env, "km", counting = TRUE, role = "strata")
    s <- db_start(d)
    list(frame = d$frame_sql, start = db_start_sql(d), fit = db_curve_sql(d, d$strata, s$event_cond))
  } else if (fun == "logrank") {
    d <- db_frame(call, env, "logrank", counting = FALSE, role = "group")
    s <- db_start(d)
    list(frame = d$frame_sql, start = db_start_sql(d),
         fit = db_curve_sql(d, c(d$strata, d$groups), s$event_cond))
  } else {
    d <- db_frame(call, env, "cox", counting = TRUE, role = "covariate")
    s <- db_start(d)
    d$means <- rep(0, length(d$xnames))
    list(frame = d$frame_sql, start = db_start_sql(d),
         fit = db_cox_sql(d, rep(0, length(d$xnames)), "efron", s$event_sql, first = TRUE))
  }
}

# ---- running queries ----------------------------------------------------------

# One query: the error of a failed or dropped connection names the function
# and what was being computed.
db_query <- function(d, sql, what) {
  hook <- getOption("netsurv.sql_log")
  if (is.function(hook)) hook(sql)
  fail <- function(msg)
    stop(d$fun, "(): the database query for ", what, " failed: ",
         strsplit(msg, "\n", fixed = TRUE)[[1L]][1L], call. = FALSE)
  # Some drivers (RPostgreSQL) report a failed query as a warning and
  # return NULL: that is an error here too.
  warned <- character()
  out <- tryCatch(withCallingHandlers(DBI::dbGetQuery(d$con, sql),
                                      warning = function(w) {
                                        warned <<- c(warned, conditionMessage(w))
                                        invokeRestart("muffleWarning")
                                      }),
                  error = function(e) fail(conditionMessage(e)))
  if (!is.data.frame(out))
    fail(if (length(warned)) warned[1L] else "the driver returned no table")
  for (w in warned) warning(w, call. = FALSE)
  out
}

# ---- formula -> SQL -------------------------------------------------------------

db_quote <- function(d, name) as.character(DBI::dbQuoteIdentifier(d$con, name))

# A number as SQL, to the last bit: 17 significant digits round-trip through
# every engine's decimal parser; the cast keeps PostgreSQL from treating it
# as an exact numeric.
db_num <- function(d, x) {
  if (!is.finite(x)) stop("internal: a non-finite number cannot go into SQL", call. = FALSE)
  paste0("CAST(", sprintf("%.17g", x), " AS ", d$double_type, ")")
}

db_logical_ops <- c("==", "!=", "<", ">", "<=", ">=", "&", "|", "!", "&&", "||", "%in%")
db_allowed_funs <- c("+", "-", "*", "/", "^", "(", "log", "exp", "sqrt", "abs", "I", "c",
                     db_logical_ops)

strip_I <- function(expr) {
  if (is.call(expr)) {
    if (identical(expr[[1L]], as.name("I")) && length(expr) == 2L) return(strip_I(expr[[2L]]))
    for (i in seq_along(expr)[-1L]) if (!is.null(expr[[i]])) expr[[i]] <- strip_I(expr[[i]])
  }
  expr
}

# SQL for an R expression of the table's columns; `numeric = TRUE` turns a
# logical result into 0/1. Columns must exist; only the functions above
# translate; columns used in arithmetic must be numeric or logical.
db_expr <- function(d, expr, what, numeric = TRUE, allow_character = FALSE) {
  vars <- all.vars(expr)
  missing_cols <- setdiff(vars, d$cols)
  if (length(missing_cols))
    stop("`", what, "`: the table has no column `", missing_cols[1L], "` (its columns: ",
         paste(utils::head(d$cols, 12L), collapse = ", "), if (length(d$cols) > 12L) ", ...",
         ")", call. = FALSE)
  funs <- setdiff(all.names(expr), vars)
  funs <- funs[!vapply(funs, function(f) f %in% vars, logical(1))]
  bad <- setdiff(funs, db_allowed_funs)
  if (length(bad))
    stop("`", what, "`: ", bad[1L], "() in `", deparse1(expr), "` cannot be translated to SQL ",
         "by netsurv; compute it as a column of the table first", call. = FALSE)
  if (!allow_character) {
    chr <- vars[!d$types[vars] %in% c("numeric", "integer", "logical")]
    if (length(chr))
      stop("`", what, "`: column `", chr[1L], "` is ", d$types[[chr[1L]]],
           "; only numeric, integer or logical columns can be used here", call. = FALSE)
  }
  expr <- strip_I(expr)
  sql <- as.character(dbplyr::translate_sql_(list(expr), con = d$con))
  logical <- (is.call(expr) && as.character(expr[[1L]]) %in% db_logical_ops) ||
             (is.name(expr) && identical(d$types[[as.character(expr)]], "logical"))
  if (numeric && logical) sql <- paste0("CASE WHEN ", sql, " THEN 1 ELSE 0 END")
  list(sql = sql, vars = vars, logical = logical)
}

# The model's rows and columns as one SQL subquery over the user's table:
# ns_time, ns_status, ns_start, ns_w, the strata / group columns ns_s<k> and
# the covariate columns ns_x<k>. Returns a list describing them (d).
db_frame <- function(call, env, fun, counting, role) {
  data <- eval(call$data, env)
  con <- dbplyr::remote_con(data)
  valid <- !is.null(con) && tryCatch(DBI::dbIsValid(con), error = function(e) TRUE)
  if (!valid)
    stop(fun, "(): the database connection of `data` is closed or invalid", call. = FALSE)
  if (is.null(call$formula)) stop("`formula` is missing: give e.g. Surv(time, status) ~ group", call. = FALSE)
  formula <- eval(call$formula, env)
  if (!inherits(formula, "formula") || length(formula) != 3L)
    stop("`formula` must be a two-sided formula such as Surv(time, status) ~ group", call. = FALSE)
  if (!is.null(call$na.action)) {
    na <- eval(call$na.action, env)
    if (!(identical(na, stats::na.omit) || identical(na, "na.omit")))
      stop("`na.action`: a database table supports only na.omit (rows with a NULL are dropped)",
           call. = FALSE)
  }
  src <- tryCatch(as.character(dbplyr::sql_render(data)),
                  error = function(e) stop(fun, "(): cannot render the SQL of `data`: ",
                                           conditionMessage(e), call. = FALSE))
  proto <- tryCatch(dplyr::collect(utils::head(data, 0L)),
                    error = function(e) stop(fun, "(): the database query for the columns of `data` failed: ",
                                             conditionMessage(e), call. = FALSE))
  types <- vapply(proto, function(x) if (is.factor(x)) "character" else class(x)[1L], "")
  d <- list(fun = fun, con = con, src = src, cols = names(proto), types = types,
            double_type = as.character(DBI::dbDataType(con, 1.5)), call = call)

  # The response.
  lhs <- formula[[2L]]
  if (!is.call(lhs) || !(identical(lhs[[1L]], as.name("Surv")) ||
                         identical(lhs[[1L]], quote(survival::Surv))))
    stop("`formula`: the response must be Surv(time, status) or Surv(start, stop, status)",
         call. = FALSE)
  surv <- match.call(survival::Surv, lhs)
  extra <- setdiff(names(surv)[-1L], c("time", "time2", "event"))
  if (length(extra))
    stop("`formula`: Surv(", extra[1L], " = ) is not supported for a database table", call. = FALSE)
  if (is.null(surv$time2)) stop("`formula`: Surv() needs a status", call. = FALSE)
  if (is.null(surv$event)) {
    time_e <- surv$time; start_e <- NULL; status_e <- surv$time2
  } else {
    start_e <- surv$time; time_e <- surv$time2; status_e <- surv$event
  }
  if (!is.null(start_e) && !counting)
    stop("`formula`: counting-process data, Surv(start, stop, status), are not supported here; ",
         "use Surv(time, status)", call. = FALSE)
  cols <- list(ns_time = db_expr(d, time_e, "formula")$sql,
               ns_status = db_expr(d, status_e, "formula")$sql)
  used <- c(all.vars(time_e), all.vars(status_e))
  if (!is.null(start_e)) {
    cols$ns_start <- db_expr(d, start_e, "formula")$sql
    used <- c(used, all.vars(start_e))
  }
  d$counting <- !is.null(start_e)
  d$weighted <- !is.null(call$weights)
  cols$ns_w <- if (d$weighted) db_expr(d, call$weights, "weights")$sql else "1.0"

  # The right-hand side.
  tt <- stats::terms(formula, specials = c("strata", "cluster", "tt", "offset", "frailty",
                                           "pspline", "ridge"))
  sp <- attr(tt, "specials")
  for (s in c("cluster", "tt", "offset", "frailty", "pspline", "ridge"))
    if (!is.null(sp[[s]]))
      stop("`formula`: ", s, "() terms are not supported for a database table", call. = FALSE)
  if (!is.null(attr(tt, "offset")))
    stop("`formula`: offset() terms are not supported for a database table", call. = FALSE)
  labels <- attr(tt, "term.labels")
  if (any(attr(tt, "order") > 1L))
    stop("`formula`: interaction terms (", labels[attr(tt, "order") > 1L][1L],
         ") are not supported for a database table; compute the product as a column",
         call. = FALSE)
  vars <- as.list(attr(tt, "variables"))[-c(1L, 2L)]
  is_strata <- vapply(vars, function(v) is.call(v) && identical(v[[1L]], as.name("strata")), TRUE)
  # Strata terms: each strata(a, b) is one term of one or more columns (the
  # in-memory fit labels it "a=1, b=2"); for km every term is a stratum.
  terms_s <- list()
  for (i in seq_along(vars)) {
    v <- vars[[i]]
    if (is_strata[i]) {
      args <- as.list(v)[-1L]
      if (!is.null(names(args)) && any(names(args) != ""))
        stop("`formula`: strata() options (", names(args)[names(args) != ""][1L],
             ") are not supported for a database table", call. = FALSE)
      terms_s[[length(terms_s) + 1L]] <- list(label = deparse1(v), args = args, special = TRUE)
    } else if (role == "strata") {
      terms_s[[length(terms_s) + 1L]] <- list(label = deparse1(v), args = list(v), special = FALSE)
    }
  }
  other <- if (role == "strata") list() else vars[!is_strata]
  d$strata <- character(); d$strata_terms <- list()
  for (t in terms_s) {
    idx <- integer()
    for (e in t$args) {
      x <- db_expr(d, e, "formula", numeric = FALSE, allow_character = is.name(e))
      nm <- paste0("ns_s", length(d$strata) + 1L)
      cols[[nm]] <- x$sql  # logicals stay logical: their labels are "x=TRUE"
      d$strata <- c(d$strata, nm)
      idx <- c(idx, length(d$strata))
      used <- c(used, x$vars)
    }
    d$strata_terms[[length(d$strata_terms) + 1L]] <-
      list(label = t$label, cols = d$strata[idx],
           names = vapply(t$args, deparse1, ""), special = t$special)
  }
  d$groups <- character(); d$group_names <- character()
  d$xnames <- character(); d$xsql <- character(); d$xterm <- list()
  if (role == "group") {
    for (k in seq_along(other)) {
      e <- other[[k]]
      x <- db_expr(d, e, "formula", numeric = FALSE, allow_character = is.name(e))
      nm <- paste0("ns_g", k)
      cols[[nm]] <- x$sql
      d$groups <- c(d$groups, nm)
      d$group_names <- c(d$group_names, deparse1(e))
      used <- c(used, x$vars)
    }
  } else if (role == "covariate") {
    for (k in seq_along(other)) {
      e <- other[[k]]
      label <- deparse1(e)
      is_factor_call <- is.call(e) && as.character(e[[1L]])[1L] %in% c("factor", "as.factor") &&
                        length(e) == 2L && is.name(e[[2L]])
      if (is_factor_call || (is.name(e) && !d$types[[db_col(d, e)]] %in% c("numeric", "integer", "logical"))) {
        col <- if (is_factor_call) e[[2L]] else e
        x <- db_expr(d, col, "formula", numeric = FALSE, allow_character = TRUE)
        cols[[paste0("ns_v", k)]] <- x$sql
        d$xterm[[length(d$xterm) + 1L]] <- list(kind = "factor", label = label,
                                                sql = paste0("ns_v", k))
      } else {
        x <- db_expr(d, e, "formula", numeric = TRUE)
        nm <- if (x$logical && is.name(e)) paste0(label, "TRUE") else label
        cols[[paste0("ns_v", k)]] <- x$sql
        d$xterm[[length(d$xterm) + 1L]] <- list(kind = "numeric", label = nm,
                                                sql = paste0("ns_v", k))
      }
      used <- c(used, x$vars)
    }
  }
  subset_sql <- NULL
  if (!is.null(call$subset)) {
    s <- db_expr(d, call$subset, "subset", numeric = FALSE, allow_character = TRUE)
    subset_sql <- if (s$logical) s$sql else paste0("(", s$sql, ") <> 0")
  }
  # na.omit: a row with a NULL in any variable of the model leaves (weights
  # are checked instead: a missing weight is an error).
  used <- unique(used)
  not_null <- vapply(used, function(v) paste0(db_quote(d, v), " IS NOT NULL"), "")
  select <- paste0(unlist(cols), " AS ", names(cols), collapse = ",\n       ")
  from <- paste0("(", src, ") ns_src")
  where0 <- if (!is.null(subset_sql)) paste0("\nWHERE ", subset_sql)
  d$frame0_sql <- paste0("SELECT ", select, ",\n       CASE WHEN ",
                         if (length(not_null)) paste(not_null, collapse = " AND ") else "1 = 1",
                         " THEN 1 ELSE 0 END AS ns_complete\nFROM ", from, where0)
  d$frame_all_sql <- paste0("SELECT ", select, "\nFROM ", from)
  d$frame_sql <- paste0("SELECT ", select, "\nFROM ", from,
                        "\nWHERE ", paste(c(subset_sql, not_null, if (!length(not_null)) "1 = 1"),
                                          collapse = "\n  AND "))
  # Factor covariates: their levels as factor() sorts them, from the rows
  # that are used.
  if (role == "covariate") d <- db_factor_levels(d)
  d
}

db_col <- function(d, e) {
  v <- as.character(e)
  if (!v %in% d$cols)
    stop("`formula`: the table has no column `", v, "` (its columns: ",
         paste(utils::head(d$cols, 12L), collapse = ", "), if (length(d$cols) > 12L) ", ...",
         ")", call. = FALSE)
  v
}

db_factor_levels <- function(d) {
  xsql <- character(); xnames <- character()
  for (term in d$xterm) {
    if (term$kind == "numeric") {
      xsql <- c(xsql, term$sql); xnames <- c(xnames, term$label)
      next
    }
    sql <- paste0("SELECT DISTINCT ", term$sql, " AS ns_level FROM (", d$frame_sql, ") ns_f")
    lev <- db_query(d, sql, paste0("the levels of ", term$label))$ns_level
    lev <- sort(unique(lev))
    if (!length(lev)) next
    for (l in lev[-1L]) {
      lit <- if (is.character(l)) as.character(DBI::dbQuoteString(d$con, l)) else db_num(d, l)
      xsql <- c(xsql, paste0("CASE WHEN ", term$sql, " = ", lit, " THEN 1 ELSE 0 END"))
      xnames <- c(xnames, paste0(term$label, l))
    }
  }
  # The frame with the covariates as columns ns_x1 ... (a second SELECT
  # layer, so that each covariate is computed once per row).
  d$xnames <- xnames
  d$x <- if (length(xsql)) paste0("ns_x", seq_along(xsql)) else character()
  keep <- c("ns_time", if (d$counting) "ns_start", "ns_status", "ns_w", d$strata)
  if (length(xsql))
    d$frame_sql <- paste0("SELECT ", paste(keep, collapse = ", "), ",\n       ",
                          paste0(xsql, " AS ", d$x, collapse = ",\n       "),
                          "\nFROM (", d$frame_sql, ") ns_m")
  d
}

# ---- the starting query: counts and the checks of the rows ----------------------

db_start_sql <- function(d) {
  f0 <- paste0("(", d$frame0_sql, ") ns_f0")
  f <- paste0("(", d$frame_sql, ") ns_f")
  big <- "1.7976931348623157e308"
  nonfinite <- function(col) paste0("SUM(CASE WHEN ", col, " > ", big, " OR ", col, " < -", big,
                                    " THEN 1 ELSE 0 END)")
  parts <- c(
    paste0("(SELECT COUNT(*) FROM ", f0, ") AS n_all"),
    paste0("(SELECT SUM(CASE WHEN ns_w IS NULL AND ns_complete = 1 THEN 1 ELSE 0 END) FROM ", f0,
           ") AS w_null"),
    "COUNT(*) AS n",
    "SUM(CASE WHEN ns_status = 1 THEN 1 ELSE 0 END) AS n_1",
    "SUM(CASE WHEN ns_status = 2 THEN 1 ELSE 0 END) AS n_2",
    "SUM(CASE WHEN ns_status = 0 THEN 1 ELSE 0 END) AS n_0",
    "MIN(CASE WHEN ns_status = 0 OR ns_status = 1 OR ns_status = 2 THEN NULL ELSE ns_status END) AS bad_status",
    paste0(nonfinite("ns_time"), " AS t_bad"),
    "SUM(CASE WHEN ns_w < 0 THEN 1 ELSE 0 END) AS w_neg",
    "MIN(ns_w) AS w_min",
    paste0(nonfinite("ns_w"), " AS w_bad"),
    "SUM(CASE WHEN ns_w <> ROUND(ns_w) THEN 1 ELSE 0 END) AS w_frac",
    "SUM(ns_w) AS w_total")
  if (d$counting)
    parts <- c(parts, paste0(nonfinite("ns_start"), " AS s_bad"),
               "SUM(CASE WHEN ns_start >= ns_time THEN 1 ELSE 0 END) AS ss_bad",
               "MIN(CASE WHEN ns_start >= ns_time THEN ns_start ELSE NULL END) AS ss_start",
               "MIN(CASE WHEN ns_start >= ns_time THEN ns_time ELSE NULL END) AS ss_stop")
  for (k in seq_along(d$x)) {
    x <- d$x[k]
    parts <- c(parts, paste0("SUM(ns_w * ", x, ") AS xw_", k), paste0("SUM(", x, ") AS xs_", k),
               paste0("SUM(CASE WHEN ", x, " = 0 OR ", x, " = 1 OR ", x,
                      " = -1 THEN 0 ELSE 1 END) AS xu_", k),
               paste0(nonfinite(x), " AS xb_", k))
  }
  paste0("SELECT ", paste(parts, collapse = ",\n       "), "\nFROM ", f)
}

# Runs the starting query and stops on bad rows; returns the counts and the
# event coding.
db_start <- function(d, positive_weights = FALSE) {
  s <- db_query(d, db_start_sql(d), "the checks of the rows")
  s[] <- lapply(s, function(v) as.double(v))
  z <- function(v) if (is.na(v)) 0 else v
  if (z(s$w_null) > 0)
    stop("`weights`: ", s$w_null, " row(s) of the table have a missing weight; ",
         "a missing weight is not allowed; give a weight for every row or leave rows out with `subset`",
         call. = FALSE)
  if (z(s$n) == 0)
    stop("no rows left to analyse", if (z(s$n_all) > 0)
      paste0(" after `na.action` removed ", s$n_all, " row(s) with missing values"), call. = FALSE)
  if (!is.na(s$bad_status))
    stop("`formula`: the status is ", format(s$bad_status), " in some row(s) of the table; ",
         "Surv() codes status as 0/1 (censored/event), 1/2 or FALSE/TRUE", call. = FALSE)
  coding12 <- z(s$n_2) > 0
  if (coding12 && z(s$n_0) > 0)
    stop("`formula`: the status mixes 0 and 2; Surv() codes status as 0/1 (censored/event), ",
         "1/2 or FALSE/TRUE", call. = FALSE)
  if (z(s$t_bad) > 0)
    stop("`formula`: ", s$t_bad, " row(s) of the table have a non-finite time; times must be finite",
         call. = FALSE)
  if (d$counting) {
    if (z(s$s_bad) > 0)
      stop("`formula`: ", s$s_bad, " row(s) of the table have a non-finite start time", call. = FALSE)
    if (z(s$ss_bad) > 0)
      stop("`formula`: ", s$ss_bad, " row(s) of the table have start >= stop (e.g. the interval (",
           format(s$ss_start), ", ", format(s$ss_stop), "]); each interval needs start < stop",
           call. = FALSE)
  }
  if (z(s$w_bad) > 0)
    stop("`weights`: ", s$w_bad, " row(s) of the table have a non-finite weight; weights must be finite",
         call. = FALSE)
  if (z(s$w_neg) > 0)
    stop("`weights`: ", s$w_neg, " row(s) of the table have a negative weight (e.g. ",
         format(s$w_min), "); weights must be non-negative", call. = FALSE)
  if (positive_weights && d$weighted && s$w_min <= 0)
    stop("`weights`: some row(s) of the table have weight ", format(s$w_min),
         "; cox() needs weights > 0 (drop the rows instead)", call. = FALSE)
  for (k in seq_along(d$x))
    if (z(s[[paste0("xb_", k)]]) > 0)
      stop("`formula`: covariate `", d$xnames[k], "` is not finite in ", s[[paste0("xb_", k)]],
           " row(s) of the table; covariates must be finite", call. = FALSE)
  s$events <- if (coding12) z(s$n_2) else z(s$n_1)
  s$event_cond <- if (coding12) "ns_status = 2" else "ns_status = 1"
  s$event_sql <- if (coding12) "CASE WHEN ns_status = 2 THEN 1 ELSE 0 END" else "ns_status"
  s$n_dropped <- z(s$n_all) - z(s$n)
  s
}

# ---- Kaplan-Meier and log-rank: one aggregate query ------------------------------

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
  core <- .Call(ffi_km_moments, m$key - 1L, m$time, m$values[, "n_stop"],
                m$values[, "n_event"], m$values[, "n_censor"],
                if (d$counting) m$values[, "n_enter"], as.integer(n_strata))
  n_rows <- as.vector(tapply(m$values[, "n_stop"], factor(m$key, levels = seq_len(n_strata)), sum))
  n_rows[is.na(n_rows)] <- 0
  fit <- list(n = if (is.null(groups)) s$n else as.integer(n_rows),
              time = core$time, n.risk = core$n.risk, n.event = core$n.event,
              n.censor = core$n.censor, surv = core$surv, std.err = core$std.err,
              cumhaz = core$cumhaz, std.chaz = core$std.chaz)
  if (!is.null(groups)) {
    strata <- stats::setNames(core$strata, levels(groups))
    fit$strata <- strata[strata > 0L]
  }
  fit$type <- if (d$counting) "counting" else "right"
  fit$logse <- TRUE
  fit$conf.int <- conf.int
  fit$conf.type <- conf.type
  if (conf.type != "none") {
    limits <- surv_conf_limits(fit$surv, fit$std.err, conf.int, conf.type, logse = fit$logse)
    fit$lower <- limits$lower
    fit$upper <- limits$upper
  }
  fit$call <- call
  fit$database <- db_info(d, s)
  new_km(fit)
}

db_info <- function(d, s) {
  list(engine = class(d$con)[1L], rows = s$n, dropped = s$n_dropped)
}

logrank_db <- function(call, env, rho, gamma, exact) {
  if (isTRUE(exact))
    stop("`exact = TRUE`: permutation tests need the rows; they are not available for a ",
         "database table", call. = FALSE)
  d <- db_frame(call, env, "logrank", counting = FALSE, role = "group")
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
  fit <- .Call(ffi_logrank_moments, if (S > 1L) m$key - 1L, m$time,
               m$values[, seq_len(G), drop = FALSE] + 0, m$values[, G + seq_len(G), drop = FALSE] + 0,
               as.integer(G), as.integer(S), as.double(rho), as.double(gamma))
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

# ---- Cox: one aggregate query per Newton iteration -------------------------------

# Sums per (stratum, time, event or not) at the coefficients beta (on the
# covariates' own scale, centred at d$means): the rows stopping at the time
# (both groups together) and the events (the event group alone), and for
# counting-process data the rows entering at the time. `first` adds the
# covariates' absolute deviations (coxph's scale).
db_cox_sql <- function(d, beta, ties, event_sql, first = FALSE) {
  p <- length(d$x)
  c_cols <- if (p) paste0("ns_c", seq_len(p)) else character()
  centred <- if (p) paste0("(", d$x, " - ", vapply(d$means, function(v) db_num(d, v), ""), ") AS ", c_cols)
  lvl1 <- paste0("SELECT ", paste(c(d$strata, "ns_time", if (d$counting) "ns_start", "ns_w",
                                    paste0(event_sql, " AS ns_ev"), centred), collapse = ", "),
                 "\nFROM (", d$frame_sql, ") ns_f")
  eta <- if (p) paste0(db_num(d, beta[1L]), " * ", c_cols[1L]) else "0.0"
  if (p > 1L) for (j in 2:p) eta <- paste0(eta, " + ", db_num(d, beta[j]), " * ", c_cols[j])
  lvl2 <- paste0("SELECT ns_l1.*, ", eta, " AS ns_eta\nFROM (", lvl1, ") ns_l1")
  lvl3 <- paste0("SELECT ns_l2.*, ns_w * EXP(ns_eta) AS ns_r\nFROM (", lvl2, ") ns_l2",
                 db_fence(d))
  pairs <- if (p) which(upper.tri(diag(p), diag = TRUE), arr.ind = TRUE) else matrix(0L, 0, 2)
  # packed upper triangle, column by column (moments.c's layout)
  pairs <- pairs[order(pairs[, 2L], pairs[, 1L]), , drop = FALSE]
  risk <- c("SUM(ns_r) AS s0",
            if (p) paste0("SUM(ns_r * ", c_cols, ") AS s1_", seq_len(p)),
            if (p) paste0("SUM(ns_r * ", c_cols[pairs[, 1L]], " * ", c_cols[pairs[, 2L]],
                          ") AS s2_", seq_len(nrow(pairs))))
  own <- c("COUNT(*) AS nr", "SUM(ns_w) AS sw",
           if (p) paste0("SUM(ns_w * ", c_cols, ") AS wx_", seq_len(p)),
           "SUM(ns_w * ns_eta) AS weta",
           if (first && p) paste0("SUM(ABS(ns_w * ", c_cols, ")) AS ad_", seq_len(p)))
  k <- paste(c(d$strata, "ns_time", "ns_ev"), collapse = ", ")
  sql <- paste0("SELECT ", k, ", 0 AS ns_kind,\n       ",
                paste(c(risk, own), collapse = ",\n       "),
                "\nFROM (", lvl3, ") ns_l3\nGROUP BY ", k)
  if (d$counting) {
    zero <- sub("^.* AS ", "0 AS ", own)
    k2 <- paste(c(d$strata, "ns_start"), collapse = ", ")
    sql <- paste0(sql, "\nUNION ALL\nSELECT ", paste(c(d$strata, "ns_start AS ns_time"), collapse = ", "),
                  ", 0 AS ns_ev, 1 AS ns_kind,\n       ", paste(c(risk, zero), collapse = ",\n       "),
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

cox_db <- function(call, env, ties, init, control, robust, firth, x, y, init_given, y_given) {
  if (!inherits(control, "netsurv_cox_control"))
    stop("`control` must be made by cox_control()", call. = FALSE)
  if (isTRUE(robust)) stop("`robust = TRUE` needs the rows (score residuals); it is not available for a database table", call. = FALSE)
  if (isTRUE(firth)) stop("`firth = TRUE` is not available for a database table", call. = FALSE)
  if (isTRUE(x)) stop("`x = TRUE`: the design matrix stays in the database; it is not returned for a database table", call. = FALSE)
  if (y_given && isTRUE(y)) stop("`y = TRUE`: the response stays in the database; it is not returned for a database table", call. = FALSE)
  d <- db_frame(call, env, "cox", counting = TRUE, role = "covariate")
  s <- db_start(d, positive_weights = TRUE)
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
  d$means <- ifelse(centre, if (d$counting)
                      vapply(seq_len(p), function(k) s[[paste0("xs_", k)]], 0) / s$n
                    else vapply(seq_len(p), function(k) s[[paste0("xw_", k)]], 0) / s$w_total, 0)
  scale <- rep(1, p)
  eff <- if (ties == "efron") 1L else 0L
  strata_levels <- NULL
  iteration <- 0L
  evaluate <- function(beta_s, first = FALSE) {
    beta <- beta_s * scale
    agg <- db_query(d, db_cox_sql(d, beta, ties, s$event_sql, first = first),
                    if (first) "the first Cox iteration" else paste0("Cox iteration ", iteration))
    if (first && p) {
      ad <- vapply(seq_len(p), function(k) sum(as.double(agg[[paste0("ad_", k)]]), na.rm = TRUE), 0)
      scale <<- ifelse(centre & ad > 0, s$w_total / ad, 1)
    }
    db_cox_moments(d, agg, p, ties)
  }
  call_eval <- function(mo) .Call(ffi_cox_moments_eval, mo, eff, scale)

  # Newton-Raphson with step halving, in ns_cox_fit's scaled coordinates and
  # with its convergence rule, so that the iterates are the in-memory fit's.
  mo <- evaluate(init, first = TRUE)
  strata_levels <- mo$levels
  beta <- init / scale
  init_s <- beta
  ev <- call_eval(mo)
  if (!ev$finite) stop("cox(): the log partial likelihood is not finite at the initial values", call. = FALSE)
  sol <- .Call(ffi_cox_moments_solve, ev$imat, ev$u, control$toler.chol)
  loglik0 <- ev$loglik
  score <- if (p) sum(ev$u * sol$step) else 0
  maxiter <- if (p == 0) 0L else control$iter.max
  converged <- maxiter == 0L
  newlk <- loglik0
  iter <- 0L
  if (maxiter > 0L) {
    best <- loglik0
    step <- sol$step
    newbeta <- beta + step
    halving <- 0L
    for (iter in seq_len(maxiter)) {
      iteration <- iter
      mo <- evaluate(newbeta)
      ev <- call_eval(mo)
      notfinite <- !ev$finite
      newlk <- ev$loglik
      if (!notfinite) {
        sol <- .Call(ffi_cox_moments_solve, ev$imat, ev$u, control$toler.chol)
        notfinite <- !sol$finite
      }
      if (!notfinite && abs(1 - best / newlk) <= control$eps) {
        beta <- newbeta
        converged <- TRUE
        break
      }
      if (notfinite || newlk < best) {
        halving <- halving + 1L
        newbeta <- (newbeta + halving * beta) / (halving + 1)
      } else {
        halving <- 0L
        best <- newlk
        beta <- newbeta
        newbeta <- beta + sol$step
      }
    }
    if (!converged) {
      iter <- maxiter
      iteration <- iter + 1L
      mo <- evaluate(beta)
      ev <- call_eval(mo)
      newlk <- ev$loglik
      sol <- .Call(ffi_cox_moments_solve, ev$imat, ev$u, control$toler.chol)
    }
  }
  vs <- sol$inverse
  keep <- sol$keep == 1L
  nstep <- if (p) as.vector(vs %*% ev$u) else numeric()
  coef <- ifelse(keep, beta * scale, NA_real_)
  infinite <- keep & (!is.finite(ev$u) | (abs(nstep * scale) > control$eps &
                                          abs(nstep) > control$toler.inf * abs(beta)))
  delta <- ifelse(keep, beta - init_s, 0)
  wald <- if (p) .Call(ffi_quad_inverse, vs, delta, control$toler.chol) else 0
  var <- vs * outer(scale, scale)
  names(coef) <- xnames
  if (!firth && any(infinite[!is.na(coef)]))
    warning("monotone likelihood: the coefficient of ",
            paste0("`", xnames[infinite & !is.na(coef)], "`", collapse = ", "),
            " appears to run to infinity (the partial likelihood keeps increasing, ",
            "e.g. a group without events)", call. = FALSE)
  if (!converged && control$iter.max > 0 && p > 0)
    warning("cox() did not converge in ", control$iter.max,
            " iterations; increase `control = cox_control(iter.max = )`", call. = FALSE)
  fit <- list(coefficients = coef, var = var, loglik = c(loglik0, newlk), score = score,
              iter = iter, means = stats::setNames(d$means, xnames), method = ties,
              n = s$n, nevent = s$events, wald.test = wald,
              concordance = c(concordant = NA_real_, discordant = NA_real_, tied.x = NA_real_,
                              tied.y = NA_real_, tied.xy = NA_real_, concordance = NA_real_,
                              std = NA_real_),
              timefix = TRUE, formula = eval(call$formula, env), converged = converged,
              infinite = stats::setNames(infinite, xnames), robust = FALSE, firth = FALSE,
              call = call, database = db_info(d, s))
  if (!is.null(strata_levels)) fit$strata_levels <- strata_levels
  class(fit) <- c("netsurv_cox_db", "netsurv_cox")
  fit
}

# The query's table -> the moments list of ffi_cox_moments_eval: records by
# (stratum, merged time); the risk sums of the rows stopping (event or not)
# and entering, and the events' own sums, apart.
db_cox_moments <- function(d, agg, p, ties) {
  q <- p * (p + 1L) / 2L
  strata <- if (length(d$strata)) db_strata_keep(agg, d$strata_terms)
  code <- if (is.null(strata)) rep(1L, nrow(agg)) else as.integer(strata)
  risk_cols <- c("s0", if (p) paste0("s1_", seq_len(p)), if (q) paste0("s2_", seq_len(q)))
  own_cols <- c("nr", "sw", if (p) paste0("wx_", seq_len(p)), "weta")
  num <- function(cols) {
    out <- matrix(0, nrow(agg), length(cols))
    for (j in seq_along(cols)) {
      v <- as.double(agg[[cols[j]]])
      v[is.na(v)] <- 0
      out[, j] <- v
    }
    out
  }
  stop_part <- agg$ns_kind == 0
  event <- stop_part & as.double(agg$ns_ev) == 1
  R <- num(risk_cols)
  O <- num(own_cols)
  vals <- cbind(R * stop_part, R * !stop_part, R * event, O * event)
  m <- db_merge_times(code, as.double(agg$ns_time), vals)
  v <- m$values
  nr <- length(risk_cols)
  block <- function(b, names) {
    if (b < 4L) v[, (b - 1L) * nr + match(names, risk_cols), drop = FALSE]
    else v[, 3L * nr + match(names, own_cols), drop = FALSE]
  }
  s1 <- if (p) paste0("s1_", seq_len(p))
  s2 <- if (p) paste0("s2_", seq_len(q))
  mo <- list(stratum = if (!is.null(strata)) m$key - 1L, time = m$time,
             s0 = block(1L, "s0")[, 1L],
             s1 = if (p) as.double(block(1L, s1)), s2 = if (p) as.double(block(1L, s2)),
             d = round(block(4L, "nr")[, 1L]), dw = block(4L, "sw")[, 1L],
             dx = if (p) as.double(block(4L, paste0("wx_", seq_len(p)))),
             deta = block(4L, "weta")[, 1L],
             p = as.integer(p), n_strata = if (is.null(strata)) 1L else nlevels(strata))
  if (d$counting) {
    mo$in0 <- block(2L, "s0")[, 1L]
    if (p) {
      mo$in1 <- as.double(block(2L, s1))
      mo$in2 <- as.double(block(2L, s2))
    }
  }
  if (ties == "efron") {
    mo$d0 <- block(3L, "s0")[, 1L]
    if (p) {
      mo$d1 <- as.double(block(3L, s1))
      mo$d2 <- as.double(block(3L, s2))
    }
  }
  mo$levels <- if (!is.null(strata)) levels(strata)
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
