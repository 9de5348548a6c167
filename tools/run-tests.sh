#!/usr/bin/env bash
# The test command (make test): the C core's Check tests under ASan/UBSan, the
# testthat suite against netsurv installed in ./lib, then R CMD build and
# R CMD check on the tarball. Every test counts once in the closing line
# "N passed, N failed"; the exit status is non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
R=${R:-R}
RSCRIPT=${RSCRIPT:-Rscript}
LIB=$PWD/lib
LOG=$PWD/build
mkdir -p "$LIB" "$LOG"
passed=0
failed=0

# 1. Check unit tests of src/core. Check prints "NN%: Checks: N, Failures: F, Errors: E".
echo "== C core (Check, ASan + UBSan)"
make -s -C tests/c run 2>&1 | tee "$LOG/c-tests.log"
c_status=${PIPESTATUS[0]}
read -r c_checks c_bad < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' \
  "$LOG/c-tests.log" | awk '{n += $1; bad += $2 + $3} END {print n + 0, bad + 0}')
passed=$((passed + c_checks - c_bad))
failed=$((failed + c_bad))
if [ "$c_status" -ne 0 ] && [ "$c_bad" -eq 0 ]; then
  echo "C tests did not build or crashed outside a test"
  failed=$((failed + 1))
fi

# 1b. Replay of the libFuzzer regression corpus (tests/fuzz/corpus/<harness>/):
#     one test per harness. `make fuzz` runs the fuzzers themselves.
echo "== fuzz corpus replay (libFuzzer, ASan + UBSan)"
if command -v "${CLANG:-clang}" > /dev/null 2>&1; then
  make -s -C tests/fuzz replay 2>&1 | tee "$LOG/fuzz-replay.log"
  f_pass=$(grep -c '^REPLAY .* PASS' "$LOG/fuzz-replay.log")
  f_fail=$(grep -c '^REPLAY .* FAIL' "$LOG/fuzz-replay.log")
  n_harness=$(ls tests/fuzz/fuzz_*.c | wc -l)
  passed=$((passed + f_pass))
  failed=$((failed + n_harness - f_pass))
  [ "$f_fail" -gt 0 ] && echo "fuzz corpus replay: $f_fail harness(es) failed"
else
  echo "clang not found: the fuzz corpus replay cannot run"
  failed=$((failed + 1))
fi

# 2. testthat against the package installed in ./lib.
echo "== testthat"
if "$R" CMD INSTALL --preclean --clean --no-multiarch --library="$LIB" . > "$LOG/install.log" 2>&1; then
  R_LIBS="$LIB" NOT_CRAN=true "$RSCRIPT" --vanilla tools/testthat.R "$LOG/testthat-counts.txt"
  if [ -s "$LOG/testthat-counts.txt" ]; then
    read -r t_passed t_failed < "$LOG/testthat-counts.txt"
  else
    echo "testthat did not run to the end"
    t_passed=0; t_failed=1
  fi
  passed=$((passed + t_passed))
  failed=$((failed + t_failed))
else
  tail -n 30 "$LOG/install.log"
  echo "R CMD INSTALL failed"
  failed=$((failed + 1))
fi

# 3. R CMD build, then R CMD check on the tarball: one test each; a check
#    passes with no ERROR and no WARNING (NOTEs are explained in cran-comments.md).
echo "== R CMD build"
version=$(sed -n 's/^Version: *//p' DESCRIPTION)
tarball=netsurv_$version.tar.gz
rm -f "$tarball"
if R_LIBS="$LIB" "$R" CMD build . > "$LOG/build.log" 2>&1 && [ -f "$tarball" ]; then
  passed=$((passed + 1))
  echo "== R CMD check --no-manual $tarball"
  rm -rf "$LOG/check"
  mkdir -p "$LOG/check"
  _R_CHECK_CRAN_INCOMING_=false "$R" CMD check --no-manual -o "$LOG/check" "$tarball" \
    > "$LOG/check.log" 2>&1
  grep -E '^(\* checking .*\.\.\. (NOTE|WARNING|ERROR)|Status:)' "$LOG/check.log"
  if grep -q '^Status:' "$LOG/check.log" && ! grep -qE '^Status:.*(ERROR|WARNING)' "$LOG/check.log"; then
    passed=$((passed + 1))
  else
    tail -n 60 "$LOG/check.log"
    failed=$((failed + 1))
  fi
  rm -f "$tarball"
else
  tail -n 30 "$LOG/build.log"
  echo "R CMD build failed"
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
