#!/usr/bin/env bash
# The lab's steps on its images: one function per step, each over every row
# of dockerfiles/images.tsv (or the rows named in $IMAGES). Every docker
# command is printed, "$ " first, before it runs, so that you can type it
# again yourself.
#
#   dockerfiles/lab.sh build     docker build, then docker images, for each image
#   dockerfiles/lab.sh sizes     the size table: docker image inspect, docker save | gzip
#   dockerfiles/lab.sh history   docker history of each image
#   dockerfiles/lab.sh up        docker run -d -p ADDRESS:PORT:8080, then wait until healthy
#   dockerfiles/lab.sh smoke     curl / and /info on each running container
#   dockerfiles/lab.sh down      docker stop, docker rm
#   dockerfiles/lab.sh clean     down, then docker rmi
#
# Settings (the Makefile passes them): IMAGES, PUBLISH_ADDRESS, RESULTS_DIR.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

RESULTS_DIR=${RESULTS_DIR:-results}
PUBLISH_ADDRESS=${PUBLISH_ADDRESS:-127.0.0.1}
MANIFEST=dockerfiles/images.tsv
# Every Dockerfile of the manifest builds from this folder: `COPY Sources`
# means swift-server/Sources. swift-server/.dockerignore keeps the host's
# build folders out of it.
CONTEXT=swift-server

# --- The manifest ------------------------------------------------------------
names=() dockerfiles=() types=() bases=() ports=()
while IFS=$'\t' read -r name dockerfile type base port _; do
  names+=("$name") dockerfiles+=("dockerfiles/$dockerfile") types+=("$type") bases+=("$base") ports+=("$port")
done < <(tsv_rows "$MANIFEST")

# index_of IMAGE: its row number in the manifest.
index_of() {
  local i
  for i in "${!names[@]}"; do [ "${names[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
  die "IMAGES: no image $1 in $MANIFEST (images: ${names[*]})"
}

# The rows this run works on: $IMAGES, or all of them.
rows=()
for name in ${IMAGES:-${names[*]}}; do
  row=$(index_of "$name") || exit 1
  rows+=("$row")
done

need_bases() { [ -s "$RESULTS_DIR/bases.json" ] || die "no $RESULTS_DIR/bases.json (run: make bases)"; }
need_image() { [ -n "$("$DOCKER" image ls -q "$1")" ] || die "no image $1 (run: make images)"; }
container_exists() { "$DOCKER" container inspect "$1" >/dev/null 2>&1; }

# base_name ROW: the base image the row's final stage starts from.
base_name() {
  [ "${bases[$1]}" = scratch ] && { echo scratch; return; }
  base_image "${bases[$1]}"
}

# build_args DOCKERFILE: --build-arg NAME=IMAGE for each base image ARG that
# the Dockerfile declares, as `make bases` resolved it.
build_args() {
  local arg image
  while read -r arg; do
    image=$(jq -er --arg arg "$arg" '.bases[] | select(.build_arg == $arg) | .name' "$RESULTS_DIR/bases.json") ||
      die "$1 declares ARG $arg, which no row of dockerfiles/bases/bases.tsv provides"
    printf '%s\n' --build-arg "$arg=$image"
  done < <(base_args "$1")
}

# --- The steps ----------------------------------------------------------------

build() {
  local i args start
  say "building ${#rows[@]} image(s) with BuildKit from the context $CONTEXT/. A Swift release build takes about 4 minutes on 2 cores the first time; a step BuildKit has already done comes from its cache in seconds."
  for i in "${rows[@]}"; do
    mapfile -t args < <(build_args "${dockerfiles[$i]}")
    say "building ${names[$i]} (${dockerfiles[$i]}, ${types[$i]})"
    start=$(now_ms)
    run DOCKER_BUILDKIT=1 docker build -f "${dockerfiles[$i]}" -t "${names[$i]}" "${args[@]}" "$CONTEXT" ||
      die "building ${names[$i]} failed (see the build output above)"
    say "built ${names[$i]} in $(seconds_since "$start") s"
    run docker images "${names[$i]}"
  done
}

sizes() {
  local i size layers zsize rows_md=() csv=$RESULTS_DIR/sizes.csv
  mkdir -p "$RESULTS_DIR"
  echo "image,build_type,base,bytes,compressed_bytes,layers" >"$csv.tmp"
  for i in "${rows[@]}"; do
    need_image "${names[$i]}"
    read -r size layers < <(run docker image inspect --format '{{.Size}} {{len .RootFS.Layers}}' "${names[$i]}")
    zsize=$(compressed_size "${names[$i]}")
    echo "${names[$i]},\"${types[$i]}\",$(base_name "$i"),$size,$zsize,$layers" >>"$csv.tmp"
    rows_md+=("| ${names[$i]} | ${types[$i]} | $(base_name "$i") | $(mb "$size") | $(mb "$zsize") | $layers |")
  done
  mv "$csv.tmp" "$csv"
  python3 -c 'import csv, json, sys; print(json.dumps([dict(r, bytes=int(r["bytes"]), compressed_bytes=int(r["compressed_bytes"]), layers=int(r["layers"])) for r in csv.DictReader(open(sys.argv[1]))], indent=2))' \
    "$csv" >"$RESULTS_DIR/sizes.json"
  echo
  echo "| image | build type | base image | size | compressed | layers |"
  echo "|---|---|---|---:|---:|---:|"
  printf '%s\n' "${rows_md[@]}"
  echo
  echo "(size: what docker images shows, 1 MB = 10^6 bytes; compressed: docker save | gzip -6, what a registry transfer costs; also in $RESULTS_DIR/sizes.csv and sizes.json)"
}

history() {
  local i
  for i in "${rows[@]}"; do
    need_image "${names[$i]}"
    echo
    run docker history "${names[$i]}"
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
    need_image "${names[$i]}"
    if container_exists "${names[$i]}"; then run docker rm -f "${names[$i]}" >/dev/null; fi
    run docker run -d --name "${names[$i]}" -p "$PUBLISH_ADDRESS:${ports[$i]}:8080" "${names[$i]}" ||
      die "cannot start ${names[$i]} on $PUBLISH_ADDRESS:${ports[$i]} (is the port in use?)"
  done
  say "waiting until each HEALTHCHECK says healthy (docker inspect --format '{{.State.Health.Status}}' NAME, every 0.25 s)"
  for i in "${rows[@]}"; do
    if wait_healthy "${names[$i]}" 60; then
      say "${names[$i]} is healthy: http://$(curl_host):${ports[$i]}/"
    else
      container_logs "${names[$i]}" >&2
      die "${names[$i]} did not become healthy within 60 s (its logs are above)"
    fi
  done
  run docker ps
}

smoke() {
  local i path status=0
  for i in "${rows[@]}"; do
    for path in / /info; do
      run curl -fsS "http://$(curl_host):${ports[$i]}$path" || { status=1; echo "(no answer from ${names[$i]}: is it up? make up)"; }
    done
  done
  return "$status"
}

down() {
  local i
  for i in "${rows[@]}"; do
    container_exists "${names[$i]}" || continue
    run docker stop "${names[$i]}"
    run docker rm "${names[$i]}"
  done
}

clean() {
  down
  local i
  for i in "${rows[@]}"; do
    [ -z "$("$DOCKER" image ls -q "${names[$i]}")" ] || run docker rmi "${names[$i]}"
  done
}

command=${1:-}
case $command in
  build) require_engine; need_bases; build ;;
  sizes) require_engine; need_bases; sizes ;;
  history | up | down | clean) require_engine; "$command" ;;
  smoke) smoke ;;
  *) die "usage: dockerfiles/lab.sh build|sizes|history|up|smoke|down|clean" ;;
esac
