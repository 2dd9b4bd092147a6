#!/usr/bin/env bash
# Shared by serve.sh and test.sh: a virtualenv in .venv with this package installed.
# Usage: bash scripts/setup-venv.sh [extras]   (extras: e.g. "test")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv"
fi
EXTRAS="${1:-}"
SPEC="$ROOT"
if [ -n "$EXTRAS" ]; then SPEC="$ROOT[$EXTRAS]"; fi
"$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$SPEC"
