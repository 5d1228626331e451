#!/usr/bin/env bash
# The README's main command: builds the server and starts the browser login demo on
# http://127.0.0.1:8080/ with its data in ./matrixauth-data. The browser build of the WASM package
# is committed (wasm/pkg/web; CI checks that the sources rebuild it byte for byte), so the demo
# needs nothing but Rust. Options go to `matrixauth serve`:
#   scripts/demo.sh --port 9000 --data /tmp/mx
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x target/release/matrixauth ]; then
  echo "building the server (first time on a fresh 2-core machine: about 2 minutes; cargo shows its progress)" >&2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A line of progress every 20 crates; the whole log only if the build fails.
if ! cargo build --locked --release -p matrixauth-server 2> >(tee "$log" | awk '
  /^ *Compiling/ { n++; if (n % 20 == 1) { printf "  compiling: %d crates done, now %s\n", n - 1, $2; fflush() } }
  /^ *Finished/ { sub(/^ */, ""); print "  " $0; fflush() }' >&2); then
  cat "$log" >&2
  exit 1
fi
rm -f "$log"
trap - EXIT
exec target/release/matrixauth serve "$@"
