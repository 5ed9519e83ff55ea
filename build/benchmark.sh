#!/usr/bin/env bash
# Runs every benchmark (about 6 minutes on 2 CPU cores) and writes test/Microsoft.ML.Agd.Benchmarks/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project test/Microsoft.ML.Agd.Benchmarks -- "$@"
