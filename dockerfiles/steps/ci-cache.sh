#!/usr/bin/env bash
# make ci-cache: what a registry cache saves a CI runner that starts with an
# empty build cache (docs/07-layer-caching.md#ci-caches). The lab's engine
# plays the CI job that pushes the cache; a second Docker engine, started
# here with empty storage in a network namespace of its own (so that its
# bridge cannot touch the lab engine's), plays the next job's fresh runner.
# Both go through the registry on loopback (dockerfiles/steps/registry.sh): the
# runner's namespace gets a second registry process on the same storage.
# For swift-server's Dockerfile.scratch (or, CI_CACHE_EXAMPLE=go, the Go example's):
#   cold                  the runner builds with no cache at all
#   inline, unchanged     --cache-from the pushed image (inline cache), same sources
#   inline, one source    the same, after a one-line change to one source file
#   + build stage         --cache-from the image and its pushed build stage (what
#                         buildx's mode=max cache export would add), one-line change
# The runner's build cache is emptied before each build. Needs root (it
# starts dockerd). Writes $RESULTS_DIR/ci-cache.md and .json.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

# The build it measures: the Swift server's Dockerfile.scratch (the lesson), or
# with CI_CACHE_EXAMPLE=go the Go example's, seconds instead of minutes
# (make test's run). RESOLVE and COMPILE name the two steps the table follows.
case $CI_CACHE_EXAMPLE in
  swift) DOCKERFILE=dockerfiles/Dockerfile.scratch CONTEXT=swift-server SOURCE=Sources/SwiftServer/Routes.swift
    RESOLVE="swift package resolve" COMPILE="swift build -c release" ;;
  go) DOCKERFILE=examples/go/Dockerfile CONTEXT=examples/go SOURCE=main.go RESOLVE="go mod download" COMPILE="go build" ;;
  *) die "CI_CACHE_EXAMPLE=$CI_CACHE_EXAMPLE: swift (the lesson) or go (a quick run)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "make ci-cache starts a second Docker engine as the fresh CI runner: run it as root"
require_engine
[ -s "$LOCK" ] || die "no $LOCK (run: make bases)"
load_manifests
REGISTRY=$(bash dockerfiles/steps/registry.sh start) || exit 1
REPO=$REGISTRY/swiftlab/ci-cache
WORK=$(mktemp -d)

on_exit rm -rf "$WORK"
on_exit bash dockerfiles/steps/registry.sh stop
on_exit "$DOCKER" image rm -f "$REPO:final" "$REPO:build"
on_exit runner_stop

# --- The CI job that pushes the cache (the lab's engine) -----------------------------
args_text=$(build_args "$DOCKERFILE") || exit 1
mapfile -t args <<<"$args_text"
say "the job that pushes the cache: build with the inline cache, push the image and its build stage to $REGISTRY"
run "${BUILDKIT_ENV[@]}" docker build -q --build-arg BUILDKIT_INLINE_CACHE=1 -f "$DOCKERFILE" -t "$REPO:final" "${args[@]}" "$CONTEXT" >/dev/null
start=$(now_ms)
run docker push -q "$REPO:final" >/dev/null
push_final_ms=$(($(now_ms) - start))
run "${BUILDKIT_ENV[@]}" docker build -q --target build --build-arg BUILDKIT_INLINE_CACHE=1 -f "$DOCKERFILE" -t "$REPO:build" "${args[@]}" "$CONTEXT" >/dev/null
say "pushing the build stage$([ "$CI_CACHE_EXAMPLE" != swift ] || echo ": the Swift builder's layers are 4 GB, about 3 minutes the first time")"
start=$(now_ms)
run docker push -q "$REPO:build" >/dev/null
push_build_ms=$(($(now_ms) - start))

# --- The fresh runner: a second engine, empty, given the bases -----------------------
runner_start swiftlab-ci-runner
for ((k = 1; k < ${#args[@]}; k += 2)); do
  [ "${args[$((k - 1))]}" = --build-arg ] || continue
  base=${args[$k]#*=}
  say "giving the runner its base $base (docker save | docker load: a runner would pull it)"
  "$DOCKER" save "$base" | DOCKER_HOST=$RUNNER "$DOCKER" load -q >/dev/null
done

# runner_build CASE CHANGE [--cache-from REF...]: on the runner, from an
# empty build cache, on a fresh copy of the context (one-line change or not).
declare -A took=() resolve=() compile=()
runner_build() {
  local name=$1 change=$2 log=$WORK/$1.log start
  shift 2
  DOCKER_HOST=$RUNNER "$DOCKER" builder prune -a -f >/dev/null
  export_context "$DOCKERFILE" "$CONTEXT" "$WORK/context"
  [ "$change" = no ] || printf '// make ci-cache: a one-line change\n' >>"$WORK/context/$SOURCE"
  say "runner: $name"
  start=$(now_ms)
  run DOCKER_HOST="$RUNNER" "${BUILDKIT_ENV[@]}" docker build --progress=plain "$@" -f "$DOCKERFILE" -t ci-cache-probe "${args[@]}" "$WORK/context" >"$log" 2>&1 ||
    { tail -n 15 "$log" >&2; die "the runner's build failed ($name)"; }
  took[$name]=$(($(now_ms) - start))
  resolve[$name]=$(step_status "$log" "$RESOLVE")
  compile[$name]=$(step_status "$log" "$COMPILE")
  say "  $(awk -v ms="${took[$name]}" 'BEGIN { printf "%.1f s", ms / 1000 }'): resolve ${resolve[$name]}, compile ${compile[$name]}"
}
runner_build cold no
runner_build "inline, unchanged" no --cache-from "$REPO:final"
runner_build "inline, one source" yes --cache-from "$REPO:final"
runner_build "+ build stage, one source" yes --cache-from "$REPO:final" --cache-from "$REPO:build"

# --- The table ---------------------------------------------------------------------------
mkdir -p "$RESULTS_DIR"
for name in cold "inline, unchanged" "inline, one source" "+ build stage, one source"; do
  printf '%s\t%s\t%s\t%s\n' "$name" "${took[$name]}" "${resolve[$name]}" "${compile[$name]}"
done | python3 dockerfiles/measure/records.py ci-cache --dockerfile="$DOCKERFILE" --resolve="$RESOLVE" --compile="$COMPILE" \
  --push-final="$push_final_ms" --push-build="$push_build_ms" >"$RESULTS_DIR/ci-cache.json"
{
  python3 dockerfiles/measure/render.py ci-cache "$RESULTS_DIR"
  echo
  jq -r '"Pushing the cache took \(.push_ms.final / 1000 * 10 | round / 10) s for the image and \(.push_ms.build_stage / 1000 * 10 | round / 10) s for its build stage (\(.date))."' "$RESULTS_DIR/ci-cache.json"
} | tee "$RESULTS_DIR/ci-cache.md"
echo
say "written: $RESULTS_DIR/ci-cache.md and $RESULTS_DIR/ci-cache.json"
