# surv.R -- the Surv(...) response of a model formula, built in one pass in C
# (src/r_surv.c) instead of by survival::Surv(), whose ifelse(), which() and
# cbind() temporaries were most of km()'s time at ten million rows.
#
# survival_frame() (frame.R) binds `Surv` to surv_response() while
# model.frame() evaluates a formula whose response is Surv(...) and whose
# `Surv` is survival's (see surv_fast_env()); everything else is unchanged.

# survival::Surv() for the cases its C twin takes: Surv(time, status) and
# Surv(start, stop, status) with plain integer/double times and a logical,
# 0/1 or 1/2 coded numeric status. It returns the object survival 3.5-3
# returns, with its warnings ("Invalid status value, converted to NA", "Stop
# time must be > start time, NA created") and their call. Anything else
# (type =, origin =, a factor status, times with attributes such as difftime,
# Surv(time) alone, lengths that differ, a status that is all missing, ...)
# goes to survival::Surv() itself, so its result and its errors are Surv's;
# its arguments are not evaluated again (surv_defer()).
# The formals are Surv's, so arguments match as they match there.
surv_response <- function(time, time2, event, type, origin) {
  given <- c(time = !missing(time), time2 = !missing(time2), event = !missing(event),
             type = !missing(type), origin = !missing(origin))
  if (!given[["time"]] || given[["type"]] || given[["origin"]] ||
      !(given[["time2"]] || given[["event"]]))
    return(surv_defer(given, sys.call(), environment()))
  time # evaluated first, as Surv() evaluates it first
  if (given[["time2"]] && given[["event"]]) {
    stop_time <- time2
    status <- event
  } else {
    stop_time <- NULL
    status <- if (!given[["event"]]) time2 else event
  }
  built <- .Call(ffi_surv_build, time, stop_time, status)
  if (is.null(built)) return(surv_defer(given, sys.call(), environment()))
  if (built[[2L]] > 0) warning("Stop time must be > start time, NA created")
  if (built[[3L]] > 0) warning("Invalid status value, converted to NA")
  built[[1L]]
}

# Calls survival::Surv() with the arguments surv_response() was `given`,
# passed as the promises of its frame `frame`: each of the user's arguments
# is evaluated once (those surv_response() forced already are not evaluated
# again, so an expression with a side effect, or an expensive one, runs
# once), and a missing one stays missing. Surv()'s own errors and warnings
# are signalled again with the user's call `user_call`, as if Surv() had been
# called directly; conditions raised deeper keep their calls.
surv_defer <- function(given, user_call, frame) {
  force(user_call) # sys.call() of surv_response(), taken there, not in a handler
  args <- names(given)[given]
  inner <- as.call(c(list(quote(survival::Surv)), stats::setNames(lapply(args, as.name), args)))
  withCallingHandlers(
    eval(inner, frame),
    warning = function(w) {
      if (!identical(conditionCall(w), inner)) return()
      warning(simpleWarning(conditionMessage(w), user_call))
      invokeRestart("muffleWarning")
    },
    error = function(e) {
      if (identical(conditionCall(e), inner)) stop(simpleError(conditionMessage(e), user_call))
    })
}

# The environment in which model.frame() should evaluate `formula` so that
# its response Surv(...) is built by surv_response(): a child of the
# formula's environment binding Surv, when the response is a call Surv(...)
# and `Surv` there is survival's (also netsurv's re-export of it). NULL
# otherwise (a user's own Surv, survival::Surv(...) written with its
# namespace, any other response): model.frame() then runs as written.
surv_fast_env <- function(formula) {
  lhs <- formula[[2L]]
  env <- environment(formula)
  if (!is.call(lhs) || !identical(lhs[[1L]], as.name("Surv")) || !is.environment(env))
    return(NULL)
  if (!identical(get0("Surv", envir = env, mode = "function"), survival::Surv)) return(NULL)
  list2env(list(Surv = surv_response), parent = env)
}
