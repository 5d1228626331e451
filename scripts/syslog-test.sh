#!/usr/bin/env bash
# The audit log to a real syslog collector and the monitoring endpoints (issue 24): Debian's
# rsyslog (imudp, imtcp with octet-counted framing, imtcp with the gtls driver) started unprivileged
# in the foreground on free 127.0.0.1 ports, `matrixauth serve` sending to it over udp://, tcp://
# and tls://, and Debian's promtool on /metrics (scripts/syslog_checks.py has the checks). Installs
# the Debian packages it needs if they are missing. Everything stops at the end, even on failure.
# Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need=""
command -v rsyslogd >/dev/null || need="$need rsyslog"
ls /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || need="$need rsyslog-gnutls"
command -v promtool >/dev/null || need="$need prometheus"
command -v openssl >/dev/null || need="$need openssl"
if [ -n "$need" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

cargo build -q --locked -p matrixauth-server
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BIN=${CARGO_TARGET_DIR:-$PWD/target}/debug/matrixauth TMP=$tmp PROMTOOL=promtool \
  timeout 600 python3 scripts/syslog_checks.py
