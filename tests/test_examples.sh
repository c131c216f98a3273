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
  # A context above the example's folder (the lab's root, for a service that
  # reuses swift-server) would send everything: its Dockerfile has its own
  # ignore file beside it, which BuildKit reads instead of the context's.
  context=${IMG_CONTEXT[$i]}
  if [ "$context" != "${IMG_DIR[$i]}" ] && { [ "$context" = . ] || [[ ${IMG_DIR[$i]}/ == "$context"/* ]]; }; then
    if [ -f "$dockerfile.dockerignore" ]; then pass "$image: its context $context/ holds its folder, and $dockerfile.dockerignore narrows it"; else fail "$image: a context that holds its folder needs $dockerfile.dockerignore"; fi
  fi
done

# Bases that an example's tests run exist too.
for example in "${!EXAMPLE_TEST_BASES[@]}"; do
  for key in ${EXAMPLE_TEST_BASES[$example]}; do
    if [ -n "${arg_of[$key]:-}" ]; then pass "example $example: its test base $key is in bases.tsv"; else fail "example $example: its test base $key is in bases.tsv"; fi
  done
done

# --- Each example folder ----------------------------------------------------------------
for example in $(printf '%s\n' "${IMG_EXAMPLE[@]}" | uniq); do
  types=$(for i in "${!IMG_NAME[@]}"; do [ "${IMG_EXAMPLE[$i]}" = "$example" ] && echo "${IMG_TYPE[$i]}"; done)
  # A language example has its "before" picture; a variant of one (a Swift
  # service beside the server, say) may have multi-stage images alone.
  assert_match "example $example: multi-stage images, after the single-stage one if it has one" \
    $'^(single-stage\n)?multi-stage[^\n]*(\nmulti-stage[^\n]*)*$' "$types"
  [ "$example" = swift ] && continue
  dir=examples/$example
  if [ -s "$dir/README.md" ]; then pass "example $example: has a README"; else fail "example $example: has a README ($dir/README.md)"; fi
  mapfile -t left < <(todos "$dir")
  if [ ${#left[@]} -eq 0 ]; then pass "example $example: no TODO(scaffold) left"; else fail "example $example: no TODO(scaffold) left (${#left[@]})" "${left[@]}"; fi
done

# --- Each example's bench rows: what make bench-build times and changes ------------------
for example in $(printf '%s\n' "${IMG_EXAMPLE[@]}" | uniq); do
  rows=()
  for i in "${!BENCH_EXAMPLE[@]}"; do [ "${BENCH_EXAMPLE[$i]}" != "$example" ] || rows+=("$i"); done
  if [ ${#rows[@]} -gt 0 ]; then pass "example $example: has a bench row (make bench-build)"; else fail "example $example: has a bench row (make bench-build)"; fi
  # A scaffold's bench row is a placeholder until its TODOs are done.
  [ "$example" = swift ] || [ -z "$(todos "examples/$example")" ] || continue
  for i in "${rows[@]}"; do
    dockerfile=${BENCH_DOCKERFILE[$i]} context=${BENCH_CONTEXT[$i]}
    if [ -f "$dockerfile" ]; then pass "bench $dockerfile: exists"; else fail "bench $dockerfile: exists"; continue; fi
    if [ -f "$context/${BENCH_SOURCE[$i]}" ]; then pass "bench $dockerfile: its source file $context/${BENCH_SOURCE[$i]} exists"; else fail "bench $dockerfile: its source file $context/${BENCH_SOURCE[$i]} exists"; fi
    if [ "${BENCH_MANIFEST[$i]}" = - ] || [ -f "$context/${BENCH_MANIFEST[$i]}" ]; then pass "bench $dockerfile: its dependency manifest (${BENCH_MANIFEST[$i]}) exists"; else fail "bench $dockerfile: its dependency manifest $context/${BENCH_MANIFEST[$i]} exists"; fi
    if grep -vE '^[[:space:]]*#' "$dockerfile" | grep -qF -- "${BENCH_STEP[$i]}"; then pass "bench $dockerfile: its dependency step (${BENCH_STEP[$i]}) is in it"; else fail "bench $dockerfile: its dependency step (${BENCH_STEP[$i]}) is in it"; fi
  done
done

# --- make new-example: a scaffold appears everywhere, and fails until finished ----------
# In a copy of the lab, so that nothing here changes. (The copy's own run of
# this file, below, skips this part.)
if [ -n "${SCAFFOLD_COPY:-}" ]; then
  skip "make new-example" "this is the copy that the scaffold test made"
  finish
  exit
fi
copy=$WORK/lab
mkdir -p "$copy"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null | tar -xf - -C "$copy"
if out=$(make -C "$copy" --no-print-directory new-example NAME=demo 2>&1); then
  pass "make new-example NAME=demo scaffolds examples/demo"
  highest=$(printf '%s\n' "${IMG_PORT[@]}" | sort -n | tail -n1)
  next_port=$(((highest / 10 + 1) * 10 + 1))
  for file in images.tsv Dockerfile Dockerfile.single README.md structure/demo-app-single.yaml structure/demo-app-multi.yaml; do
    if [ -f "$copy/examples/demo/$file" ]; then pass "the scaffold has $file"; else fail "the scaffold has $file"; fi
  done
  assert_match "the scaffold says what is left to do" 'TODO\(scaffold\)' "$out"
  assert_eq "its images appear in make list, on the next free lab ports" \
    "demo-app-single $next_port"$'\n'"demo-app-multi $((next_port + 1))" \
    "$(make -C "$copy" --no-print-directory list 2>&1 | awk -F' \\| ' '$1 == "| demo" { print $3, $5 }')"
  out=$(make -C "$copy" --no-print-directory images EXAMPLE=demo 2>&1 | grep -v '^make')
  assert_eq "make images stops before any docker command" "" "$(grep -F '$ ' <<<"$out")"
  assert_match "make images refuses it with one line until its TODOs are done" \
    '^error: examples/demo is not finished: [0-9]+ TODO\(s\) left, the first at examples/demo/[^ ]+:[0-9]+: .*' "$out"
  out=$(make -C "$copy" --no-print-directory sizes 2>&1 | grep -v '^make')
  assert_match "make sizes names it too, and fails" '^error: examples/demo is not finished' "$out"
  out=$(cd "$copy" && SCAFFOLD_COPY=1 bash tests/test_examples.sh 2>&1)
  status=$?
  if [ "$status" -ne 0 ] && grep -qF 'FAILED  example demo: no TODO(scaffold) left' <<<"$out"; then
    pass "the example tests fail on the scaffold, naming its TODOs"
  else
    fail "the example tests fail on the scaffold, naming its TODOs" "exit status $status" "$(grep -E 'FAILED|passed' <<<"$out" | head -n 5)"
  fi
  assert_eq "the scaffold fails nothing else: its manifest, Dockerfiles and structure files are in place" "" \
    "$(grep -F FAILED <<<"$out" | grep -vF 'example demo: no TODO(scaffold) left' | grep -vE 'has a README')"
  out=$(make -C "$copy" --no-print-directory new-example NAME=demo 2>&1 | grep -v '^make')
  assert_eq "make new-example refuses a folder that exists, in one line" "error: examples/demo already exists" "$out"
else
  fail "make new-example NAME=demo scaffolds examples/demo" "$out"
fi
out=$(make -C "$copy" --no-print-directory new-example NAME='Bad Name' 2>&1 | grep -v '^make')
assert_match "make new-example refuses a bad NAME in one line" '^error: NAME=Bad Name: use lowercase' "$out"
out=$(make -C "$copy" --no-print-directory new-example 2>&1 | grep -v '^make')
assert_eq "make new-example without NAME says how to use it" "error: usage: make new-example NAME=<name> [LANGUAGE=<Language>]" "$out"

finish
