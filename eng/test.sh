#!/usr/bin/env bash
# The one command that runs every test: installs what the tests need, builds the solution in Release,
# runs all test projects, and ends with a line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

bash eng/install-deps.sh

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

status=0
# The guide's "Run linter": the house rules of .editorconfig (layout, usings, naming, style), as `dotnet format` reads
# them. The build enforces the same rules; this also catches layout the compiler does not see. A finding fails the
# run after the tests have run, so one run reports both.
lint=0
dotnet format StreamingChat.sln --verify-no-changes --verbosity quiet || lint=$?
if [ "$lint" -ne 0 ]; then
  echo "dotnet format found code that does not follow .editorconfig (exit $lint): run 'dotnet format StreamingChat.sln' and commit the result." >&2
fi

# A hang must fail fast rather than eat the CI budget: any test silent for 5 minutes is dumped and failed.
dotnet test StreamingChat.sln -c Release \
  --blame-hang-timeout 5m \
  --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" || status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$lint" -ne 0 ] && [ "$status" -eq 0 ]; then
  status=$lint
fi
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
