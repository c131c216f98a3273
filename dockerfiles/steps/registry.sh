#!/usr/bin/env bash
# A local image registry on loopback, for what needs one: CI caches (make
# ci-cache), pushing and pulling to measure transfers (make bench). It is
# Debian's docker-registry (the registry Docker Hub runs, distribution 2.8)
# in an image of the lab's own (dockerfiles/tools/Dockerfile.registry, built from
# the lab's Debian base): a container on the host's network, as the user, its
# storage in $REGISTRY_DIR/data. Nothing to install, no root.
#   dockerfiles/steps/registry.sh start   start it (building its image first); prints its address
#   dockerfiles/steps/registry.sh stop    stop it (its images stay in $REGISTRY_DIR/data)
# An engine trusts a registry on 127.0.0.0/8 over plain HTTP without any
# setting, so nothing in the engine's configuration changes.
#
# start also leaves the registry program, the image's configuration and
# where this one listens and stores in $REGISTRY_DIR (docker-registry,
# config.yml, registry.env): a second engine in a
# network namespace of its own (dockerfiles/steps/runtime.sh runner_start, root only) runs a
# second process of it there, on the same storage and at the same address.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh
# What it runs goes to stderr: stdout is the address, for $(...).
exec {TRANSCRIPT}>&2

REGISTRY_DIR=${REGISTRY_DIR:-$TOOLS_DIR/registry}
[[ $REGISTRY_PORT =~ ^[0-9]+$ ]] && [ "$REGISTRY_PORT" -ge 1024 ] && [ "$REGISTRY_PORT" -le 65535 ] ||
  die "REGISTRY_PORT=$REGISTRY_PORT: expected a port from 1024 to 65535"
ADDRESS=127.0.0.1:$REGISTRY_PORT
CONTAINER=swiftlab-registry-$REGISTRY_PORT

# answers: the registry's API answers, from the engine's side (where the
# pushes and pulls come from): inside the container, on the host's network.
answers() { "$DOCKER" exec "$CONTAINER" curl -fsS --max-time 2 -o /dev/null "http://$ADDRESS/v2/" >/dev/null 2>&1; }
running() { [ "$("$DOCKER" container inspect --format '{{.State.Running}}' "$CONTAINER" 2>/dev/null)" = true ]; }
# Something of another's on the port (seen from here).
taken() { command -v curl >/dev/null && curl -fsS --max-time 2 -o /dev/null "http://$ADDRESS/" 2>/dev/null; }

case ${1:-} in
  start)
    require_engine
    if running && answers; then echo "$ADDRESS"; exit 0; fi
    "$DOCKER" rm -f "$CONTAINER" >/dev/null 2>&1 || true
    ! taken || die "something else answers on $ADDRESS: set REGISTRY_PORT to a free port"
    image=$(tool_image registry "Debian's docker-registry, on the lab's Debian base") || exit 1
    mkdir -p "$REGISTRY_DIR/data"
    [ -w "$REGISTRY_DIR/data" ] || die "$REGISTRY_DIR/data is not writable by $(id -un): the registry keeps its images there"
    data=$(realpath "$REGISTRY_DIR/data")
    say "starting a registry on $ADDRESS (container $CONTAINER of $image; images in $REGISTRY_DIR/data)" >&2
    run docker run -d --name "$CONTAINER" --network host -u "$(id -u):$(id -g)" \
      -e "REGISTRY_HTTP_ADDR=$ADDRESS" -v "$data:/var/lib/registry" "$image" >/dev/null ||
      die "the registry's container did not start (above)"
    # For a second engine's namespace: the same program and configuration,
    # at the same address and on the same storage (REGISTRY_* overrides).
    cid=$("$DOCKER" create "$image")
    "$DOCKER" cp "$cid:/usr/bin/docker-registry" "$REGISTRY_DIR/docker-registry" >/dev/null
    "$DOCKER" cp "$cid:/etc/docker/registry/lab.yml" "$REGISTRY_DIR/config.yml" >/dev/null
    "$DOCKER" rm "$cid" >/dev/null
    printf 'REGISTRY_HTTP_ADDR=%s\nREGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=%s\n' "$ADDRESS" "$data" >"$REGISTRY_DIR/registry.env"
    for _ in $(seq 1 50); do
      answers && { echo "$ADDRESS"; exit 0; }
      running || break
      sleep 0.1
    done
    why=$("$DOCKER" logs "$CONTAINER" 2>&1 | tail -n 1)
    "$DOCKER" rm -f "$CONTAINER" >/dev/null 2>&1 || true
    die "the registry did not answer on $ADDRESS within 5 s${why:+: $why}"
    ;;
  stop)
    use_docker
    if "$DOCKER" rm -f "$CONTAINER" >/dev/null 2>&1; then say "stopped the registry on $ADDRESS" >&2; fi
    ;;
  *) die "usage: dockerfiles/steps/registry.sh start|stop" ;;
esac
