# trial-frame.R -- formula + data -> the columns of a randomised comparison,
# shared by the trial-reporting functions (rmst_test, milestone, maxcombo,
# followup, subgroup_hr). It goes through survival_frame() (frame.R), so the
# checks of the response and their messages are the ones of km() and logrank().

# fun        the user-level function's name, for messages
# call, env  match.call() and parent.frame() of that function
# min_arms   fewest arms allowed (1 for followup(), 2 for tests)
# max_arms   most arms allowed (Inf, or 2 for two-sample methods)
# strata     whether strata() terms are allowed
# Returns time, status, arm (a factor without empty levels, labelled by the
# values, not "arm=..."), arm_var (the variable's name), stratum (0-based codes
# or NULL), strata_label, mf, na_action.
trial_setup <- function(fun, call, env, min_arms = 2L, max_arms = Inf, strata = FALSE) {
  fr <- survival_frame(call, env, specials = "strata", counting = FALSE)
  terms <- fr$terms
  if (!is.null(attr(terms, "offset")))
    stop("`formula`: offset() terms are not supported by ", fun, "()", call. = FALSE)
  strata_vars <- if (length(attr(terms, "specials")$strata))
    survival::untangle.specials(terms, "strata", 1)$vars
  if (length(strata_vars) && !strata)
    stop("`formula`: strata() terms are not supported by ", fun, "()", call. = FALSE)
  arm_vars <- setdiff(attr(terms, "term.labels"), strata_vars)
  if (any(attr(terms, "order") > 1L))
    stop("`formula`: interaction terms are not valid in ", fun, "(); put one arm variable on the right",
         call. = FALSE)
  if (length(arm_vars) > 1L)
    stop("`formula`: ", fun, "() compares the arms of one variable; the right side has ",
         length(arm_vars), " (", paste(arm_vars, collapse = ", "), ")", call. = FALSE)
  if (!length(arm_vars)) {
    if (min_arms > 1L)
      stop("`formula`: no arms to compare; put the arm variable on the right, ",
           "e.g. Surv(time, status) ~ arm", call. = FALSE)
    arm <- factor(rep("all", length(fr$time)))
    arm_var <- NULL
  } else {
    arm_var <- arm_vars
    x <- fr$mf[[arm_var]]
    if (!is.atomic(x) || !is.null(dim(x)))
      stop("`formula`: the arm variable `", arm_var, "` must be a vector (factor, character, ",
           "logical or numeric)", call. = FALSE)
    arm <- check_groups_complete(droplevels(factor(x)), fr$mf, arm_var)
  }
  if (nlevels(arm) < min_arms)
    stop("`formula`: ", fun, "() needs at least ", min_arms, " arms; `", arm_var, "` has ",
         nlevels(arm), " (", paste(levels(arm), collapse = ", "), ")", call. = FALSE)
  if (nlevels(arm) > max_arms)
    stop("`formula`: ", fun, "() compares exactly ", max_arms, " arms; `", arm_var, "` has ",
         nlevels(arm), " (", paste(levels(arm), collapse = ", "), ")", call. = FALSE)
  stratum <- strata_label <- NULL
  if (length(strata_vars)) {
    sk <- if (length(strata_vars) == 1L) fr$mf[[strata_vars]]
          else survival::strata(fr$mf[, strata_vars], shortlabel = TRUE)
    sk <- check_groups_complete(droplevels(as.factor(sk)), fr$mf, strata_vars)
    stratum <- as.integer(sk) - 1L
    strata_label <- levels(sk)
  }
  list(time = fr$time, status = fr$status, arm = arm, arm_var = arm_var, stratum = stratum,
       strata_label = strata_label, mf = fr$mf, na_action = fr$na_action,
       rows = row.names(fr$mf))
}

# km() on plain columns: one curve per arm (a factor), through the formula
# front end so that every fit is the package's Kaplan-Meier.
arm_km <- function(time, status, arm, conf.type = "log", conf.int = 0.95) {
  d <- data.frame(time = time, status = status, arm = arm)
  km(Surv(time, status) ~ arm, data = d, conf.type = conf.type, conf.int = conf.int)
}

check_level <- function(x, arg = "conf.level") {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x <= 0 || x >= 1)
    stop("`", arg, "` must be a single number strictly between 0 and 1 (e.g. 0.95), not ",
         deparse1(x), call. = FALSE)
  as.double(x)
}


# Times before 0 make no sense for the trial summaries (which start at 0).
check_nonnegative_time <- function(setup, fun) {
  bad <- which(setup$time < 0)
  if (length(bad))
    stop_row("formula", "the time", setup$time, setup$rows, bad[1L],
             paste0("must be >= 0: ", fun, "() measures time from randomisation (0)"))
  invisible(TRUE)
}

format_estimate <- function(x, digits) formatC(x, digits = digits, format = "fg", flag = "#")

format_pvalue <- function(p) format.pval(p, digits = 3, eps = 1e-4)
