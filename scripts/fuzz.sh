#!/usr/bin/env bash
# Fuzzing (cargo-fuzz 0.13.2, libFuzzer + ASan): builds every target of fuzz/ (the core) and
# fuzz/ffi (the C entry points) and runs each for SECONDS (default 300; CI passes 10).
#   scripts/fuzz.sh [SECONDS]
# A crash leaves its input in fuzz/artifacts/TARGET/ and fails the script: turn it into a
# regression test (core/tests/, radius/tests/ or ffi/tests/) before fixing it. Uses the nightly
# toolchain if rustup has one; otherwise stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}

if ! cargo fuzz --version 2>/dev/null | grep -q ' 0.13.2'; then
  cargo install --locked cargo-fuzz --version 0.13.2
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

run_dir() {
  local dir=$1
  "${fuzz[@]}" build -O --fuzz-dir "$dir"
  for target in $("${fuzz[@]}" list --fuzz-dir "$dir"); do
    mkdir -p "fuzz/corpus/$target"
    echo "--- $target: ${seconds}s"
    "${fuzz[@]}" run -O --fuzz-dir "$dir" "$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 2>&1 \
      | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|Done |==[0-9]+==ERROR|SUMMARY|.*panicked)' || true
    if [ -n "$(ls -A "$dir/artifacts/$target" 2>/dev/null)" ]; then
      echo "CRASH in $target: see $dir/artifacts/$target"
      return 1
    fi
  done
}

run_dir fuzz
run_dir fuzz/ffi
echo "fuzzing: no crashes"
