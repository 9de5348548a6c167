# frame.R -- formula + data -> the plain columns the C core needs.
#
# Every model function (km, logrank, cox) starts here, so that the checks of
# the response, the weights and the missing values, and their messages, are the
# same everywhere. Messages name the argument and the first offending row (the
# data's row name, which is the row number for an ordinary data frame).

# Build the model frame for the user's call and check the response.
#   call      match.call() of the user-level function
#   env       the environment the user called from (parent.frame() there)
#   specials  special functions allowed on the right side (strata, cluster, ...)
#   counting  whether Surv(start, stop, status) is accepted
#   extra     further per-row arguments of the call evaluated in the data
#             (e.g. "id", "cluster"); model.frame keeps them as "(id)", ...
# Returns a list: mf (the model frame, with its terms), time, status, start
# (NULL for right-censored data), weights (NULL when none were given), n_dropped
# (rows removed by na.action) and na_action (the attribute, for print methods).
survival_frame <- function(call, env, specials = character(), counting = TRUE,
                           extra = character()) {
  formula <- call_formula(call, env, "Surv(time, status) ~ group")
  formula <- strip_survival_prefix(formula)
  refuse_special_terms(formula, paste0(sub(".*::", "", deparse(call[[1L]])), "()"), specials)
  data <- call_data(call, env)
  mf_call <- model_frame_call(call_weights_evaluated(call, data, env), formula, data, specials,
                              extra)
  # The response Surv(...) built in one pass (R/surv.R) when `Surv` is
  # survival's; the frame's terms get the formula's own environment back.
  fast_env <- surv_fast_env(formula)
  if (!is.null(fast_env)) environment(mf_call$formula) <- fast_env
  mf <- withCallingHandlers(
    eval(mf_call, env),
    warning = function(w) {
      if (grepl("Invalid status value|Stop time must be > start time", conditionMessage(w)))
        stop_bad_surv(conditionMessage(w), formula, data, env)
    }
  )
  if (!is.null(fast_env)) {
    terms <- attr(mf, "terms")
    environment(terms) <- environment(formula)
    attr(mf, "terms") <- terms
  }

  # The response is the frame's first column (stats::model.response() would
  # give a matrix response a million row names first).
  y <- mf[[1L]]
  if (!inherits(y, "Surv"))
    stop("`formula`: the response must be a survival object, Surv(time, status), not ",
         class(y)[1L], call. = FALSE)
  type <- attr(y, "type")
  if (type %in% c("mright", "mcounting"))
    stop("`formula`: the status is a factor, which Surv() reads as competing risks or ",
         "multi-state data (one level per event type); ", deparse(call[[1L]]),
         "() needs a 0/1 status (censored/event). For the cumulative incidence of ",
         "competing events use cuminc(); to analyse one event type, write e.g. ",
         "Surv(time, status == \"death\")", call. = FALSE)
  if (!type %in% c("right", "counting"))
    stop("`formula`: ", type, "-censored data are not supported; use Surv(time, status)",
         if (counting) " or Surv(start, stop, status)", call. = FALSE)
  if (type == "counting" && !counting)
    stop("`formula`: counting-process data, Surv(start, stop, status), are not supported here; ",
         "use Surv(time, status)", call. = FALSE)

  n_dropped <- check_rows_left(mf)

  # The columns in one pass in C (src/r_surv.c), with the checks of check_times().
  cols <- .Call(ffi_surv_columns, y, type == "counting")
  if (!is.null(cols)) {
    bad <- c(cols[[4L]], cols[[5L]], cols[[6L]])
    if (any(bad > 0)) check_times(cols[[1L]], cols[[3L]], row.names(mf))
    check_status_complete(cols[[2L]], row.names(mf))
    weights <- stats::model.weights(mf)
    if (!is.null(weights)) weights <- as.double(weights)
    return(list(mf = mf, terms = attr(mf, "terms"), time = cols[[1L]], status = cols[[2L]],
                start = cols[[3L]], weights = weights, n_dropped = n_dropped,
                na_action = attr(mf, "na.action"), type = type))
  }

  y <- unclass(y)
  # model.frame() names the response's rows; dropping the names first keeps
  # the column extractions below from copying a million strings.
  dimnames(y) <- NULL
  rows <- row.names(mf)
  if (type == "right") {
    time <- y[, 1L]; status <- y[, 2L]; start <- NULL
  } else {
    start <- y[, 1L]; time <- y[, 2L]; status <- y[, 3L]
  }
  check_times(time, start, rows)
  check_status_complete(status, rows)

  weights <- stats::model.weights(mf)
  if (!is.null(weights)) weights <- as.double(weights)

  list(mf = mf, terms = attr(mf, "terms"), time = as.double(time),
       status = as.integer(status), start = if (!is.null(start)) as.double(start),
       weights = weights, n_dropped = n_dropped, na_action = attr(mf, "na.action"),
       type = type)
}

# The two-sided formula of a model function's call; `example` shows what to
# write ("Surv(time, status) ~ group").
call_formula <- function(call, env, example) {
  if (is.null(call$formula)) stop("`formula` is missing: give e.g. ", example, call. = FALSE)
  formula <- eval(call$formula, env)
  if (!inherits(formula, "formula") || length(formula) != 3L)
    stop("`formula` must be a two-sided formula such as ", example, call. = FALSE)
  formula
}

# The call's `data` (the calling environment when none is given).
call_data <- function(call, env) {
  data <- if (is.null(call$data)) env else eval(call$data, env)
  if (!is.null(call$data) && !is.data.frame(data) && !is.list(data) && !is.environment(data))
    stop("`data` must be a data frame", call. = FALSE)
  data
}

# The call with its `weights` evaluated (once) and checked before na.action
# could drop a bad one: the expression is replaced by its value, so that
# model.frame() does not evaluate it a second time. Weights that evaluate to
# NULL are no weights (as in model.frame() and coxph()).
call_weights_evaluated <- function(call, data, env) {
  if (is.null(call$weights)) return(call)
  w <- check_weights(call$weights, data, env)
  call["weights"] <- list(w)
  if (is.null(w)) call$weights <- NULL
  call
}

# The stats::model.frame() call for `formula` with the user's data, weights,
# subset and na.action (na_omit_frame by default) and the per-row arguments
# `extra` ("id", "cluster", ...).
model_frame_call <- function(call, formula, data, specials, extra = character()) {
  mf_call <- call[c(1L, match(c("data", "weights", "subset", "na.action", extra),
                              names(call), 0L))]
  mf_call[[1L]] <- quote(stats::model.frame)
  mf_call$formula <- stats::terms(formula, specials = specials,
                                  data = if (is.data.frame(data)) data else NULL)
  if (is.null(mf_call$na.action)) mf_call$na.action <- na_omit_frame
  mf_call
}

# Stops when na.action left no row; returns the number of rows it dropped.
check_rows_left <- function(mf) {
  n_dropped <- length(attr(mf, "na.action"))
  if (nrow(mf) == 0L)
    stop("no rows left to analyse", if (n_dropped) paste0(" after `na.action` removed ", n_dropped,
         " row(s) with missing values"), call. = FALSE)
  n_dropped
}

# The response's times: finite, and each interval (start, stop] with
# start < stop (start NULL for right-censored data). `rows` names the rows.
check_times <- function(time, start, rows) {
  if (!is.null(start)) {
    bad <- which(!is.finite(start))
    if (length(bad)) stop_row("formula", "the start time", start, rows, bad[1L], "must be finite")
    bad <- which(start >= time)
    if (length(bad))
      stop("`formula`: in row ", rows[bad[1L]], " the interval (", format(start[bad[1L]]), ", ",
           format(time[bad[1L]]), "] has start >= stop; each interval needs start < stop",
           call. = FALSE)
  }
  bad <- which(!is.finite(time))
  if (length(bad)) stop_row("formula", "the time", time, rows, bad[1L], "must be finite")
}

# The response's status has no missing value: the default na.action drops
# such rows; one that keeps them (na.pass) would hand the core a row that is
# neither censored nor an event. `rows` names the rows.
check_status_complete <- function(status, rows) {
  if (!anyNA(status)) return(invisible())
  bad <- which(is.na(status))[1L]
  stop("`na.action`: the status in row ", rows[bad], " is missing; ", user_function(),
       "() needs a status for every row: drop such rows (na.action = na.omit, the default) ",
       "or give them a status", call. = FALSE)
}

# A core error about one row (raised by the glue's ns_glue_stop, src/glue.c):
# a condition of class "netsurv_row_error" whose `row` is the row's position
# among the rows passed to the core. with_data_rows() names it as a row of the
# user's data.
stop_row_error <- function(fn, what, row) {
  stop(structure(class = c("netsurv_row_error", "error", "condition"),
                 list(message = paste0(fn, "(): row ", row, " of the rows analysed: ", what),
                      call = NULL, fn = fn, what = what, row = row)))
}

# Evaluates `expr` (a call into the core on the rows of the model frame `mf`);
# a core error about a row is raised again naming that row of `data` (its row
# name, the row number for an ordinary data frame).
with_data_rows <- function(expr, mf) {
  withCallingHandlers(expr, netsurv_row_error = function(e) {
    stop(e$fn, "(): row ", row.names(mf)[e$row], " of `data`: ", e$what, call. = FALSE)
  })
}

# The user-facing netsurv function on the call stack (the outermost one), to
# label errors of internal helpers shared by several of them.
user_function <- function() {
  exports <- getNamespaceExports("netsurv")
  for (cl in sys.calls()) {
    f <- cl[[1L]]
    if (is.call(f) && identical(f[[1L]], as.name("::")) && identical(f[[2L]], as.name("netsurv")))
      f <- f[[3L]]
    if (is.name(f) && as.character(f) %in% exports) return(as.character(f))
  }
  "netsurv"
}

# stats::na.omit() for a model frame, without its copy of the whole frame
# (object[!omit, , drop = FALSE], tens of MB at a million rows) when no row
# has a missing value; otherwise it is stats::na.omit() itself. Columns of
# plain atomic types, factors and Surv objects are checked with anyNA(); any
# other class through its is.na() method, as na.omit does.
na_omit_frame <- function(object, ...) {
  for (x in object) {
    if (!is.atomic(x)) next
    cls <- oldClass(x)
    has_na <- if (is.null(cls) || identical(cls, "factor") || identical(cls, "Surv")) anyNA(unclass(x))
              else any(is.na(x))
    if (has_na) return(stats::na.omit(object, ...))
  }
  object
}

# Weights are checked on the data before na.action can silently drop missing
# ones: a missing weight is an error, not a reason to drop a row. Returns the
# weights (NULL for none).
check_weights <- function(expr, data, env) {
  w <- eval(expr, data, env)
  # NULL means unweighted, as in model.frame() (coxph(weights = NULL)).
  if (is.null(w)) return(NULL)
  if (!is.numeric(w)) stop("`weights` must be numeric, not ", class(w)[1L], call. = FALSE)
  rows <- if (is.data.frame(data)) row.names(data) else seq_along(w)
  bad <- which(is.na(w))
  if (length(bad)) stop_row("weights", "the weight", w, rows, bad[1L], "a missing weight is not allowed; give a weight for every row or leave rows out with `subset`")
  bad <- which(!is.finite(w))
  if (length(bad)) stop_row("weights", "the weight", w, rows, bad[1L], "must be finite")
  bad <- which(w < 0)
  if (length(bad)) stop_row("weights", "the weight", w, rows, bad[1L], "must be non-negative")
  w
}

# Surv() turns an unknown status code, or an interval with start >= stop, into
# NA with a warning, and na.omit would then drop the row in silence. Find the
# row and stop instead. Surv's status rule: numeric status is coded 1/2 when its
# largest value is 2, else 0/1; anything else is invalid.
stop_bad_surv <- function(message, formula, data, env) {
  lhs <- formula[[2L]]
  surv_call <- if (is.call(lhs)) tryCatch(match.call(survival::Surv, lhs), error = function(e) NULL)
  value <- function(expr) if (!is.null(expr)) tryCatch(eval(expr, data, env), error = function(e) NULL)
  rows_of <- function(x) if (is.data.frame(data)) row.names(data) else seq_along(x)
  advice <- "Surv() codes status as 0/1 (censored/event), 1/2 or FALSE/TRUE"
  if (grepl("Stop time must be > start time", message)) {
    start <- value(surv_call$time)
    stop <- value(surv_call$time2)
    bad <- if (is.numeric(start) && is.numeric(stop)) which(start >= stop)
    if (length(bad))
      stop("`formula`: in row ", rows_of(start)[bad[1L]], " the interval (", format(start[bad[1L]]),
           ", ", format(stop[bad[1L]]), "] has start >= stop; each interval needs start < stop",
           call. = FALSE)
    stop("`formula`: each interval needs start < stop", call. = FALSE)
  }
  # Surv(time, event) or Surv(time, time2, event): the status is the last argument.
  status <- value(if (!is.null(surv_call$event)) surv_call$event else surv_call$time2)
  if (is.numeric(status)) {
    # Blame the value that fits neither coding first (a stray 3 in 1/2-coded
    # data makes Surv() read the data as 0/1 and reject every 2 as well);
    # only when every value is 0, 1 or 2 is the mix of 0 and 2 at fault.
    stray <- which(!is.na(status) & !(status %in% c(0, 1, 2)))
    if (length(stray))
      stop("`formula`: the status in row ", rows_of(status)[stray[1L]], " is ",
           format(status[stray[1L]]), "; ", advice, call. = FALSE)
    if (isTRUE(max(status, na.rm = TRUE) == 2)) {
      bad <- which(!is.na(status) & status == 0)
      if (length(bad))
        stop("`formula`: the status in row ", rows_of(status)[bad[1L]], " is 0 while ",
             "other rows hold 2, so Surv() reads the status as 1/2 coded (1 = censored, ",
             "2 = event) and 0 is invalid; ", advice, call. = FALSE)
    }
  }
  stop("`formula`: ", message, "; ", advice, call. = FALSE)
}

stop_row <- function(arg, what, values, rows, i, rule) {
  stop("`", arg, "`: ", what, " in row ", rows[i], " is ", format(values[i]), "; ", rule,
       call. = FALSE)
}

# The grouping factor that survfit builds from the right-hand side: one level
# per combination of the variables, labelled "sex=1" or "celltype=large, trt=2".
# Returns NULL when the right side is 1.
rhs_strata <- function(mf, terms = attr(mf, "terms"), drop_specials = character()) {
  labels <- attr(terms, "term.labels")
  if (length(drop_specials)) {
    special_vars <- unlist(lapply(drop_specials, function(s) survival::untangle.specials(terms, s)$vars))
    labels <- setdiff(labels, special_vars)
  }
  if (!length(labels)) return(NULL)
  if (any(attr(terms, "order") > 1L))
    stop("`formula`: interaction terms are not valid here; list the grouping variables with +",
         call. = FALSE)
  columns <- stats::setNames(lapply(labels, function(l) mf[[l]]), labels)
  fast <- group_strata(columns)
  if (!is.null(fast)) return(fast)
  check_groups_complete(survival::strata(mf[labels]), mf, labels)
}

# A grouping or strata factor built from the columns `vars` of the model
# frame `mf` has no missing value. The default na.action drops such rows; one
# that keeps them (na.pass) would leave rows in no group, which survfit,
# survdiff and coxph count in some places and not in others: an error names
# the first such row and the variables.
check_groups_complete <- function(groups, mf, vars) {
  if (!anyNA(groups)) return(groups) # no n-sized logical on the common path
  bad <- which(is.na(groups))
  stop("`na.action`: row ", row.names(mf)[bad[1L]], " of `data` has a missing value in ",
       paste0("`", vars, "`", collapse = ", "), ", which defines the groups or strata; ",
       user_function(), "() needs every row in a group: drop such rows (na.action = na.omit, ",
       "the default) or give them a value", call. = FALSE)
}

# The Surv object survival::Surv(time, status) (or Surv(start, time, status))
# gives for columns survival_frame() has already checked, without Surv()'s
# checks and copies: the same matrix, column names, type and class.
new_surv <- function(time, status, start = NULL) {
  # one pass in C (src/r_surv.c) when it gives the same object: no status
  # outside 0/1, no interval with start >= stop
  built <- if (is.null(start)) .Call(ffi_surv_build, time, NULL, status)
           else .Call(ffi_surv_build, start, time, status)
  if (!is.null(built) && built[[2L]] == 0 && built[[3L]] == 0) return(built[[1L]])
  y <- if (is.null(start)) cbind(time = time, status = as.double(status))
       else cbind(start = start, stop = time, status = as.double(status))
  structure(y, type = if (is.null(start)) "right" else "counting", class = "Surv")
}

# ---- formula terms netsurv does not implement --------------------------------

# survival's formula language gives these functions a meaning of their own
# (penalised or random-effect terms, time-transformed covariates, robust
# variance, strata); model.frame() would quietly treat them as ordinary
# covariates or drop them. A term whose function is not in `allowed` (the
# caller's specials) is refused by name with what to do instead.
special_term_advice <- c(
  pspline = "netsurv fits no penalised terms, so pspline() would become unpenalised spline columns; use a regression spline such as splines::ns(x, df = 4), or survival::coxph() for a penalised fit",
  ridge = "netsurv fits no penalised terms; fit ridge() models with survival::coxph()",
  frailty = "netsurv has no random effects; use cluster(id) for a robust variance, or survival::coxph() / coxme for a frailty model",
  frailty.gamma = "netsurv has no random effects; use cluster(id) for a robust variance, or survival::coxph() for a frailty model",
  frailty.gaussian = "netsurv has no random effects; use cluster(id) for a robust variance, or survival::coxph() for a frailty model",
  frailty.t = "netsurv has no random effects; use cluster(id) for a robust variance, or survival::coxph() for a frailty model",
  tt = "time-transformed covariates belong to cox() models only",
  cluster = "a cluster() term has no meaning here; remove it",
  strata = "a strata() term has no meaning here; remove it",
  offset = "an offset() term has no meaning here; remove it",
  istate = "multi-state models are not supported by netsurv; use survival"
)

# Names of all functions called anywhere in an expression (`pkg::f` counts
# as f).
called_functions <- function(expr) {
  if (!is.call(expr)) return(character())
  f <- expr[[1L]]
  name <- if (is.name(f)) as.character(f)
          else if (is.call(f) && as.character(f[[1L]]) %in% c("::", ":::")) as.character(f[[3L]])
  args <- as.list(expr)[-1L]
  # is.call() on the element itself: an empty argument (x[, 1]) cannot be
  # bound to a variable and looked at.
  inner <- vapply(seq_along(args), function(i) is.call(args[[i]]), logical(1))
  c(name, unlist(lapply(args[inner], called_functions), use.names = FALSE))
}

refuse_special_terms <- function(formula, fun, allowed) {
  if (isTRUE(attr(formula, "netsurv_tt"))) allowed <- c(allowed, "tt") # expanded: R/cox-tt.R
  rhs <- formula[[3L]]
  found <- intersect(called_functions(rhs), setdiff(names(special_term_advice), c(allowed, "offset")))
  if ("offset" %in% called_functions(rhs) && !"offset" %in% allowed && fun %in% c("km()", "logrank()"))
    found <- c(found, "offset")
  if (length(found))
    stop("`formula`: ", fun, " does not implement the survival term ", found[1L], "(); ",
         if (found[1L] == "tt" && fun == "cox()")
           "time-transformed covariates are not fitted; split the follow-up with survival::survSplit() and use a covariate-by-time interaction, or use survival::coxph(tt = )"
         else special_term_advice[[found[1L]]], call. = FALSE)
  invisible(TRUE)
}

# survival::strata(x) written with its namespace is not found by terms()'s
# specials, and would enter the model as a covariate; drop the prefix of the
# specials (as survival 3 does) so that both spellings mean the same.
strip_survival_prefix <- function(formula) {
  text <- paste(deparse(formula, width.cutoff = 500L), collapse = " ")
  if (!grepl("survival:::?(strata|cluster|tt)\\(", text)) return(formula)
  out <- stats::as.formula(gsub("survival:::?(strata|cluster|tt)\\(", "\\1(", text),
                           env = environment(formula))
  out
}
