#!/usr/bin/env bash
# Install and start the chat server on the embedded default (one process, SQLite in ./data).
# Extra arguments go to `chatserver serve`, e.g. --port 8090.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-venv.sh"
bash "$ROOT/scripts/setup-npm.sh" --omit=dev
cd "$ROOT"
exec "$ROOT/.venv/bin/chatserver" serve "$@"
