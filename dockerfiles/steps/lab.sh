#!/usr/bin/env bash
# The lab's steps on its images: one function per step, each over every row
# of every manifest: dockerfiles/images.tsv and examples/*/images.tsv (or
# the images named in $IMAGES, or the examples in $EXAMPLE). Every docker
# command is printed, "$ " first, before it runs, so that you can type it
# again yourself.
#
#   dockerfiles/steps/lab.sh build     docker build, then docker images, for each image
#   dockerfiles/steps/lab.sh sizes     the size table: docker save, each layer unpacked and gzipped
#   dockerfiles/steps/lab.sh history   docker history of each image
#   dockerfiles/steps/lab.sh up        docker run -d -p ADDRESS:PORT:8080, then wait until healthy
#   dockerfiles/steps/lab.sh smoke     curl / and /info on each running container
#   dockerfiles/steps/lab.sh down      docker stop, docker rm
#   dockerfiles/steps/lab.sh clean     down, then docker rmi
#   dockerfiles/steps/lab.sh binary IMAGE DIR  the program of IMAGE's build stage,
#                                exported into DIR (its Dockerfile's binary stage)
#   dockerfiles/steps/lab.sh run ADDRESS PORT LOG_LEVEL  the image of $IMAGES in
#                                the foreground, published on ADDRESS:PORT
#
#   dockerfiles/steps/lab.sh dependencies  the Package.resolved inside each Swift image
#   dockerfiles/steps/lab.sh list      the examples, their images and lab ports
#   dockerfiles/steps/lab.sh finished  fail while a scaffolded example has TODOs left
#
# Settings (the Makefile passes them): IMAGES, EXAMPLE, PUBLISH_ADDRESS,
# RESULTS_DIR, BUILD_CA_BUNDLE, PIP_INDEX_URL, BASES_LOCK, SOURCE_URL, SOURCE_DATE_EPOCH.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh


# --- The manifests ---------------------------------------------------------------
load_manifests
selected=$(select_images) || exit 1
mapfile -t rows <<<"$selected"

need_bases() { [ -s "$RESULTS_DIR/bases.json" ] && [ -s "$LOCK" ] || die "no $RESULTS_DIR/bases.json or $LOCK (run: make bases)"; }
need_image() { [ -n "$("$DOCKER" image ls -q "$1")" ] || die "no image $1 (run: make images)"; }
container_exists() { "$DOCKER" container inspect "$1" >/dev/null 2>&1; }

# --- The steps ----------------------------------------------------------------

# unfinished ROW: fail when the row's example is a scaffold with TODOs left
# (make new-example), naming the first one.
unfinished() {
  local dir=${IMG_DIR[$1]} todo
  [[ $dir == examples/* ]] || return 0
  todo=$(todos "$dir" | head -n1)
  [ -z "$todo" ] || die "$dir is not finished: $(todos "$dir" | wc -l) TODO(s) left, the first at $todo (see docs/adding-an-example.md)"
}

# finished: fail unless every selected example is finished.
finished() {
  local i
  for i in "${rows[@]}"; do unfinished "$i"; done
}

build() {
  local i args args_text start
  say "building ${#rows[@]} image(s) with BuildKit. A Swift release build takes a few minutes on 2 cores the first time; the other languages' builds, seconds to a minute; a step BuildKit has already done comes from its cache in seconds."
  for i in "${rows[@]}"; do
    args_text=$(build_args "${IMG_DOCKERFILE[$i]}" && oci_labels "$i") || exit 1
    args=()
    [ -z "$args_text" ] || mapfile -t args <<<"$args_text"
    say "building ${IMG_NAME[$i]} (${IMG_DOCKERFILE[$i]}, ${IMG_TYPE[$i]}, context ${IMG_CONTEXT[$i]}/)"
    start=$(now_ms)
    run "${BUILDKIT_ENV[@]}" docker build -f "${IMG_DOCKERFILE[$i]}" -t "${IMG_NAME[$i]}" "${args[@]}" "${IMG_CONTEXT[$i]}" ||
      die "building ${IMG_NAME[$i]} failed (see the build output above)"
    say "built ${IMG_NAME[$i]} in $(seconds_since "$start") s"
    run docker images "${IMG_NAME[$i]}"
  done
}

# binary IMAGE DIR: the files of the binary stage of IMAGE's Dockerfile (the
# program its build stage compiled, before and after strip), written into DIR
# by BuildKit's local exporter: what `make build` gives. The build stage is the
# image's own, so BuildKit's cache serves both.
binary() {
  local name=$1 dest=$2 i args_text args=() start
  i=$(image_index "$name") || die "no image $name in any manifest"
  grep -qE '^FROM .* AS binary$' "${IMG_DOCKERFILE[$i]}" || die "${IMG_DOCKERFILE[$i]} has no binary stage"
  args_text=$(build_args "${IMG_DOCKERFILE[$i]}") || exit 1
  [ -z "$args_text" ] || mapfile -t args <<<"$args_text"
  say "building the static binary in the Swift builder (${IMG_DOCKERFILE[$i]}, stage binary) into $dest/: a few minutes the first time, seconds once $name's build is cached"
  start=$(now_ms)
  run "${BUILDKIT_ENV[@]}" docker build -f "${IMG_DOCKERFILE[$i]}" --target binary --output "type=local,dest=$dest" "${args[@]}" "${IMG_CONTEXT[$i]}" ||
    die "building the binary failed (see the build output above)"
  say "built $dest/server (stripped, as $name carries it) and $dest/unstripped/server (with its symbol table) in $(seconds_since "$start") s"
}

# run ADDRESS PORT LOG_LEVEL: the first selected image in the foreground,
# published on ADDRESS:PORT, until Ctrl-C (docker passes the signal on).
run_image() {
  local i=${rows[0]} address=$1 port=$2 level=$3
  need_image "${IMG_NAME[$i]}"
  say "serving on http://$address:$port (try: curl localhost:$port/info; Ctrl-C stops it)"
  run docker run --rm --name "${IMG_NAME[$i]}-run" -p "$address:$port:8080" -e "LOG_LEVEL=$level" "${IMG_NAME[$i]}"
}

# dependencies: the Package.resolved inside each Swift image (the exact
# versions its build resolved), as a table, saying which of the packages are
# linked into the binary where the image records it (linked-packages.txt). A multi-stage image keeps it at
# /usr/share/doc/PROGRAM/, the single-stage image in its working folder.
dependencies() {
  local i container program workdir path found linked
  for i in "${rows[@]}"; do
    [ "${IMG_LANGUAGE[$i]}" = Swift ] || continue
    need_image "${IMG_NAME[$i]}"
    program=$(image_program "${IMG_NAME[$i]}")
    workdir=$("$DOCKER" image inspect --format '{{.Config.WorkingDir}}' "${IMG_NAME[$i]}")
    echo
    container=$(run docker create "${IMG_NAME[$i]}")
    found=''
    for path in "/usr/share/doc/$(basename "$program")/Package.resolved" "${workdir:-/}/Package.resolved"; do
      if "$DOCKER" cp "$container:$path" - >"$WORK_TAR" 2>/dev/null; then
        show docker cp "$container:$path" - '|' tar -xO
        say "${IMG_NAME[$i]}: $path"
        # Beside it, the packages the build linked in (linked-packages.sh):
        # the others of Package.resolved serve only the tests or the build.
        linked=-
        if "$DOCKER" cp "$container:$(dirname "$path")/linked-packages.txt" - 2>/dev/null | tar -xO >"$WORK_TAR.linked" 2>/dev/null; then
          show docker cp "$container:$(dirname "$path")/linked-packages.txt" - '|' tar -xO
          linked=$(tr '\n' ' ' <"$WORK_TAR.linked")
        fi
        tar -xOf "$WORK_TAR" | python3 dockerfiles/measure/records.py pins --linked="$linked" |
          column -t -s $'\t' | sed 's/^/  /'
        found=1
        break
      fi
    done
    [ -n "$found" ] || say "${IMG_NAME[$i]}: no Package.resolved inside (built before make dependencies existed? run: make images)"
    run docker rm "$container" >/dev/null
  done
  rm -f "$WORK_TAR" "$WORK_TAR.linked"
}

sizes() {
  local i j size layers zsize factor csv=$RESULTS_DIR/sizes.csv
  local -A single=()
  mkdir -p "$RESULTS_DIR"
  # The single-stage image of each example measured (first: the manifests
  # list it first), to say how many times smaller each image is.
  for i in "${rows[@]}"; do
    [ -z "${single[${IMG_EXAMPLE[$i]}]:-}" ] || continue
    for j in "${!IMG_NAME[@]}"; do
      [ "${IMG_EXAMPLE[$j]}" = "${IMG_EXAMPLE[$i]}" ] && [ "${IMG_TYPE[$j]}" = single-stage ] || continue
      [ -n "$("$DOCKER" image ls -q "${IMG_NAME[$j]}")" ] || continue
      single[${IMG_EXAMPLE[$i]}]=$(image_unpacked "${IMG_NAME[$j]}") || exit 1
    done
  done
  echo "example,image,build_type,base,bytes,compressed_bytes,layers,smaller_than_single_stage" >"$csv.tmp"
  : >"$RESULTS_DIR/sizes.jsonl"
  for i in "${rows[@]}"; do
    need_image "${IMG_NAME[$i]}"
    read -r size zsize layers <<<"$(image_sizes "${IMG_NAME[$i]}")" || exit 1
    [ -n "$layers" ] || exit 1
    # How many times smaller than the example's single-stage image.
    factor=$(awk -v s="${single[${IMG_EXAMPLE[$i]}]:-0}" -v b="$size" 'BEGIN { if (s > 0) printf "%.1f", s / b }')
    echo "${IMG_EXAMPLE[$i]},${IMG_NAME[$i]},\"${IMG_TYPE[$i]}\",$(base_name "$i"),$size,$zsize,$layers,${factor}" >>"$csv.tmp"
    python3 dockerfiles/measure/records.py size --example="${IMG_EXAMPLE[$i]}" --image="${IMG_NAME[$i]}" --type="${IMG_TYPE[$i]}" \
      --base="$(base_name "$i")" --bytes="$size" --compressed="$zsize" --layers="$layers" --factor="$factor" \
      >>"$RESULTS_DIR/sizes.jsonl"
  done
  mv "$csv.tmp" "$csv"
  jq -s . "$RESULTS_DIR/sizes.jsonl" >"$RESULTS_DIR/sizes.json" && rm -f "$RESULTS_DIR/sizes.jsonl"
  echo
  python3 dockerfiles/measure/render.py sizes "$RESULTS_DIR"
  echo
  echo "(size: the unpacked size of the image's layers, what docker images shows on the classic image store, 1 MB = 10^6 bytes; compressed: each layer through gzip -6, what a registry transfer costs; both from docker save, the same on every image store; smaller: the example's single-stage size divided by this one; also in $RESULTS_DIR/sizes.csv and sizes.json)"
}

history() {
  local i
  for i in "${rows[@]}"; do
    need_image "${IMG_NAME[$i]}"
    echo
    run docker history "${IMG_NAME[$i]}"
  done
}

# The address curl uses for a port published on PUBLISH_ADDRESS.
curl_host() {
  case $PUBLISH_ADDRESS in 127.0.0.1 | 0.0.0.0) echo localhost ;; *) echo "$PUBLISH_ADDRESS" ;; esac
}

up() {
  local i
  say "starting ${#rows[@]} container(s), each publishing its lab port on $PUBLISH_ADDRESS$([ "$PUBLISH_ADDRESS" = 127.0.0.1 ] && echo ' (this machine only; PUBLISH_ADDRESS=0.0.0.0 for every interface)')"
  for i in "${rows[@]}"; do
    need_image "${IMG_NAME[$i]}"
    if container_exists "${IMG_NAME[$i]}"; then run docker rm -fv "${IMG_NAME[$i]}" >/dev/null; fi
    local extra=()
    [ -z "${IMG_RUN[$i]}" ] || IFS=$'\t' read -ra extra <<<"${IMG_RUN[$i]}"
    run docker run -d --name "${IMG_NAME[$i]}" -p "$PUBLISH_ADDRESS:${IMG_PORT[$i]}:8080" "${extra[@]}" "${IMG_NAME[$i]}" ||
      die "cannot start ${IMG_NAME[$i]} on $PUBLISH_ADDRESS:${IMG_PORT[$i]} (is the port in use?)"
  done
  say "waiting until each HEALTHCHECK says healthy (docker inspect --format '{{.State.Health.Status}}' NAME, every 0.25 s)"
  for i in "${rows[@]}"; do
    if wait_healthy "${IMG_NAME[$i]}" 60; then
      say "${IMG_NAME[$i]} is healthy: http://$(curl_host):${IMG_PORT[$i]}/"
    else
      container_logs "${IMG_NAME[$i]}" >&2
      die "${IMG_NAME[$i]} did not become healthy within 60 s (its logs are above)"
    fi
  done
  run docker ps
}

smoke() {
  local i path status=0
  for i in "${rows[@]}"; do
    for path in / /info; do
      run curl -fsS "http://$(curl_host):${IMG_PORT[$i]}$path" || { status=1; echo "(no answer from ${IMG_NAME[$i]}: is it up? make up)"; }
    done
  done
  return "$status"
}

down() {
  local i
  for i in "${rows[@]}"; do
    container_exists "${IMG_NAME[$i]}" || continue
    run docker stop "${IMG_NAME[$i]}"
    # -v: also the anonymous volumes of an image's VOLUME (a named volume,
    # such as the notes of make up, stays).
    run docker rm -v "${IMG_NAME[$i]}"
  done
}

clean() {
  down
  local i volume
  for i in "${rows[@]}"; do
    [ -z "$("$DOCKER" image ls -q "${IMG_NAME[$i]}")" ] || run docker rmi "${IMG_NAME[$i]}"
  done
  # Named volumes hold what a learner stored (the notes of `make up`): kept.
  for i in "${rows[@]}"; do
    volume=$(tr '\t' '\n' <<<"${IMG_RUN[$i]}" | sed -nE 's/^--volume=([^/:][^:]*):.*/\1/p')
    [ -n "$volume" ] && "$DOCKER" volume inspect "$volume" >/dev/null 2>&1 &&
      say "kept the volume $volume and what it holds (docker volume rm $volume removes it)"
  done
  return 0
}

list() {
  local i
  echo "| example | language | image | build type | lab port | Dockerfile | context |"
  echo "|---|---|---|---|---:|---|---|"
  for i in "${rows[@]}"; do
    echo "| ${IMG_EXAMPLE[$i]} | ${IMG_LANGUAGE[$i]} | ${IMG_NAME[$i]} | ${IMG_TYPE[$i]} | ${IMG_PORT[$i]} | ${IMG_DOCKERFILE[$i]} | ${IMG_CONTEXT[$i]}/ |"
  done
}

command=${1:-}
case $command in
  build) finished; require_engine; need_bases; build ;;
  binary) require_engine; need_bases; binary "${2:?usage: lab.sh binary IMAGE DIR}" "${3:?usage: lab.sh binary IMAGE DIR}" ;;
  run) require_engine; need_bases; [ -n "$("$DOCKER" image ls -q "${IMG_NAME[${rows[0]}]}")" ] || build; run_image "${2:-127.0.0.1}" "${3:-8080}" "${4:-info}" ;;
  sizes) finished; require_engine; need_bases; sizes ;;
  history | up | down | clean) require_engine; "$command" ;;
  smoke) smoke ;;
  list) list ;;
  dependencies) require_engine; WORK_TAR=$(mktemp); dependencies ;;
  finished) finished ;;
  *) die "usage: dockerfiles/steps/lab.sh build|sizes|history|up|smoke|down|clean|binary|run|dependencies|list" ;;
esac
