#!/usr/bin/env bash
# make scan (docs/08-security.md): what each image of every example carries,
# measured from the image itself, with or without the internet.
#
#   - an attack-surface inventory (dockerfiles/measure/security.py inventory): files
#     and bytes, OS packages, shells, package managers, curl and wget,
#     setuid and setgid files, the user, the exposed ports;
#   - the paths that stay writable when it runs --read-only (docker run,
#     then the container's own mount table);
#   - every layer's files (security.py layers): private keys, credential
#     files, .git folders, the build network's own CA certificates;
#   - the OS packages whose version is older than the security suite of
#     the image's own Debian release has (bookworm-security for Debian 12,
#     trixie-security for 13): known, fixed vulnerabilities, from the
#     package mirror alone;
#   - Trivy's vulnerability counts, where Trivy and its database are here;
#   - a CycloneDX SBOM per image, checked against the schema.
#
# Writes $RESULTS_DIR/scan.md and scan.json, and $RESULTS_DIR/sbom/IMAGE.cdx.json.
# Settings: IMAGES, EXAMPLE, RESULTS_DIR, BUILD_CA_BUNDLE, BASES_LOCK, PYTHON_TOOLS
# (the lab's virtual environment's python, with cyclonedx-python-lib).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

SECURITY=(env DOCKER="${DOCKER:-docker}" "$PYTHON_TOOLS" dockerfiles/measure/security.py)
OUT=$RESULTS_DIR/security
SBOMS=$RESULTS_DIR/sbom

# Docker's own writable mounts, the same in every container, --read-only or
# not: /proc, the devices, the message queues, the shared memory, and the
# cgroup file system (whose files only root may write).
DOCKER_MOUNTS='^/(proc|dev|dev/pts|dev/mqueue|dev/shm|sys/fs/cgroup)$'

# writable IMAGE: the mount points that stay writable when IMAGE runs with
# --read-only (and the lab's hardening options), one per line, from the
# container's own mount table; "exited" when it does not keep running. The
# table is read by a helper container from the lab's Debian base that shares
# the container's process namespace (its PID 1 is the image's program), so
# it needs no root on the host and works where the engine runs elsewhere
# (Docker Desktop's virtual machine).
SCAN_CONTAINER=swiftlab-scan-$$
writable() {
  local slim running
  slim=$(locked 1 slim 5)
  run docker run -d --name "$SCAN_CONTAINER" --read-only --cap-drop ALL --security-opt no-new-privileges "$1" >/dev/null
  sleep 1
  running=$("$DOCKER" inspect --format '{{.State.Running}}' "$SCAN_CONTAINER")
  if [ "$running" != true ]; then
    echo exited
  else
    run docker run --rm --pid "container:$SCAN_CONTAINER" --network none "$slim" cat /proc/1/mountinfo |
      awk '$6 ~ /^rw/ && $5 !~ /^\/proc\// { print $5 }' | sort -u
  fi
  "$DOCKER" rm -fv "$SCAN_CONTAINER" >/dev/null
}

# --- Debian's security suites ---------------------------------------------------------
# security_lag: read "IMAGE RELEASE PACKAGE VERSION" lines (tab-separated)
# and print "IMAGE PACKAGE VERSION SECURITY-VERSION" for each package older
# than the one in its own release's security suite (RELEASE-security), and
# "no-security-suite RELEASE" for a suite that could not be read. One helper
# container from the lab's Debian base runs dockerfiles/steps/security-lag.sh:
# it reads each suite's package index through its own apt sources (the
# mirror make bases used), on the host's network, and compares with dpkg
# --compare-versions.
security_lag() {
  local slim
  slim=$(locked 1 slim 5)
  [ -n "$slim" ] || die "no Debian base pinned in $LOCK (run: make bases)"
  # The command as a reader types it: the script's text is the argument.
  # shellcheck disable=SC2016 # printed for the reader, not expanded here
  printf '%s$ %s bash -c "$(cat dockerfiles/steps/security-lag.sh)" <%s%s\n' "$C_CMD" \
    "$(shown docker run --rm -i --network host "$slim")" "$OUT/installed.tsv" "$C_OFF" >&"$TRANSCRIPT"
  "$DOCKER" run --rm -i --network host "$slim" bash -c "$(cat dockerfiles/steps/security-lag.sh)" ||
    die "could not read Debian's security suite (is the package mirror reachable? make bases needs it too)"
}

require_engine
on_exit "$DOCKER" rm -fv "$SCAN_CONTAINER"
if [ "${1:-}" = lag ]; then
  security_lag
  exit 0
fi
"$PYTHON_TOOLS" dockerfiles/measure/host.py has cyclonedx 2>/dev/null || die "no cyclonedx-python-lib in $PYTHON_TOOLS (run: make tools)"
load_manifests
selected=$(built_rows) || exit 1
mapfile -t rows <<<"$selected"
mkdir -p "$OUT" "$SBOMS"

# --- Per image: inventory, layers, writable paths, SBOM ---------------------------------
bundle=$(build_ca_bundle || true)
n=0
for i in "${rows[@]}"; do
  name=${IMG_NAME[$i]} n=$((n + 1))
  say "[$n/${#rows[@]}] $name: its files, its layers, a --read-only run, its SBOM"
  "${SECURITY[@]}" inventory "$name" >"$OUT/$name.inventory.json"
  "${SECURITY[@]}" layers "$name" ${bundle:+--build-ca "$bundle"} >"$OUT/$name.layers.json"
  writable "$name" | jq -R . | jq -s --arg re "$DOCKER_MOUNTS" '{all: ., image: [.[] | select(test($re) | not)]}' >"$OUT/$name.writable.json"
  "${SECURITY[@]}" sbom "$OUT/$name.inventory.json" >"$SBOMS/$name.cdx.json"
done
say "checking the SBOMs against the CycloneDX 1.6 schema"
validation=$(for i in "${rows[@]}"; do echo "$SBOMS/${IMG_NAME[$i]}.cdx.json"; done | xargs "${SECURITY[@]}" validate) ||
  die "an SBOM does not validate: $validation"

# --- The security suites, for every image at once -----------------------------------------
lag=$OUT/security-lag.tsv
for i in "${rows[@]}"; do
  jq -r --arg image "${IMG_NAME[$i]}" '(.debian.codename // "-") as $release | .os_packages[] | [$image, $release, .name, .version] | @tsv' \
    "$OUT/${IMG_NAME[$i]}.inventory.json"
done >"$OUT/installed.tsv"
: >"$lag"
# The images' Debian releases (codenames), each once.
releases=$(cut -f2 "$OUT/installed.tsv" | grep -vx -- - | sort -u | paste -sd' ' - || true)
if [ -s "$OUT/installed.tsv" ]; then
  say "comparing $(wc -l <"$OUT/installed.tsv") installed packages with Debian's security suites ($(sed -E 's/([^ ]+)/\1-security/g; s/ /, /g' <<<"$releases")), each with its own release's"
  security_lag <"$OUT/installed.tsv" >"$lag"
fi
not_read=$(awk -F'\t' '$1 == "no-security-suite" { print $2 }' "$lag" | paste -sd' ' -)
for release in $not_read; do
  say "$release-security could not be read through the apt sources of the lab's Debian base: its images are not compared"
done
suites_read=''
for release in $releases; do
  [[ " $not_read " == *" $release "* ]] || suites_read+="${suites_read:+ }$release-security"
done

# --- Trivy, when it is here with its database ---------------------------------------------
trivy_state="not installed"
if command -v trivy >/dev/null; then
  trivy_state="no vulnerability database (trivy image --download-db-only needs the internet)"
  if trivy image --skip-db-update --offline-scan --quiet --format json "${IMG_NAME[${rows[0]}]}" >/dev/null 2>&1; then
    trivy_state=yes
    for i in "${rows[@]}"; do
      run trivy image --skip-db-update --offline-scan --quiet --format json "${IMG_NAME[$i]}" >"$OUT/${IMG_NAME[$i]}.trivy.json"
    done
  fi
fi
say "Trivy: $trivy_state"

# --- The table -----------------------------------------------------------------------------
for i in "${rows[@]}"; do
  python3 dockerfiles/measure/records.py scan-image --image="${IMG_NAME[$i]}" --example="${IMG_EXAMPLE[$i]}" \
    --type="${IMG_TYPE[$i]}" --out="$OUT" --lag="$lag" --suites="$suites_read"
done | python3 dockerfiles/measure/records.py scan --trivy="$trivy_state" --suites="$suites_read" >"$RESULTS_DIR/scan.json"

python3 dockerfiles/measure/render.py scan "$RESULTS_DIR" >"$RESULTS_DIR/scan.md"
echo
cat "$RESULTS_DIR/scan.md"
echo
say "written: $RESULTS_DIR/scan.md, $RESULTS_DIR/scan.json, $SBOMS/ (one CycloneDX SBOM per image), $OUT/"
