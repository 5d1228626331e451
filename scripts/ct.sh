#!/usr/bin/env bash
# Constant-time evidence, statistical half (SPEC §8): the dudect harness
# (benches/src/bin/dudect.rs) with MATRIXAUTH_DUDECT_N measurements per class pair (default
# 1,000,000), then the deterministic instruction counts (scripts/ct-count.sh). dudect-bencher
# always exits 0, so this script reads every `max t` and fails when any |t| >= 4.5.
# Takes about 5 minutes on 2 cores (the two MSCHAPv2 pairs time one 85,000-instruction check
# per measurement, the others 256 calls of the answer check). Not part of CI (timings need a quiet machine); the
# instruction counts are.
set -euo pipefail
cd "$(dirname "$0")/.."
export MATRIXAUTH_DUDECT_N="${MATRIXAUTH_DUDECT_N:-1000000}"

cargo build -q --release --locked -p matrixauth-benches --bin dudect
out=$(mktemp)
trap 'rm -f "$out"' EXIT
target/release/dudect | tee "$out"

echo
printf '%-24s %10s %10s  %s\n' "class pair" "n used" "max t" verdict
fail=0
while read -r name n t; do
  verdict=$(awk -v t="$t" 'BEGIN { a = t < 0 ? -t : t; print (a >= 4.5) ? "FAIL (|t| >= 4.5)" : "ok (|t| < 4.5)" }')
  case $verdict in FAIL*) fail=1 ;; esac
  printf '%-24s %10s %10s  %s\n' "$name" "$n" "$t" "$verdict"
done < <(sed -nE 's/^bench ([a-z_]+) +\.\.\. : n == \+?([0-9.]+M), max t = ([-+0-9.]+),.*/\1 \2 \3/p' "$out")
count=$(grep -c 'max t' "$out" || true)
if [ "$count" -ne 9 ]; then
  echo "expected 9 dudect results, parsed $count"; fail=1
fi
echo "measurements per class pair requested: $MATRIXAUTH_DUDECT_N"

echo
bash scripts/ct-count.sh || fail=1
exit $fail
