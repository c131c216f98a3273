#!/usr/bin/env bash
# The lab on a learner's machine: Docker 26 with buildx (Debian 13's
# packages), used by a user who is not root, in the docker group, with no
# Swift, no binutils and no compiler, with each of Docker's image stores:
# the classic one (overlay2) and the containerd one (Docker Desktop's
# default for new installs). The engine is tests/current-engine.sh's.
#
# On each store, the learner runs the lab's main path from the bases the lab
# engine has (tagged with the official names, as a learner with Docker Hub
# has them): make bases, images, sizes, up, smoke, down, scan and report.
# Each store gets the Go example's scratch image, which both must measure
# the same, and as the lab engine does; the containerd store, Docker
# Desktop's, also the unit tests (make test-unit, no engine, no Swift). The
# Swift images are built by the lab engine of the other suites: a Swift
# image here would add its cold compile and its 4 GB builder, about 11
# minutes of a fresh make test, to what the Go image already checks (the
# OCI layout of docker save, every base read once, the learner's rights).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh
source tests/current-engine.sh

# The images of each store (their bases: golang, and slim, which make bases
# always resolves), and the one both build.
declare -A STORE_IMAGES=([classic]="go-app-scratch" [containerd]="go-app-scratch")
BOTH=go-app-scratch
require_engine
[ "$(id -u)" -eq 0 ] || { skip "the lab on Docker 26, both image stores, as a learner" "starting a second engine needs root; make test runs it as root"; finish; exit; }
[ -s "$RESULTS_DIR/bases.json" ] || die "no $RESULTS_DIR/bases.json (run: make bases)"
load_manifests
on_exit ce_stop

ce_root || exit 1
# The learner's copy of the lab: what git tracks and what it would add, as
# a fresh clone has it (with this checkout's changes).
LAB=$CE_ROOT/home/$CE_USER/lab
rm -rf "$LAB"
mkdir -p "$LAB"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$LAB"
chroot "$CE_ROOT" chown -R "$CE_USER:$CE_USER" "/home/$CE_USER"

# base_keys IMAGE...: the keys of the bases the images need.
base_keys() {
  local name i
  for name in "$@"; do i=$(image_index "$name") || die "no image $name"; echo "${IMG_BUILD_BASES[$i]} ${IMG_BASE[$i]}"; done |
    tr ' ' '\n' | grep -vx -e scratch -e '' | sort -u
}

# learner_step NAME COMMAND: run a make command line as the learner in
# ~/lab; its output in $WORK/NAME.out; pass or fail with its last lines.
WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
learner_step() {
  local name=$1 command=$2 start
  start=$(now_ms)
  if ce_learner "cd lab && $command" >"$WORK/$name.out" 2>&1; then
    pass "$STORE store: as the learner, $command ($(seconds_since "$start") s)"
    return 0
  fi
  fail "$STORE store: as the learner, $command" "last lines:" "$(tail -n 12 "$WORK/$name.out")"
  return 1
}

declare -A SIZES=()
for STORE in classic containerd; do
  CE_IMAGES=${STORE_IMAGES[$STORE]}
  say "the current engine with the $STORE image store: $CE_IMAGES"
  start=$(now_ms)
  ce_start "$STORE" || exit 1
  version=$(ce_docker version --format '{{.Server.Version}}')
  assert_match "$STORE store: the engine is Docker 26 or later" '^(2[6-9]|[3-9][0-9])\.' "$version"
  driver=$(ce_docker info --format '{{.Driver}} {{range .DriverStatus}}{{index . 1}} {{end}}')
  if [ "$STORE" = containerd ]; then
    assert_match "containerd store: images are kept by containerd's snapshotter" 'io\.containerd\.snapshotter' "$driver"
  else
    assert_match "classic store: images are kept by overlay2" '^overlay2 ' "$driver"
  fi
  assert_match "$STORE store: the learner's client has buildx" '^github.com/docker/buildx ' "$(ce_learner 'docker buildx version' 2>&1)"
  # shellcheck disable=SC2016 # expanded by the learner's shell
  assert_eq "$STORE store: the learner is not root, and has no swift, nm, cc or gcc" "1000:" \
    "$(ce_learner 'echo "$(id -u):$(for c in swift nm cc gcc; do command -v "$c"; done)"' 2>&1)"

  # shellcheck disable=SC2086 # a list of names
  for key in $(base_keys $CE_IMAGES) slim; do
    official=$(awk -F'\t' -v k="$key" '$1 == k { print $3 }' dockerfiles/bases/bases.tsv)
    ce_load "$(base_image "$key")" "$official" || { fail "$STORE store: loading the $key base"; continue; }
  done
  say "$STORE store: the bases are loaded ($(seconds_since "$start") s)"
  # Each store measures its own images: no figure of the other's cache.
  ce_in rm -f "/home/$CE_USER/lab/results/image-sizes.tsv"

  if learner_step bases "make bases IMAGES='$CE_IMAGES'"; then
    assert_match "$STORE store: BASES=auto takes the official images that are here" 'the official images are already here' "$(cat "$WORK/bases.out")"
  fi
  if learner_step images "make images IMAGES='$CE_IMAGES'"; then
    assert_eq "$STORE store: the printed docker build needs no DOCKER_BUILDKIT=1 (BuildKit is the default with buildx)" "0" \
      "$(grep -c '^\$ DOCKER_BUILDKIT=1' "$WORK/images.out")"
  fi
  if learner_step sizes "make sizes IMAGES='$CE_IMAGES'"; then
    # make bases read each base once (docker save, on containerd): the
    # steps after it find the figures by image ID.
    assert_eq "$STORE store: make sizes (after make bases and make images) reads no base's docker save again" "" \
      "$(grep -o 'imagesave.py unpacked [^ ]*' "$WORK/sizes.out" "$WORK/images.out")"
    for name in $CE_IMAGES; do
      SIZES[$STORE/$name]=$(ce_in cat "/home/$CE_USER/lab/results/sizes.json" | jq -r --arg n "$name" '.[] | select(.image == $n) | "\(.bytes) \(.compressed_bytes) \(.layers)"')
    done
  fi
  if learner_step up "make up IMAGES='$CE_IMAGES'"; then
    learner_step smoke "make smoke IMAGES='$CE_IMAGES'" &&
      assert_match "$STORE store: make smoke gets each server's /info" 'Server Information:' "$(cat "$WORK/smoke.out")"
  fi
  learner_step down "make down IMAGES='$CE_IMAGES'"
  if learner_step scan "make scan IMAGES='$CE_IMAGES'"; then
    writable=$(ce_in cat "/home/$CE_USER/lab/results/scan.json" | jq -r '.images[] | select(.image == "go-app-scratch") | "\(.writable.all | length) \(.writable.image | join(","))"')
    assert_eq "$STORE store: make scan reads the --read-only container's mount table (Docker's own six writable mounts, none of the image's)" "6 " "$writable"
  fi
  if learner_step report "make report IMAGES='$CE_IMAGES'"; then
    assert_match "$STORE store: make report writes the page" 'results/report/index.html' "$(tail -n 3 "$WORK/report.out")"
  fi
  if [ "$STORE" = containerd ]; then
    assert_match "containerd store: the report has the size table of the images measured" '(^|'$'\n'')## Image sizes' \
      "$(ce_in cat "/home/$CE_USER/lab/results/report/report.md" 2>&1)"
    if learner_step test-unit "make test-unit"; then
      assert_match "make test-unit as the learner ends in its closing line" '^[0-9]+ passed, 0 failed' "$(tail -n 1 "$WORK/test-unit.out")"
    fi
  fi
  ce_stop
  say "$STORE store: done in $(seconds_since "$start") s"
done

# The size table means one thing on every store: the same image, built from
# the same sources on each, measures the same.
# The unpacked bytes and the layers to the byte; the compressed bytes as the
# table shows them (each store writes its layer tars a little differently,
# and gzip's output moves by a few bytes with them).
read -r bytes_a zsize_a layers_a <<<"${SIZES[classic/$BOTH]:-- - -}"
read -r bytes_b zsize_b layers_b <<<"${SIZES[containerd/$BOTH]:-- - -}"
assert_eq "$BOTH: make sizes gives the same size and layers on both stores" "$bytes_a $layers_a" "$bytes_b $layers_b"
if [[ $zsize_a =~ ^[0-9]+$ && $zsize_b =~ ^[0-9]+$ ]] && [ "$(mb "$zsize_a")" = "$(mb "$zsize_b")" ] &&
  [ $(((zsize_a - zsize_b) * 1000 / zsize_a)) -eq 0 ]; then
  pass "$BOTH: make sizes gives the same compressed size on both stores ($(mb "$zsize_a"); $zsize_a and $zsize_b bytes)"
else
  fail "$BOTH: make sizes gives the same compressed size on both stores" "classic: $zsize_a, containerd: $zsize_b"
fi
# And the same as the lab engine's for its own build of the image.
for name in ${STORE_IMAGES[containerd]}; do
  read -r bytes _ layers <<<"$(image_sizes "$name" 2>/dev/null)"
  read -r ce_bytes _ ce_layers <<<"${SIZES[containerd/$name]:-- - -}"
  assert_eq "$name: the same unpacked size and layers as on the lab engine ($(docker_shown_name) $("$DOCKER" version --format '{{.Server.Version}}'))" \
    "$bytes $layers" "$ce_bytes $ce_layers"
done

finish
