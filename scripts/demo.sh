#!/usr/bin/env bash
# The README's main command: builds what the demo needs (the wasm32 target and the pinned
# wasm-bindgen CLI are installed if missing) and starts the browser login demo on
# http://127.0.0.1:8080/ with its data in ./matrixauth-data. Options go to `matrixauth serve`:
#   scripts/demo.sh --port 9000 --data /tmp/mx
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/wasm-build.sh
cargo build --locked --release -q -p matrixauth-cli
exec target/release/matrixauth serve "$@"
