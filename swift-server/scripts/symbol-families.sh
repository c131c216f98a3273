#!/usr/bin/env bash
# Where the bytes of a Swift binary go: the sizes of its symbols (nm),
# summed by origin (symbol-families.awk beside it), largest first, one
# "bytes<TAB>origin" line each. The binary must still have its symbols.
#   swift-server/scripts/symbol-families.sh BINARY
# make binary-sizes prints them as a table; make report draws them.
set -euo pipefail
binary=${1:?usage: symbol-families.sh BINARY}
[ -f "$binary" ] || { echo "error: no $binary" >&2; exit 1; }
nm -S -t d "$binary" | awk 'NF == 4' | awk -f "$(dirname "$0")/symbol-families.awk" | sort -rn
