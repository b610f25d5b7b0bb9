#!/bin/sh
# Installs what the tests need from Debian when it is missing: PostgreSQL server binaries (a throwaway
# cluster per test run), Chromium (Playwright drives it; no browser is downloaded) and OpenSSH's server
# (the SSH tunnel tests start their own sshd on 127.0.0.1 and a free port, with their own config and
# host key; the system's sshd is never started or used).
set -eu
need=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${MR4_PG_BIN:-}" ] || [ -n "${TEST_DATABASE_URL:-}" ] || need="$need postgresql"
[ -x /usr/bin/chromium ] || need="$need chromium"
sshd=""
[ -x /usr/sbin/sshd ] || { need="$need openssh-server"; sshd=1; }
[ -z "$need" ] && exit 0
echo "Installing from Debian:$need"
as_root=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
  else
    echo "Please install:$need (apt-get install -y$need), then run the tests again." >&2
    exit 1
  fi
fi
# openssh-server's package would start (and enable) the system's sshd on port 22: installed for the
# tests only, it must not. A policy-rc.d that says "no" (exit 101) keeps invoke-rc.d and
# deb-systemd-invoke from starting it; ours is removed again afterwards (one already there is left alone).
policy=""
if [ -n "$sshd" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# mr4 tests: installing openssh-server without starting it\nexit 101\n' | $as_root tee /usr/sbin/policy-rc.d >/dev/null
  $as_root chmod 755 /usr/sbin/policy-rc.d
  policy=1
fi
status=0
{ $as_root apt-get update -qq && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null; } || status=$?
if [ -n "$policy" ]; then
  $as_root rm -f /usr/sbin/policy-rc.d
  # Not enabled at the next boot either (systemd hosts; elsewhere there is nothing to undo).
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $as_root systemctl disable --quiet ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
fi
exit $status
