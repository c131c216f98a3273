#!/usr/bin/env bash
# make bench (docs/09-results.md): start-up, memory and throughput of every
# image of every example, measured on this machine, with the Go image as the
# reference column (every figure also as a ratio to Go's, from the same run).
# Each image runs on the host's network, on loopback, so that the server is
# measured and not Docker's userland proxy (dockerfiles/measure/bench.py says how).
#
# Writes $RESULTS_DIR/bench.md and bench.json, and each image's own figures
# in $RESULTS_DIR/bench/IMAGE.json.
# Settings: IMAGES, EXAMPLE, RESULTS_DIR, PYTHON_TOOLS, BENCH_PORT (a free
# loopback port), BENCH_STARTUP_RUNS, BENCH_LOAD_SECONDS, BENCH_CONNECTIONS,
# BENCH_REFERENCE (the reference image), BENCH_QUICK=1 (3 start-ups and 2
# seconds of load whatever the others say, for the tests).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

[ "$BENCH_QUICK" != 1 ] || BENCH_STARTUP_RUNS=3 BENCH_LOAD_SECONDS=2
OUT=$RESULTS_DIR/bench

for setting in BENCH_PORT BENCH_STARTUP_RUNS BENCH_LOAD_SECONDS BENCH_CONNECTIONS BENCH_LINK_MBIT BENCH_LINK_MAX_MB; do
  [[ ${!setting} =~ ^[1-9][0-9]*$ ]] || die "$setting=${!setting}: expected a whole number above 0"
done
[ "$BENCH_PORT" -ge 1024 ] && [ "$BENCH_PORT" -le 65535 ] || die "BENCH_PORT=$BENCH_PORT: expected a port from 1024 to 65535"
[[ $BENCH_TRANSFER =~ ^[01]$ ]] || die "BENCH_TRANSFER=$BENCH_TRANSFER: expected 1 (measure) or 0 (skip)"
[ "$BENCH_STARTUP_RUNS" -ge 2 ] || die "BENCH_STARTUP_RUNS=$BENCH_STARTUP_RUNS: at least 2, for a spread"
# The transfer figures start a second engine and slow its network with tc:
# root only. Said now, before minutes of measuring, not at the end.
TRANSFER_WHY="left out with BENCH_TRANSFER=0"
if [ "$BENCH_TRANSFER" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  BENCH_TRANSFER=0 TRANSFER_WHY="it needs root, for a second, empty engine and tc (sudo make bench measures it)"
  say "transfer figures left out: they start a second, empty Docker engine and slow its network with tc, which needs root (sudo make bench measures them too; BENCH_TRANSFER=0 leaves them out without this line)"
fi
bash dockerfiles/steps/host-tools.sh curl:curl
[ -x "$PYTHON_TOOLS" ] || die "no $PYTHON_TOOLS (run: make tools)"
require_engine
# wrk in an image of its own, from the lab's Debian base, and that base as
# the helper that reads each container's memory from its own /proc.
PROBE_IMAGE=$(locked 1 slim 5)
[ -n "$PROBE_IMAGE" ] || die "no Debian base pinned in $LOCK (run: make bases)"
WRK_IMAGE=$(tool_image wrk "Debian's wrk, on the lab's Debian base") || exit 1
BENCH=(env DOCKER="$DOCKER" WRK_IMAGE="$WRK_IMAGE" PROBE_IMAGE="$PROBE_IMAGE" "$PYTHON_TOOLS" dockerfiles/measure/bench.py)
# With host networking the port is the host's own: it must be free.
! curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$BENCH_PORT/" ||
  die "something already answers on 127.0.0.1:$BENCH_PORT: set BENCH_PORT to a free port"

load_manifests
selected=$(built_rows) || exit 1
mapfile -t rows <<<"$selected"
mkdir -p "$OUT"

say "${#rows[@]} images: $BENCH_STARTUP_RUNS start-ups each, then wrk on / for $BENCH_LOAD_SECONDS s ($BENCH_CONNECTIONS connections), on 127.0.0.1:$BENCH_PORT with host networking"
# run_args I: the image's own docker run options (its manifest's run row).
run_args() {
  local arg
  for arg in ${IMG_RUN[$1]}; do printf '%s\n' "--run-arg=$arg"; done
}

# Start-ups round by round, every image once a round: whatever else the
# machine does meanwhile falls on every image alike, not on a few.
for i in "${rows[@]}"; do : >"$OUT/${IMG_NAME[$i]}.startups"; done
for ((round = 1; round <= BENCH_STARTUP_RUNS; round++)); do
  line=''
  for i in "${rows[@]}"; do
    name=${IMG_NAME[$i]}
    mapfile -t run_args < <(run_args "$i")
    ms=$("${BENCH[@]}" startup "$name" --port "$BENCH_PORT" \
      "${run_args[@]}" | jq .startup_ms) || die "start-up of $name failed (above)"
    echo "$ms" >>"$OUT/$name.startups"
    line+=" $name ${ms%.*} ms,"
  done
  say "start-up round $round/$BENCH_STARTUP_RUNS:${line%,}"
done

n=0
for i in "${rows[@]}"; do
  n=$((n + 1))
  name=${IMG_NAME[$i]}
  say "[$n/${#rows[@]}] $name"
  mapfile -t run_args < <(run_args "$i")
  "${BENCH[@]}" image "$name" --port "$BENCH_PORT" \
    --startups-file "$OUT/$name.startups" --load-seconds "$BENCH_LOAD_SECONDS" --connections "$BENCH_CONNECTIONS" \
    "${run_args[@]}" >"$OUT/$name.json.part" || die "bench of $name failed (above)"
  python3 dockerfiles/measure/records.py bench-image --example="${IMG_EXAMPLE[$i]}" --type="${IMG_TYPE[$i]}" \
    <"$OUT/$name.json.part" >"$OUT/$name.json"
  rm -f "$OUT/$name.json.part"
done

# --- Transfer: push to a local registry, pull into an empty engine, and over a slow link -----
# The lab's engine pushes each image to the registry on loopback, emptied
# first so that every layer goes over; a second engine, empty, in a network
# namespace of its own (dockerfiles/steps/runtime.sh runner_start), pulls it and runs it to
# the first 200: a cold start. Then the same pull with that namespace's
# loopback held to BENCH_LINK_MBIT by tc, for the images up to
# BENCH_LINK_MAX_MB compressed; the others' time at that rate is computed
# from their bytes.
# in_runner COMMAND...: run it in the second engine's network namespace, its
# docker commands going to that engine.
in_runner() { nsenter --net="/run/netns/$RUNNER_NETNS" env DOCKER_HOST="$RUNNER" "$@"; }

transfer() {
  local name=$1 i=$2 ref manifest bytes start push_ms cold slow='null' run_args=()
  bash dockerfiles/steps/registry.sh stop >/dev/null 2>&1
  rm -rf "$REGISTRY_DIR/data"
  REGISTRY=$(bash dockerfiles/steps/registry.sh start) || die "the local registry did not start"
  runner_registry
  for _ in $(seq 1 50); do in_runner curl -fs -o /dev/null "http://$REGISTRY/v2/" && break; sleep 0.1; done
  ref=$REGISTRY/swiftlab/$name:bench
  run docker tag "$name" "$ref"
  start=$(now_ms)
  run docker push -q "$ref" >/dev/null || die "docker push $ref failed"
  push_ms=$(($(now_ms) - start))
  run docker rmi "$ref" >/dev/null
  manifest=$(curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REGISTRY/v2/swiftlab/$name/manifests/bench") ||
    die "the registry has no manifest for $ref"
  bytes=$(jq '[.config.size] + [.layers[].size] | add' <<<"$manifest")
  mapfile -t run_args < <(run_args "$i")
  DOCKER_HOST=$RUNNER "$DOCKER" system prune -a -f >/dev/null
  cold=$(in_runner "${BENCH[@]}" cold "$ref" --port "$BENCH_PORT" "${run_args[@]}") || die "cold start of $ref failed (above)"
  if [ "$bytes" -le $((BENCH_LINK_MAX_MB * 1000000)) ]; then
    DOCKER_HOST=$RUNNER "$DOCKER" system prune -a -f >/dev/null
    run ip netns exec "$RUNNER_NETNS" tc qdisc add dev lo root tbf rate "${BENCH_LINK_MBIT}mbit" burst 256kb latency 100ms
    slow=$(in_runner "${BENCH[@]}" cold "$ref" --port "$BENCH_PORT" --no-run | jq .pull_ms) || slow=error
    run ip netns exec "$RUNNER_NETNS" tc qdisc del dev lo root
    [ "$slow" != error ] || die "the pull of $ref over the ${BENCH_LINK_MBIT} Mbit/s link failed (above)"
  fi
  DOCKER_HOST=$RUNNER "$DOCKER" system prune -a -f >/dev/null
  python3 dockerfiles/measure/records.py bench-transfer --bytes="$bytes" --push-ms="$push_ms" --cold="$cold" \
    --link-ms="$slow" --mbit="$BENCH_LINK_MBIT" <"$OUT/$name.json" >"$OUT/$name.json.part"
  mv "$OUT/$name.json.part" "$OUT/$name.json"
  say "  $name: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') pushed in ${push_ms} ms; pulled into the empty engine in $(jq .pull_ms <<<"$cold") ms, first 200 after $(jq .cold_start_ms <<<"$cold") ms; at ${BENCH_LINK_MBIT} Mbit/s: $( [ "$slow" = null ] && echo "not measured (over ${BENCH_LINK_MAX_MB} MB)" || echo "$slow ms")"
}

if [ "$BENCH_TRANSFER" = 1 ]; then
  bash dockerfiles/steps/host-tools.sh tc:iproute2 nsenter:util-linux
  # A registry of its own, emptied before each image: not the one that
  # make registry keeps, whose images stay untouched.
  export REGISTRY_DIR=$TOOLS_DIR/bench-registry REGISTRY_PORT
  REGISTRY_PORT=$(free_port)
  # Stopped when the transfers are done, or at exit if they stop early.
  transfer_cleanup() {
    runner_stop
    bash dockerfiles/steps/registry.sh stop >/dev/null 2>&1 || true
    rm -rf "$REGISTRY_DIR"
  }
  on_exit transfer_cleanup
  REGISTRY=$(bash dockerfiles/steps/registry.sh start) || die "the local registry did not start"
  runner_start swiftlab-bench-runner
  say "transfer: each image pushed to an emptied registry on $REGISTRY, pulled into the empty engine and run; pulled again at ${BENCH_LINK_MBIT} Mbit/s up to ${BENCH_LINK_MAX_MB} MB"
  n=0
  for i in "${rows[@]}"; do
    n=$((n + 1))
    say "[$n/${#rows[@]}] transfer of ${IMG_NAME[$i]}"
    transfer "${IMG_NAME[$i]}" "$i"
  done
  transfer_cleanup
else
  say "transfer: not measured ($TRANSFER_WHY)"
fi

# --- bench.json and the table: each figure and its ratio to the reference's ------------------
for i in "${rows[@]}"; do cat "$OUT/${IMG_NAME[$i]}.json"; done |
  python3 dockerfiles/measure/records.py bench --reference="$BENCH_REFERENCE" \
    --machine="$(nproc) cores, $(uname -m), Docker Engine $("$DOCKER" version --format "{{.Server.Version}}" 2>/dev/null || echo "?")" \
    --transfer-why="$([ "$BENCH_TRANSFER" = 1 ] || echo "$TRANSFER_WHY")" \
    >"$RESULTS_DIR/bench.json"

python3 dockerfiles/measure/render.py bench "$RESULTS_DIR" >"$RESULTS_DIR/bench.md"
{ echo
  if [ "$(jq -r .reference "$RESULTS_DIR/bench.json")" = null ]; then
    echo "(no ratios: the reference image $BENCH_REFERENCE was not in this run)"
  else
    echo "(in brackets: the ratio to $BENCH_REFERENCE's figure, measured in the same run)"
  fi
  [ "$BENCH_TRANSFER" = 1 ] || echo "(transfer: not measured, $TRANSFER_WHY)"
  [ "$BENCH_TRANSFER" = 0 ] || echo "(transfer: docker push to an emptied registry on loopback, docker pull into a second, empty engine; the slow link is tc's rate limit on that engine's network namespace, measured up to $BENCH_LINK_MAX_MB MB)"
  echo "(memory: the resident memory of the container's processes; its own: the part that is not pages of the image's files, such as the binary's code, which containers of one image share)"
  echo "(wrk on / for $BENCH_LOAD_SECONDS s, 2 threads, $BENCH_CONNECTIONS connections, on 127.0.0.1 with host networking; request logging on, as the images ship; $BENCH_STARTUP_RUNS start-ups each, docker run to the first 200 on /healthz, polled every 5 ms)"
} >>"$RESULTS_DIR/bench.md"
echo
cat "$RESULTS_DIR/bench.md"
echo
say "written: $RESULTS_DIR/bench.md, $RESULTS_DIR/bench.json, $OUT/"
