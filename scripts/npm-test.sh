#!/usr/bin/env bash
# The npm package as a user gets it (issue 16): `npm pack` must hold the README, both licences,
# both builds and their TypeScript types; installed from that tarball into a fresh project, the
# README's JavaScript runs as written (as login.mjs) and its TypeScript compiles with
# `tsc --strict` (typescript pinned below, from the npm registry). Run by scripts/wasm-test.sh
# after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
typescript=5.9.3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tarball=$(cd wasm && npm pack --silent --pack-destination "$tmp")
tar tzf "$tmp/$tarball" | sort > "$tmp/contents"
for f in README.md LICENSE-MIT LICENSE-APACHE package.json \
  pkg/web/matrixauth.js pkg/web/matrixauth_bg.wasm pkg/web/matrixauth.d.ts \
  pkg/node/matrixauth.js pkg/node/matrixauth_bg.wasm pkg/node/matrixauth.d.ts \
  widget/matrixauth-widget.js widget/matrixauth-widget.css; do
  grep -qx "package/$f" "$tmp/contents" || { echo "npm pack lacks $f"; cat "$tmp/contents"; exit 1; }
done
echo "npm pack: $tarball, $(wc -l < "$tmp/contents") files, README, licences, both builds and types"

mkdir "$tmp/app"
cd "$tmp/app"
npm init -y > /dev/null
npm install --silent --no-audit --no-fund "$tmp/$tarball" "typescript@$typescript"
block() { awk -v lang="$1" '$0 == "```" lang {f=1; next} f && /^```$/ {exit} f' "$2"; }
block js "$OLDPWD/wasm/README.md" > login.mjs
out=$(node login.mjs)
grep -qx accepted <<<"$out" && grep -qx true <<<"$out" || { echo "$out"; echo "wasm/README.md's JavaScript did not log in"; exit 1; }
block js "$OLDPWD/README.md" > readme.mjs
out=$(node readme.mjs)
grep -qx accepted <<<"$out" || { echo "$out"; echo "README.md's JavaScript did not log in"; exit 1; }
echo "README JavaScript (README.md and wasm/README.md): ran as .mjs files, logged in"
block ts "$OLDPWD/wasm/README.md" > example.ts
npx tsc --strict --noEmit --module nodenext --moduleResolution nodenext --target es2022 --lib esnext,dom example.ts
echo "README TypeScript: compiled with tsc $typescript --strict against the packed types"
