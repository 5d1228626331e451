#!/usr/bin/env bash
# Constant-time evidence, deterministic half (SPEC §8), under valgrind's callgrind:
# - the whole C calls matrixauth_authenticator_verify and _verify_card (token, state, folding,
#   MACs, matrix, answer check, allocator: everything the call does), once for each input class
#   of ffi/tests/ct_probe.c: patterns of 4, 6 and 16 cells, fixed strings of 0, 2 and 32
#   characters at the front, in the middle and at the end, the decoy credential; cards with
#   different values;
# - the whole C calls matrixauth_authenticator_verify_pending_nt and _verify_card_pending_nt
#   (SPEC §17: one fixed MSCHAPv2 proof against the pending challenge), for the same pattern
#   classes plus answers of 27 and 28 characters (both sides of MD4's one-block limit), the
#   decoy, and the cards;
# - the two answer checks alone, matrixauth::verify::response_matches and
#   GridCard::answer_matches, for the classes of core/examples/ct_probe.rs;
# - the two MSCHAPv2 checks (SPEC §17: MD4 over a secret length, DES keyed by the NT hash),
#   verify::nt_response_matches and GridCard::nt_answer_matches, for the nt_ classes of the
#   same probe: answers of 4 to 48 characters, on both sides of MD4's one-block limit.
# Within a group the classes differ only in secret values, so every count must be identical.
# Exits non-zero otherwise. Runs in scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)"; exit 1; }

cargo build -q --release --example ct_probe --locked
cargo build -q --release --locked -p matrixauth-ffi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
gcc -std=c99 -O1 -Wall -Wextra -Werror -Iffi/include ffi/tests/ct_probe.c target/release/libmatrixauth.a \
  -lpthread -ldl -lm -o "$out/c_probe"
"$out/c_probe" setup "$out" > /dev/null

# run_group PROBE ARG SYMBOL CLASS... : `PROBE CLASS ARG` is run under callgrind for each class
# (ARG may be empty); every class must count the same instructions inside SYMBOL.
run_group() {
  local probe=$1 arg=$2 symbol=$3; shift 3
  local first="" c ir
  printf '\n%-28s %12s  %s   [%s]\n' class instructions result "$symbol"
  for c in "$@"; do
    valgrind --tool=callgrind --callgrind-out-file="$out/$c.out" \
      --toggle-collect="$symbol" "$probe" "$c" ${arg:+"$arg"} >"$out/$c.stdout" 2>"$out/$c.stderr"
    ir=$(grep -E '^summary:' "$out/$c.out" | awk '{print $2}')
    printf '%-28s %12s  %s\n' "$c" "$ir" "$(cut -d' ' -f2- "$out/$c.stdout")"
    if [ -z "$ir" ] || [ "$ir" -lt 100 ]; then
      echo "no instructions counted for $c: is the function still a separate symbol?"; fail=1
    fi
    if [ -z "$first" ]; then first=$ir; elif [ "$ir" != "$first" ]; then fail=1; fi
  done
  [ "$fail" -ne 0 ] || echo "identical: $first instructions"
}

# The whole C call, against the challenge that setup wrote to $out.
run_group "$out/c_probe" "$out" 'matrixauth_authenticator_verify' p4_f0 p4_f2_end p6_f2_middle \
  p8_f2_middle_len10 p6_f4_end_len10 p6_f32_front p16_f0 p16_f2_front p16_f32_end decoy
grep -q 'outcome 2' "$out/p6_f2_middle.stdout" || { echo "the whole-call classes were not rejected"; fail=1; }
run_group "$out/c_probe" "$out" 'matrixauth_authenticator_verify_card' card_1 card_2 card_3
grep -q 'outcome 2' "$out/card_2.stdout" || { echo "the whole-call card classes were not rejected"; fail=1; }
run_group "$out/c_probe" "$out" 'matrixauth_authenticator_verify_pending_nt' nt_p4_f0 nt_p4_f2_end nt_p6_f2_middle \
  nt_p8_f2_middle_len10 nt_p6_f32_front nt_p16_f0 nt_p16_f11_len27 nt_p16_f12_len28 nt_p16_f32_end nt_decoy
grep -q 'outcome 2' "$out/nt_p16_f12_len28.stdout" || { echo "the whole-call MSCHAPv2 classes were not rejected"; fail=1; }
run_group "$out/c_probe" "$out" 'matrixauth_authenticator_verify_card_pending_nt' ntcard_1 ntcard_2 ntcard_3
grep -q 'outcome 2' "$out/ntcard_2.stdout" || { echo "the whole-call MSCHAPv2 card classes were not rejected"; fail=1; }

probe=target/release/examples/ct_probe
run_group "$probe" "" 'matrixauth::verify::response_matches*' right wrong_same_length other_pattern corner_cells \
  fixed_first fixed_last short_pattern_long_fixed long_pattern_no_fixed mismatch_first_byte
grep -q ': match' "$out/right.stdout" || { echo "the 'right' class did not match"; fail=1; }

run_group "$probe" "" 'matrixauth::card::GridCard::answer_matches*' card_right card_wrong card_other_values \
  card_other_values_right card_mismatch_last_byte
grep -q ': match' "$out/card_right.stdout" || { echo "the 'card_right' class did not match"; fail=1; }

run_group "$probe" "" 'matrixauth::verify::nt_response_matches*' nt_right nt_wrong nt_other_pattern nt_len4 \
  nt_len27 nt_len28 nt_len48 nt_len27_right
grep -q ': match' "$out/nt_right.stdout" || { echo "the 'nt_right' class did not match"; fail=1; }
grep -q ': match' "$out/nt_len27_right.stdout" || { echo "the 'nt_len27_right' class did not match"; fail=1; }

run_group "$probe" "" 'matrixauth::card::GridCard::nt_answer_matches*' card_nt_right card_nt_wrong card_nt_other_values
grep -q ': match' "$out/card_nt_right.stdout" || { echo "the 'card_nt_right' class did not match"; fail=1; }

if [ "$fail" -ne 0 ]; then
  echo "FAIL: instruction counts differ across secret inputs (or the probe is broken)"
  exit 1
fi
echo
echo "constant time: instruction counts identical across secret inputs in every group"
