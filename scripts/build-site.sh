#!/usr/bin/env bash
# Builds the browser half of the site into target/site: the hydrate WASM and its JS glue,
# the stylesheet, static assets and Monaco's files. Usage: scripts/build-site.sh debug|release
# (under $CARGO_TARGET_DIR when that is set, as cargo itself does)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

profile=${1:-debug}
target=${CARGO_TARGET_DIR:-target}
site=$target/site
case "$profile" in
  debug)   cargo build -p frontend --lib --target wasm32-unknown-unknown
           wasm=$target/wasm32-unknown-unknown/debug/frontend.wasm ;;
  release) cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
           wasm=$target/wasm32-unknown-unknown/wasm-release/frontend.wasm ;;
  *) echo "usage: $0 debug|release" >&2; exit 2 ;;
esac

mkdir -p "$site/pkg"
# Keep wasm-bindgen's `cavra_bg.wasm` name: the server's hydration script asks for it.
wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name cavra "$wasm"
if [ "$profile" = release ]; then
  # npm's binaryen, not Debian's: the old Debian wasm-opt rewrites externref and breaks hydration.
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
    --enable-sign-ext --enable-mutable-globals \
    "$site/pkg/cavra_bg.wasm" -o "$site/pkg/cavra_bg.wasm"
fi
cp style/main.css "$site/pkg/cavra.css"
cp -r public/. "$site/"

# Monaco is served from our own origin; copy it only when the pinned version changes.
monaco_version=$(node -p "require('./node_modules/monaco-editor/package.json').version")
if [ "$(cat "$site/vs/.version" 2>/dev/null)" != "$monaco_version" ]; then
  rm -rf "$site/vs"
  cp -r node_modules/monaco-editor/min/vs "$site/vs"
  echo "$monaco_version" > "$site/vs/.version"
fi
echo "site built ($profile) in $site"
