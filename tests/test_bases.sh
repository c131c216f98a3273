#!/usr/bin/env bash
# The base images that `make bases` resolved: what is in them, their sizes,
# and that the Swift builder works with the network cut off.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

RECORD=$RESULTS_DIR/bases.json
require_engine
[ -s "$RECORD" ] || die "no $RECORD (run: make bases)"
MODE=$(jq -r .mode "$RECORD")
say "bases: $MODE ($(jq -r '[.bases[].name] | join(", ")' "$RECORD"))"

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"

keys=(slim static cc swift)
[ "$MODE" = local ] && keys+=(bookworm)
for key in "${keys[@]}"; do
  name=$(base_image "$key") || { fail "the record names a $key base"; continue; }
  if [ "$("$DOCKER" image inspect --format '{{.Id}}' "$name" 2>/dev/null)" = "$(jq -r --arg k "$key" '.bases[] | select(.key == $k) | .id' "$RECORD")" ]; then
    pass "$key base $name exists with the recorded image ID"
  else
    fail "$key base $name exists with the recorded image ID"
  fi
done
SLIM=$(base_image slim) STATIC=$(base_image static) CC=$(base_image cc) SWIFT_IMAGE=$(base_image swift)

# --- The system each base is built from, and its glibc ------------------------
# Every base is Debian 13 (trixie) but the Swift builder, which stays on
# Debian 12 (the official Swift images have no Debian 13 tag), and its local
# bootstrap base; in registry mode eclipse-temurin is Ubuntu's (Temurin
# publishes no Debian image). The record states each one's system and glibc
# (make bases prints them): here they are read again from each image.
while IFS='|' read -r key local_release registry_release; do
  name=$(jq -r --arg k "$key" '.bases[] | select(.key == $k) | .name' "$RECORD")
  [ -n "$name" ] || continue
  expected=$local_release
  [ "$MODE" = local ] || expected=$registry_release
  release=$(image_release "$name")
  assert_match "$key base ($name) is built from $expected" "^$expected\$" "$release"
  assert_eq "the record states the system of the $key base" "$release" \
    "$(jq -r --arg k "$key" '.bases[] | select(.key == $k) | .release' "$RECORD")"
  assert_eq "the record states the glibc of the $key base" "$(image_glibc "$name")" \
    "$(jq -r --arg k "$key" '.bases[] | select(.key == $k) | .glibc' "$RECORD")"
done <<'RELEASES'
slim|debian 13|debian 13
bookworm|debian 12|-
static|debian 13|debian 13
cc|debian 13|debian 13
swift|debian 12|debian 12
golang|debian 13|debian 13
jdk|debian 13|ubuntu [0-9.]+
jre|debian 13|ubuntu [0-9.]+
python|debian 13|debian 13
python-slim|debian 13|debian 13
node|debian 13|debian 13
node-slim|debian 13|debian 13
RELEASES
assert_eq "slim base's glibc is Debian 13's (2.41)" "2.41" "$(image_glibc "$SLIM")"
assert_eq "static base has no glibc" "-" "$(image_glibc "$STATIC")"

# A binary built against one glibc runs on that glibc or a later one, never
# an earlier: every image's build bases must carry a glibc no newer than its
# final base's (the Swift builder's 2.36 under Debian 13's 2.41). Checked
# for every image of every manifest whose final base has a glibc, from the
# record (and so in either mode).
load_manifests
version_le() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]; }
glibc_of() { jq -r --arg k "$1" '.bases[] | select(.key == $k) | .glibc' "$RECORD"; }
for i in "${!IMG_NAME[@]}"; do
  runtime=${IMG_BASE[$i]}
  [ "$runtime" = scratch ] && continue
  runtime_glibc=$(glibc_of "$runtime")
  [ -n "$runtime_glibc" ] && [ "$runtime_glibc" != - ] || continue
  for build in ${IMG_BUILD_BASES[$i]//,/ }; do
    [ "$build" = - ] && continue
    build_glibc=$(glibc_of "$build")
    [ -n "$build_glibc" ] || { fail "${IMG_NAME[$i]}: the record has its build base $build"; continue; }
    if [ "$build_glibc" = - ] || version_le "$build_glibc" "$runtime_glibc"; then
      pass "${IMG_NAME[$i]}: its build stage's glibc ($build $build_glibc) is no newer than its runtime's ($runtime $runtime_glibc)"
    else
      fail "${IMG_NAME[$i]}: its build stage's glibc ($build $build_glibc) is newer than its runtime's ($runtime $runtime_glibc): what it builds may not run"
    fi
  done
done

# --- Debian slim ---------------------------------------------------------------
assert_eq "slim base has merged /usr (/bin -> usr/bin)" "usr/bin" "$("$DOCKER" run --rm "$SLIM" readlink /bin)"
docs=$("$DOCKER" run --rm "$SLIM" sh -c 'find /usr/share/man /usr/share/doc -type f ! -name copyright 2>/dev/null | wc -l')
assert_eq "slim base has no man pages or docs (only copyright files)" "0" "$docs"

# --- Distroless --------------------------------------------------------------------
for key in static cc; do
  name=$(base_image "$key")
  image_files "$name" >"$WORK/$key.files" || { fail "list the files of $name"; continue; }
  for path in bin/sh usr/bin/sh bin/bash usr/bin/dpkg usr/bin/apt; do
    if grep -qxF "$path" "$WORK/$key.files"; then fail "$key base has no $path"; else pass "$key base has no $path"; fi
  done
  if grep -qxF etc/ssl/certs/ca-certificates.crt "$WORK/$key.files" &&
    [ "$(image_file "$name" /etc/ssl/certs/ca-certificates.crt | grep -c 'BEGIN CERTIFICATE')" -gt 100 ]; then
    pass "$key base has the CA bundle"
  else
    fail "$key base has the CA bundle (/etc/ssl/certs/ca-certificates.crt with over 100 certificates)"
  fi
  assert_match "$key base has the nonroot user (65532)" '(^|'$'\n'')nonroot:x:65532:65532:' "$(image_file "$name" /etc/passwd)"
  if grep -qxF usr/share/zoneinfo/Europe/Paris "$WORK/$key.files"; then pass "$key base has time zone data"; else fail "$key base has time zone data"; fi
done
sed 's#.*/##' "$WORK/cc.files" >"$WORK/cc.names"
sed 's#.*/##' "$WORK/static.files" >"$WORK/static.names"
for lib in libc.so.6 libstdc++.so.6 libgcc_s.so.1; do
  if grep -qxF "$lib" "$WORK/cc.names"; then pass "cc base has $lib"; else fail "cc base has $lib"; fi
  if grep -qxF "$lib" "$WORK/static.names"; then fail "static base has no $lib"; else pass "static base has no $lib"; fi
done

# A static binary runs on the static base, as the FROM scratch/distroless images will.
if [ -x "${SERVER_BIN:-}" ]; then
  out=$("$DOCKER" run --rm --user 65532:65532 -v "$(realpath "$SERVER_BIN"):/server:ro" "$STATIC" /server --version 2>&1)
  assert_match "the static server binary runs on the static base as nonroot" '^server \(Swift ' "$out"
else
  skip "the static server binary runs on the static base" "no SERVER_BIN; run through make test"
fi

# --- The Swift builder -----------------------------------------------------------------
assert_match "Swift builder has a Swift 6 toolchain" 'Swift version 6\.' "$("$DOCKER" run --rm "$SWIFT_IMAGE" swift --version 2>&1)"
network=(--network none)
if [ "$MODE" = registry ]; then
  network=()
  say "BASES=registry: the official builder fetches dependencies from the network"
fi
start=$(now_ms)
if out=$("$DOCKER" run --rm "${network[@]}" -v "$PWD/tests/fixtures/builder-smoke:/src:ro" "$SWIFT_IMAGE" \
  bash -c 'cp -r /src /tmp/pkg && cd /tmp/pkg && swift build 2>&1 | tail -n 3 && .build/debug/BuilderSmoke' 2>&1) &&
  [[ $out == *"builder ok: Swift with swift-log"* ]]; then
  pass "Swift builder resolves, builds and runs a package with a dependency ${network[*]:+with --network none} ($(($(now_ms) - start)) ms)"
else
  fail "Swift builder resolves, builds and runs a package with a dependency ${network[*]:+with --network none}" "$out"
fi

# --- The other languages' bases: the version of the official tag -----------------------
# key, command, what its output must match (the language version of the tag).
while IFS='|' read -r key command expected; do
  name=$(base_image "$key" 2>/dev/null) || { fail "the record names a $key base (an example needs it)"; continue; }
  assert_match "$key base ($name): $command" "$expected" "$("$DOCKER" run --rm "$name" sh -c "$command" 2>&1)"
done <<'BASES_LIST'
golang|go version|^go version go1\.27
jdk|java -version|version "25\.
jdk|jlink --version|^25\.
jdk|jlink --add-modules java.base --output /tmp/java && /tmp/java/bin/java -version|version "25\.
jre|java -version|version "25\.
python|python3 --version|^Python 3\.13\.
python|python3 -m venv --help|usage: venv
python|gcc --version|^gcc
python-slim|python3 --version|^Python 3\.13\.
node|node --version|^v20\.
node|npm --version|^[0-9]+\.
node-slim|node --version|^v20\.
BASES_LIST

# Only what the selected examples need: the Go example alone needs slim,
# distroless static and golang. In the mode the lab chose (a fresh record
# with BASES=auto and no registry is an error for a user who is not root).
if out=$(BASES=$MODE EXAMPLE=go RESULTS_DIR="$WORK/go-results" BASES_LOCK="$WORK/go.lock" bash dockerfiles/bases/bases.sh 2>&1); then
  assert_eq "make bases EXAMPLE=go resolves only the bases the Go example needs" "slim static golang" \
    "$(jq -r '[.bases[].key] | join(" ")' "$WORK/go-results/bases.json")"
  assert_eq "make bases EXAMPLE=go pins those bases in its lock" "slim static golang" \
    "$(grep -v '^#' "$WORK/go.lock" | cut -f1 | paste -sd' ' -)"
else
  fail "make bases EXAMPLE=go succeeds" "$(tail -n 5 <<<"$out")"
fi

# --- Built on a local base or an official one, a Dockerfile behaves the same ------------
# An image inherits its base's SHELL; the official images set none, so RUN
# lines run under /bin/sh -c. A local base that set one (bash, say) would
# change what every RUN line of the lab means.
for key in $(jq -r '.bases[].key' "$RECORD"); do
  assert_eq "$key base sets no SHELL, as the official image does not" "null" \
    "$("$DOCKER" image inspect --format '{{json .Config.Shell}}' "$(base_image "$key")" 2>&1)"
done
for key in slim swift; do
  name=$(base_image "$key")
  # shellcheck disable=SC2016 # ${BASE} is the Dockerfile's, $$ the RUN shell's
  printf 'ARG BASE\nFROM ${BASE}\nRUN readlink -f /proc/$$/exe >/run-shell\n' >"$WORK/Dockerfile.shell"
  if out=$(DOCKER_BUILDKIT=1 "$DOCKER" build -q --build-arg "BASE=$name" -f "$WORK/Dockerfile.shell" -t swiftlab-test/shell "$WORK" 2>&1); then
    assert_eq "a RUN line on the $key base runs under /bin/sh, as on the official image" \
      "$("$DOCKER" run --rm "$name" readlink -f /bin/sh)" "$(image_file swiftlab-test/shell /run-shell)"
  else
    fail "build a RUN line on the $key base" "$out"
  fi
  "$DOCKER" image rm swiftlab-test/shell >/dev/null 2>&1
done

# --- Sizes against the goals (local bases) ----------------------------------------------------
if [ "$MODE" = local ]; then
  assert_le "slim base size in bytes (goal 90 MB)" "$(image_unpacked "$SLIM")" 90000000
  assert_le "static base size in bytes (goal 5 MB)" "$(image_unpacked "$STATIC")" 5000000
  assert_le "cc base size in bytes (goal 30 MB)" "$(image_unpacked "$CC")" 30000000
else
  skip "local base size goals" "BASES=$MODE uses the official images"
fi

# --- make bases again: nothing to do ----------------------------------------------------------
before=$(jq -r '[.bases[].id] | join(" ")' "$RECORD")
lock_before=$(grep -v '^#' "$LOCK")
start=$(now_ms)
if out=$(make --no-print-directory bases BASES="$MODE" 2>&1); then
  elapsed=$(($(now_ms) - start))
  assert_eq "a second make bases keeps every image ID" "$before" "$(jq -r '[.bases[].id] | join(" ")' "$RECORD")"
  assert_eq "a second make bases keeps every pin" "$lock_before" "$(grep -v '^#' "$LOCK")"
  if grep -qE 'building|bootstrapping|pulling' <<<"$out"; then
    fail "a second make bases builds nothing" "$out"
  else
    pass "a second make bases builds nothing"
  fi
  assert_le "a second make bases takes seconds (ms)" "$elapsed" 30000
else
  fail "a second make bases succeeds" "$out"
fi

finish
