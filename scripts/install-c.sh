#!/usr/bin/env bash
# Installs the C library under PREFIX (default /usr/local):
#   PREFIX/include/matrixauth.h
#   PREFIX/lib/libmatrixauth.so.X.Y.Z (SONAME libmatrixauth.so.X), the links libmatrixauth.so.X and
#     libmatrixauth.so, and libmatrixauth.a
#   PREFIX/lib/pkgconfig/matrixauth.pc, whose Libs carry an rpath to PREFIX/lib, so that a program
#     built with `pkg-config --libs matrixauth` runs without LD_LIBRARY_PATH or ldconfig, wherever
#     PREFIX is (docs/C-API.md explains the choice)
# Usage: scripts/install-c.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
cargo build -q -p matrixauth-ffi --release --locked
install -D -m 0644 ffi/include/matrixauth.h "$prefix/include/matrixauth.h"
major=${version%%.*}
install -D -m 0755 target/release/libmatrixauth.so "$prefix/lib/libmatrixauth.so.$version"
ln -sfn "libmatrixauth.so.$version" "$prefix/lib/libmatrixauth.so.$major"
ln -sfn "libmatrixauth.so.$major" "$prefix/lib/libmatrixauth.so"
install -D -m 0644 target/release/libmatrixauth.a "$prefix/lib/libmatrixauth.a"
mkdir -p "$prefix/lib/pkgconfig"
cat > "$prefix/lib/pkgconfig/matrixauth.pc" <<PC
prefix=$prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: matrixauth
Description: Matrix authentication (one-time passwords from a digit grid) for SSL-VPN appliances
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lmatrixauth
Libs.private: -lpthread -ldl -lm
PC
echo "installed matrixauth $version under $prefix"
