#!/usr/bin/env bash
# `make engine` and `make bases` themselves: idempotent, BuildKit builds
# work, and bad settings get a one-line error without losing anything.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

require_engine

start=$(now_ms)
out=$(make --no-print-directory engine 2>&1)
status=$?
elapsed=$(($(now_ms) - start))
assert_eq "make engine with an engine up succeeds" "0" "$status"
assert_match "make engine names the engine and the client" '==> engine: Docker Engine [0-9.]+.* via /' "$out"
assert_le "make engine with an engine up returns within 5 s (ms)" "$elapsed" 5000

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
printf 'hello from a BuildKit build\n' >"$WORK/greeting"
# shellcheck disable=SC2016 # a Dockerfile's own ${BASE}
printf 'ARG BASE\nFROM ${BASE}\nCOPY greeting /greeting\n' >"$WORK/Dockerfile"
if out=$(DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --build-arg "BASE=$(base_image static)" -t swiftlab-test/buildkit:latest "$WORK" 2>&1) &&
  grep -q 'load build definition' <<<"$out"; then
  pass "the chosen client runs a BuildKit build on the engine"
  assert_eq "the built image holds the copied file" "hello from a BuildKit build" "$(image_file swiftlab-test/buildkit:latest /greeting)"
else
  fail "the chosen client runs a BuildKit build on the engine" "$out"
fi
"$DOCKER" image rm swiftlab-test/buildkit:latest >/dev/null 2>&1

# expect_error DESCRIPTION PATTERN CMD...: CMD fails with one line on stderr matching PATTERN.
expect_error() {
  local description=$1 pattern=$2 err status
  shift 2
  "$@" >/dev/null 2>"$WORK/err"
  status=$?
  err=$(cat "$WORK/err")
  if [ "$status" -ne 0 ] && [ "$(grep -c . "$WORK/err")" -eq 1 ] && [[ $err =~ $pattern ]]; then
    pass "$description"
  else
    fail "$description" "status: $status" "stderr: $err"
  fi
}

expect_error "DOCKER set to a missing command: one-line error" '^error: DOCKER=no-such-docker is not a command' \
  env DOCKER=no-such-docker bash dockerfiles/steps/engine.sh
# A client of version 23 or later without the buildx plugin refuses BuildKit
# builds. This stand-in answers as such a client does, on any machine.
cat >"$WORK/docker-without-buildx" <<'EOF'
#!/bin/sh
case $1 in
  buildx) echo "docker: 'buildx' is not a docker command." >&2; exit 1 ;;
  version) echo 28.2.2 ;;
esac
EOF
chmod +x "$WORK/docker-without-buildx"
expect_error "DOCKER set to a client without buildx: one-line error" "^error: DOCKER=$WORK/docker-without-buildx cannot run BuildKit builds" \
  env DOCKER="$WORK/docker-without-buildx" bash dockerfiles/steps/engine.sh
expect_error "BASES=bogus: one-line error" '^error: BASES=bogus: expected auto, registry or local$' \
  env BASES=bogus bash dockerfiles/bases/bases.sh

before=$(sha256sum "$RESULTS_DIR/bases.json" "$LOCK")
expect_error "SWIFT_TOOLCHAIN without a toolchain: one-line error saying what to set" '^error: SWIFT_TOOLCHAIN=.* has no usr/bin/swift: set SWIFT_TOOLCHAIN' \
  env BASES=local SWIFT_TOOLCHAIN="$WORK" bash dockerfiles/bases/bases.sh
assert_eq "a failed make bases leaves the record and the lock as they were" "$before" "$(sha256sum "$RESULTS_DIR/bases.json" "$LOCK")"

# make tags: the official tags a learner pulls, asked of the registry. A
# stand-in client answers docker manifest inspect as Docker Hub does (a
# manifest list), for both platforms, or without arm64 for TAGS_NO_ARM.
cat >"$WORK/docker-hub" <<EOF
#!/bin/sh
if [ "\$1 \$2" = "manifest inspect" ]; then
  case " \$TAGS_NO_ARM " in *" \$3 "*) arches="amd64" ;; *) arches="amd64 arm64" ;; esac
  printf '{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
  sep=
  for a in \$arches; do printf '%s{"platform":{"os":"linux","architecture":"%s"}}' "\$sep" "\$a"; sep=,; done
  printf ',{"platform":{"os":"unknown","architecture":"unknown"}}]}\n'
  exit 0
fi
exec "$DOCKER" "\$@"
EOF
chmod +x "$WORK/docker-hub"
out=$(DOCKER="$WORK/docker-hub" bash dockerfiles/bases/tags.sh 2>&1)
status=$?
assert_eq "make tags, every tag on both platforms: exit 0" "0" "$status"
assert_eq "make tags checks every official tag in bases.tsv, for linux/amd64 and linux/arm64" \
  "$(tsv_rows dockerfiles/bases/bases.tsv | awk -F"\t" '$2 != "-"' | wc -l)" "$(grep -c '^  ok  .* (linux/amd64 linux/arm64)$' <<<"$out")"
expect_error "make tags, a tag without linux/arm64: one-line error, after naming it" '^error: some official tags in bases.tsv are missing' \
  env DOCKER="$WORK/docker-hub" TAGS_NO_ARM=node:20-trixie bash dockerfiles/bases/tags.sh
assert_match "make tags names the tag that lacks linux/arm64" '^  NO linux/arm64  node:20-trixie ' \
  "$(DOCKER="$WORK/docker-hub" TAGS_NO_ARM=node:20-trixie bash dockerfiles/bases/tags.sh 2>/dev/null | grep '^  NO')"
# And the registry itself, when it answers here.
out=$(bash dockerfiles/bases/tags.sh 2>&1)
status=$?
if [ "$status" -ne 0 ] && grep -q 'could not be checked here$' <<<"$out"; then
  skip "make tags against the registry" "$(grep '^error:' <<<"$out" | sed 's/^error: //')"
else
  assert_eq "make tags against the registry: every official tag answers, for both platforms" "0" "$status"
  [ "$status" -eq 0 ] || printf '%s\n' "$out" | tail -n 15 | sed 's/^/  | /'
fi

finish
