#!/usr/bin/env bash
# The lab's Python tools, on inputs made by the tests themselves: no engine,
# no image (tests/units/test_*.py, Python's unittest). Each test case counts
# as one check.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
python3 -W error::ResourceWarning -m unittest discover -s tests/units -p 'test_*.py' -v >"$WORK/out" 2>&1
status=$?
# unittest -v: "name (module.Class.name) ... ok", "... FAIL", "... ERROR".
while IFS= read -r line; do
  case $line in
    *" ... ok") pass "${line% ... ok}" ;;
    *" ... FAIL" | *" ... ERROR") fail "${line% ... *}" "$(grep -A 12 -F -- "${line%% (*}" "$WORK/out" | sed -n '/^Traceback/,/^[A-Za-z]*Error/p' | tail -n 6)" ;;
  esac
done < <(grep -E ' \.\.\. (ok|FAIL|ERROR)$' "$WORK/out")
ran=$(sed -nE 's/^Ran ([0-9]+) tests?.*/\1/p' "$WORK/out")
if [ "${ran:-0}" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$TESTS_FAILED" -eq 0 ]; }; then
  fail "the unit tests ran (exit status $status, ${ran:-no} tests)" "$(tail -n 15 "$WORK/out")"
fi
finish
