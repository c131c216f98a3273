#!/usr/bin/env bash
# make analyze (docs/08-security.md): dive in CI mode on every final image,
# held to the thresholds of dockerfiles/tools/dive-ci.yaml, and each image's
# largest layers. A single-stage image is expected to fail them (it keeps
# its build in its layers): the report says so as a finding. A multi-stage
# image that fails them is an error.
# Writes $RESULTS_DIR/analyze.md and analyze.json. Settings: IMAGES,
# EXAMPLE, RESULTS_DIR, DIVE (the pinned dive that make tools installs).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

CONFIG=dockerfiles/tools/dive-ci.yaml
OUT=$RESULTS_DIR/analyze

require_engine
[ -x "$DIVE" ] || die "no dive at $DIVE (run: make tools)"
load_manifests
selected=$(built_rows) || exit 1
mapfile -t rows <<<"$selected"
mkdir -p "$OUT"

n=0 errors=0
for i in "${rows[@]}"; do
  name=${IMG_NAME[$i]} type=${IMG_TYPE[$i]} n=$((n + 1))
  say "[$n/${#rows[@]}] $name ($type)"
  show dive --ci --ci-config "$CONFIG" "$name"
  # dive talks to the engine itself; its CI mode exits 1 when a rule fails.
  status=0
  CI=true "$DIVE" --ci --ci-config "$CONFIG" "$name" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' >"$OUT/$name.txt" || status=$?
  grep -E '^  (efficiency|wastedBytes):|^  (PASS|FAIL|SKIP|WARN):' "$OUT/$name.txt" | sed 's/^/  /'
  efficiency=$(sed -nE 's/^  efficiency: ([0-9.]+) %.*/\1/p' "$OUT/$name.txt")
  wasted=$(sed -nE 's/^  wastedBytes: ([0-9]+) bytes.*/\1/p' "$OUT/$name.txt")
  [ -n "$efficiency" ] && [ -n "$wasted" ] || die "dive did not analyse $name: $(tail -n 3 "$OUT/$name.txt" | tr '\n' ' ')"
  result=pass
  if [ "$status" -ne 0 ]; then
    if [ "$type" = single-stage ]; then
      result="fails, as a single-stage image is expected to"
    else
      result=FAIL errors=$((errors + 1))
    fi
  fi
  # The three largest layers: what makes the image its size.
  layers=$("$DOCKER" history --human=false --no-trunc --format '{{json .}}' "$name" | python3 dockerfiles/measure/records.py history-largest) ||
    die "cannot read the history of $name"
  python3 dockerfiles/measure/records.py dive-image --image="$name" --type="$type" --efficiency="$efficiency" --wasted="$wasted" \
    --result="$result" --layers="$layers" --report="$OUT/$name.txt" >"$OUT/$name.json"
done
for i in "${rows[@]}"; do cat "$OUT/${IMG_NAME[$i]}.json"; done | jq -s . >"$RESULTS_DIR/analyze.json"

python3 dockerfiles/measure/render.py analyze "$RESULTS_DIR" >"$RESULTS_DIR/analyze.md"
echo
cat "$RESULTS_DIR/analyze.md"
echo
say "written: $RESULTS_DIR/analyze.md, $RESULTS_DIR/analyze.json, dive's reports in $OUT/"
[ "$errors" -eq 0 ] || die "$errors multi-stage image(s) fail dive's thresholds ($CONFIG): see the table"
