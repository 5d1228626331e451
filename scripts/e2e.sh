#!/usr/bin/env bash
# End-to-end test of the demo login in headless Chromium (playwright-core driving Debian's
# /usr/bin/chromium). Needs the WASM package (scripts/wasm-build.sh) for the enrollment page.
# Screenshots land in target/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f wasm/pkg/web/matrixauth_bg.wasm ] || bash scripts/wasm-build.sh
cargo build --locked -q -p matrixauth-server
if [ ! -d server/e2e/node_modules/playwright-core ]; then
  (cd server/e2e && npm ci --no-audit --no-fund)
fi
start=$(date +%s)
MATRIXAUTH_BIN="$PWD/target/debug/matrixauth" node --test server/e2e/login.e2e.mjs
echo "e2e: $(( $(date +%s) - start )) s including server start and browser launch"
