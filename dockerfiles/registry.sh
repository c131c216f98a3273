#!/usr/bin/env bash
# A local image registry on loopback, from Debian's docker-registry package
# (the registry that Docker Hub runs, version 2.8), for what needs one: CI
# caches (make ci-cache), pushing and pulling to measure transfers.
#   dockerfiles/registry.sh start   start it (installs docker-registry with apt as root); prints its address
#   dockerfiles/registry.sh stop    stop it (its images stay in $REGISTRY_DIR)
# An engine trusts a registry on 127.0.0.0/8 over plain HTTP without any
# setting, so nothing in the engine's configuration changes.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

REGISTRY_PORT=${REGISTRY_PORT:-5050}
REGISTRY_DIR=${REGISTRY_DIR:-.tools/registry}
[[ $REGISTRY_PORT =~ ^[0-9]+$ ]] && [ "$REGISTRY_PORT" -ge 1024 ] && [ "$REGISTRY_PORT" -le 65535 ] ||
  die "REGISTRY_PORT=$REGISTRY_PORT: expected a port from 1024 to 65535"
ADDRESS=127.0.0.1:$REGISTRY_PORT
PID_FILE=$REGISTRY_DIR/registry.pid

answers() { curl -fsS --max-time 2 "http://$ADDRESS/v2/" >/dev/null 2>&1; }
running() { [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

case ${1:-} in
  start)
    if running && answers; then echo "$ADDRESS"; exit 0; fi
    answers && die "something else answers on $ADDRESS: set REGISTRY_PORT to a free port"
    bash tests/host-tools.sh docker-registry:docker-registry >&2
    mkdir -p "$REGISTRY_DIR/data"
    cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $(realpath "$REGISTRY_DIR/data")
  delete:
    enabled: true
http:
  addr: $ADDRESS
EOF
    say "starting a registry on $ADDRESS (Debian's docker-registry; images in $REGISTRY_DIR/data)" >&2
    detach "$REGISTRY_DIR/registry.log" docker-registry serve "$REGISTRY_DIR/config.yml"
    echo "$DETACHED_PID" >"$PID_FILE"
    for _ in $(seq 1 50); do answers && { echo "$ADDRESS"; exit 0; }; sleep 0.1; done
    die "the registry did not answer on $ADDRESS within 5 s (log: $REGISTRY_DIR/registry.log)"
    ;;
  stop)
    if running; then kill "$(cat "$PID_FILE")"; say "stopped the registry on $ADDRESS" >&2; fi
    rm -f "$PID_FILE"
    ;;
  *) die "usage: dockerfiles/registry.sh start|stop" ;;
esac
