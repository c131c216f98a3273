#!/usr/bin/env bash
# The server binary on the host: the HTTP contract, bad input, the
# self-probe, signals, and what the release binary links.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

# make build writes the stripped binary, as the scratch image carries it, beside.
# shellcheck disable=SC2153 # SERVER_BIN is a setting (dockerfiles/steps/defaults.mk)
STRIPPED_BIN=$(dirname "$(dirname "$SERVER_BIN")")/server
BINARY_BUDGET_BYTES=${BINARY_BUDGET_BYTES:-25000000}
[ -x "$SERVER_BIN" ] || die "no server binary at $SERVER_BIN (run: make build)"

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"

# start_server NAME [VAR=VALUE...]: the server in the background with the
# given environment; stdout and stderr go to $WORK/NAME.out and .err.
start_server() {
  local name=$1; shift
  env "$@" "$SERVER_BIN" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SERVER_PID=$!
  on_exit kill -KILL "$SERVER_PID"
}

# server_failed NAME DESCRIPTION: a failure with the server's logs.
server_failed() {
  fail "$2"
  show_log "$1 stdout" "$WORK/$1.out"
  show_log "$1 stderr" "$WORK/$1.err"
}

say "server binary: $SERVER_BIN"

# --- The contract -----------------------------------------------------------
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
start_server main PORT="$PORT" HOST=127.0.0.1
if wait_for_http "$BASE/healthz" "$SERVER_PID" 15; then
  pass "server starts and answers on a free port ($PORT)"
else
  server_failed main "server starts and answers on a free port ($PORT)"
  finish; exit
fi
MAIN_PID=$SERVER_PID

check_contract "$BASE" "$(hostname)" Swift "$("$SERVER_BIN" --version | sed -E 's/^server \(Swift ([^,]+),.*/\1/')"

# Malformed requests must not crash or stall the server.
exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'THIS IS NOT HTTP\r\n\r\n' >&3 && timeout 2 cat <&3 >/dev/null
exec 3>&-
exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n' >&3 && timeout 2 cat <&3 >/dev/null
exec 3>&-
assert_eq "still healthy after malformed requests" "ok" "$(curl -fsS --max-time 2 "$BASE/healthz")"

# A bounded burst of concurrent requests: every one answered.
burst=$(seq 1 100 | xargs -P 20 -I{} curl -sS -o /dev/null --max-time 5 -w '%{http_code}\n' "$BASE/info" | sort | uniq -c | awk '{print $1" "$2}')
assert_eq "100 concurrent requests (20 at a time) all get 200" "100 200" "$burst"

sleep 0.2
access_lines=$(grep -cE ' GET /info 200 [0-9]+\.[0-9]{3}ms$' "$WORK/main.out")
if [ "$access_lines" -ge 100 ]; then
  pass "each request is logged on stdout with method, path, status and duration"
else
  server_failed main "each request is logged on stdout with method, path, status and duration (found $access_lines GET /info lines)"
fi
assert_match "a 404 is logged with its status" ' GET /no/such/page 404 ' "$(cat "$WORK/main.out")"
if [ -s "$WORK/main.err" ]; then server_failed main "nothing is written to stderr while serving"; else pass "nothing is written to stderr while serving"; fi

# --- The self-probe -----------------------------------------------------------
PORT="$PORT" "$SERVER_BIN" healthcheck
assert_eq "healthcheck exits 0 against a healthy server" "0" "$?"
PORT="$PORT" "$SERVER_BIN" --healthcheck
assert_eq "--healthcheck does the same" "0" "$?"

IDLE_PORT=$(free_port)
start=$(now_ms)
probe_err=$(PORT="$IDLE_PORT" "$SERVER_BIN" healthcheck 2>&1 >/dev/null)
status=$?
elapsed=$(($(now_ms) - start))
assert_eq "healthcheck exits 1 when nothing listens" "1" "$status"
assert_le "healthcheck with nothing listening answers within 2000 ms" "$elapsed" 2000
assert_match "healthcheck failure is one line naming the port" "^server: healthcheck failed: connect to 127.0.0.1:$IDLE_PORT: [^"$'\n'"]+$" "$probe_err"

# The probe goes where HOST says: a name is resolved, a wildcard means loopback.
# probe_outcome PORT HOST: "STATUS STDERR" of `server healthcheck` with them.
probe_outcome() {
  local out status
  out=$(PORT=$1 HOST=$2 "$SERVER_BIN" healthcheck 2>&1)
  status=$?
  echo "$status $out"
}
assert_eq "healthcheck with HOST=localhost resolves the name and finds the server on 127.0.0.1" "0 " "$(probe_outcome "$PORT" localhost)"
ALT_PORT=$(free_port)
start_server alt PORT="$ALT_PORT" HOST=127.0.0.2
if wait_for_http "http://127.0.0.2:$ALT_PORT/healthz" "$SERVER_PID" 10; then
  assert_eq "healthcheck follows HOST=127.0.0.2 to a server listening there" "0 " "$(probe_outcome "$ALT_PORT" 127.0.0.2)"
  assert_eq "healthcheck with HOST=0.0.0.0 probes 127.0.0.1, where that server is not" \
    "1 server: healthcheck failed: connect to 127.0.0.1:$ALT_PORT: Connection refused" "$(probe_outcome "$ALT_PORT" 0.0.0.0)"
else
  server_failed alt "server starts with HOST=127.0.0.2"
fi
kill -TERM "$SERVER_PID"; wait_exit "$SERVER_PID" 2
if grep -qE '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
  V6_PORT=$(free_port)
  start_server v6 PORT="$V6_PORT" HOST=::
  if wait_for_http "http://[::1]:$V6_PORT/healthz" "$SERVER_PID" 10; then
    assert_eq "healthcheck with HOST=:: probes ::1" "0 " "$(probe_outcome "$V6_PORT" ::)"
    assert_eq "healthcheck with HOST=::1 probes ::1" "0 " "$(probe_outcome "$V6_PORT" ::1)"
  else
    server_failed v6 "server starts with HOST=::"
  fi
  kill -TERM "$SERVER_PID"; wait_exit "$SERVER_PID" 2
else
  skip "healthcheck with HOST=:: and HOST=::1" "this machine has no IPv6 loopback address"
fi

# A listener that accepts but never answers: the probe gives up in time.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(10)
' >"$WORK/silent.port" &
SILENT_PID=$!
on_exit kill "$SILENT_PID"
for _ in $(seq 50); do [ -s "$WORK/silent.port" ] && break; sleep 0.1; done
start=$(now_ms)
PORT=$(cat "$WORK/silent.port") "$SERVER_BIN" healthcheck 2>/dev/null
status=$?
elapsed=$(($(now_ms) - start))
assert_eq "healthcheck exits 1 when the server never answers" "1" "$status"
assert_le "healthcheck against a silent server gives up within 2000 ms" "$elapsed" 2000

# --- Bad input ----------------------------------------------------------------
for bad in abc 0 65536 -1 8080x 99999999999 " 80"; do
  out=$(PORT="$bad" "$SERVER_BIN" 2>"$WORK/bad.err")
  status=$?
  err=$(cat "$WORK/bad.err")
  if [ "$status" -eq 64 ] && [ -z "$out" ] && [ "$(wc -l <"$WORK/bad.err")" -eq 1 ] &&
    [[ $err == "server: invalid PORT \"$bad\": expected an integer from 1 to 65535" ]]; then
    pass "PORT=\"$bad\" exits 64 with one line naming PORT and the value"
  else
    fail "PORT=\"$bad\" exits 64 with one line naming PORT and the value" "status: $status" "stdout: $out" "stderr: $err"
  fi
done

out=$(PORT=nope "$SERVER_BIN" healthcheck 2>&1)
assert_eq "healthcheck with a bad PORT exits 64" "64" "$?"
out=$(LOG_LEVEL=loud "$SERVER_BIN" 2>&1)
status=$?
assert_eq "LOG_LEVEL=loud exits 64" "64" "$status"
assert_match "LOG_LEVEL error names the variable and value" '^server: invalid LOG_LEVEL "loud": expected one of ' "$out"
out=$("$SERVER_BIN" --bogus 2>&1)
assert_eq "an unknown argument exits 64" "64" "$?"
assert_eq "--help prints usage" "usage: server [healthcheck | --healthcheck | --version | --help]" "$("$SERVER_BIN" --help | head -n1)"

start_server busy PORT="$PORT" HOST=127.0.0.1
if wait_exit "$SERVER_PID" 5; then
  err=$(cat "$WORK/busy.err")
  if [ "$WAIT_STATUS" -ne 0 ] && [ "$(wc -l <"$WORK/busy.err")" -eq 1 ] &&
    [[ $err == "server: cannot listen on 127.0.0.1:$PORT: address already in use"* ]]; then
    pass "a busy port exits non-zero ($WAIT_STATUS) with one line on stderr"
  else
    server_failed busy "a busy port exits non-zero with one line on stderr (status $WAIT_STATUS)"
  fi
else
  server_failed busy "a busy port exits instead of hanging"
fi

# --- Configuration --------------------------------------------------------------
QUIET_PORT=$(free_port)
start_server quiet PORT="$QUIET_PORT" HOST=127.0.0.1 LOG_LEVEL=warning
if wait_for_http "http://127.0.0.1:$QUIET_PORT/healthz" "$SERVER_PID" 10; then
  curl -fsS -o /dev/null "http://127.0.0.1:$QUIET_PORT/"
  sleep 0.2
  assert_eq "LOG_LEVEL=warning silences the access log" "" "$(cat "$WORK/quiet.out")"
else
  server_failed quiet "server starts with LOG_LEVEL=warning"
fi
kill -TERM "$SERVER_PID"; wait_exit "$SERVER_PID" 2

# --- Signals ----------------------------------------------------------------------
for signal in TERM INT; do
  SIG_PORT=$(free_port)
  start_server "sig$signal" PORT="$SIG_PORT" HOST=127.0.0.1
  if ! wait_for_http "http://127.0.0.1:$SIG_PORT/healthz" "$SERVER_PID" 10; then
    server_failed "sig$signal" "server starts for the SIG$signal test"
    continue
  fi
  # Hold a keep-alive connection open: shutdown must not wait for it.
  exec 4<>"/dev/tcp/127.0.0.1/$SIG_PORT"
  printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&4
  sleep 0.2
  kill -"$signal" "$SERVER_PID"
  if wait_exit "$SERVER_PID" 3 && [ "$WAIT_STATUS" -eq 0 ] && [ "$WAIT_MS" -lt 1000 ]; then
    pass "SIG$signal with an idle keep-alive connection: exit 0 in ${WAIT_MS} ms"
    assert_match "SIG$signal: the last log line says it stopped cleanly" 'stopped cleanly$' "$(tail -n1 "$WORK/sig$signal.out")"
  else
    server_failed "sig$signal" "SIG$signal: exit 0 in under 1000 ms (status $WAIT_STATUS, ${WAIT_MS} ms)"
  fi
  exec 4>&-
done

kill -TERM "$MAIN_PID"
if wait_exit "$MAIN_PID" 3 && [ "$WAIT_STATUS" -eq 0 ] && [ "$WAIT_MS" -lt 1000 ]; then
  pass "SIGTERM after serving 100+ requests: exit 0 in ${WAIT_MS} ms"
else
  server_failed main "SIGTERM after serving: exit 0 in under 1000 ms (status $WAIT_STATUS, ${WAIT_MS} ms)"
fi

# --- The release binary -----------------------------------------------------------
# nm and readelf run in the Swift builder: the host needs no binutils.
use_docker
builder --quiet nm "$SERVER_BIN" >"$WORK/symbols" 2>/dev/null || true
if [ -s "$WORK/symbols" ]; then
  foundation=$(grep -cF -e "\$s10Foundation" "$WORK/symbols")
  international=$(grep -cF -e "\$s26FoundationInternationalization" "$WORK/symbols")
  icu=$(grep -cE 'icu_[0-9]+|FoundationICU' "$WORK/symbols")
  essentials=$(grep -cF -e "\$s20FoundationEssentials" "$WORK/symbols")
  assert_eq "no full-Foundation symbols (\$s10Foundation) in the binary" "0" "$foundation"
  assert_eq "no FoundationInternationalization symbols in the binary" "0" "$international"
  assert_eq "no ICU symbols (icu_NN, FoundationICU) in the binary" "0" "$icu"
  if [ "$essentials" -gt 0 ]; then pass "FoundationEssentials is linked ($essentials symbols)"; else fail "FoundationEssentials is linked"; fi
else
  fail "the release binary keeps its symbol table for the Foundation check" "nm found no symbols in $SERVER_BIN"
fi
# A static executable has no program interpreter (the dynamic loader) and
# no shared library it needs.
headers=$(builder --quiet readelf -ldW "$SERVER_BIN" 2>&1)
if [[ $headers == *"Program Headers:"* ]] && ! grep -qE 'INTERP|\(NEEDED\)' <<<"$headers"; then
  pass "the binary is statically linked (no INTERP header, no NEEDED library)"
else
  fail "the binary is statically linked (no INTERP header, no NEEDED library)" "$(grep -E 'INTERP|NEEDED|Error' <<<"$headers" | head -n 5)"
fi
assert_le "stripped static binary size in bytes" "$(wc -c <"$STRIPPED_BIN")" "$BINARY_BUDGET_BYTES"
# make build's binary is the image's: the scratch image carries these bytes.
if [ -n "$("$DOCKER" image ls -q swift-app-scratch)" ]; then
  assert_eq "make build's stripped binary is the one swift-app-scratch carries (sha256)" \
    "$(image_file swift-app-scratch /server | sha256sum | cut -d' ' -f1)" "$(sha256sum <"$STRIPPED_BIN" | cut -d' ' -f1)"
  assert_eq "stripping make build's unstripped binary gives that binary (sha256)" \
    "$(sha256sum <"$STRIPPED_BIN" | cut -d' ' -f1)" "$(# shellcheck disable=SC2016 # $1 is the inner shell's
    builder --quiet sh -c 'strip -o /tmp/s "$1" && sha256sum </tmp/s' sh "$SERVER_BIN" | cut -d' ' -f1)"
else
  fail "make build's binary is the one swift-app-scratch carries" "no image swift-app-scratch (run: make images)"
fi

finish
