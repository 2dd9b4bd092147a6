#!/usr/bin/env bash
# What the browser tests need beyond Python: Debian's Chromium and the npm packages.
# Installs what is missing; fails loudly when it cannot (the tests are never skipped).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHROMIUM=/usr/lib/chromium/chromium
if [ ! -x "$CHROMIUM" ]; then
  echo "Installing Chromium from Debian's packages (needed by the browser tests)..."
  SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >/dev/null
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "Chromium is missing ($CHROMIUM) and could not be installed: apt-get install chromium" >&2
  exit 1
fi
bash "$ROOT/scripts/setup-npm.sh" --include=dev
