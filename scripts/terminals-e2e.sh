#!/usr/bin/env bash
# Registered terminals end to end (SPEC §16, issue 26): headless Chromium with a virtual
# authenticator per browser profile (DevTools protocol WebAuthn domain) against `matrixauth serve`
# with [terminals] policy = "required". Needs the WASM package (scripts/wasm-build.sh) for the
# enrollment page. Screenshots land in target/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f wasm/pkg/web/matrixauth_bg.wasm ] || bash scripts/wasm-build.sh
cargo build --locked -q -p matrixauth-server
if [ ! -d server/e2e/node_modules/playwright-core ]; then
  (cd server/e2e && npm ci --no-audit --no-fund)
fi
start=$(date +%s)
MATRIXAUTH_BIN="$PWD/target/debug/matrixauth" node --test server/e2e/terminals.e2e.mjs
echo "terminals e2e: $(( $(date +%s) - start )) s including server start and browser launch"
