# shellcheck shell=bash
# The shell tests' helpers. A test file sources this (from the lab's root),
# calls `pass`/`fail` (or the assert_* helpers built on them) once per check
# and `finish` at the end. The runner (tests/run.sh) sets TEST_COUNTS to a
# file where `finish` appends "passed failed skipped name".
#
# It sources the lab's runtime (dockerfiles/steps/runtime.sh): tests may use
# the lab's helpers; the lab never uses these.

TEST_FILE_NAME=${TEST_FILE_NAME:-$(basename "${BASH_SOURCE[1]:-$0}" .sh)}
source dockerfiles/steps/runtime.sh
TESTS_PASSED=0
TESTS_FAILED=0
TESTS_SKIPPED=0
if [ -t 1 ]; then C_OK=$'\e[32m' C_BAD=$'\e[31m'; else C_OK='' C_BAD=''; fi

pass() {
  TESTS_PASSED=$((TESTS_PASSED + 1))
  printf '  %sok%s      %s\n' "$C_OK" "$C_OFF" "$1"
}

# fail DESCRIPTION [DETAIL...]: records a failure; details are indented below.
fail() {
  TESTS_FAILED=$((TESTS_FAILED + 1))
  printf '  %sFAILED%s  %s\n' "$C_BAD" "$C_OFF" "$1"
  shift
  local line
  for line in "$@"; do printf '          %s\n' "$line"; done
}

# skip DESCRIPTION REASON: a check that does not apply here, said out loud
# and counted as skipped, never as passed.
skip() {
  TESTS_SKIPPED=$((TESTS_SKIPPED + 1))
  printf '  %sskipped%s %s (%s)\n' "$C_DIM" "$C_OFF" "$1" "$2"
}

# check DESCRIPTION CMD...: passes when CMD exits 0.
check() {
  local description=$1; shift
  local output
  if output=$("$@" 2>&1); then pass "$description"; else fail "$description" "command: $*" "$output"; fi
}

# assert_eq DESCRIPTION EXPECTED ACTUAL
assert_eq() {
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$3")"; fi
}

# assert_match DESCRIPTION EXTENDED-REGEX ACTUAL
assert_match() {
  if [[ $3 =~ $2 ]]; then pass "$1"; else fail "$1" "expected to match: $2" "actual: $(printf '%q' "$3")"; fi
}

# assert_le DESCRIPTION ACTUAL LIMIT (integers)
assert_le() {
  if [ "$2" -le "$3" ]; then pass "$1 ($2 <= $3)"; else fail "$1" "$2 is over the limit $3"; fi
}

# finish: report this file's counts and exit non-zero on any failure.
finish() {
  run_cleanup
  if [ -n "${TEST_COUNTS:-}" ]; then
    printf '%s %s %s %s\n' "$TESTS_PASSED" "$TESTS_FAILED" "$TESTS_SKIPPED" "$TEST_FILE_NAME" >>"$TEST_COUNTS"
  fi
  printf '  %s: %d passed, %d failed' "$TEST_FILE_NAME" "$TESTS_PASSED" "$TESTS_FAILED"
  [ "$TESTS_SKIPPED" -eq 0 ] || printf ', %d skipped' "$TESTS_SKIPPED"
  echo
  [ "$TESTS_FAILED" -eq 0 ]
}

# wait_for_http URL PID [SECONDS]: poll URL until it answers 200, while PID
# is still alive. Returns 1 if the process died or time ran out.
wait_for_http() {
  local url=$1 pid=$2 seconds=${3:-10} deadline
  deadline=$(($(now_ms) + seconds * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_exit PID SECONDS: wait for PID (a child of this shell) to exit; sets
# WAIT_STATUS to its exit status and WAIT_MS to how long it took. Returns 1
# (and kills it) if it is still running after SECONDS.
# shellcheck disable=SC2034 # WAIT_STATUS and WAIT_MS are read by the caller
wait_exit() {
  local pid=$1 seconds=$2 start deadline
  start=$(now_ms)
  deadline=$((start + seconds * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(now_ms)" -ge "$deadline" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      WAIT_STATUS=timeout WAIT_MS=$((seconds * 1000))
      return 1
    fi
    sleep 0.02
  done
  WAIT_STATUS=0
  wait "$pid" || WAIT_STATUS=$?
  WAIT_MS=$(($(now_ms) - start))
}

# check_contract URL HOSTNAME LANGUAGE [VERSION]: the HTTP contract
# (docs/contract.md), one check per promise, against a server at URL.
# VERSION, when given, must be what /info reports; otherwise any X.Y.
check_contract() {
  local base=$1 host=$2 language=$3 version=${4:-} info json version_re
  version_re=${version//./\\.}
  version_re=${version_re:-[0-9]+\.[0-9]+[^[:space:]]*}
  assert_eq "GET / greets" "Hello from $language in Docker! Try /info for more details." "$(curl -fsS "$base/")"
  assert_eq "GET / is text/plain" "text/plain; charset=utf-8" "$(curl -fsS -o /dev/null -w '%{content_type}' "$base/")"
  info=$(curl -fsS "$base/info")
  assert_match "GET /info is the lab's block, hostname $host" \
    "^Server Information:"$'\n'"-------------------"$'\n'"$language Version: $version_re"$'\n'"OS/Arch: linux/$(uname -m)"$'\n'"Hostname: $host\$" "$info"
  json=$(curl -fsS -H 'Accept: application/json' "$base/info")
  assert_eq "GET /info as JSON" "$language linux $(uname -m) $host" \
    "$(jq -r '[.language, .os, .arch, .hostname] | join(" ")' <<<"$json" 2>&1)"
  assert_eq "GET /info as JSON has the text's version" \
    "$(sed -n "s/^$language Version: //p" <<<"$info")" "$(jq -r .version <<<"$json" 2>&1)"
  assert_eq "GET /info JSON content type" "application/json; charset=utf-8" \
    "$(curl -fsS -o /dev/null -w '%{content_type}' -H 'Accept: application/json' "$base/info")"
  assert_eq "GET /healthz says ok" "ok" "$(curl -fsS "$base/healthz")"
  for path in / /info /healthz; do
    assert_eq "HEAD $path is 200 with no body" "200 0" "$(curl -sS -I -o /dev/null -w '%{http_code} %{size_download}' "$base$path")"
  done
  assert_eq "unknown path is 404" "404" "$(curl -sS -o /dev/null -w '%{http_code}' "$base/no/such/page")"
  assert_eq "POST /info is 405" "405" "$(curl -sS -X POST -o /dev/null -w '%{http_code}' "$base/info")"
  assert_eq "405 says which methods are allowed" "GET, HEAD" "$(header_of "$base/info" Allow -X POST)"
  assert_eq "DELETE / is 405" "405" "$(curl -sS -X DELETE -o /dev/null -w '%{http_code}' "$base/")"
  # Caching (docs/contract.md#caching): only the greeting may be stored.
  assert_eq "GET / may be cached for a minute" "public, max-age=60" "$(header_of "$base/" Cache-Control)"
  assert_eq "GET /info is never stored (it describes one container)" "no-store" "$(header_of "$base/info" Cache-Control)"
  assert_eq "GET /info as JSON is never stored" "no-store" "$(header_of "$base/info" Cache-Control -H 'Accept: application/json')"
  assert_eq "GET /healthz is never stored" "no-store" "$(header_of "$base/healthz" Cache-Control)"
  assert_eq "HEAD /healthz is never stored" "no-store" "$(header_of "$base/healthz" Cache-Control -I)"
  assert_eq "a 404 is never stored" "no-store" "$(header_of "$base/no/such/page" Cache-Control)"
  assert_eq "a 405 is never stored" "no-store" "$(header_of "$base/info" Cache-Control -X POST)"
}

# header_of URL NAME [CURL OPTION...]: the value of one response header.
header_of() {
  local url=$1 name=$2
  shift 2
  curl -sS -D - -o /dev/null "$@" "$url" | tr -d '\r' | awk -v name="$name" 'tolower($0) ~ "^" tolower(name) ":" { sub(/^[^:]*:[ \t]*/, ""); print; exit }'
}

# image_files IMAGE: every path in IMAGE's file system, one per line,
# without a leading "./" or "/". Works for images that have no shell.
# Fails (after removing its container) when the export or its listing does.
image_files() {
  local container
  local status=0
  container=$("$DOCKER" create "$1" /nonexistent) || return 1
  "$DOCKER" export "$container" | tar -t | sed -E 's#^\./##; s#/$##' || status=$?
  "$DOCKER" rm "$container" >/dev/null
  return "$status"
}

# run_container NAME IMAGE [DOCKER RUN OPTION...]: start it detached, its
# port 8080 published on a random loopback port; sets PORT_OF_CONTAINER.
# Removed (with its anonymous volumes) when the test file ends. Its
# HEALTHCHECK runs the image's own command every second instead of every
# 5 s, so that a test waits for the first check about a second, not five.
# shellcheck disable=SC2034 # PORT_OF_CONTAINER is read by the caller
run_container() {
  local name=$1 image=$2
  shift 2
  "$DOCKER" rm -fv "$name" >/dev/null 2>&1
  on_exit "$DOCKER" rm -fv "$name"
  "$DOCKER" run -d --name "$name" -p 127.0.0.1::8080 --health-interval 1s "$@" "$image" >/dev/null || return 1
  PORT_OF_CONTAINER=$("$DOCKER" port "$name" 8080/tcp | head -n1 | sed 's/.*://')
}

# show_log NAME FILE: print a log file indented, for a failing test.
show_log() {
  printf '          --- %s ---\n' "$1"
  sed 's/^/          | /' "$2"
  printf '          --- end of %s ---\n' "$1"
}

