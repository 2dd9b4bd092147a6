#!/usr/bin/env bash
# Install everything the tests need and run the whole suite: lint, then pytest.
# Fails loudly when something is missing; never skips a test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-venv.sh" test
cd "$ROOT"
echo "== ruff"
"$ROOT/.venv/bin/ruff" check chatserver tests bench
echo "== pytest"
exec "$ROOT/.venv/bin/python" -m pytest -p no:cacheprovider "$@"
