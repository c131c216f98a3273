#!/usr/bin/env bash
# Builds the server three ways and compares the binaries:
#   dynamic        the default: links the Swift runtime as shared libraries
#   static-stdlib  -static-stdlib: Swift runtime inside, libc still shared
#   static         -static-executable: no shared libraries at all
# Prints Markdown tables and writes $RESULTS_DIR/binary-sizes.csv and .json.
#   swift-server/scripts/binary-sizes.sh PACKAGE_DIR [PRODUCT]
# (PRODUCT: the package's executable, default server; the tests measure a
# smaller package than the server, in seconds instead of minutes.)
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

[ $# -ge 1 ] && [ -f "${1:-}/Package.swift" ] || die "usage: binary-sizes.sh PACKAGE_DIR [PRODUCT] (a folder with a Package.swift)"
package=$1
product=${2:-server}
mkdir -p "$RESULTS_DIR"
csv=$RESULTS_DIR/binary-sizes.csv
require_engine

# variant NAME SCRATCH-PATH [SWIFTC FLAG]: each in a build folder of its
# own inside the package (git-ignored), so that a second run takes seconds.
variants=(
  "dynamic .build-sizes-dynamic"
  "static-stdlib .build-sizes-static-stdlib -static-stdlib"
  "static .build-sizes-static -static-executable"
)

binaries=()
for entry in "${variants[@]}"; do
  read -r name scratch flag <<<"$entry"
  say "building the $name binary in the Swift builder (swift build -c release ${flag:+-Xswiftc $flag}): about 3 to 4 minutes the first time"
  # -gnone, as the images' builds: no Swift debug information (docs/07).
  builder --in "$package" swift build -c release --product "$product" --scratch-path "$scratch" ${flag:+-Xswiftc "$flag"} -Xswiftc -gnone 2>&1 | swift_progress
  binaries+=("$package/$scratch/release/$product")
done

# Bytes, stripped bytes and the shared libraries each loads, read in the
# builder, where the Swift runtime's libraries are.
say "measuring the three binaries in the Swift builder (strip, ldd: swift-server/scripts/binary-facts.sh)"
facts=$(builder bash swift-server/scripts/binary-facts.sh "${binaries[@]}") || die "measuring the binaries failed"
echo "variant,bytes,stripped_bytes,shared_libraries,swift_runtime_bytes" >"$csv"
: >"$RESULTS_DIR/binary-sizes.variants.tsv"
n=0
while IFS=$'\t' read -r _path bytes stripped nlibs runtime; do
  read -r name _scratch flag <<<"${variants[$n]}"
  n=$((n + 1))
  echo "$name,$bytes,$stripped,$nlibs,$runtime" >>"$csv"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$flag" "$bytes" "$stripped" "$nlibs" "$runtime" >>"$RESULTS_DIR/binary-sizes.variants.tsv"
done <<<"$facts"
[ "$n" -eq ${#variants[@]} ] || die "measuring the binaries gave $n lines, not ${#variants[@]}"

# Where the bytes of the fully static binary go: its symbols, summed by origin.
static=${binaries[2]}
families=$(builder bash swift-server/scripts/symbol-families.sh "$static") || die "reading the static binary's symbols failed"
stripped=$(awk -F, '$1 == "static" { print $3 }' "$csv")
printf '%s\n' "$families" >"$RESULTS_DIR/binary-sizes.families.tsv"
python3 dockerfiles/measure/records.py binary-sizes --variants="$RESULTS_DIR/binary-sizes.variants.tsv" \
  --families="$RESULTS_DIR/binary-sizes.families.tsv" --stripped="$stripped" >"$RESULTS_DIR/binary-sizes.json"
rm -f "$RESULTS_DIR/binary-sizes.variants.tsv" "$RESULTS_DIR/binary-sizes.families.tsv"

echo
python3 dockerfiles/measure/render.py binary-sizes "$RESULTS_DIR" --only table-binary-sizes
echo
echo "(written to $csv and $RESULTS_DIR/binary-sizes.json)"
echo
echo "Where the bytes of the static binary go (sizes of its symbols, by origin):"
echo
python3 dockerfiles/measure/render.py binary-sizes "$RESULTS_DIR" --only table-static-symbols
