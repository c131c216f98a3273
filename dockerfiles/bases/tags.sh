#!/usr/bin/env bash
# make tags: asks the registry for each official tag in bases.tsv (what a
# learner with Docker Hub pulls): that it exists, and for which platforms,
# since Docker Desktop on an Apple or Windows arm64 machine pulls
# linux/arm64 and a Linux PC or CI runner linux/amd64. Reads manifests
# only: nothing is pulled. Where no registry answers, one line says the
# tags could not be checked here, and it exits 1.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
source dockerfiles/steps/runtime.sh

PLATFORMS=(linux/amd64 linux/arm64)
require_engine
bash dockerfiles/steps/host-tools.sh jq:jq

# platforms TAG: the platforms TAG's manifest list names ("os/arch", one a
# line), or the one platform of a single manifest's config.
platforms() {
  local json
  json=$(timeout "$PULL_TIMEOUT" "$DOCKER" manifest inspect "$1" 2>&1) || { grep . <<<"$json" | tail -n1; return 1; }
  jq -r 'if .manifests then .manifests[] | .platform | select(.os != "unknown") | "\(.os)/\(.architecture)"
         else "single manifest (\(.mediaType // "no media type"))" end' <<<"$json" | sort -u
}

mapfile -t tags < <(tsv_rows dockerfiles/bases/bases.tsv | awk -F"\t" '$2 != "-" { print $3 }')
show docker manifest inspect "${tags[0]}"
# The first tag's answer tells whether a registry answers at all (a tag it
# does not know is an answer).
if ! found=$(platforms "${tags[0]}") && ! grep -qiE 'no such manifest|manifest unknown|not found' <<<"$found"; then
  die "the registry does not answer for ${tags[0]} (${found:-no answer within PULL_TIMEOUT=${PULL_TIMEOUT}s}): the tags in bases.tsv could not be checked here"
fi
bad=0
for tag in "${tags[@]}"; do
  if [ "$tag" != "${tags[0]}" ]; then
    show docker manifest inspect "$tag"
    found=$(platforms "$tag") || true
  fi
  if ! grep -q / <<<"$found" && ! grep -q '^single manifest' <<<"$found"; then
    echo "  MISSING $tag: $found"
    bad=1
    continue
  fi
  missing=()
  for platform in "${PLATFORMS[@]}"; do grep -qx "$platform" <<<"$found" || missing+=("$platform"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "  NO ${missing[*]}  $tag (has: $(tr '\n' ' ' <<<"$found"))"
    bad=1
  else
    echo "  ok  $tag ($(tr '\n' ' ' <<<"$found" | sed 's/ $//'))"
  fi
done
[ "$bad" -eq 0 ] || die "some official tags in bases.tsv are missing, or lack a platform a learner pulls (above)"
say "every official tag in bases.tsv answers, for ${PLATFORMS[*]}"
