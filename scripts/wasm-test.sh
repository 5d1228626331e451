#!/usr/bin/env bash
# The npm package's tests: builds wasm/pkg (scripts/wasm-build.sh), runs the Node tests of the
# built package (golden vectors + API), then the wasm-bindgen-test suite inside Node and inside
# headless Chromium (Debian's chromium + chromium-driver; flags in wasm/webdriver.json).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/wasm-build.sh
echo "--- the committed browser build (wasm/pkg/web, which scripts/demo.sh serves) is what the sources build"
if [ -n "$(git status --porcelain -- wasm/pkg/web)" ]; then
  git status --short -- wasm/pkg/web
  echo "wasm/pkg/web is stale: run scripts/wasm-build.sh and commit wasm/pkg/web"
  exit 1
fi
(cd wasm && node --test test/)
echo "--- the package as a user gets it: npm pack, the READMEs' JavaScript, tsc --strict"
bash scripts/npm-test.sh

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
echo "--- wasm-bindgen-test in Node"
cargo test --locked -p matrixauth-wasm --target wasm32-unknown-unknown --test wasm
echo "--- wasm-bindgen-test in headless Chromium"
# wasm-bindgen-test-runner reads webdriver.json from the working directory.
(cd wasm && CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" WASM_BINDGEN_USE_BROWSER=1 \
  cargo test --locked -p matrixauth-wasm --target wasm32-unknown-unknown --test wasm)
