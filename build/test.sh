#!/usr/bin/env bash
# Builds the solution and runs every test; ends with one line of totals: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
dotnet test Microsoft.ML.Agd.sln -c Release --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
status=$?
passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  passed=$((passed + $(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")))
  failed=$((failed + $(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")))
done
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1   # a build or runner failure counts as a failure
echo "$passed passed, $failed failed"
exit "$status"
