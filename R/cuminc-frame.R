# cuminc-frame.R -- the model frame of the competing-risks functions (cuminc(),
# fine_gray()): the response Surv(time, event) with a multi-level event, its
# causes and their labels, the groups and the test strata.

# ---- the response: Surv(time, event) with a multi-level event ----------------

# Surv() cannot be trusted with a competing-risks status (a numeric status of
# 2 becomes NA in some forms), so the formula's Surv() call is evaluated by
# this function instead: it returns a numeric matrix (start,) time, code with
# code 0 = censored and 1.. the causes, and checks every row.
cr_response <- function(time, time2, event, type, origin, box = NULL) {
  if (!missing(type)) stop("`formula`: Surv(type = ) is not supported here; ",
                           "give Surv(time, event) or Surv(start, stop, event)", call. = FALSE)
  if (!missing(origin)) stop("`formula`: Surv(origin = ) is not supported here", call. = FALSE)
  if (missing(event)) {
    if (missing(time2)) stop("`formula`: Surv() needs an event: Surv(time, event)", call. = FALSE)
    event <- time2
    start <- NULL
  } else {
    start <- time
    time <- time2
  }
  if (!is.numeric(time)) stop("`formula`: the time must be numeric, not ", class(time)[1L], call. = FALSE)
  if (!is.null(start) && !is.numeric(start))
    stop("`formula`: the start time must be numeric, not ", class(start)[1L], call. = FALSE)
  n <- length(time)
  if (length(event) != n || (!is.null(start) && length(start) != n))
    stop("`formula`: the times and the event in Surv() must have the same length", call. = FALSE)
  if (!is.null(box)) box$event <- event # the raw event, for its levels (cr_frame())
  code <- cr_event_codes(event)
  out <- if (is.null(start)) cbind(time = as.double(time), status = code)
         else cbind(start = as.double(start), stop = as.double(time), status = code)
  out
}

# Event codes: factor -> level index - 1 (the first level is censoring);
# logical -> 0/1; numeric -> the values themselves (0 censored, positive whole
# numbers the causes). NA stays NA (na.action decides).
cr_event_codes <- function(event) {
  if (is.factor(event)) return(as.double(as.integer(event) - 1L))
  if (is.logical(event)) return(as.double(event))
  if (!is.numeric(event))
    stop("`formula`: the event in Surv(time, event) must be a factor (first level = censored) ",
         "or integer codes (0 = censored), not ", class(event)[1L], call. = FALSE)
  bad <- which(!is.na(event) & (event < 0 | event != round(event) | !is.finite(event)))
  if (length(bad))
    stop("`formula`: the event in row ", bad[1L], " is ", format(event[bad[1L]]),
         "; integer event codes must be 0 (censored) or a positive whole number (the cause)",
         call. = FALSE)
  as.double(event)
}

censor_pattern <- "^(0|no|none|alive|censor.*|.*censored.*|cens|event[-_. ]?free|no[-_. ]?event|lost.*|ltfu|admin.*|c)$"

# The model frame of a competing-risks call. Returns time, start, cause
# (0..K), causes (labels), weights, id, groups (factor or NULL), test strata
# (factor or NULL), mf, n_dropped, na_action.
cr_frame <- function(call, env, censor = NULL, fun = "cuminc", allow_strata = TRUE,
                     groups = TRUE) {
  formula <- call_formula(call, env, "Surv(time, event) ~ group")
  lhs <- formula[[2L]]
  head <- if (is.call(lhs)) lhs[[1L]]
  is_surv <- identical(head, as.name("Surv")) || identical(head, quote(survival::Surv)) ||
    identical(head, quote(netsurv::Surv))
  if (!is_surv)
    stop("`formula`: the response must be Surv(time, event) or Surv(start, stop, event), not ",
         deparse1(lhs), call. = FALSE)
  data <- call_data(call, env)

  # Evaluate the response with cr_response() rather than Surv().
  lhs[[1L]] <- as.name(".netsurv_cr_response")
  formula[[2L]] <- lhs
  fenv <- new.env(parent = environment(formula) %||% env)
  # The raw event (for the factor's levels) is kept by cr_response() as
  # model.frame() evaluates it, so that it is evaluated once.
  box <- new.env(parent = emptyenv())
  assign(".netsurv_cr_response", function(time, time2, event, type, origin)
    cr_response(time, time2, event, type, origin, box = box), envir = fenv)
  environment(formula) <- fenv

  mf <- eval(model_frame_call(call_weights_evaluated(call, data, env), formula, data,
                              c("strata", "cluster"), "id"), env)
  event_raw <- box$event
  terms <- attr(mf, "terms")
  if (!is.null(attr(terms, "specials")$cluster))
    stop("`formula`: cluster() terms are not supported by ", fun, "(); use the `id` argument",
         call. = FALSE)
  n_dropped <- check_rows_left(mf)
  y <- stats::model.response(mf)
  dimnames(y) <- NULL
  rows <- row.names(mf)
  counting <- ncol(y) == 3L
  if (counting) {
    start <- y[, 1L]; time <- y[, 2L]; code <- y[, 3L]
  } else {
    start <- NULL; time <- y[, 1L]; code <- y[, 2L]
  }
  check_times(time, start, rows)
  check_status_complete(code, rows)

  # Causes and their labels.
  if (is.factor(event_raw)) {
    lev <- levels(event_raw)
    if (length(lev) < 2L)
      stop("`formula`: the event factor needs a censoring level and at least one cause; ",
           "it has the level(s) ", toString(dQuote(lev, FALSE)), call. = FALSE)
    if (!is.null(censor)) {
      if (!is.character(censor) || length(censor) != 1L || !censor %in% lev)
        stop("`censor` must be one level of the event factor (", toString(dQuote(lev, FALSE)),
             "), not ", deparse1(censor), call. = FALSE)
      # Put the censoring level first: recode.
      idx <- match(censor, lev)
      perm <- c(idx, setdiff(seq_along(lev), idx))   # new order of old levels
      code <- match(code + 1, perm) - 1
      lev <- lev[perm]
    } else if (!grepl(censor_pattern, lev[1L], ignore.case = TRUE)) {
      stop("`formula`: the first level of the event factor, \"", lev[1L], "\", must mean ",
           "censored (survival's convention) and its name does not say so; relevel the factor ",
           "so that censoring comes first, or confirm with `censor = \"", lev[1L], "\"`",
           call. = FALSE)
    }
    causes <- lev[-1L]
    cause <- as.integer(code)
  } else {
    if (!is.null(censor)) stop("`censor` applies only to a factor event; integer codes use 0 for censored",
                               call. = FALSE)
    values <- sort(unique(code[code > 0]))
    if (!length(values)) stop("`formula`: no row has an event (every event code is 0)", call. = FALSE)
    if (!any(code == 0) && identical(as.numeric(values), c(1, 2)))
      stop("`formula`: the event codes are 1 and 2 and none is 0; cuminc() reads 0 as censored ",
           "and every positive code as a cause, while Surv() reads 1/2 as censored/event. ",
           "Recode (e.g. status - 1 for censored/event) or give a factor whose first level is ",
           "censoring", call. = FALSE)
    causes <- format(values, trim = TRUE)
    cause <- as.integer(match(code, values, nomatch = 0L))
  }

  weights <- stats::model.weights(mf)
  if (!is.null(weights)) weights <- as.double(weights)
  id <- mf[["(id)"]]
  strata_idx <- attr(terms, "specials")$strata
  test_strata <- NULL
  if (length(strata_idx)) {
    if (!allow_strata) stop("`formula`: strata() terms are not supported by ", fun, "()", call. = FALSE)
    st <- survival::untangle.specials(terms, "strata")
    test_strata <- if (length(st$vars) == 1L) as.factor(mf[[st$vars]]) else survival::strata(mf[st$vars])
    test_strata <- check_groups_complete(droplevels(as.factor(test_strata)), mf, st$vars)
  }
  groups <- if (groups) cr_groups(mf, terms)
  list(mf = mf, terms = terms, time = as.double(time), start = if (counting) as.double(start),
       cause = cause, causes = causes, weights = weights, id = id, groups = groups,
       test_strata = test_strata, n_dropped = n_dropped, na_action = attr(mf, "na.action"),
       type = if (counting) "counting" else "right", rows = rows)
}

# The groups (survfit's strata labels, "sex=F"), without survival::strata()'s
# string pasting over every row when the right side is one variable; levels
# without rows are dropped (as survfit does).
cr_groups <- function(mf, terms) {
  labels <- attr(terms, "term.labels")
  st <- attr(terms, "specials")$strata
  if (length(st)) labels <- setdiff(labels, survival::untangle.specials(terms, "strata")$vars)
  if (length(labels) == 1L && attr(terms, "order")[match(labels, attr(terms, "term.labels"))] == 1L &&
      is.atomic(mf[[labels]]) && !is.matrix(mf[[labels]])) {
    f <- mf[[labels]]
    if (!is.factor(f)) f <- factor(f)
    used <- tabulate(f, nlevels(f)) > 0L
    if (!all(used)) f <- factor(f, levels = levels(f)[used])
    levels(f) <- paste0(labels, "=", levels(f))
    return(check_groups_complete(f, mf, labels))
  }
  groups <- rhs_strata(mf, terms, drop_specials = "strata")
  if (!is.null(groups)) groups <- droplevels(groups)
  groups
}
