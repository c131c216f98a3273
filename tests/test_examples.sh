#!/usr/bin/env bash
# The manifests (dockerfiles/images.tsv, examples/*/images.tsv) and the
# example folders: what every image target relies on, checked without an
# engine. A scaffold from `make new-example` fails here until it is done.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

WORK=$(mktemp -d)
on_exit rm -rf "$WORK"

if out=$( (load_manifests) 2>&1); then pass "every manifest reads ($(manifests | paste -sd' ' -))"; else fail "every manifest reads" "$out"; fi
load_manifests 2>/dev/null || { finish; exit 1; }

# --- Names and lab ports are unique across every manifest -----------------------------
duplicates_of() { sort | uniq -d | paste -sd' ' -; }
assert_eq "image names are unique across every manifest" "" "$(printf '%s\n' "${IMG_NAME[@]}" | duplicates_of)"
assert_eq "lab ports are unique across every manifest" "" "$(printf '%s\n' "${IMG_PORT[@]}" | duplicates_of)"
bad_ports=''
for i in "${!IMG_PORT[@]}"; do
  [ "${IMG_PORT[$i]}" -ge 1024 ] && [ "${IMG_PORT[$i]}" -le 65535 ] && [ "${IMG_PORT[$i]}" -ne 8080 ] || bad_ports+="${IMG_NAME[$i]}:${IMG_PORT[$i]} "
done
assert_eq "lab ports are unprivileged and leave 8080 (make run) free" "" "$bad_ports"

# --- Each image: its Dockerfile, its bases, its structure test ------------------------
declare -A arg_of
while IFS=$'\t' read -r key arg _; do arg_of[$key]=$arg; done < <(tsv_rows dockerfiles/bases/bases.tsv)
for i in "${!IMG_NAME[@]}"; do
  image=${IMG_NAME[$i]} dockerfile=${IMG_DOCKERFILE[$i]}
  if [ ! -f "$dockerfile" ]; then fail "$image: its Dockerfile $dockerfile exists"; continue; fi
  declared=$(base_args "$dockerfile" | paste -sd' ' -)
  expected=$(for key in ${IMG_BUILD_BASES[$i]} ${IMG_BASE[$i]}; do [ "$key" = scratch ] || echo "${arg_of[$key]:-unknown-key-$key}"; done | sort -u | paste -sd' ' -)
  assert_eq "$image: $dockerfile declares the base ARGs of the manifest's bases (${IMG_BUILD_BASES[$i]:+${IMG_BUILD_BASES[$i]}, }${IMG_BASE[$i]})" "$expected" "$declared"
  final=$(awk '/^FROM /{ last = $2 } END { print last }' "$dockerfile")
  if [ "${IMG_BASE[$i]}" = scratch ]; then want=scratch; else want="\${${arg_of[${IMG_BASE[$i]}]:-?}}"; fi
  assert_eq "$image: the final stage starts FROM the manifest's base" "$want" "$final"
  if [ -f "${IMG_DIR[$i]}/structure/$image.yaml" ]; then pass "$image: has ${IMG_DIR[$i]}/structure/$image.yaml"; else fail "$image: has ${IMG_DIR[$i]}/structure/$image.yaml"; fi
  if [ -d "${IMG_CONTEXT[$i]}" ]; then pass "$image: its build context ${IMG_CONTEXT[$i]}/ exists"; else fail "$image: its build context ${IMG_CONTEXT[$i]}/ exists"; fi
done

# --- Each example folder ----------------------------------------------------------------
for example in $(printf '%s\n' "${IMG_EXAMPLE[@]}" | uniq); do
  types=$(for i in "${!IMG_NAME[@]}"; do [ "${IMG_EXAMPLE[$i]}" = "$example" ] && echo "${IMG_TYPE[$i]}"; done)
  assert_match "example $example: a single-stage image, then at least one multi-stage" $'^single-stage\nmulti-stage' "$types"
  [ "$example" = swift ] && continue
  dir=examples/$example
  if [ -s "$dir/README.md" ]; then pass "example $example: has a README"; else fail "example $example: has a README ($dir/README.md)"; fi
  left=$(todos "$dir")
  assert_eq "example $example: no TODO(scaffold) left" "" "$left"
done

finish
