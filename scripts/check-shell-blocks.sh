#!/usr/bin/env bash
# Every fenced shell block (```sh, ```bash, ```shell, ```console) in README.md, python/README.md
# and docs/*.md must be valid shell as written: each is checked with `bash -n`. A block is
# copied into terminals by readers; a stray `|` or an unclosed quote there is a bug. Part of
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0
bad=0
for f in README.md python/README.md wasm/README.md docs/*.md; do
  [ -f "$f" ] || continue
  awk -v out="$tmp/block" -v file="$f" '
    /^[[:space:]]*```(sh|bash|shell|console)[[:space:]]*$/ { n++; inb=1; start=NR; name=out "." n; print file ":" NR > (name ".where"); next }
    inb && /^[[:space:]]*```[[:space:]]*$/ { inb=0; next }
    inb { sub(/^   /, ""); print > name }
  ' "$f"
  for b in "$tmp"/block.*; do
    [ -e "$b" ] || continue
    case "$b" in *.where) continue ;; esac
    checked=$((checked + 1))
    if ! bash -n "$b" 2> "$tmp/err"; then
      echo "$(cat "$b.where"): not valid shell:"; cat "$tmp/err"; bad=$((bad + 1))
    fi
    rm -f "$b" "$b.where"
  done
done
[ "$checked" -gt 0 ] || { echo "no shell blocks found"; exit 1; }
echo "shell blocks: $checked checked, $bad invalid"
[ "$bad" -eq 0 ]
