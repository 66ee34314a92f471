#!/usr/bin/env bash
# Retention soak, bounded in time: `cavra serve --demo` (release build) on loopback with retention
# max-age 30 s pruned every 5 s and shadow mode on, /v1/decisions driven with the demo runtime
# token by the load tool (server/examples/decisions_load.rs in TARGET mode), and the size of the
# SQLite database and its WAL sampled every 5 s. With retention working the curve stops growing
# once the first rows are 30 s old (plus one interval) and stays flat.
#   scripts/soak-retention.sh                 # 60 s
#   DURATION=10 scripts/soak-retention.sh     # a smoke check
# Knobs: DURATION (5-600 s), CONNECTIONS (8), PAUSE_MS (5, per request and connection),
# PAD_BYTES (2000, bytes added to each input), MAX_AGE (30), INTERVAL (5).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-60}"
if ! [[ "$duration" =~ ^[0-9]+$ ]] || (( duration < 5 || duration > 600 )); then
  echo "DURATION must be 5 to 600 seconds" >&2
  exit 2
fi
max_age="${MAX_AGE:-30}"
interval="${INTERVAL:-5}"
pack=cavra-ai-agent-baseline

cargo build --release -p server --bin cavra --example decisions_load
target_dir="${CARGO_TARGET_DIR:-target}"
cavra="$target_dir/release/cavra"
load="$target_dir/release/examples/decisions_load"

work="$(mktemp -d)"
server_pid=""
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

RUST_LOG="server=info" "$cavra" serve --demo --addr 127.0.0.1:0 \
  --data-dir "$work/data" --site-root "$work/no-site" --policies-dir policies \
  --token-rate 0 \
  --retention-max-age "$max_age" --retention-max-rows 0 --retention-interval-seconds "$interval" \
  >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
addr=""
for _ in $(seq 1 300); do
  addr="$(sed -n 's|.*serving on http://\([0-9.:]*\).*|\1|p' "$work/serve.out" | head -n 1)"
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "cavra serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }
token="$(awk '/Authorization: Bearer/ { print $3; exit }' "$work/serve.out")"
url="http://$addr"

# Shadow mode on, so observations are written (and pruned) too: a new version of the pack as the
# demo author, observed against the enforced one.
jar="$work/cookies"
api() { # METHOD PATH [JSON]
  curl -sS --fail-with-body -b "$jar" -c "$jar" -H "Origin: $url" \
    -H 'content-type: application/json' -X "$1" "$url$2" ${3:+--data "$3"}
}
api POST /api/session '{"username":"author","password":"author-demo-pass"}' >/dev/null
draft="$(api POST "/api/packs/$pack/drafts")"
id="$(jq -r .id <<<"$draft")"
body="$(jq -c '{source: (.source | sub("version: [^\n]*"; "version: 9.9.9")), revision: .revision}' <<<"$draft")"
api PUT "/api/drafts/$id" "$body" >/dev/null
digest="$(api POST "/api/drafts/$id/publish" | jq -r .digest)"
api POST "/api/packs/$pack/shadow" "{\"digest\":\"$digest\"}" >/dev/null

echo "serving on $url; retention max-age ${max_age} s every ${interval} s; shadow of $digest"
TARGET="$url" TOKEN="$token" SECONDS="$duration" CONNECTIONS="${CONNECTIONS:-8}" \
  PAUSE_MS="${PAUSE_MS:-5}" PAD_BYTES="${PAD_BYTES:-2000}" "$load" >"$work/load.out" 2>&1 &
load_pid=$!

db="$work/data/cavra.db"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
mb() { awk -v b="$1" 'BEGIN { printf "%8.1f", b / 1048576 }'; }
echo "    t_s    db_MB   wal_MB total_MB  passes_pruned"
peak_late=0
start=$(date +%s)
for (( t = 5; t <= duration; t += 5 )); do
  sleep $(( start + t - $(date +%s) > 0 ? start + t - $(date +%s) : 0 ))
  d=$(size "$db"); w=$(size "$db-wal"); total=$(( d + w ))
  passes=$(grep -c "pruned the decision log" "$work/serve.err" || true)
  printf "%7d %s %s %s %14d\n" "$t" "$(mb "$d")" "$(mb "$w")" "$(mb "$total")" "$passes"
  if (( t > max_age + interval )) && (( total > peak_late )); then peak_late=$total; fi
  if (( t == max_age + 2 * interval )); then at_plateau=$total; fi
done
wait "$load_pid" || { cat "$work/load.out" >&2; echo "the load failed" >&2; exit 1; }
load_pid=""
cat "$work/load.out"
rows="$(sqlite3 "$db" 'SELECT COUNT(*) FROM decision_log' 2>/dev/null || echo '?')"
echo "decision-log rows at the end: $rows (about ${max_age}-$(( max_age + interval )) s of traffic)"
if [ -n "${at_plateau:-}" ]; then
  echo "DB + WAL at $(( max_age + 2 * interval )) s: $(mb "$at_plateau") MB; largest after: $(mb "$peak_late") MB"
fi
