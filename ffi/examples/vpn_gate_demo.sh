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
grep -q 'login refused: rejected' <<<"$out" || { echo "$out"; exit 1; }

# Ten concurrent logins of one user, each with its own wrong answer: they all get the same
# challenge (one outstanding per user), then answer at once. Every "rejected" printed must be a
# counted failure: 5 of them, then the lock ("locked" for the rest).
"$gate" "$dir" enroll bob pw 2 B2 G3 D5 A8 H1 E6 > /dev/null
conc=$(mktemp -d)
for i in 0 1 2 3 4 5 6 7 8 9; do
  ( (sleep 2; printf '%02dpw%04d\n' "$i" "$i") | "$gate" "$dir" login bob > "$conc/$i.out" 2>&1 || true ) &
done
wait
rejected=$(cat "$conc"/*.out | grep -c 'login refused: rejected' || true)
locked=$(cat "$conc"/*.out | grep -c 'login refused: locked' || true)
status=$("$gate" "$dir" status bob)
counted=$(sed -n 's/.*failures_since_success=\([0-9]*\).*/\1/p' <<<"$status")
rm -rf "$conc"
echo "10 concurrent logins: $rejected rejected, $locked locked; stored: $status"
[ "$rejected" = "$counted" ] || { echo "printed $rejected rejections but stored $counted failures"; exit 1; }
[ "$rejected" = 5 ] && [ "$locked" = 5 ] || { echo "expected 5 rejected then 5 locked"; exit 1; }
grep -q 'locked=1' <<<"$status" || { echo "bob is not locked"; exit 1; }

# User ids never become paths: "../x" stays inside the data folder, an over-long id is refused.
parent=$(dirname "$dir")
before=$(ls -A "$parent" | sort)
"$gate" "$dir" enroll ../escaped pw 2 B2 G3 D5 A8 H1 E6 > /dev/null
printf '000000pw\n' | "$gate" "$dir" login ../escaped > /dev/null || true
printf '000000pw\n' | "$gate" "$dir" login ../../tmp/escaped > /dev/null || true
[ "$(ls -A "$parent" | sort)" = "$before" ] || { echo "a file appeared outside $dir"; exit 1; }
[ ! -e "$dir/../escaped.cred" ] && [ ! -e "$dir/../escaped.state" ] || { echo "escaped the data folder"; exit 1; }
ls "$dir" | grep -q '^u-2e2e2f65736361706564\.cred$' || { echo "../escaped not stored under its encoded name"; exit 1; }
long=$(printf 'x%.0s' $(seq 1 101))
if "$gate" "$dir" enroll "$long" pw 2 B2 G3 D5 A8 H1 E6 > /dev/null 2>&1; then
  echo "a 101-byte user id was accepted"; exit 1
fi
echo "vpn_gate demo: accepted, ticket redeemed once, replay refused, wrong answer refused," \
  "concurrent failures all counted, user ids kept inside the data folder"
