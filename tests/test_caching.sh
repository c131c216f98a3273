#!/usr/bin/env bash
# Layer caching and pinning (docs/07-layer-caching.md), checked by their
# mechanics rather than by time: the cache mounts are where they belong, the
# dependency step comes before the sources, .dockerignore keeps the build
# folders out of the context, a one-line source change reruns neither the
# dependency resolution nor the dependencies' compilation, make bench-build
# works, the local registry carries an inline cache, every base is pinned in
# the lock and every image carries its OCI labels and, for Swift, its
# resolved dependency versions.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

require_engine
load_manifests
[ -s "$LOCK" ] || die "no $LOCK (run: make bases)"

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"

# instructions DOCKERFILE: one line per instruction, continuation lines
# joined, comments and blank lines left out.
instructions() { grep -vE '^[[:space:]]*(#|$)' "$1" | awk '{ line = line $0 } /\\$/ { sub(/\\$/, "", line); next } { print line; line = "" }'; }

# --- Cache mounts where the work is -------------------------------------------------------
# The tools whose work a cache mount keeps, and what each RUN must mount.
declare -A mounts=(["swift build"]="/root/.cache .build" ["go build"]="/go/pkg/mod /root/.cache/go-build"
  ["pip install"]="/root/.cache/pip" ["npm ci"]="/root/.npm")
declare -A swift_ids=()
for i in "${!IMG_NAME[@]}"; do
  [ "${IMG_TYPE[$i]}" != single-stage ] || continue
  dockerfile=${IMG_DOCKERFILE[$i]}
  while IFS= read -r instruction; do
    for tool in "${!mounts[@]}"; do
      [[ $instruction == RUN* && $instruction == *"$tool "* ]] || continue
      missing=''
      for target in ${mounts[$tool]}; do
        grep -qE -- "--mount=type=cache,id=[^,]+,target=[^ ,]*$target(,| )" <<<"$instruction" || missing+="$target "
      done
      assert_eq "$dockerfile: the RUN with $tool has cache mounts on ${mounts[$tool]}" "" "$missing"
      if [ "$tool" = "swift build" ]; then
        check "$dockerfile: the binary is copied out of the cache mount in the same RUN" grep -qF ' install ' <<<"$instruction"
        id=$(grep -oE -- '--mount=type=cache,id=[^,]+,target=[^ ,]*\.build' <<<"$instruction" | sed -E 's/.*id=([^,]+),.*/\1/')
        mode=$(grep -oE -- '--static-swift-stdlib|-static-executable' <<<"$instruction" | head -n1)
        package=$(grep -m1 -oE -- '--package-path [^ ]+' <<<"$instruction" | head -n1 || true)
        package=${package:-swift-server}
        swift_ids[$id]+="$package $mode|"
      fi
    done
  done < <(instructions "$dockerfile")
done
# One .build cache per link mode: two link modes in one folder would
# rebuild each other's work every time, while the packages of one link mode
# share theirs (the examples build swift-server and the same Hummingbird and
# SwiftNIO, which SwiftPM then compiles once for all).
declare -A mode_ids=()
for id in "${!swift_ids[@]}"; do
  assert_eq "the Swift cache id $id serves one link mode" 1 \
    "$(tr '|' '\n' <<<"${swift_ids[$id]}" | grep . | awk '{ print $NF }' | sort -u | wc -l)"
  mode_ids[$(tr '|' '\n' <<<"${swift_ids[$id]}" | grep -m1 . | awk '{ print $NF }')]+="$id "
done
assert_eq "the Swift images use one .build cache id per link mode (-static-executable, --static-swift-stdlib)" \
  "2 1 1" "${#swift_ids[@]} $(wc -w <<<"${mode_ids[-static-executable]:-}") $(wc -w <<<"${mode_ids[--static-swift-stdlib]:-}")"
assert_eq "the -static-executable cache id serves the server and both Swift examples" \
  "examples/external-api examples/sqlite swift-server" \
  "$(tr '|' '\n' <<<"${swift_ids[${mode_ids[-static-executable]%% *}]:-}" | grep . | awk '{ print $(NF - 1) }' | sort -u | paste -sd' ' -)"

# --- Reproducible Swift builds -----------------------------------------------------------------
# Swift debug information names each C module's precompiled module by a
# hash of it, and that hash covers the headers' modification times, which
# a fresh checkout sets anew: -gnone is what makes two cold builds of the
# same sources give the same binary (docs/07-layer-caching.md).
for dockerfile in $(printf '%s\n' "${IMG_DOCKERFILE[@]}" "${BENCH_DOCKERFILE[@]}" | sort -u); do
  while IFS= read -r instruction; do
    [[ $instruction == RUN*"swift build "*"--product "* ]] || continue
    check "$dockerfile: the Swift release build writes no debug information (-Xswiftc -gnone)" \
      grep -qE -- '-Xswiftc -gnone( |$)' <<<"$instruction"
  done < <(instructions "$dockerfile")
done

# --- The program each image runs, as make bench-build compares it ------------------------------
# A bare ENTRYPOINT ["server"] is found in the image's PATH, as the engine
# finds it; an absolute one is itself; an image's Swift or Go program is
# read from where that says (the reproducibility table compares them).
for i in "${!IMG_NAME[@]}"; do
  [[ ${IMG_LANGUAGE[$i]} == Swift || ${IMG_LANGUAGE[$i]} == Go ]] || continue
  image=${IMG_NAME[$i]}
  declared=$(image_program "$image")
  expected=$declared
  [[ $declared == /* ]] || expected=$("$DOCKER" run --rm --entrypoint '' "$image" sh -c "command -v $declared" 2>/dev/null || echo "/usr/local/bin/$declared")
  found=$(image_program_path "$image")
  if [ "$found" = "$expected" ] && [ "$(image_file "$image" "$found" | head -c 4 | od -An -c | tr -d ' ')" = '177ELF' ]; then
    pass "$image: its program ($declared) is the ELF file $found"
  else
    fail "$image: its program ($declared) is the ELF file $expected" "found: $found"
  fi
done

# --- The dependency step comes before the sources ---------------------------------------------
for i in "${!BENCH_EXAMPLE[@]}"; do
  dockerfile=${BENCH_DOCKERFILE[$i]}
  [[ $dockerfile != *.minimal ]] || continue
  mapfile -t lines < <(instructions "$dockerfile")
  # The first COPY of the sources: not from another stage, not the manifest.
  manifest=$(basename "${BENCH_MANIFEST[$i]}")
  step='' copy=''
  for n in "${!lines[@]}"; do
    [ -n "$step" ] || [[ ${lines[$n]} != RUN*"${BENCH_STEP[$i]}"* ]] || step=$n
    [ -n "$copy" ] || [[ ${lines[$n]} != COPY* || ${lines[$n]} == *--from=* ]] ||
      { [ "$manifest" != - ] && [[ ${lines[$n]} == *"$manifest"* ]]; } || copy=$n
  done
  if [ -n "$step" ] && [ -n "$copy" ] && [ "$step" -lt "$copy" ]; then
    pass "$dockerfile: the dependency step (${BENCH_STEP[$i]}) comes before the sources are copied"
  else
    fail "$dockerfile: the dependency step (${BENCH_STEP[$i]}) comes before the sources are copied" "step: ${lines[$step]:-not found}; first source COPY: ${lines[$copy]:-not found}"
  fi
done

# --- .dockerignore: the context is the sources, not the build folders ---------------------------
# A build folder in every Swift package (make test has built them; planted
# when missing), which the context must leave out.
planted=()
for package in swift-server examples/sqlite examples/external-api; do
  [ -d "$package/.build" ] || { mkdir -p "$package/.build" && planted+=("$package/.build"); }
  head -c 5000000 /dev/zero >"$package/.build/swiftlab-context-probe"
done
on_exit rm -f swift-server/.build/swiftlab-context-probe examples/sqlite/.build/swiftlab-context-probe examples/external-api/.build/swiftlab-context-probe
for dir in "${planted[@]}"; do on_exit rmdir "$dir"; done
declare -A seen=()
for i in "${!IMG_NAME[@]}"; do
  key="${IMG_DOCKERFILE[$i]}.dockerignore|${IMG_CONTEXT[$i]}"
  [ -f "${IMG_DOCKERFILE[$i]}.dockerignore" ] || key="${IMG_CONTEXT[$i]}/.dockerignore|${IMG_CONTEXT[$i]}"
  [ -z "${seen[$key]:-}" ] || continue
  seen[$key]=1
  if export_context "${IMG_DOCKERFILE[$i]}" "${IMG_CONTEXT[$i]}" "$WORK/context"; then
    bytes=$(du -sb "$WORK/context" | cut -f1)
    assert_le "${IMG_CONTEXT[$i]}/ for ${IMG_DOCKERFILE[$i]}: the build context stays under 200 kB ($(du -sb "${IMG_CONTEXT[$i]}" | cut -f1) bytes in the folder)" "$bytes" 200000
    assert_eq "${IMG_CONTEXT[$i]}/ for ${IMG_DOCKERFILE[$i]}: no build folder, .git, results or Package.resolved in the context" "" \
      "$(cd "$WORK/context" && find . \( -name '.build*' -o -name .git -o -name results -o -name .tools -o -name Package.resolved -o -name node_modules -o -name __pycache__ \) | head -n3)"
  else
    fail "export the build context of ${IMG_DOCKERFILE[$i]}"
  fi
done

# --- A one-line source change: no resolve, no dependency compiled again --------------------------
# The optimised FROM scratch Dockerfile, with the lab's own cache mounts
# (warm from make images), on a copy of its context with Routes.swift changed.
if export_context dockerfiles/Dockerfile.scratch swift-server "$WORK/server"; then
  # A line never written before: the same change as an earlier run's would
  # find its steps in BuildKit's cache.
  printf '// test_caching: a one-line change (%s)\n' "$(date +%s%N)" >>"$WORK/server/Sources/SwiftServer/Routes.swift"
  mapfile -t args < <(build_args dockerfiles/Dockerfile.scratch)
  say "rebuilding swift-app-scratch's Dockerfile after a one-line change to Routes.swift (about a minute)"
  start=$(now_ms)
  if DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain -f dockerfiles/Dockerfile.scratch -t swiftlab-test/one-line "${args[@]}" "$WORK/server" >"$WORK/one-line.log" 2>&1; then
    on_exit "$DOCKER" image rm -f swiftlab-test/one-line
    say "rebuilt in $(seconds_since "$start") s"
    assert_eq "after a one-line source change, the resolve step comes from the cache" CACHED "$(step_status "$WORK/one-line.log" "swift package resolve")"
    assert_eq "after a one-line source change, the compile step runs" ran "$(step_status "$WORK/one-line.log" "swift build -c release")"
    compiled=$(grep -oE 'Compiling [A-Za-z0-9_]+ ' "$WORK/one-line.log" | awk '{ print $2 }' | sort -u | paste -sd' ' -)
    assert_match "after a one-line source change, SwiftPM compiles only the lab's own modules (SwiftServer, and ServerMain above it), no dependency" \
      '^(ServerMain )?SwiftServer$' "$compiled"
    if [ "$(image_file swiftlab-test/one-line /usr/share/doc/server/Package.resolved | sha256sum)" = "$(image_file swift-app-scratch /usr/share/doc/server/Package.resolved | sha256sum)" ]; then
      pass "the rebuilt image records the same resolved versions"
    else
      fail "the rebuilt image records the same resolved versions"
    fi
  else
    fail "rebuild after a one-line source change" "$(tail -n 20 "$WORK/one-line.log")"
  fi
else
  fail "export the build context of dockerfiles/Dockerfile.scratch"
fi

# --- make bench-build, on the quickest example -----------------------------------------------------
say "make bench-build EXAMPLE=go BENCH_RUNS=1 (about a minute)"
# Its own results folder, with the bases in the mode the lab chose (a fresh
# record with BASES=auto and no registry is an error for a user who is not root).
if out=$(make --no-print-directory bench-build EXAMPLE=go BENCH_RUNS=1 RESULTS_DIR="$WORK/bench" \
  BASES="$(jq -r .mode "$RESULTS_DIR/bases.json")" 2>&1); then
  json=$WORK/bench/bench-build.json
  assert_eq "make bench-build prints the table" 1 "$(grep -c '^| go | examples/go/Dockerfile |' <<<"$out")"
  assert_eq "make bench-build writes the table as Markdown" 1 "$(grep -c '^| go |' "$WORK/bench/bench-build.md" 2>/dev/null)"
  assert_eq "make bench-build times (a) to (d)" "1 1 1 1" "$(jq -r '.cases[0].ms | [.a, .b, .c, .d | length] | join(" ")' "$json" 2>&1)"
  assert_eq "after (c), the Go modules step came from the cache" CACHED "$(jq -r '.cases[0].dependency_step_after_c[0]' "$json" 2>&1)"
  assert_eq "after (d), the Go modules step ran again" ran "$(jq -r '.cases[0].dependency_step_after_d[0]' "$json" 2>&1)"
  # Some steps ran (the source COPY and what follows), and not these two.
  ran_c=$(jq -er '.cases[0].steps_ran_after_c | if length > 0 then .[] else error("no step ran") end' "$json" 2>&1)
  assert_eq "after (c), only the source COPY and what follows ran" "ran|" \
    "$([ -n "$ran_c" ] && ! grep -q '^jq: error' <<<"$ran_c" && echo ran)|$(grep -E 'go mod download|COPY go.mod' <<<"$ran_c")"
  assert_eq "make bench-build leaves every tracked file as it was" "" "$(git status --porcelain --untracked-files=no -- examples/go)"
  assert_eq "make bench-build leaves no bench image behind" "" "$("$DOCKER" image ls -q --filter label=org.swiftlab.bench=1)"
else
  fail "make bench-build EXAMPLE=go BENCH_RUNS=1" "$(tail -n 15 <<<"$out")"
fi
out=$(make --no-print-directory bench-build EXAMPLE=go BENCH_RUNS=x 2>&1 | grep -vE '^make(\[[0-9]+\])?: \*\*\*' | tail -n1)
assert_eq "a bad BENCH_RUNS: one line" "error: BENCH_RUNS=x: expected a whole number of runs, 1 or more" "$out"

# --- The local registry, and an inline cache pushed through it -----------------------------------
# What CI caches go through (make registry, make ci-cache): Debian's
# registry in a container of the lab's own on a loopback port, as the user;
# an image built with BUILDKIT_INLINE_CACHE=1 pushed to it carries its cache
# in its configuration, kept in REGISTRY_DIR/data.
port=$(free_port)
if address=$(REGISTRY_PORT=$port REGISTRY_DIR="$WORK/registry" bash dockerfiles/steps/registry.sh start 2>"$WORK/registry.err"); then
  on_exit env REGISTRY_PORT="$port" REGISTRY_DIR="$WORK/registry" bash dockerfiles/steps/registry.sh stop
  assert_eq "make registry starts a registry on loopback" "127.0.0.1:$port" "$address"
  assert_eq "the registry is a container of swiftlab-tools/registry on the host's network, run as the user" \
    "swiftlab-tools/registry host $(id -u):$(id -g)" \
    "$("$DOCKER" container inspect --format '{{.Config.Image}} {{.HostConfig.NetworkMode}} {{.Config.User}}' "swiftlab-registry-$port" 2>&1)"
  i=$(image_index go-app-scratch)
  mapfile -t args < <(build_args "${IMG_DOCKERFILE[$i]}")
  ref=$address/swiftlab-test/go-app-scratch:inline
  if DOCKER_BUILDKIT=1 "$DOCKER" build -q --build-arg BUILDKIT_INLINE_CACHE=1 -f "${IMG_DOCKERFILE[$i]}" -t "$ref" "${args[@]}" "${IMG_CONTEXT[$i]}" >/dev/null 2>"$WORK/inline.err" &&
    "$DOCKER" push -q "$ref" >/dev/null 2>>"$WORK/inline.err"; then
    on_exit "$DOCKER" image rm -f "$ref"
    manifest=$(curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$address/v2/swiftlab-test/go-app-scratch/manifests/inline")
    config=$(curl -fsS "http://$address/v2/swiftlab-test/go-app-scratch/blobs/$(jq -r .config.digest <<<"$manifest")")
    assert_eq "an image pushed with BUILDKIT_INLINE_CACHE=1 carries its cache (moby.buildkit.cache.v0)" true \
      "$(jq 'has("moby.buildkit.cache.v0")' <<<"$config" 2>&1)"
    REGISTRY_PORT=$port REGISTRY_DIR="$WORK/registry" bash dockerfiles/steps/registry.sh stop 2>/dev/null
    assert_eq "make registry-stop stops it, and the pushed image stays in REGISTRY_DIR/data" "stopped, kept" \
      "$("$DOCKER" container inspect "swiftlab-registry-$port" >/dev/null 2>&1 && echo running || echo stopped), $([ -d "$WORK/registry/data/docker/registry/v2/repositories/swiftlab-test/go-app-scratch" ] && echo kept || echo lost)"
  else
    fail "build with the inline cache and push to the local registry" "$(tail -n 5 "$WORK/inline.err")"
  fi
else
  fail "make registry starts a registry on loopback" "$(tail -n 5 "$WORK/registry.err")"
fi
out=$(REGISTRY_PORT=80 bash dockerfiles/steps/registry.sh start 2>&1)
assert_eq "a bad REGISTRY_PORT: one line" "error: REGISTRY_PORT=80: expected a port from 1024 to 65535" "$out"

# --- make ci-cache, quick: the Go example's build on a second, empty engine ---------------------------
# The lesson runs the Swift server's build (about 15 minutes); the Go
# example's takes a minute and shows the same four cases.
if [ "$(id -u)" -ne 0 ]; then
  skip "make ci-cache CI_CACHE_EXAMPLE=go" "it starts a second Docker engine, which needs root (sudo make test runs it)"
elif out=$(make --no-print-directory ci-cache CI_CACHE_EXAMPLE=go RESULTS_DIR="$WORK/ci" REGISTRY_PORT="$(free_port)" \
  REGISTRY_DIR="$WORK/ci-registry" BASES="$(jq -r .mode "$RESULTS_DIR/bases.json")" 2>&1); then
  assert_eq "make ci-cache: what each case ran again (dependency step, compile step) on the fresh runner" \
    "cold ran ran|inline, unchanged CACHED CACHED|inline, one source ran ran|+ build stage, one source CACHED ran" \
    "$(jq -r '[.cases[] | "\(.case) \(.resolve) \(.compile)"] | join("|")' "$WORK/ci/ci-cache.json" 2>&1)"
  check "make ci-cache prints the table" grep -qE '^\| inline, unchanged \| [0-9.]+ s \| [0-9]+ % \| CACHED \| CACHED \|$' <<<"$out"
  check "make ci-cache prints the docker build the runner runs" grep -qE '^\$ DOCKER_HOST=unix:///run/swiftlab-ci-runner.sock .*docker build --progress=plain ' <<<"$out"
  assert_eq "make ci-cache stops the second engine and removes its namespace and storage" "|" \
    "$(ip netns list 2>/dev/null | grep -o swiftlab-ci-runner)|$(ls -d "$TOOLS_DIR/swiftlab-ci-runner" 2>/dev/null)"
else
  fail "make ci-cache CI_CACHE_EXAMPLE=go" "$(tail -n 15 <<<"$out")"
fi
out=$(make --no-print-directory ci-cache CI_CACHE_EXAMPLE=rust 2>&1 | grep -vE '^make(\[[0-9]+\])?: \*\*\*' | tail -n1)
assert_eq "a bad CI_CACHE_EXAMPLE: one line" "error: CI_CACHE_EXAMPLE=rust: swift (the lesson) or go (a quick run)" "$out"

# --- The lock: every base pinned, and builds refuse a base that moved --------------------------------
for key in $(jq -r '.bases[].key' "$RESULTS_DIR/bases.json"); do
  reference=$(locked 1 "$key" 5)
  assert_eq "the lock pins the $key base to its image now" "$(locked 1 "$key" 7)" \
    "$("$DOCKER" image inspect --format '{{.Id}}' "$reference" 2>&1)"
done
awk -F'\t' -v OFS='\t' '!/^#/ && $1 == "golang" { $7 = "sha256:0000000000000000000000000000000000000000000000000000000000000000" } { print }' "$LOCK" >"$WORK/moved.lock"
# (The build step itself: make images runs make bases first, which pins anew.)
out=$(IMAGES=go-app-scratch BASES_LOCK="$WORK/moved.lock" bash dockerfiles/steps/lab.sh build 2>&1 | tail -n1)
assert_match "a base that moved since make bases pinned it: the build stops in one line" \
  '^error: [^ ]+ is not the image .* pins for GOLANG_IMAGE \(000000000000\): it was rebuilt, removed or retagged since; run: make bases$' "$out"

# --- OCI labels on every image ---------------------------------------------------------------
for i in "${!IMG_NAME[@]}"; do
  image=${IMG_NAME[$i]}
  labels=$("$DOCKER" image inspect --format '{{json .Config.Labels}}' "$image" 2>/dev/null) || { fail "$image: built"; continue; }
  label() { jq -r --arg k "org.opencontainers.image.$1" '.[$k] // "(none)"' <<<"$labels"; }
  # The source: the remote's URL, or no label at all (a clone of a folder).
  source=$(source_url)
  assert_eq "$image: source label (${source:-none: origin is not a URL})" "${source:-(none)}" "$(label source)"
  assert_eq "$image: title and description are its own, not its base's" "$image|Swift multi-stage lab, example ${IMG_EXAMPLE[$i]} (${IMG_LANGUAGE[$i]}): ${IMG_TYPE[$i]}" \
    "$(label title)|$(label description)"
  rev=$(label revision)
  assert_match "$image: revision label is a commit id" '^[0-9a-f]{40}(-dirty)?$' "$rev"
  check "$image: its revision is in this repository's history" git cat-file -e "${rev%-dirty}^{commit}"
  assert_match "$image: created label is a UTC time" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(label created)"
  if [ "${IMG_BASE[$i]}" = scratch ]; then
    assert_eq "$image: base.name says scratch, with no digest" "scratch|" "$(label base.name)|$(label base.digest)"
  else
    assert_eq "$image: base.name and base.digest are the lock's" "$(locked 1 "${IMG_BASE[$i]}" 4)|$(locked 1 "${IMG_BASE[$i]}" 6)" "$(label base.name)|$(label base.digest)"
    # The image sits on exactly the pinned base's layers.
    base_layers=$("$DOCKER" image inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' "$(locked 1 "${IMG_BASE[$i]}" 5)")
    image_layers=$("$DOCKER" image inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' "$image")
    assert_eq "$image: its first layers are the pinned base's" "$base_layers" "${image_layers:0:${#base_layers}}"
  fi
done

# --- The resolved Swift dependencies, inside each Swift image ----------------------------------------
if out=$(make --no-print-directory dependencies 2>&1); then
  for i in "${!IMG_NAME[@]}"; do
    [ "${IMG_LANGUAGE[$i]}" = Swift ] || continue
    table=$(awk -v image="${IMG_NAME[$i]}:" '$2 == image { on = 1; next } /^==>/ { on = 0 } on && !/^\$ /' <<<"$out")
    assert_match "make dependencies shows the versions inside ${IMG_NAME[$i]}" 'hummingbird +2\.28\.1 ' "$table"
    [ "${IMG_TYPE[$i]}" = single-stage ] && continue
    assert_match "make dependencies: Hummingbird is linked into ${IMG_NAME[$i]}'s binary" 'hummingbird +2\.28\.1 +[0-9a-f]{12} +yes' "$table"
    assert_match "make dependencies: ${IMG_NAME[$i]} names resolved packages that are not linked in (the tests')" '[0-9a-f]{12} +no' "$table"
  done
  assert_match "make dependencies prints the docker commands it runs" '^\$ [^ ]*docker create ' "$(grep -m1 -E '^\$ [^ ]*docker create' <<<"$out")"
else
  fail "make dependencies" "$(tail -n 10 <<<"$out")"
fi

finish
