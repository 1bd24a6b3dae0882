#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine. Idempotent: a package already present is not
# fetched again. Every later part of the suite (servers, browsers, speech) adds its Debian packages to PACKAGES.
set -euo pipefail

PACKAGES=(curl)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
