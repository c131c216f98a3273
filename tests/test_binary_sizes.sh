#!/usr/bin/env bash
# make binary-sizes, quick: the same three builds in the Swift builder
# (dynamic, -static-stdlib, -static-executable), measured and tabled the
# same way, of the builder's smoke-test package (one dependency, seconds to
# build) instead of the server (minutes each).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

require_engine
WORK=$(mktemp -d)
package=tests/fixtures/builder-smoke
on_exit rm -rf "$WORK" "$package/.build-sizes-dynamic" "$package/.build-sizes-static-stdlib" "$package/.build-sizes-static"

if out=$(RESULTS_DIR=$WORK bash swift-server/scripts/binary-sizes.sh "$package" BuilderSmoke 2>&1); then
  pass "binary-sizes.sh builds and measures the three binaries"
  json=$WORK/binary-sizes.json
  assert_eq "dynamic loads shared libraries, the Swift runtime among them; -static-stdlib only the C ones; -static-executable none" \
    "dynamic yes yes|static-stdlib yes no|static no no" \
    "$(jq -r '[.variants[] | "\(.variant) \(if .shared_libraries > 0 then "yes" else "no" end) \(if .swift_runtime_bytes > 0 then "yes" else "no" end)"] | join("|")' "$json" 2>&1)"
  assert_eq "each binary grows as more is linked in, and stripping makes each smaller" "true" \
    "$(jq '[.variants[].bytes] as $b | $b[0] < $b[1] and $b[1] < $b[2] and all(.variants[]; .stripped_bytes < .bytes)' "$json" 2>&1)"
  assert_eq "the static binary's symbols, by origin, add up, and the standard library is among them" "true true" \
    "$(jq '(.static.families | map(.bytes) | add) == .static.symbol_bytes, any(.static.families[]; .origin == "Swift standard library and runtime")' "$json" 2>&1 | paste -sd' ')"
  check "it prints the table of the three binaries" grep -qE '^\| static \| -static-executable \| [0-9.]+ MB \| [0-9.]+ MB \| 0 \| - \|$' <<<"$out"
  check "it prints where the static binary's bytes go" grep -qE '^\| stripped binary \| [0-9.]+ MB \|  \|$' <<<"$out"
  assert_eq "it writes the CSV too: a header and three rows" 4 "$(wc -l <"$WORK/binary-sizes.csv" 2>/dev/null || echo 0)"
  check "it prints the docker run of each build" grep -qE '^\$ [^ ]*docker run --rm .* swift build -c release --product BuilderSmoke --scratch-path \.build-sizes-static -Xswiftc -static-executable' <<<"$out"
else
  fail "binary-sizes.sh builds and measures the three binaries" "$(tail -n 15 <<<"$out")"
fi
out=$(bash swift-server/scripts/binary-sizes.sh "$WORK/nothing" 2>&1)
assert_eq "binary-sizes.sh on a folder with no package: one line, and a non-zero exit" \
  "1|error: usage: binary-sizes.sh PACKAGE_DIR [PRODUCT] (a folder with a Package.swift)" "$?|$out"
finish
