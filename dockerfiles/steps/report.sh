#!/usr/bin/env bash
# make report (docs/09-results.md): one page, HTML and Markdown, of what the
# lab measured on this machine: sizes, the Swift images' layers, where the
# bytes of the static binary go, and make bench's and make scan's figures
# when they have been run. Every number on it is read from $RESULTS_DIR;
# this script first writes there what the page needs and the results lack:
#   sizes.json    make sizes, again, when it lacks an image that is built
#   layers.json   docker history of each Swift server image, each layer
#                 marked as its base image's or its own
#   binary.json   the server's static binary (make build): its bytes,
#                 stripped, and its symbols summed by origin
#   machine.json  the machine, the date and the lab's version
# then draws the page with dockerfiles/measure/report.py into $RESULTS_DIR/report/.
# Settings: RESULTS_DIR, PYTHON_TOOLS, SERVER_BIN, IMAGES or EXAMPLE (the
# images on the page; default: all).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

# make build writes the stripped binary, as the image carries it, beside.
STRIPPED_BIN=$(dirname "$(dirname "$SERVER_BIN")")/server
[ -x "$PYTHON_TOOLS" ] || die "no $PYTHON_TOOLS (run: make tools)"
"$PYTHON_TOOLS" dockerfiles/measure/host.py has matplotlib 2>/dev/null || die "$PYTHON_TOOLS has no matplotlib (run: make tools)"
require_engine
load_manifests
selected=$(built_rows) || exit 1
mapfile -t rows <<<"$selected"
mkdir -p "$RESULTS_DIR"

# --- sizes.json: every image of the page (a make sizes of a few leaves out the rest) --------
missing=()
for i in "${rows[@]}"; do
  jq -e --arg image "${IMG_NAME[$i]}" 'any(.[]; .image == $image)' "$RESULTS_DIR/sizes.json" >/dev/null 2>&1 ||
    missing+=("${IMG_NAME[$i]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "sizes.json lacks ${missing[*]}: running make sizes"
  bash dockerfiles/steps/lab.sh sizes >/dev/null
fi

# --- layers.json: docker history of each Swift server image -----------------------------------
say "layers of the Swift server's images (docker history)"
{
  for i in "${rows[@]}"; do
    [ "${IMG_EXAMPLE[$i]}" = swift ] || continue
    base=$(base_name "$i")
    # The base's own layers are the oldest entries of the image's history.
    base_entries=0
    [ "$base" = scratch ] || base_entries=$(run docker history -q "$base" | wc -l)
    run docker history --human=false --no-trunc --format '{{json .}}' "${IMG_NAME[$i]}" |
      python3 dockerfiles/measure/records.py history-layers --image="${IMG_NAME[$i]}" --type="${IMG_TYPE[$i]}" \
        --base="$base" --from-base="$base_entries"
  done
} | jq -s . >"$RESULTS_DIR/layers.json"

# --- binary.json: where the bytes of the static binary go -------------------------------------
# When the page has the Swift server's images: make build's binary, taken
# out of the scratch image's build (seconds once that image is built).
swift_rows=0
for i in "${rows[@]}"; do [ "${IMG_EXAMPLE[$i]}" != swift ] || swift_rows=$((swift_rows + 1)); done
if [ "$swift_rows" -gt 0 ]; then
  bash dockerfiles/steps/lab.sh binary "$SERVER_IMAGE" "$(dirname "$(dirname "$SERVER_BIN")")" >/dev/null ||
    die "make build failed: the page needs the server's binary"
fi
if [ "$swift_rows" -gt 0 ] && [ -f "$SERVER_BIN" ] && [ -f "$STRIPPED_BIN" ]; then
  say "the static binary's symbols by origin (nm $SERVER_BIN, in the Swift builder)"
  families=$(builder bash swift-server/scripts/symbol-families.sh "$SERVER_BIN") || die "reading the binary's symbols failed"
  python3 dockerfiles/measure/records.py binary --binary="$SERVER_BIN" --bytes="$(wc -c <"$SERVER_BIN")" \
    --stripped="$(wc -c <"$STRIPPED_BIN")" <<<"$families" >"$RESULTS_DIR/binary.json"
else
  say "no Swift server image on the page: it leaves out where the static binary's bytes go"
  rm -f "$RESULTS_DIR/binary.json"
fi

# --- machine.json: what the figures were measured on, and when -------------------------------
version=$(git describe --always --dirty 2>/dev/null || echo unknown)
python3 dockerfiles/measure/records.py machine --version="$version" \
  --engine="$("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)" >"$RESULTS_DIR/machine.json"

say "drawing the page (matplotlib)"
show "$PYTHON_TOOLS" dockerfiles/measure/report.py "$RESULTS_DIR"
"$PYTHON_TOOLS" dockerfiles/measure/report.py "$RESULTS_DIR"
say "the report: $RESULTS_DIR/report/index.html (open it in a browser; $RESULTS_DIR/report/report.md is the same in Markdown)"
