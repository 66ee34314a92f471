#!/usr/bin/env bash
# Installs what building and testing need, skipping whatever is already there.
# Everything comes from the package registries: rustup's targets, crates.io, npm and Debian apt.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '[setup] %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI must match the library version locked in Cargo.lock exactly.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg_version" ]; then
  step "installing wasm-bindgen-cli $wbg_version (a few minutes, once per machine)"
  # Not --locked: the registry lacks one of its locked transitive versions.
  cargo install wasm-bindgen-cli --version "$wbg_version"
fi

if [ ! -x /usr/bin/chromium ] && [ "${CAVRA_SKIP_BROWSER:-}" != 1 ]; then
  step "installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# npm ci is slow-ish even when nothing changed; skip it when the lockfile is what we installed.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.cavra-lock; then
  step "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.cavra-lock
fi
step "ready"
