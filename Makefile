# CAVRA Policy Lifecycle. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export CARGO_TERM_COLOR ?= never

.PHONY: run build test setup site server fmt clippy layers unit wasm e2e bench watch examples

## run: install what is missing, build the release binary and site, and serve on :3000
run: build
	./target/release/cavra serve --demo

## build: the release binary target/release/cavra and the site in target/site
build: setup
	scripts/build-site.sh release
	cargo build --release -p server

## test: everything CI checks
test: setup fmt layers clippy unit wasm e2e

setup:
	@scripts/setup.sh

fmt:
	cargo fmt --all --check

## layers: no import circles between the files of a room (ARCHITECTURE.md, CONTRIBUTING.md)
layers:
	python3 scripts/import-graph.py

clippy:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p frontend --lib --target wasm32-unknown-unknown -- -D warnings

unit:
	scripts/test-db.sh cargo test --workspace

# lifecycle alone (its own features, not unified with the app's) compiles for wasm32; a check is
# enough, no code is generated or linked for an rlib, and `site` builds it inside the frontend.
wasm:
	cargo check -p lifecycle --target wasm32-unknown-unknown

site:
	scripts/build-site.sh debug

# The debug `cavra` the browser suite drives (target/debug/cavra), from the same build as `unit`:
# `cargo test --workspace` enables dev-dependency features (tokio, tower, regex, …), so a
# `cargo build -p server` after it would rebuild some 60 crates (tokio, axum, sqlx, Leptos, app,
# server) for a second feature set. After `unit` this step is a no-op.
server:
	cargo test --workspace --no-run

e2e: site server
	node end2end/run.mjs

## examples: regenerate examples/policy-lifecycle/* with the CLI (a test fails when they are stale)
examples:
	cargo build -p server --bin cavra
	CAVRA=./target/debug/cavra sh examples/policy-lifecycle/regenerate.sh

## bench: criterion benchmarks of the lifecycle core (evaluate, lint, replay) and the peer engines (regorus, cedar-policy); bounded
BENCH_ARGS ?= --warm-up-time 1 --measurement-time 3
bench:
	cargo bench -p lifecycle --bench evaluate --bench lint --bench replay -- $(BENCH_ARGS)
	cargo bench -p benches-peers --bench peers -- $(BENCH_ARGS)

## watch: edit-reload loop through cargo-leptos (installed on first use, ~15 min once)
watch: setup
	@[ "$$(cargo leptos --version 2>/dev/null)" = "cargo-leptos 0.3.10" ] || cargo install cargo-leptos --locked --version 0.3.10
	cargo leptos watch

## fuzz: run each cargo-fuzz target until it used FUZZ_SECONDS CPU seconds (default 600 = 10 CPU-minutes, in resumable slices) on stable (RUSTC_BOOTSTRAP=1); not part of `make test`
.PHONY: fuzz
FUZZ_SECONDS ?= 600
fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)
