#!/usr/bin/env bash
# Every image of every manifest (dockerfiles/images.tsv and
# examples/*/images.tsv), each run as a container on a random loopback port:
# the contract, health, a clean stop, bad settings, non-root, read-only and
# no capabilities, HOST as a name, what a minimal base holds (no shell, no
# package manager),
# container-structure-test, and sizes. EXAMPLE=... or IMAGES=... picks some.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

require_engine
[ -x "$CST" ] || die "no container-structure-test at $CST (run: make tools)"

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"

# check_serves DESCRIPTION NAME IMAGE [DOCKER RUN OPTION...]: the container
# starts, its HEALTHCHECK says healthy, and /healthz answers through its
# published port; on failure, its logs and health record. Removed after.
check_serves() {
  local description=$1 name=$2 image=$3
  shift 3
  if run_container "$name" "$image" "$@" && wait_healthy "$name" 60 &&
    [ "$(curl -fsS --max-time 2 "http://127.0.0.1:$PORT_OF_CONTAINER/healthz")" = ok ]; then
    pass "$description"
  else
    fail "$description"
    container_logs "$name"
    "$DOCKER" inspect --format '{{json .State.Health}}' "$name" 2>&1 | sed 's/^/          health: /'
  fi
  "$DOCKER" rm -fv "$name" >/dev/null 2>&1
}

# A user-defined network: its containers resolve each other's names
# through Docker's DNS server.
network=swiftlab-test-net
"$DOCKER" network rm "$network" >/dev/null 2>&1
"$DOCKER" network create "$network" >/dev/null && on_exit "$DOCKER" network rm "$network"

# shell_free BASE: the final stage's base has no shell at all (scratch, and
# the distroless images, official or local).
shell_free() {
  [ "$1" = scratch ] || tsv_rows dockerfiles/bases/bases.tsv | awk -F'\t' -v k="$1" '$1 == k && $3 ~ /distroless/ { found = 1 } END { exit !found }'
}

load_manifests
selected=$(select_images) || exit 1
sizes=() sized=() examples=()
for i in $selected; do
  image=${IMG_NAME[$i]} type=${IMG_TYPE[$i]} base=${IMG_BASE[$i]} goal=${IMG_GOAL[$i]} zgoal=${IMG_ZGOAL[$i]}
  language=${IMG_LANGUAGE[$i]}
  say "$image ($type, ${IMG_DOCKERFILE[$i]})"
  if [ -z "$("$DOCKER" image ls -q "$image")" ]; then
    fail "$image is built" "run: make images"
    continue
  fi
  pass "$image is built"
  container=swiftlab-test-$image

  # --- Runs, serves the contract, stops cleanly -----------------------------
  if run_container "$container" "$image" && wait_healthy "$container" 60; then
    pass "$image: HEALTHCHECK reports healthy"
    failed_before=$TESTS_FAILED
    check_contract "http://127.0.0.1:$PORT_OF_CONTAINER" "$("$DOCKER" inspect --format '{{.Config.Hostname}}' "$container")" "$language"
    assert_match "$image: one log line per request, with method, path and status" '(^|'$'\n'').*GET /no/such/page 404.*' "$("$DOCKER" logs "$container" 2>&1)"
    start=$(now_ms)
    "$DOCKER" stop "$container" >/dev/null
    elapsed=$(($(now_ms) - start))
    assert_le "$image: docker stop returns (ms)" "$elapsed" 1999
    assert_eq "$image: exit code after docker stop" "0" "$("$DOCKER" inspect --format '{{.State.ExitCode}}' "$container")"
    [ "$TESTS_FAILED" -eq "$failed_before" ] || container_logs "$container"
  else
    fail "$image: starts and reports healthy within 60 s"
    container_logs "$container"
  fi

  # --- A bad setting: exit 64 and one line ------------------------------------------
  out=$("$DOCKER" run --rm -e PORT=abc "$image" 2>&1)
  assert_match "$image: PORT=abc stops it with exit 64 and one line" \
    '^64 [a-z-]+: invalid PORT "abc": expected an integer from 1 to 65535$' "$? $out"

  # --- How it is built ---------------------------------------------------------
  user=$("$DOCKER" image inspect --format '{{.Config.User}}' "$image")
  if [ "$type" = single-stage ]; then
    skip "$image: runs as non-root" "the single-stage image is the 'before' picture and runs as root"
  elif [[ -n $user && ! $user =~ ^(0|root)(:|$) ]]; then
    pass "$image: runs as non-root ($user)"
  else
    fail "$image: runs as non-root" "USER is '${user}'"
  fi
  entry=$("$DOCKER" image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$image")
  if [[ $entry == *'"/bin/sh","-c"'* ]]; then fail "$image: exec-form ENTRYPOINT/CMD" "$entry"; else pass "$image: exec-form ENTRYPOINT/CMD $entry"; fi
  assert_match "$image: HEALTHCHECK runs the server's own probe" '"healthcheck"\]$' \
    "$("$DOCKER" image inspect --format '{{json .Config.Healthcheck.Test}}' "$image")"
  # What a minimal base has, by file name, so on any architecture. No shell
  # at all: no sh, bash, dash, ash or busybox anywhere in the file system.
  if shell_free "$base"; then
    image_files "$image" >"$WORK/files"
    sed 's#.*/##' "$WORK/files" >"$WORK/names"
    shells=$(grep -xE '(ba|da|a|z)?sh|busybox' "$WORK/names" | sort -u | paste -sd' ' -)
    assert_eq "$image: has no shell at all (no sh, bash, dash, ash, zsh or busybox)" "" "$shells"
    # Programs, in the program folders: /var/lib/dpkg, distroless's package
    # records, is not one.
    managers=$(grep -xE '(usr/)?(local/)?s?bin/(apt|apt-get|dpkg|apk|pip3?|npm|yum|dnf|microdnf)' "$WORK/files" | sort -u | paste -sd' ' -)
    assert_eq "$image: has no package manager (no apt, dpkg, apk, pip, npm, yum or dnf)" "" "$managers"
    if [ "$base" = cc ]; then
      for lib in libc.so.6 libstdc++.so.6; do
        if grep -qxF "$lib" "$WORK/names"; then pass "$image: has $lib, from the cc base"; else fail "$image: has $lib, from the cc base"; fi
      done
    elif grep -qE '^(libc\.so|ld-linux)' "$WORK/names"; then
      fail "$image: has no libc and no dynamic loader" "$(grep -E '^(libc\.so|ld-linux)' "$WORK/names")"
    else
      pass "$image: has no libc and no dynamic loader"
    fi
  fi

  # --- Hardened run: read-only root, no capabilities ---------------------------------
  if [ "$type" != single-stage ]; then
    check_serves "$image: serves with --read-only --cap-drop ALL" "$container-ro" "$image" \
      --read-only --cap-drop ALL --security-opt no-new-privileges
  fi
  "$DOCKER" rm -fv "$container" >/dev/null 2>&1

  # --- HOST is a name; the server and its probe both resolve it ----------------------
  # Only Docker's DNS server knows the container's own name. The server
  # listens on the address it resolves to (not on loopback), which is where
  # the published port leads, and the HEALTHCHECK's probe must go there too.
  check_serves "$image: HOST=$container-dns (a name only Docker's DNS knows): serves there, and its probe follows it to healthy" \
    "$container-dns" "$image" --network "$network" -e HOST="$container-dns"

  # --- container-structure-test ------------------------------------------------------
  config=${IMG_DIR[$i]}/structure/$image.yaml
  if [ -f "$config" ]; then
    if out=$("$CST" test --image "$image" --config "$config" 2>&1); then
      pass "$image: container-structure-test ($(grep -oE 'Passes: +[0-9]+' <<<"$out" | tr -s ' '))"
    else
      fail "$image: container-structure-test $config" "$(grep -E 'FAIL|Error|expected|Passes|Failures' <<<"$out" | head -n 20)"
    fi
  else
    fail "$image: has a container-structure-test file" "missing $config"
  fi

  # --- Size goals ------------------------------------------------------------------------
  # make sizes' figures (image_sizes: the same on every image store); the
  # unpacked size alone (image_unpacked, no compression) for an image with
  # no compressed goal: compressing a single-stage image takes minutes, and
  # make sizes' own test measures the table.
  if [ "$zgoal" != - ]; then
    measured=$(image_sizes "$image" 2>"$WORK/sizes.err")
  else
    measured=$(image_unpacked "$image" 2>"$WORK/sizes.err")
  fi
  if [ -z "$measured" ] || [ "$measured" = null ]; then
    fail "$image: its size is measured (docker save, or the classic store's own figure)" "$(cat "$WORK/sizes.err")"
    continue
  fi
  read -r bytes zsize _ <<<"$measured"
  sizes+=("$bytes") sized+=("$image") examples+=("${IMG_EXAMPLE[$i]}")
  if [ "$goal" != - ]; then assert_le "$image: size in bytes (goal $goal MB)" "$bytes" $((goal * 1000000)); fi
  if [ "$zgoal" != - ]; then assert_le "$image: compressed size in bytes (goal $zgoal MB)" "$zsize" $((zgoal * 1000000)); fi
done

# Each manifest lists its images from the largest to the smallest.
for i in $(seq 1 $((${#sizes[@]} - 1))); do
  [ "${examples[$((i - 1))]}" = "${examples[$i]}" ] || continue
  if [ "${sizes[$((i - 1))]}" -gt "${sizes[$i]}" ]; then
    pass "${sized[$((i - 1))]} ($(mb "${sizes[$((i - 1))]}")) is larger than ${sized[$i]} ($(mb "${sizes[$i]}"))"
  else
    fail "${sized[$((i - 1))]} is larger than ${sized[$i]}, as its images.tsv lists them" "$(mb "${sizes[$((i - 1))]}") is not larger than $(mb "${sizes[$i]}")"
  fi
done

finish
