#!/usr/bin/env bash
# Builds the npm package's WebAssembly: wasm/pkg/web (browsers, ES module) and wasm/pkg/node
# (Node, CommonJS). Installs the wasm32 target and the wasm-bindgen CLI if they are missing; the
# CLI must be exactly the wasm-bindgen version in Cargo.lock, so its version is read from there.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $want"; then
  echo "installing wasm-bindgen-cli $want (pinned by Cargo.lock; about 3 minutes)" >&2
  # Not --locked: the CLI's own lockfile pins a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$want"
fi

cargo build --quiet -p matrixauth-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm=target/wasm32-unknown-unknown/wasm-release/matrixauth_wasm.wasm
for target in web nodejs; do
  out=wasm/pkg/${target/nodejs/node}
  rm -rf "$out"
  wasm-bindgen --target "$target" --out-dir "$out" --out-name matrixauth \
    --remove-name-section --remove-producers-section "$wasm"
done
# The licences ship in the package (npm packs only files inside wasm/).
cp LICENSE-MIT LICENSE-APACHE wasm/
# The package is "type": "module"; the Node build is CommonJS.
echo '{ "type": "commonjs" }' > wasm/pkg/node/package.json
raw=$(wc -c < wasm/pkg/web/matrixauth_bg.wasm)
gz=$(gzip -9c wasm/pkg/web/matrixauth_bg.wasm | wc -c)
echo "wasm/pkg/web/matrixauth_bg.wasm: $raw bytes raw, $gz bytes gzip -9" >&2
if [ "$gz" -gt 102400 ]; then
  echo "FAIL: the browser .wasm is over the 100 KB gzip budget" >&2
  exit 1
fi
