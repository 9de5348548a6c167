# sql.R -- km(), logrank() and cox() on a database table (a dbplyr lazy
# table, dplyr::tbl(con, "cohort")): the formula becomes SQL, the engine
# computes GROUP BY sums per (stratum, time), and only those aggregates come
# back to R, where the moments layer of the C core (src/r_moments.c ->
# src/core/moments.c, moments_newton.c) finishes exactly as the in-memory fit
# would. This file: the help page, db_sql() and the running of queries; the
# formula as SQL in sql-frame.R, the estimators in sql-curves.R (km,
# logrank) and sql-cox.R.
#
# The SQL uses only SELECT, GROUP BY, CASE, UNION ALL, scalar subqueries and
# the functions EXP and ABS (plus whatever dbplyr translates the user's own
# expressions into), so any engine that DBI and dbplyr speak to should run
# it; SQLite (RSQLite) and PostgreSQL (RPostgreSQL) are tested. Nothing is
# written to the database: no temporary tables, no views. On PostgreSQL the
# session's JIT compilation is switched off while a fit runs (and restored):
# compiling the wide Cox aggregate took longer than running it.

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
#' call without running the iterations. The Newton iteration runs in the C
#' core, which asks for the sums at each point, so its iterates are those of
#' the in-memory fit. On PostgreSQL the session's JIT compilation and
#' parallel workers are switched off while a fit runs and restored afterwards
#' (compiling the wide Cox aggregate took longer than running it).
#'
#' Nothing is written to the database: no tables, temporary or not, and no
#' views, so a fit that stops midway (a dropped connection, an interrupt)
#' leaves nothing behind.
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


# On PostgreSQL, session settings for the duration of a fit: returns
# list(work_mem, restore), restore() putting back every value changed.
# JIT compilation is switched off: at p = 10 LLVM spent 12 s compiling the 66
# sums of one Cox iteration query that then ran in 5 s (1e6 rows), for every
# iteration. Parallel workers are switched off too: the query's optimisation
# fence (db_fence) keeps the aggregate in the leader, so the workers only add
# a Gather that ships every row between processes. work_mem(cells) raises
# work_mem to what a hash aggregate of that many result cells needs (the
# result R receives, 4 times over, plus 4 MB), if the session's is lower: with the
# default 4 MB the Cox aggregate spilled to disk (25% slower at 1e6 rows).
# Settings a server does not know (jit before PostgreSQL 11) are left alone.
# Not through db_query(): these are not the fit's queries, and a failure here
# is not an error of the fit.
db_session <- function(d) {
  old <- list()
  nothing <- list(work_mem = function(cells) invisible(), restore = function() invisible())
  if (!inherits(d$con, c("PostgreSQLConnection", "PqConnection"))) return(nothing)
  quote <- function(x) as.character(DBI::dbQuoteString(d$con, x))
  get <- function(name) {
    v <- tryCatch(suppressWarnings(DBI::dbGetQuery(d$con, paste0(
      "SELECT current_setting(", quote(name), ", true) AS v"))$v), error = function(e) NULL)
    if (length(v) != 1L || is.na(v)) NA_character_ else as.character(v)
  }
  set <- function(name, value) {
    if (is.null(old[[name]])) {
      was <- get(name)
      if (is.na(was)) return(invisible())
      old[[name]] <<- was
    }
    try(suppressWarnings(DBI::dbGetQuery(d$con, paste0(
      "SELECT set_config(", quote(name), ", ", quote(value), ", false) AS v"))), silent = TRUE)
    invisible()
  }
  set("jit", "off")
  set("max_parallel_workers_per_gather", "0")
  list(
    work_mem = function(cells) {
      kb <- tryCatch(suppressWarnings(as.numeric(DBI::dbGetQuery(d$con,
        "SELECT setting FROM pg_settings WHERE name = 'work_mem'")$setting)), error = function(e) NA)
      need <- min(ceiling(cells * 8 * 4 / 1024) + 4096, 2^21)  # kB, at most 2 GB
      if (length(kb) == 1L && is.finite(kb) && need > kb) set("work_mem", paste0(need, "kB"))
    },
    restore = function() {
      for (name in rev(names(old)))
        try(suppressWarnings(DBI::dbGetQuery(d$con, paste0(
          "SELECT set_config(", quote(name), ", ", quote(old[[name]]), ", false) AS v"))), silent = TRUE)
      invisible()
    })
}

db_info <- function(d, s) {
  list(engine = class(d$con)[1L], rows = s$n, dropped = s$n_dropped)
}
