#!/usr/bin/env bash
# Slow-client swarm and sign-in storm against a real `cavra serve --demo` on loopback
# (server/examples/slow_swarm.rs; numbers in docs/PERFORMANCE.md). Bounded in time: about 30 s
# for the swarm and 20 s per sign-in storm.
#   scripts/slow-swarm.sh            # swarm, then the sign-in storm with and without the hash cap
#   CONNECTIONS=500 SAMPLES=100 scripts/slow-swarm.sh
#   ONLY=swarm scripts/slow-swarm.sh   # or ONLY=login
set -euo pipefail
cd "$(dirname "$0")/.."
# 2,000 slow clients plus the server's side of them need more than the usual 1,024 files.
ulimit -n 8192
cargo build --release -p server --bin cavra --example slow_swarm
target="${CARGO_TARGET_DIR:-target}"
cavra="$target/release/cavra"
swarm="$target/release/examples/slow_swarm"

work="$(mktemp -d)"
pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
trap 'stop; rm -rf "$work"' EXIT

# Starts `cavra serve --demo` with extra flags; sets $pid, $addr and $token.
start() {
  rm -rf "$work/data" && mkdir -p "$work/data"
  env -u DATABASE_URL RUST_LOG=warn "$cavra" serve --addr 127.0.0.1:0 --demo --data-dir "$work/data" \
    --site-root "$work/no-site" "$@" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 100); do
    grep -q 'serving on http://' "$work/out" && break
    sleep 0.1
  done
  addr=$(sed -n 's/.*serving on http:\/\///p' "$work/out" | head -1)
  token=$(sed -n 's/^ *Authorization: Bearer //p' "$work/out" | head -1)
  [ -n "$addr" ] || { cat "$work/err"; exit 2; }
}

if [ "${ONLY:-swarm}" = swarm ]; then
  echo "== slow-client swarm (${CONNECTIONS:-2000} connections)"
  start
  ADDR="$addr" TOKEN="$token" CONNECTIONS="${CONNECTIONS:-2000}" SAMPLES="${SAMPLES:-200}" \
    timeout 120 "$swarm"
  stop
fi

[ "${ONLY:-login}" = login ] || exit 0
for cap in 1024 default; do
  if [ "$cap" = default ]; then
    echo "== sign-in storm, hash cap = cores ($(nproc))"; start
  else
    echo "== sign-in storm, hash cap lifted (--max-password-hashes $cap: as before the cap)"
    start --max-password-hashes "$cap"
  fi
  MODE=login ADDR="$addr" SERVER_PID="$pid" SAMPLES="${LOGIN_SAMPLES:-50}" timeout 120 "$swarm"
  stop
done
