#!/usr/bin/env bash
# Resolves the lab's base images (dockerfiles/bases/bases.tsv) and writes
# the record $RESULTS_DIR/bases.json that later targets read.
#   BASES=auto      official images if the registry answers, else local
#   BASES=registry  the official images (pulled when missing)
#   BASES=local     equivalents built here from Debian packages
# Only the bases that the selected images need (every manifest's build bases
# and bases, or those of $IMAGES / $EXAMPLE) are resolved: slim, which every
# local base starts from, and the rest as the manifests name them. A base
# that is present and built from the same recipe is not rebuilt, so a second
# run takes seconds.
#   dockerfiles/bases/bases.sh --remove-local   remove the local bases (make distclean)
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

BASES_DIR=dockerfiles/bases
WORK_DIR=${BASES_WORK_DIR:-$TOOLS_DIR/bases}
RECORD=$RESULTS_DIR/bases.json
RECIPE_LABEL=org.swiftlab.recipe

case $BASES in auto | registry | local) ;; *) die "BASES=$BASES: expected auto, registry or local" ;; esac
require_engine

# Every local name, and the base each local recipe is built on (its "on"
# column: the Swift builder on Debian 12, the rest on slim).
all_locals=()
declare -A on_base=()
while IFS=$'\t' read -r key _ _ local _ on; do
  all_locals+=("$local") on_base[$key]=$on
done < <(tsv_rows "$BASES_DIR/bases.tsv")

# The keys the selected images need, from the manifests: their build and
# final bases, and what their example's tests run (its test-base rows).
load_manifests
selected=$(select_images) || exit 1
declare -A needed=([slim]=1)
for i in $selected; do
  for key in ${IMG_BUILD_BASES[$i]} ${IMG_BASE[$i]} ${EXAMPLE_TEST_BASES[${IMG_EXAMPLE[$i]}]:-}; do needed[$key]=1; done
done
unset 'needed[scratch]'

# The base a local base is built on is needed too, in local mode.
for key in "${!needed[@]}"; do
  [ "${on_base[$key]:--}" = - ] || needed[${on_base[$key]}]=1
done

keys=() args=() officials=() locals=() recipes=()
while IFS=$'\t' read -r key arg official local recipe _; do
  [ -n "${needed[$key]:-}" ] || continue
  unset "needed[$key]"
  keys+=("$key") args+=("$arg") officials+=("$official") locals+=("$local") recipes+=("$recipe")
done < <(tsv_rows "$BASES_DIR/bases.tsv")
[ ${#needed[@]} -eq 0 ] || die "the manifests name base(s) that $BASES_DIR/bases.tsv does not have: ${!needed[*]}"

# drop_local_only: the official images need no local-only row (build arg -).
drop_local_only() {
  local i k=() a=() o=() l=() r=()
  for i in "${!keys[@]}"; do
    [ "${args[$i]}" = - ] && continue
    k+=("${keys[$i]}") a+=("${args[$i]}") o+=("${officials[$i]}") l+=("${locals[$i]}") r+=("${recipes[$i]}")
  done
  keys=("${k[@]}") args=("${a[@]}") officials=("${o[@]}") locals=("${l[@]}") recipes=("${r[@]}")
}

image_id() { "$DOCKER" image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
image_label() { "$DOCKER" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }
sha() { sha256sum | cut -c1-16; }
progress() { sed -u 's/^/  /'; }

if [ "${1:-}" = --remove-local ]; then
  for name in "${all_locals[@]}"; do
    [ -z "$(image_id "$name")" ] || run docker rmi "$name"
  done
  rm -f "$RECORD" "$LOCK"
  exit 0
fi

# --- The slim base: a minbase bootstrap, slimmed like the official image ----

# debian_sources SUITE: apt sources for the bootstrap: DEBIAN_MIRROR if
# set, else the mirrors of the host's own apt configuration when the host is
# Debian, else mmdebstrap's default. Each is printed as a "deb URI SUITE
# main" line.
debian_sources() {
  local suite=$1 main='' security='' uri
  if [ -n "$DEBIAN_MIRROR" ]; then
    main=$DEBIAN_MIRROR
  elif grep -qs '^ID=debian' /etc/os-release; then
    while read -r uri; do
      case $uri in
        *security*) security=${security:-$uri} ;;
        http://* | https://*) main=${main:-$uri} ;;
      esac
    done < <({ grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | sed 's/^URIs:[[:space:]]*//' | tr ' ' '\n'
      grep -hsE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }'; } | grep .)
  fi
  [ -n "$main" ] || return 0
  echo "deb $main $suite main"
  echo "deb $main $suite-updates main"
  [ -z "$security" ] || echo "deb $security $suite-security main"
}

# The host's apt settings that a snapshot mirror needs (expired Release
# files), carried into the bootstrap and the image.
apt_options() {
  apt-config dump 2>/dev/null | grep -E '^Acquire::Check-(Valid-Until|Date) ' | sed -E 's/^([^ ]+) (.*);$/\1 \2/' || true
}

SLIM_DPKG_OPTIONS=(
  'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*'
  'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright'
  'path-exclude=/usr/share/locale/*' 'path-exclude=/usr/share/lintian/*'
)

# slim_recipe SUITE
slim_recipe() {
  { echo "$1 minbase"; printf '%s\n' "${SLIM_DPKG_OPTIONS[@]}"; declare -f build_slim; cat "$BASES_DIR"/apt/*; } | sha
}

# need_mmdebstrap: install mmdebstrap when it is missing (root, Debian).
# Apart from build_slim, whose text is part of the recipe: where the lab
# keeps its scripts does not change the image.
need_mmdebstrap() { command -v mmdebstrap >/dev/null || bash dockerfiles/steps/host-tools.sh mmdebstrap:mmdebstrap; }

# build_slim NAME RECIPE SUITE
build_slim() {
  local name=$1 recipe=$2 suite=$3 tar mirrors=() opts=() line
  [ "$(id -u)" -eq 0 ] || die "$name is out of date (its recipe changed), and rebuilding it (mmdebstrap) needs root: run sudo make bases BASES=local"
  need_mmdebstrap
  while read -r line; do mirrors+=("$line"); done < <(debian_sources "$suite")
  while read -r line; do opts+=(--aptopt="$line"); done < <(apt_options)
  for line in "${SLIM_DPKG_OPTIONS[@]}"; do opts+=(--dpkgopt="$line"); done
  mkdir -p "$WORK_DIR"
  tar=$WORK_DIR/$suite.tar
  say "bootstrapping Debian $suite (minbase) with mmdebstrap: about a minute"
  # The merged-usr hook makes the /bin -> usr/bin links itself, as the
  # official image has them, instead of installing usrmerge (and with it perl).
  # shellcheck disable=SC2016 # "$1" is expanded by mmdebstrap's hook, not here
  run mmdebstrap --variant=minbase --mode=root "${opts[@]}" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='APT::Install-Recommends "false"' \
    --customize-hook="copy-in $(printf '%s ' "$BASES_DIR"/apt/*)/etc/apt/apt.conf.d/" \
    --customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/var/log/bootstrap.log' \
    "$suite" "$tar" "${mirrors[@]}" 2>&1 | progress
  say "importing it as $name"
  run docker import --change 'CMD ["bash"]' --change "LABEL $RECIPE_LABEL=$recipe" \
    --message "Debian $suite minbase, slimmed, by the Swift multi-stage lab" "$tar" "$name" >/dev/null
  rm -f "$tar"
}

# --- Bases built by a stage of a Dockerfile here, on the slim base -------------
# Dockerfile.distroless (static, cc: Debian packages unpacked into an empty
# root) and Dockerfile.languages (golang, jdk, ...: Debian's packages of
# each language on slim). Recipe column: DOCKERFILE:TARGET.

# target_recipe DOCKERFILE TARGET ON: a hash of the Dockerfile, the files
# that its COPY lines take from the context, the target and the base it is
# built on (ON, an image name).
target_recipe() {
  { cat "$BASES_DIR/$1"
    awk '/^COPY / && !/--from/ { for (i = 2; i < NF; i++) print $i }' "$BASES_DIR/$1" |
      while read -r file; do cat "$BASES_DIR/$file"; done
    echo "$2"; image_id "$3"; } | sha
}

# build_target NAME RECIPE DOCKERFILE TARGET ON
build_target() {
  local name=$1 recipe=$2 dockerfile=$3 target=$4 on=$5
  say "building $name ($dockerfile, target $target, on $on)"
  run "${BUILDKIT_ENV[@]}" docker build --progress=plain --target "$target" --build-arg "DEBIAN_IMAGE=$on" \
    --label "$RECIPE_LABEL=$recipe" -t "$name" -f "$BASES_DIR/$dockerfile" "$BASES_DIR" 2>&1 | progress
}

# --- The Swift builder: slim + packages + the host's toolchain ----------------

# toolchain_root: the folder that holds usr/bin/swift.
toolchain_root() {
  local root=$SWIFT_TOOLCHAIN swift
  if [ -z "$root" ]; then
    swift=$(command -v "${SWIFT:-swift}" 2>/dev/null) ||
      die "no Swift toolchain found: put swift on PATH or set SWIFT_TOOLCHAIN to a Linux toolchain folder (the one holding usr/bin/swift)"
    root=$(dirname "$(dirname "$(dirname "$(readlink -f "$swift")")")")
  fi
  [ -x "$root/usr/bin/swift" ] || { [ -x "$root/bin/swift" ] && root=$(dirname "$root"); }
  [ -x "$root/usr/bin/swift" ] ||
    die "SWIFT_TOOLCHAIN=$root has no usr/bin/swift: set SWIFT_TOOLCHAIN to a Linux Swift toolchain folder (the one holding usr/bin/swift)"
  command -v file >/dev/null || bash dockerfiles/steps/host-tools.sh file:file
  file -L "$root/usr/bin/swift-frontend" | grep -q "ELF 64-bit.*$(uname -m | sed 's/_/-/')" ||
    die "$root/usr/bin/swift-frontend is not a Linux $(uname -m) program: set SWIFT_TOOLCHAIN to a Linux toolchain for $(uname -m)"
  echo "$root"
}

# git_mirrors: "BASE<TAB>PREFIX" for each url.BASE.insteadOf=PREFIX whose
# BASE is a local folder.
git_mirrors() {
  git config --get-regexp '^url\..*\.insteadof$' 2>/dev/null | while read -r key prefix; do
    local base=${key#url.}
    base=${base%.insteadof}
    base=${base#file://}
    [[ $base == /* && -d $base ]] && printf '%s\t%s\n' "$base" "$prefix"
  done || true
}

# swift_recipe ON
swift_recipe() {
  { cat "$BASES_DIR/Dockerfile.swift"; "$TOOLCHAIN/usr/bin/swift" --version 2>/dev/null; git_mirrors; image_id "$1"; } | sha
}

# build_swift NAME RECIPE ON
build_swift() {
  local name=$1 recipe=$2 on=$3 context base prefix
  context=$WORK_DIR/swift-context
  rm -rf "$context"
  mkdir -p "$context/toolchain" "$context/mirrors"
  say "staging the toolchain from $TOOLCHAIN ($(du -sh "$TOOLCHAIN" | cut -f1))"
  cp -al "$TOOLCHAIN/usr" "$context/toolchain/" 2>/dev/null || cp -a "$TOOLCHAIN/usr" "$context/toolchain/"
  : >"$context/gitconfig"
  while IFS=$'\t' read -r base prefix; do
    if [ ! -e "$context/mirrors${base%/}" ]; then
      say "staging the SwiftPM git mirrors in $base"
      mkdir -p "$context/mirrors$(dirname "${base%/}")"
      cp -al "${base%/}" "$context/mirrors${base%/}" 2>/dev/null || cp -a "${base%/}" "$context/mirrors${base%/}"
    fi
    printf '[url "%s"]\n\tinsteadOf = %s\n' "$base" "$prefix" >>"$context/gitconfig"
  done < <(git_mirrors)
  [ ! -s "$context/gitconfig" ] || printf '[safe]\n\tdirectory = *\n' >>"$context/gitconfig"
  cp "$BASES_DIR/Dockerfile.swift" "$context/Dockerfile"
  say "building $name on $on: this copies $(du -sh "$context" | cut -f1) into the engine, about 2 minutes"
  run "${BUILDKIT_ENV[@]}" docker build --progress=plain --build-arg "DEBIAN_IMAGE=$on" \
    --label "$RECIPE_LABEL=$recipe" -t "$name" "$context" 2>&1 | progress
  rm -rf "$context"
}

# --- Resolution -----------------------------------------------------------------

all_present() {
  local name
  for name in "$@"; do [ -n "$(image_id "$name")" ] || return 1; done
}

# The official images of the rows that BASES=registry resolves.
registry_officials=()
for i in "${!keys[@]}"; do [ "${args[$i]}" = - ] || registry_officials+=("${officials[$i]}"); done

if [ "$BASES" = auto ]; then
  if all_present "${registry_officials[@]}"; then
    BASES=registry
    say "BASES=auto: the official images are already here; using them"
  elif [ "$(jq -r .mode "$RECORD" 2>/dev/null)" = local ] && all_present "${locals[@]}"; then
    BASES=local
    say "BASES=auto: using the local bases chosen before (make bases BASES=registry to try the registry again)"
  elif out=$(run timeout "$PULL_TIMEOUT" docker pull -q "${officials[0]}" 2>&1); then
    BASES=registry
    say "BASES=auto: the registry answers; using the official images"
  else
    # The engine's own words, or the time-out's.
    why=$(grep . <<<"$out" | tail -n1)
    why=${why:-no answer within PULL_TIMEOUT=${PULL_TIMEOUT}s}
    # Local bases start with a Debian bootstrap (mmdebstrap), which needs
    # root: never fall back to them for a user who cannot build them.
    if [ "$(id -u)" -ne 0 ] && ! { [ "$(jq -r .mode "$RECORD" 2>/dev/null)" = local ] && all_present "${locals[0]}"; }; then
      die "BASES=auto: the registry does not answer (docker pull ${officials[0]}: $why); check the engine's network or proxy settings and run make bases again (building local bases instead needs root: sudo make bases BASES=local)"
    fi
    BASES=local
    say "BASES=auto: the registry does not answer (docker pull ${officials[0]}: $why); using local bases built from Debian packages"
  fi
fi

# The local slim base is bootstrapped with mmdebstrap as root: say so before
# any work, not after minutes of it.
if [ "$BASES" = local ] && [ "$(id -u)" -ne 0 ] && [ -z "$(image_id "${locals[0]}")" ]; then
  die "BASES=local: the Debian base ${locals[0]} is not here, and building it (mmdebstrap) needs root: run sudo make bases BASES=local once, or use the official images (BASES=registry)"
fi

[ "$BASES" = local ] || drop_local_only

# pinned KEY MODE COLUMN: a column of the lock's row for KEY (see locked in
# dockerfiles/steps/runtime.sh), when the lock was written in MODE.
pinned() { [ -s "$LOCK" ] && [ "$(locked 1 "$1" 3)" = "$2" ] && locked 1 "$1" "$3" || true; }

resolved=()
declare -A resolved_key=()
for i in "${!keys[@]}"; do
  on=${on_base[${keys[$i]}]}
  [ "$on" = - ] || on=${resolved_key[$on]}
  if [ "$BASES" = registry ]; then
    name=${officials[$i]}
    if [ -z "$(image_id "$name")" ]; then
      # The digest the lock pins, when it has one: the same image as before.
      pinned=$(pinned "${keys[$i]}" registry 5)
      say "pulling $name${pinned:+ at the digest $LOCK pins}"
      run docker pull "${pinned:-$name}" 2>&1 | progress || die "cannot pull ${pinned:-$name}; where the registry is blocked, use BASES=local"
      [ -z "$pinned" ] || run docker tag "$pinned" "$name"
    fi
  else
    name=${locals[$i]}
    case ${recipes[$i]} in
      mmdebstrap:*) recipe=$(slim_recipe "${recipes[$i]#*:}") ;;
      Dockerfile.swift)
        # Without a toolchain here (the toolbox, a learner's machine), a
        # builder that is already here is kept as it was built. A
        # SWIFT_TOOLCHAIN that was set and is wrong is an error, always.
        if TOOLCHAIN=$(toolchain_root 2>/dev/null); then
          recipe=$(swift_recipe "$on")
        elif [ -z "$SWIFT_TOOLCHAIN" ] && [ -n "$(image_id "$name")" ]; then
          recipe=$(image_label "$name" "$RECIPE_LABEL")
          say "no Swift toolchain here to check $name against: keeping it as it was built"
        else
          TOOLCHAIN=$(toolchain_root) || exit 1
        fi
        ;;
      Dockerfile.*:*) recipe=$(target_recipe "${recipes[$i]%%:*}" "${recipes[$i]#*:}" "$on") ;;
      *) die "unknown recipe ${recipes[$i]} in $BASES_DIR/bases.tsv" ;;
    esac
    old=$(image_id "$name" || true)
    if [ -n "$old" ] && [ "$(image_label "$name" "$RECIPE_LABEL")" = "$recipe" ]; then
      say "$name is up to date"
    else
      start=$(now_ms)
      case ${recipes[$i]} in
        mmdebstrap:*) build_slim "$name" "$recipe" "${recipes[$i]#*:}" ;;
        Dockerfile.swift) build_swift "$name" "$recipe" "$on" ;;
        Dockerfile.*:*) build_target "$name" "$recipe" "${recipes[$i]%%:*}" "${recipes[$i]#*:}" "$on" ;;
      esac
      new=$(image_id "$name") || die "building $name failed"
      say "built $name in $(seconds_since "$start") s"
      # The image it replaces is left without a name: remove it (the Swift
      # builder is over 4 GB), unless a container or another tag still uses it.
      if [ -n "$old" ] && [ "$old" != "$new" ]; then run docker rmi "$old" >/dev/null 2>&1 || true; fi
    fi
  fi
  resolved_key[${keys[$i]}]=$name
  resolved+=("$name")
done

# --- The record -------------------------------------------------------------------
# The bases resolved now, and those of an earlier run in the same mode that
# this run did not need (make bases EXAMPLE=go after a whole make bases)
# while their image is still there, so that the record serves every example.
earlier() {
  [ "$(jq -r .mode "$RECORD" 2>/dev/null)" = "$BASES" ] || return 0
  local entry
  jq -c '.bases[]' "$RECORD" | while read -r entry; do
    [[ " ${keys[*]} " == *" $(jq -r .key <<<"$entry") "* ]] && continue
    [ "$(image_id "$(jq -r .name <<<"$entry")")" = "$(jq -r .id <<<"$entry")" ] && echo "$entry"
  done
}
mkdir -p "$RESULTS_DIR"
earlier >"$RECORD.earlier"
for i in "${!keys[@]}"; do
  # The unpacked size, as the size table measures it on every store.
  size=$(image_unpacked "${resolved[$i]}") || die "cannot measure ${resolved[$i]}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${keys[$i]}" "${args[$i]}" "${officials[$i]}" "${resolved[$i]}" "$(image_id "${resolved[$i]}")" "$size" \
    "$(image_release "${resolved[$i]}")" "$(image_glibc "${resolved[$i]}")"
done | python3 dockerfiles/measure/records.py bases --mode="$BASES" --order="$(tsv_rows "$BASES_DIR/bases.tsv" | cut -f1 | tr '\n' ' ')" \
  --earlier="$RECORD.earlier" >"$RECORD.tmp"
rm -f "$RECORD.earlier"
mv "$RECORD.tmp" "$RECORD"

# --- The lock ---------------------------------------------------------------------
# Every base the builds may use, pinned by digest: lab.sh passes the
# reference column as the build arg and refuses to build when a base's tag
# has moved since. An official image is pinned by its registry digest
# (name@sha256:..., what FROM resolves). A local base was never pushed, so it
# has no registry digest: its image ID, the digest of its configuration and
# through it of every layer, pins it instead (docs/07-layer-caching.md).
# Rows of the old lock for bases this run did not resolve stay while their
# image is unchanged, as in the record.
lock_row() {
  local key=$1 arg=$2 name=$3 id digest reference
  id=$(image_id "$name") || return 0
  if [ "$BASES" = registry ]; then
    digest=$("$DOCKER" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$name" | grep -m1 "^${name%:*}@" | cut -d@ -f2 || true)
    # On the containerd image store BuildKit asks the registry for a base
    # named by digest even when it is here, so FROM gets the name there; the
    # image ID, which that store makes the digest, is checked before every
    # build all the same (build_args in dockerfiles/steps/runtime.sh).
    [ "$STORE" = containerd ] || reference=${digest:+${name%:*}@$digest}
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$arg" "$BASES" "$name" "${reference:-$name}" "${digest:-$id}" "$id"
}
STORE=$(image_store)
old_lock=$(cat "$LOCK" 2>/dev/null || true)
{
  printf '# The base images the lab builds on, pinned: written by make bases, used by\n'
  printf '# every build (docs/07-layer-caching.md#pinning-the-bases). Not committed:\n'
  printf '# local bases are built on each machine, so their digests are its own.\n'
  printf '# key\tbuild arg\tmode\tname\treference (what FROM gets)\tdigest\timage ID\n'
  jq -r '.bases[] | [.key, .build_arg, .name] | @tsv' "$RECORD" | while IFS=$'\t' read -r key arg name; do
    lock_row "$key" "$arg" "$name"
  done
  { grep -v '^#' <<<"$old_lock" || true; } | while IFS=$'\t' read -r key arg mode name reference digest id; do
    [ -n "$key" ] && [ "$mode" = "$BASES" ] || continue
    jq -e --arg key "$key" '.bases[] | select(.key == $key)' "$RECORD" >/dev/null && continue
    [ "$(image_id "$reference")" = "$id" ] && printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$arg" "$mode" "$name" "$reference" "$digest" "$id"
  done
} >"$LOCK.tmp"
mv "$LOCK.tmp" "$LOCK"
moved=$(join -t $'\t' <(grep -v '^#' <<<"$old_lock" | cut -f1,6 | sort) <(grep -v '^#' "$LOCK" | cut -f1,6 | sort) |
  awk -F'\t' '$2 != $3 { printf "%s ", $1 }')
[ -z "$old_lock" ] || [ -z "$moved" ] || say "the lock moved for: $moved(the bases were rebuilt or pulled anew)"

echo
echo "| base | build arg | resolved to | system | glibc | size | pinned digest |"
echo "|---|---|---|---|---|---:|---|"
jq -r '.bases[] | [.key, .build_arg, .name, .release, .glibc, (.size / 1000000 * 10 | round / 10 | tostring)] | @tsv' "$RECORD" |
  while IFS=$'\t' read -r key arg name release glibc size; do
    printf '| %s | %s | %s | %s | %s | %s MB | %s |\n' "$key" "$arg" "$name" "$release" "$glibc" "$size" "$(pinned "$key" "$BASES" 6 | cut -c1-19)"
  done
echo
echo "(recorded in $RECORD, pinned in $LOCK)"
