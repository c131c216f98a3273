#!/usr/bin/env bash
# make library-sizes: why the notes service uses SQLiteNIO. The same SQL
# built with each SQLite library as a fully static binary, in the Swift
# builder (GRDB's probe in the builder with SQLite's headers added); each
# probe must run and print what it stored, and the table must say what each
# library costs. The probes' packages and build folders stay between runs
# (examples/sqlite/.build-library-probes, git-ignored): a second run takes
# seconds.
set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 1
source tests/lib.sh

require_engine
WORK=$(mktemp -d)
on_exit rm -rf "$WORK"

if out=$(make --no-print-directory library-sizes RESULTS_DIR="$WORK" 2>&1); then
  pass "make library-sizes builds, runs and measures both probes"
  json=$WORK/sqlite-library-sizes.json
  assert_eq "both libraries measured, SQLiteNIO first" "sqlite-nio grdb" "$(jq -r '[.libraries[].library] | join(" ")' "$json" 2>&1)"
  assert_eq "SQLiteNIO compiles its own SQLite in; GRDB links the system's" \
    "its own copy, compiled in|the system's libsqlite3" "$(jq -r '[.libraries[].sqlite] | join("|")' "$json" 2>&1)"
  assert_eq "each static binary is larger than its stripped self, and over 1 MB" true \
    "$(jq 'all(.libraries[]; .stripped_bytes < .bytes and .stripped_bytes > 1000000)' "$json" 2>&1)"
  check "it prints the table" grep -qE '^\| sqlite-nio \| [0-9.]+ MB \| [0-9.]+ MB \| (no|yes \([0-9]+ symbols\)) \| its own copy, compiled in \|$' <<<"$out"
  check "it prints the docker run of each probe's build" \
    grep -qE '^\$ [^ ]*docker run --rm .* swiftlab-tools/swift-sqlite swift build -c release -Xswiftc -static-executable' <<<"$out"
  assert_eq "it writes the CSV too: a header and two rows" 3 "$(wc -l <"$WORK/sqlite-library-sizes.csv" 2>/dev/null || echo 0)"
else
  fail "make library-sizes builds, runs and measures both probes" "$(tail -n 15 <<<"$out")"
fi
finish
