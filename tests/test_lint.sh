#!/usr/bin/env bash
# Lint: every shell script of the lab passes the pinned shellcheck, and
# every Dockerfile the pinned hadolint (settings in .hadolint.yaml).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

[ -x "$SHELLCHECK" ] || die "no shellcheck at $SHELLCHECK (run: make tools)"
[ -x "$HADOLINT" ] || die "no hadolint at $HADOLINT (run: make tools)"
WORK_DIR=$(mktemp -d)
WORK_DIFF=$WORK_DIR/diff
on_exit rm -rf "$WORK_DIR"
say "$("$SHELLCHECK" --version | sed -n 's/^version: /shellcheck /p'), $("$HADOLINT" --version)"

mapfile -t dockerfiles < <(git ls-files --cached --others --exclude-standard | grep -E '(^|/)Dockerfile[^/]*$' | grep -v '\.dockerignore$' | sort)
for f in "${dockerfiles[@]}"; do
  [ -f "$f" ] || continue
  if out=$("$HADOLINT" --config .hadolint.yaml "$f" 2>&1); then pass "hadolint $f"; else fail "hadolint $f" "$out"; fi
done

# Every tracked or new (not ignored) shell script, found by name or shebang.
mapfile -t files < <(git ls-files --cached --others --exclude-standard |
  while read -r f; do
    [ -f "$f" ] || continue
    case $f in
      *.sh | .ci/run) echo "$f" ;;
      *.*) ;;
      *) head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;;
    esac
  done | sort -u)
[ ${#files[@]} -gt 0 ] || fail "found shell scripts to lint"

# Images whose build stages compile the same way share that work through
# BuildKit's cache only while their build stages are written identically up
# to the compile step: check every pair with the same `swift build` RUN.
# build_stage FILE: the stage "AS build", one line per instruction (its
# continuation lines joined), comments and blank lines left out.
build_stage() {
  awk '/^FROM .* AS build$/ { on = 1 } on && /^FROM / && !/ AS build$/ { exit } on && !/^#/ && NF' "$1" |
    awk '{ line = line $0 } /\\$/ { sub(/\\$/, "", line); next } { print line; line = "" }'
}
# until_compile: the instructions up to the `swift build` RUN.
until_compile() { awk '{ print } /^RUN .*swift build /{ exit }'; }
compile_line() { build_stage "$1" | grep -m1 '^RUN .*swift build '; }
mapfile -t staged < <(for f in dockerfiles/Dockerfile*; do [ -n "$(compile_line "$f")" ] && echo "$f"; done)
for i in "${!staged[@]}"; do
  for j in "${!staged[@]}"; do
    a=${staged[$i]} b=${staged[$j]}
    [ "$i" -lt "$j" ] && [ "$(compile_line "$a")" = "$(compile_line "$b")" ] || continue
    if diff <(build_stage "$a" | until_compile) <(build_stage "$b" | until_compile) >"$WORK_DIFF" 2>&1; then
      pass "$a and $b build their binary in identical steps (BuildKit does it once)"
    else
      fail "$a and $b build their binary in identical steps (BuildKit does it once)" "$(cat "$WORK_DIFF")"
    fi
  done
done
[ ${#staged[@]} -ge 2 ] || fail "found Dockerfiles with a build stage" "${staged[*]}"

# One shellcheck run for every file (a run per file took a minute and a
# half), its findings one "FILE:LINE:COLUMN: ..." line each, told per file.
out=$("$SHELLCHECK" --external-sources --source-path=SCRIPTDIR -f gcc "${files[@]}" 2>&1)
status=$?
for f in "${files[@]}"; do
  findings=$(grep -F -- "$f:" <<<"$out" | grep -E "^${f//./\.}:[0-9]+:[0-9]+: ")
  if [ -z "$findings" ]; then pass "shellcheck $f"; else fail "shellcheck $f" "$findings"; fi
done
if [ "$status" -ne 0 ] && ! grep -qE '^[^:]+:[0-9]+:[0-9]+: ' <<<"$out"; then
  fail "shellcheck ran (exit status $status, no finding named)" "$(tail -n 5 <<<"$out")"
fi

# --- Docs: every figure is rendered from the recorded run (make docs) ------------------
# docs.py check: a block or figure that make docs would write otherwise, a
# field the record lacks, or a measured number outside the rendered parts.
read -ra pages <<<"${DOC_PAGES:-README.md $(find docs -name '*.md' | sort | tr '\n' ' ')}"
problems=$(python3 dockerfiles/measure/docs.py check "${RECORD_DIR:-docs/results}" "${pages[@]}" 2>&1)
for page in "${pages[@]}"; do
  found=$(grep -F -- "$page:" <<<"$problems")
  if [ -z "$found" ]; then pass "every figure of $page is rendered from the record"; else fail "every figure of $page is rendered from the record" "$found"; fi
done
others=$(grep -vE "^($(printf '%s|' "${pages[@]}" | sed 's/[.]/[.]/g; s/|$//')):" <<<"$problems")
[ -z "$others" ] || fail "docs.py check ran" "$others"

# The pages' sizes: README.md within 9,000 characters; the pages that redo
# the original lab's steps (00, 02, 03, 04, concepts) within 10,000; any
# other page within 16,000.
for page in "${pages[@]}"; do
  case $page in
    README.md) limit=9000 ;;
    docs/00-*.md | docs/02-*.md | docs/03-*.md | docs/04-*.md | docs/concepts.md) limit=10000 ;;
    *) limit=16000 ;;
  esac
  chars=$(wc -m <"$page")
  if [ "$chars" -le "$limit" ]; then pass "$page: $chars characters, within $limit"; else fail "$page: $chars characters, over $limit"; fi
done

# --- Docs: every relative link leads to a file, and every #anchor to a heading ---------
broken=$(python3 - "${pages[@]}" examples/*/README.md <<'EOF'
import os, re, sys
def anchors(path):
    return {re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            for m in re.finditer(r"^#+ (.*)$", open(path).read(), re.M)}
for page in sys.argv[1:]:
    for link in re.findall(r"\]\(([^)\s]+)\)", open(page).read()):
        if re.match(r"[a-z]+:", link):
            continue
        path, _, fragment = link.partition("#")
        target = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(target):
            print(f"{page}: {link}: no such file")
        elif fragment and target.endswith(".md") and fragment not in anchors(target):
            print(f"{page}: {link}: no such heading")
EOF
)
status=$?
# A checker that crashed has found nothing: its status counts too.
assert_eq "every link in README.md, docs/ and the examples' READMEs leads to a file and heading that exist" "0|" "$status|$broken"

# --- The lab never sources its tests, and keeps one cleanup registry -------------------
# Tests may source the lab's runtime (dockerfiles/steps/runtime.sh); the lab's
# scripts source no file under tests/, and those that source the runtime set
# no trap of their own (their cleanups go through its on_exit).
sourced=$(grep -rnE '^[[:space:]]*(source|\.)[[:space:]]+[^#]*tests/' dockerfiles swift-server/scripts examples/*/scripts 2>&1)
assert_eq "no script of the lab sources a file under tests/" "" "$sourced"
traps=$(grep -lE '^[[:space:]]*source dockerfiles/steps/runtime\.sh' -r dockerfiles swift-server/scripts examples/*/scripts |
  grep -vx dockerfiles/steps/runtime.sh | xargs grep -nE '^[[:space:]]*trap ' 2>&1)
assert_eq "no script that sources the runtime sets a trap of its own" "" "$traps"

# --- make help: every target and variable, readable --------------------------------
help=$(make --no-print-directory help 2>&1)
unexpanded=$(grep -F "\$(" <<<"$help")
assert_eq "make help expands every variable in its text" "" "$unexpanded"
missing=''
read -ra targets < <(sed -n 's/^\.PHONY: //p' Makefile)
for target in "${targets[@]}"; do
  case $target in check-swift | finished) continue ;; esac
  grep -qE "^  $target +[A-Za-z]" <<<"$help" || missing+="$target "
done
assert_eq "make help describes every target" "" "$missing"
missing=''
while read -r variable; do
  grep -qE "^  $variable +[A-Za-z]" <<<"$help" || missing+="$variable "
done < <(sed -nE 's/^([A-Z_]+) \?=.*/\1/p' Makefile; sed -n '1,/^# Not settings/p' dockerfiles/steps/defaults.mk | sed -nE 's/^([A-Z_]+) \?=.*/\1/p')
assert_eq "make help describes every variable a user may set" "" "$missing"
# The targets come under the chapters of docs/, each heading naming its page.
chapters=$(grep -cE '^ [0-9]{2}' <<<"$help")
check "make help has a heading per chapter, 00 Setup to 09 Results ($chapters, at least 9)" test "$chapters" -ge 9
missing=''
while read -r page; do
  [ -f "$page" ] || [ -f "docs/$page" ] || missing+="$page "
done < <(sed -n 's/^##@ .*(\(.*\))$/\1/p' Makefile | grep -oE 'docs/[A-Za-z0-9_.-]+\.md|README\.md|[0-9a-z-]+\.md')
assert_eq "every chapter heading of make help names a page that exists" "" "$missing"

# --- Nothing of this machine in what a learner reads ---------------------------------
# The checkout's own path, the Swift toolchain's and the SwiftPM mirrors'
# folders, and the package mirrors' hosts of this machine appear in no
# tracked file (docs, code, labels' examples).
machine=("$(pwd)" "$HOME")
# The host's name, when it cannot be a plain word of the docs ("runner").
name=$(hostname 2>/dev/null || uname -n)
[[ $name != *[0-9.-]* ]] || machine+=("$name")
# A clone of a clone: its origin is a folder of this machine too.
origin=$(git config --get remote.origin.url 2>/dev/null || true)
[[ $origin != /* ]] || machine+=("$origin")
if swift=$(command -v swift 2>/dev/null); then machine+=("$(dirname "$(dirname "$(dirname "$(realpath "$swift")")")")"); fi
while read -r key _; do
  key=${key#url.}
  key=${key%.insteadof}
  [[ $key == /* ]] && machine+=("$(dirname "$key")")
done < <(git config --get-regexp '^url\..*\.insteadof$' 2>/dev/null)
while read -r host; do machine+=("$host"); done < <(grep -rhoE 'https?://[^/ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | sed -E 's|^https?://||' | sort -u)
found=''
for word in "${machine[@]}"; do
  [ ${#word} -ge 6 ] || continue
  hits=$(git grep -lF -e "$word" 2>/dev/null | tr '\n' ' ')
  [ -z "$hits" ] || found+="${found:+; }a path or host of this machine in: $hits"
done
assert_eq "no tracked file names this machine's checkout, toolchain, mirrors or package hosts (${#machine[@]} checked)" "" "$found"

# --- The images' source label: a URL or nothing, never a folder of this machine ---------
for case in 'https://github.com/someone/lab.git https://github.com/someone/lab.git' \
  'https://someone:token@example.org/lab.git https://example.org/lab.git' \
  'git@github.com:someone/lab.git git@github.com:someone/lab.git' \
  "$(pwd) -" '../lab -' 'file:///srv/lab.git -' "C:/lab -"; do
  read -r remote expected <<<"$case"
  [ "$expected" != - ] || expected=''
  assert_eq "the source label of a clone whose origin is $remote: '${expected:-no label}'" "$expected" "$(SOURCE_URL='' && git() { echo "$remote"; } && source_url)"
done
assert_eq "SOURCE_URL sets the source label" "https://example.org/x" "$(SOURCE_URL=https://example.org/x source_url)"

# --- The Swift version the manifests need ---------------------------------------------
# Every Swift step runs in the builder image of bases.tsv: its Swift must be
# at least every package's swift-tools-version.
builder_swift=$(awk -F'\t' '$1 == "swift" { print $3 }' dockerfiles/bases/bases.tsv | sed -nE 's/^swift:([0-9]+\.[0-9]+).*/\1/p')
for manifest in */Package.swift examples/*/Package.swift; do
  tools=$(sed -nE 's|^// swift-tools-version: ?([0-9.]+).*|\1|p' "$manifest")
  if [ -n "$builder_swift" ] && [ -n "$tools" ] && printf '%s\n%s\n' "$tools" "$builder_swift" | sort -CV; then
    pass "the Swift builder (swift:$builder_swift) builds $manifest (swift-tools-version $tools)"
  else
    fail "the Swift builder (swift:${builder_swift:-?}) builds $manifest (swift-tools-version ${tools:-?})"
  fi
done

finish
