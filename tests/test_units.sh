#!/usr/bin/env bash
# The lab's Python tools (dockerfiles/measure/), on inputs made by the tests
# themselves: no engine, no image (tests/units/test_*.py, with the pinned
# pytest; make test-unit runs this file alone). Each test case counts as one
# check; a run that collected nothing, or that failed with no test failing,
# is a failure of its own.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

[ -x "$PYTEST" ] || die "no pytest at $PYTEST (run: make tools)"
WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
say "$("$PYTEST" --version 2>&1), on tests/units"
"$PYTEST" -p no:cacheprovider -W error::ResourceWarning -v --tb=line tests/units >"$WORK/out" 2>&1
status=$?
# pytest -v: "tests/units/test_x.py::test_name PASSED [ 10%]", FAILED, ERROR.
while IFS= read -r line; do
  name=${line%% *}
  name=${name#tests/units/}
  case $line in
    *" PASSED"*) pass "$name" ;;
    # --tb=line: one "FILE:LINE: WHY" line per failure, in the test's file.
    *" FAILED"* | *" ERROR"*)
      mapfile -t why < <(grep -E "^/.*/${name%%::*}:[0-9]+: " "$WORK/out" | sed 's#^.*/tests/units/##' | cut -c1-300)
      fail "$name" "${why[@]}"
      ;;
  esac
done < <(grep -E '^tests/units/[^ ]+::[^ ]+ (PASSED|FAILED|ERROR)' "$WORK/out")
ran=$(grep -cE '^tests/units/[^ ]+::[^ ]+ (PASSED|FAILED|ERROR)' "$WORK/out")
if [ "$ran" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$TESTS_FAILED" -eq 0 ]; }; then
  fail "the unit tests ran (exit status $status, $ran tests)" "$(tail -n 15 "$WORK/out")"
fi
finish
