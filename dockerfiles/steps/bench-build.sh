#!/usr/bin/env bash
# make bench-build: how long a build takes, and what BuildKit's layer cache
# and cache mounts save, for each bench row of every manifest (the minimal and
# the production Swift Dockerfile, and the optimised Dockerfile of each
# example; docs/07-layer-caching.md):
#   (a) cold: --no-cache, and the cache mounts emptied
#   (b) again, nothing changed
#   (c) after a one-line change to one source file
#   (d) after a one-line change to the dependency manifest
# Each build runs on a copy of its build context (exported by BuildKit itself,
# so exactly what `docker build` would send), with its cache mounts renamed
# (id=...-bench), so no tracked file changes and the lab's own caches stay
# as they are. Each case runs BENCH_RUNS times, or once when its first run
# took longer than BENCH_SLOW seconds, and the table gives the median.
# Writes $RESULTS_DIR/bench-build.md and .json; the build logs go to
# $RESULTS_DIR/bench-build/.
#
# Settings (the Makefile passes them): EXAMPLE, BENCH_RUNS, BENCH_SLOW, RESULTS_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

[[ $BENCH_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS=$BENCH_RUNS: expected a whole number of runs, 1 or more"
[[ $BENCH_SLOW =~ ^[0-9]+$ ]] || die "BENCH_SLOW=$BENCH_SLOW: expected a number of seconds"

require_engine
load_manifests
[ -s "$RESULTS_DIR/bases.json" ] && [ -s "$LOCK" ] || die "no $RESULTS_DIR/bases.json or $LOCK (run: make bases)"

cases=()
for i in "${!BENCH_EXAMPLE[@]}"; do
  if [ -z "${EXAMPLE:-}" ] || [[ " $EXAMPLE " == *" ${BENCH_EXAMPLE[$i]} "* ]]; then cases+=("$i"); fi
done
[ ${#cases[@]} -gt 0 ] || die "EXAMPLE=$EXAMPLE: no bench row (examples: $(printf '%s\n' "${BENCH_EXAMPLE[@]}" | uniq | paste -sd' ' -))"

LOGS=$RESULTS_DIR/bench-build
mkdir -p "$LOGS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/swiftlab-bench.XXXXXX")
TAG=swiftlab-bench/build
on_exit rm -rf "$WORK"
on_exit "$DOCKER" image prune -f --filter label=org.swiftlab.bench=1
on_exit "$DOCKER" image rm -f "$TAG"

# bench_dockerfile DOCKERFILE: the Dockerfile with every cache mount renamed
# to its -bench twin; bench_mounts DOCKERFILE: those ids.
bench_dockerfile() { sed -E 's/(--mount=type=cache,id=)([A-Za-z0-9._-]+)/\1\2-bench/g' "$1"; }
bench_mounts() { grep -oE -- '--mount=type=cache,id=[A-Za-z0-9._-]+,target=[^, ]+' "$1" | sed -E 's/.*id=([^,]+),target=(.*)/\1 \2/' | sort -u; }

# empty_mounts DOCKERFILE: empty its -bench cache mounts, with a throwaway
# build on the slim base that mounts each and deletes what is inside.
empty_mounts() {
  local id lines='' slim
  slim=$(locked 1 slim 5)
  while read -r id _; do
    [ -n "$id" ] || continue
    lines+="RUN --mount=type=cache,id=$id,target=/m,sharing=locked find /m -mindepth 1 -delete"$'\n'
  done < <(bench_mounts "$WORK/Dockerfile")
  [ -n "$lines" ] || return 0
  printf 'FROM %s\n%s' "$slim" "$lines" >"$WORK/probe/Dockerfile.empty"
  DOCKER_BUILDKIT=1 "$DOCKER" build -q --no-cache -f "$WORK/probe/Dockerfile.empty" "$WORK/probe" >/dev/null
}

# edit FILE N: a one-line change that changes nothing the program does: a
# comment, in the file's own syntax (a field, in JSON). The line names this
# run of the bench too: an edit made before, with the same content, would
# find its steps in BuildKit's cache.
NONCE=$(date +%s)-$$
edit() {
  set -- "$1" "$2 ($NONCE)"
  case $1 in
    *.swift | *.go | *.java | *.ts | *.js | */go.mod) printf '// bench-build edit %s\n' "$2" >>"$1" ;;
    *.py | *.txt | *.toml) printf '# bench-build edit %s\n' "$2" >>"$1" ;;
    *.json) jq --arg n "$2" '. + {"//bench-build": $n}' "$1" >"$1.new" && mv "$1.new" "$1" ;;
    *) die "bench-build cannot edit $1: no comment syntax known for it (add one to edit in $0)" ;;
  esac
}

# build CASE KIND RUN: time one build; its log goes to $LOGS.
build_once() {
  local i=$1 kind=$2 run=$3 log start args_text args=()
  log=$LOGS/${BENCH_EXAMPLE[$i]}-$(basename "${BENCH_DOCKERFILE[$i]}")-$kind-$run.log
  args_text=$(build_args "${BENCH_DOCKERFILE[$i]}") || exit 1
  [ -z "$args_text" ] || mapfile -t args <<<"$args_text"
  [ "$kind" != a ] || { empty_mounts; args+=(--no-cache); }
  start=$(now_ms)
  if ! DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --label org.swiftlab.bench=1 -f "$WORK/Dockerfile" -t "$TAG" "${args[@]}" "$WORK/context" >"$log" 2>&1; then
    tail -n 15 "$log" >&2
    die "the bench build failed: ${BENCH_DOCKERFILE[$i]} ($kind, run $run; log: $log)"
  fi
  LAST_MS=$(($(now_ms) - start))
  LAST_LOG=$log
}

# program_sha IMAGE: the sha256 of the program an image runs (its entrypoint,
# or its command's first word, found in the image's PATH when it is a bare
# name), read from the image without running it.
program_sha() {
  local program
  program=$(image_program_path "$1")
  case $program in
    /*) image_file "$1" "$program" | sha256sum | cut -c1-64 ;;
    *) echo "-" ;;
  esac
}

# lab_image DOCKERFILE: the lab's image built from that Dockerfile, if any.
lab_image() {
  local j
  for j in "${!IMG_NAME[@]}"; do [ "${IMG_DOCKERFILE[$j]}" != "$1" ] || { echo "${IMG_NAME[$j]}"; return; }; done
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

json_cases=()
printf '%s\n' "==> make bench-build: ${#cases[@]} Dockerfile(s), up to $BENCH_RUNS run(s) of each case (a case whose first run takes over ${BENCH_SLOW} s runs once). A cold Swift build takes a few minutes on 2 cores."
for i in "${cases[@]}"; do
  dockerfile=${BENCH_DOCKERFILE[$i]} context=${BENCH_CONTEXT[$i]} source=${BENCH_SOURCE[$i]} manifest=${BENCH_MANIFEST[$i]}
  say "${BENCH_EXAMPLE[$i]}: $dockerfile (context $context/): exporting the build context"
  mkdir -p "$WORK/probe"
  export_context "$dockerfile" "$context" "$WORK/context" || die "cannot export the build context of $dockerfile"
  bench_dockerfile "$dockerfile" >"$WORK/Dockerfile"
  rm -f "$WORK/Dockerfile.dockerignore"
  [ ! -f "$dockerfile.dockerignore" ] || cp "$dockerfile.dockerignore" "$WORK/Dockerfile.dockerignore"
  [ -f "$WORK/context/$source" ] || die "$dockerfile: its bench source $source is not in the build context"
  [ "$manifest" = - ] || [ -f "$WORK/context/$manifest" ] || die "$dockerfile: its bench manifest $manifest is not in the build context"
  context_bytes=$(du -sb "$WORK/context" | cut -f1)
  folder_bytes=$(du -sb "$context" | cut -f1)
  declare -A times=([a]='' [b]='' [c]='' [d]='') first=()
  dep_c='' dep_d='' ran_c='' cold_sha='' image_bytes=''
  # Reproducibility is compared for the compiled languages' programs (Swift
  # and Go): a JVM or an interpreter is the base's, not the build's.
  lab=$(lab_image "$dockerfile") lab_sha=- compiled=''
  for j in "${!IMG_NAME[@]}"; do
    [ "${IMG_EXAMPLE[$j]}" = "${BENCH_EXAMPLE[$i]}" ] && [[ ${IMG_LANGUAGE[$j]} == Swift || ${IMG_LANGUAGE[$j]} == Go ]] && compiled=1
  done
  [ -z "$lab" ] || [ -z "$compiled" ] || lab_sha=$(program_sha "$lab" 2>/dev/null || echo -)
  for run in $(seq 1 "$BENCH_RUNS"); do
    for kind in a b c d; do
      [ "$kind" != d ] || [ "$manifest" != - ] || continue
      if [ "$run" -gt 1 ] && [ "${first[$kind]}" -gt $((BENCH_SLOW * 1000)) ]; then continue; fi
      case $kind in
        # Each cold build starts from the sources as they are, so that the
        # programs of two cold builds can be compared (reproducibility).
        a) [ "$run" -eq 1 ] || export_context "$dockerfile" "$context" "$WORK/context" ;;
        c) edit "$WORK/context/$source" "$run" ;;
        d) edit "$WORK/context/$manifest" "$run" ;;
      esac
      printf '  run %s/%s, (%s) %-22s' "$run" "$BENCH_RUNS" "$kind" "$(case $kind in a) echo cold ;; b) echo "nothing changed" ;; c) echo "one source file" ;; d) echo "dependency manifest" ;; esac)"
      build_once "$i" "$kind" "$run"
      printf ' %6s s\n' "$(secs "$LAST_MS")"
      times[$kind]+="$LAST_MS "
      # Reproducibility: the program each cold build made.
      [ "$kind" != a ] || [ -z "$compiled" ] || cold_sha+="$(program_sha "$TAG") "
      # The image's size, from the first cold build.
      [ "$kind" != a ] || [ -n "$image_bytes" ] || image_bytes=$(image_unpacked "$TAG") || die "cannot measure the image of $dockerfile"
      [ -n "${first[$kind]:-}" ] || first[$kind]=$LAST_MS
      case $kind in
        c)
          dep_c+="$(step_status "$LAST_LOG" "${BENCH_STEP[$i]}") "
          [ -n "$ran_c" ] || ran_c=$(steps_ran "$LAST_LOG")
          ;;
        d) dep_d+="$(step_status "$LAST_LOG" "${BENCH_STEP[$i]}") " ;;
      esac
    done
  done
  say "after (c), the dependency step (${BENCH_STEP[$i]}): ${dep_c% }; the steps that ran:"
  printf '      %s\n' "${ran_c:-(nothing)}" | sed '2,$s/^/      /' 
  "$DOCKER" image rm -f "$TAG" >/dev/null 2>&1 || true
  empty_mounts
  # The case's record (--option=value: a value may start with a dash).
  record=$(python3 dockerfiles/measure/records.py bench-build-case --example="${BENCH_EXAMPLE[$i]}" --dockerfile="$dockerfile" \
    --step="${BENCH_STEP[$i]}" --context="$context_bytes" --folder="$folder_bytes" --image-bytes="$image_bytes" \
    --a="${times[a]}" --b="${times[b]}" --c="${times[c]}" --d="${times[d]}" --dep-c="$dep_c" --dep-d="$dep_d" \
    --ran-c="$ran_c" --cold-sha="$cold_sha" --lab="${lab:--}" --lab-sha="$lab_sha") || die "cannot write the record of $dockerfile"
  json_cases+=("$record")
done

printf '%s\n' "${json_cases[@]}" | python3 dockerfiles/measure/records.py bench-build --runs="$BENCH_RUNS" --slow="$BENCH_SLOW" \
  --engine="$("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null)" >"$RESULTS_DIR/bench-build.json"

# The tables, from the JSON: seconds, and the share of the cold build.
{
  python3 dockerfiles/measure/render.py bench-build "$RESULTS_DIR" --only table-bench-build
  echo
  jq -r '"Medians of up to \(.runs) runs (\(.date), \(.cpus) CPUs, Docker Engine \(.engine)); a case whose first run took over \(.slow_s) s ran once."' "$RESULTS_DIR/bench-build.json"
  echo "Percentages are of (a). The dependency step is the RUN that resolves or installs dependencies: CACHED means BuildKit did not run it again."
  echo
  echo "Reproducibility: the program that each cold build (a) made, against the one in the lab's image from the same Dockerfile (make images)."
  echo
  python3 dockerfiles/measure/render.py bench-build "$RESULTS_DIR" --only table-reproducible
} | tee "$RESULTS_DIR/bench-build.md"
echo
say "written: $RESULTS_DIR/bench-build.md and $RESULTS_DIR/bench-build.json (build logs in $LOGS/)"
