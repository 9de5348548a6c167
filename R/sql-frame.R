# sql-frame.R -- the formula of a fit on a database table as SQL (see
# ?database, R/sql.R): the model's rows and columns as one subquery over the
# user's table (db_frame), and the starting query that counts the rows and
# checks them (db_start). The estimators' aggregate queries are built on
# this frame (R/sql-curves.R, R/sql-cox.R).

db_quote <- function(d, name) as.character(DBI::dbQuoteIdentifier(d$con, name))

# A number as SQL, to the last bit: 17 significant digits round-trip through
# every engine's decimal parser; the cast keeps PostgreSQL from treating it
# as an exact numeric.
db_num <- function(d, x) {
  if (!is.finite(x)) stop("internal: a non-finite number cannot go into SQL", call. = FALSE)
  paste0("CAST(", sprintf("%.17g", x), " AS ", d$double_type, ")")
}

# Column types (of the collected prototype) that SQL arithmetic reads as the
# in-memory fit reads them.
db_numeric_types <- c("numeric", "integer", "logical", "integer64")

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
    chr <- vars[!d$types[vars] %in% db_numeric_types]
    if (length(chr))
      stop("`", what, "`: column `", chr[1L], "` is ", d$types[[chr[1L]]],
           "; only numeric, integer or logical columns can be used here",
           if (!identical(d$types[[chr[1L]]], "character"))
             " (store a number computed from it as a column of the table)",
           call. = FALSE)
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
# Named steps, in the order their checks run; the ones that add columns pass
# along f = list(d, cols = the SELECT's SQL by name, used = the table's
# columns the model reads).
db_frame <- function(call, env, fun, counting, role) {
  src <- db_frame_source(call, env, fun)
  f <- db_frame_response(src$d, src$formula, call, counting)
  terms <- db_frame_terms(src$formula, role)
  f <- db_frame_strata(f, terms$strata)
  f$d$groups <- character(); f$d$group_names <- character()
  f$d$xnames <- character(); f$d$xsql <- character(); f$d$xterm <- list()
  if (role == "group") f <- db_frame_groups(f, terms$other)
  else if (role == "covariate") f <- db_frame_covariates(f, terms$other)
  d <- db_frame_sql(f, call)
  # Factor covariates: their levels as factor() sorts them, from the rows
  # that are used.
  if (role == "covariate") d <- db_factor_levels(d)
  d
}

# The call's table, formula and na.action checked; the table's SQL and its
# column types: the start of d.
db_frame_source <- function(call, env, fun) {
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
  # The column types from one row: some drivers (RPostgreSQL) type the
  # columns of an empty result as character, dates included.
  proto <- tryCatch(dplyr::collect(utils::head(data, 1L)),
                    error = function(e) stop(fun, "(): the database query for the columns of `data` failed: ",
                                             conditionMessage(e), call. = FALSE))
  types <- vapply(proto, function(x) if (is.factor(x)) "character" else class(x)[1L], "")
  d <- list(fun = fun, con = con, src = src, cols = names(proto), types = types,
            double_type = as.character(DBI::dbDataType(con, 1.5)), call = call)
  list(d = d, formula = formula)
}

# The response, Surv(time, status) or Surv(start, stop, status), and the
# weights: the columns ns_time, ns_status, ns_start and ns_w.
db_frame_response <- function(d, formula, call, counting) {
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
  list(d = d, cols = cols, used = used)
}

# The right-hand side's terms, checked: the strata terms (each strata(a, b)
# one term of one or more columns, which the in-memory fit labels
# "a=1, b=2"; for role "strata", as km, every term is a stratum) and the
# other terms (groups or covariates).
db_frame_terms <- function(formula, role) {
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
  list(strata = terms_s, other = if (role == "strata") list() else vars[!is_strata])
}

# The strata columns ns_s<k>, one per column of each strata term.
db_frame_strata <- function(f, terms_s) {
  f$d$strata <- character(); f$d$strata_terms <- list()
  for (t in terms_s) {
    idx <- integer()
    for (e in t$args) {
      x <- db_expr(f$d, e, "formula", numeric = FALSE, allow_character = is.name(e))
      nm <- paste0("ns_s", length(f$d$strata) + 1L)
      f$cols[[nm]] <- x$sql  # logicals stay logical: their labels are "x=TRUE"
      f$d$strata <- c(f$d$strata, nm)
      idx <- c(idx, length(f$d$strata))
      f$used <- c(f$used, x$vars)
    }
    f$d$strata_terms[[length(f$d$strata_terms) + 1L]] <-
      list(label = t$label, cols = f$d$strata[idx],
           names = vapply(t$args, deparse1, ""), special = t$special)
  }
  f
}

# The group columns ns_g<k> (the tests' groups).
db_frame_groups <- function(f, other) {
  for (k in seq_along(other)) {
    e <- other[[k]]
    x <- db_expr(f$d, e, "formula", numeric = FALSE, allow_character = is.name(e))
    nm <- paste0("ns_g", k)
    f$cols[[nm]] <- x$sql
    f$d$groups <- c(f$d$groups, nm)
    f$d$group_names <- c(f$d$group_names, deparse1(e))
    f$used <- c(f$used, x$vars)
  }
  f
}

# The covariate columns ns_v<k>: numeric terms as they are, factor terms
# (character columns, factor(x)) as their values, which db_factor_levels
# turns into indicator columns.
db_frame_covariates <- function(f, other) {
  d <- f$d
  for (k in seq_along(other)) {
    e <- other[[k]]
    label <- deparse1(e)
    is_factor_call <- is.call(e) && as.character(e[[1L]])[1L] %in% c("factor", "as.factor") &&
                      length(e) == 2L && is.name(e[[2L]])
    if (is_factor_call || (is.name(e) && identical(d$types[[db_col(d, e)]], "character"))) {
      col <- if (is_factor_call) e[[2L]] else e
      # Levels are the column's values as the database returns them: for
      # dates and the like they may not sort or print as the in-memory
      # factor() would, so only plain columns are accepted.
      type <- d$types[[db_col(d, col)]]
      if (!type %in% c("character", db_numeric_types))
        stop("`formula`: column `", as.character(col), "` is ", type, "; netsurv makes ",
             "indicator columns on a database table only from character, numeric, integer ",
             "or logical columns (store a number or a label computed from it as a column)",
             call. = FALSE)
      x <- db_expr(d, col, "formula", numeric = FALSE, allow_character = TRUE)
      f$cols[[paste0("ns_v", k)]] <- x$sql
      d$xterm[[length(d$xterm) + 1L]] <- list(kind = "factor", label = label,
                                              sql = paste0("ns_v", k))
    } else {
      x <- db_expr(d, e, "formula", numeric = TRUE)
      nm <- if (x$logical && is.name(e)) paste0(label, "TRUE") else label
      f$cols[[paste0("ns_v", k)]] <- x$sql
      d$xterm[[length(d$xterm) + 1L]] <- list(kind = "numeric", label = nm,
                                              sql = paste0("ns_v", k))
    }
    f$used <- c(f$used, x$vars)
  }
  f$d <- d
  f
}

# The subset and na.omit as SQL, and the frame's three queries: all rows with
# a completeness flag (frame0_sql), all rows (frame_all_sql), and the rows
# the model uses (frame_sql).
db_frame_sql <- function(f, call) {
  d <- f$d
  subset_sql <- NULL
  if (!is.null(call$subset)) {
    s <- db_expr(d, call$subset, "subset", numeric = FALSE, allow_character = TRUE)
    subset_sql <- if (s$logical) s$sql else paste0("(", s$sql, ") <> 0")
  }
  # na.omit: a row with a NULL in any variable of the model leaves (weights
  # are checked instead: a missing weight is an error).
  used <- unique(f$used)
  not_null <- vapply(used, function(v) paste0(db_quote(d, v), " IS NOT NULL"), "")
  select <- paste0(unlist(f$cols), " AS ", names(f$cols), collapse = ",\n       ")
  from <- paste0("(", d$src, ") ns_src")
  where0 <- if (!is.null(subset_sql)) paste0("\nWHERE ", subset_sql)
  d$frame0_sql <- paste0("SELECT ", select, ",\n       CASE WHEN ",
                         if (length(not_null)) paste(not_null, collapse = " AND ") else "1 = 1",
                         " THEN 1 ELSE 0 END AS ns_complete\nFROM ", from, where0)
  d$frame_all_sql <- paste0("SELECT ", select, "\nFROM ", from)
  d$frame_sql <- paste0("SELECT ", select, "\nFROM ", from,
                        "\nWHERE ", paste(c(subset_sql, not_null, if (!length(not_null)) "1 = 1"),
                                          collapse = "\n  AND "))
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
    if (!(is.character(lev) || is.numeric(lev) || is.logical(lev)) || inherits(lev, c("Date", "POSIXt", "difftime")))
      stop("`formula`: ", term$label, " has values of class ", class(lev)[1L], "; netsurv makes ",
           "indicator columns on a database table only from character, numeric, integer or ",
           "logical columns (store a number or a label computed from it as a column)", call. = FALSE)
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

