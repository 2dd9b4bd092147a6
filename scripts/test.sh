#!/usr/bin/env bash
# Install everything the tests need (Python packages, Chromium, redis-server, nginx and haproxy
# from Debian, npm packages) and run the whole suite: lint (eslint, ruff), a strict type check of the code
# and the tests, then pytest. Never skips a test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-venv.sh" test
bash "$ROOT/scripts/setup-browser.sh"
bash "$ROOT/scripts/setup-redis.sh"
bash "$ROOT/scripts/setup-proxies.sh"
cd "$ROOT"
echo "== eslint"
npx --no-install eslint console/static widget
echo "== ruff"
"$ROOT/.venv/bin/ruff" check chatserver tests bench
"$ROOT/.venv/bin/ruff" format --check chatserver tests bench
echo "== mypy --strict"
"$ROOT/.venv/bin/mypy" --strict chatserver tests
echo "== pytest"
exec "$ROOT/.venv/bin/python" -m pytest -p no:cacheprovider "$@"
