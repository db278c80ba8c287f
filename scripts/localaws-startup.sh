#!/usr/bin/env bash
# Measures `quarry localaws` start-up time (process start to the first
# answered health check) and idle resident memory one second later.
# Usage: scripts/localaws-startup.sh [runs]   (builds bin/quarry first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
go build -o bin/quarry ./cmd/quarry
for _ in $(seq 1 "$runs"); do
  out=$(mktemp)
  start=$(date +%s%N)
  bin/quarry localaws --addr 127.0.0.1:0 >"$out" 2>/dev/null &
  pid=$!
  until [ -s "$out" ]; do sleep 0.001; done
  url=$(head -n1 "$out")
  until curl -sf "$url/_localaws/health" >/dev/null; do sleep 0.001; done
  end=$(date +%s%N)
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$out"
  printf 'startup %d ms, idle RSS %.1f MiB\n' $(( (end - start) / 1000000 )) "$(echo "$rss / 1024" | bc -l)"
done
