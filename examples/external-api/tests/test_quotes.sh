#!/usr/bin/env bash
# The quote service's image (examples/external-api) against a fake upstream
# that these tests start: a container on a Docker network the tests create,
# reached by its name through Docker's DNS, over HTTP and over HTTPS with a
# CA the tests generate. Good, error, garbage, slow and unreachable
# upstreams; the service answers 200, 502 or 504 and keeps serving. This is
# what proves DNS and TLS work from a static binary in the final image.
set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 1
source tests/lib.sh

IMAGE=external-api-app-distroless
require_engine
[ -n "$("$DOCKER" image ls -q "$IMAGE")" ] || die "no image $IMAGE (run: make images EXAMPLE=external-api)"
upstream_image=$(base_image python-slim) || die "no python-slim base for the fake upstream (run: make bases EXAMPLE=external-api)"

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
chmod 755 "$WORK"
network=swiftlab-test-quotes-$$
"$DOCKER" network create "$network" >/dev/null || die "cannot create network $network"
on_exit "$DOCKER" network rm "$network"
HARDENED=(--read-only --cap-drop ALL --security-opt no-new-privileges)

say "a test CA, and a certificate for the name 'upstream' that it signs (openssl)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=swiftlab test CA" \
  -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=upstream" -keyout "$WORK/upstream.key" -out "$WORK/upstream.csr" 2>/dev/null
printf 'subjectAltName=DNS:upstream\nextendedKeyUsage=serverAuth\n' >"$WORK/ext"
openssl x509 -req -in "$WORK/upstream.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
  -extfile "$WORK/ext" -out "$WORK/upstream.pem" 2>/dev/null
cp examples/external-api/tests/fake_upstream.py "$WORK/"
chmod 644 "$WORK"/*
[ -s "$WORK/upstream.pem" ] || die "openssl did not make the test certificate"

say "the fake upstream ($upstream_image), as 'upstream' on network $network"
upstream=swiftlab-test-upstream-$$
"$DOCKER" run -d --name "$upstream" --network "$network" --network-alias upstream -v "$WORK:/fixture:ro" \
  --entrypoint python3 "$upstream_image" /fixture/fake_upstream.py --http 8000 --https 8443 \
  --cert /fixture/upstream.pem --key /fixture/upstream.key >/dev/null || die "cannot start the fake upstream"
on_exit "$DOCKER" rm -f "$upstream"
for _ in $(seq 1 40); do
  [[ $("$DOCKER" logs "$upstream" 2>&1) == *'listening on 8000, 8443'* ]] && break
  sleep 0.25
done
[[ $("$DOCKER" logs "$upstream" 2>&1) == *'listening on 8000, 8443'* ]] || { container_logs "$upstream"; die "the fake upstream did not start"; }

# quotes NAME [DOCKER RUN OPTION...]: the service on the test network,
# hardened, healthy; sets URL.
quotes() {
  local name=swiftlab-test-quotes-$1
  shift
  if run_container "$name" "$IMAGE" "${HARDENED[@]}" --network "$network" "$@" && wait_healthy "$name" 30; then
    URL=http://127.0.0.1:$PORT_OF_CONTAINER
    return 0
  fi
  fail "$name starts and reports healthy"
  container_logs "$name"
  return 1
}

# expect NAME STATUS PATTERN UPSTREAM_URL [DOCKER RUN OPTION...]: GET /quote
# answers STATUS with a body matching PATTERN, and the service still runs.
expect() {
  local name=$1 status=$2 pattern=$3 upstream_url=$4 answer
  shift 4
  quotes "$name" -e UPSTREAM_URL="$upstream_url" "$@" || return
  answer=$(curl -s --max-time 10 -o "$WORK/body" -w '%{http_code}' "$URL/quote")
  assert_match "$name: GET /quote answers $status ($(head -c 160 "$WORK/body"))" "^$status $pattern" "$answer $(cat "$WORK/body")"
  assert_eq "$name: it still serves /healthz" ok "$(curl -s --max-time 2 "$URL/healthz")"
  assert_eq "$name: it is still running, never restarted" "running 0" \
    "$("$DOCKER" inspect --format '{{.State.Status}} {{.RestartCount}}' "swiftlab-test-quotes-$name")"
  "$DOCKER" rm -fv "swiftlab-test-quotes-$name" >/dev/null
}

say "answers by name through Docker's DNS, over HTTP"
expect good 200 '\{"author":"Edsger W. Dijkstra","quote":"Simplicity is prerequisite for reliability.","source":"upstream","upstream_ms":[0-9]+,"words":5\}' \
  http://upstream:8000/quote
expect error 502 '\{"error":"the upstream answered HTTP 500"\}' http://upstream:8000/error
expect garbage 502 '\{"error":"the upstream answered something that is not JSON"\}' http://upstream:8000/garbage
expect wrong 502 '\{"error":"the upstream.s JSON has no string' http://upstream:8000/wrong
expect refused 502 '\{"error":"the upstream is unreachable: cannot connect to upstream:9: Connection refused"\}' http://upstream:9/quote
# .invalid never resolves (RFC 2606): Docker's DNS asks the host's resolver,
# which says so at once.
expect unknown-name 502 '\{"error":"the upstream is unreachable: cannot resolve no-such-upstream.invalid"\}' \
  http://no-such-upstream.invalid:8000/quote

say "a slow upstream: 504 at UPSTREAM_TIMEOUT, and the service answers others meanwhile"
if quotes slow -e UPSTREAM_URL='http://upstream:8000/slow?seconds=5' -e UPSTREAM_TIMEOUT=1500ms; then
  start=$(now_ms)
  curl -s --max-time 10 -o "$WORK/slow" -w '%{http_code}' "$URL/quote" >"$WORK/slow-status" &
  slow=$!
  sleep 0.3
  health_start=$(now_ms)
  assert_eq "slow: /healthz answers while /quote waits" ok "$(curl -s --max-time 2 "$URL/healthz")"
  assert_le "slow: ... at once (ms)" $(($(now_ms) - health_start)) 500
  wait "$slow"
  elapsed=$(($(now_ms) - start))
  assert_eq "slow: GET /quote answers 504" '504 {"error":"the upstream did not answer within 1.5 seconds"}' "$(cat "$WORK/slow-status") $(cat "$WORK/slow")"
  if [ "$elapsed" -ge 1400 ] && [ "$elapsed" -le 3000 ]; then pass "slow: ... after the timeout ($elapsed ms)"; else fail "slow: 504 after about 1.5 s" "$elapsed ms"; fi
  say "docker stop while a request waits on the slow upstream"
  curl -s --max-time 10 -o /dev/null "$URL/quote" &
  sleep 0.3
  "$DOCKER" stop swiftlab-test-quotes-slow >/dev/null
  wait
  assert_eq "slow: exit code 0 after docker stop" 0 "$("$DOCKER" inspect --format '{{.State.ExitCode}}' swiftlab-test-quotes-slow)"
  assert_match "slow: the HTTP client was shut down cleanly" 'HTTP client closed' "$("$DOCKER" logs swiftlab-test-quotes-slow 2>&1)"
fi

say "HTTPS with the test CA (SSL_CERT_FILE, mounted), and without it"
expect https 200 '\{"author":"Edsger W. Dijkstra"' https://upstream:8443/quote \
  -v "$WORK/ca.pem:/etc/swiftlab/test-ca.pem:ro" -e SSL_CERT_FILE=/etc/swiftlab/test-ca.pem
expect https-untrusted 502 '\{"error":"TLS with the upstream failed: the upstream.s certificate is not signed by a CA this service trusts' \
  https://upstream:8443/quote

say "invalid settings stop it at start with exit 64 and one line"
for setting in UPSTREAM_URL=ftp://upstream/quote 'UPSTREAM_URL=http://' UPSTREAM_TIMEOUT=soon SSL_CERT_FILE=/no/such/ca.pem; do
  out=$(timeout 30 "$DOCKER" run --rm "${HARDENED[@]}" -e "$setting" "$IMAGE" 2>&1)
  assert_match "$setting: exit 64 and one line" "^64 quotes: invalid ${setting%%=*} [^"$'\n'"]*$" "$? $out"
done

finish
