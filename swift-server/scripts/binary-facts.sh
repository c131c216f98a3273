#!/usr/bin/env bash
# What a Swift binary costs, one line per binary, tab-separated:
#   path, bytes, bytes once stripped, shared libraries it loads, bytes of
#   those that are the Swift runtime (libswift*, Foundation, Dispatch)
# Runs in the Swift builder (make binary-sizes), where strip and ldd are and
# where the Swift runtime's shared libraries live.
#   swift-server/scripts/binary-facts.sh BINARY...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: binary-facts.sh BINARY..." >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for binary in "$@"; do
  [ -f "$binary" ] || { echo "error: no $binary" >&2; exit 1; }
  strip -o "$work/stripped" "$binary"
  libs=$(ldd "$binary" 2>/dev/null | awk '/=>/ { print $3 }' || true)
  runtime=0
  for lib in $libs; do
    case $(basename "$lib") in
      libswift* | libFoundation* | libdispatch* | libBlocksRuntime* | lib_Foundation* | lib_Testing*)
        runtime=$((runtime + $(stat -L -c %s "$lib"))) ;;
    esac
  done
  printf '%s\t%s\t%s\t%s\t%s\n' "$binary" "$(stat -c %s "$binary")" "$(stat -c %s "$work/stripped")" "$(grep -c . <<<"$libs" || true)" "$runtime"
done
