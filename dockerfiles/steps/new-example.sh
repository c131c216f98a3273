#!/usr/bin/env bash
# Scaffolds a new example folder from examples/.template:
#   dockerfiles/steps/new-example.sh NAME [LANGUAGE]
# NAME is the folder (examples/NAME) and the images' prefix; LANGUAGE the
# contract's name for it (default: NAME, capitalised). The images get the
# next free lab ports. Every part left to do is marked TODO(scaffold); the
# tests (and make images) fail until none is left.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

name=${1:-}
[ -n "$name" ] || die "usage: make new-example NAME=<name> [LANGUAGE=<Language>]"
[[ $name =~ ^[a-z][a-z0-9-]*$ ]] || die "NAME=$name: use lowercase letters, digits and dashes, starting with a letter (it names a folder and images)"
[ "$name" != swift ] || die "NAME=swift is the Swift server's own example (dockerfiles/images.tsv)"
[ ! -e "examples/$name" ] || die "examples/$name already exists"
language=${2:-${name^}}
[[ $language =~ ^[A-Za-z][A-Za-z0-9+#.-]*$ ]] || die "LANGUAGE=$language: one word, as the greeting names it (Hello from LANGUAGE in Docker!)"

# The next free block of ten lab ports, above every manifest's.
load_manifests
highest=$(printf '%s\n' "${IMG_PORT[@]}" | sort -n | tail -n1)
port=$(((highest / 10 + 1) * 10 + 1))

mkdir -p "examples/$name"
cp -R examples/.template/. "examples/$name/"
for file in "examples/$name"/structure/@NAME@-*; do mv "$file" "${file//@NAME@/$name}"; done
find "examples/$name" -type f -exec sed -i \
  -e "s/@NAME@/$name/g" -e "s/@LANGUAGE@/$language/g" -e "s/@PORT1@/$port/g" -e "s/@PORT2@/$((port + 1))/g" {} +

say "scaffolded examples/$name ($language), lab ports $port and $((port + 1)):"
find "examples/$name" -type f | sort | sed 's/^/  /'
say "what is left to do, $(todos "examples/$name" | wc -l) TODO(scaffold) markers; the tests fail until none is left:"
todos "examples/$name" | sed 's/^/  /'
say "then: make images EXAMPLE=$name, make test. Guide: docs/adding-an-example.md"
