#!/usr/bin/env bash
# Security (docs/08-security.md): no layer of a multi-stage image carries a
# private key, a credential file, a .git folder or the build network's CA
# (every layer, not only the final file system), and a planted key that a
# later layer deletes is caught; every image's SBOM is valid CycloneDX and
# lists what the image holds; the comparison with the security suite of
# each image's own Debian release flags an old version; make scan and make analyze write their reports.
# (Non-root, no shell, no package manager and the --read-only run are
# checked for every image in test_images.sh.)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

SECURITY=(env DOCKER="${DOCKER:-docker}" "$PYTHON_TOOLS" dockerfiles/measure/security.py)
require_engine
"$PYTHON_TOOLS" -c 'import cyclonedx' 2>/dev/null || die "no cyclonedx-python-lib in $PYTHON_TOOLS (run: make tools)"
[ -s "$LOCK" ] || die "no $LOCK (run: make bases)"

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"
bundle=$(build_ca_bundle || true)

load_manifests
selected=$(select_images) || exit 1

# --- Every layer of every multi-stage image is clean, and its SBOM valid -------------------
for i in $selected; do
  image=${IMG_NAME[$i]} type=${IMG_TYPE[$i]}
  [ -n "$("$DOCKER" image ls -q "$image")" ] || { fail "$image is built" "run: make images"; continue; }
  if [ "$type" != single-stage ]; then
    if "${SECURITY[@]}" layers "$image" ${bundle:+--build-ca "$bundle"} >"$WORK/$image.layers.json" 2>"$WORK/err"; then
      assert_eq "$image: no layer carries a private key, a credential file, a .git folder or the build CA (layers read: $(jq ".layers | length" "$WORK/$image.layers.json"))" \
        "" "$(jq -r '.findings[] | "layer \(.layer): \(.path): \(.what)"' "$WORK/$image.layers.json")"
    else
      fail "$image: its layers can be read" "$(tail -n 3 "$WORK/err")"
    fi
  fi
  if ! "${SECURITY[@]}" inventory "$image" >"$WORK/$image.inventory.json" 2>"$WORK/err"; then
    fail "$image: its file system can be read" "$(tail -n 3 "$WORK/err")"
    continue
  fi
  sbom=$WORK/$image.cdx.json
  "${SECURITY[@]}" sbom "$WORK/$image.inventory.json" >"$sbom" 2>"$WORK/err" || { fail "$image: an SBOM is written" "$(tail -n 3 "$WORK/err")"; continue; }
  check "$image: its SBOM is valid CycloneDX 1.6 (schema)" "${SECURITY[@]}" validate "$sbom"
  purls=$(jq -r '.components[].purl' "$sbom")
  # What each kind of image must list: its Debian packages where it has a
  # dpkg database, and its language's own dependencies.
  if [ "$(jq '.os_packages | length' "$WORK/$image.inventory.json")" -gt 0 ]; then
    assert_match "$image: the SBOM lists its Debian packages" $'(^|\n)pkg:deb/debian/' "$purls"
    codename=$(jq -r '.debian.codename // empty' "$WORK/$image.inventory.json")
    [ -z "$codename" ] || assert_eq "$image: every Debian package's purl names its own release (distro=$codename)" "" \
      "$(grep '^pkg:deb/' <<<"$purls" | grep -vE "[?&]distro=$codename(&|$)" | head -n 3)"
  fi
  case ${IMG_LANGUAGE[$i]},$type in
    Swift,single-stage) ;;
    Swift,*)
      assert_match "$image: the SBOM lists the Swift packages (Hummingbird 2.28.1)" 'pkg:swift/github\.com/hummingbird-project/hummingbird@2\.28\.1' "$purls"
      inv=$WORK/$image.inventory.json
      assert_eq "$image: the image says which of its Package.resolved's packages are linked in (linked-packages.txt)" 0 \
        "$(jq '[.swift_packages[] | select(.linked == null)] | length' "$inv")"
      assert_eq "$image: the SBOM lists the $(jq '[.swift_packages[] | select(.linked)] | length' "$inv") Swift packages linked in, not the other $(jq '[.swift_packages[] | select(.linked == false)] | length' "$inv") resolved" \
        "$(jq -r '[.swift_packages[] | select(.linked) | .name] | sort | join(" ")' "$inv")" \
        "$(jq -r '[.components[] | select(.purl | startswith("pkg:swift/")) | .name] | sort | join(" ")' "$sbom")"
      ;;
    Go,*) assert_match "$image: the SBOM lists Go's standard library, from the binary's build information" 'pkg:golang/stdlib@go1\.' "$purls" ;;
    Java,*jlink*) assert_match "$image: the SBOM lists the jlink runtime's modules (java.base)" 'pkg:generic/openjdk/java\.base@' "$purls" ;;
    Python,multi-stage*) assert_match "$image: the SBOM lists the Python distributions (Flask 3.1.0)" 'pkg:pypi/flask@3\.1\.0' "$purls" ;;
  esac
done

# --- A planted key, deleted in a later layer, is still found --------------------------------
# The final file system has no key; the layer that added it still ships it.
slim=$(locked 1 slim 5)
planted=swiftlab-test-planted-secret
mkdir -p "$WORK/planted"
{ echo '-----BEGIN OPENSSH PRIVATE KEY-----'
  head -c 300 /dev/urandom | base64 -w 70
  echo '-----END OPENSSH PRIVATE KEY-----'; } >"$WORK/planted/id_test"
cat >"$WORK/planted/Dockerfile" <<EOF
FROM $slim
COPY id_test /root/.ssh/id_test
RUN mkdir -p /src/.git && echo 'ref: refs/heads/main' >/src/.git/HEAD
RUN rm -rf /root/.ssh /src/.git
EOF
if "$DOCKER" build -q -t "$planted" "$WORK/planted" >"$WORK/err" 2>&1; then
  on_exit "$DOCKER" rmi -f "$planted"
  "${SECURITY[@]}" layers "$planted" >"$WORK/planted.json" 2>"$WORK/err"
  base_layers=$("$DOCKER" image inspect --format '{{len .RootFS.Layers}}' "$slim")
  assert_eq "a planted key in layer $((base_layers + 1)), deleted in layer $((base_layers + 3)), is found there" \
    "/root/.ssh/id_test private key $((base_layers + 1)) $((base_layers + 3))" \
    "$(jq -r '.findings[] | select(.what == "private key") | "\(.path) \(.what) \(.layer) \(.deleted_in_layer)"' "$WORK/planted.json")"
  assert_eq "a planted .git folder, deleted in a later layer, is found" \
    "/src/.git .git folder $((base_layers + 2)) $((base_layers + 3))" \
    "$(jq -r '.findings[] | select(.what == ".git folder") | "\(.path) \(.what) \(.layer) \(.deleted_in_layer)"' "$WORK/planted.json")"
  files=$(image_files "$planted" | grep -cE '^(root/\.ssh|src/\.git)' || true)
  assert_eq "... while the final file system has neither" 0 "$files"
else
  fail "the planted-secret image builds" "$(tail -n 5 "$WORK/err")"
fi

# --- Debian's security suites: an old version is flagged, the current one is not ------------
# Each package is compared with its own release's suite: util-linux 2.41-5,
# Debian 13's first, is behind trixie-security (2.41.5-0+deb13u1 or later); libc6 2.36-9, Debian 12's
# first, is behind bookworm-security, and (an older upstream release) not
# behind anything in trixie-security, which has no 2.36.
# shellcheck disable=SC2016 # dpkg-query's own format, not the shell's
util=$("$DOCKER" run --rm "$slim" dpkg-query -W -f '${Version}' util-linux)
printf 'old\ttrixie\tutil-linux\t2.41-5\ncurrent\ttrixie\tutil-linux\t%s\nbookworm\tbookworm\tlibc6\t2.36-9\ntrixie\ttrixie\tlibc6\t2.36-9\n' "$util" |
  bash dockerfiles/steps/scan.sh lag >"$WORK/lag.tsv" 2>"$WORK/err"
if [ ! -s "$WORK/lag.tsv" ] && [ -s "$WORK/err" ]; then
  fail "the security-suite comparison runs" "$(tail -n 3 "$WORK/err")"
else
  assert_match "trixie-security flags util-linux 2.41-5 as behind it" $'^old\tutil-linux\t2\\.41-5\t[^\t]*\\+deb13u[0-9]+$' "$(grep '^old' "$WORK/lag.tsv")"
  assert_eq "... and not the slim base's own util-linux $util" "" "$(grep '^current' "$WORK/lag.tsv")"
  if grep -qx $'no-security-suite\tbookworm' "$WORK/lag.tsv"; then
    fail "bookworm-security is read through the slim base's apt sources" "$(cat "$WORK/lag.tsv")"
  else
    assert_match "bookworm-security flags libc6 2.36-9 as behind it" $'^bookworm\tlibc6\t2\\.36-9\t2\\.36-9\\+deb12u[0-9]+$' "$(grep '^bookworm' "$WORK/lag.tsv")"
  fi
  assert_eq "... and the same libc6 2.36-9 on trixie is not compared with bookworm-security" "" "$(grep '^trixie' "$WORK/lag.tsv")"
fi

# --- make scan on the Go images, make analyze on every multi-stage image --------------------
# (make scan on two small images only: the whole of it takes minutes.)
if out=$(EXAMPLE='' IMAGES="go-app-distroless go-app-scratch" RESULTS_DIR=$WORK/results bash dockerfiles/steps/scan.sh 2>&1); then
  pass "make scan IMAGES='go-app-distroless go-app-scratch' runs"
  assert_eq "make scan writes a row per image to scan.json" "go-app-distroless go-app-scratch" \
    "$(jq -r '[.images[].image] | join(" ")' "$WORK/results/scan.json")"
  assert_eq "make scan writes a valid SBOM per image" 2 "$(find "$WORK/results/sbom" -name '*.cdx.json' | wc -l)"
  assert_eq "the scratch image: no shell, no package manager, no setuid file, nothing writable with --read-only" \
    "[] [] 0 []" "$(jq -r '.images[] | select(.image == "go-app-scratch") | "\(.shells) \(.package_managers) \(.setuid + .setgid | length) \(.writable.image)"' "$WORK/results/scan.json")"
  assert_eq "make scan compares the distroless image (Debian 13) with trixie-security" "13 trixie-security" \
    "$(jq -r '.images[] | select(.image == "go-app-distroless") | "\(.debian.version) \(.security_suite)"' "$WORK/results/scan.json")"
  check "make scan prints the table" grep -qE '^\| go-app-scratch \| - \| [0-9]+ \|' <<<"$out"
else
  fail "make scan IMAGES='go-app-distroless go-app-scratch' runs" "$(tail -n 5 <<<"$out")"
fi
# An image with no package at all: nothing to compare, and no suite to read.
if out=$(EXAMPLE='' IMAGES=go-app-scratch RESULTS_DIR=$WORK/results-scratch bash dockerfiles/steps/scan.sh 2>&1); then
  assert_eq "make scan of an image without packages reads no security suite" "[] []" \
    "$(jq -c '.security_suites, .not_compared' "$WORK/results-scratch/scan.json" | paste -sd' ' -)"
else
  fail "make scan IMAGES=go-app-scratch (no OS packages) runs" "$(tail -n 5 <<<"$out")"
fi
# dive on every selected multi-stage image (make analyze's thresholds:
# dockerfiles/tools/dive-ci.yaml), and on one single-stage image, whose failure is
# a finding, not an error.
multi=()
for i in $selected; do [ "${IMG_TYPE[$i]}" = single-stage ] || multi+=("${IMG_NAME[$i]}"); done
if [ ! -x "$DIVE" ]; then
  fail "dive is installed" "no $DIVE (run: make tools)"
elif out=$(EXAMPLE='' IMAGES="go-app-single ${multi[*]}" RESULTS_DIR=$WORK/results bash dockerfiles/steps/analyze.sh 2>&1); then
  pass "make analyze passes on every multi-stage image (${#multi[@]}) with go-app-single failing as a finding"
  assert_eq "make analyze: the single-stage image fails dive's thresholds, as a finding" \
    "fails, as a single-stage image is expected to" "$(jq -r '.[] | select(.image == "go-app-single") | .result' "$WORK/results/analyze.json")"
  for image in "${multi[@]}"; do
    assert_eq "make analyze: $image passes (efficiency at least 0.95, under 1 MB wasted)" pass \
      "$(jq -r --arg image "$image" '.[] | select(.image == $image) | "\(.result)"' "$WORK/results/analyze.json")"
  done
else
  fail "make analyze passes on every multi-stage image" "$(grep -E '\| FAIL \|' <<<"$out" || tail -n 5 <<<"$out")"
fi

finish
