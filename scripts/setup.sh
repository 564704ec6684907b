#!/usr/bin/env bash
# Installs what Rewind's demo and tests need on a Debian 12 machine, idempotently:
# the Debian packages, the npm packages, and a running Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for pkg in docker.io busybox-static postgresql chromium git; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  nohup dockerd >/var/log/rewind-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/rewind-dockerd.log" >&2; exit 1; }
fi
