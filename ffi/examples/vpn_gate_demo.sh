#!/usr/bin/env bash
# Scripted run of vpn_gate, as a QA script would drive it: enrol, log in by reading the digits
# off the printed grid, see the ticket redeemed once and the replay refused, then a wrong answer.
# Usage: vpn_gate_demo.sh PATH/TO/vpn_gate DATA_DIR
set -euo pipefail
gate=$1
dir=$2
"$gate" "$dir" enroll alice pw 2 B2 G3 D5 A8 H1 E6
[ "$(stat -c %a "$dir/server.key")" = 600 ] || { echo "server.key is not owner-only"; exit 1; }

# Answer = first two pattern digits, "pw", the other four, read off the grid the gate prints.
answer_from_grid() {
  awk -v cells="B2 G3 D5 A8 H1 E6" 'NR>1 && $1 ~ /^[0-9]+$/ { for (c = 2; c <= NF; c++) d[$1, c-1] = $c }
    END { n = split(cells, cs, " "); out = "";
          for (i = 1; i <= n; i++) { col = index("ABCDEFGHIJKLMNOPQRSTUVWXYZ", substr(cs[i], 1, 1));
                                      row = substr(cs[i], 2) + 0; if (i == 3) out = out "pw"; out = out d[row, col] }
          print out }'
}

coproc GATE { "$gate" "$dir" login alice; }
gate_pid=$GATE_PID
grid=$(head -n 9 <&"${GATE[0]}")
answer=$(printf '%s\n' "$grid" | answer_from_grid)
printf '%s\n' "$answer" >&"${GATE[1]}"
result=$(cat <&"${GATE[0]}")
wait "$gate_pid" || true
echo "$result"
grep -q 'login accepted' <<<"$result"
grep -q 'VPN session opened for alice' <<<"$result"
grep -q 'replayed' <<<"$result"

out=$(printf '000000pw\n' | "$gate" "$dir" login alice || true)
grep -q 'login refused' <<<"$out" || { echo "$out"; exit 1; }
echo "vpn_gate demo: accepted, ticket redeemed once, replay refused, wrong answer refused"
