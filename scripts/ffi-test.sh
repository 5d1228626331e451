#!/usr/bin/env bash
# Tests the C library: header freshness (cbindgen 0.29.4), the header as C99 and C++, exported
# symbols, the C test suite under ASan/UBSan and under valgrind, the version against Cargo.toml,
# and the install step with the example built through pkg-config. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
step() { printf -- '--- %s\n' "$*"; }

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "no version in Cargo.toml"; exit 1; }

step "build libmatrixauth (release)"
cargo build -q -p matrixauth-ffi --release --locked
lib=target/release

step "header is what cbindgen 0.29.4 generates"
command -v cbindgen >/dev/null || { echo "cbindgen missing: cargo install --locked cbindgen --version 0.29.4"; exit 1; }
cbindgen --version | grep -q ' 0.29.4$' || { echo "need cbindgen 0.29.4, have $(cbindgen --version)"; exit 1; }
(cd ffi && cbindgen --quiet --config cbindgen.toml --crate matrixauth-ffi --output "$tmp/matrixauth.h" .)
diff -u ffi/include/matrixauth.h "$tmp/matrixauth.h" || {
  echo "ffi/include/matrixauth.h is stale: run scripts/header.sh and commit it"; exit 1; }

step "header compiles as C99 and C++ with -Wall -Wextra -Werror -pedantic"
printf '#include "matrixauth.h"\nint main(void) { return matrixauth_version() == 0; }\n' > "$tmp/h.c"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iffi/include -c "$tmp/h.c" -o "$tmp/h.o"
g++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iffi/include -x c++ -c "$tmp/h.c" -o "$tmp/hpp.o"

step "only matrixauth_ symbols are exported"
others=$(nm -D --defined-only "$lib/libmatrixauth.so" | awk '{print $3}' | grep -v '^matrixauth_' || true)
[ -z "$others" ] || { echo "unexpected exported symbols:"; echo "$others"; exit 1; }
echo "exported: $(nm -D --defined-only "$lib/libmatrixauth.so" | grep -c ' matrixauth_') functions"
untested=$(nm -D --defined-only "$lib/libmatrixauth.so" | awk '{print $3}' | while read -r f; do
  grep -qw "$f" ffi/tests/test_matrixauth.c || echo "$f"; done)
[ -z "$untested" ] || { echo "exported but never called by ffi/tests/test_matrixauth.c:"; echo "$untested"; exit 1; }

python3 ffi/tests/vectors_to_tsv.py core/tests/vectors > "$tmp/vectors.tsv"

step "C tests under AddressSanitizer + UndefinedBehaviorSanitizer (static library)"
gcc -std=c99 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer -Iffi/include ffi/tests/test_matrixauth.c "$lib/libmatrixauth.a" \
  -lpthread -ldl -lm -o "$tmp/test_asan"
# stderr holds the backtrace of the deliberate panic (matrixauth_selftest_panic); shown on failure only.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 RUST_BACKTRACE=0 \
  "$tmp/test_asan" "$tmp/vectors.tsv" "$version" 2> "$tmp/asan.err" || { cat "$tmp/asan.err"; exit 1; }

step "C tests under valgrind (shared library)"
# The library's SONAME is libmatrixauth.so.0: give the loader that name, as an install does.
mkdir -p "$tmp/lib"
cp "$lib/libmatrixauth.so" "$tmp/lib/libmatrixauth.so.0"
ln -sfn libmatrixauth.so.0 "$tmp/lib/libmatrixauth.so"
gcc -std=c99 -g -O1 -Wall -Wextra -Werror -Iffi/include ffi/tests/test_matrixauth.c -L"$tmp/lib" -lmatrixauth \
  -o "$tmp/test_plain"
LD_LIBRARY_PATH="$tmp/lib" RUST_BACKTRACE=0 valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$tmp/test_plain" "$tmp/vectors.tsv" "$version" 2> "$tmp/vg.err" || { cat "$tmp/vg.err"; exit 1; }

step "install under a PREFIX; build and run the example through pkg-config"
bash scripts/install-c.sh "$tmp/prefix" > /dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
[ "$(pkg-config --modversion matrixauth)" = "$version" ] || { echo "pkg-config version mismatch"; exit 1; }
# shellcheck disable=SC2046
gcc -std=c99 -Wall -Wextra -Werror -pedantic ffi/examples/vpn_gate.c $(pkg-config --cflags --libs matrixauth) \
  -o "$tmp/vpn_gate"
# No LD_LIBRARY_PATH: the rpath from matrixauth.pc finds the installed library.
bash ffi/examples/vpn_gate_demo.sh "$tmp/vpn_gate" "$tmp/gate-data"

step "the library has a SONAME and is installed with its versioned name and links"
readelf -d "$tmp/prefix/lib/libmatrixauth.so.$version" | grep -q "SONAME.*\[libmatrixauth.so.${version%%.*}\]" ||
  { readelf -d "$tmp/prefix/lib/libmatrixauth.so.$version" | grep SONAME; echo "no SONAME"; exit 1; }
[ "$(readlink "$tmp/prefix/lib/libmatrixauth.so")" = "libmatrixauth.so.${version%%.*}" ] || { echo "bad .so link"; exit 1; }
readelf -d "$tmp/vpn_gate" | grep -q "NEEDED.*\[libmatrixauth.so.${version%%.*}\]" || { echo "program does not record the SONAME"; exit 1; }

step "the README's C block, exactly as written (HOME is a temporary folder)"
awk '/^## C \(SSL-VPN appliances\)/{c=1} c && /^```sh$/{f=1; next} f && /^```$/{exit} f' README.md > "$tmp/readme-c.sh"
[ -s "$tmp/readme-c.sh" ] || { echo "no sh block in the README's C section"; exit 1; }
# The block builds ./app from ./app.c in the repository's root, as a reader would there.
cat > app.c <<'C'
#include <matrixauth.h>
#include <stdio.h>
int main(void) {
  printf("matrixauth %s\n", matrixauth_version());
  return 0;
}
C
out=$(RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" HOME="$tmp/home" \
  bash -e "$tmp/readme-c.sh" 2>&1) || { echo "$out"; rm -f app.c app; exit 1; }
rm -f app.c app
grep -q "^matrixauth $version$" <<<"$out" || { echo "$out"; echo "the README's program did not run"; exit 1; }
echo "README C block: built and ran: $(tail -1 <<<"$out")"
