#!/usr/bin/env bash
# What the floor tests need beyond Python: Debian's redis-server (the tests start their own
# on an ephemeral port; they never use a running service). Installs it when missing; fails
# loudly when it cannot (the tests are never skipped).
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  echo "Installing redis-server from Debian's packages (needed by the floor tests)..."
  SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    redis-server >/dev/null
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is missing and could not be installed: apt-get install redis-server" >&2
  exit 1
fi
