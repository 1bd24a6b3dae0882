#!/usr/bin/env bash
# Rewrites every package's PublicAPI.Unshipped.txt from its code after a deliberate change to the public surface: what is
# public and not in PublicAPI.Shipped.txt (the last release's surface) is listed there. Review the diff before you commit:
# the build fails on any surface that differs from the two files. A member of a shipped release that goes away is listed
# by hand as "*REMOVED*" + its line in PublicAPI.Unshipped.txt, so a break is always a visible, deliberate line.
set -euo pipefail
cd "$(dirname "$0")/.."
for package in Core AspNetCore Mongo Rollout; do
  printf '#nullable enable\n' > "src/StreamingChat.$package/PublicAPI.Unshipped.txt"
done
# In dependency order, so each package is analysed against the surface of the ones it uses.
for package in Core AspNetCore Mongo Rollout; do
  dotnet format analyzers "src/StreamingChat.$package/StreamingChat.$package.csproj" --diagnostics RS0016 RS0037 --severity info
done
git --no-pager diff --stat -- 'src/*/PublicAPI.*.txt' || true
