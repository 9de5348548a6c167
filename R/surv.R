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
# goes to survival::Surv() itself, so its result and its errors are Surv's.
# The formals are Surv's, so arguments match as they match there.
surv_response <- function(time, time2, event, type, origin) {
  if (missing(time) || !missing(type) || !missing(origin) || (missing(time2) && missing(event)))
    return(surv_defer(sys.call(), parent.frame()))
  time # evaluated first, as Surv() evaluates it first
  if (!missing(time2) && !missing(event)) {
    stop_time <- time2
    status <- event
  } else {
    stop_time <- NULL
    status <- if (missing(event)) time2 else event
  }
  built <- .Call(ffi_surv_build, time, stop_time, status)
  if (is.null(built)) return(surv_defer(sys.call(), parent.frame()))
  if (built[[2L]] > 0) warning("Stop time must be > start time, NA created")
  if (built[[3L]] > 0) warning("Invalid status value, converted to NA")
  built[[1L]]
}

# Evaluates the call Surv(...) with survival::Surv() in `env` (the model
# frame's evaluation environment), so that its errors and warnings carry the
# user's call. Its arguments are evaluated again (they are columns of the
# data). A call that uses a variable named Surv gets the function itself
# instead, so that the variable is not hidden.
surv_defer <- function(call, env) {
  if ("Surv" %in% all.names(call[-1L])) {
    call[[1L]] <- survival::Surv
    return(eval(call, env))
  }
  call[[1L]] <- as.name("Surv")
  eval(call, list2env(list(Surv = survival::Surv), parent = env))
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
