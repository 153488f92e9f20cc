#!/usr/bin/env bash
# Installs dynalite (a DynamoDB emulator on LevelDB, from npm) for the
# comparison benchmarks in localcloud: BenchmarkCompare* run it when
# LABKIT_DYNALITE points at its executable, and skip it otherwise.
set -euo pipefail
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/labkit/dynalite}
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund dynalite@4 >/dev/null
echo "export LABKIT_DYNALITE=$dir/node_modules/.bin/dynalite"
