#!/usr/bin/env bash
# The lab's steps on its images, each over every row of dockerfiles/images.tsv:
#   tests/lab/images.sh build [IMAGE...]   build the images (BuildKit)
#   tests/lab/images.sh sizes              the size table (Markdown), also as
#                                          $RESULTS_DIR/sizes.csv and sizes.json
#   tests/lab/images.sh history            docker history of each image
#   tests/lab/images.sh up | smoke | down  run them on the lab ports, curl them, stop them
#   tests/lab/images.sh clean              remove the lab's containers and images
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

RESULTS_DIR=${RESULTS_DIR:-results}
IMAGES_FILE=dockerfiles/images.tsv
CONTEXT=swift-server
use_docker

names=() dockerfiles=() types=() bases=() ports=() goals=() zgoals=()
while IFS=$'\t' read -r name dockerfile type base port goal zgoal; do
  names+=("$name") dockerfiles+=("$dockerfile") types+=("$type") bases+=("$base") ports+=("$port") goals+=("$goal") zgoals+=("$zgoal")
done < <(tsv_rows "$IMAGES_FILE")

need_engine() { require_engine; }
need_bases() { [ -s "$RESULTS_DIR/bases.json" ] || die "no $RESULTS_DIR/bases.json (run: make bases)"; }
need_image() { [ -n "$("$DOCKER" image ls -q "$1")" ] || die "no image $1 (run: make images)"; }

# index_of IMAGE: its row number in images.tsv.
index_of() {
  local i
  for i in "${!names[@]}"; do [ "${names[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
  die "unknown image $1 (images: ${names[*]})"
}

# base_name ROW: the base image the row's final stage starts from.
base_name() {
  [ "${bases[$1]}" = scratch ] && { echo scratch; return; }
  base_image "${bases[$1]}"
}

build() {
  local selected=("$@") i start args progress=plain
  [ ${#selected[@]} -gt 0 ] || selected=("${names[@]}")
  [ -t 1 ] && progress=auto
  mapfile -t args < <(base_build_args)
  for name in "${selected[@]}"; do
    i=$(index_of "$name")
    say "building $name (dockerfiles/${dockerfiles[$i]}, ${types[$i]})"
    start=$(now_ms)
    DOCKER_BUILDKIT=1 "$DOCKER" build --progress="$progress" "${args[@]}" \
      --label org.swiftlab.image="$name" --label org.opencontainers.image.title="$name" \
      -f "dockerfiles/${dockerfiles[$i]}" -t "$name" "$CONTEXT" ||
      die "building $name failed (see the build output above)"
    say "built $name in $(( ($(now_ms) - start) / 1000 )) s: $(mb "$(image_size "$name")")"
  done
}

sizes() {
  local i size zsize layers rows=()
  mkdir -p "$RESULTS_DIR"
  echo "image,build_type,base,bytes,compressed_bytes,layers" >"$RESULTS_DIR/sizes.csv.tmp"
  for i in "${!names[@]}"; do
    need_image "${names[$i]}"
    size=$(image_size "${names[$i]}")
    zsize=$(compressed_size "${names[$i]}")
    layers=$("$DOCKER" image inspect --format '{{len .RootFS.Layers}}' "${names[$i]}")
    echo "${names[$i]},\"${types[$i]}\",$(base_name "$i"),$size,$zsize,$layers" >>"$RESULTS_DIR/sizes.csv.tmp"
    rows+=("| ${names[$i]} | ${types[$i]} | $(base_name "$i") | $(mb "$size") | $(mb "$zsize") | $layers |")
  done
  mv "$RESULTS_DIR/sizes.csv.tmp" "$RESULTS_DIR/sizes.csv"
  python3 -c 'import csv, json, sys; print(json.dumps([dict(r, bytes=int(r["bytes"]), compressed_bytes=int(r["compressed_bytes"]), layers=int(r["layers"])) for r in csv.DictReader(open(sys.argv[1]))], indent=2))' \
    "$RESULTS_DIR/sizes.csv" >"$RESULTS_DIR/sizes.json"
  echo
  echo "| image | build type | base image | size | compressed | layers |"
  echo "|---|---|---|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "(sizes as the engine reports them, 1 MB = 10^6 bytes; compressed = docker save | gzip -6, what a registry transfer costs; also in $RESULTS_DIR/sizes.csv and sizes.json)"
}

history() {
  local name
  for name in "${names[@]}"; do
    need_image "$name"
    echo
    echo "### $name"
    echo
    "$DOCKER" history --format 'table {{.Size}}\t{{.CreatedBy}}' "$name" | cut -c1-110
  done
}

up() {
  local i
  for i in "${!names[@]}"; do
    need_image "${names[$i]}"
    "$DOCKER" rm -f "${names[$i]}" >/dev/null 2>&1 || true
    "$DOCKER" run -d --name "${names[$i]}" -p "${ports[$i]}:8080" "${names[$i]}" >/dev/null ||
      die "cannot start ${names[$i]} on port ${ports[$i]} (is the port in use?)"
    say "started ${names[$i]} on http://localhost:${ports[$i]}"
  done
  for i in "${!names[@]}"; do
    if wait_healthy "${names[$i]}" 60; then
      say "${names[$i]} is healthy"
    else
      container_logs "${names[$i]}" >&2
      die "${names[$i]} did not become healthy"
    fi
  done
}

smoke() {
  local i status=0
  for i in "${!names[@]}"; do
    for path in / /info; do
      echo "\$ curl http://localhost:${ports[$i]}$path    # ${names[$i]}"
      curl -fsS --max-time 5 "http://localhost:${ports[$i]}$path" || { status=1; echo "(no answer: is it up? make up)"; }
      echo
    done
  done
  return "$status"
}

down() {
  local name
  for name in "${names[@]}"; do
    "$DOCKER" rm -f "$name" >/dev/null 2>&1 && say "removed container $name" || true
  done
}

clean() {
  down
  local name
  for name in "${names[@]}"; do
    "$DOCKER" image rm "$name" >/dev/null 2>&1 && say "removed image $name" || true
  done
}

command=${1:-}
shift || true
case $command in
  build) need_engine; need_bases; build "$@" ;;
  sizes) need_engine; need_bases; sizes ;;
  history) need_engine; history ;;
  up) need_engine; up ;;
  smoke) smoke ;;
  down) need_engine; down ;;
  clean) need_engine; clean ;;
  *) die "usage: images.sh build|sizes|history|up|smoke|down|clean" ;;
esac
