#!/usr/bin/env bash
# Builds the server three ways and compares the binaries:
#   dynamic        the default: links the Swift runtime as shared libraries
#   static-stdlib  -static-stdlib: Swift runtime inside, libc still shared
#   static         -static-executable: no shared libraries at all
# Prints a Markdown table and writes $RESULTS_DIR/binary-sizes.csv.
#   swift-server/scripts/binary-sizes.sh PACKAGE_DIR
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

package=${1:?usage: binary-sizes.sh PACKAGE_DIR}
RESULTS_DIR=${RESULTS_DIR:-results}
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
  builder --in "$package" swift build -c release --product server --scratch-path "$scratch" ${flag:+-Xswiftc "$flag"} -Xswiftc -gnone 2>&1 | swift_progress
  binaries+=("$package/$scratch/release/server")
done

# Bytes, stripped bytes and the shared libraries each loads, read in the
# builder, where the Swift runtime's libraries are.
say "measuring the three binaries in the Swift builder (strip, ldd: swift-server/scripts/binary-facts.sh)"
facts=$(builder bash swift-server/scripts/binary-facts.sh "${binaries[@]}") || die "measuring the binaries failed"
echo "variant,bytes,stripped_bytes,shared_libraries,swift_runtime_bytes" >"$csv"
rows=()
n=0
while IFS=$'\t' read -r _path bytes stripped nlibs runtime; do
  read -r name _scratch flag <<<"${variants[$n]}"
  n=$((n + 1))
  echo "$name,$bytes,$stripped,$nlibs,$runtime" >>"$csv"
  rows+=("| $name | ${flag:-(none)} | $(mb "$bytes") | $(mb "$stripped") | $nlibs | $( ((runtime > 0)) && mb "$runtime" || echo -) |")
done <<<"$facts"
[ "$n" -eq ${#variants[@]} ] || die "measuring the binaries gave $n lines, not ${#variants[@]}"

echo
echo "| binary | swiftc flag | size | stripped | shared libraries | Swift runtime .so it loads |"
echo "|---|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "(written to $csv)"

# Where the bytes of the fully static binary go: its symbols, summed by origin.
static=${binaries[2]}
families=$(builder bash swift-server/scripts/symbol-families.sh "$static") || die "reading the static binary's symbols failed"
symbols=$(awk -F'\t' '{ s += $1 } END { print s }' <<<"$families")
stripped=$(awk -F, '$1 == "static" { print $3 }' "$csv")
echo
echo "Where the bytes of the static binary go (sizes of its symbols, by origin):"
echo
echo "| origin | size | share of symbols |"
echo "|---|---:|---:|"
awk -F'\t' -v total="$symbols" '{ size = $1 >= 100000 ? sprintf("%.1f MB", $1 / 1000000) : sprintf("%.0f kB", $1 / 1000)
  printf "| %s | %s | %.1f%% |\n", $2, size, 100 * $1 / total }' <<<"$families"
echo "| (no symbol: unwind tables, Swift metadata, string constants) | $(mb $((stripped - symbols))) | |"
echo "| **stripped binary** | **$(mb "$stripped")** | |"
