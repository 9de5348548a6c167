# print.R -- pieces shared by the print() methods.

# The "Call:" lines of a model's or test's print(), as print.coxph writes
# them (nothing when the object has no call).
print_call <- function(call) {
  if (is.null(call)) return(invisible())
  cat("Call:\n")
  dput(call)
  cat("\n")
}
