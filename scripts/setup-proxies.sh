#!/usr/bin/env bash
# What the load-balancer tests need: Debian's nginx and haproxy (tests/deploy/ run them as
# ordinary processes on ephemeral ports with the configurations of docs/deployment/; they never
# use a running service). Installs them when missing; fails loudly when it cannot (the tests are
# never skipped). Debian's packages try to start their services: where no policy-rc.d forbids
# that (a container usually has one), the services started by the install are stopped again.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} from Debian's packages (needed by the load-balancer tests)..."
  SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >/dev/null
  for service in "${missing[@]}"; do
    $SUDO service "$service" stop >/dev/null 2>&1 || true
  done
fi
for tool in nginx haproxy; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "$tool is missing and could not be installed: apt-get install $tool" >&2
    exit 1
  fi
done
