#!/usr/bin/env bash
# Finds a Docker engine and a client that can run BuildKit builds; where
# there is none and we are root on Debian or Ubuntu, installs Debian's
# docker.io and starts dockerd in the background.
#   dockerfiles/steps/engine.sh            make sure an engine is up (idempotent)
#   dockerfiles/steps/engine.sh --client   print the client to use, start nothing
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

ENGINE_LOG=${ENGINE_LOG:-$TOOLS_DIR/engine/dockerd.log}
ENGINE_WAIT_SECONDS=${ENGINE_WAIT_SECONDS:-60}

if [ "${1:-}" = --client ]; then
  docker_client || exit 1
  exit 0
fi

# A DOCKER that is set but unusable gets its own line, root or not.
if [ -n "${DOCKER:-}" ]; then
  client=$(docker_client) || exit 1
else
  client=$(docker_client 2>/dev/null || true)
fi
if [ -n "$client" ] && engine_answers "$client"; then
  say "engine: $("$client" version --format 'Docker Engine {{.Server.Version}}') via $client ($(docker_build_kind "$client"))"
  exit 0
fi

# Nothing usable: can we install and start one?
. /etc/os-release 2>/dev/null || true
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1 || [[ " ${ID:-} ${ID_LIKE:-} " != *" debian "* && " ${ID:-} ${ID_LIKE:-} " != *" ubuntu "* ]]; then
  if [ -n "$client" ]; then
    die "no Docker engine answers to $client: start one (e.g. 'sudo systemctl start docker') or set DOCKER_HOST"
  fi
  die "no Docker client with BuildKit: install Docker Engine with the buildx plugin (https://docs.docker.com/engine/install/), or as root on Debian/Ubuntu run 'make engine' to install docker.io"
fi

if ! command -v dockerd >/dev/null 2>&1 || ! [ -x /usr/bin/docker ]; then
  say "no engine here: installing Debian's docker.io (engine, and a client with BuildKit built in)"
  apt_install docker.io
fi
client=$(docker_client) || exit 1

if ! engine_answers "$client"; then
  if pgrep -x dockerd >/dev/null; then
    say "dockerd is running but not answering yet; waiting"
  else
    mkdir -p "$(dirname "$ENGINE_LOG")"
    say "starting dockerd in the background (log: $ENGINE_LOG)"
    show nohup dockerd ">>$ENGINE_LOG" "2>&1" "</dev/null" "&"
    detach "$ENGINE_LOG" dockerd
    disown
  fi
  deadline=$(($(now_ms) + ENGINE_WAIT_SECONDS * 1000))
  until engine_answers "$client"; do
    if [ "$(now_ms)" -ge "$deadline" ]; then
      tail -n 20 "$ENGINE_LOG" >&2 2>/dev/null || true
      die "dockerd did not answer within ${ENGINE_WAIT_SECONDS}s (log: $ENGINE_LOG)"
    fi
    sleep 0.5
  done
fi
say "engine: $("$client" version --format 'Docker Engine {{.Server.Version}}') via $client ($(docker_build_kind "$client"))"
