#!/usr/bin/env bash
# Constant-time evidence, deterministic half (SPEC §8): counts the instructions executed inside
# the two answer checks, matrixauth::verify::response_matches (pattern mode) and
# GridCard::answer_matches (card mode), under valgrind's callgrind, once for each input class of
# core/examples/ct_probe.rs. Within a group the classes differ only in secret values, so every
# count must be identical. Exits non-zero otherwise. Runs in scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)"; exit 1; }

cargo build -q --release --example ct_probe --locked
probe=target/release/examples/ct_probe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0

# run_group SYMBOL CLASS... : every class must count the same instructions inside SYMBOL.
run_group() {
  local symbol=$1; shift
  local first="" c ir
  printf '\n%-28s %12s  %s   [%s]\n' class instructions result "$symbol"
  for c in "$@"; do
    valgrind --tool=callgrind --callgrind-out-file="$out/$c.out" \
      --toggle-collect="$symbol" "$probe" "$c" >"$out/$c.stdout" 2>"$out/$c.stderr"
    ir=$(grep -E '^summary:' "$out/$c.out" | awk '{print $2}')
    printf '%-28s %12s  %s\n' "$c" "$ir" "$(cut -d' ' -f2- "$out/$c.stdout")"
    if [ -z "$ir" ] || [ "$ir" -lt 1000 ]; then
      echo "no instructions counted for $c: is the function still a separate symbol?"; fail=1
    fi
    if [ -z "$first" ]; then first=$ir; elif [ "$ir" != "$first" ]; then fail=1; fi
  done
  [ "$fail" -ne 0 ] || echo "identical: $first instructions"
}

run_group 'matrixauth::verify::response_matches*' right wrong_same_length other_pattern corner_cells \
  fixed_first fixed_last short_pattern_long_fixed long_pattern_no_fixed mismatch_first_byte
grep -q ': match' "$out/right.stdout" || { echo "the 'right' class did not match"; fail=1; }

run_group 'matrixauth::card::GridCard::answer_matches*' card_right card_wrong card_other_values \
  card_other_values_right card_mismatch_last_byte
grep -q ': match' "$out/card_right.stdout" || { echo "the 'card_right' class did not match"; fail=1; }

if [ "$fail" -ne 0 ]; then
  echo "FAIL: instruction counts differ across secret inputs (or the probe is broken)"
  exit 1
fi
echo
echo "constant time: instruction counts identical across secret inputs in every group"
