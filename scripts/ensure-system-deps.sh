#!/bin/sh
# Installs what the tests need from Debian when it is missing: PostgreSQL server binaries (a throwaway
# cluster per test run) and Chromium (Playwright drives it; no browser is downloaded).
set -eu
need=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${MR4_PG_BIN:-}" ] || [ -n "${TEST_DATABASE_URL:-}" ] || need="$need postgresql"
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -z "$need" ] && exit 0
echo "Installing from Debian:$need"
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
else
  echo "Please install:$need (apt-get install -y$need), then run the tests again." >&2
  exit 1
fi
