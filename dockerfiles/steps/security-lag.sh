#!/usr/bin/env bash
# make scan's comparison with Debian's security suites. It runs inside a
# container of the lab's Debian base (dockerfiles/steps/scan.sh passes it
# as `bash -c`), never on the host.
#   stdin:  IMAGE RELEASE PACKAGE VERSION lines, tab-separated (RELEASE: the
#           image's Debian codename, bookworm or trixie)
#   stdout: IMAGE PACKAGE VERSION SECURITY for each package older than the
#           newest version in RELEASE-security; "no-security-suite RELEASE"
#           for a release whose suite could not be read
# Each image is compared with its own release's suite: a Debian 12 package
# against trixie-security would be "behind" by a whole release. A release's
# suite is read through a copy of this container's own -security apt source
# with the release renamed, so it comes from the mirror make bases used.
set -euo pipefail
# shellcheck disable=SC1091 # the container's own os-release
own=$(. /etc/os-release && echo "$VERSION_CODENAME")
input=$(cat)

# security_source RELEASE DIR: this container's security source (one-line or
# deb822), for RELEASE, written into DIR.
security_source() {
  local release=$1 dir=$2 line
  mkdir -p "$dir"
  line=$(grep -hsE "^deb [^ ]+ $own-security( |$)" /etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -n1 || true)
  if [ -n "$line" ]; then
    echo "${line/ $own-security/ $release-security}" >"$dir/security.list"
  else
    awk -v RS= -v suite="$own-security" '$0 ~ ("Suites:[^\n]*" suite) { print; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null |
      sed -E "s/^Suites:.*/Suites: $release-security/" >"$dir/security.sources"
  fi
  [ -s "$dir/security.list" ] || [ -s "$dir/security.sources" ]
}

# read_suite RELEASE: the suite's packages, "PACKAGE VERSION" lines, into
# /tmp/security-RELEASE.tsv; fails when the suite cannot be read.
read_suite() {
  local release=$1 dir=/tmp/sources-$1 lists=/tmp/lists-$1 file
  security_source "$release" "$dir" || return 1
  mkdir -p "$lists/partial"
  local apt=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir" -o Dir::State::Lists="$lists")
  apt-get "${apt[@]}" -qq update >&2 || return 1
  local files=()
  # shellcheck disable=SC2016 # $(FILENAME) is apt's format, not the shell's
  while read -r file; do [ ! -e "$file" ] || files+=("$file"); done \
    < <(apt-get "${apt[@]}" indextargets --format '$(FILENAME)' 'Created-By: Packages')
  [ ${#files[@]} -gt 0 ] || return 1
  for file in "${files[@]}"; do /usr/lib/apt/apt-helper cat-file "$file"; done |
    awk '/^Package: /{ p = $2 } /^Version: /{ print p "\t" $2 }' | sort -u >"/tmp/security-$release.tsv"
}

while read -r release; do
  [ -n "$release" ] && [ "$release" != - ] || continue
  if ! read_suite "$release"; then
    # Its own release is what make bases built from: not reading it means the
    # mirror does not answer, an error; another release may be gone from it.
    [ "$release" != "$own" ] || { echo "error: cannot read $own-security through this image's apt sources" >&2; exit 1; }
    printf 'no-security-suite\t%s\n' "$release"
    continue
  fi
  while IFS=$'\t' read -r image line_release package installed; do
    [ "$line_release" = "$release" ] || continue
    fixed=$(awk -F'\t' -v p="$package" '$1 == p { print $2 }' "/tmp/security-$release.tsv" | sort -V | tail -n1)
    if [ -n "$fixed" ] && dpkg --compare-versions "$installed" lt "$fixed"; then
      printf '%s\t%s\t%s\t%s\n' "$image" "$package" "$installed" "$fixed"
    fi
  done <<<"$input"
done < <(cut -f2 <<<"$input" | sort -u)
