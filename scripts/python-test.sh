#!/usr/bin/env bash
# The Python package's tests: `pip install ./python` into a venv (target/pyenv), then pytest over
# the installed wheel (not the source tree), including the golden vectors, hypothesis properties
# and `mypy --strict` on a typed script. Tool versions are pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/pyenv
export PATH="$PWD/$venv/bin:$PATH"  # the pip build backend calls `maturin`
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check \
  maturin==1.16.0 pytest==9.2.0 hypothesis==6.170.15 mypy==2.4.1
# --no-build-isolation: build with the pinned maturin above instead of fetching one.
"$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./python
cd python
# `pytest` (not `python -m pytest`) keeps python/ off sys.path; conftest.py checks the import.
# Exit code 5 (no tests collected) is a failure like any other.
"../$venv/bin/pytest" -q -p no:cacheprovider
