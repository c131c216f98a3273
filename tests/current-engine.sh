# shellcheck shell=bash
# A current Docker engine for the tests, beside the lab's own: Debian 13's
# docker.io, docker-cli and docker-buildx (Docker 26 with buildx), in a
# root of its own bootstrapped with mmdebstrap, where a learner's machine is
# played: a user who is not root, in the docker group, with no Swift, and
# the lab's own tools (make, git, python3, jq, curl) from Debian 13.
#
# The engine runs in a mount namespace of its own, entered with pivot_root
# (under a chroot, runc's exec, and so every HEALTHCHECK, fails), on the
# host's network with a bridge of its own and no iptables rules, so that the
# ports it publishes on 127.0.0.1 are the host's loopback and it cannot touch
# the lab engine's networks. Root only; tests/test_current_engine.sh uses it.
# Source it after tests/lib.sh.

CE_DIR=${CE_DIR:-$TOOLS_DIR/current-engine}
CE_ROOT=$CE_DIR/root
CE_BRIDGE=${CE_BRIDGE:-swiftlab-ce0}
CE_BRIDGE_ADDRESS=${CE_BRIDGE_ADDRESS:-172.31.254.1/24}
CE_SUITE=${CE_SUITE:-trixie}
CE_USER=learner
# What the root holds: the engine and a client with buildx, and what the lab
# needs on a learner's machine (no Swift, no binutils, no compiler).
CE_PACKAGES=docker.io,docker-cli,docker-buildx,containerd,runc,tini,make,git,jq,curl,pigz,python3,python3-venv,ca-certificates,procps,iproute2,util-linux,mount,passwd

# ce_root: bootstrap the root once (about a minute), again when the package
# list changes; then the learner's user, and the host's pip settings and CA
# bundle, so that `make tools` installs from the same index as the host.
ce_root() {
  local recipe
  recipe=$(printf '%s %s\n' "$CE_SUITE" "$CE_PACKAGES" | sha256sum | cut -c1-16)
  if [ "$(cat "$CE_DIR/recipe" 2>/dev/null)" != "$recipe" ] || [ ! -x "$CE_ROOT/usr/sbin/dockerd" ]; then
    command -v mmdebstrap >/dev/null || bash dockerfiles/steps/host-tools.sh mmdebstrap:mmdebstrap
    rm -rf "$CE_DIR"
    mkdir -p "$CE_DIR"
    say "bootstrapping Debian $CE_SUITE with Docker 26 for the current-engine tests (mmdebstrap, about a minute)"
    mmdebstrap --variant=apt --include="$CE_PACKAGES" "$CE_SUITE" "$CE_ROOT" >"$CE_DIR/bootstrap.log" 2>&1 ||
      { tail -n 5 "$CE_DIR/bootstrap.log" >&2; die "bootstrapping Debian $CE_SUITE failed (log: $CE_DIR/bootstrap.log)"; }
    chroot "$CE_ROOT" useradd --create-home --uid 1000 --user-group --groups docker --shell /bin/bash "$CE_USER"
    echo "$recipe" >"$CE_DIR/recipe"
  fi
  if [ -f /etc/pip.conf ]; then cp /etc/pip.conf "$CE_ROOT/etc/pip.conf"; fi
  if bundle=$(build_ca_bundle); then cp "$bundle" "$CE_ROOT/etc/ssl/certs/ca-certificates.crt"; fi
  cp /etc/resolv.conf "$CE_ROOT/etc/resolv.conf" 2>/dev/null || true
}

# ce_start STORE: start the engine with the classic image store (overlay2)
# or the containerd image store (STORE: classic or containerd), each with a
# data root of its own; sets CE_PID. Stops any engine of an earlier start.
ce_start() {
  local store=$1 features='{}'
  [ "$(id -u)" -eq 0 ] || die "the current engine of the tests needs root"
  ce_stop
  [ "$store" = containerd ] && features='{"containerd-snapshotter": true}'
  ip link show "$CE_BRIDGE" >/dev/null 2>&1 || {
    ip link add "$CE_BRIDGE" type bridge && ip addr add "$CE_BRIDGE_ADDRESS" dev "$CE_BRIDGE" && ip link set "$CE_BRIDGE" up
  } || die "cannot create the bridge $CE_BRIDGE"
  mkdir -p "$CE_ROOT/etc/docker"
  jq -n --argjson features "$features" --arg bridge "$CE_BRIDGE" --arg root "/var/lib/docker-$store" \
    '{features: $features, bridge: $bridge, iptables: false, ip6tables: false, "ip-masq": false, "data-root": $root,
      "exec-root": "/run/docker", pidfile: "/run/docker.pid", hosts: ["unix:///run/docker.sock"], group: "docker"}' \
    >"$CE_ROOT/etc/docker/daemon.json"
  rm -rf "$CE_ROOT/run/docker" "$CE_ROOT/run/containerd" "$CE_ROOT/run/docker.sock" "$CE_ROOT/run/docker.pid"
  # The root becomes a mount point of its own, gets /dev, /sys (with the
  # cgroups), /proc and a /tmp, and is entered with pivot_root; the old root
  # is detached. dockerd then starts its own containerd.
  # shellcheck disable=SC2016 # expanded by the inner shell
  detach "$CE_DIR/dockerd-$store.log" unshare --mount --propagation private sh -c '
    set -e
    root=$1
    mount --rbind "$root" "$root"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mount -t proc proc "$root/proc"
    mount -t tmpfs tmpfs "$root/tmp"
    cd "$root"
    mkdir -p .old-root
    pivot_root . .old-root
    umount -l /.old-root
    cd /
    exec dockerd' sh "$(realpath "$CE_ROOT")"
  CE_PID=$DETACHED_PID
  echo "$CE_PID" >"$CE_DIR/dockerd.pid"
  # Until the process has entered its root, nsenter would find the host's
  # root, client and engine: wait for this engine's own data root.
  for _ in $(seq 1 300); do
    kill -0 "$CE_PID" 2>/dev/null || break
    [ "$(ce_docker info --format '{{.DockerRootDir}}' 2>/dev/null)" = "/var/lib/docker-$store" ] && return 0
    sleep 0.2
  done
  die "the current engine ($store store) did not start: $(grep -m1 -E 'failed to start|level=(error|fatal)' "$CE_DIR/dockerd-$store.log" || tail -n1 "$CE_DIR/dockerd-$store.log")"
}

# ce_stop: stop the engine (its containerd with it) and remove the bridge.
ce_stop() {
  local pid
  if pid=$(cat "$CE_DIR/dockerd.pid" 2>/dev/null) && kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$CE_DIR/dockerd.pid"
  ip link del "$CE_BRIDGE" 2>/dev/null || true
}

# ce_in COMMAND...: run COMMAND as root inside the engine's root (its mount
# namespace, its root folder).
ce_in() { nsenter --target "$(cat "$CE_DIR/dockerd.pid")" --mount --root --wd "$@"; }

# ce_docker ARG...: Debian 13's docker client, inside, as root.
ce_docker() { ce_in /usr/bin/docker "$@"; }

# ce_learner COMMAND: a bash command line run inside as the learner (not
# root, in the docker group), from their home, with a learner's PATH and
# the host's pip settings.
ce_learner() {
  ce_in setpriv --reuid=1000 --regid=1000 --init-groups \
    env -i HOME=/home/$CE_USER USER=$CE_USER PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM=dumb \
    ${PIP_INDEX_URL:+PIP_INDEX_URL="$PIP_INDEX_URL"} ${PIP_FIND_LINKS:+PIP_FIND_LINKS="$PIP_FIND_LINKS"} \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
    bash -c "cd ~ && $1"
}

# ce_load IMAGE [NAME]: give the engine an image of the lab engine's
# (docker save | docker load), tagged NAME (default: its own name).
ce_load() {
  "$DOCKER" save "$1" | ce_docker load -q >/dev/null || return 1
  [ -z "${2:-}" ] || ce_docker tag "$1" "$2"
}
