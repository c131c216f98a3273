#!/usr/bin/env bash
# Builds the server three ways and compares the binaries:
#   dynamic        the default: links the Swift runtime as shared libraries
#   static-stdlib  -static-stdlib: Swift runtime inside, libc still shared
#   static         -static-executable: no shared libraries at all
# Prints a Markdown table and writes $RESULTS_DIR/binary-sizes.csv.
#   swift-server/scripts/binary-sizes.sh PACKAGE_DIR
set -euo pipefail
source "$(dirname "$0")/../../tests/lib.sh"

package=${1:?usage: binary-sizes.sh PACKAGE_DIR}
SWIFT=${SWIFT:-swift}
RESULTS_DIR=${RESULTS_DIR:-results}
mkdir -p "$RESULTS_DIR"
csv=$RESULTS_DIR/binary-sizes.csv
work=$(mktemp -d)
on_exit rm -rf "$work"

# variant NAME SCRATCH-PATH [SWIFTC FLAG]
variants=(
  "dynamic .build"
  "static-stdlib .build-static-stdlib -static-stdlib"
  "static .build-static -static-executable"
)

echo "variant,bytes,stripped_bytes,shared_libraries,swift_runtime_bytes" >"$csv"
rows=()
for entry in "${variants[@]}"; do
  read -r name scratch flag <<<"$entry"
  say "building the $name binary (swift build -c release ${flag:+-Xswiftc $flag}): about 3 to 4 minutes the first time"
  run "$SWIFT" build --package-path "$package" -c release --product server --scratch-path "$package/$scratch" ${flag:+-Xswiftc "$flag"} 2>&1 | swift_progress
  bin=$package/$scratch/release/server
  strip -o "$work/$name" "$bin"
  bytes=$(stat -c %s "$bin")
  stripped=$(stat -c %s "$work/$name")
  # Shared libraries it loads, and how much of that is the Swift runtime.
  libs=$(ldd "$bin" 2>/dev/null | awk '/=>/ { print $3 }' || true)
  nlibs=$(grep -c . <<<"$libs" || true)
  runtime=0
  for lib in $libs; do
    case $(basename "$lib") in
      libswift* | libFoundation* | libdispatch* | libBlocksRuntime* | lib_Foundation* | lib_Testing*)
        runtime=$((runtime + $(stat -L -c %s "$lib"))) ;;
    esac
  done
  echo "$name,$bytes,$stripped,$nlibs,$runtime" >>"$csv"
  rows+=("| $name | ${flag:-(none)} | $(mb "$bytes") | $(mb "$stripped") | $nlibs | $( ((runtime > 0)) && mb "$runtime" || echo -) |")
done

echo
echo "| binary | swiftc flag | size | stripped | shared libraries | Swift runtime .so it loads |"
echo "|---|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "(written to $csv)"

# Where the bytes of the fully static binary go: its symbols, summed by origin.
static=$package/.build-static/release/server
bash "$(dirname "$0")/symbol-families.sh" "$static" >"$work/families"
symbols=$(awk -F'\t' '{ s += $1 } END { print s }' "$work/families")
stripped=$(awk -F, '$1 == "static" { print $3 }' "$csv")
echo
echo "Where the bytes of the static binary go (sizes of its symbols, by origin):"
echo
echo "| origin | size | share of symbols |"
echo "|---|---:|---:|"
awk -F'\t' -v total="$symbols" '{ size = $1 >= 100000 ? sprintf("%.1f MB", $1 / 1000000) : sprintf("%.0f kB", $1 / 1000)
  printf "| %s | %s | %.1f%% |\n", $2, size, 100 * $1 / total }' "$work/families"
echo "| (no symbol: unwind tables, Swift metadata, string constants) | $(mb $((stripped - symbols))) | |"
echo "| **stripped binary** | **$(mb "$stripped")** | |"
