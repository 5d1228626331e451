#!/usr/bin/env bash
# The Python package's tests, against a wheel as a user installs it: maturin (pinned below, in a
# tools venv, target/pyenv) builds the wheel; a fresh venv gets that wheel and the test tools;
# pytest runs over the installed wheel (not the source tree), with the golden vectors,
# hypothesis properties and `mypy --strict` on a typed script. Tool versions are pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=target/pyenv
if [ ! -x "$tools/bin/python" ]; then
  python3 -m venv "$tools"
fi
"$tools/bin/pip" install -q --disable-pip-version-check maturin==1.16.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "--- maturin build (release wheel)"
"$tools/bin/maturin" build --quiet --release --locked -m python/Cargo.toml -o "$tmp/wheels"
wheel=$(ls "$tmp"/wheels/*.whl)
echo "built $(basename "$wheel")"

echo "--- a fresh venv with the wheel and the test tools"
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check "$wheel" \
  pytest==9.2.0 hypothesis==6.170.15 mypy==2.4.1

cd python
# `pytest` (not `python -m pytest`) keeps python/ off sys.path; conftest.py checks the import.
# Exit code 5 (no tests collected) is a failure like any other.
"$tmp/venv/bin/pytest" -q -p no:cacheprovider
