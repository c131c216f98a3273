#!/usr/bin/env bash
# Lint: every shell script of the lab passes the pinned shellcheck, and
# every Dockerfile the pinned hadolint (settings in .hadolint.yaml).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

SHELLCHECK=${SHELLCHECK:-.tools/venv/bin/shellcheck}
HADOLINT=${HADOLINT:-.tools/venv/bin/hadolint}
[ -x "$SHELLCHECK" ] || die "no shellcheck at $SHELLCHECK (run: make tools)"
[ -x "$HADOLINT" ] || die "no hadolint at $HADOLINT (run: make tools)"
WORK_DIFF=$(mktemp)
on_exit rm -f "$WORK_DIFF"
say "$("$SHELLCHECK" --version | sed -n 's/^version: /shellcheck /p'), $("$HADOLINT" --version)"

mapfile -t dockerfiles < <(git ls-files --cached --others --exclude-standard | grep -E '(^|/)Dockerfile[^/]*$' | sort)
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

# The multi-stage and distroless images share one build stage through
# BuildKit's cache only while the two stages are written identically.
build_stage() { awk '/^FROM .* AS build$/ { on = 1 } on && /^FROM / && !/ AS build$/ { exit } on' "$1"; }
if [ -n "$(build_stage dockerfiles/Dockerfile)" ] &&
  diff <(build_stage dockerfiles/Dockerfile | grep -v '^# ---') <(build_stage dockerfiles/Dockerfile.distroless | grep -v '^# ---') >"$WORK_DIFF" 2>&1; then
  pass "Dockerfile and Dockerfile.distroless have the same build stage (built once)"
else
  fail "Dockerfile and Dockerfile.distroless have the same build stage (built once)" "$(cat "$WORK_DIFF")"
fi

for f in "${files[@]}"; do
  if out=$("$SHELLCHECK" --external-sources --source-path=SCRIPTDIR "$f" 2>&1); then
    pass "shellcheck $f"
  else
    fail "shellcheck $f" "$out"
  fi
done

finish
