#!/usr/bin/env bash
# Makes sure the host has the commands the lab uses.
#   dockerfiles/steps/host-tools.sh COMMAND:DEBIAN_PACKAGE...
# Missing ones are installed with apt-get when we are root on Debian or
# Ubuntu; anywhere else the script says what to install and fails.
set -euo pipefail
source "$(dirname "$0")/runtime.sh"

missing_commands=() packages=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 && continue
  missing_commands+=("${pair%%:*}")
  [[ " ${packages[*]} " == *" ${pair#*:} "* ]] || packages+=("${pair#*:}")
done
[ ${#missing_commands[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  die "missing commands: ${missing_commands[*]}; install them (Debian packages: ${packages[*]}) and run make again"
fi
say "missing commands: ${missing_commands[*]}"
apt_install "${packages[@]}"
