#!/usr/bin/env bash
# Seeds the corpora from policies/ and examples/, then runs every cargo-fuzz target for
# $1 seconds (default 60) each. cargo-fuzz passes nightly-only flags (-Zsanitizer); on a stable
# toolchain RUSTC_BOOTSTRAP=1 allows them. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# Keep the fuzz build out of the workspace target dir unless told otherwise.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"

mkdir -p corpus/parse_lint corpus/evaluate corpus/diff corpus/packet_validate
policies=(../policies/*/policy.yaml ../server/tests/fixtures/policies/*/policy.yaml)
for policy in "${policies[@]}"; do
  name="$(basename "$(dirname "$policy")")"
  cp "$policy" "corpus/parse_lint/$name.yaml"
  for target in README.md .env "git push origin main" "rm -rf /" "github:create_issue"; do
    { cat "$policy"; printf '\0%s' "$target"; } >"corpus/evaluate/$name-$(echo "$target" | tr -c 'a-zA-Z0-9' _)"
  done
done
for old in "${policies[@]}"; do
  for new in "${policies[@]}"; do
    a="$(basename "$(dirname "$old")")"; b="$(basename "$(dirname "$new")")"
    { cat "$old"; printf '\0'; cat "$new"; } >"corpus/diff/$a--$b"
  done
done
find ../examples -name '*.json' -print0 | while IFS= read -r -d '' json; do
  cp "$json" "corpus/packet_validate/$(echo "$json" | tr '/' _)"
done

targets=(${FUZZ_TARGETS:-parse_lint evaluate diff packet_validate})
# Build first so the timed runs below measure fuzzing, not compiling.
cargo fuzz build --release
mkdir -p logs
# The budget is CPU time, not wall time: on a busy machine a wall-clock run gets only part of a
# core. Each target runs in slices (resuming from its corpus) until its CPU seconds, as counted
# by /usr/bin/time, reach the budget.
slice="${FUZZ_SLICE_SECONDS:-120}"
for target in "${targets[@]}"; do
  echo "== $target (${seconds} CPU seconds)"
  : >"logs/$target.log"
  cpu=0
  runs=0
  execs=0
  while [ "$cpu" -lt "$seconds" ]; do
    /usr/bin/time -f "%U %S" -o "logs/$target.slice" \
      cargo fuzz run --release "$target" "corpus/$target" -- \
      -max_total_time="$slice" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
      >>"logs/$target.log" 2>&1 || { echo "$target: crash, see fuzz/artifacts/$target and fuzz/logs/$target.log"; exit 1; }
    cpu=$(awk -v c="$cpu" '{ printf "%d", c + $1 + $2 }' "logs/$target.slice")
    execs=$(( execs + $(grep -h '^stat::number_of_executed_units' "logs/$target.log" | tail -1 | awk '{ print $2 }') ))
    runs=$(( runs + 1 ))
  done
  corpus=$(find "corpus/$target" -type f | wc -l)
  echo "$target cpu_seconds=$cpu slices=$runs execs=$execs corpus_files=$corpus crashes=0" | tee "logs/$target.summary"
done
