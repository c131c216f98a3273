#!/usr/bin/env bash
# The lab's steps as a learner runs them: each prints every docker command
# it runs, exactly as it runs it, so that it can be typed again by hand.
#
# The steps run with DOCKER set to a stand-in client that records each call
# and passes it on to the real one; the test then compares the record with
# what the steps printed, both ways.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

require_engine
[ -s "$RESULTS_DIR/bases.json" ] || die "no $RESULTS_DIR/bases.json (run: make bases)"
REAL_DOCKER=$DOCKER
load_manifests

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
mkdir "$WORK/calls"
cat >"$WORK/docker" <<EOF
#!/usr/bin/env bash
# Records its arguments (NUL-separated, one file per call), then runs the real client.
printf '%s\0' "\$@" >"\$(mktemp "$WORK/calls/XXXXXXXX")"
exec "$REAL_DOCKER" "\$@"
EOF
chmod +x "$WORK/docker"
DOCKER=$WORK/docker

# step NAME COMMAND...: run COMMAND (a make target, or a step of
# dockerfiles/steps/lab.sh) with the recording client; its output goes to
# $WORK/NAME.out, its docker calls to $WORK/NAME.calls, one per line, as
# `shown` writes them.
step() {
  local name=$1 call status
  shift
  rm -f "$WORK"/calls/*
  DOCKER=$DOCKER "$@" >"$WORK/$name.out" 2>&1
  status=$?
  : >"$WORK/$name.calls"
  for call in "$WORK"/calls/*; do
    [ -e "$call" ] || continue
    mapfile -d '' -t args <"$call"
    shown docker "${args[@]}" >>"$WORK/$name.calls"
  done
  return "$status"
}

# printed NAME: the docker commands the step printed, without "$ ", and
# of a pipeline (docker save IMAGE | gzip) the docker command alone.
printed() { sed -n "s|^\\$ \\(\\(DOCKER_BUILDKIT=1 \\)\\?$DOCKER .*\\)|\\1|p" "$WORK/$1.out" | sed 's/ | .*//'; }
# Searched from a file, never as `printed | grep -q`: grep stops at the
# first match, the writer dies of SIGPIPE, and pipefail takes the match
# for a failure (more often, the longer the transcript).

# check_transcript NAME PATTERN...: every docker command the step printed
# is one it ran, and every call it made that matches one of the PATTERNs
# (extended regular expressions on the arguments: the learner's commands,
# not the step's own polling and bookkeeping) was printed.
check_transcript() {
  local name=$1 line missing='' unrun='' pattern
  shift
  printed "$name" | sed 's/^DOCKER_BUILDKIT=1 //' >"$WORK/$name.bare"
  while IFS= read -r line; do
    grep -qxF "${line#DOCKER_BUILDKIT=1 }" "$WORK/$name.calls" || unrun+="$line"$'\n'
  done < <(printed "$name")
  while IFS= read -r line; do
    for pattern in "$@"; do
      if [[ ${line#"$DOCKER" } =~ $pattern ]]; then
        grep -qxF "$line" "$WORK/$name.bare" || missing+="$line"$'\n'
        break
      fi
    done
  done <"$WORK/$name.calls"
  if [ -z "$unrun" ]; then pass "the $name step: every docker command it prints is one it runs"; else fail "the $name step: every docker command it prints is one it runs" "$unrun"; fi
  local kinds
  kinds=$(printf '%s\n' "$@" | sed -E 's/^\^//; s/ .*//' | sort -u | paste -sd, - | sed 's/,/, /g')
  if [ -z "$missing" ]; then pass "the $name step prints every docker $kinds it runs"; else fail "the $name step prints every docker $kinds it runs" "$missing"; fi
}

failed_step() { fail "$1" "last lines of its output:" "$(tail -n 15 "$WORK/$2.out")"; }

# --- make images: docker build, then docker images ------------------------------
if step images make images; then
  pass "make images succeeds with the recording client"
  check_transcript images '^build ' '^images '
  printed images >"$WORK/images.printed"
  for i in "${!IMG_NAME[@]}"; do
    image=${IMG_NAME[$i]} dockerfile=${IMG_DOCKERFILE[$i]}
    expected="${BUILDKIT_ENV[*]:+${BUILDKIT_ENV[*]} }$DOCKER build -f $dockerfile -t $image"
    # The test's own reading of the Dockerfile and the lock, not the lab's
    # base_args and locked, which it checks: each ARG NAME_IMAGE, sorted, as
    # the lock's fifth column pins it.
    while read -r arg; do
      expected+=" --build-arg $arg=$(grep -P "^[^#\t][^\t]*\t$arg\t" "$BASES_LOCK" | head -n1 | cut -f5)"
    done < <(grep -oE '^ARG [A-Z_]+_IMAGE\b' "$dockerfile" | cut -d' ' -f2 | sort -u)
    ! grep -qE '^ARG BASES(=|$)' "$dockerfile" || expected+=" --build-arg BASES=$(jq -r .mode "$RESULTS_DIR/bases.json")"
    [ -z "${PIP_INDEX_URL:-}" ] || ! grep -qE '^ARG PIP_INDEX_URL(=|$)' "$dockerfile" || expected+=" --build-arg PIP_INDEX_URL=$PIP_INDEX_URL"
    ! grep -qF 'id=build-ca' "$dockerfile" || expected+=" --secret id=build-ca,src=$(build_ca_bundle)"
    # The OCI labels: this checkout's origin and commit, the commit's time,
    # and the final stage's base as the lock pins it.
    revision=$(git rev-parse HEAD)
    [ -z "$(git status --porcelain --untracked-files=no -- "${IMG_CONTEXT[$i]}")" ] || revision+=-dirty
    base=scratch digest=''
    if [ "${IMG_BASE[$i]}" != scratch ]; then
      row=$(grep -P "^${IMG_BASE[$i]}\t" "$BASES_LOCK" | head -n1)
      base=$(cut -f4 <<<"$row") digest=$(cut -f6 <<<"$row")
    fi
    expected+=" --label org.opencontainers.image.title=$image"
    expected+=" --label 'org.opencontainers.image.description=Swift multi-stage lab, example ${IMG_EXAMPLE[$i]} (${IMG_LANGUAGE[$i]}): ${IMG_TYPE[$i]}'"
    expected+=" --label org.opencontainers.image.revision=$revision"
    expected+=" --label org.opencontainers.image.created=$(date -u -d "@$(git log -1 --format=%ct)" +%Y-%m-%dT%H:%M:%SZ)"
    expected+=" --label org.opencontainers.image.base.name=$base --label org.opencontainers.image.base.digest=$digest"
    source=$(source_url)
    [ -z "$source" ] || expected+=" --label org.opencontainers.image.source=$source"
    expected+=" ${IMG_CONTEXT[$i]}"
    if grep -qxF "$expected" "$WORK/images.printed"; then
      pass "make images prints: \$ $expected"
    else
      fail "make images prints the build of $image with its bases and context" "expected: $expected" "$(printed images | grep -F " -t $image " || echo '(no such line)')"
    fi
    if grep -qxF "$DOCKER images $image" "$WORK/images.printed"; then pass "make images lists $image with docker images"; else fail "make images lists $image with docker images"; fi
  done
else
  failed_step "make images succeeds with the recording client" images
fi

# A printed command works when typed again: run two of them through a shell.
build_line=$(printed images | grep -F -- " -t swift-app-scratch " | head -n1)
if [ -n "$build_line" ] && out=$(bash -c "$build_line" 2>&1); then
  pass "the printed docker build of swift-app-scratch, run by hand, builds it"
else
  fail "the printed docker build of swift-app-scratch, run by hand, builds it" "$build_line" "$(tail -n 5 <<<"${out:-}")"
fi

# --- make build: the scratch image's own binary, from its build stage -----------------
if step build make build; then
  check_transcript build '^build '
  assert_match "make build prints its docker build of the binary stage, exported to swift-server/.build-image" \
    "^${BUILDKIT_ENV[*]:+${BUILDKIT_ENV[*]} }$DOCKER build -f dockerfiles/Dockerfile\\.scratch --target binary --output type=local,dest=swift-server/\\.build-image --build-arg SWIFT_IMAGE=[^ ]+ swift-server\$" \
    "$(printed build | grep -F -- '--target binary')"
  for file in server unstripped/server Package.resolved linked-packages.txt; do
    if [ -s "swift-server/.build-image/$file" ]; then pass "make build writes swift-server/.build-image/$file"; else fail "make build writes swift-server/.build-image/$file"; fi
  done
  owner=$(stat -c %u swift-server/.build-image/server)
  assert_eq "make build's files belong to the user who ran it" "$(id -u)" "$owner"
else
  failed_step "make build succeeds" build
fi

# --- make run: the scratch image in the foreground, on loopback ------------------------
run_port=$(free_port)
DOCKER=$DOCKER make run PORT="$run_port" >"$WORK/run.out" 2>&1 &
run_pid=$!
on_exit "$REAL_DOCKER" rm -f swift-app-scratch-run
if wait_for_http "http://127.0.0.1:$run_port/healthz" "$run_pid" 30; then
  pass "make run serves the server on 127.0.0.1:$run_port"
  assert_match "make run prints its docker run" \
    "\\\$ $DOCKER run --rm --name swift-app-scratch-run -p 127\\.0\\.0\\.1:$run_port:8080 -e LOG_LEVEL=info swift-app-scratch" "$(cat "$WORK/run.out")"
  assert_eq "make run publishes on loopback only, by default" "127.0.0.1:$run_port" \
    "$("$REAL_DOCKER" port swift-app-scratch-run 8080/tcp 2>&1 | head -n1)"
  "$REAL_DOCKER" stop swift-app-scratch-run >/dev/null 2>&1
  if wait_exit "$run_pid" 20; then
    pass "make run ends when its container stops (status $WAIT_STATUS)"
  else
    fail "make run ends when its container stops"
  fi
  gone=yes
  "$REAL_DOCKER" container inspect swift-app-scratch-run >/dev/null 2>&1 && gone=''
  assert_eq "make run leaves no container behind (--rm)" yes "$gone"
else
  kill "$run_pid" 2>/dev/null
  fail "make run serves the server on 127.0.0.1:$run_port" "$(tail -n 15 "$WORK/run.out")"
fi

# --- make history ------------------------------------------------------------------
if step history make history; then
  check_transcript history '^history '
  assert_match "make history shows the layers of the distroless image" 'COPY /out/server /server' "$(cat "$WORK/history.out")"
else
  failed_step "make history succeeds" history
fi

# The small images from here on: their steps take seconds.
SMALL_IMAGES=(swift-app-distroless-static swift-app-scratch)
SMALL="${SMALL_IMAGES[*]}"

# --- make sizes: docker save, every layer read -------------------------------------
if step sizes make sizes IMAGES="$SMALL"; then
  check_transcript sizes '^save '
  sizes_line=$(sed -n 's|^\$ \(python3 dockerfiles/measure/imagesave\.py sizes swift-app-scratch\)$|\1|p' "$WORK/sizes.out" | head -n1)
  assert_eq "make sizes prints the size command it runs for swift-app-scratch" \
    "python3 dockerfiles/measure/imagesave.py sizes swift-app-scratch" "$sizes_line"
  assert_eq "the printed size command, run by hand, gives the table's figures" \
    "$(jq -r '.[] | select(.image == "swift-app-scratch") | "\(.bytes) \(.compressed_bytes) \(.layers)"' "$RESULTS_DIR/sizes.json")" \
    "$(DOCKER=$REAL_DOCKER bash -c "${sizes_line:-false}" 2>/dev/null | jq -r '"\(.bytes) \(.compressed_bytes) \(.layers)"' 2>&1)"
  assert_match "make sizes prints the table, with how many times smaller than single-stage" \
    '\| swift \| swift-app-scratch \| multi-stage, static binary \| scratch \| [0-9.]+ MB \| [0-9.]+ MB \| 1 \| [0-9]+\.[0-9]x \|' "$(cat "$WORK/sizes.out")"
else
  failed_step "make sizes succeeds" sizes
fi

# --- make up, smoke, down: docker run, curl, docker stop, docker rm ------------------
busy=''
for image in "${SMALL_IMAGES[@]}"; do "$REAL_DOCKER" container inspect "$image" >/dev/null 2>&1 && busy+="$image "; done
if [ -n "$busy" ]; then
  skip "make up, smoke and down" "containers of a running 'make up' are here ($busy); stop them with make down and test again"
else
  on_exit "$REAL_DOCKER" rm -f "${SMALL_IMAGES[@]}"
  if step up make up IMAGES="$SMALL"; then
    check_transcript up '^run ' '^rm ' '^ps'
    for image in "${SMALL_IMAGES[@]}"; do
      port=${IMG_PORT[$(image_index "$image")]}
      assert_match "make up prints: \$ docker run -d --name $image -p 127.0.0.1:$port:8080 $image" \
        "(^|"$'\n'")\\\$ $DOCKER run -d --name $image -p 127\\.0\\.0\\.1:$port:8080 $image"$'\n' "$(cat "$WORK/up.out")"
      assert_eq "make up publishes $image on loopback only, by default" "127.0.0.1:$port" \
        "$("$REAL_DOCKER" port "$image" 8080/tcp 2>&1 | head -n1)"
    done
    if step smoke make smoke IMAGES="$SMALL"; then
      assert_match "make smoke prints each curl and its answer" \
        '\$ curl -fsS http://localhost:[0-9]+/info'$'\n''Server Information:' "$(cat "$WORK/smoke.out")"
    else
      failed_step "make smoke succeeds" smoke
    fi
  else
    failed_step "make up succeeds" up
  fi
  if step down make down IMAGES="$SMALL"; then
    check_transcript down '^stop ' '^rm '
    for image in "${SMALL_IMAGES[@]}"; do
      assert_match "make down prints docker stop and docker rm -v (its anonymous volumes too) for $image" \
        "\\\$ $DOCKER stop $image"$'\n'"$image"$'\n'"\\\$ $DOCKER rm -v $image" "$(cat "$WORK/down.out")"
    done
    gone=yes
    for image in "${SMALL_IMAGES[@]}"; do "$REAL_DOCKER" container inspect "$image" >/dev/null 2>&1 && gone=''; done
    assert_eq "make down leaves no container behind" yes "$gone"
  else
    failed_step "make down succeeds" down
  fi
fi

# --- Removing an image: docker rmi (then built again from the cache) ----------------
step clean env IMAGES=swift-app-scratch bash dockerfiles/steps/lab.sh clean
check_transcript clean '^rmi ' '^stop ' '^rm '
assert_match "the clean step prints docker rmi" "\\\$ $DOCKER rmi swift-app-scratch" "$(cat "$WORK/clean.out")"
if step rebuild env IMAGES=swift-app-scratch bash dockerfiles/steps/lab.sh build; then
  pass "swift-app-scratch is built again (from BuildKit's cache)"
else
  failed_step "swift-app-scratch is built again (from BuildKit's cache)" rebuild
fi

# --- make distclean's removal of the local bases: docker rmi, nothing real ---------
# A stand-in client that has every image and removes none: it records the
# calls, so the step's commands can be checked without losing the bases.
cat >"$WORK/docker-stub" <<EOF
#!/usr/bin/env bash
printf '%s\0' "\$@" >"\$(mktemp "$WORK/calls/XXXXXXXX")"
case "\$1 \$2" in
  "buildx version") exit 1 ;;
  "version --format") echo 20.10.24 ;;
  "image inspect") echo sha256:0123456789abcdef ;;
  "rmi "*) echo "Untagged: \$2" ;;
esac
EOF
chmod +x "$WORK/docker-stub"
mkdir -p "$WORK/results"
echo '{}' >"$WORK/results/bases.json"
DOCKER=$WORK/docker-stub
touch "$WORK/bases.lock"
if step remove-bases env RESULTS_DIR="$WORK/results" BASES_LOCK="$WORK/bases.lock" bash dockerfiles/bases/bases.sh --remove-local; then
  check_transcript remove-bases '^rmi '
  expected=$(tsv_rows dockerfiles/bases/bases.tsv | cut -f4 | sed "s|^|$DOCKER rmi |")
  assert_eq "removing the local bases prints docker rmi for each of them" "$expected" "$(printed remove-bases)"
  if [ -e "$WORK/results/bases.json" ]; then fail "removing the local bases removes the record"; else pass "removing the local bases removes the record"; fi
  if [ -e "$WORK/bases.lock" ]; then fail "removing the local bases removes the lock"; else pass "removing the local bases removes the lock"; fi
else
  failed_step "removing the local bases succeeds" remove-bases
fi
DOCKER=$WORK/docker

# --- Bad selections: one line, non-zero ------------------------------------------------
out=$(IMAGES=no-such-image bash dockerfiles/steps/lab.sh history 2>&1)
status=$?
assert_eq "IMAGES naming an unknown image: exit 1 and one line" \
  "1 error: IMAGES: no image no-such-image in any manifest (images: ${IMG_NAME[*]})" "$status $out"
out=$(EXAMPLE=no-such-example bash dockerfiles/steps/lab.sh history 2>&1)
status=$?
assert_eq "EXAMPLE naming an unknown example: exit 1 and one line" \
  "1 error: EXAMPLE: no example no-such-example (examples: $(printf '%s\n' "${IMG_EXAMPLE[@]}" | uniq | paste -sd' ' -))" "$status $out"
out=$(EXAMPLE=go bash dockerfiles/steps/lab.sh list 2>&1)
assert_eq "EXAMPLE=go picks the Go example's images alone" \
  "$(for i in "${!IMG_NAME[@]}"; do [ "${IMG_EXAMPLE[$i]}" = go ] && echo "${IMG_NAME[$i]}"; done)" \
  "$(awk -F' \\| ' 'NR > 2 { print $3 }' <<<"$out")"

finish
