#!/usr/bin/env bash
# End-to-end test of the console (issue 23) in headless Chromium, as scripts/e2e.sh drives the
# portal (playwright-core on Debian's /usr/bin/chromium): the first administrator, an approver,
# an auditor and a vendor, each with their own matrix login; a request filed, approved (the access
# window), everyone off and on, the report, the export. Screenshots of the console's pages go to
# target/e2e/console-*.png (Japanese; fonts-noto-cjk draws them); CONSOLE_SHOTS=docs refreshes
# the committed docs/console-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v chromium > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q chromium > /dev/null
fc-list 2>/dev/null | grep -qi "noto sans cjk" \
  || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q fonts-noto-cjk > /dev/null
cargo build --locked -q -p matrixauth-server
if [ ! -d server/e2e/node_modules/playwright-core ]; then
  (cd server/e2e && npm ci --no-audit --no-fund)
fi
start=$(date +%s)
MATRIXAUTH_BIN="$PWD/target/debug/matrixauth" node --test server/e2e/console.e2e.mjs
echo "console e2e: $(( $(date +%s) - start )) s including server start and browser launch"
