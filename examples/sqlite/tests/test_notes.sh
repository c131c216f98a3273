#!/usr/bin/env bash
# The notes service's image (examples/sqlite) under load and faults, on
# loopback only: 2,000 concurrent POSTs, docker rm and a new container, a
# SIGKILL in the middle of a write load, docker stop during one. After each,
# every acknowledged note must be there and PRAGMA integrity_check must say
# ok. Also the API through the real image, and a database that cannot be
# used stopping it at once in one line. Each step is bounded in time.
set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 1
source tests/lib.sh

IMAGE=sqlite-app-scratch
LOAD=(python3 examples/sqlite/tests/notes_load.py)
require_engine
[ -n "$("$DOCKER" image ls -q "$IMAGE")" ] || die "no image $IMAGE (run: make images EXAMPLE=sqlite)"

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
volume=swiftlab-test-notes-$$
"$DOCKER" volume create "$volume" >/dev/null || die "cannot create volume $volume"
on_exit "$DOCKER" volume rm -f "$volume"
HARDENED=(--read-only --cap-drop ALL --security-opt no-new-privileges)

# notes_container NAME: the service on the test volume, hardened, healthy.
notes_container() {
  if run_container "$1" "$IMAGE" "${HARDENED[@]}" -v "$volume:/data" && wait_healthy "$1" 30; then
    URL=http://127.0.0.1:$PORT_OF_CONTAINER
    return 0
  fi
  fail "$1 starts on the volume and reports healthy"
  container_logs "$1"
  return 1
}

# verify DESCRIPTION FILE...: every note acknowledged in FILEs is stored.
verify() {
  local description=$1 out
  shift
  if out=$(timeout 60 "${LOAD[@]}" verify "$URL" --acked "$@" 2>&1); then pass "$description: $out"; else fail "$description" "$out"; fi
}

# integrity DESCRIPTION: PRAGMA integrity_check on the volume, by the image itself.
integrity() {
  local out
  out=$(timeout 30 "$DOCKER" run --rm -v "$volume:/data" "$IMAGE" integrity-check 2>&1)
  assert_match "$1: PRAGMA integrity_check is ok" '^0 ok: /data/notes.sqlite is sound' "$? $out"
}

say "the API through the real image ($IMAGE, --read-only, volume $volume)"
notes_container swiftlab-test-notes-a || finish
status=$(curl -s -o "$WORK/created" -D "$WORK/headers" -w '%{http_code}' -H 'Content-Type: application/json' -d '{"text": "first note"}' "$URL/notes")
assert_eq "POST /notes answers 201" 201 "$status"
id=$(jq -r .id "$WORK/created")
assert_match "it has a Location header" "^Location: /notes/$id"$'\r'"?$" "$(grep -i '^location:' "$WORK/headers")"
assert_eq "GET /notes/$id gives it back" "first note" "$(curl -s "$URL/notes/$id" | jq -r .text)"
assert_eq "an unknown id is 404 in JSON" '404 {"error":"no note with id 999999"}' \
  "$(curl -s -o "$WORK/body" -w '%{http_code}' "$URL/notes/999999") $(cat "$WORK/body")"
assert_eq "a wrong content type is 415" 415 "$(curl -s -o /dev/null -w '%{http_code}' -d 'text=x' "$URL/notes")"
head -c 70000 /dev/zero | tr '\0' a >"$WORK/big"
assert_eq "a body over 64 KiB is 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$WORK/big" "$URL/notes")"
assert_eq "DELETE /notes/$id answers 204" 204 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/notes/$id")"

say "2,000 POSTs on 100 connections at once"
out=$(timeout 120 "${LOAD[@]}" post "$URL" --count 2000 --concurrency 100 --acked "$WORK/acked-load" 2>&1)
assert_match "2,000 concurrent POSTs are all acknowledged ($out)" '^sent 2000 acknowledged 2000 failed 0 ' "$out"
verify "after the load, every acknowledged note is found" "$WORK/acked-load"

say "docker rm, then a new container on the same volume"
"$DOCKER" stop swiftlab-test-notes-a >/dev/null && "$DOCKER" rm swiftlab-test-notes-a >/dev/null
notes_container swiftlab-test-notes-b || finish
verify "the notes outlive docker rm" "$WORK/acked-load"

say "SIGKILL in the middle of a write load (16 connections)"
"${LOAD[@]}" post "$URL" --count 1000000 --concurrency 16 --seconds 15 --acked "$WORK/acked-kill" >"$WORK/kill-load.log" 2>&1 &
loader=$!
sleep 3
"$DOCKER" kill --signal KILL swiftlab-test-notes-b >/dev/null
wait "$loader"
before_kill=$(wc -l <"$WORK/acked-kill")
assert_match "notes were acknowledged before the kill ($(cat "$WORK/kill-load.log"))" '^[1-9][0-9]*$' "$before_kill"
assert_eq "the container died of SIGKILL" 137 "$("$DOCKER" inspect --format '{{.State.ExitCode}}' swiftlab-test-notes-b)"
notes_container swiftlab-test-notes-c || finish
verify "after SIGKILL and a new container, every note acknowledged before the kill is there" "$WORK/acked-load" "$WORK/acked-kill"

say "docker stop in the middle of a write load"
"${LOAD[@]}" post "$URL" --count 1000000 --concurrency 16 --seconds 15 --acked "$WORK/acked-stop" >"$WORK/stop-load.log" 2>&1 &
loader=$!
sleep 3
start=$(now_ms)
"$DOCKER" stop swiftlab-test-notes-c >/dev/null
elapsed=$(($(now_ms) - start))
wait "$loader"
assert_eq "docker stop during the load: exit code 0" 0 "$("$DOCKER" inspect --format '{{.State.ExitCode}}' swiftlab-test-notes-c)"
assert_le "docker stop during the load returns (ms)" "$elapsed" 5000
assert_match "it closed the database after the last request" 'database /data/notes.sqlite closed' "$("$DOCKER" logs swiftlab-test-notes-c 2>&1)"
integrity "after SIGKILL and docker stop"
notes_container swiftlab-test-notes-d || finish
verify "after docker stop, every acknowledged note is there ($(cat "$WORK/stop-load.log"))" "$WORK/acked-load" "$WORK/acked-kill" "$WORK/acked-stop"
"$DOCKER" stop swiftlab-test-notes-d >/dev/null

say "a database that cannot be used stops it at once, in one line"
# expect_refusal DESCRIPTION STATUS PATTERN [DOCKER RUN OPTION...]
expect_refusal() {
  local description=$1 status=$2 pattern=$3 out code
  shift 3
  out=$(timeout 30 "$DOCKER" run --rm "$@" "$IMAGE" 2>&1)
  code=$?
  assert_match "$description: exit $status and one line" "^$status notes: ${pattern}[^"$'\n'"]*$" "$code $out"
}
expect_refusal "a volume mounted read-only" 73 'cannot (write|open)' "${HARDENED[@]}" -v "$volume:/data:ro"
expect_refusal "a DATABASE_PATH in a folder that does not exist" 73 'cannot open or create the database /nope/notes.sqlite' \
  "${HARDENED[@]}" -e DATABASE_PATH=/nope/notes.sqlite
expect_refusal "a read-only root and a path outside the volume" 73 'cannot open or create the database /notes.sqlite' \
  "${HARDENED[@]}" -e DATABASE_PATH=/notes.sqlite
# A file that is not a database, put on a fresh volume by docker cp (the
# image has no shell to write one).
bad=swiftlab-test-notes-bad-$$
"$DOCKER" volume create "$bad" >/dev/null && on_exit "$DOCKER" volume rm -f "$bad"
echo "this is not a database" >"$WORK/notes.sqlite"
"$DOCKER" create --name "$bad" -v "$bad:/data" "$IMAGE" >/dev/null && on_exit "$DOCKER" rm -fv "$bad"
tar -C "$WORK" --owner=65532 --group=65532 -c notes.sqlite | "$DOCKER" cp - "$bad:/data"
expect_refusal "a file that is not a SQLite database" 65 '/data/notes.sqlite is not a SQLite database' "${HARDENED[@]}" -v "$bad:/data"

finish
