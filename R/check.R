# check.R -- argument checks shared by the user-level functions, with one
# message template: "`arg` must be ...; not <what was given>".

# The one way to match a choice argument: the default (the whole vector of
# choices) gives the first; anything else must be exactly one of them.
match_choice <- function(x, choices, arg) {
  if (identical(x, choices)) return(choices[1L])
  if (!is.character(x) || length(x) != 1L || is.na(x) || !x %in% choices)
    stop("`", arg, "` must be one of ", paste0("\"", choices, "\"", collapse = ", "),
         "; not ", deparse1(x), call. = FALSE)
  x
}

# A confidence level: one number strictly between 0 and 1.
check_conf_int <- function(conf.int) {
  if (!is.numeric(conf.int) || length(conf.int) != 1L || is.na(conf.int) ||
      conf.int <= 0 || conf.int >= 1)
    stop("`conf.int` must be a single number strictly between 0 and 1 (e.g. 0.95), not ",
         deparse1(conf.int), call. = FALSE)
  as.double(conf.int)
}
