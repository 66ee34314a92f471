#!/usr/bin/env bash
# Loopback load on POST /v1/decisions with shadow mode on, driven by Debian's wrk in its own
# process (installed here when missing). Bounded in time.
#   scripts/load.sh max    # SECONDS (default 10) at full speed: requests/s, p50/p99
#   scripts/load.sh soak   # the max run, then 60 s paced at about 80 % of it
#   scripts/load.sh flood  # SECONDS (default 60): an anonymous flood and a one-token flood beside
#                          # a paced second token; checks 0 anonymous rows and the token's limit
#   scripts/load.sh runs   # RUNS (default 5) max runs; prints the median throughput and p99
# Each run ends by checking observation count == decision-log count == answered requests.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-max}"

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -p server --example decisions_load
load=target/release/examples/decisions_load
export LOAD_TOOL=wrk

if [ "$mode" = flood ]; then
  exec env MODE=flood SECONDS="${SECONDS_FLOOD:-60}" CONNECTIONS="${CONNECTIONS:-32}" "$load"
fi
if [ "$mode" = runs ]; then
  results="$(mktemp)"
  for i in $(seq "${RUNS:-5}"); do
    env SECONDS="${SECONDS_MAX:-10}" CONNECTIONS="${CONNECTIONS:-64}" "$load" |
      awk -v run="$i" '/^throughput/ { t = $2 } /^latency ms/ { p = $6 } END { print run, t, p }' |
      tee -a "$results"
  done
  sort -n -k2 "$results" | awk '{ t[NR] = $2 } END { print "median throughput", t[int((NR + 1) / 2)], "decisions/s" }'
  sort -g -k3 "$results" | awk '{ p[NR] = $3 } END { print "median p99", p[int((NR + 1) / 2)], "ms" }'
  rm -f "$results"
  exit 0
fi

max_log="$(mktemp)"
trap 'rm -f "$max_log"' EXIT
env SECONDS="${SECONDS_MAX:-10}" CONNECTIONS="${CONNECTIONS:-64}" "$load" | tee "$max_log"
[ "$mode" = soak ] || exit 0

max=$(awk '/^throughput/ { print $2 }' "$max_log")
target=$(( max * 8 / 10 ))
pause="${PAUSE_MS:-2}"
# Each paced connection sends about 1000 / (pause + latency) requests per second: guess the
# connection count from a 1 ms latency, correct it once from a 5 s probe, then soak.
connections=$(( (target * (pause + 1) + 999) / 1000 ))
probe=$(env SECONDS=5 CONNECTIONS=$connections PAUSE_MS=$pause "$load" | awk '/^throughput/ { print $2 }')
connections=$(( (connections * target + probe - 1) / probe ))
echo "soak: max $max/s, target $target/s (80 %), $connections connections pausing ${pause} ms"
env SECONDS="${SOAK_SECONDS:-60}" CONNECTIONS=$connections PAUSE_MS=$pause "$load"
