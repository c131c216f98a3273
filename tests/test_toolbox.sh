#!/usr/bin/env bash
# dockerfiles/tools/toolbox: the lab on a host that has Docker, git and make and nothing
# else the lab uses (no bash 4, no python3, jq or curl, no Swift), as on
# macOS or Windows. Played here by a user who is not root, in the docker
# group, with a PATH of docker, make, git and a few POSIX utilities alone,
# in a copy of the lab of their own: the steps run in the toolbox image,
# and the files they write are the user's; make bench leaves out, and
# says so first, only what needs root.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

TOOLBOX_USER=swiftlab-learner
require_engine
[ "$(id -u)" -eq 0 ] || { skip "dockerfiles/tools/toolbox as a user with Docker, git and make alone" "creating that user needs root; make test runs it as root"; finish; exit; }
[ -s "$RESULTS_DIR/bases.json" ] && [ -s "$LOCK" ] || die "no $RESULTS_DIR/bases.json or $LOCK (run: make bases)"
getent group docker >/dev/null || die "no docker group on this host: the engine's socket is root's alone"
id "$TOOLBOX_USER" >/dev/null 2>&1 || useradd --create-home --groups docker --shell /bin/sh "$TOOLBOX_USER" ||
  die "cannot create the user $TOOLBOX_USER"
uid=$(id -u "$TOOLBOX_USER")

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
chmod 755 "$WORK"
# PATH: docker, make, git and POSIX utilities, nothing else.
mkdir "$WORK/bin"
for tool in "$DOCKER" make git cat cut dirname id cksum ls; do ln -s "$(command -v "$tool")" "$WORK/bin/$(basename "$tool")"; done
# The learner's copy of the lab (as a clone has it, with this checkout's
# changes), and the bases make bases recorded: they are in the engine
# already, and local bases would need root to build.
# A clone with this checkout's origin and its changes on top: the images it
# builds get the same labels, so they are the same images, not new ones
# under the same names for the other suites.
LAB=$WORK/lab
git clone -q --no-hardlinks . "$LAB" || die "cannot clone the lab into $LAB"
git -C "$LAB" remote set-url origin "$(git config --get remote.origin.url || pwd)"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$LAB"
mkdir -p "$LAB/results" "$LAB/$(dirname "$LOCK")"
cp "$RESULTS_DIR/bases.json" "$LAB/results/"
cp "$LOCK" "$LAB/$LOCK"
chown -R "$TOOLBOX_USER" "$WORK"

# as_learner ARG...: dockerfiles/tools/toolbox ARG... as the learner, in their copy, with
# that PATH; the local Debian base as the toolbox's (no Docker Hub here).
as_learner() {
  (cd "$LAB" && setpriv --reuid="$uid" --regid="$(id -g "$TOOLBOX_USER")" --init-groups \
    env -i PATH="$WORK/bin" HOME="$WORK" TOOLBOX_BASE="$(locked 1 slim 5)" ${PIP_INDEX_URL:+PIP_INDEX_URL="$PIP_INDEX_URL"} \
    ${PIP_CERT:+PIP_CERT="$PIP_CERT"} dockerfiles/tools/toolbox "$@")
}

missing=$(for tool in bash python3 jq curl swift nm; do PATH=$WORK/bin command -v "$tool"; done)
assert_eq "the learner's PATH has no bash, python3, jq, curl, swift or nm" "" "$missing"

if out=$(as_learner list 2>&1); then
  pass "dockerfiles/tools/toolbox list runs (the toolbox built and started)"
  assert_match "dockerfiles/tools/toolbox prints the docker run it runs, as the learner with the socket's group" \
    "\\\$ docker run --rm +-i --network host -u $uid:[0-9]+ --group-add [0-9]+ " "$out"
  assert_match "dockerfiles/tools/toolbox list prints the lab's images" '\| go \| Go \| go-app-scratch \|' "$out"
else
  fail "dockerfiles/tools/toolbox list runs" "$(tail -n 10 <<<"$out")"
fi

if out=$(as_learner sizes IMAGES=go-app-scratch 2>&1); then
  pass "dockerfiles/tools/toolbox sizes IMAGES=go-app-scratch runs"
  assert_eq "its results are the learner's files" "$uid" "$(stat -c %u "$LAB/results/sizes.json")"
  read -r bytes zsize layers <<<"$(image_sizes go-app-scratch 2>/dev/null)"
  assert_eq "its figures are make sizes' here" "$bytes $zsize $layers" \
    "$(jq -r '.[] | select(.image == "go-app-scratch") | "\(.bytes) \(.compressed_bytes) \(.layers)"' "$LAB/results/sizes.json" 2>&1)"
else
  fail "dockerfiles/tools/toolbox sizes IMAGES=go-app-scratch runs" "$(tail -n 10 <<<"$out")"
fi

# make build mounts the checkout into the Swift builder: the path must be
# the same for the engine as in the toolbox.
if out=$(as_learner build 2>&1); then
  pass "dockerfiles/tools/toolbox build runs (the Swift builder with the learner's copy mounted)"
  assert_eq "the binary is the learner's file" "$uid" "$(stat -c %u "$LAB/swift-server/.build-image/server")"
  assert_eq "it is the binary swift-app-scratch carries (sha256)" \
    "$(image_file swift-app-scratch /server | sha256sum | cut -d' ' -f1)" "$(sha256sum <"$LAB/swift-server/.build-image/server" | cut -d' ' -f1)"
else
  fail "dockerfiles/tools/toolbox build runs" "$(tail -n 10 <<<"$out")"
fi

# make bench as a user who is not root: the transfer figures (a second
# engine, tc) are left out in one line before any measuring, the rest runs.
if out=$(as_learner bench BENCH_QUICK=1 BENCH_PORT="$(free_port)" IMAGES=go-app-scratch 2>&1); then
  pass "dockerfiles/tools/toolbox bench BENCH_QUICK=1 IMAGES=go-app-scratch runs, as the learner"
  assert_match "it says first that the transfer figures are left out, and why" \
    '==> transfer figures left out: .* needs root' "$(grep -m1 -E '==> (transfer figures left out|building swiftlab-tools/wrk)' <<<"$out")"
  assert_eq "it measured start-up, memory and throughput" true \
    "$(jq '.images[0] | .startup_ms.median > 0 and .memory_kb.idle > 0 and .load.requests > 100' "$LAB/results/bench.json" 2>&1)"
else
  fail "dockerfiles/tools/toolbox bench BENCH_QUICK=1 IMAGES=go-app-scratch runs, as the learner" "$(tail -n 10 <<<"$out")"
fi

before=$("$DOCKER" image inspect --format '{{.Id}}' go-app-scratch 2>/dev/null)
if out=$(as_learner test-quick IMAGES=go-app-scratch TESTS=tests/test_units.sh 2>&1); then
  assert_match "dockerfiles/tools/toolbox test-quick ends in its closing line" '(^|'$'\n'')[0-9]+ passed, 0 failed$' "$out"
else
  fail "dockerfiles/tools/toolbox test-quick IMAGES=go-app-scratch TESTS=tests/test_units.sh" "$(tail -n 10 <<<"$out")"
fi
assert_eq "the learner's make images gave the same go-app-scratch (image ID), not a new one under its name" \
  "$before" "$("$DOCKER" image inspect --format '{{.Id}}' go-app-scratch 2>/dev/null)"

finish
