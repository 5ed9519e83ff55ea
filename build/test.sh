#!/usr/bin/env bash
# Builds the solution and runs every test; ends with one line of totals: "N passed, N failed".
# --quick leaves out the integration tests (brand-new projects built from the package, agd run as a child process and
# signalled): a developer's inner loop of under a minute once built. CI runs everything.
set -uo pipefail
cd "$(dirname "$0")/.."
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
arguments=(); quick=0
for argument in "$@"; do
  if [ "$argument" = "--quick" ]; then arguments+=(--filter "TestCategory!=Integration"); quick=1; else arguments+=("$argument"); fi
done
# The integration tests need, installed where missing: Debian's Chromium (report.html is checked in a real browser) and
# MPICH (agd is started as a job of several ranks by its launcher, mpiexec).
install() { # install <program> <apt-get install arguments...>
  [ "$quick" = 0 ] && [ ! -x "$1" ] && command -v apt-get >/dev/null || return 0
  local sudo=""; [ "$(id -u)" != 0 ] && sudo="sudo -n"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${@:2}" >/dev/null; } ||
    echo "Could not install ${*: -1}; the tests that need it will fail and say so." >&2
}
install /usr/bin/chromium chromium
install /usr/bin/mpiexec --no-install-recommends mpich
dotnet test Microsoft.ML.Agd.sln -c Release --logger "trx;LogFileName=tests.trx" --results-directory "$results" "${arguments[@]}"
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
