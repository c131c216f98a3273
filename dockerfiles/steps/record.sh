#!/usr/bin/env bash
# make record (docs/README.md, "The figures"): one complete run of the lab,
# whose results files every figure of README.md and docs/ is rendered from.
# It runs, timing each:
#   make all        then keeps sizes, bases, layers, binary and machine
#   make test       then keeps its counts and each suite's time
#   make scan, make analyze, make bench, make bench-build, make ci-cache
# and writes their JSON into $RECORD_DIR (default docs/results), with
#   run.json        the commit, the machine, the engine, the image store,
#                   the base mode, and whether the run began from nothing
#   timings.json    each step's time, and make test's counts by suite.
# RECORD_COLD=yes begins make all and make test from nothing, as a fresh
# machine would: before each, make distclean (the lab's images, bases, tools
# and results) and docker builder prune -af (the engine's whole build cache,
# not only the lab's). Without it, the steps run from what is there.
# RECORD_STEPS runs some of the steps again (make record RECORD_STEPS=bench),
# keeping the others' figures: timings.json says, for each step, its time,
# its commit, when it ran and whether it began from nothing, and run.json
# lists every commit the record comes from. Afterwards: make docs.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

out=${RECORD_DIR:-docs/results}
cold=${RECORD_COLD:-no}
ALL_STEPS="all test scan analyze bench bench-build ci-cache"
steps=${RECORD_STEPS:-$ALL_STEPS}
case $cold in yes | no) ;; *) die "RECORD_COLD is '$cold': say yes or no" ;; esac
for step in $steps; do
  [[ " $ALL_STEPS " == *" $step "* ]] || die "RECORD_STEPS: no step '$step' (steps: $ALL_STEPS)"
done
mkdir -p "$out" 2>/dev/null && [ -w "$out" ] || die "cannot write to RECORD_DIR $out"
command -v jq >/dev/null || die "no jq on PATH (run: make host-tools)"
commit=$(git rev-parse HEAD 2>/dev/null) || die "make record needs a git checkout (it records the commit it measured)"
[ -z "$(git status --porcelain --untracked-files=no -- . ":!$out" 2>/dev/null)" ] || commit+=-dirty
# Every step again: a record of its own. Some: the others' figures stay.
if [ "$steps" = "$ALL_STEPS" ] || [ ! -s "$out/timings.json" ]; then echo '{}' >"$out/timings.json"; fi
jq -e . "$out/timings.json" >/dev/null 2>&1 || die "$out/timings.json is not JSON: make record with every step writes it anew"

# from_nothing: wipe the lab's state and the build cache (RECORD_COLD=yes only).
from_nothing() {
  [ "$cold" = yes ] || return 0
  say "from nothing: make distclean, then docker builder prune -af"
  make distclean >/dev/null
  make engine >/dev/null
  require_engine
  run docker builder prune -af >/dev/null
}

# timed STEP: make STEP, its time, commit and start into timings.json.
timed() {
  local step=$1 start began
  start=$(date +%s) began=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  say "make $step (for $out)"
  make "$step" || die "make $step failed: $out keeps what the steps before it recorded"
  jq --arg step "$step" --argjson seconds "$(($(date +%s) - start))" --arg commit "$commit" --arg began "$began" \
    --argjson cold "$([[ $cold == yes && ( $step == all || $step == test ) ]] && echo true || echo false)" '
    .steps_seconds[$step] = $seconds
    | .steps[$step] = {seconds: $seconds, commit: $commit, began: $began, from_nothing: $cold}' \
    "$out/timings.json" >"$out/timings.json.new" && mv "$out/timings.json.new" "$out/timings.json"
}

# keep FILE...: copy each results file into the record.
keep() {
  local file
  for file in "$@"; do
    [ -f "$RESULTS_DIR/$file" ] || die "$RESULTS_DIR/$file is missing after the step that writes it"
    cp "$RESULTS_DIR/$file" "$out/$file"
  done
}

make engine >/dev/null
require_engine
for step in $steps; do
  case $step in
    all | test) from_nothing ;;
  esac
  timed "$step"
  case $step in
    all) keep sizes.json bases.json layers.json binary.json machine.json ;;
    test)
      # make test's counts ("PASSED FAILED SKIPPED SUITE") and times ("SUITE SECONDS").
      jq -Rn '[inputs | split(" ") | {suite: .[3], passed: (.[0] | tonumber), failed: (.[1] | tonumber), skipped: (.[2] | tonumber)}]' \
        "$RESULTS_DIR/test/counts" >"$out/.counts.json"
      jq -Rn '[inputs | split(" ") | {key: .[0], value: (.[1] | tonumber)}] | from_entries' "$RESULTS_DIR/test/times" >"$out/.times.json"
      jq --slurpfile counts "$out/.counts.json" --slurpfile times "$out/.times.json" '
        .test = {passed: ($counts[0] | map(.passed) | add), failed: ($counts[0] | map(.failed) | add),
                 skipped: ($counts[0] | map(.skipped) | add), suites: [$counts[0][] | . + {seconds: $times[0][.suite]}]}' \
        "$out/timings.json" >"$out/timings.json.new" && mv "$out/timings.json.new" "$out/timings.json"
      rm -f "$out/.counts.json" "$out/.times.json"
      ;;
    # The files dive found wasted, by path, stay in $RESULTS_DIR: a path names
    # a place of the machine that built the image (with local bases, the
    # builder's package mirrors), and the docs quote only their count and bytes.
    analyze) jq 'map(del(.wasted_files))' "$RESULTS_DIR/analyze.json" >"$out/analyze.json" ;;
    *) keep "$step.json" ;;
  esac
done

client=$("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null || echo unknown)
server=$("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)
buildx=$("$DOCKER" buildx version 2>/dev/null | awk '{ print $2 }' || true)
[ -s "$out/machine.json" ] && [ -s "$out/bases.json" ] || die "$out has no machine.json or bases.json: make record RECORD_STEPS=all first"
jq -n --arg client "$client" --arg server "$server" --arg buildx "${buildx:-none (built-in BuildKit)}" --arg store "$(image_store)" \
  --slurpfile machine "$out/machine.json" --slurpfile bases "$out/bases.json" --slurpfile timings "$out/timings.json" '
  ($timings[0].steps // {}) as $steps
  | {commit: ([$steps[].commit] | unique | join(", ")), commits: ($steps | map_values(.commit)),
     from_nothing: ([$steps.all.from_nothing, $steps.test.from_nothing] | all),
     machine: ($machine[0] | {cores, memory_mib, arch, os, kernel}),
     engine: {server: $server, client: $client, buildx: $buildx, image_store: $store},
     bases: $bases[0].mode}' >"$out/run.json"
say "recorded in $out: $(cd "$out" && printf "%s " *.json)(next: make docs)"
