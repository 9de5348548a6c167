# make bench: runs every bench/bench-*.R, each of which times netsurv and
# survival side by side in this one R process and prints ratios.
scripts <- sort(list.files("bench", pattern = "^bench-.*[.]R$", full.names = TRUE))
for (script in scripts) {
  cat("\n==", script, "\n")
  source(script, local = new.env(parent = globalenv()), echo = FALSE)
}
