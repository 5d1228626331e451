#!/usr/bin/env bash
# The Debian package end to end (issue 24, item 6): builds it (scripts/deb.sh), installs it with
# dpkg -i, checks every installed path's owner and mode, the service user and the conffile, runs
# `matrixauth init` and `matrixauth serve` as the service user (runuser; serve answers on a free
# loopback port, then stops), verifies the unit with systemd-analyze, renders the man pages,
# parses the completions, then removes (dpkg -r: configuration and data stay) and purges
# (dpkg -P: configuration gone, data and user kept, as docs/OPERATIONS.md says).
#
# Where: on this machine itself, as root. CI runs on a throw-away machine, and a fresh root
# (debootstrap, systemd-nspawn) needs a Debian mirror, which is not reachable here; dpkg --root
# runs maintainer scripts outside the root. So the test refuses to start when a matrixauth
# package, user or /var/lib/matrixauth is already there (it would not touch a real
# installation), and at the end removes all it made: the package, /var/lib/matrixauth and the
# user. systemd is not PID 1 here: the postinst then enables the unit but starts nothing, and the
# server is run by hand as the unit would run it. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
no() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }

[ "$(id -u)" = 0 ] || { echo "deb-test.sh: run as root (it installs the package)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' matrixauth 2>/dev/null | grep -q 'installed\|config-files'; then
  echo "deb-test.sh: a matrixauth package is installed here; not touching it" >&2; exit 1
fi
if getent passwd matrixauth >/dev/null || [ -e /var/lib/matrixauth ] || [ -e /etc/matrixauth ]; then
  echo "deb-test.sh: a matrixauth user, /var/lib/matrixauth or /etc/matrixauth exists; not touching it" >&2
  exit 1
fi
need=""
command -v man >/dev/null || need="$need man-db"
command -v groff >/dev/null || need="$need groff-base"
command -v curl >/dev/null || need="$need curl"
command -v adduser >/dev/null || need="$need adduser"
command -v sqlite3 >/dev/null || need="$need sqlite3"
if [ -n "$need" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

deb=$(bash scripts/deb.sh)
echo "package: $deb ($(du -k "$deb" | cut -f1) KB)"

tmp=$(mktemp -d)
serve_pid=""
installed=0
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "$installed" = 1 ]; then
    dpkg -P matrixauth >/dev/null 2>&1 || true
    rm -rf /var/lib/matrixauth /etc/matrixauth
    getent passwd matrixauth >/dev/null && deluser --system matrixauth >/dev/null 2>&1 || true
    getent group matrixauth >/dev/null && delgroup --system matrixauth >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# What dpkg-deb says the package is, before installing it.
dpkg-deb -f "$deb" Package Depends > "$tmp/control"
check "control: package matrixauth, depends on adduser" grep -q '^Depends:.*adduser' "$tmp/control"
dpkg-deb -c "$deb" > "$tmp/contents"
check "the package ships no /var/lib/matrixauth (made by postinst, so dpkg never deletes it)" \
  bash -c "! grep -q ' ./var/lib/matrixauth' '$tmp/contents'"

installed=1
if dpkg -i "$deb" > "$tmp/install.log" 2>&1; then ok "dpkg -i"; else no "dpkg -i"; cat "$tmp/install.log"; fi
check "dpkg: installed" bash -c "dpkg-query -W -f='\${Status}' matrixauth | grep -qx 'install ok installed'"
check "dpkg: /etc/matrixauth/config.toml is a conffile" \
  bash -c "dpkg-query -W -f='\${Conffiles}' matrixauth | grep -q '/etc/matrixauth/config.toml '"

# owner:group mode of each path.
mode() {
  local path=$1 want=$2 got
  got=$(stat -c '%U:%G %a' "$path" 2>/dev/null || echo missing)
  if [ "$got" = "$want" ]; then ok "$path $want"; else no "$path: $got, expected $want"; fi
}
unit=$(dpkg -L matrixauth | grep '/systemd/system/matrixauth.service$' || true)
mode /usr/bin/matrixauth "root:root 755"
mode /etc/matrixauth "root:root 755"
mode /etc/matrixauth/config.toml "root:matrixauth 640"
mode /var/lib/matrixauth "matrixauth:matrixauth 700"
mode "${unit:-/usr/lib/systemd/system/matrixauth.service}" "root:root 644"
mode /usr/share/man/man1/matrixauth.1.gz "root:root 644"
mode /usr/share/man/man1/matrixauth-serve.1.gz "root:root 644"
mode /usr/share/bash-completion/completions/matrixauth "root:root 644"
mode /usr/share/zsh/vendor-completions/_matrixauth "root:root 644"
mode /usr/share/fish/vendor_completions.d/matrixauth.fish "root:root 644"
mode /usr/share/doc/matrixauth/OPERATIONS.md "root:root 644"
# Every file the package installed: root-owned, never group- or world-writable.
bad=$(dpkg -L matrixauth | while read -r p; do
  [ -e "$p" ] || continue
  read -r owner m < <(stat -c '%U %a' "$p")
  if [ "$owner" != root ] || (( 8#$m & 8#022 )); then echo "$p $owner $m"; fi
done)
check "every packaged path is root's and not group/world-writable${bad:+ ($bad)}" test -z "$bad"

# The service user: a system account without a shell, its home the data folder.
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd matrixauth)
check "user matrixauth: system uid ($uid < 1000)" test "$uid" -lt 1000
check "user matrixauth: home /var/lib/matrixauth" test "$home" = /var/lib/matrixauth
check "user matrixauth: no login shell ($shell)" bash -c "case '$shell' in */nologin|*/false) ;; *) exit 1 ;; esac"
check "group matrixauth is the user's" test "$(getent group matrixauth | cut -d: -f3)" = "$gid"

# The unit as installed, and systemd's own check of it.
check "the unit runs serve with the packaged configuration as matrixauth" \
  bash -c "grep -qx 'ExecStart=/usr/bin/matrixauth serve --config /etc/matrixauth/config.toml --no-first-invitation' '$unit' && grep -qx 'User=matrixauth' '$unit'"
check "the unit is enabled (multi-user.target.wants)" test -L /etc/systemd/system/multi-user.target.wants/matrixauth.service
if command -v systemd-analyze >/dev/null; then
  # Offline: verify loads the unit and its ExecStart binary without a running systemd.
  if systemd-analyze verify "$unit" > "$tmp/verify" 2>&1 && ! grep -q matrixauth.service "$tmp/verify"; then
    ok "systemd-analyze verify $unit"
  else
    no "systemd-analyze verify $unit"; cat "$tmp/verify"
  fi
else
  echo "skip systemd-analyze verify: systemd is not installed"
fi

# init and serve as the service user, as the unit runs them.
as_service() { runuser -u matrixauth -- "$@"; }
if (cd / && as_service matrixauth --config /etc/matrixauth/config.toml init) > "$tmp/init" 2>&1; then
  ok "matrixauth init as matrixauth: $(cat "$tmp/init")"
else
  no "matrixauth init as matrixauth"; cat "$tmp/init"
fi
mode /var/lib/matrixauth/keyring "matrixauth:matrixauth 600"
check "the database is in the data folder, the service user's" \
  test "$(stat -c %U /var/lib/matrixauth/matrixauth.db 2>/dev/null)" = matrixauth
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
# The shell prints its pid, then becomes the server: that pid is the one to stop.
(cd / && exec runuser -u matrixauth -- sh -c 'echo "pid $$"; exec /usr/bin/matrixauth serve --config /etc/matrixauth/config.toml --no-first-invitation --port "$1"' sh "$port") \
  > "$tmp/serve" 2>&1 &
runuser_pid=$!
for _ in $(seq 100); do
  serve_pid=$(sed -n 's/^pid //p' "$tmp/serve")
  [ -n "$serve_pid" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)
check "serve as matrixauth: GET http://127.0.0.1:$port/ answers 200 (got $code)" test "$code" = 200
check "the server runs as matrixauth" test "$(ps -o user= -p "${serve_pid:-0}" 2>/dev/null)" = matrixauth
check "it uses the data folder of the configuration" grep -q 'data folder: /var/lib/matrixauth' "$tmp/serve"
# The online backup docs/OPERATIONS.md ("Backups") gives, while the server runs.
if command -v sqlite3 >/dev/null; then
  rm -f /var/lib/matrixauth/backup.db
  check "sqlite3 .backup of the running server's database, as matrixauth" \
    runuser -u matrixauth -- sqlite3 /var/lib/matrixauth/matrixauth.db ".backup /var/lib/matrixauth/backup.db"
  check "the backup is whole (integrity_check ok, schema version recorded)" bash -c \
    "[ \"\$(sqlite3 /var/lib/matrixauth/backup.db 'PRAGMA integrity_check')\" = ok ] && [ \"\$(sqlite3 /var/lib/matrixauth/backup.db 'PRAGMA user_version')\" -gt 0 ]"
  rm -f /var/lib/matrixauth/backup.db
else
  echo "skip the online backup: no sqlite3"
fi
[ -n "$serve_pid" ] && kill -INT "$serve_pid" 2>/dev/null || true
wait "$runuser_pid" 2>/dev/null && ok "serve stops on SIGINT (the unit's KillSignal), exit 0" \
  || no "serve did not stop cleanly on SIGINT: $(cat "$tmp/serve")"
serve_pid=""
# An admin command as the service user, against the same data folder.
check "users invite as matrixauth prints a link" \
  bash -c "cd / && runuser -u matrixauth -- matrixauth --config /etc/matrixauth/config.toml users invite alice | grep -q 'http://127.0.0.1:8080/'"

# Man pages and completions.
if command -v man >/dev/null; then
  man -l /usr/share/man/man1/matrixauth-serve.1.gz 2>/dev/null > "$tmp/man" || true
  check "man matrixauth-serve renders (--config, --port)" bash -c "grep -q -- '--config' '$tmp/man' && grep -q -- '--port' '$tmp/man'"
  check "man -w finds matrixauth and matrixauth-users-invite" \
    bash -c "man -w matrixauth >/dev/null && man -w matrixauth-users-invite >/dev/null"
else
  zcat /usr/share/man/man1/matrixauth-serve.1.gz | groff -man -Tutf8 2>/dev/null > "$tmp/man" || true
  check "groff renders matrixauth-serve(1)" grep -q -- '--config' "$tmp/man"
fi
check "a man page for each subcommand, none for the hidden ones" \
  bash -c "[ \$(ls /usr/share/man/man1/matrixauth*.1.gz | wc -l) -ge 20 ] && [ ! -e /usr/share/man/man1/matrixauth-generate.1.gz ]"
check "bash completion parses (bash -n)" bash -n /usr/share/bash-completion/completions/matrixauth
check "bash completion completes subcommands" bash -c '
  source /usr/share/bash-completion/completions/matrixauth
  COMP_WORDS=(matrixauth se); COMP_CWORD=1; COMP_LINE="matrixauth se"; COMP_POINT=${#COMP_LINE}
  _matrixauth matrixauth se matrixauth; printf "%s\n" "${COMPREPLY[@]}" | grep -qx serve'
if command -v zsh >/dev/null; then check "zsh completion parses" zsh -n /usr/share/zsh/vendor-completions/_matrixauth; fi
if command -v fish >/dev/null; then check "fish completion parses" fish -n /usr/share/fish/vendor_completions.d/matrixauth.fish; fi

# Upgrade in place (the same package again): a changed configuration is kept, owners stay.
echo '# changed by the administrator' >> /etc/matrixauth/config.toml
dpkg -i "$deb" > "$tmp/reinstall.log" 2>&1 && ok "dpkg -i again (upgrade path)" || { no "dpkg -i again"; cat "$tmp/reinstall.log"; }
check "the administrator's change to config.toml is kept" grep -q 'changed by the administrator' /etc/matrixauth/config.toml
mode /etc/matrixauth/config.toml "root:matrixauth 640"
mode /var/lib/matrixauth "matrixauth:matrixauth 700"
check "the keyring survives the upgrade" test -s /var/lib/matrixauth/keyring

# Remove: the program goes; configuration, data and user stay (Debian policy).
dpkg -r matrixauth > "$tmp/remove.log" 2>&1 && ok "dpkg -r" || { no "dpkg -r"; cat "$tmp/remove.log"; }
check "after remove: /usr/bin/matrixauth is gone" test ! -e /usr/bin/matrixauth
check "after remove: the unit is gone" test ! -e "$unit"
check "after remove: state config-files" \
  bash -c "dpkg-query -W -f='\${Status}' matrixauth | grep -qx 'deinstall ok config-files'"
check "after remove: /etc/matrixauth/config.toml stays" test -f /etc/matrixauth/config.toml
check "after remove: the keyring and database stay" test -s /var/lib/matrixauth/keyring -a -s /var/lib/matrixauth/matrixauth.db
check "after remove: the user stays" bash -c "getent passwd matrixauth >/dev/null"

# Purge: the configuration goes; the data folder and the user are kept (docs/OPERATIONS.md).
dpkg -P matrixauth > "$tmp/purge.log" 2>&1 && ok "dpkg -P" || { no "dpkg -P"; cat "$tmp/purge.log"; }
check "after purge: /etc/matrixauth is gone" test ! -e /etc/matrixauth
check "after purge: dpkg knows no matrixauth" bash -c "! dpkg-query -W -f='\${Status}' matrixauth 2>/dev/null | grep -q 'installed\|config-files'"
check "after purge: /var/lib/matrixauth (keyring, audit log) is kept" test -s /var/lib/matrixauth/keyring
check "after purge: the note says how to remove the data" grep -q 'rm -r /var/lib/matrixauth' "$tmp/purge.log"
check "after purge: the unit is no longer enabled" test ! -e /etc/systemd/system/multi-user.target.wants/matrixauth.service

echo
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
