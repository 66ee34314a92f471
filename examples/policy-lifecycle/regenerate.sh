#!/usr/bin/env sh
# Regenerates the example evidence packets and the generated plan files with the `cavra` CLI.
# Run from the repository root:  sh examples/policy-lifecycle/regenerate.sh
# (CAVRA=path/to/cavra to use a built binary instead of `cargo run`.)
# The test server/tests/it/cli_examples.rs fails when these files are stale.
set -eu
CAVRA="${CAVRA:-cargo run --quiet -p server --bin cavra --}"
# The reference run's three timestamps, so the files equal CAVRA's examples byte for byte.
export CAVRA_FIXED_TIME="2026-07-04T13:37:30.422404+00:00,2026-07-04T13:37:30.423168+00:00,2026-07-04T13:37:30.423543+00:00"
out=examples/policy-lifecycle
mkdir -p "$out/generated"
$CAVRA policy lifecycle-plan --policy-pack cavra-ai-agent-baseline \
  --source-ref git://Huzefaaa2/cavra/main/policies \
  --output-dir "$out/generated" \
  --packet-out "$out/enterprise-policy-lifecycle.sample.json" \
  --evidence-mode sample \
  > "$out/generated/policy-lifecycle-export.json"
$CAVRA policy lifecycle-plan --policy-pack cavra-ai-agent-baseline \
  --source-ref git://Huzefaaa2/cavra/main/policies \
  --output-dir "$out/generated" \
  --packet-out "$out/enterprise-policy-lifecycle.live.sanitized.example.json" \
  --evidence-mode live \
  --ci-run-ref github://Huzefaaa2/cavra/actions/runs/sanitized-policy-lifecycle \
  --policy-review-ref github://Huzefaaa2/cavra/pull/sanitized-policy-review \
  --ui-validation-ref evidence://enterprise/policy-lifecycle/ui-validation/sanitized \
  > /dev/null
