# args.R -- the one check that no argument is passed and silently ignored.
#
# Every user-facing function and method that has `...` (generics force it on
# S3 methods) calls check_unused() with its `...`, so that e.g.
# `summary(fit, scale = 365.25)` on a method without `scale` stops and names
# `scale` instead of returning an unscaled answer. The message names each
# unused argument (by name, or by the expression passed for an unnamed one),
# the function, and, when netsurv knows the argument from survival, what to do
# instead.

# fun:   the user-facing name, e.g. "summary() of a survival curve"
# hints: optional named character vector, argument name -> advice sentence
# ...:   the caller's `...`, passed through unevaluated
check_unused <- function(fun, ..., hints = character()) {
  n <- ...length()
  if (n == 0L) return(invisible(TRUE))
  exprs <- as.list(substitute(list(...)))[-1L]
  nms <- names(exprs)
  if (is.null(nms)) nms <- rep("", n)
  label <- ifelse(nzchar(nms), paste0("`", nms, "`"),
                  paste0("an unnamed argument (", vapply(exprs, function(e)
                    paste(deparse(e, width.cutoff = 40L)[1L], collapse = ""), ""), ")"))
  advice <- unique(unname(hints[nms[nms %in% names(hints)]]))
  stop(fun, ": ", if (n == 1L) "argument " else "arguments ",
       paste(label, collapse = ", "), if (n == 1L) " is" else " are",
       " not used by netsurv and would be ignored",
       if (length(advice)) paste0("; ", paste(advice, collapse = "; ")) else
         "; drop it (see the help page's \"Differences from survival\")",
       call. = FALSE)
}

# Advice for survival arguments that netsurv's curve methods do not take.
curve_hints <- c(
  compare = "for a test between groups use logrank() (or rmst_test() where available)",
  data.frame = "use as.data.frame(summary(fit, ...)) for a data frame",
  dosum = "netsurv sums n.event and n.censor between requested times always (survival's default)",
  mark.time = "plot() arguments belong to plot(), not here",
  fun = "plot() arguments belong to plot(), not here",
  type = "survival's `type` applies to predictions; curves have one type"
)

# x, or y when x is NULL (base R has it only from 4.4).
`%||%` <- function(x, y) if (is.null(x)) y else x
