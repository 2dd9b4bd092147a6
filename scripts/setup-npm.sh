#!/usr/bin/env bash
# The browser code the server serves itself (socket.io-client), and for the tests axe-core
# and ESLint, from npm at the versions in package-lock.json.
# Usage: bash scripts/setup-npm.sh [npm ci options, e.g. --omit=dev]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v npm >/dev/null; then
  echo "npm is needed for the widget's socket.io client: apt-get install npm (or Node.js)" >&2
  exit 1
fi
cd "$ROOT"
npm ci --no-audit --no-fund --loglevel=error "$@" >/dev/null
