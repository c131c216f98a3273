# shellcheck shell=bash
# The lab's runtime: what every step of the lab (dockerfiles/steps/*.sh,
# dockerfiles/bases/*.sh, the examples' scripts) shares. Source it from the
# lab's root; do not run it. The tests source it too (through tests/lib.sh);
# it holds no test state, and it never sources anything under tests/.
#
# It gives a step: say and die (progress and one-line errors); the
# transcript (show, run: every command printed before it runs); one cleanup
# registry (on_exit; a step registers its cleanups there and never sets an
# EXIT trap of its own); the Docker client and engine; the bases lock and the
# build arguments; the Swift builder; the images' labels and sizes; the
# second engine; and the manifests.

CLEANUP_ACTIONS=()

# --- The settings: dockerfiles/steps/defaults.mk, which the Makefile includes --
# Each "NAME ?= VALUE" line sets NAME (a shell variable, not exported) unless
# the environment has it; a $(OTHER) in VALUE is OTHER's value by then. A
# VALUE that calls one of make's functions is make's alone.
lab_settings() {
  local line name value
  while IFS= read -r line; do
    [[ $line =~ ^([A-Z_][A-Z0-9_]*)\ \?=\ ?(.*)$ ]] || continue
    name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    [ -z "${!name+set}" ] || continue
    while [[ $value =~ \$\(([A-Z_][A-Z0-9_]*)\) ]]; do
      value=${value/"${BASH_REMATCH[0]}"/${!BASH_REMATCH[1]:-}}
    done
    [[ $value != *"\$("* ]] || continue
    printf -v "$name" '%s' "$value"
  done <"$(dirname "${BASH_SOURCE[0]}")/defaults.mk"
}
lab_settings

if [ -t 1 ]; then
  C_DIM=$'\e[2m' C_CMD=$'\e[1m' C_OFF=$'\e[0m'
else
  C_DIM='' C_CMD='' C_OFF=''
fi

# say TEXT: a progress line from the lab (what the learner sees).
say() { printf '%s==>%s %s\n' "$C_DIM" "$C_OFF" "$*"; }

# --- The transcript: every command shown before it runs ----------------------
#
# Each lab step prints every command a learner could type again, "$ " first,
# just before running it, the way make echoes a recipe. The lines go to the
# file descriptor TRANSCRIPT, the script's stdout when it started, so that a
# command whose output the script captures is still shown.
exec {TRANSCRIPT}>&1

# shown WORD...: the command as a learner types it. Words are quoted only
# where a shell needs it; the words "|", "&", "&&" and redirections (">FILE",
# "2>&1") are the shell's own and printed as they are; the word "docker"
# stands for the client the lab uses, printed as "docker" when that is the
# docker on PATH, else with its full path.
shown() {
  local word line=''
  for word in "$@"; do
    if [ "$word" = docker ]; then
      word=$(docker_shown_name)
    elif [[ ! $word =~ ^[][A-Za-z0-9_./:=@%+,-]+$ && ! $word =~ ^(\||&&?|[0-9]?[\<\>]+&?[^\ ]*)$ ]]; then
      word="'${word//\'/\'\\\'\'}'"
    fi
    line+="$word "
  done
  printf '%s\n' "${line% }"
}

# show WORD...: print the command to the transcript, without running it.
show() { printf '%s$ %s%s\n' "$C_CMD" "$(shown "$@")" "$C_OFF" >&"$TRANSCRIPT"; }

# run [VAR=VALUE...] COMMAND ARG...: show the command, then run it. The
# word "docker" runs the client the lab uses ($DOCKER).
run() {
  show "$@"
  local assignments=() words=() word
  while [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do assignments+=("$1"); shift; done
  for word in "$@"; do
    [ "$word" != docker ] || word=${DOCKER:?no Docker client chosen}
    words+=("$word")
  done
  if [ ${#assignments[@]} -gt 0 ]; then env "${assignments[@]}" "${words[@]}"; else "${words[@]}"; fi
}

# docker_shown_name: how the transcript writes $DOCKER: "docker" when the
# docker on PATH is that same program, else its full path.
docker_shown_name() {
  local on_path
  on_path=$(command -v docker 2>/dev/null || true)
  if [ -n "$on_path" ] && [ "$(readlink -f "$on_path")" = "$(readlink -f "${DOCKER:-docker}")" ]; then
    echo docker
  else
    command -v "${DOCKER:-docker}" 2>/dev/null || echo "${DOCKER:-docker}"
  fi
}

# die TEXT: one-line error on stderr, exit 1.
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# on_exit CMD...: run at exit, last registered first.
on_exit() {
  local quoted
  printf -v quoted '%q ' "$@"
  CLEANUP_ACTIONS=("$quoted" "${CLEANUP_ACTIONS[@]}")
}

run_cleanup() {
  local action
  for action in "${CLEANUP_ACTIONS[@]}"; do eval "$action" >/dev/null 2>&1 || true; done
  CLEANUP_ACTIONS=()
}
trap run_cleanup EXIT
trap 'exit 130' INT TERM

# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# seconds_since START_MS: whole seconds from START_MS (a now_ms) to now.
seconds_since() { echo $((($(now_ms) - $1) / 1000)); }

# free_port: a TCP port on loopback that nothing listens on right now.
free_port() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/../measure/host.py" free-port
}

# swift_progress: filter for `swift build`/`swift test` output. Keeps a long
# build readable: one line per tenth of SwiftPM's "[n/total]" steps, plus
# errors, the final "Build complete" and XCTest's per-test verdicts.
swift_progress() {
  awk '
    /^\[[0-9]+\/[0-9]+\]/ {
      split(substr($1, 2), a, "/"); n = a[1] + 0; total = a[2] + 0
      tenth = int(n * 10 / total)
      if (tenth > shown) { printf "  build %3d%% (%d/%d steps)\n", tenth * 10, n, total; fflush(); shown = tenth }
      next }
    /^Build complete|^Build of product|^Building for|error:/ { print "  " $0; fflush() }
    /^Test Case .* (passed|failed)/ { print "  " $0; fflush() }'
}

# tsv_rows FILE: the data rows of a tab-separated table (no comments, no
# blank lines), for `while IFS=$'\t' read -r ...; done < <(tsv_rows FILE)`.
tsv_rows() { grep -vE '^[[:space:]]*(#|$)' "$1"; }

# mb BYTES: "12.3 MB" (1 MB = 1,000,000 bytes, as `docker images` counts).
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }

# apt_install PACKAGE...: install Debian packages (root only), showing the
# commands; apt's own output goes to a log, whose last lines are shown on
# failure.
apt_install() {
  local log
  log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  if ! { run apt-get update -qq && run apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
    tail -n 15 "$log" >&2
    rm -f "$log"
    die "apt-get install $* failed"
  fi
  rm -f "$log"
}

# --- Docker ---------------------------------------------------------------

# docker_build_kind CLIENT: how CLIENT runs BuildKit builds ("buildx" or
# "built-in BuildKit"); fails when it cannot (a client of version 23 or
# later without the buildx plugin refuses BuildKit builds).
docker_build_kind() {
  local client=$1 major
  if "$client" buildx version >/dev/null 2>&1; then echo buildx; return 0; fi
  major=$("$client" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)
  [[ $major =~ ^[0-9]+$ ]] && [ "$major" -lt 23 ] && { echo "built-in BuildKit"; return 0; }
  return 1
}

# docker_client: print the Docker client to use. $DOCKER wins; otherwise
# the first docker on PATH, or Debian's /usr/bin/docker, that can run
# BuildKit builds.
docker_client() {
  local candidate
  if [ -n "${DOCKER:-}" ]; then
    command -v "$DOCKER" >/dev/null 2>&1 || { echo "error: DOCKER=$DOCKER is not a command" >&2; return 1; }
    docker_build_kind "$DOCKER" >/dev/null || { echo "error: DOCKER=$DOCKER cannot run BuildKit builds (it needs the buildx plugin)" >&2; return 1; }
    command -v "$DOCKER"
    return 0
  fi
  for candidate in $(type -ap docker) /usr/bin/docker; do
    [ -x "$candidate" ] && docker_build_kind "$candidate" >/dev/null && { echo "$candidate"; return 0; }
  done
  echo "error: no Docker client that can run BuildKit builds (run: make engine)" >&2
  return 1
}

# engine_answers CLIENT: whether a Docker engine answers CLIENT.
engine_answers() {
  "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# use_docker: set DOCKER to the client to use, or stop (docker_client has
# already said why, in one line).
# BUILDKIT_ENV: what a printed docker build needs before it to use BuildKit:
# DOCKER_BUILDKIT=1 for a client without buildx (Docker 20.10's, where the
# classic builder is the default), nothing where BuildKit is the default.
use_docker() {
  DOCKER=$(docker_client) || exit 1
  BUILDKIT_ENV=()
  # shellcheck disable=SC2034 # read by the steps that print a docker build
  [ "$(docker_build_kind "$DOCKER")" = buildx ] || BUILDKIT_ENV=(DOCKER_BUILDKIT=1)
}

# require_engine: use_docker, and stop with one line unless an engine answers.
require_engine() {
  use_docker
  engine_answers "$DOCKER" || die "no Docker engine answers (run: make engine)"
}

# image_store: the engine's image store, "containerd" (Docker Desktop's
# default for new installs) or "classic" (overlay2 and the other graph
# drivers).
image_store() {
  case $("$DOCKER" info --format '{{.Driver}} {{range .DriverStatus}}{{index . 1}} {{end}}' 2>/dev/null) in
    *io.containerd.snapshotter*) echo containerd ;;
    *) echo classic ;;
  esac
}

# base_args DOCKERFILE: the build arguments naming a base image (ARG ..._IMAGE)
# that DOCKERFILE declares, one per line.
base_args() { sed -nE 's/^ARG ([A-Z_]+_IMAGE)(=.*)?$/\1/p' "$1" | sort -u; }

# build_ca_bundle: the host's CA bundle for builds that fetch packages:
# BUILD_CA_BUNDLE, else the one the host's pip or OpenSSL uses.
build_ca_bundle() {
  local candidate
  for candidate in "${BUILD_CA_BUNDLE:-}" "${PIP_CERT:-}" "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt; do
    [ -n "$candidate" ] && [ -s "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

# --- The bases lock (make bases) and the build arguments -----------------------
LOCK=$BASES_LOCK
# locked FIELD VALUE COLUMN: a column of the lock's row whose FIELD (1: key,
# 2: build arg) is VALUE. Columns: key, build arg, mode, name, reference
# (what FROM gets), digest, image ID.
locked() { awk -F'\t' -v f="$1" -v v="$2" -v c="$3" '!/^#/ && $f == v { print $c; exit }' "$LOCK"; }

# build_args DOCKERFILE: --build-arg NAME=IMAGE for each base image ARG that
# the Dockerfile declares, as `make bases` pinned it in the lock (after
# checking that the image there is still the one pinned); and --build-arg
# BASES=MODE when it declares ARG BASES (a Dockerfile whose build steps
# differ between official and local bases, such as the Node example's).
build_args() {
  local arg image id
  while read -r arg; do
    image=$(locked 2 "$arg" 5)
    [ -n "$image" ] ||
      die "$1 declares ARG $arg, which make bases has not pinned in $LOCK (is its key in the manifest's build bases? then run: make bases)"
    id=$(locked 2 "$arg" 7)
    [ "$("$DOCKER" image inspect --format '{{.Id}}' "$image" 2>/dev/null)" = "$id" ] ||
      die "$image is not the image $LOCK pins for $arg (${id:7:12}): it was rebuilt, removed or retagged since; run: make bases"
    printf '%s\n' --build-arg "$arg=$image"
  done < <(base_args "$1")
  if grep -qE '^ARG BASES(=|$)' "$1"; then printf '%s\n' --build-arg "BASES=$(jq -r .mode "$RESULTS_DIR/bases.json")"; fi
  # A package index other than the tool's default, when one is set.
  if [ -n "${PIP_INDEX_URL:-}" ] && grep -qE '^ARG PIP_INDEX_URL(=|$)' "$1"; then printf '%s\n' --build-arg "PIP_INDEX_URL=$PIP_INDEX_URL"; fi
  # The build CA bundle, as a BuildKit secret: mounted by the RUN lines that
  # fetch packages, never written to a layer.
  if grep -qF 'id=build-ca' "$1"; then
    local bundle
    if bundle=$(build_ca_bundle); then
      printf '%s\n' --secret "id=build-ca,src=$bundle"
    else
      say "no CA bundle on this host: $1 fetches packages with the tools' own (set BUILD_CA_BUNDLE where the network re-signs TLS)" >&2
    fi
  fi
}

# --- The Swift builder: every Swift step runs in a container -------------------
# The host needs no Swift, no binutils and no compiler: builds, XCTest and
# the binary analyses (nm, strip, readelf, ldd) run in the Swift builder
# image that `make bases` pinned for SWIFT_IMAGE, the same one the
# Dockerfiles build with.

# swift_builder: the pinned Swift builder image (after checking that the
# image there is still the one pinned).
swift_builder() {
  local image id
  image=$(locked 2 SWIFT_IMAGE 5 2>/dev/null)
  [ -n "$image" ] || die "no Swift builder image pinned in $LOCK (run: make bases)"
  id=$(locked 2 SWIFT_IMAGE 7)
  [ "$("$DOCKER" image inspect --format '{{.Id}}' "$image" 2>/dev/null)" = "$id" ] ||
    die "$image is not the Swift builder $LOCK pins (${id:7:12}): it was rebuilt, removed or retagged since; run: make bases"
  echo "$image"
}

# builder [--quiet] [--in DIR] [--image IMAGE] COMMAND ARG...: run COMMAND in
# the Swift builder (or IMAGE, one made from it), as this user (the files it writes are the user's), with the lab's
# folder mounted at /lab and DIR (from the lab's root; default: the root) as
# its working folder, showing the docker command first unless --quiet (for
# the helper commands of an analysis). HOME is /tmp: the user has no home
# folder in the image.
builder() {
  local dir=/lab quiet='' image='' args
  while :; do
    case $1 in
      --quiet) quiet=1; shift ;;
      --in) [ "$2" = . ] || dir=/lab/$2; shift 2 ;;
      --image) image=$2; shift 2 ;;
      *) break ;;
    esac
  done
  [ -n "$image" ] || image=$(swift_builder) || exit 1
  args=(run --rm -u "$(id -u):$(id -g)" -e HOME=/tmp -v "$PWD:/lab" -w "$dir" "$image" "$@")
  if [ -n "$quiet" ]; then "$DOCKER" "${args[@]}"; else run docker "${args[@]}"; fi
}

# source_url: where the lab's source lives, for the image.source label:
# SOURCE_URL, else git's remote origin when it is a URL (scheme://... or
# user@host:path), without any user name or token in it; else nothing. A
# remote that is a folder (a clone of a clone) names a place on one machine
# only, so it is never a label.
source_url() {
  local url=${SOURCE_URL:-$(git config --get remote.origin.url 2>/dev/null || true)}
  if [[ $url != file:* ]] && [[ $url =~ ^[a-z][a-z0-9+.-]*://([^/@]*@)?(.+)$ ]]; then
    printf '%s\n' "${url%%://*}://${BASH_REMATCH[2]}"
  elif [[ $url =~ ^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/] ]]; then
    printf '%s\n' "$url"
  fi
}

# oci_labels ROW: --label for the OCI annotations of the row's image: its
# name and what it is, where its source lives, the commit (with -dirty when its context has changes
# not committed), when (the commit's time, or SOURCE_DATE_EPOCH, so that the
# same commit gets the same labels), and the final stage's base as pinned.
oci_labels() {
  local key=${IMG_BASE[$1]} context=${IMG_CONTEXT[$1]} revision created epoch base=scratch digest='' source
  revision=$(git rev-parse HEAD 2>/dev/null) || revision=unknown
  if [ "$revision" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no -- "$context" 2>/dev/null)" ]; then revision+=-dirty; fi
  epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
  created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
  if [ "$key" != scratch ]; then
    base=$(locked 1 "$key" 4)
    digest=$(locked 1 "$key" 6)
  fi
  # title and description too, or the image would show its base's (a local
  # base describes itself as a stand-in for the official image).
  printf '%s\n' --label "org.opencontainers.image.title=${IMG_NAME[$1]}" \
    --label "org.opencontainers.image.description=Swift multi-stage lab, example ${IMG_EXAMPLE[$1]} (${IMG_LANGUAGE[$1]}): ${IMG_TYPE[$1]}" \
    --label "org.opencontainers.image.revision=$revision" --label "org.opencontainers.image.created=$created" \
    --label "org.opencontainers.image.base.name=$base" --label "org.opencontainers.image.base.digest=$digest"
  source=$(source_url)
  [ -z "$source" ] || printf '%s\n' --label "org.opencontainers.image.source=$source"
}

# detach LOG COMMAND...: start COMMAND in the background, stdin from
# /dev/null, stdout and stderr appended to LOG, and none of our other file
# descriptors: a daemon that kept one of our pipes open would keep whoever
# reads that pipe (a $(...), a `make ... | tail`) waiting for ever.
# DETACHED_PID is its process ID.
detach() {
  local log=$1
  shift
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      [ "$fd" -le 2 ] || eval "exec $fd>&-" 2>/dev/null || true
    done
    exec "$@" </dev/null >>"$log" 2>&1
  ) &
  # shellcheck disable=SC2034 # read by the callers
  DETACHED_PID=$!
}

# --- A second engine, empty, in a network namespace of its own ----------------------
# What a fresh machine sees (make ci-cache's CI runner, make bench's pulls):
# dockerd with its own data root, socket and network namespace, so that its
# bridge cannot touch the lab engine's, and a second process of the lab's
# registry (the program dockerfiles/steps/registry.sh start, first, copies out of
# its image) inside that namespace, on the same storage and at the same
# address. Root only.
# runner_start NAME: start both (stopping any earlier NAME); sets RUNNER
# (the DOCKER_HOST to use), RUNNER_DIR (${TOOLS_DIR}/NAME) and RUNNER_NETNS.
runner_start() {
  RUNNER_NETNS=$1 RUNNER_DIR=$TOOLS_DIR/$1 RUNNER=unix:///run/$1.sock
  [ "$(id -u)" -eq 0 ] || die "a second Docker engine ($1) needs root"
  { command -v dockerd && command -v ip && command -v nsenter; } >/dev/null 2>&1 ||
    die "a second Docker engine needs dockerd, ip and nsenter (make engine installs the first; iproute2 and util-linux the others)"
  runner_stop
  mkdir -p "$RUNNER_DIR"
  ip netns add "$RUNNER_NETNS" && ip netns exec "$RUNNER_NETNS" ip link set lo up
  say "starting a second, empty engine: dockerd in network namespace $RUNNER_NETNS, with its own data root ($RUNNER_DIR) and socket (/run/$1.sock)"
  runner_registry
  # nsenter enters the network namespace alone: `ip netns exec` would also
  # remount /sys, and dockerd would find no cgroups there.
  detach "$RUNNER_DIR/dockerd.log" nsenter --net="/run/netns/$RUNNER_NETNS" dockerd --data-root "$(realpath "$RUNNER_DIR")/data" \
    --exec-root "/run/$1" --pidfile "$RUNNER_DIR/dockerd.pid" -H "$RUNNER" --iptables=false --ip-masq=false \
    --containerd-namespace "$1" --containerd-plugins-namespace "$1-plugins"
  for _ in $(seq 1 300); do DOCKER_HOST=$RUNNER "$DOCKER" version >/dev/null 2>&1 && break; sleep 0.1; done
  DOCKER_HOST=$RUNNER "$DOCKER" version >/dev/null 2>&1 ||
    die "the second engine's dockerd did not start: $(grep -m1 -E 'failed to start|level=(error|fatal)' "$RUNNER_DIR/dockerd.log" || tail -n1 "$RUNNER_DIR/dockerd.log")"
}

# runner_registry: (re)start the registry's process in the runner's namespace.
runner_registry() {
  local pid
  if pid=$(cat "$RUNNER_DIR/registry.pid" 2>/dev/null) && kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  local registry=${REGISTRY_DIR:-$TOOLS_DIR/registry}
  [ -x "$registry/docker-registry" ] && [ -s "$registry/registry.env" ] ||
    die "no registry program in $registry (dockerfiles/steps/registry.sh start leaves it there)"
  local settings
  mapfile -t settings <"$registry/registry.env"
  detach "$RUNNER_DIR/registry.log" env "${settings[@]}" nsenter --net="/run/netns/$RUNNER_NETNS" \
    "$registry/docker-registry" serve "$registry/config.yml"
  echo "$DETACHED_PID" >"$RUNNER_DIR/registry.pid"
}

# runner_stop: stop the runner's dockerd and registry, delete its namespace
# and its storage.
runner_stop() {
  local file pid
  [ -n "${RUNNER_DIR:-}" ] || return 0
  for file in "$RUNNER_DIR/dockerd.pid" "$RUNNER_DIR/registry.pid"; do
    { pid=$(cat "$file" 2>/dev/null) && kill "$pid" 2>/dev/null; } || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  ip netns del "$RUNNER_NETNS" 2>/dev/null || true
  rm -rf "$RUNNER_DIR"
}

# tool_image NAME WHAT: build dockerfiles/tools/Dockerfile.NAME, one of the lab's
# own tools in an image (WHAT says which, for the progress line), from the
# bases make bases pinned, as swiftlab-tools/NAME; prints that name.
tool_image() {
  local image=swiftlab-tools/$1 args
  # Not mapfile < <(build_args ...): a base that moved must stop here, with its line.
  args=$(build_args "dockerfiles/tools/Dockerfile.$1") || exit 1
  mapfile -t args <<<"$args"
  say "building $image ($2; seconds once cached)" >&2
  run "${BUILDKIT_ENV[@]}" docker build -q -f "dockerfiles/tools/Dockerfile.$1" -t "$image" "${args[@]}" dockerfiles/tools >/dev/null ||
    die "building $image failed (it installs Debian packages: is the package mirror reachable from builds?)"
  echo "$image"
}

# export_context DOCKERFILE CONTEXT DEST: the files BuildKit sends for a
# build of DOCKERFILE in CONTEXT (with CONTEXT/.dockerignore, or
# DOCKERFILE.dockerignore, applied), written by BuildKit itself to DEST.
export_context() {
  local probe status=0
  probe=$(mktemp -d)
  printf 'FROM scratch\nCOPY . /\n' >"$probe/Dockerfile"
  [ ! -f "$1.dockerignore" ] || cp "$1.dockerignore" "$probe/Dockerfile.dockerignore"
  rm -rf "$3"
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -f "$probe/Dockerfile" --output "type=local,dest=$3" "$2" >/dev/null || status=$?
  rm -rf "$probe"
  return "$status"
}

# step_status LOG TEXT: "CACHED" or "ran" for the build step whose
# instruction contains TEXT, from BuildKit's plain progress output.
step_status() {
  local n
  n=$(grep -F -- "$2" "$1" | grep -m1 -oE '^#[0-9]+ \[' | tr -d '#[ ') || { echo "not found"; return; }
  if grep -qE "^#$n CACHED\$" "$1"; then echo CACHED; else echo ran; fi
}

# steps_ran LOG: the build steps that ran (not from the cache), as
# "[stage n/m] INSTRUCTION", from BuildKit's plain progress output (not
# BuildKit's own context and metadata steps, nor FROM).
steps_ran() {
  local n line
  grep -oE '^#[0-9]+ \[[^]]+\] .*' "$1" | awk '!seen[$1]++' | while read -r n line; do
    grep -qE "^$n CACHED\$" "$1" || printf '%s\n' "$(cut -c1-90 <<<"$line")"
  done | grep -vE '^\[internal\]|^\[[^]]+\] FROM ' || true
}

# base_image KEY: the image a base resolved to, from `make bases`'s record.
base_image() {
  jq -er --arg key "$1" '.bases[] | select(.key == $key) | .name' "$RESULTS_DIR/bases.json"
}

# base_name ROW: the base image the row's final stage starts from.
base_name() {
  [ "${IMG_BASE[$1]}" = scratch ] && { echo scratch; return; }
  base_image "${IMG_BASE[$1]}"
}

# image_file IMAGE PATH: print one file of IMAGE (which may have no shell).
image_file() {
  local container
  container=$("$DOCKER" create "$1" /nonexistent) || return 1
  local status=0
  "$DOCKER" cp -L "$container:$2" - | tar -xO || status=$?
  "$DOCKER" rm "$container" >/dev/null
  return "$status"
}

# image_release IMAGE: the system IMAGE is built from, from its os-release
# ("debian 13", "ubuntu 24.04"), or "-" when it has none.
image_release() {
  image_file "$1" /etc/os-release 2>/dev/null | awk -F= '{ gsub(/"/, "", $2) } $1 == "ID" { id = $2 } $1 == "VERSION_ID" { v = $2 }
    END { if (id == "") print "-"; else print id " " (v == "" ? "?" : v) }'
}

# image_glibc IMAGE: the glibc release IMAGE carries, from its dpkg record
# of libc6 (status, or distroless's status.d): "2.41" on Debian 13, "2.36"
# on Debian 12; "-" for none (distroless static, a scratch image).
image_glibc() {
  local records
  records=$(image_file "$1" /var/lib/dpkg/status 2>/dev/null || true)
  [[ $records == *$'Package: libc6\n'* ]] || records=$(image_file "$1" /var/lib/dpkg/status.d 2>/dev/null || true)
  awk '/^Package: / { p = $2 } p == "libc6" && /^Version: / { v = $2; sub(/^[0-9]+:/, "", v); sub(/-.*/, "", v); print v; found = 1; exit }
    END { if (!found) print "-" }' <<<"$records"
}

# image_program IMAGE: the program an image runs: its entrypoint's first
# word, or its command's when it has no entrypoint.
image_program() {
  "$DOCKER" image inspect --format '{{range .Config.Entrypoint}}{{.}}{{"\n"}}{{end}}{{range .Config.Cmd}}{{.}}{{"\n"}}{{end}}' "$1" | head -n1
}

# image_program_path IMAGE: image_program as a path in the image. A bare
# name (ENTRYPOINT ["server"]) is looked up in the folders of the image's
# PATH (Docker's default PATH when it sets none), as the engine finds it;
# "-" when it is in none of them.
image_program_path() {
  local program path dir container found=- dirs
  program=$(image_program "$1") || return 1
  if [[ $program == /* ]]; then echo "$program"; return; fi
  path=$("$DOCKER" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$1" | sed -n 's/^PATH=//p')
  IFS=: read -ra dirs <<<"${path:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"
  container=$("$DOCKER" create "$1" /nonexistent) || return 1
  for dir in "${dirs[@]}"; do
    if [ -n "$program" ] && "$DOCKER" cp "$container:$dir/$program" - >/dev/null 2>&1; then found=$dir/$program; break; fi
  done
  "$DOCKER" rm "$container" >/dev/null
  echo "$found"
}

# image_sizes IMAGE: "BYTES COMPRESSED LAYERS" of IMAGE, measured the same
# way on every engine and image store, from `docker save`
# (dockerfiles/measure/imagesave.py): BYTES, the unpacked size of its layers (the
# files and links they hold: what the classic store's `docker images`
# shows; the containerd store shows other figures there), COMPRESSED, each
# layer's tar through gzip -6 (pigz when present), what a registry transfer
# costs. Cached by image ID in $RESULTS_DIR/image-sizes.tsv, since
# compressing a large image takes minutes.
image_sizes() {
  local id cache=$RESULTS_DIR/image-sizes.tsv sizes hint json
  id=$("$DOCKER" image inspect --format '{{.Id}}' "$1") || return 1
  sizes=$(awk -F'\t' -v id="$id" '$1 == id && $3 != "-" { print $2, $3, $4 }' "$cache" 2>/dev/null | tail -n1)
  show python3 dockerfiles/measure/imagesave.py sizes "$1"
  if [ -n "$sizes" ]; then
    say "(measured before: $cache has the figures of image ${id:7:12})" >&2
  else
    # About 25 MB/s on 2 cores: say so when it takes minutes.
    hint=$("$DOCKER" image inspect --format '{{.Size}}' "$1")
    say "measuring $1: every layer of docker save, unpacked and through gzip -6$( ((hint >= 3000000000)) && echo ": about $((hint / 1500000000)) minutes")" >&2
    # It prints its docker save (stderr) and, failing, one line why.
    json=$(DOCKER=$DOCKER python3 dockerfiles/measure/imagesave.py sizes "$1") || return 1
    sizes=$(jq -r '"\(.bytes) \(.compressed_bytes) \(.layers)"' <<<"$json")
    mkdir -p "$(dirname "$cache")"
    printf '%s\t%s\n' "$id" "${sizes// /$'\t'}" >>"$cache"
  fi
  echo "$sizes"
}

# image_unpacked IMAGE: the unpacked bytes of IMAGE, as image_sizes measures
# them, without compressing anything: image_sizes' figure when it has one;
# else on the classic store the engine's own .Size, which is that figure to
# the byte; else (the containerd store, where .Size is another) a read of
# docker save alone, kept in the same cache with "-" for what it did not
# compress (the bases' 4 GB builder is read once, not at every make step).
image_unpacked() {
  local id cache=$RESULTS_DIR/image-sizes.tsv bytes
  id=$("$DOCKER" image inspect --format '{{.Id}}' "$1") || return 1
  bytes=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$cache" 2>/dev/null | tail -n1)
  if [ -z "$bytes" ] && [ "$(image_store)" = classic ]; then
    bytes=$("$DOCKER" image inspect --format '{{.Size}}' "$1")
  elif [ -z "$bytes" ]; then
    show python3 dockerfiles/measure/imagesave.py unpacked "$1"
    bytes=$(DOCKER=$DOCKER python3 dockerfiles/measure/imagesave.py unpacked "$1" 2>/dev/null | jq -r .bytes) || return 1
    [[ $bytes =~ ^[0-9]+$ ]] || return 1
    mkdir -p "$(dirname "$cache")"
    printf '%s\t%s\t-\t-\n' "$id" "$bytes" >>"$cache"
  fi
  echo "$bytes"
}

# wait_healthy CONTAINER SECONDS: wait for the container's HEALTHCHECK to
# report healthy. Fails at once if the container stops, or after SECONDS.
wait_healthy() {
  local container=$1 seconds=$2 deadline state
  deadline=$(($(now_ms) + seconds * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    state=$("$DOCKER" inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$container" 2>/dev/null) || return 1
    case $state in
      "running healthy") return 0 ;;
      running*) sleep 0.25 ;;
      *) return 1 ;;
    esac
  done
  return 1
}

# container_logs CONTAINER: its logs, indented, for a failing test.
container_logs() {
  printf '          --- logs of %s ---\n' "$1"
  "$DOCKER" logs "$1" 2>&1 | tail -n 40 | sed 's/^/          | /'
  printf '          --- end of logs ---\n'
}

# --- The manifests: every image of the lab, core and examples --------------
#
# dockerfiles/images.tsv (the Swift server, example "swift") and
# examples/NAME/images.tsv (example NAME) share one format
# (docs/adding-an-example.md#the-manifest). Each data row starts with its
# kind:
#   language  NAME                      the language, as the contract greets
#   context   FOLDER                    the build context, from the manifest's folder
#   image     NAME DOCKERFILE TYPE BUILD-BASES BASE PORT GOAL ZGOAL
#   bench     DOCKERFILE SOURCE MANIFEST STEP  what make bench-build measures
# Dockerfiles are named from the manifest's folder too, and each image's
# container-structure-test file is structure/NAME.yaml beside the manifest.

# manifests: every manifest file, the core one first.
manifests() {
  echo dockerfiles/images.tsv
  local f
  for f in examples/*/images.tsv; do [ -f "$f" ] && echo "$f"; done
  return 0
}

# example_of MANIFEST: the example a manifest describes.
example_of() {
  case $1 in
    dockerfiles/images.tsv) echo swift ;;
    *) basename "$(dirname "$1")" ;;
  esac
}

# load_manifests: read every manifest into parallel arrays, one entry per
# image: IMG_NAME, IMG_EXAMPLE, IMG_LANGUAGE, IMG_DIR (the manifest's
# folder), IMG_DOCKERFILE and IMG_CONTEXT (paths from the lab's root),
# IMG_TYPE, IMG_BUILD_BASES (space-separated keys), IMG_BASE (a key or
# "scratch"), IMG_PORT, IMG_GOAL and IMG_ZGOAL (MB or "-"), IMG_RUN (the
# example's extra `docker run` options for `make up`, tab-separated);
# EXAMPLE_TEST_BASES[example]: the bases its tests run; and one entry per
# bench row (make bench-build): BENCH_EXAMPLE, BENCH_DOCKERFILE and
# BENCH_CONTEXT (from the lab's root), BENCH_SOURCE and BENCH_MANIFEST (from
# the context; "-" for none), BENCH_STEP (text of the dependency step's RUN). A malformed row
# stops with one line naming the file and line.
load_manifests() {
  IMG_NAME=() IMG_EXAMPLE=() IMG_LANGUAGE=() IMG_DIR=() IMG_DOCKERFILE=() IMG_CONTEXT=()
  IMG_TYPE=() IMG_BUILD_BASES=() IMG_BASE=() IMG_PORT=() IMG_GOAL=() IMG_ZGOAL=() IMG_RUN=()
  BENCH_EXAMPLE=() BENCH_DOCKERFILE=() BENCH_CONTEXT=() BENCH_SOURCE=() BENCH_MANIFEST=() BENCH_STEP=()
  declare -gA EXAMPLE_TEST_BASES=()
  local manifest dir example language context run count line n kind fields
  while read -r manifest; do
    dir=$(dirname "$manifest") example=$(example_of "$manifest") language='' context='' run='' count=0
    n=0
    while IFS= read -r line || [ -n "$line" ]; do
      n=$((n + 1))
      [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
      IFS=$'\t' read -ra fields <<<"$line"
      kind=${fields[0]}
      case $kind:${#fields[@]} in
        language:2) language=${fields[1]} ;;
        context:2) context=$(realpath -m --relative-to=. "$dir/${fields[1]}") ;;
        run:*) run=$(printf '%s\t' "${fields[@]:1}") ;;
        test-base:2) EXAMPLE_TEST_BASES[$example]+=" ${fields[1]}" ;;
        bench:5)
          [ -n "$context" ] || die "$manifest:$n: the context row comes before a bench row"
          BENCH_EXAMPLE+=("$example") BENCH_DOCKERFILE+=("$dir/${fields[1]}") BENCH_CONTEXT+=("$context")
          BENCH_SOURCE+=("${fields[2]}") BENCH_MANIFEST+=("${fields[3]}") BENCH_STEP+=("${fields[4]}")
          ;;
        image:9)
          [ -n "$language" ] && [ -n "$context" ] ||
            die "$manifest:$n: the language and context rows come before the first image row"
          [[ ${fields[6]} =~ ^[0-9]+$ ]] || die "$manifest:$n: lab port '${fields[6]}' is not a number"
          IMG_NAME+=("${fields[1]}") IMG_EXAMPLE+=("$example") IMG_LANGUAGE+=("$language") IMG_DIR+=("$dir")
          IMG_DOCKERFILE+=("$dir/${fields[2]}") IMG_CONTEXT+=("$context") IMG_TYPE+=("${fields[3]}")
          IMG_BUILD_BASES+=("$([ "${fields[4]}" = - ] || echo "${fields[4]//,/ }")") IMG_BASE+=("${fields[5]}")
          IMG_PORT+=("${fields[6]}") IMG_GOAL+=("${fields[7]}") IMG_ZGOAL+=("${fields[8]}") IMG_RUN+=("${run%$'\t'}")
          count=$((count + 1))
          ;;
        *) die "$manifest:$n: expected 'language NAME', 'context FOLDER', 'run OPTION...', 'test-base KEY', a bench row of 5 or an image row of 9 tab-separated fields, got: $line" ;;
      esac
    done <"$manifest"
    [ "$count" -gt 0 ] || die "$manifest: no image rows"
  done < <(manifests)
}

# select_images: the indices (into the IMG_ arrays) that this run works on:
# the images named in $IMAGES, else every image of the examples named in
# $EXAMPLE, else all. An unknown name stops with one line.
select_images() {
  local i name found list
  if [ -n "${IMAGES:-}" ]; then
    for name in $IMAGES; do
      image_index "$name" || die "IMAGES: no image $name in any manifest (images: ${IMG_NAME[*]})"
    done
  elif [ -n "${EXAMPLE:-}" ]; then
    for name in $EXAMPLE; do
      found=''
      for i in "${!IMG_NAME[@]}"; do [ "${IMG_EXAMPLE[$i]}" = "$name" ] && { echo "$i"; found=1; }; done
      list=$(printf '%s\n' "${IMG_EXAMPLE[@]}" | uniq | paste -sd' ' -)
      [ -n "$found" ] || die "EXAMPLE: no example $name (examples: $list)"
    done
  else
    printf '%s\n' "${!IMG_NAME[@]}"
  fi
}

# built_rows: select_images, after checking that each selected image is
# built; fails naming the first that is not. Use: rows=$(built_rows) || exit 1
built_rows() {
  local i selected
  selected=$(select_images) || return 1
  for i in $selected; do
    [ -n "$("$DOCKER" image ls -q "${IMG_NAME[$i]}")" ] || die "no image ${IMG_NAME[$i]} (run: make images)"
  done
  echo "$selected"
}

# image_index NAME: the index of an image in the IMG_ arrays.
image_index() {
  local i
  for i in "${!IMG_NAME[@]}"; do [ "${IMG_NAME[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
  return 1
}

# todos FOLDER: the scaffold's markers left in an example, "FILE:LINE: TEXT"
# each. `make new-example` writes one "TODO(scaffold)" per part to finish.
todos() { grep -rnI --exclude-dir=.build --exclude-dir='.build-*' -e 'TODO(scaffold)' "$1" 2>/dev/null | sed -E 's/^([^:]+:[0-9]+):[[:space:]]*/\1: /' || true; }
