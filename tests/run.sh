#!/usr/bin/env bash
# Runs the lab's tests and ends with one line: "N passed, M failed".
#
#   tests/run.sh [--swift PACKAGE_DIR]... [SHELL_TEST_FILE]...
#
# Each Swift package runs `swift test` (XCTest) in the Swift builder image
# (make bases pins it). The packages share one build folder, .build-test at
# the lab's root: the examples use swift-server as a local package and the
# same Hummingbird, SwiftNIO and AsyncHTTPClient, which SwiftPM then compiles
# once for all three: the second and third packages build their own modules
# alone, in about a minute each. Each shell test file runs on
# its own and reports its counts through tests/lib.sh. Logs go to
# $RESULTS_DIR/test (default results/test).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

LOG_DIR=$RESULTS_DIR/test
mkdir -p "$LOG_DIR"
COUNTS=$LOG_DIR/counts
: >"$COUNTS"
# Seconds per suite ("NAME SECONDS"), for the table at the end.
TIMES=$LOG_DIR/times
: >"$TIMES"

swift_packages=()
shell_tests=()
while [ $# -gt 0 ]; do
  case $1 in
    --swift) swift_packages+=("$2"); shift 2 ;;
    -*) die "unknown option $1 (usage: tests/run.sh [--swift DIR]... [TEST_FILE]...)" ;;
    *) shell_tests+=("$1"); shift ;;
  esac
done

run_swift_tests() {
  local package=$1 name log status executed failures start=$SECONDS
  name=$(basename "$package")
  log=$LOG_DIR/swift-$name.log
  say "swift test in $package, in the Swift builder (XCTest; log: $log): the first package's build takes several minutes, each next one about a minute"
  builder --in "$package" swift test --disable-swift-testing --scratch-path /lab/.build-test 2>&1 | tee "$log" | swift_progress
  status=${PIPESTATUS[0]}
  # XCTest's last "Executed N tests, with M failures" line is the total.
  read -r executed failures < <(sed -nE 's/^[[:space:]]*Executed ([0-9]+) tests?, with ([0-9]+) failures?.*/\1 \2/p' "$log" | tail -n 1)
  if [ -z "${executed:-}" ]; then
    echo "  swift test in $package ran no tests (exit status $status); last lines of its log:"
    tail -n 30 "$log" | sed 's/^/  | /'
    echo "0 1 0 swift-test-$name" >>"$COUNTS"
    echo "swift-test-$name $((SECONDS - start))" >>"$TIMES"
    return
  fi
  if [ "$status" -ne 0 ] && [ "$failures" -eq 0 ]; then failures=1; fi
  echo "$((executed - failures)) $failures 0 xctest-$name" >>"$COUNTS"
  echo "xctest-$name $((SECONDS - start))" >>"$TIMES"
  printf '  xctest-%s: %d passed, %d failed\n' "$name" "$((executed - failures))" "$failures"
}

run_shell_test() {
  local file=$1 name before status start=$SECONDS
  name=$(basename "$file" .sh)
  say "$file"
  before=$(wc -l <"$COUNTS")
  TEST_COUNTS=$COUNTS TEST_FILE_NAME=$name bash "$file"
  status=$?
  if [ "$(wc -l <"$COUNTS")" -eq "$before" ]; then
    echo "  $name stopped (exit status $status) before it reported its results"
    echo "0 1 0 $name" >>"$COUNTS"
  fi
  echo "$name $((SECONDS - start))" >>"$TIMES"
}

[ ${#swift_packages[@]} -eq 0 ] || require_engine
for package in "${swift_packages[@]}"; do run_swift_tests "$package"; done
for file in "${shell_tests[@]}"; do run_shell_test "$file"; done

passed=$(awk '{ s += $1 } END { print s + 0 }' "$COUNTS")
failed=$(awk '{ s += $2 } END { print s + 0 }' "$COUNTS")
skipped=$(awk '{ s += $3 } END { print s + 0 }' "$COUNTS")
echo
echo "Results by suite:"
# The suite's time is on its first line only (a suite reports one line).
awk 'NR == FNR { t[$1] = $2; next }
     { time = ($4 in t) ? sprintf("%5d s  ", t[$4]) : "         "; delete t[$4]
       printf "  %-28s %s%4d passed, %d failed%s\n", $4, time, $1, $2, ($3 > 0 ? ", " $3 " skipped" : "") }' "$TIMES" "$COUNTS"
echo "  (all suites: $((SECONDS / 60)) min $((SECONDS % 60)) s)"
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
