#!/usr/bin/env bash
# Regenerates ffi/include/matrixauth.h with cbindgen 0.29.4 (commit the result).
set -euo pipefail
cd "$(dirname "$0")/../ffi"
cbindgen --version | grep -q ' 0.29.4$' || { echo "need cbindgen 0.29.4 (cargo install --locked cbindgen --version 0.29.4)"; exit 1; }
cbindgen --quiet --config cbindgen.toml --crate matrixauth-ffi --output include/matrixauth.h .
echo "wrote ffi/include/matrixauth.h"
